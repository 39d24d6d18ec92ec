#!/usr/bin/env bash
# Installs what the server tests need from Debian when it is missing: chromium (the dashboard is
# tested in a real headless browser) and protoc with the gRPC Python plugin, grpcio and protobuf
# (a Python client written without the .NET client must work). Called by .ci/run; idempotent.
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v protoc >/dev/null 2>&1 || missing+=(protobuf-compiler)
command -v grpc_python_plugin >/dev/null 2>&1 || missing+=(protobuf-compiler-grpc)
# The well-known types (google/protobuf/duration.proto...) that the .proto imports come with
# libprotobuf-dev, which protobuf-compiler only recommends: --no-install-recommends leaves it out.
[ -f /usr/include/google/protobuf/duration.proto ] || missing+=(libprotobuf-dev)
/usr/bin/python3 -c 'import grpc' >/dev/null 2>&1 || missing+=(python3-grpcio)
/usr/bin/python3 -c 'import google.protobuf' >/dev/null 2>&1 || missing+=(python3-protobuf)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "installed: ${missing[*]}"
