#!/bin/sh
# bench/run.sh: the processor benchmark on the embedded broker.
#
#   ./bench/run.sh [--deals N] [--articles N] [--replay N] [--rate R] [--seconds S]
#                  [--runs K] [--json FILE] [--no-build] [-X key=value ...]
#                  [--vary-buyers] [--only deals|articles|latency|replay]
#
# Builds a Release tree in build-rel/ (BUILD=dir overrides), then, each on an
# embedded broker of its own (`dealstream broker -p P`, a separate process):
#   ceiling     kcat -C -e and a bare librdkafka consumer (bench_kafka drain)
#               over the generated input topic; and the processor's Kafka
#               traffic without its work (bench_kafka relay: read, write to a
#               repartition topic, read back, write twice, exactly-once);
#   throughput  `dealstream run -e`, exactly-once and at-least-once, for deal
#               events and for articles: first mention produced to last
#               canonical record produced (CreateTime of both), under
#               /usr/bin/time for peak RSS and CPU seconds;
#   latency     deal events offered at R/s for S s to a running processor;
#               input timestamp to canonical record read back;
#   replay      `dealstream replay` over N deal events;
#   restore     state of the exactly-once deals run rebuilt from <app>-state.
# Prints a table and writes JSON (default bench/out/<UTC time>.json).
# -X key=value is passed to every `dealstream run` (librdkafka settings).
# --vary-buyers: article copies name other buyer countries (bench_kafka gen),
# so they are deals of other blocks rather than more reports of the same deal.
# --only: one group of measurements.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build-rel}
DEALS=100000
ARTICLES=2000
REPLAY=1000000
RATE=2000
SECONDS_=20
RUNS=2
JSON=
BUILD_IT=1
GENX=
ONLY=
XARGS=

while [ $# -gt 0 ]; do
    case "$1" in
    --deals) DEALS=$2; shift 2 ;;
    --articles) ARTICLES=$2; shift 2 ;;
    --replay) REPLAY=$2; shift 2 ;;
    --rate) RATE=$2; shift 2 ;;
    --seconds) SECONDS_=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --json) JSON=$2; shift 2 ;;
    --no-build) BUILD_IT=0; shift ;;
    --vary-buyers) GENX="--vary-buyers"; shift ;;
    --only) ONLY=$2; shift 2 ;;
    -X) XARGS="$XARGS -X $2"; shift 2 ;;
    -h|--help) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench/run.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done

if [ "$BUILD_IT" = 1 ]; then
    cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "$BUILD" -j2 --target dealstream bench_kafka >/dev/null
