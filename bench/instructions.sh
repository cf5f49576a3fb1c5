#!/usr/bin/env bash
# instructions.sh: the processor's instructions per deal event on its loop
# thread, counted by callgrind, so that the figure does not move with the
# load of the machine as wall-clock rates do.
#
#   bench/instructions.sh [-n N] [--build DIR] [--guarantee exactly-once|at-least-once] [--keep DIR]
#
# Starts an embedded broker (`dealstream broker -p 4`, a process of its own),
# fills it with N deal events (`bench_kafka gen`, default 20,000), runs
# `dealstream run -e` over them under `valgrind --tool=callgrind
# --separate-threads=yes`, and prints, per deal event, the loop thread's
# instructions in `process` (decode, normalise and produce the mention; queue
# the mention read back for resolution), in `run_resolve_apply` (the
# resolved mention's canonical records queued to the producer) and in
# `run_flush_dirty` (the changelog records, written when a batch closes),
# then the stages inside them, and the resolution worker's in
# `resolve_one` (decode the mention, resolve it, encode the records; a
# thread of libuv's pool). DIR defaults to build-rel (a Release build: ./bench/run.sh
# makes one, or cmake -B build-rel -DCMAKE_BUILD_TYPE=Release). Which
# intermediate revisions are written depends on where batches end, which
# depends on timing, so two runs of one binary differ by about 1%. --keep
# keeps the callgrind files in DIR. Needs valgrind.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$ROOT/build-rel
N=20000
G=exactly-once
KEEP=
while [ $# -gt 0 ]; do
    case $1 in
    -n) N=$2; shift 2 ;;
    --build) BUILD=$2; shift 2 ;;
    --guarantee) G=$2; shift 2 ;;
    --keep) KEEP=$2; shift 2 ;;
    -h|--help) sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench/instructions.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
DS=$BUILD/dealstream
BK=$BUILD/bench/bench_kafka
[ -x "$DS" ] && [ -x "$BK" ] || { echo "bench/instructions.sh: no $DS or $BK (build them first)" >&2; exit 1; }
command -v valgrind >/dev/null || { echo "bench/instructions.sh: valgrind is not installed" >&2; exit 1; }

TMP=$(mktemp -d /tmp/dealstream-instr.XXXXXX)
BROKER_PID=
cleanup() {
    [ -z "$BROKER_PID" ] || { kill "$BROKER_PID" 2>/dev/null || true; wait "$BROKER_PID" 2>/dev/null || true; }
    if [ -n "$KEEP" ]; then mkdir -p "$KEEP" && cp "$TMP"/cg.out* "$TMP"/run.log "$KEEP"/ 2>/dev/null || true; fi
    rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

"$DS" broker -p 4 > "$TMP/addr" 2> "$TMP/broker.log" &
BROKER_PID=$!
for _ in $(seq 100); do [ -s "$TMP/addr" ] && break; sleep 0.1; done
[ -s "$TMP/addr" ] || { echo "bench/instructions.sh: the broker did not start" >&2; exit 1; }
BS=$(head -n1 "$TMP/addr")
"$BK" gen -b "$BS" --type deal -n "$N" > /dev/null 2>&1

valgrind --tool=callgrind --separate-threads=yes --callgrind-out-file="$TMP/cg.out" \
    "$DS" run -b "$BS" -e --guarantee "$G" --http-listen off --app-id instr 2> "$TMP/run.log"
grep 'run: consumed' "$TMP/run.log" | sed 's/.*run: /run: /'

# the loop thread is the process's first thread
main=$(ls "$TMP"/cg.out*-01 | head -n1)
callgrind_annotate --inclusive=yes "$main" 2>/dev/null > "$TMP/incl.txt"
per_event() { # function
    awk -v f="$1" -v n="$N" '$0 ~ ":" f " \\[" { gsub(",", "", $1); printf "%9.0f", $1 / n; exit }' "$TMP/incl.txt"
}
echo "instructions per deal event on the loop thread ($N deal events, $G; callgrind):"
for f in process run_resolve_apply run_flush_dirty ds_pipeline_mentions ds_pipeline_encode_mention \
         rd_kafka_topic_partition_list_find ds_state_write_block ds_publish_rkt; do
    printf '  %-34s %s\n' "$f" "$(per_event "$f")"
done
# the resolution worker: the pool threads that ran resolve_one (libuv
# hands each job to whichever of its threads is free), summed
: > "$TMP/workers.txt"
for t in "$TMP"/cg.out-*; do
    [ "$t" = "$main" ] && continue
    callgrind_annotate --inclusive=yes "$t" 2>/dev/null >> "$TMP/workers.txt" || true
done
echo "on the resolution worker (libuv's pool threads, summed):"
for f in resolve_one ds_pipeline_decode_mention ds_resolver_add ds_pipeline_emit_changes; do
    printf '  %-34s %9.0f\n' "$f" "$(awk -v f="$f" -v n="$N" '$0 ~ ":" f " \\[" { gsub(",", "", $1); s += $1 }
                                     END { print s / n }' "$TMP/workers.txt")"
done
