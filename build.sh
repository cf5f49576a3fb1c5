#!/usr/bin/env bash
# dealstream build driver: installs the Debian packages it needs, builds, and
# runs the demo or the test suite.
#
#   ./build.sh demo            build, then run `dealstream demo`
#   ./build.sh test            build, then run the whole suite under ctest
#   ./build.sh test --sanitize the same under AddressSanitizer + UBSan (build-asan/)
#   ./build.sh build           build only
set -euo pipefail

cd "$(dirname "$0")"

PACKAGES=(build-essential cmake pkg-config librdkafka-dev libavro-dev libuv1-dev libjansson-dev
          libcmocka-dev libxxhash-dev libhttp-parser-dev libcurl4-openssl-dev libssl-dev kcat valgrind
          python3-yaml groff-base)

install_packages() {
    local missing=()
    for p in "${PACKAGES[@]}"; do
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

install_packages
jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDS_WERROR=ON -DDS_SANITIZE="$sanitize" >/dev/null
cmake --build "$dir" -j "$jobs"

case "$mode" in
    demo) exec "./$dir/dealstream" demo ;;
    test)
        if [ "$sanitize" = ON ]; then
            export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
        fi
        cd "$dir" && ctest --output-on-failure -j "$jobs" ;;
esac
