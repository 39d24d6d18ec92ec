#!/usr/bin/env python3
"""Deterministic real-text corpus for vector-index benchmarks (standard library only).

Reads the shared labelled data in place (never copies it into the repository):
  paws-dev/pairs.jsonl (a, b), paws-dev/dev.tsv (sentence1, sentence2),
  gptcache-mock/pairs.jsonl (a, b), gptcache-mock/mock_data.json (origin, similar).
Every distinct sentence is kept, and sliding word windows of 6-14 words are cut from each
sentence (one window starting at every word, its length cycling deterministically with the sentence and the
start) so the corpus reaches well over 101,000 distinct lines. Whitespace is collapsed to
single spaces (one text per line), lines are de-duplicated, then shuffled with a fixed seed.

Usage:
  python3 benchmarks/data/make-corpus.py [--data DIR] [--output FILE] [--min-lines N]
Defaults: DIR = <repo>/../shared/data, FILE = corpus.txt in the working directory,
N = 101000 (the script fails if fewer distinct lines come out).
The first 100,000 lines are the base set and the next 1,000 the queries of the MiniLM
.fvecs files (see benchmarks/README.md, "Embedder").
"""
import argparse
import csv
import json
import os
import random
import sys

SEED = 20261128
MIN_WORDS, MAX_WORDS, STRIDE = 6, 14, 1


def repo_root():
    here = os.path.abspath(os.path.dirname(__file__))
    while not os.path.exists(os.path.join(here, "SemCache.sln")):
        parent = os.path.dirname(here)
        if parent == here:
            sys.exit("make-corpus: no SemCache.sln above " + os.path.dirname(__file__))
        here = parent
    return here


def clean(text):
    return " ".join(text.split())


def sentences(data):
    """Source sentences in a fixed order: file by file, line by line, field by field."""
    with open(os.path.join(data, "paws-dev", "pairs.jsonl"), encoding="utf-8") as f:
        for line in f:
            if line.strip():
                row = json.loads(line)
                yield row["a"]
                yield row["b"]
    with open(os.path.join(data, "paws-dev", "dev.tsv"), encoding="utf-8", newline="") as f:
        for row in csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            if len(row) >= 3:
                yield row[1]
                yield row[2]
    with open(os.path.join(data, "gptcache-mock", "pairs.jsonl"), encoding="utf-8") as f:
        for line in f:
            if line.strip():
                row = json.loads(line)
                yield row["a"]
                yield row["b"]
    with open(os.path.join(data, "gptcache-mock", "mock_data.json"), encoding="utf-8") as f:
        for row in json.load(f):
            yield row["origin"]
            yield row["similar"]


def windows(index, words):
    """A window of 6-14 words at every word; the length cycles with sentence and start."""
    span = MAX_WORDS - MIN_WORDS + 1
    for start in range(0, max(0, len(words) - MIN_WORDS + 1), STRIDE):
        length = MIN_WORDS + (index * 7 + start) % span
        length = min(length, len(words) - start)
        if length >= MIN_WORDS and length < len(words):
            yield " ".join(words[start:start + length])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.path.join(repo_root(), "..", "shared", "data"))
    parser.add_argument("--output", default="corpus.txt")
    parser.add_argument("--min-lines", type=int, default=101000)
    args = parser.parse_args()

    seen = set()
    lines = []
    distinct = []
    for text in sentences(args.data):
        text = clean(text)
        if text and text not in seen:
            seen.add(text)
            distinct.append(text)
            lines.append(text)
    for index, text in enumerate(distinct):
        for window in windows(index, text.split(" ")):
            if window not in seen:
                seen.add(window)
                lines.append(window)

    random.Random(SEED).shuffle(lines)
    if len(lines) < args.min_lines:
        sys.exit("make-corpus: only %d distinct lines (need %d)" % (len(lines), args.min_lines))
    with open(args.output, "w", encoding="utf-8", newline="\n") as f:
        for line in lines:
            f.write(line + "\n")
    print(json.dumps({"output": os.path.abspath(args.output), "lines": len(lines),
                      "sentences": len(distinct), "windows": len(lines) - len(distinct), "seed": SEED}))


if __name__ == "__main__":
    main()
