#!/bin/bash
# Creates dealstream's topics on the compose cluster (run by the `topics`
# service, from the apache/kafka image). Idempotent: --if-not-exists.
set -euo pipefail

BS=${BOOTSTRAP:-kafka-1:9092,kafka-2:9092,kafka-3:9092}
N=${PARTITIONS:-6}
APP=${APP_ID:-dealstream}
KT=/opt/kafka/bin/kafka-topics.sh

create() { # name partitions [config...]
    local name=$1 parts=$2
    shift 2
    local cfg=(--config min.insync.replicas=2)
    for c in "$@"; do cfg+=(--config "$c"); done
    "$KT" --bootstrap-server "$BS" --create --if-not-exists --topic "$name" \
        --partitions "$parts" --replication-factor 3 "${cfg[@]}"
}

create articles "$N"
create deals "$N"
create "$APP-mentions" "$N"
create deals.canonical "$N" cleanup.policy=compact
create "$APP-state" "$N" cleanup.policy=compact
create articles.dlq 1
create deals.dlq 1
"$KT" --bootstrap-server "$BS" --describe --topic "articles.*|deals.*|$APP-.*"
