#!/usr/bin/env bash
# Samples the server under the load generator: starts the Release server as compare-redis.sh does (Durable
# storage, MiniLM loaded, rate limit off), runs semcache-loadtest (exact hits, then semantic hits with a
# supplied vector) and attaches dotnet-trace for 6 s in the middle of each run. Prints the load generator's
# JSON lines (the trace costs throughput: they are not benchmark figures) and the speedscope files.
#   benchmarks/profile/profile-server.sh OUT_PREFIX [clients]
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$1; clients=${2:-32}
grpc_port=50081; http_port=8081
key="profile-key-$(date +%s)"; data=$(mktemp -d)
dotnet build -c Release src/SemCache.Server -v q -nologo >&2
dotnet build -c Release benchmarks/SemCache.LoadTest -v q -nologo >&2
dotnet tool restore >/dev/null
env SEMCACHE_ADMIN_KEY="$key" Logging__LogLevel__Default=Warning dotnet src/SemCache.Server/bin/Release/net10.0/SemCache.Server.dll \
  --data "$data" --grpc-port $grpc_port --http-port $http_port --SemCache:Server:RequestsPerSecondPerKey 0 >/dev/null 2>&1 &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 60); do curl -sf "http://127.0.0.1:$http_port/healthz" >/dev/null && break; sleep 1; done
lt="dotnet benchmarks/SemCache.LoadTest/bin/Release/net10.0/semcache-loadtest.dll --server http://127.0.0.1:$grpc_port --key $key --clients $clients --duration 12 --warmup 3"
for mix in exact semantic-vector; do
  $lt --mix $mix=1 --hit-ratio 1 2>/dev/null &
  lpid=$!
  sleep 8
  dotnet dotnet-trace collect -p $pid --profile dotnet-sampled-thread-time --duration 00:00:00:06 -o "$out-$mix.nettrace" >/dev/null
  wait $lpid
  dotnet dotnet-trace convert --format speedscope "$out-$mix.nettrace" -o "$out-$mix" >/dev/null
  echo "$out-$mix.speedscope.json" >&2
done
