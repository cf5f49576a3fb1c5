#!/usr/bin/env bash
# Checks that the configuration table in README.md is what
# `dealstream config-reference` prints, so the documented options cannot
# drift from the table in common/config.c. With --write, replaces the README's table.
#
#   docs/check-readme-config.sh path/to/dealstream [--write]
set -euo pipefail
src="$(cd "$(dirname "$0")/.." && pwd)"
bin=${1:?usage: $0 path/to/dealstream [--write]}
readme="$src/README.md"
want=$("$bin" config-reference)
have=$(awk '/^\| flag \| environment/{f=1} f&&/^$/{exit} f' "$readme")
if [ "${2:-}" = "--write" ]; then
    WANT="$want" python3 - "$readme" <<'PY'
import os, sys
p = sys.argv[1]
lines = open(p).read().split("\n")
start = next(i for i, l in enumerate(lines) if l.startswith("| flag | environment"))
end = start
while end < len(lines) and lines[end] != "":
    end += 1
lines[start:end] = os.environ["WANT"].split("\n")
open(p, "w").write("\n".join(lines))
PY
    echo "README.md: configuration table rewritten"
    exit 0
fi
if [ "$want" != "$have" ]; then
    echo "FAIL: README.md's configuration table differs from 'dealstream config-reference':"
    diff <(echo "$have") <(echo "$want") || true
    echo "(docs/check-readme-config.sh $bin --write rewrites it)"
    exit 1
fi
echo "ok:   README.md's configuration table is config-reference's ($(echo "$want" | wc -l) lines)"
