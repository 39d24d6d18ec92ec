#!/usr/bin/env bash
# Installs what builds native-kernels/ (cmake and a C compiler) from Debian when missing, so `dotnet build`
# produces libsemcache_kernels. Called by ./test.sh; idempotent. Without root or network it says so and
# returns 0: the build then succeeds without the library and the managed kernels serve.
set -uo pipefail
missing=()
command -v cmake >/dev/null 2>&1 || missing+=(cmake)
{ command -v cc || command -v gcc || command -v clang; } >/dev/null 2>&1 || missing+=(gcc libc6-dev)
command -v make >/dev/null 2>&1 || command -v ninja >/dev/null 2>&1 || missing+=(make)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
if apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
  echo "installed: ${missing[*]}"
else
  echo "native-kernels: could not install ${missing[*]}; the managed kernels will serve" >&2
fi
exit 0
