#!/usr/bin/env bash
# Issue 17: three SemCache cluster processes on loopback under a running load (writers and readers through
# every process), kill -9 of one of them mid-run, then every acknowledged store is asked for through the
# survivors. Prints ONE JSON line: acknowledged_stores, lost_acknowledged, wrong_hits, lookup_errors, lookups
# (plus misses during the run, store_errors, killed_process). Exit 0 when nothing acknowledged was lost and no
# wrong entry was served. Runs in about a minute; extra arguments go to the bench (--before 8 --after 20
# --writers 2 --readers 4).
set -euo pipefail
cd "$(dirname "$0")/../.."
dotnet build benchmarks/cluster/SemCache.ClusterBench -c Release -v quiet -nologo >&2
exec dotnet benchmarks/cluster/SemCache.ClusterBench/bin/Release/net10.0/SemCache.ClusterBench.dll failover "$@"
