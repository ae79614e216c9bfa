#!/usr/bin/env bash
# tools/wine-leftovers.sh against stand-ins (no Wine): a "test program" and a "Wine service" of
# a tree's prefixes, a process of another tree, and a caller that carries the tree's prefix.
set -u
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done; rm -rf "$work"; }
trap cleanup EXIT
fail() { echo "wine_leftovers_test: FAIL: $*"; exit 1; }
alive() { kill -0 "$1" 2>/dev/null; }

tree=$work/tree other=$work/tree2
mkdir -p "$tree" "$other"
( WINEPREFIX=$tree/wineprefix exec sleep 300 ) & program=$!
( WINEPREFIX=$tree/upstream-tests/lanes/1/wineprefix exec -a 'C:\windows\system32\services.exe' sleep 300 ) & service=$!
( WINEPREFIX=$other/wineprefix exec sleep 300 ) & foreign=$!
pids=("$program" "$service" "$foreign")
sleep 0.3

# The caller carries the tree's prefix (tools/test.sh exports it): it must be spared.
out=$(WINEPREFIX=$tree/wineprefix bash -c '"$1" "$2"; echo "exit $?"' _ "$repo/tools/wine-leftovers.sh" "$tree")
rc=$(sed -n 's/^exit //p' <<<"$out")
[ $rc = 1 ] || fail "a test program was left: expected exit 1, got $rc ($out)"
grep -q "leftover process $program .*sleep 300" <<<"$out" || fail "program not named: $out"
sleep 0.2
alive "$program" && fail "the test program still runs"
alive "$service" || fail "a Wine service was ended while its wineserver is up"
alive "$foreign" || fail "another tree's process was ended"

out=$(bash "$repo/tools/wine-leftovers.sh" --stopped "$tree"); rc=$?
[ $rc = 1 ] || fail "--stopped: expected exit 1, got $rc"
grep -q "leftover process $service " <<<"$out" || fail "--stopped: service not named: $out"
sleep 0.2
alive "$service" && fail "--stopped: the service still runs"
alive "$foreign" || fail "--stopped: another tree's process was ended"

out=$(bash "$repo/tools/wine-leftovers.sh" --stopped "$tree"); rc=$?
[ $rc = 0 ] && [ -z "$out" ] || fail "nothing left: expected exit 0 and silence, got $rc: $out"
echo "wine_leftovers_test: passed"
