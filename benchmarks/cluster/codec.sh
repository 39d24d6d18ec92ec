#!/usr/bin/env bash
# Issue 17: what encoding one forwarded lookup and its reply costs between silos, Orleans-native surrogates (used
# now) against JSON (used before), alternated in one process. Prints ONE JSON line. Extra arguments go to the
# bench (--dimensions 384 --iterations 20000 --rounds 7).
set -euo pipefail
cd "$(dirname "$0")/../.."
dotnet build benchmarks/cluster/SemCache.ClusterBench -c Release -v quiet -nologo >&2
exec dotnet benchmarks/cluster/SemCache.ClusterBench/bin/Release/net10.0/SemCache.ClusterBench.dll codec "$@"
