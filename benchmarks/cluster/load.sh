#!/usr/bin/env bash
# Issue 17: the same lookup load (exact hits, vectors brought by the requests) against one plain server
# process, a one-silo cluster and a three-silo cluster, one after the other in one run. Prints ONE JSON line
# with throughput, p50/p99 and one-at-a-time latency per configuration, the ratios cluster-3 vs single, the
# grain hop's cost and the cost per forwarded call. Extra arguments go to the bench
# (--entries 2000 --clients 32 --duration 10 --sequential 2000). Run it on a quiet machine: all processes
# share its cores, so on one machine a cluster cannot be faster; the figures measure the forwarding overhead.
set -euo pipefail
cd "$(dirname "$0")/../.."
dotnet build benchmarks/cluster/SemCache.ClusterBench -c Release -v quiet -nologo >&2
exec dotnet benchmarks/cluster/SemCache.ClusterBench/bin/Release/net10.0/SemCache.ClusterBench.dll load "$@"
