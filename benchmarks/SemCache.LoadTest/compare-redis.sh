#!/usr/bin/env bash
# Exact-hit and vector-semantic lookup throughput of the SemCache server next to redis GET, in one run
# on this machine: redis-server + redis-benchmark (Debian), then the SemCache server (Release) + this
# load generator with the same number of concurrent clients. Prints one JSON line per measurement.
#   benchmarks/SemCache.LoadTest/compare-redis.sh [clients] [seconds]
set -euo pipefail
cd "$(dirname "$0")/../.."
clients=${1:-64}
seconds=${2:-10}
redis_port=6390
grpc_port=50071
http_port=8071
key="loadtest-admin-key-$(date +%s)"
data=$(mktemp -d)
cleanup() {
  [ -n "${server_pid:-}" ] && kill -TERM "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  redis-cli -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true
  rm -rf "$data"
}
trap cleanup EXIT

command -v redis-server >/dev/null || { echo "redis-server missing: apt-get install -y redis-server redis-tools" >&2; exit 2; }
# dotnet build takes one project per call.
dotnet build -c Release src/SemCache.Server -v q -nologo >&2
dotnet build -c Release benchmarks/SemCache.LoadTest -v q -nologo >&2

# 1. redis GET, measured before and after the SemCache runs: the machine is shared, so the two
#    redis figures show how much the background moved while SemCache was measured.
redis-server --port "$redis_port" --save "" --appendonly no --daemonize yes >/dev/null
sleep 0.5
redis-cli -p "$redis_port" set key:000000000000 "answer" >/dev/null
redis_get() {
  redis-benchmark -p "$redis_port" -t get -n $((clients * 5000)) -c "$clients" --csv | grep '"GET"' | tr -d '"' |
    awk -F, -v c="$clients" -v w="$1" '{printf "{\"system\":\"redis GET (%s)\",\"clients\":%s,\"throughput\":%s,\"p50Ms\":%s,\"p99Ms\":%s}\n", w, c, $2, $5, $7}'
}
redis_get before

# 2. SemCache server, same machine, same client count
env SEMCACHE_ADMIN_KEY="$key" Logging__LogLevel__Default=Warning ${SERVER_ENV:-} \
  dotnet src/SemCache.Server/bin/Release/net10.0/SemCache.Server.dll \
  --data "$data" --grpc-port "$grpc_port" --http-port "$http_port" \
  --SemCache:Server:RequestsPerSecondPerKey 0 >&2 &
server_pid=$!
for _ in $(seq 60); do curl -sf "http://127.0.0.1:$http_port/healthz" >/dev/null && break; sleep 1; done
loadtest="dotnet benchmarks/SemCache.LoadTest/bin/Release/net10.0/semcache-loadtest.dll --server http://127.0.0.1:$grpc_port --key $key --clients $clients --duration $seconds --warmup 3"
$loadtest --mix exact=1 --hit-ratio 1 | sed 's/^{/{"system":"semcache exact hit",/'
$loadtest --mix semantic-vector=1 --hit-ratio 1 | sed 's/^{/{"system":"semcache semantic (vector)",/'
redis_get after