fi
DS=$BUILD/dealstream
BK=$BUILD/bench/bench_kafka
command -v kcat >/dev/null || { echo "bench/run.sh: kcat is not installed" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench/run.sh: /usr/bin/time is not installed" >&2; exit 1; }

TMP=$(mktemp -d /tmp/dealstream-bench.XXXXXX)
BROKER_PID=
RUN_PID=
cleanup() {
    [ -n "$RUN_PID" ] && kill "$RUN_PID" 2>/dev/null || true
    [ -n "$BROKER_PID" ] && kill "$BROKER_PID" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$TMP"
}
trap cleanup EXIT INT TERM
if [ -z "$JSON" ]; then
    mkdir -p "$ROOT/bench/out"
    JSON=$ROOT/bench/out/$(date -u +%Y%m%dT%H%M%SZ).json
fi
: > "$TMP/results.jsonl"

# Consecutive runs join one group on a fresh broker each, so the embedded
# broker's wait for a departed member never applies; the short session
# timeout only bounds it if it did.
RUNX="-X session.timeout.ms=6000 $XARGS"
# no metrics listener: runs must not compete for its port
"$DS" run --help 2>/dev/null | grep -q -- --http-listen && RUNX="--http-listen off $RUNX"

broker_start() { # partitions
    stop_broker
    : > "$TMP/addr"
    "$DS" broker -p "$1" > "$TMP/addr" 2>> "$TMP/broker.log" &
    BROKER_PID=$!
    i=0
    while [ ! -s "$TMP/addr" ]; do
        i=$((i + 1)); [ $i -gt 100 ] && { echo "broker did not start" >&2; exit 1; }
        sleep 0.1
    done
    sleep 0.2
    BS=$(head -n1 "$TMP/addr")
}
stop_broker() {
    if [ -n "$BROKER_PID" ]; then
        kill "$BROKER_PID" 2>/dev/null || true
        wait "$BROKER_PID" 2>/dev/null || true
        BROKER_PID=
    fi
}

num() { # a number as JSON wants it (bc writes .5 for 0.5)
    printf '%.4f' "$1"
}

jget() { # json key -> value (numbers and plain strings)
    printf '%s' "$1" | sed -n "s/.*\"$2\":\"\{0,1\}\([^,\"}]*\).*/\1/p"
}

record() { # json object
    printf '%s\n' "$1" >> "$TMP/results.jsonl"
}

# Partitions: the embedded broker keeps about 5 MiB per partition and the
# largest topics of a run (state and canonical records) take about 250 bytes
# per deal event; articles 3.3 KB each.
parts_for() { # bytes
    p=$(( $1 / 3000000 + 4 ))
    [ $p -lt 8 ] && p=8
    echo $p
}

ceiling() { # name topic messages
    best=0
    for k in $(seq "$RUNS"); do
        out=$("$BK" drain -b "$BS" -t "$2" 2>/dev/null)
        r=$(jget "$out" msgs_per_s)
        [ "$r" -gt "$best" ] && best=$r && bestout=$out
    done
    mb=$(jget "$bestout" mb_per_s)
    record "{\"measure\":\"ceiling\",\"input\":\"$1\",\"tool\":\"bench_kafka drain (bare librdkafka consumer)\",\"command\":\"bench_kafka drain -b BROKER -t $2\",\"best_of\":$RUNS,\"result\":$bestout}"
    CEIL=$best
    # kcat: whole process, start-up and metadata included
    t0=$(date +%s.%N)
    n=$(kcat -C -b "$BS" -t "$2" -e -q -o beginning -f '%o\n' | wc -l)
    t1=$(date +%s.%N)
    kr=$(echo "$n / ($t1 - $t0)" | bc)
    record "{\"measure\":\"ceiling\",\"input\":\"$1\",\"tool\":\"kcat\",\"command\":\"kcat -C -b BROKER -t $2 -e -q -o beginning -f '%o\\\\n'\",\"messages\":$n,\"wall_s\":$(num "$(echo "$t1 - $t0" | bc)"),\"msgs_per_s\":$kr}"
    printf '%-44s %9s msg/s %7s MB/s  (bare consumer, best of %s; kcat incl. start-up: %s msg/s)\n' \
        "ceiling $1 ($3 msgs)" "$best" "$mb" "$RUNS" "$kr"
}

relay() { # name topic messages: the topology's Kafka traffic alone
    out=$("$BK" relay -b "$BS" -t "$2" 2>/dev/null)
    RELAY=$(jget "$out" msgs_per_s)
    record "{\"measure\":\"relay\",\"input\":\"$1\",\"command\":\"bench_kafka relay -b BROKER -t $2\",\"result\":$out}"
    printf '%-44s %9s msg/s  (inputs/s; per input 2 reads and 3 writes, %s transactions; bench_kafka relay)\n' \
        "relay $1 ($3 msgs)" "$RELAY" "$(jget "$out" commits)"
}

throughput() { # input(deal|article) guarantee count
    input=$1 g=$2 n=$3
    topic=deals; [ "$input" = article ] && topic=articles
    if [ "$input" = deal ]; then bytes=$((n * 260)); else bytes=$((n * 3400)); fi
    P=$(parts_for $bytes)
    broker_start "$P"
    gx=; [ "$input" = article ] && gx=$GENX
    gen=$("$BK" gen -b "$BS" --type "$input" -n "$n" $gx 2>/dev/null)
    record "{\"measure\":\"input\",\"input\":\"$input\",\"guarantee\":\"$g\",\"partitions\":$P,\"command\":\"bench_kafka gen -b BROKER --type $input -n $n $gx\",\"result\":$gen}"
    ceiling "$input/$g" "$topic" "$n"
    relay "$input/$g" "$topic" "$n"
    cmd="dealstream run -b BROKER -e --guarantee $g $RUNX"
    /usr/bin/time -f '%e %U %S %M' -o "$TMP/time" "$DS" run -b "$BS" -e --guarantee "$g" $RUNX \
        2> "$TMP/run-$input-$g.log" || { echo "run failed:"; tail -5 "$TMP/run-$input-$g.log"; exit 1; }
    read -r wall user sys rss < "$TMP/time"
    m=$("$BK" span -b "$BS" -t dealstream-mentions 2>/dev/null)
    c=$("$BK" span -b "$BS" -t deals.canonical 2>/dev/null)
    first=$(jget "$m" ts_first_ms)
    last=$(jget "$c" ts_last_ms)
    win_ms=$((last - first))
    rate=$(echo "$n * 1000 / $win_ms" | bc)
    ratio=$(printf '%.3f' "$(echo "scale=4; $rate / $CEIL" | bc)")
    rratio=$(printf '%.3f' "$(echo "scale=4; $rate / $RELAY" | bc)")
    cpu=$(num "$(echo "$user + $sys" | bc)")
    cpu_per_m=$(printf '%.1f' "$(echo "scale=1; $cpu * 1000000 / $n" | bc)")
    stats=$(grep 'run: consumed' "$TMP/run-$input-$g.log" | sed 's/.*run: //')
    record "{\"measure\":\"throughput\",\"input\":\"$input\",\"guarantee\":\"$g\",\"command\":\"$cmd\",\"messages\":$n,\"input_bytes\":$(jget "$gen" bytes),\"mean_bytes\":$(jget "$gen" mean_bytes),\"partitions\":$P,\"window_ms\":$win_ms,\"msgs_per_s\":$rate,\"ceiling_msgs_per_s\":$CEIL,\"ratio_to_ceiling\":$ratio,\"relay_msgs_per_s\":$RELAY,\"ratio_to_relay\":$rratio,\"process_wall_s\":$wall,\"cpu_s\":$cpu,\"cpu_s_per_million\":$cpu_per_m,\"peak_rss_kb\":$rss,\"mentions\":$m,\"canonical\":$c,\"stats\":\"$stats\"}"
    printf '%-44s %9s msg/s  %5s of ceiling  %5s of relay  RSS %4s MB  CPU %6s s/M msgs  (%s)\n' \
        "throughput $input $g ($n msgs)" "$rate" "$ratio" "$rratio" "$((rss / 1024))" "$cpu_per_m" "$cmd"
}

latency() { # label extra-run-args
    n=$(echo "$RATE * $SECONDS_" | bc)
    P=$(parts_for $((n * 260)))
    broker_start "$P"
    "$DS" run -b "$BS" $RUNX $2 2> "$TMP/run-latency.log" &
    RUN_PID=$!
    i=0
    until grep -q 'assigned' "$TMP/run-latency.log" 2>/dev/null; do
        i=$((i + 1)); [ $i -gt 300 ] && { echo "processor did not start" >&2; exit 1; }
        sleep 0.1
    done
    sleep 1
    out=$("$BK" latency -b "$BS" --rate "$RATE" --seconds "$SECONDS_" --warmup 2 2>/dev/null) || true
    kill -TERM "$RUN_PID" 2>/dev/null || true
    wait "$RUN_PID" 2>/dev/null || true
    RUN_PID=
    cmd="dealstream run -b BROKER $RUNX $2; bench_kafka latency -b BROKER --rate $RATE --seconds $SECONDS_ --warmup 2"
    record "{\"measure\":\"latency\",\"variant\":\"$1\",\"input\":\"deal\",\"guarantee\":\"exactly-once\",\"command\":\"$cmd\",\"messages\":$n,\"mean_bytes\":71,\"result\":$out}"
    printf '%-44s p50 %s ms  p99 %s ms  max %s ms  (%s of %s measured; %s)\n' "latency $1 @ $RATE/s ($n msgs)" \
        "$(jget "$out" p50_ms)" "$(jget "$out" p99_ms)" "$(jget "$out" max_ms)" "$(jget "$out" measured)" "$n" "$cmd"
}

restore() { # on the broker of the exactly-once deals run
    out=$("$BK" restore -b "$BS" 2>/dev/null)
    record "{\"measure\":\"restore\",\"command\":\"bench_kafka restore -b BROKER\",\"result\":$out}"
    printf '%-44s %s s  (%s deals, %s blocks, %s changelog records)\n' "restore" "$(jget "$out" seconds)" \
        "$(jget "$out" deals)" "$(jget "$out" blocks)" "$(jget "$out" records)"
}

replay() {
    P=$(parts_for $((REPLAY * 260)))
    broker_start "$P"
    gen=$("$BK" gen -b "$BS" --type deal -n "$REPLAY" 2>/dev/null)
    cmd="dealstream replay -b BROKER --from earliest --to latest --fresh-state --progress 0"
    /usr/bin/time -f '%e %U %S %M' -o "$TMP/time" "$DS" replay -b "$BS" --from earliest --to latest --fresh-state \
        --progress 0 $XARGS 2> "$TMP/replay.log" > /dev/null || { echo "replay failed:"; tail -5 "$TMP/replay.log"; }
    read -r wall user sys rss < "$TMP/time"
    # the process's wall time, start-up included: reading a million records
    # back from the embedded broker takes far longer than the replay itself
    rate=$(echo "$REPLAY / $wall" | bc)
    record "{\"measure\":\"replay\",\"command\":\"$cmd\",\"messages\":$REPLAY,\"input\":$gen,\"partitions\":$P,\"process_wall_s\":$wall,\"msgs_per_s\":$rate,\"cpu_s\":$(num "$(echo "$user + $sys" | bc)"),\"cpu_s_per_million\":$(num "$(echo "($user + $sys) * 1000000 / $REPLAY" | bc -l)"),\"peak_rss_kb\":$rss}"
    printf '%-44s %9s msg/s  RSS %4s MB  CPU %s s  (%s; process wall time %s s)\n' "replay ($REPLAY msgs)" "$rate" \
        "$((rss / 1024))" "$(echo "$user + $sys" | bc)" "$cmd" "$wall"
}

echo "dealstream benchmark, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) CPUs, $(uname -r)"
echo "embedded broker: $DS broker -p P (separate process); -X: $RUNX"
want() { [ -z "$ONLY" ] || [ "$ONLY" = "$1" ]; }
if want deals; then
    throughput deal exactly-once "$DEALS"
    restore
    throughput deal at-least-once "$DEALS"
fi
if want articles; then
    throughput article exactly-once "$ARTICLES"
    throughput article at-least-once "$ARTICLES"
fi
if want latency; then
    latency default ""
    # The embedded broker answers a fetch that finds no data only after
    # fetch.wait.max.ms (500 ms by default), even when data arrives meanwhile;
    # Kafka answers as soon as there is data. A short wait shows what the
    # processor itself adds.
    latency fetch.wait.max.ms=10 "-X fetch.wait.max.ms=10"
fi
want replay && replay
stop_broker

{
    printf '{"date":"%s","host_cpus":%s,"kernel":"%s","commit":"%s","measurements":[' \
        "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(nproc)" "$(uname -r)" "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
    paste -sd, "$TMP/results.jsonl"
    printf ']}\n'
} > "$JSON"
echo "JSON: $JSON"
