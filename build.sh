#!/usr/bin/env bash
# dealstream build driver: installs the Debian packages it needs, builds, and
# runs the demo or the test suite.
#
#   ./build.sh demo            build, then run `dealstream demo`
#   ./build.sh test            build, then run the whole suite under ctest
#   ./build.sh test --sanitize the same under AddressSanitizer + UBSan (build-asan/)
#   ./build.sh build           build only
#
# `test` also runs the real-cluster tests against an Apache Kafka broker that
# the build resolves from Maven (tests/kafka/pom.xml) and ctest starts on
# loopback; it installs Debian's maven and Java 17 for that. DS_REAL_KAFKA=0
# skips that part, and so does a machine that cannot get Java, Maven or the
# broker's jars: the script then says so in its last lines (and under CI=true
# fails, unless DS_REAL_KAFKA=0 asked for it).
set -euo pipefail

cd "$(dirname "$0")"

PACKAGES=(build-essential cmake pkg-config librdkafka-dev libavro-dev libuv1-dev libjansson-dev
          libcmocka-dev libxxhash-dev libhttp-parser-dev libcurl4-openssl-dev libssl-dev kcat valgrind
          python3-yaml groff-base)
# The real-cluster tests' broker (tests/kafka/): Java to run it, Maven to fetch it.
KAFKA_PACKAGES=(maven openjdk-17-jre-headless)

install_packages() {
    local missing=()
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "== installing: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

mode="${1:-build}"
shift || true
sanitize=OFF
dir=build
for a in "$@"; do
    case "$a" in
        --sanitize) sanitize=ON; dir=build-asan ;;
        *) echo "unknown option: $a" >&2; exit 2 ;;
    esac
done

case "$mode" in
    demo|test|build) ;;
    *) echo "usage: $0 demo|test|build [--sanitize]" >&2; exit 2 ;;
esac

install_packages "${PACKAGES[@]}"

# Decides whether the real-cluster tests run: sets real_kafka=ON or OFF and,
# for OFF, skip_reason.
real_kafka=OFF
skip_reason=""
decide_real_kafka() {
    if [ "${DS_REAL_KAFKA:-1}" = 0 ]; then
        skip_reason="DS_REAL_KAFKA=0"
        return
    fi
    if ! install_packages "${KAFKA_PACKAGES[@]}"; then
        skip_reason="installing ${KAFKA_PACKAGES[*]} failed"
        return
    fi
    if ! command -v java >/dev/null || ! command -v mvn >/dev/null; then
        skip_reason="java or mvn is not on PATH"
        return
    fi
    echo "== resolving the Apache Kafka broker for the real-cluster tests (tests/kafka/pom.xml)"
    if ! mvn -q -B -f tests/kafka/pom.xml dependency:resolve >/dev/null 2>"$dir.kafka-resolve.log"; then
        skip_reason="Maven could not resolve tests/kafka/pom.xml (see $dir.kafka-resolve.log)"
        return
    fi
    real_kafka=ON
}

jobs=$(nproc 2>/dev/null || echo 2)
kafka_opt=()
if [ "$mode" = test ]; then
    decide_real_kafka
    kafka_opt=(-DDS_REAL_KAFKA="$real_kafka")
fi
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDS_WERROR=ON -DDS_SANITIZE="$sanitize" \
      "${kafka_opt[@]}" >/dev/null
cmake --build "$dir" -j "$jobs"

# Says, last, that the real-cluster part did not run and why.
report_skip() {
    [ "$real_kafka" = ON ] && return 0
    echo "== SKIPPED: the real-cluster tests (Apache Kafka) did not run: $skip_reason"
    echo "==          their embedded-broker parts ran; the rest printed \"skipped\""
    if [ "${CI:-}" = true ] && [ "${DS_REAL_KAFKA:-1}" != 0 ]; then
        echo "== CI needs the real-cluster tests; set DS_REAL_KAFKA=0 to skip them on purpose" >&2
        return 1
    fi
}

case "$mode" in
    demo) exec "./$dir/dealstream" demo ;;
    test)
        if [ "$sanitize" = ON ]; then
            export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
        fi
        rc=0
        (cd "$dir" && ctest --output-on-failure -j "$jobs") || rc=$?
        report_skip || rc=1
        exit $rc ;;
esac
