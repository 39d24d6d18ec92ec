#!/usr/bin/env bash
# Embedder on an NVIDIA GPU: builds the CLI and runs bench-embed with the CUDA execution provider
# (Provider=Cuda: a CUDA session that cannot start is an error, never a silent CPU run), then the
# same benchmark on the CPU of that machine for comparison. Prints one JSON line per run.
#
# Needs: the .NET 10 SDK, an NVIDIA driver, and the CUDA 13 runtime libraries that
# Microsoft.ML.OnnxRuntime.Gpu.Linux 1.31.0 loads (libcudart, libcublas, libcublasLt, libcufft,
# libcurand, and cuDNN 9) on the loader path (LD_LIBRARY_PATH or ldconfig). CI never runs this.
#
# Usage: benchmarks/gpu/embedder.sh [--limit N] [--rounds R] [other bench-embed options]
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v nvidia-smi >/dev/null 2>&1; then
  echo "embedder.sh: no nvidia-smi: this machine has no NVIDIA driver" >&2
  exit 2
fi
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader >&2

# pip-installed CUDA wheels (nvidia-*-cu13) keep their libraries under site-packages/nvidia/*/lib.
for lib in /usr/local/lib/python3*/dist-packages/nvidia/*/lib /usr/lib/python3/dist-packages/nvidia/*/lib \
           "$HOME"/.local/lib/python3*/site-packages/nvidia/*/lib /usr/local/cuda/lib64; do
  if [ -d "$lib" ]; then LD_LIBRARY_PATH="$lib:${LD_LIBRARY_PATH:-}"; fi
done
export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:-}"

dotnet build src/SemCache.Cli -c Release --nologo -v quiet >&2
cli="src/SemCache.Cli/bin/Release/net10.0/semcache.dll"

echo "== cuda" >&2
dotnet "$cli" bench-embed --provider cuda --max-batch 64 "$@"
echo "== cpu (same machine)" >&2
dotnet "$cli" bench-embed --provider cpu "$@"
