#!/bin/sh
# run.sh: build and run one libFuzzer target on one core.
#
#   fuzz/run.sh TARGET SECONDS [extra libFuzzer options...]
#
# TARGET is fuzz_extract, fuzz_decode_single, fuzz_decode_confluent or
# fuzz_jsonl. Builds into build-fuzz/ (clang, -DDS_FUZZ=ON), writes the seed
# corpora under build-fuzz/seeds/ (tests/corpus/*.txt for the extractor,
# fuzz_seeds output from tests/data/ for the others), and fuzzes with the
# growing corpus in build-fuzz/corpus/TARGET/. Crash, leak and timeout inputs
# land in build-fuzz/artifacts/TARGET/. Nothing is written into the sources.
set -eu

if [ $# -lt 2 ]; then
    echo "usage: $0 TARGET SECONDS [libFuzzer options...]" >&2
    exit 2
fi
target=$1
seconds=$2
shift 2

src=$(cd "$(dirname "$0")/.." && pwd)
build=$src/build-fuzz

if [ ! -f "$build/CMakeCache.txt" ]; then
    # DS_WERROR=OFF: clang warns where gcc does not (core/mention.c).
    cmake -S "$src" -B "$build" -DCMAKE_C_COMPILER=clang -DDS_FUZZ=ON \
          -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDS_WERROR=OFF
fi
# DS_FUZZ_UBSAN_RECOVER=float-cast-overflow fuzz/run.sh ... keeps going past
# those reports (printed once per source location; grep the log).
cmake -S "$src" -B "$build" -DDS_FUZZ_UBSAN_RECOVER="${DS_FUZZ_UBSAN_RECOVER:-}" >/dev/null
cmake --build "$build" -j2 --target "$target" fuzz_seeds

seeds=$build/seeds
rm -rf "$seeds"
mkdir -p "$seeds/extract" "$seeds/decode_single" "$seeds/decode_confluent" "$seeds/jsonl"
cp "$src"/tests/corpus/*.txt "$seeds/extract/"
"$build/fuzz/fuzz_seeds" "$seeds"

case $target in
    fuzz_extract)          seed=$seeds/extract; dict="-dict=$src/fuzz/extract.dict" ;;
    fuzz_decode_single)    seed=$seeds/decode_single; dict= ;;
    fuzz_decode_confluent) seed=$seeds/decode_confluent; dict= ;;
    fuzz_jsonl)            seed=$seeds/jsonl; dict= ;;
    *) echo "$0: unknown target $target" >&2; exit 2 ;;
esac

corpus=$build/corpus/$target
artifacts=$build/artifacts/$target
mkdir -p "$corpus" "$artifacts"

# One in-process fuzzer is one core. (-jobs=1 -workers=1 is also one core
# but forks a child that logs to ./fuzz-0.log instead of this terminal.)
set -x
exec "$build/fuzz/$target" -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=65536 \
     -artifact_prefix="$artifacts/" -print_final_stats=1 $dict "$@" "$corpus" "$seed"
