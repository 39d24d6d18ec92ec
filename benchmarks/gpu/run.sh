#!/usr/bin/env bash
# The prepared GPU check of issue 10. Builds once, then prints one JSON line per figure on stdout
# (progress and build output go to stderr):
#   {"figure":"ilgpu_similarity",...}  Q = 1, 64, 1024 queries over N = 1M x 384: ILGPU on CUDA
#                                      (queries/s, TFLOP/s, GB/s) and the engine's CPU exact scan in
#                                      the same run, with a check that both found the same top-k;
#   {"figure":"bench_embed",...}       `semcache bench-embed --provider cuda` (sequential,
#                                      concurrent16, raw batch 64), then the same on this machine's CPU;
#   {"figure":"embedder_parity",...}   the CUDA embedder against the CPU one on 1,000 sentences;
#   {"figure":"total",...}             wall time of the whole check (goal: under 8 minutes).
# A step that cannot run prints {"figure":...,"error":...} and the check goes on.
#
# Needs: an NVIDIA driver (libcuda; ILGPU compiles its own PTX, no CUDA toolkit needed) and either
#   - the .NET 10 SDK with NuGet access or a package cache that holds the solution's packages
#     (everything runs), or
#   - no SDK: a bundle made beforehand on a machine that has one with `benchmarks/gpu/run.sh --prepare`
#     (artifacts/gpu-check.tar.xz: a .NET runtime and the similarity benchmark, 27 MB; artifacts/
#     is git-ignored, so a tool that ships the working tree must be told to carry that file).
#     The embedder steps then print an error line: the CUDA embedder needs ONNX Runtime's CUDA
#     provider (libonnxruntime_providers_cuda.so, 284 MB, from the NuGet package
#     Microsoft.ML.OnnxRuntime.Gpu.Linux 1.31.0) and the CUDA 13 runtime with cuDNN 9 on the loader path.
#
# Sizes come from the environment; --small sets the dry-run sizes used on machines without a GPU:
#   GPU_CHECK_ROWS (1000000) GPU_CHECK_DIMS (384) GPU_CHECK_QUERIES (1,64,1024) GPU_CHECK_SECONDS (3)
#   GPU_CHECK_CPU_QUERIES (256: the CPU scan is timed and checked on at most this many queries)
#   GPU_CHECK_ACCELERATOR (cuda | auto | ilgpu-cpu)   GPU_CHECK_ENCODING (full | half | "full half")
#   GPU_CHECK_EMBED_PROVIDER (cuda | cpu)
#   GPU_CHECK_EMBED_LIMIT (1024) GPU_CHECK_EMBED_ROUNDS (3) GPU_CHECK_PARITY_SENTENCES (1000)
#   GPU_CHECK_OUT (a file that also receives the JSON lines)
#   GPU_CHECK_NO_SDK=1 (ignore an installed SDK: tries the bundle path on a machine that has one)
#
# Usage: benchmarks/gpu/run.sh [--small] | --prepare
set -uo pipefail
cd "$(dirname "$0")/../.."
started=$(date +%s)

if [ "${1:-}" = "--small" ]; then
  : "${GPU_CHECK_ROWS:=2000}" "${GPU_CHECK_DIMS:=384}" "${GPU_CHECK_QUERIES:=1,4,16}" "${GPU_CHECK_SECONDS:=0}"
  : "${GPU_CHECK_ACCELERATOR:=ilgpu-cpu}" "${GPU_CHECK_EMBED_PROVIDER:=cpu}" "${GPU_CHECK_EMBED_LIMIT:=64}"
  : "${GPU_CHECK_EMBED_ROUNDS:=1}" "${GPU_CHECK_PARITY_SENTENCES:=64}"
fi
rows=${GPU_CHECK_ROWS:-1000000}; dims=${GPU_CHECK_DIMS:-384}; queries=${GPU_CHECK_QUERIES:-1,64,1024}
seconds=${GPU_CHECK_SECONDS:-3}; cpu_queries=${GPU_CHECK_CPU_QUERIES:-256}; accelerator=${GPU_CHECK_ACCELERATOR:-cuda}
encodings=${GPU_CHECK_ENCODING:-full}; embed_provider=${GPU_CHECK_EMBED_PROVIDER:-cuda}; embed_limit=${GPU_CHECK_EMBED_LIMIT:-1024}
embed_rounds=${GPU_CHECK_EMBED_ROUNDS:-3}; parity_sentences=${GPU_CHECK_PARITY_SENTENCES:-1000}

