#!/usr/bin/env bash
# Renders docs/dealstream.1 and fails on any troff warning; then reports
# (without failing) commands and flags of the binary the page does not name,
# so the page can be brought up to date.
#
#   docs/check-man.sh [path/to/dealstream]
set -euo pipefail
page="$(cd "$(dirname "$0")" && pwd)/dealstream.1"
bin=${1:-}

if ! command -v groff >/dev/null; then
    echo "docs/check-man.sh: groff is missing (apt-get install groff-base)" >&2
    exit 1
fi
warn=$(groff -man -Tutf8 -ww -z "$page" 2>&1 || true)
if [ -n "$warn" ]; then
    echo "FAIL: groff warnings:"
    echo "$warn"
    exit 1
fi
echo "ok:   groff -man renders without warnings"
if command -v man >/dev/null; then
    out=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null || true)
    if [ -n "$out" ]; then
        echo "FAIL: man -l warnings:"
        echo "$out"
        exit 1
    fi
    echo "ok:   man -l renders without warnings"
fi
text=$(groff -man -Tutf8 -P-c -P-b -P-u "$page" 2>/dev/null)
for s in NAME SYNOPSIS DESCRIPTION COMMANDS OPTIONS ENVIRONMENT "EXIT STATUS" EXAMPLES; do
    if ! grep -q "^$s" <<<"$text"; then
        echo "FAIL: no $s section"
        exit 1
    fi
done
echo "ok:   sections present"

if [ -n "$bin" ] && [ -x "$bin" ]; then
    for c in $("$bin" --help | awk '/^Commands:/{f=1;next} f&&/^  [a-z]/{print $1} /^$/{if(f)f=2}'); do
        grep -q -- "^       $c\b" <<<"$text" || echo "note: command '$c' is not described in the man page"
    done
    for f in $("$bin" config-reference | grep -o '`--[a-z-]*`' | tr -d '`'); do
        grep -q -- "$f" <<<"$text" || echo "note: option $f is not described in the man page"
    done
fi
exit 0
