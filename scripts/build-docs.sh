#!/usr/bin/env bash
# Builds the DocC documentation of Actors, GenServer, Supervision and Redis with the toolchain's
# own `docc` (no package plugin): symbol graphs dumped by SwiftPM into .build-docs, then one
# archive per module in .build-docs/docs/MODULE.doccarchive. Any DocC warning (a broken
# link, an undocumented parameter of a documented function) fails the build.
#
#   scripts/build-docs.sh            # then: docc preview Sources/Actors/Actors.docc ...
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"
scratch="$here/.build-docs"
rm -rf "$scratch/docs"
mkdir -p "$scratch/docs"
# Every public symbol of every module, extracted afresh each time (a build's
# -emit-symbol-graph writes graphs only for the modules it recompiles).
# (It also tries the test runner's modules, which it cannot load: that is not ours to fix,
# so its status is not trusted; the graphs we need are checked below.)
swift package --scratch-path "$scratch" dump-symbol-graph --minimum-access-level public >"$scratch/dump.log" 2>&1 || true
graphs="$(find "$scratch" -maxdepth 2 -type d -name symbolgraph | head -1)"
for module in Actors GenServer Supervision Redis; do
  dir="$scratch/graphs-$module"
  rm -rf "$dir"; mkdir -p "$dir"
  if [ ! -f "$graphs/$module.symbols.json" ]; then
    echo "docs: no symbol graph for $module (see $scratch/dump.log)" >&2
    exit 1
  fi
  cp "$graphs/$module".symbols.json "$dir"/
  cp "$graphs/$module"@*.symbols.json "$dir"/ 2>/dev/null || true
  docc convert "Sources/$module/$module.docc" \
    --additional-symbol-graph-dir "$dir" \
    --fallback-display-name "$module" --fallback-bundle-identifier "org.otter.$module" \
    --output-dir "$scratch/docs/$module.doccarchive" --warnings-as-errors
  echo "docs: $module -> .build-docs/docs/$module.doccarchive"
done
