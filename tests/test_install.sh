#!/usr/bin/env bash
# Installs the build into a temporary prefix and runs the installed binary
# from another directory with the source and build trees out of reach
# (mounted over with empty directories, in a mount namespace of its own):
# `extract`, `demo` and `eval` must find the installed catalog, samples and
# corpus (<prefix>/share/dealstream), and the binary must hold no path of the
# source tree. Run by ctest as `install`.
#
#   tests/test_install.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$(cd "${1:?usage: $0 BUILD_DIR SOURCE_DIR}" && pwd)
src=$(cd "${2:?usage: $0 BUILD_DIR SOURCE_DIR}" && pwd)
tmp=$(mktemp -d /tmp/ds-test-install-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

prefix=$tmp/prefix
cmake --install "$build" --prefix "$prefix" >"$tmp/install.log" || { cat "$tmp/install.log"; fail "cmake --install"; }
bin=$prefix/bin/dealstream
for f in "$bin" "$prefix/share/dealstream/catalog/countries.tsv" "$prefix/share/dealstream/samples" \
         "$prefix/share/dealstream/corpus" "$prefix/share/man/man1/dealstream.1"; do
    [ -e "$f" ] || fail "not installed: ${f#$prefix/}"
done
echo "ok:   installed the binary, the catalog, the samples, the corpus and the man page"

# No source path compiled into the program's data (debug information may name
# the sources; the program never reads it).
# (The dynamic section is read whole first: `grep -q` on a pipe may close it
# early, and under pipefail objdump's SIGPIPE would fail the test.)
dynamic=$(objdump -p "$bin" 2>/dev/null || true)
if grep -q 'NEEDED.*libasan' <<<"$dynamic"; then
    echo "skip: a sanitizer build names its sources in its read-only data (ASan's globals)"
elif objcopy -O binary --only-section=.rodata "$bin" "$tmp/rodata" 2>/dev/null; then
    if grep -qaF "$src" "$tmp/rodata"; then
        fail "the binary's read-only data names the source tree $src"
    fi
    echo "ok:   no path of the source tree in the binary's read-only data"
fi

# What runs with the trees out of reach.
cp "$src/samples/02-k2-second-batch-signed.txt" "$tmp/article.txt"
cat >"$tmp/session.sh" <<EOF
set -euo pipefail
mkdir -p "$tmp/empty"
mount --bind "$tmp/empty" "$src"
case "$build" in "$src"/*) ;; *) mount --bind "$tmp/empty" "$build" ;; esac
[ ! -e "$src/data/catalog/countries.tsv" ] || { echo "FAIL: the source tree is still in reach"; exit 1; }
cd "$tmp"
unset DEALSTREAM_CATALOG_DIR DS_BIN
"$bin" extract "$tmp/article.txt" --log-level warn >"$tmp/extract.out"
"$bin" demo --log-level warn >"$tmp/demo.out"
"$bin" eval --log-level warn >"$tmp/eval.out"
"$bin" extract --help >"$tmp/help.out"
EOF
if [ "$(id -u)" -eq 0 ] && unshare -m true 2>/dev/null; then
    ns=(unshare -m)
elif unshare -rm true 2>/dev/null; then
    ns=(unshare -rm)
else
    echo "skipped: no mount namespace here (unshare -m, unshare -rm) to hide the trees"
    exit 0
fi
"${ns[@]}" bash "$tmp/session.sh" || fail "the installed binary, trees out of reach (see above)"

grep -q '"system":"K2"' "$tmp/extract.out" || { cat "$tmp/extract.out"; fail "extract found no K2 mention"; }
echo "ok:   extract reads the installed catalog"
grep -q '^== [0-9]* canonical deal(s) on deals.canonical' "$tmp/demo.out" || { cat "$tmp/demo.out"; fail "demo"; }
grep -q '^== publishing 4 article(s)' "$tmp/demo.out" || { cat "$tmp/demo.out"; fail "demo published no samples"; }
grep -q ' POL<-KOR .* K2 ' "$tmp/demo.out" || { cat "$tmp/demo.out"; fail "demo printed no K2 deal"; }
echo "ok:   demo publishes the installed samples and prints the canonical deals"
grep -q '^== Resolution ==' "$tmp/eval.out" || { cat "$tmp/eval.out"; fail "eval did not score the installed corpus"; }
echo "ok:   eval scores the installed corpus"
grep -qF "$prefix/share/dealstream/catalog]" "$tmp/help.out" || {
    grep catalog "$tmp/help.out"; fail "--help does not name the installed catalog"; }
echo "ok:   --help names the installed catalog as the default"
