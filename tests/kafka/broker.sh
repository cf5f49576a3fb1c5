#!/usr/bin/env bash
# The real-cluster tests' Apache Kafka: one KRaft node (broker and controller
# in one process) on loopback, from the jars that tests/kafka/pom.xml resolves.
#
#   broker.sh start DIR LIBS   format a fresh data dir under DIR, start the broker
#                              on free loopback ports, wait until it answers a
#                              metadata request, write its bootstrap address to
#                              DIR/bootstrap and its pid to DIR/pid
#   broker.sh stop DIR         stop the broker started in DIR (by pid), wait for it
#   broker.sh env DIR CMD...   run CMD with DEALSTREAM_TEST_BROKERS set from DIR/bootstrap
#
# Environment: DS_KAFKA_HEAP (default 512m), DS_KAFKA_START_TIMEOUT (seconds,
# default 90), DS_KAFKA_LIFETIME (seconds, default 3600: the broker stops by
# itself after that, so a suite that was killed leaves nothing running).
set -euo pipefail

die() { echo "broker.sh: $*" >&2; exit 1; }

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Writes DIR/server.properties for a broker on $1 and a controller on $2.
write_config() {
    local dir=$1 port=$2 cport=$3
    cat >"$dir/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$dir/data
num.partitions=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=8
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=8
min.insync.replicas=1
group.initial.rebalance.delay.ms=0
# The compaction tests set segment.ms and min.cleanable.dirty.ratio on their
# topic; the cleaner looks for work every second instead of every 15.
log.cleaner.backoff.ms=1000
log.retention.check.interval.ms=5000
# Transactions a killed producer left open are aborted soon after they time out.
transaction.abort.timed.out.transaction.cleanup.interval.ms=2000
EOF
    cat >"$dir/log4j2.properties" <<EOF
status = warn
appender.file.type = File
appender.file.name = file
appender.file.fileName = $dir/broker.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = file
logger.kafka.name = kafka
logger.kafka.level = INFO
logger.state.name = state.change.logger
logger.state.level = WARN
EOF
}

# The java command line for a Kafka main class in DIR with the jars in LIBS.
java_args() {
    local dir=$1 libs=$2
    echo java -Xmx"${DS_KAFKA_HEAP:-512m}" -Xms64m -XX:+UseSerialGC -Djava.awt.headless=true \
         -Dlog4j2.configurationFile="$dir/log4j2.properties" -cp "$libs/*"
}

# True when the broker at $1 answers a metadata request within 2 s.
answers() {
    local md
    md=$(kcat -L -b "$1" -m 2 2>/dev/null) || return 1
    grep -q "1 brokers:" <<<"$md"
}

# Starts one broker; returns 1 when it died (for example on a port taken
# between choosing and binding it) so that the caller can try other ports.
start_once() {
    local dir=$1 libs=$2 port cport id pid
    local -a java
    read -r -a java <<<"$(java_args "$dir" "$libs")"
    port=$(free_port)
    cport=$(free_port)
    [ "$port" != "$cport" ] || cport=$(free_port)
    rm -rf "$dir/data" "$dir/bootstrap" "$dir/pid" "$dir/broker.log" "$dir/stdout.log"
    mkdir -p "$dir/data"
    write_config "$dir" "$port" "$cport"
    id=$("${java[@]}" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n1)
    [ -n "$id" ] || die "no cluster id from kafka.tools.StorageTool (jars in $libs?)"
    "${java[@]}" kafka.tools.StorageTool format -t "$id" -c "$dir/server.properties" \
        >"$dir/format.log" 2>&1 || die "formatting $dir/data failed: $(tail -n3 "$dir/format.log")"
    setsid timeout "${DS_KAFKA_LIFETIME:-3600}" "${java[@]}" kafka.Kafka "$dir/server.properties" >"$dir/stdout.log" 2>&1 </dev/null &
    pid=$!
    echo "$pid" >"$dir/pid"
    local deadline=$((SECONDS + ${DS_KAFKA_START_TIMEOUT:-90}))
    while [ $SECONDS -lt $deadline ]; do
        if ! kill -0 "$pid" 2>/dev/null; then
            rm -f "$dir/pid"
            echo "broker.sh: the broker exited while starting on 127.0.0.1:$port:" >&2
            tail -n5 "$dir/broker.log" "$dir/stdout.log" >&2 2>/dev/null || true
            return 1
        fi
        if answers "127.0.0.1:$port"; then
            echo "127.0.0.1:$port" >"$dir/bootstrap"
            echo "broker.sh: Apache Kafka (KRaft, pid $pid) answers on 127.0.0.1:$port, data in $dir/data"
            return 0
        fi
        sleep 0.5
    done
    stop "$dir"
    die "the broker on 127.0.0.1:$port did not answer within ${DS_KAFKA_START_TIMEOUT:-90} s; see $dir/broker.log"
}

start() {
    local dir=$1 libs=$2
    [ -f "$libs/kafka_2.13-4.1.1.jar" ] || die "no Kafka jars in $libs: build the kafka_libs target (cmake --build BUILD --target kafka_libs)"
    command -v java >/dev/null || die "java is not installed"
    command -v kcat >/dev/null || die "kcat is not installed"
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    [ -f "$dir/pid" ] && stop "$dir"
    local try
    for try in 1 2 3; do
        start_once "$dir" "$libs" && return 0
    done
    die "the broker did not start in 3 tries; see $dir/broker.log"
}

# Stops the broker by the pid start wrote: SIGTERM (a controlled shutdown),
# then SIGKILL after 30 s.
stop() {
    local dir=$1 pid i
    [ -f "$dir/pid" ] || { echo "broker.sh: no broker running in $dir"; return 0; }
    pid=$(cat "$dir/pid")
    rm -f "$dir/pid" "$dir/bootstrap"
    kill -0 "$pid" 2>/dev/null || { echo "broker.sh: broker $pid had already exited"; return 0; }
    # timeout forwards the signal to java; its process group is the broker's own.
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 60); do
        kill -0 "$pid" 2>/dev/null || { echo "broker.sh: broker $pid stopped"; return 0; }
        sleep 0.5
    done
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    echo "broker.sh: broker $pid did not stop within 30 s; killed"
}

run_with_env() {
    local dir=$1; shift
    [ -f "$dir/bootstrap" ] || die "no broker running in $dir (the kafka fixture did not start)"
    DEALSTREAM_TEST_BROKERS=$(cat "$dir/bootstrap")
    export DEALSTREAM_TEST_BROKERS
    exec "$@"
}

case "${1:-}" in
    start) [ $# -eq 3 ] || die "usage: broker.sh start DIR LIBS"; start "$2" "$3" ;;
    stop)  [ $# -eq 2 ] || die "usage: broker.sh stop DIR"; stop "$2" ;;
    env)   [ $# -ge 3 ] || die "usage: broker.sh env DIR CMD..."; dir=$2; shift 2; run_with_env "$dir" "$@" ;;
    *) die "usage: broker.sh start DIR LIBS | stop DIR | env DIR CMD..." ;;
esac
