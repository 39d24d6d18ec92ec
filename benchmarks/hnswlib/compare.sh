#!/usr/bin/env bash
# Side-by-side: hnswlib and `semcache eval-index` on the same .fvecs files, back to back in one run, same
# parameters (M, efConstruction, ef sweep, k, build threads), same metric (cosine: unit vectors, inner product).
# Two hnswlib peers:
#   hnswlib         Debian's python3-hnswlib binary (built for generic x86-64: SSE kernels only), via hnswlib_eval.py;
#   hnswlib-native  the same hnswlib 0.6.2 headers (libhnswlib-dev) compiled here with -O3 -march=native (AVX-512),
#                   via hnswlib_native.cpp: the strongest hnswlib this machine can run.
# Prints every JSON line per ef, then the single-thread QPS ratio at recall@10 >= 0.95 against each peer.
#
# usage: benchmarks/hnswlib/compare.sh BASE.fvecs QUERY.fvecs [--m 16] [--ef-construction 200] [--ef 10,20,40,80,160] [--k 10] [--threads N] [--repeat 3]
#   --repeat n times each ef n times per peer and keeps the fastest pass; ROUNDS=n repeats both peers n times (alternating) to expose noise on a shared machine.
#   PEERS="native python" chooses the hnswlib peers (default both).
#   ENCODINGS="float32 int8 binary" also measures SemCache's quantised encodings (eval-index --encoding; default float32).
# needs: apt-get install -y python3-hnswlib python3-numpy libhnswlib-dev g++   (Debian's /usr/bin/python3)
set -euo pipefail

if [[ $# -lt 2 ]]; then
  sed -n '2,/^set -euo/p' "$0" | grep '^#'
  exit 2
fi

base=$1
query=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
python=/usr/bin/python3
rounds=${ROUNDS:-1}
peers=${PEERS:-native python}
encodings=${ENCODINGS:-float32}

# The same option names reach every peer; the native binary takes them positionally.
m=16 efc=200 efs=10,20,40,80,160 k=10 threads=$(nproc) repeat=3
args=("$@")
for ((i = 0; i < ${#args[@]}; i += 2)); do
  case ${args[i]} in
    --m) m=${args[i + 1]} ;;
    --ef-construction) efc=${args[i + 1]} ;;
    --ef) efs=${args[i + 1]} ;;
    --k) k=${args[i + 1]} ;;
    --threads) threads=${args[i + 1]} ;;
    --repeat) repeat=${args[i + 1]} ;;
    *) echo "unknown option ${args[i]}" >&2; exit 2 ;;
  esac
done

dotnet build -c Release "$repo/src/SemCache.Cli/SemCache.Cli.csproj" --nologo -v q >&2
semcache="$repo/src/SemCache.Cli/bin/Release/net10.0/semcache"

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
if [[ $peers == *native* ]]; then
  g++ -O3 -march=native -std=c++17 -pthread -o "$out/hnswlib_native" "$here/hnswlib_native.cpp"
fi

for ((r = 1; r <= rounds; r++)); do
  if [[ $peers == *native* ]]; then
    echo "round $r/$rounds: hnswlib-native" >&2
    "$out/hnswlib_native" "$base" "$query" "$m" "$efc" "$efs" "$k" "$threads" "$repeat" | tee -a "$out/hnswlib-native.jsonl"
  fi
  if [[ $peers == *python* ]]; then
    echo "round $r/$rounds: hnswlib (python3-hnswlib)" >&2
    "$python" "$here/hnswlib_eval.py" "$base" "$query" "$@" | tee -a "$out/hnswlib.jsonl"
  fi
  for encoding in $encodings; do
    name=semcache; [[ $encoding == float32 ]] || name=semcache-$encoding
    echo "round $r/$rounds: $name" >&2
    "$semcache" eval-index --base "$base" --query "$query" --encoding "$encoding" "$@" | tee -a "$out/$name.jsonl"
  done
done

for encoding in $encodings; do
  name=semcache; [[ $encoding == float32 ]] || name=semcache-$encoding
  for peer in hnswlib-native hnswlib; do
    if [[ -f $out/$peer.jsonl ]]; then
      echo "== $name vs $peer"
      "$python" "$here/summarize.py" "$out/$peer.jsonl" "$out/$name.jsonl"
    fi
  done
done
