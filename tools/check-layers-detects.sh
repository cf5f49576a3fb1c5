#!/usr/bin/env bash
# check-layers-detects.sh: proves check-layers.sh fails on the two kinds of
# break it exists for, in a scratch copy of the layered folders.
set -euo pipefail
src="$(cd "$(dirname "$0")/.." && pwd)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
expect_fail() {  # $1: what was broken; stdin of check's stderr is captured
    local out
    if out=$("$src/tools/check-layers.sh" "$tmp" 2>&1); then
        echo "not detected: $1" >&2; exit 1
    fi
    grep -q "$2" <<<"$out" || { echo "wrong message for $1: $out" >&2; exit 1; }
    echo "detected: $1"
}
fresh() { rm -rf "$tmp"/*; for d in common schemas core ops broker producer consumer cli; do cp -r "$src/$d" "$tmp/"; done; }
fresh
"$src/tools/check-layers.sh" "$tmp" >/dev/null
sed -i '0,/^#include/s//#include <librdkafka\/rdkafka.h>\n#include/' "$tmp/core/extract.c"
expect_fail "librdkafka in core/" "core/ must not include librdkafka or libuv"
fresh
sed -i '0,/^#include/s//#include "kafka.h"\n#include/' "$tmp/common/util.c"
expect_fail "common/ including consumer/" "includes kafka.h from consumer/, above common/"
