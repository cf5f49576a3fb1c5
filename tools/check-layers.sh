#!/usr/bin/env bash
# check-layers.sh: the folder tells the layer. Fails when a file includes a
# header of a layer above its own, or when the Kafka-free layers include
# librdkafka or libuv. Run by ctest as `layers`.
#
#   common/   depends on nothing of the project
#   schemas/  common
#   core/     common, schemas            (no librdkafka, no libuv)
#   ops/      common
#   broker/   common
#   producer/ common, schemas, core, consumer
#   consumer/ common, schemas, core, ops, producer
#   cli/      anything
set -euo pipefail
# Usage: check-layers.sh [ROOT]   (default: the source tree holding this script)
cd "${1:-$(dirname "$0")/..}"

declare -A allowed=(
    [common]="common"
    [schemas]="common schemas"
    [core]="common schemas core"
    [ops]="common ops"
    [broker]="common broker"
    [producer]="common schemas core consumer producer"
    [consumer]="common schemas core ops producer consumer"
    [cli]="common schemas core ops broker producer consumer cli"
)
kafka_free="common schemas core"

declare -A owner=()
for dir in "${!allowed[@]}"; do
    for h in "$dir"/*.h; do
        [ -e "$h" ] && owner[$(basename "$h")]=$dir
    done
done

bad=0
for dir in "${!allowed[@]}"; do
    for f in "$dir"/*.c "$dir"/*.h; do
        [ -e "$f" ] || continue
        while IFS=: read -r line inc; do
            name=$(sed -E 's/^#include[[:space:]]*"([^"]+)".*/\1/' <<<"$inc")
            o=${owner[$name]:-}
            [ -z "$o" ] && continue     # generated or system header
            if [[ " ${allowed[$dir]} " != *" $o "* ]]; then
                echo "$f:$line: includes $name from $o/, above $dir/" >&2
                bad=1
            fi
        done < <(grep -n '^#include[[:space:]]*"' "$f" || true)
        if [[ " $kafka_free " == *" $dir "* ]]; then
            if grep -nE '^#include[[:space:]]*<(librdkafka/|uv\.h|uv/)' "$f" >&2; then
                echo "$f: $dir/ must not include librdkafka or libuv" >&2
                bad=1
            fi
        fi
    done
done
[ "$bad" -eq 0 ] && echo "layers: every include points at its own layer or one below"
exit "$bad"
