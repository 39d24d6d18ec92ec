#!/usr/bin/python3
"""Writes a fixed-seed clustered base/query pair of .fvecs files (synthetic stand-in for sentence embeddings).

usage: make_clustered.py OUT_DIR [COUNT] [QUERIES] [DIMS] [CLUSTERS]
"""
import os
import sys

import numpy as np


def write_fvecs(path, x):
    x = np.ascontiguousarray(x, dtype=np.float32)
    n, d = x.shape
    out = np.empty((n, d + 1), dtype=np.float32)
    out[:, 0] = np.array([d], dtype=np.int32).view(np.float32)[0]
    out[:, 1:] = x
    out.tofile(path)


def main():
    out_dir = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    queries = int(sys.argv[3]) if len(sys.argv) > 3 else 1_000
    dims = int(sys.argv[4]) if len(sys.argv) > 4 else 384
    clusters = int(sys.argv[5]) if len(sys.argv) > 5 else 1_000
    rng = np.random.default_rng(1234)
    centres = rng.standard_normal((clusters, dims)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    total = count + queries
    x = centres[rng.integers(0, clusters, total)] + rng.standard_normal((total, dims)).astype(np.float32) / np.sqrt(dims)
    os.makedirs(out_dir, exist_ok=True)
    write_fvecs(os.path.join(out_dir, "clustered-base.fvecs"), x[:count])
    write_fvecs(os.path.join(out_dir, "clustered-query.fvecs"), x[count:])


if __name__ == "__main__":
    main()
