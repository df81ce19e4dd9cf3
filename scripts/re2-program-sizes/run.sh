#!/usr/bin/env bash
# Records RE2's real program sizes for the test corpora (test/re2/*.json), which
# test/re2-program-size.test.ts holds src/core/re2/ against. A dev tool: the tests only
# read its output, so CI needs no compiler. Needs g++ and node_modules (npm ci). RE2_PACKAGE: as in build.sh.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
tool="$("$here/build.sh")"
node "$here/record.mjs" "$tool"
