#!/usr/bin/env bash
# Regenerates the public-API baseline (PublicAPI.Shipped.txt / PublicAPI.Unshipped.txt) of every packed library with
# PublicApiAnalyzers, never by hand: its RS0016 code fix records new public members, its RS0017 errors removed ones.
#
#   eng/update-public-api.sh             record what changed since the baseline in PublicAPI.Unshipped.txt
#                                        (the everyday contributor step; review the diff, it is the API change)
#   eng/update-public-api.sh --ship      the same, then fold Unshipped into Shipped (at a release)
#   eng/update-public-api.sh --baseline  rebuild from nothing: the whole current public surface in Shipped,
#                                        Unshipped empty (the first release, or after merges before it)
#
# The projects are those Directory.Build.targets marks with SemCacheTrackPublicApi (packable published libraries).
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

mode=record
case "${1:-}" in
  "") ;;
  --ship) mode=ship ;;
  --baseline) mode=baseline ;;
  -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
  *) echo "unknown argument '$1' (expected --ship, --baseline or nothing)" >&2; exit 2 ;;
esac

header='#nullable enable'
projects=()
for csproj in src/*/*.csproj; do
  if [ "$(dotnet msbuild "$csproj" -getProperty:SemCacheTrackPublicApi)" = "true" ]; then
    projects+=("$csproj")
  fi
done
if [ "${#projects[@]}" -eq 0 ]; then
  echo "no project tracks its public API (SemCacheTrackPublicApi)" >&2
  exit 1
fi

# A new library starts with empty files: the analyzer only checks a project that has them, and the header makes it
# record nullability (RS0037 otherwise).
for csproj in "${projects[@]}"; do
  dir=$(dirname "$csproj")
  for f in PublicAPI.Shipped.txt PublicAPI.Unshipped.txt; do
    if [ "$mode" = baseline ] || [ ! -s "$dir/$f" ]; then printf '%s\n' "$header" > "$dir/$f"; fi
  done
done

# All projects are recorded before anything moves to Shipped: formatting one project loads the projects it
# references too, and a reference's additions must land in that reference's own Unshipped file first.
for csproj in "${projects[@]}"; do
  echo "== $csproj"
  dotnet format analyzers "$csproj" --diagnostics RS0016 RS0017 --severity info
done

# `dotnet format` cannot apply RS0017's fix (the analyzer reports removals on the PublicAPI files at the end of the
# compilation), so removals are taken from the analyzer's own RS0017 errors of a build: a line of Unshipped is dropped,
# a line of Shipped is marked *REMOVED* in Unshipped, as the code fix would do. A failing library stops the build of
# the libraries that reference it, so this repeats until a build reports no more removals.
if [ "$mode" != baseline ]; then
  for round in 1 2 3 4 5; do
    removals=$(for csproj in "${projects[@]}"; do dotnet build "$csproj" -c Release -nologo -clp:NoSummary 2>&1 || true; done |
      sed -n "s/^\(.*\)\/PublicAPI\.\(Shipped\|Unshipped\)\.txt([0-9,]*): error RS0017: Symbol '\(.*\)' is part of the declared API, .*/\1\t\2\t\3/p" |
      sort -u)
    [ -z "$removals" ] && break
    while IFS=$'\t' read -r dir file symbol; do
      if [ "$file" = Unshipped ]; then
        grep -vxF -- "$symbol" "$dir/PublicAPI.Unshipped.txt" > "$dir/PublicAPI.Unshipped.txt.tmp" || true
        mv "$dir/PublicAPI.Unshipped.txt.tmp" "$dir/PublicAPI.Unshipped.txt"
      else
        printf '*REMOVED*%s\n' "$symbol" >> "$dir/PublicAPI.Unshipped.txt"
      fi
    done <<< "$removals"
    if [ "$round" = 5 ]; then echo "removals still reported after $round builds" >&2; exit 1; fi
  done
fi

if [ "$mode" != record ]; then
  for csproj in "${projects[@]}"; do
    dir=$(dirname "$csproj")
    shipped="$dir/PublicAPI.Shipped.txt"
    unshipped="$dir/PublicAPI.Unshipped.txt"
    {
      printf '%s\n' "$header"
      # Shipped plus Unshipped, less the header lines and what Unshipped marks *REMOVED*; ordinal order keeps the
      # file stable whatever the locale.
      awk 'FNR == NR { if (sub(/^\*REMOVED\*/, "")) removed[$0] = 1; next }
           /^#nullable/ || /^\*REMOVED\*/ || /^[[:space:]]*$/ { next }
           !($0 in removed)' "$unshipped" "$shipped" "$unshipped" | LC_ALL=C sort -u
    } > "$shipped.tmp"
    mv "$shipped.tmp" "$shipped"
    printf '%s\n' "$header" > "$unshipped"
  done
fi

git status --short -- 'src/*/PublicAPI.*.txt'
echo "public API files updated ($mode); build to check: dotnet build SemCache.sln -c Release"
