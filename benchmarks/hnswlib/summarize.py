#!/usr/bin/python3
"""Summarises compare.sh output: per ef the QPS ratio semcache/hnswlib, and the ratio at recall@10 >= 0.95
(each engine at the smallest ef of the sweep that reaches 0.95, i.e. its fastest qualifying setting).
With several rounds, the median QPS per engine and ef is used."""
import json
import statistics
import sys


def load(path):
    rows = {}
    with open(path) as f:
        for line in f:
            r = json.loads(line)
            rows.setdefault(r["ef"], []).append(r)
    return rows


def summary(rows):
    return {ef: {"recall": statistics.median(r["recall_at_10"] for r in rs),
                 "qps": statistics.median(r["queries_per_second"] for r in rs),
                 "bytes": rs[0]["bytes_per_vector"],
                 "build": statistics.median(r["build_seconds"] for r in rs)} for ef, rs in sorted(rows.items())}


def at_target(s, target=0.95):
    for ef, v in sorted(s.items()):
        if v["recall"] >= target:
            return ef, v
    return None, None


h = summary(load(sys.argv[1]))
c = summary(load(sys.argv[2]))
peer = json.loads(open(sys.argv[1]).readline())["engine"]
print(f"{'ef':>5} {'peer recall':>12} {'semcache recall':>15} {'peer qps':>10} {'semcache qps':>13} {'ratio':>6}")
for ef in sorted(set(h) & set(c)):
    print(f"{ef:>5} {h[ef]['recall']:>12.4f} {c[ef]['recall']:>15.4f} {h[ef]['qps']:>10.1f} {c[ef]['qps']:>13.1f} {c[ef]['qps'] / h[ef]['qps']:>6.2f}")
hef, hv = at_target(h)
cef, cv = at_target(c)
any_ef = next(iter(h))
print(f"build seconds: {peer} {h[any_ef]['build']:.2f}, semcache {c[any_ef]['build']:.2f} (ratio {peer}/semcache {h[any_ef]['build'] / c[any_ef]['build']:.2f})")
print(f"bytes/vector: {peer} {h[any_ef]['bytes']:.1f} (its level-0 record alone: 1676 at M=16, 384 d), semcache {c[any_ef]['bytes']:.1f}")
if hv and cv:
    print(json.dumps({"peer": peer, "qps_ratio_at_recall_0_95": round(cv["qps"] / hv["qps"], 2),
                      "semcache_ef": cef, "semcache_recall": cv["recall"], "semcache_qps": cv["qps"],
                      "hnswlib_ef": hef, "hnswlib_recall": hv["recall"], "hnswlib_qps": hv["qps"],
                      "semcache_bytes_per_vector": c[any_ef]["bytes"], "hnswlib_bytes_per_vector": h[any_ef]["bytes"]}))
else:
    print("no ef in the sweep reaches recall@10 0.95 for one of the engines; extend --ef")
