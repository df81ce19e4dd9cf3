#!/usr/bin/env bash
# Builds program-size (a dev tool, never run by the tests) against the RE2 and abseil sources the npm
# package re2 vendors: the source list and flags are read from its binding.gyp, minus the addon's own
# lib/*.cc. RE2_PACKAGE picks another unpacked re2 package (default: node_modules/re2), e.g. one that
# vendors the RE2 release an Envoy version builds with. Objects go to scripts/re2-program-sizes/build/
# (ignored by git); the path of the program is printed.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
pkg="${RE2_PACKAGE:-$here/../../node_modules/re2}"
out="$here/build/$(node -p 'require(process.argv[1]).version' "$pkg/package.json")"
[ -f "$pkg/binding.gyp" ] || { echo "build.sh: $pkg/binding.gyp is missing: run npm ci first" >&2; exit 1; }
mkdir -p "$out"

# binding.gyp is JSON with trailing commas: node reads the first "sources" list (Linux) from it.
sources="$(node -e '
  const text = require("fs").readFileSync(process.argv[1], "utf8").replace(/,(\s*[\]}])/g, "$1");
  const target = JSON.parse(text).targets[0];
  console.log(target.sources.filter((s) => s.startsWith("vendor/")).join("\n"));
' "$pkg/binding.gyp")"

flags=(-std=c++2a -O2 -DNDEBUG -DNOMINMAX -pthread -w -I"$pkg/vendor/re2" -I"$pkg/vendor/abseil-cpp")
objects=()
pids=()
for src in $sources; do
  obj="$out/$(echo "$src" | tr '/' '_').o"
  objects+=("$obj")
  if [ ! -f "$obj" ] || [ "$pkg/$src" -nt "$obj" ]; then
    g++ "${flags[@]}" -c "$pkg/$src" -o "$obj" &
    pids+=($!)
    if [ "${#pids[@]}" -ge "$(nproc)" ]; then wait "${pids[0]}"; pids=("${pids[@]:1}"); fi
  fi
done
for pid in "${pids[@]}"; do wait "$pid"; done
g++ "${flags[@]}" "$here/program-size.cc" "${objects[@]}" -o "$out/program-size"
echo "$out/program-size"
