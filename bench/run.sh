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
#
# On Apache Kafka (see bench/README.md, "Real broker"):
#   ./bench/run.sh --kafka [options]      starts the test broker (tests/kafka/broker.sh,
#                                         jars of the kafka_libs target) and stops it at the end
#   ./bench/run.sh -b HOST:PORT [options] uses a running broker
# runs, all on one broker: the ceiling, the relay, the processor exactly-once
# and at-least-once on deal events and on articles, the Kafka Streams peer
# (bench/peer/, built with mvn -q package) on the same deal events, and the
# latency run under each guarantee. Every topic, internal ones included, is
# created beforehand with the partitions the run needs. Extra options:
#   --partitions P (8)  --run-timeout S (300, a processor run that takes longer
#   is reported as frozen)  --no-peer  --peer-store memory|rocksdb (memory)
#   --peer-java-opts "OPTS" ("-Xms64m -Xmx512m")
# Each line of figures ends with the load average at its end (/proc/loadavg).
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
KAFKA=
BOOT=
PARTS=8
RUN_TIMEOUT=300
PEER=1
PEER_STORE=memory
PEER_JAVA_OPTS="-Xms64m -Xmx512m"

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
    --kafka) KAFKA=start; shift ;;
    -b) KAFKA=given; BOOT=$2; shift 2 ;;
    --partitions) PARTS=$2; shift 2 ;;
    --run-timeout) RUN_TIMEOUT=$2; shift 2 ;;
    --no-peer) PEER=0; shift ;;
    --peer-store) PEER_STORE=$2; shift 2 ;;
    --peer-java-opts) PEER_JAVA_OPTS=$2; shift 2 ;;
    -h|--help) sed -n '2,40p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench/run.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done

if [ "$BUILD_IT" = 1 ]; then
    cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "$BUILD" -j2 --target dealstream bench_kafka >/dev/null
    if [ "$KAFKA" = start ]; then
        cmake --build "$BUILD" --target kafka_libs > "$BUILD/kafka-libs.log" 2>&1 ||
            { echo "bench/run.sh: resolving the broker (kafka_libs) failed; it needs java and mvn" >&2; exit 1; }
    fi
    if [ -n "$KAFKA" ] && [ "$PEER" = 1 ]; then
        (cd "$ROOT/bench/peer" && mvn -q -B -Dstyle.color=never package > "$BUILD/peer-mvn.log" 2>&1) ||
            { echo "bench/run.sh: building the Kafka Streams peer (bench/peer) failed; see $BUILD/peer-mvn.log" >&2
              tail -n 20 "$BUILD/peer-mvn.log" >&2; exit 1; }
    fi
