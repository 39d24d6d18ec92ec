#!/usr/bin/env bash
# Runs every test of the solution. This is the README's test command and what CI calls.
# Extra arguments go to `dotnet test` (e.g. --filter "FullyQualifiedName~Vectors").
set -uo pipefail
cd "$(dirname "$0")"
# What the tests need from Debian (headless chromium for the dashboard test, protoc and grpcio for
# the Python client test) is installed when missing.
bash tests/SemCache.Server.Tests/install-test-tools.sh
# cmake and a C compiler, so that the build below also builds native-kernels/ (libsemcache_kernels).
bash native-kernels/install-build-tools.sh
log=$(mktemp)
dotnet test SemCache.sln -c Release "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
# One plain closing line that any reader understands.
passed=$(grep -Eo 'Passed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
failed=$(grep -Eo 'Failed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
skipped=$(grep -Eo 'Skipped: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
rm -f "$log"
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "tests: $passed passed, $failed failed, $skipped skipped"
exit "$rc"
