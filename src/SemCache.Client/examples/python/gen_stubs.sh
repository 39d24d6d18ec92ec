#!/usr/bin/env bash
# Generates Python stubs for the semcache.v1 API with Debian's protoc and gRPC Python plugin:
#   apt-get install -y protobuf-compiler protobuf-compiler-grpc python3-grpcio python3-protobuf
#   src/SemCache.Client/examples/python/gen_stubs.sh [OUT_DIR]      (default: ./semcache_stubs)
# (python3-grpc-tools' bundled protoc 3.5 predates proto3 'optional', so it cannot compile these files.)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
protos="$here/../../Protos"
out="${1:-$here/semcache_stubs}"
mkdir -p "$out"
protoc -I "$protos" \
  --python_out="$out" \
  --grpc_python_out="$out" \
  --plugin=protoc-gen-grpc_python="$(command -v grpc_python_plugin)" \
  semcache/v1/semantic_cache.proto semcache/v1/key_admin.proto
# Make the generated folders importable as packages.
touch "$out/semcache/__init__.py" "$out/semcache/v1/__init__.py"
echo "$out"
