#!/usr/bin/env bash
# Builds the DocC documentation of Actors, GenServer and Supervision with the toolchain's
# own `docc` (no package plugin): symbol graphs from a build in .build-docs, then one
# archive per module in .build-docs/docs/MODULE.doccarchive. Any DocC warning (a broken
# link, an undocumented parameter of a documented function) fails the build.
#
#   scripts/build-docs.sh            # then: docc preview Sources/Actors/Actors.docc ...
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"
scratch="$here/.build-docs"
graphs="$scratch/symbol-graphs"
rm -rf "$graphs" "$scratch/docs"
mkdir -p "$graphs" "$scratch/docs"
swift build --scratch-path "$scratch" --target Supervision \
  -Xswiftc -emit-symbol-graph -Xswiftc -emit-symbol-graph-dir -Xswiftc "$graphs" >/dev/null
for module in Actors GenServer Supervision; do
  dir="$scratch/graphs-$module"
  rm -rf "$dir"; mkdir -p "$dir"
  cp "$graphs/$module".symbols.json "$graphs/$module"@*.symbols.json "$dir"/ 2>/dev/null || true
  docc convert "Sources/$module/$module.docc" \
    --additional-symbol-graph-dir "$dir" \
    --fallback-display-name "$module" --fallback-bundle-identifier "org.otter.$module" \
    --output-dir "$scratch/docs/$module.doccarchive" --warnings-as-errors
  echo "docs: $module -> .build-docs/docs/$module.doccarchive"
done
