#!/usr/bin/env bash
# semcache store of a plain and two crafted prompts, interleaved, each into a fresh data directory.
# Issue 15: prompt analysis must cost a crafted prompt no more than a plain one of the same length.
# Usage: benchmarks/store-crafted-prompts.sh src/SemCache.Cli/bin/Release/net10.0/semcache.dll [rounds]
# Prints, per prompt, CPU seconds (user + system) / wall seconds of each `semcache store` process.
set -euo pipefail
cli=$1; rounds=${2:-5}
plain=$(python3 -c "s='the quick brown fox jumps over the lazy dog while a small cat sleeps near the warm window. '; print((s*200)[:16000])")
quotes=$(python3 -c "print('\u2018'*16000)")
caps=$(python3 -c "print('AB '*5400)")
for r in $(seq "$rounds"); do
  for name in plain quotes caps; do
    dir=$(mktemp -d)
    # CPU seconds (user + system) of the process: what the prompt costs, whatever share of the
    # shared machine the process got; wall seconds beside it.
    TIMEFORMAT='%U %S %R'
    t=$( { time dotnet "$cli" store --data "$dir" --model m --prompt "${!name}" --response r > /dev/null; } 2>&1 )
    echo "$name $(echo "$t" | awk '{printf "%.2f/%.2f", $1 + $2, $3}')"
    rm -rf "$dir"
  done
done | awk '{t[$1]=t[$1]" "$2} END {for (k in t) print k" (cpu/wall s):"t[k]}'
