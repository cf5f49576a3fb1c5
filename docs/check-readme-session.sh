#!/usr/bin/env bash
# Runs the README's session against a standalone embedded broker exactly as
# written (the sh block after "A session against a standalone embedded
# broker:"), in a scratch directory where ./build/dealstream is the binary
# under test and samples/ and tests/data/ are the source tree's, and checks
# what it printed. Run by ctest as `readme_session`.
#
#   docs/check-readme-session.sh path/to/dealstream
set -euo pipefail
src="$(cd "$(dirname "$0")/.." && pwd)"
bin=$(cd "$(dirname "${1:?usage: $0 path/to/dealstream}")" && pwd)/$(basename "$1")
tmp=$(mktemp -d /tmp/ds-readme-session-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

awk '/^A session against a standalone embedded broker:/{f=1; next}
     f==1 && /^```sh/{f=2; next}
     f==2 && /^```/{exit}
     f==2' "$src/README.md" >"$tmp/session.sh"
[ -s "$tmp/session.sh" ] || fail "README.md has no session block after 'A session against a standalone embedded broker:'"
grep -q 'sleep' "$tmp/session.sh" && fail "the session waits with sleep"

mkdir -p "$tmp/build" "$tmp/tests"
ln -s "$bin" "$tmp/build/dealstream"
ln -s "$src/samples" "$tmp/samples"
ln -s "$src/tests/data" "$tmp/tests/data"
cd "$tmp"
# a port of its own for run's HTTP server, beside other tests
export DEALSTREAM_HTTP_LISTEN=127.0.0.1:0
bash -euo pipefail session.sh >out.txt 2>err.txt || { cat out.txt err.txt; fail "the session failed"; }

grep -q '"deal_id":"' out.txt || { cat out.txt err.txt; fail "consume printed no canonical deal"; }
grep -q '"system":"K2"' out.txt || fail "no K2 deal among the canonical deals"
grep -q 'produce: 4 delivered to articles' err.txt || { cat err.txt; fail "the samples were not all delivered"; }
[ ! -e broker.addr ] || fail "broker.addr is left after the broker stopped"
echo "ok:   the README's session runs as written ($(grep -c '"deal_id":"' out.txt) canonical records)"
