#!/usr/bin/env bash
# Samples the in-process lookup: runs one LookupBenchmarks method in-process (BenchmarkDotNet, MediumRun) and
# attaches dotnet-trace (local tool, `dotnet tool restore`) for 15 s once the workload runs; the trace is
# converted to speedscope JSON for frames.py.
#   benchmarks/profile/profile-lookup.sh OUT_PREFIX ['*LookupBenchmarks.ExactHit'] [SemCache.Benchmarks.dll]
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$1; filter=${2:-'*LookupBenchmarks.ExactHit'}
dll=${3:-benchmarks/SemCache.Benchmarks/bin/Release/net10.0/SemCache.Benchmarks.dll}
[ -f "$dll" ] || dotnet build -c Release benchmarks/SemCache.Benchmarks -v q -nologo >&2
dotnet tool restore >/dev/null
log=$(mktemp); artifacts=$(mktemp -d)
dotnet "$dll" --filter "$filter" --job medium --inProcess --artifacts "$artifacts" >"$log" 2>&1 &
pid=$!
for _ in $(seq 1200); do grep -q WorkloadWarmup "$log" && break; sleep 0.5; done
dotnet dotnet-trace collect -p "$pid" --profile dotnet-sampled-thread-time --duration 00:00:00:15 -o "$out.nettrace" >/dev/null
kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
dotnet dotnet-trace convert --format speedscope "$out.nettrace" -o "$out" >/dev/null
rm -rf "$log" "$artifacts"
echo "$out.speedscope.json"
