#!/usr/bin/env python3
"""Why pooled paraphrase data defeats a cosine threshold: how often the nearest stored prompt is
the right one, what recall and wrong-entry rate each threshold (and a top-2 margin) gives, and how
many stored prompts are near copies of each other.

Usage (embeddings from `semcache embed-file`, one vector per line of the pairs file, in order):
  semcache embed-file --input a.txt --output a.fvecs   # the "a" of every line
  semcache embed-file --input b.txt --output b.fvecs   # the "b" of every line
  python3 benchmarks/data/pooled-ambiguity.py PAIRS.jsonl a.fvecs b.fvecs
Needs numpy (Debian: apt-get install python3-numpy).
"""
import json
import sys

import numpy as np


def load_fvecs(path):
    raw = np.fromfile(path, dtype=np.int32)
    dim = raw[0]
    return raw.reshape(-1, dim + 1)[:, 1:].view(np.float32)


def main(pairs_path, a_path, b_path):
    lines = [json.loads(line) for line in open(pairs_path, encoding="utf-8")]
    a, b = load_fvecs(a_path)[: len(lines)], load_fvecs(b_path)[: len(lines)]

    # Pooled mode stores every distinct "a" once.
    first_line_of = {}
    for i, line in enumerate(lines):
        first_line_of.setdefault(line["a"], i)
    stored = sorted(first_line_of.values())
    slot_of_line = {line_index: slot for slot, line_index in enumerate(stored)}
    own = np.array([slot_of_line[first_line_of[line["a"]]] for line in lines])

    sims = b @ a[stored].T
    best = sims.max(1)
    nearest = sims.argmax(1)
    second = np.sort(sims, 1)[:, -2]
    right = nearest == own
    n = len(lines)
    print(f"lines {n}, stored originals {len(stored)}, nearest original is the right one for {right.mean():.3f}")
    print("threshold margin | recall wrong_entry_rate   (cosine only: serve the nearest when >= threshold and ahead of the second by >= margin)")
    for threshold in (0.95, 0.90, 0.85, 0.80, 0.75, 0.70):
        for margin in (0.0, 0.01, 0.02, 0.05):
            served = (best >= threshold) & (best - second >= margin)
            print(f"{threshold:.2f} {margin:.2f} | {(served & right).sum() / n:.3f} {(served & ~right).sum() / n:.4f}")

    among = a[stored] @ a[stored].T
    np.fill_diagonal(among, 0)
    for bar in (0.95, 0.90):
        print(f"originals with another original at cosine >= {bar}: {(among.max(1) >= bar).sum()} of {len(stored)}")
    wrong = np.where((best >= 0.80) & ~right)[0]
    copies = sum(1 for i in wrong if among[nearest[i], own[i]] >= 0.90)
    print(f"wrong nearest at threshold 0.80: {len(wrong)}, of which {copies} land on an original at cosine >= 0.90 to the right one")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