fi
DS=$BUILD/dealstream
BK=$BUILD/bench/bench_kafka
command -v kcat >/dev/null || { echo "bench/run.sh: kcat is not installed" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench/run.sh: /usr/bin/time is not installed" >&2; exit 1; }

TMP=$(mktemp -d /tmp/dealstream-bench.XXXXXX)
BROKER_PID=
RUN_PID=
KAFKA_DIR=
cleanup() {
    [ -n "$RUN_PID" ] && kill "$RUN_PID" 2>/dev/null || true
    [ -n "$BROKER_PID" ] && kill "$BROKER_PID" 2>/dev/null || true
    wait 2>/dev/null || true
    [ -n "$KAFKA_DIR" ] && "$ROOT/tests/kafka/broker.sh" stop "$KAFKA_DIR" >&2 || true
    # the logs of the processor, the peer and the broker stay beside the JSON
    if [ -n "$JSON" ] && ls "$TMP"/*.log > /dev/null 2>&1; then
        mkdir -p "${JSON%.json}.logs"
        cp "$TMP"/*.log "${JSON%.json}.logs/" 2>/dev/null || true
        [ ! -f "$TMP/kafka/broker.log" ] || cp "$TMP/kafka/broker.log" "${JSON%.json}.logs/kafka-broker.log" || true
    fi
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

load() { # the load averages over 1, 5 and 15 minutes
    cut -d' ' -f1-3 /proc/loadavg
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
        out=$(/usr/bin/time -f '%M' -o "$TMP/time" "$BK" drain -b "$BS" -t "$2" 2>/dev/null)
        r=$(jget "$out" msgs_per_s)
        [ "$r" -gt "$best" ] && best=$r && bestout=$out && CEIL_RSS=$(tail -n 1 "$TMP/time")
    done
    mb=$(jget "$bestout" mb_per_s)
    record "{\"measure\":\"ceiling\",\"input\":\"$1\",\"tool\":\"bench_kafka drain (bare librdkafka consumer)\",\"command\":\"bench_kafka drain -b BROKER -t $2\",\"best_of\":$RUNS,\"result\":$bestout,\"peak_rss_kb\":$CEIL_RSS}"
    CEIL=$best
    # kcat: whole process, start-up and metadata included
    t0=$(date +%s.%N)
    n=$(/usr/bin/time -f '%M' -o "$TMP/time" kcat -C -b "$BS" -t "$2" -e -q -o beginning -f '%o\n' | wc -l)
    t1=$(date +%s.%N)
    kr=$(echo "$n / ($t1 - $t0)" | bc)
    krss=$(tail -n 1 "$TMP/time")
    record "{\"measure\":\"ceiling\",\"input\":\"$1\",\"tool\":\"kcat\",\"command\":\"kcat -C -b BROKER -t $2 -e -q -o beginning -f '%o\\\\n'\",\"messages\":$n,\"wall_s\":$(num "$(echo "$t1 - $t0" | bc)"),\"msgs_per_s\":$kr,\"peak_rss_kb\":$krss}"
    printf '%-44s %9s msg/s %7s MB/s  RSS %s MB  (bare consumer, best of %s; kcat incl. start-up: %s msg/s, RSS %s MB) [load %s]\n' \
        "ceiling $1 ($3 msgs)" "$best" "$mb" "$((CEIL_RSS / 1024))" "$RUNS" "$kr" "$((krss / 1024))" "$(load)"
}

relay() { # name topic messages [extra relay args]: the topology's Kafka traffic alone
    out=$(/usr/bin/time -f '%M' -o "$TMP/time" "$BK" relay -b "$BS" -t "$2" ${4:-} 2>/dev/null)
    RELAY=$(jget "$out" msgs_per_s)
    rrss=$(tail -n 1 "$TMP/time")
    record "{\"measure\":\"relay\",\"input\":\"$1\",\"command\":\"bench_kafka relay -b BROKER -t $2 ${4:-}\",\"result\":$out,\"peak_rss_kb\":$rrss,\"load\":\"$(load)\"}"
    printf '%-44s %9s msg/s  RSS %s MB  (inputs/s; per input 2 reads and 3 writes, %s transactions; bench_kafka relay) [load %s]\n' \
        "relay $1 ($3 msgs)" "$RELAY" "$((rrss / 1024))" "$(jget "$out" commits)" "$(load)"
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
    processor_run "$input" "$g" "$n" dealstream deals.canonical "" || exit 1
}

# The processor over an input already on the broker: `dealstream run -e`
# under /usr/bin/time (peak RSS, CPU), its window from the first record on
# <app>-mentions to the last on the canonical topic (CreateTime of both).
# Returns 1, having printed and recorded why, when the run fails or takes
# longer than --run-timeout.
processor_run() { # input(deal|article) guarantee count app canonical-topic extra-run-args
    input=$1 g=$2 n=$3 app=$4 canon=$5
    log=$TMP/run-$app-$input-$g.log
    cmd="dealstream run -b BROKER -e --guarantee $g $6 $RUNX"
    rc=0
    /usr/bin/time -f '%e %U %S %M' -o "$TMP/time" timeout -k 30 "$RUN_TIMEOUT" "$DS" run -b "$BS" -e --guarantee "$g" \
        $6 $RUNX 2> "$log" || rc=$?
    if [ "$rc" != 0 ]; then
        why="exited $rc"
        [ "$rc" = 124 ] && why="did not finish within $RUN_TIMEOUT s (stopped by SIGTERM)"
        [ "$rc" = 137 ] && why="did not finish within $RUN_TIMEOUT s and did not stop within 30 s of SIGTERM (killed)"
        echo "throughput $input $g ($n msgs): FAILED, the processor $why ($cmd); last lines of its log:"
        grep -v ' state: restored ' "$log" | tail -n 6 | sed 's/^/    /'
        m=$("$BK" span -b "$BS" -t "$app-mentions" 2>/dev/null) || m='{}'
        c=$("$BK" span -b "$BS" -t "$canon" 2>/dev/null) || c='{}'
        echo "    read_committed at that point: $(jget "$m" messages) of $n mentions, $(jget "$c" messages) canonical records"
        tail_json=$(grep -v ' state: restored ' "$log" | tail -n 6 | sed 's/\\/\\\\/g; s/"/\\"/g' | paste -sd'|' -)
        record "{\"measure\":\"throughput\",\"input\":\"$input\",\"guarantee\":\"$g\",\"command\":\"$cmd\",\"messages\":$n,\"failed\":\"$why\",\"mentions\":$m,\"canonical\":$c,\"log_tail\":\"$tail_json\",\"load\":\"$(load)\"}"
        return 1
    fi
    read -r wall user sys rss < "$TMP/time"
    m=$("$BK" span -b "$BS" -t "$app-mentions" 2>/dev/null)
    c=$("$BK" span -b "$BS" -t "$canon" 2>/dev/null)
    first=$(jget "$m" ts_first_ms)
    last=$(jget "$c" ts_last_ms)
    win_ms=$((last - first))
    rate=$(echo "$n * 1000 / $win_ms" | bc)
    ratio=$(printf '%.3f' "$(echo "scale=4; $rate / $CEIL" | bc)")
    rratio=$(printf '%.3f' "$(echo "scale=4; $rate / $RELAY" | bc)")
    cpu=$(num "$(echo "$user + $sys" | bc)")
    cpu_per_m=$(printf '%.1f' "$(echo "scale=1; $cpu * 1000000 / $n" | bc)")
    stats=$(grep 'run: consumed' "$log" | sed 's/.*run: //')
    record "{\"measure\":\"throughput\",\"input\":\"$input\",\"guarantee\":\"$g\",\"command\":\"$cmd\",\"messages\":$n,\"input_bytes\":$(jget "$gen" bytes),\"mean_bytes\":$(jget "$gen" mean_bytes),\"partitions\":$P,\"window_ms\":$win_ms,\"msgs_per_s\":$rate,\"ceiling_msgs_per_s\":$CEIL,\"ratio_to_ceiling\":$ratio,\"relay_msgs_per_s\":$RELAY,\"ratio_to_relay\":$rratio,\"process_wall_s\":$wall,\"cpu_s\":$cpu,\"cpu_s_per_million\":$cpu_per_m,\"peak_rss_kb\":$rss,\"mentions\":$m,\"canonical\":$c,\"stats\":\"$stats\",\"load\":\"$(load)\"}"
    LAST_RATE=$rate LAST_RSS=$rss
    printf '%-44s %9s msg/s  %5s of ceiling  %5s of relay  RSS %4s MB  CPU %6s s/M msgs  (%s) [load %s]\n' \
        "throughput $input $g ($n msgs)" "$rate" "$ratio" "$rratio" "$((rss / 1024))" "$cpu_per_m" "$cmd" "$(load)"
}

# Starts `dealstream run -b BROKER ARGS...` in the background, its log in
# LOG, and returns a second after it logged its assignment.
start_run() { # log args...
    log_=$1; shift
    "$DS" run -b "$BS" "$@" 2> "$log_" &
    RUN_PID=$!
    i=0
    until grep -q 'assigned' "$log_" 2>/dev/null; do
        i=$((i + 1)); [ $i -gt 300 ] && { echo "processor did not start" >&2; exit 1; }
        sleep 0.1
    done
    sleep 1
}

# Stops the running processor: SIGTERM, then SIGKILL after 30 s (a frozen
# processor answers no signal it handles); says so when it had to kill.
stop_run() {
    kill -TERM "$RUN_PID" 2>/dev/null || true
    i=0
    while kill -0 "$RUN_PID" 2>/dev/null && [ $i -lt 300 ]; do
        i=$((i + 1))
        sleep 0.1
    done
    if kill -0 "$RUN_PID" 2>/dev/null; then
        echo "    the processor did not stop within 30 s of SIGTERM; killed"
        kill -KILL "$RUN_PID" 2>/dev/null || true
    fi
    wait "$RUN_PID" 2>/dev/null || true
    RUN_PID=
}

latency() { # label extra-run-args
    n=$(echo "$RATE * $SECONDS_" | bc)
    P=$(parts_for $((n * 260)))
    broker_start "$P"
    start_run "$TMP/run-latency.log" $RUNX $2
    out=$("$BK" latency -b "$BS" --rate "$RATE" --seconds "$SECONDS_" --warmup 2 2>/dev/null) || true
    stop_run
    cmd="dealstream run -b BROKER $RUNX $2; bench_kafka latency -b BROKER --rate $RATE --seconds $SECONDS_ --warmup 2"
    record "{\"measure\":\"latency\",\"variant\":\"$1\",\"input\":\"deal\",\"guarantee\":\"exactly-once\",\"command\":\"$cmd\",\"messages\":$n,\"mean_bytes\":71,\"result\":$out}"
    printf '%-44s p50 %s ms  p99 %s ms  max %s ms  (%s of %s measured; %s)\n' "latency $1 @ $RATE/s ($n msgs)" \
        "$(jget "$out" p50_ms)" "$(jget "$out" p99_ms)" "$(jget "$out" max_ms)" "$(jget "$out" measured)" "$n" "$cmd"
}

restore() { # [app]: on the broker of the exactly-once deals run
    out=$("$BK" restore -b "$BS" ${1:+--app-id $1} 2>/dev/null)
    record "{\"measure\":\"restore\",\"command\":\"bench_kafka restore -b BROKER ${1:+--app-id $1}\",\"result\":$out}"
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


# ---- on Apache Kafka (--kafka, -b) ------------------------------------------
# One broker for every measurement; each run has topics of its own, named
# after $PFX, created before it starts with the partitions it needs.

PFX=bench-$(date -u +%H%M%S)

ktopics() { # NAME:PARTITIONS[:compact],...
    "$BK" topics -b "$BS" --create "$1" > /dev/null 2> "$TMP/topics.log" ||
        { echo "bench/run.sh: creating topics $1 failed: $(cat "$TMP/topics.log")" >&2; exit 1; }
}

# The processor's own topics for app id $1: <app>-mentions and <app>-state
# with equal partitions (state compacted) and the canonical topic
# <app>.canonical, compacted.
internal_topics() { # app
    ktopics "$1-mentions:$PARTS,$1-state:$PARTS:compact,$1.canonical:$PARTS:compact"
}

kafka_start() {
    if [ "$KAFKA" = start ]; then
        KAFKA_DIR=$TMP/kafka
        "$ROOT/tests/kafka/broker.sh" start "$KAFKA_DIR" "$BUILD/kafka/libs" >&2 || exit 1
        BS=$(cat "$KAFKA_DIR/bootstrap")
    else
        BS=$BOOT
    fi
    ktopics "$PFX-empty:$PARTS"
}

kafka_stop() {
    if [ -n "$KAFKA_DIR" ]; then
        "$ROOT/tests/kafka/broker.sh" stop "$KAFKA_DIR" >&2 || true
        KAFKA_DIR=
    fi
}

short() { # guarantee -> eos|alos
    [ "$1" = exactly-once ] && echo eos || echo alos
}

# The Kafka Streams peer (bench/peer) over the deal events on $1: inputs /
# (first input processed, from the peer, to the CreateTime of the last record
# on its output topic, read_committed); peak RSS: VmHWM of the JVM.
peer_run() { # topic count
    topic=$1 n=$2 app=$PFX-peer
    ktopics "$app.canonical:$PARTS:compact"
    L=$ROOT/bench/peer/target
    cmd="java $PEER_JAVA_OPTS -cp 'bench/peer/target/peer.jar:bench/peer/target/lib/*' dealstream.peer.Peer --bootstrap BROKER --expect $n --input $topic --output $app.canonical --app-id $app --partitions $PARTS --store $PEER_STORE"
    rc=0
    /usr/bin/time -f '%e %U %S %M' -o "$TMP/time" timeout -k 30 $((RUN_TIMEOUT + 90)) java $PEER_JAVA_OPTS \
        -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$L/peer.jar:$L/lib/*" dealstream.peer.Peer \
        --bootstrap "$BS" --expect "$n" --input "$topic" --output "$app.canonical" --app-id "$app" \
        --partitions "$PARTS" --store "$PEER_STORE" --state-dir "$TMP/peer-state" --timeout-s "$RUN_TIMEOUT" \
        > "$TMP/peer.json" 2> "$TMP/peer.log" || rc=$?
    out=$(tail -n 1 "$TMP/peer.json")
    c=$("$BK" span -b "$BS" -t "$app.canonical" 2>/dev/null)
    got=$(jget "$c" messages)
    if [ "$rc" != 0 ] || [ "$got" != "$n" ]; then
        echo "streams peer deal ($n msgs): FAILED (exit $rc, $got of $n outputs committed; $cmd): $out"
        grep -v ' WARN ' "$TMP/peer.log" | tail -n 5 | sed 's/^/    /'
        record "{\"measure\":\"peer\",\"command\":\"$cmd\",\"messages\":$n,\"failed\":\"exit $rc, $got outputs\",\"load\":\"$(load)\"}"
        return 1
    fi
    read -r wall user sys rss < "$TMP/time"
    win_ms=$(($(jget "$c" ts_last_ms) - $(jget "$out" first_input_ms)))
    PEER_RATE=$(echo "$n * 1000 / $win_ms" | bc)
    PEER_RSS=$(jget "$out" vmhwm_kb)
    cpu=$(num "$(echo "$user + $sys" | bc)")
    cpu_per_m=$(printf '%.1f' "$(echo "scale=1; $cpu * 1000000 / $n" | bc)")
    rratio=$(printf '%.3f' "$(echo "scale=4; $PEER_RATE / $RELAY" | bc)")
    record "{\"measure\":\"peer\",\"input\":\"deal\",\"guarantee\":\"exactly_once_v2\",\"command\":\"$cmd\",\"messages\":$n,\"partitions\":$PARTS,\"window_ms\":$win_ms,\"msgs_per_s\":$PEER_RATE,\"ratio_to_relay\":$rratio,\"process_wall_s\":$wall,\"cpu_s\":$cpu,\"cpu_s_per_million\":$cpu_per_m,\"peak_rss_kb\":$PEER_RSS,\"time_max_rss_kb\":$rss,\"peer\":$out,\"canonical\":$c,\"load\":\"$(load)\"}"
    printf '%-44s %9s msg/s  %5s of relay  RSS %4s MB (VmHWM)  CPU %6s s/M msgs  (%s) [load %s]\n' \
        "streams peer deal exactly_once_v2 ($n msgs)" "$PEER_RATE" "$rratio" "$((PEER_RSS / 1024))" "$cpu_per_m" \
        "$cmd" "$(load)"
}

# Ceiling, relay, the processor under each guarantee and (deal events) the
# peer, all over one input on the broker.
kafka_throughput() { # input(deal|article) count
    input=$1 n=$2
    topic=$PFX-deals other=--articles-topic
    [ "$input" = article ] && topic=$PFX-articles other=--deals-topic
    ktopics "$topic:$PARTS,$topic.relay-mid:$PARTS,$topic.relay-out:$PARTS"
    P=$PARTS
    gx=; [ "$input" = article ] && gx=$GENX
    gen=$("$BK" gen -b "$BS" --type "$input" -n "$n" --topic "$topic" $gx 2>/dev/null)
    record "{\"measure\":\"input\",\"input\":\"$input\",\"partitions\":$P,\"command\":\"bench_kafka gen -b BROKER --type $input -n $n --topic $topic $gx\",\"result\":$gen}"
    ceiling "$input" "$topic" "$n"
    relay "$input" "$topic" "$n" "--mid-topic $topic.relay-mid --out-topic $topic.relay-out"
    eval "RELAY_$input=\$RELAY"
    for g in exactly-once at-least-once; do
        app=$PFX-$input-$(short "$g")
        internal_topics "$app"
        LAST_RATE= LAST_RSS=
        flag=--$input
        processor_run "$input" "$g" "$n" "$app" "$app.canonical" \
            "--app-id $app ${flag}s-topic $topic $other $PFX-empty --canonical-topic $app.canonical" || true
        eval "RATE_${input}_$(short "$g")=\$LAST_RATE RSS_${input}_$(short "$g")=\$LAST_RSS"
        [ "$input" = deal ] && [ "$g" = exactly-once ] && [ -n "$LAST_RATE" ] && restore "$app"
    done
    if [ "$input" = deal ] && [ "$PEER" = 1 ]; then
        peer_run "$topic" "$n" || true
    fi
}

# A running processor under guarantee $1; bench_kafka latency offers deal
# events at --rate for --seconds and times each to its canonical record's
# arrival at a read_committed consumer.
kafka_latency() { # guarantee
    g=$1 app=$PFX-lat-$(short "$1")
    ktopics "$app-in:$PARTS"
    internal_topics "$app"
    n=$(echo "$RATE * $SECONDS_" | bc)
    log=$TMP/run-$app.log
    start_run "$log" --guarantee "$g" --app-id "$app" --deals-topic "$app-in" --articles-topic "$PFX-empty" \
        --canonical-topic "$app.canonical" $RUNX
    out=$(timeout $((SECONDS_ + 120)) "$BK" latency -b "$BS" -t "$app-in" --out-topic "$app.canonical" \
        --rate "$RATE" --seconds "$SECONDS_" --warmup 2 2>/dev/null) || true
    stop_run
    [ -n "$out" ] || out='{}'
    cmd="dealstream run -b BROKER --guarantee $g --app-id $app --deals-topic $app-in --articles-topic $PFX-empty --canonical-topic $app.canonical $RUNX; bench_kafka latency -b BROKER -t $app-in --out-topic $app.canonical --rate $RATE --seconds $SECONDS_ --warmup 2"
    record "{\"measure\":\"latency\",\"input\":\"deal\",\"guarantee\":\"$g\",\"command\":\"$cmd\",\"messages\":$n,\"result\":$out,\"load\":\"$(load)\"}"
    resolved=$(jget "$out" resolved)
    note=
    [ "$resolved" = "$n" ] || note="  INCOMPLETE: $resolved of $n inputs reached the canonical topic; last lines of the processor's log:"
    printf '%-44s p50 %s ms  p99 %s ms  max %s ms  (%s of %s measured; %s) [load %s]%s\n' \
        "latency $g @ $RATE/s ($n msgs)" "$(jget "$out" p50_ms)" "$(jget "$out" p99_ms)" "$(jget "$out" max_ms)" \
        "$(jget "$out" measured)" "$n" "$cmd" "$(load)" "$note"
    [ -z "$note" ] || grep -v ' state: restored ' "$log" | tail -n 6 | sed 's/^/    /'
    [ -n "$note" ] || eval "P99_$(short "$g")=$(jget "$out" p99_ms)"
}

ratio() { # a b -> a / b with 2 decimals, or "n/a"
    if [ -n "$1" ] && [ -n "$2" ]; then printf '%.2f' "$(echo "scale=4; $1 / $2" | bc)"; else echo n/a; fi
}

met() { # condition -> met / not met
    if [ "$1" = 1 ]; then echo met; else echo "NOT met"; fi
}

# The issue's targets, from the deal-event runs: the processor (exactly-once;
# at-least-once where exactly-once failed) against the peer and the relay,
# and the latency's p99 against twice commit.interval.ms.
kafka_targets() {
    g=eos
    [ -n "${RATE_deal_eos:-}" ] || g=alos
    eval "rate=\${RATE_deal_$g:-} rss=\${RSS_deal_$g:-}"
    echo "targets (processor $g on deal events; load $(load)):"
    if ! want deals; then
        echo "  (no deal-event runs)"
    elif [ -n "$rate" ] && [ -n "${PEER_RATE:-}" ]; then
        tr=$(ratio "$rate" "$PEER_RATE") mr=$(ratio "$rss" "$PEER_RSS")
        echo "  throughput vs Streams peer: ${tr}x (target >= 1.0x: $(met "$(echo "$tr >= 1.0" | bc)"))"
        echo "  RSS vs Streams peer: ${mr}x (target <= 0.25x: $(met "$(echo "$mr <= 0.25" | bc)"))"
    else
        echo "  vs Streams peer: not measured (processor rate '${rate}', peer rate '${PEER_RATE:-}')"
    fi
    if [ -n "$rate" ]; then
        rr=$(ratio "$rate" "$RELAY_deal")
        echo "  throughput vs relay: ${rr}x (target >= 0.8x: $(met "$(echo "$rr >= 0.8" | bc)"))"
    fi
    ci=$(printf '%s' "$XARGS" | sed -n 's/.*commit.interval.ms=\([0-9]*\).*/\1/p')
    want latency || return 0
    for l in eos alos; do
        eval "p=\${P99_$l:-}"
        if [ -n "$p" ]; then
            echo "  latency p99 $l: $p ms (target <= 2 x commit.interval.ms = $((2 * ${ci:-100})) ms: $(met "$([ "$p" -le $((2 * ${ci:-100})) ] && echo 1)"))"
        else
            echo "  latency p99 $l: not measured (the run was incomplete)"
        fi
    done
}

kafka_main() {
    RUNX=$XARGS
    "$DS" run --help 2>/dev/null | grep -q -- --http-listen && RUNX="--http-listen off $RUNX"
    kafka_start
    echo "dealstream benchmark on Apache Kafka, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) CPUs, $(uname -r), load $(load)"
    echo "broker: $BS ($([ "$KAFKA" = start ] && echo "tests/kafka/broker.sh, jars in $BUILD/kafka/libs" || echo given)); $PARTS partitions per topic; topics $PFX-*; -X: $XARGS"
    if want deals; then kafka_throughput deal "$DEALS"; fi
    if want articles; then kafka_throughput article "$ARTICLES"; fi
    if want latency; then
        kafka_latency exactly-once
        kafka_latency at-least-once
    fi
    kafka_stop
    kafka_targets
}

want() { [ -z "$ONLY" ] || [ "$ONLY" = "$1" ]; }
if [ -n "$KAFKA" ]; then
    kafka_main
else
echo "dealstream benchmark, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) CPUs, $(uname -r)"
echo "embedded broker: $DS broker -p P (separate process); -X: $RUNX"
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
fi

{
    printf '{"date":"%s","host_cpus":%s,"kernel":"%s","commit":"%s","broker":"%s","measurements":[' \
        "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(nproc)" "$(uname -r)" "$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)" \
        "$([ -n "$KAFKA" ] && echo kafka || echo embedded)"
    paste -sd, "$TMP/results.jsonl"
    printf ']}\n'
} > "$JSON"
echo "JSON: $JSON"