emit() { # one JSON line to stdout (and GPU_CHECK_OUT)
  echo "$1"
  if [ -n "${GPU_CHECK_OUT:-}" ]; then echo "$1" >>"$GPU_CHECK_OUT"; fi
}
error_line() { # figure, message
  local message=${2//\\/\\\\}; message=${message//\"/\\\"}; message=$(printf '%s' "$message" | tr '\n' ' ')
  emit "{\"figure\":\"$1\",\"error\":\"$message\"}"
}

if [ "${1:-}" = "--prepare" ]; then
  # A bundle for a GPU machine without the .NET SDK: the similarity benchmark and a copy of this
  # machine's .NET runtime (linux-x64). The embedder cannot be bundled (see above).
  set -e
  dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
  runtime=$(ls -d "$dotnet_root"/shared/Microsoft.NETCore.App/10.* | sort -V | tail -1)
  rm -rf artifacts/gpu-check && mkdir -p artifacts/gpu-check/dotnet/shared/Microsoft.NETCore.App
  dotnet publish benchmarks/gpu/SemCache.GpuBench -c Release -o artifacts/gpu-check/bench --nologo -v quiet >&2
  cp -a "$dotnet_root/dotnet" "$dotnet_root/host" artifacts/gpu-check/dotnet/
  cp -a "$runtime" artifacts/gpu-check/dotnet/shared/Microsoft.NETCore.App/
  tar -C artifacts -cJf artifacts/gpu-check.tar.xz gpu-check
  echo "run.sh --prepare: artifacts/gpu-check.tar.xz ($(du -h artifacts/gpu-check.tar.xz | cut -f1)); carry it with the repository" >&2
  exit 0
fi

# --- the .NET to run with ------------------------------------------------------------------
dotnet_bin=""
for candidate in "$(command -v dotnet || true)" "${DOTNET_ROOT:-/nonexistent}/dotnet" "$HOME/.dotnet/dotnet"; do
  if [ -n "$candidate" ] && [ -x "$candidate" ]; then dotnet_bin=$candidate; break; fi
done
has_sdk=0
if [ -n "$dotnet_bin" ] && [ -z "${GPU_CHECK_NO_SDK:-}" ] && "$dotnet_bin" --list-sdks 2>/dev/null | grep -q '^10\.'; then has_sdk=1; fi
bundle=""
if [ "$has_sdk" -eq 0 ] && [ -f artifacts/gpu-check.tar.xz ]; then
  bundle=$(mktemp -d)
  tar -C "$bundle" -xJf artifacts/gpu-check.tar.xz
  dotnet_bin="$bundle/gpu-check/dotnet/dotnet"
  export DOTNET_ROOT="$bundle/gpu-check/dotnet"
fi
if [ "$has_sdk" -eq 0 ] && [ -z "$bundle" ]; then
  error_line setup "no .NET 10 SDK on this machine and no artifacts/gpu-check.tar.xz: install the SDK, or run benchmarks/gpu/run.sh --prepare on a machine that has one and carry the bundle"
  exit 3
fi

if command -v nvidia-smi >/dev/null 2>&1; then
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader >&2
else
  echo "run.sh: no nvidia-smi on this machine" >&2
fi

# pip-installed CUDA wheels (nvidia-*-cu13) keep their libraries under site-packages/nvidia/*/lib.
for lib in /usr/local/lib/python3*/dist-packages/nvidia/*/lib /usr/lib/python3/dist-packages/nvidia/*/lib \
           /opt/*/.venv/lib/python3*/site-packages/nvidia/*/lib "$HOME"/.local/lib/python3*/site-packages/nvidia/*/lib \
           /usr/local/cuda/lib64; do
  if [ -d "$lib" ]; then LD_LIBRARY_PATH="$lib:${LD_LIBRARY_PATH:-}"; fi
done
export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:-}"

# --- build once ---------------------------------------------------------------------------
cli=""
if [ "$has_sdk" -eq 1 ]; then
  echo "run.sh: building" >&2
  if ! "$dotnet_bin" build benchmarks/gpu/SemCache.GpuBench -c Release --nologo -v quiet >&2 \
     || ! "$dotnet_bin" build src/SemCache.Cli -c Release --nologo -v quiet >&2; then
    error_line build "dotnet build failed (see stderr)"
    exit 4
  fi
  bench="benchmarks/gpu/SemCache.GpuBench/bin/Release/net10.0/SemCache.GpuBench.dll"
  cli="src/SemCache.Cli/bin/Release/net10.0/semcache.dll"
else
  bench="$bundle/gpu-check/bench/SemCache.GpuBench.dll"
fi
work=$(mktemp -d)
trap 'rm -rf "$work" ${bundle:+"$bundle"}' EXIT

# --- ILGPU similarity against the CPU exact scan --------------------------------------------
for encoding in $encodings; do
  echo "run.sh: similarity, N=$rows x $dims, Q=$queries, accelerator $accelerator, encoding $encoding" >&2
  if ! "$dotnet_bin" "$bench" similarity --rows "$rows" --dims "$dims" --queries "$queries" --seconds "$seconds" \
       --cpu-queries "$cpu_queries" --accelerator "$accelerator" --encoding "$encoding" >"$work/similarity.jsonl" 2>"$work/similarity.err"; then
    cat "$work/similarity.err" >&2
    error_line ilgpu_similarity "$encoding: $(tail -5 "$work/similarity.err")"
  fi
  while IFS= read -r line; do emit "$line"; done <"$work/similarity.jsonl"
done

# --- the embedder: bench-embed on CUDA and on this CPU, then parity ------------------------
"$dotnet_bin" "$bench" sentences --count "$parity_sentences" --output "$work/sentences.txt"
pairs="../shared/data/paws-dev/pairs.jsonl"
if [ ! -f "$pairs" ]; then pairs="$work/sentences.txt.pairs.jsonl"; fi
if [ -z "$cli" ]; then
  for figure in bench_embed embedder_parity; do
    error_line "$figure" "skipped: the CUDA embedder needs the .NET SDK with NuGet (Microsoft.ML.OnnxRuntime.Gpu.Linux 1.31.0 brings the 284 MB CUDA provider), which this machine lacks"
  done
else
  providers=$embed_provider
  if [ "$embed_provider" != cpu ]; then providers="$providers cpu"; fi
  for provider in $providers; do
    echo "run.sh: bench-embed --provider $provider" >&2
    if "$dotnet_bin" "$cli" bench-embed --provider "$provider" --max-batch 64 --limit "$embed_limit" --rounds "$embed_rounds" \
         --pairs "$pairs" >"$work/embed.json" 2>"$work/embed.err"; then
      emit "$(sed 's/^{/{"figure":"bench_embed",/' "$work/embed.json")"
    else
      cat "$work/embed.err" >&2
      error_line bench_embed "provider $provider: $(tail -3 "$work/embed.err")"
    fi
  done

  echo "run.sh: parity of the $embed_provider and cpu embedders on $parity_sentences sentences" >&2
  if "$dotnet_bin" "$cli" embed-file --input "$work/sentences.txt" --output "$work/a.fvecs" --provider "$embed_provider" >&2 2>"$work/parity.err" \
     && "$dotnet_bin" "$cli" embed-file --input "$work/sentences.txt" --output "$work/b.fvecs" --provider cpu >&2 2>>"$work/parity.err"; then
    emit "$("$dotnet_bin" "$bench" parity "$work/a.fvecs" "$work/b.fvecs" --label "${embed_provider}_vs_cpu")"
  else
    cat "$work/parity.err" >&2
    error_line embedder_parity "$(tail -3 "$work/parity.err")"
  fi
fi

emit "{\"figure\":\"total\",\"seconds\":$(( $(date +%s) - started ))}"
