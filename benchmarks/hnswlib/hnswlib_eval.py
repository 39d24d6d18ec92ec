#!/usr/bin/python3
"""hnswlib side of the comparison: same files, metric and output fields as `semcache eval-index`.

Vectors are L2-normalised and indexed in hnswlib's inner-product space, so both engines rank by cosine.
Queries run one at a time on one thread; each ef is timed --repeat times and the fastest pass kept. Two timings:
  queries_per_second         knn_query over all queries with num_threads=1: hnswlib's C++ loop handles them one
                             after another with no Python in between (the figure most favourable to hnswlib, used
                             for the ratio);
  queries_per_second_python  one knn_query call per query, Python call overhead included.
bytes_per_vector is hnswlib's level-0 record (links + vector + label) plus its upper-level link lists, computed from
its layout, plus the measured growth of the process RSS during the build divided by the count (rss_bytes_per_vector).

usage: hnswlib_eval.py BASE.fvecs QUERY.fvecs [--m 16] [--ef-construction 200] [--ef 10,20,40,80,160] [--k 10] [--threads N] [--repeat 3]
"""
import argparse
import json
import math
import os
import time

import hnswlib
import numpy as np


def read_fvecs(path):
    raw = np.fromfile(path, dtype=np.int32)
    d = int(raw[0])
    x = raw.reshape(-1, d + 1)
    if not np.all(x[:, 0] == d):
        raise ValueError(f"{path}: inconsistent dimensions")
    v = x[:, 1:].copy().view(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    return np.ascontiguousarray(v)


def rss_bytes():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("base")
    p.add_argument("query")
    p.add_argument("--m", type=int, default=16)
    p.add_argument("--ef-construction", type=int, default=200)
    p.add_argument("--ef", default="10,20,40,80,160")
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--repeat", type=int, default=3)
    a = p.parse_args()
    efs = [int(e) for e in a.ef.split(",") if e.strip()]

    base = read_fvecs(a.base)
    queries = read_fvecs(a.query)
    n, d = base.shape

    # Exact neighbours by the same metric (dot product of unit vectors), in blocks to bound memory.
    truth = np.empty((len(queries), a.k), dtype=np.int64)
    for s in range(0, len(queries), 100):
        sims = queries[s:s + 100] @ base.T
        top = np.argpartition(-sims, a.k, axis=1)[:, :a.k]
        order = np.argsort(-np.take_along_axis(sims, top, axis=1), axis=1)
        truth[s:s + 100] = np.take_along_axis(top, order, axis=1)

    rss_before = rss_bytes()
    index = hnswlib.Index(space="ip", dim=d)
    index.init_index(max_elements=n, M=a.m, ef_construction=a.ef_construction, random_seed=100)
    index.set_num_threads(a.threads)
    t = time.perf_counter()
    index.add_items(base, np.arange(n), num_threads=a.threads)
    build_seconds = time.perf_counter() - t
    rss_per_vector = (rss_bytes() - rss_before) / n

    # hnswlib layout: level-0 record = links (4 + 2M*4) + vector (4d) + label (8); upper levels M*4+4 per level,
    # expected levels per node 1/(M-1) with mult 1/ln(M); plus the per-node level int, lock and upper pointer.
    level0 = 4 + 2 * a.m * 4 + 4 * d + 8
    upper = (a.m * 4 + 4) / (a.m - 1)
    bytes_per_vector = level0 + upper + 4 + 8 + 40

    for ef in efs:
        index.set_ef(ef)
        index.knn_query(queries[:200], k=a.k, num_threads=1)  # warm-up
        batch_seconds = python_seconds = math.inf
        for _ in range(a.repeat):
            t = time.perf_counter()
            labels, _ = index.knn_query(queries, k=a.k, num_threads=1)
            batch_seconds = min(batch_seconds, time.perf_counter() - t)
            t = time.perf_counter()
            for q in queries:
                index.knn_query(q.reshape(1, -1), k=a.k, num_threads=1)
            python_seconds = min(python_seconds, time.perf_counter() - t)
        found = sum(len(set(labels[i].tolist()) & set(truth[i].tolist())) for i in range(len(queries)))
        print(json.dumps({
            "engine": "hnswlib",
            "ef": ef,
            "k": a.k,
            "recall_at_10": round(found / (len(queries) * a.k), 4),
            "queries_per_second": round(len(queries) / batch_seconds, 1),
            "queries_per_second_python": round(len(queries) / python_seconds, 1),
            "build_seconds": round(build_seconds, 2),
            "bytes_per_vector": round(bytes_per_vector, 1),
            "level0_bytes_per_vector": level0,
            "rss_bytes_per_vector": round(rss_per_vector, 1),
            "m": a.m,
            "ef_construction": a.ef_construction,
            "count": n,
            "dimensions": d,
            "build_threads": a.threads,
        }), flush=True)


if __name__ == "__main__":
    main()
