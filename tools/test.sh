#!/usr/bin/env bash
# Runs every uvafd test: the portable core natively under ASan/UBSan, then everything
# cross-built for Windows under Wine (the portable tests again, plus the real-socket ones and
# the demo). As root it first installs what is missing (tools/bootstrap.sh).
#
#   tools/test.sh            (UVAFD_BUILD_DIR overrides ./build)
set -uo pipefail
source "$(dirname "$0")/common.sh"
jobs=${UVAFD_JOBS:-2}

uvafd_bootstrap || exit 1

set -e
cmake -S . -B "$build/native" -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build "$build/native" -j"$jobs"
cmake -S . -B "$build/win" -DCMAKE_TOOLCHAIN_FILE=cmake/mingw-w64-x86_64.cmake \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build/win" -j"$jobs"
set +e

# One wineserver for the whole run, in the build tree's own prefix; stopped on the way out
# (it would otherwise linger, and a killed test's children with it).
export UVAFD_WINEPREFIX=$build/win/wineprefix
export WINEPREFIX=$UVAFD_WINEPREFIX
export WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
wineserver=$(command -v wineserver || echo /usr/lib/wine/wineserver)
trap '"$wineserver" -k >/dev/null 2>&1' EXIT
# Boot the prefix first (wineboot, seconds, on a new prefix) and let that short-lived server
# exit; then a persistent server and one warm-up process that starts Wine's own services.
# Only then tests run in parallel: a wineboot racing the first tests hung them here.
"$wineserver" -k >/dev/null 2>&1
cmake/wine-run.sh cmd /c exit >/dev/null 2>&1
"$wineserver" -w
"$wineserver" -p >/dev/null 2>&1
cmake/wine-run.sh cmd /c exit >/dev/null 2>&1

passed=0
failed=0
run_ctest() {
  local dir=$1 log
  log=$(mktemp)
  ctest --test-dir "$dir" --output-on-failure -j"$jobs" 2>&1 | tee "$log"
  local line
  line=$(grep -E 'tests passed, [0-9]+ tests failed out of [0-9]+' "$log" | tail -n 1)
  if [ -z "$line" ]; then
    failed=$((failed + 1))
  else
    local f t
    f=$(sed -E 's/.* ([0-9]+) tests failed out of ([0-9]+).*/\1/' <<<"$line")
    t=$(sed -E 's/.* ([0-9]+) tests failed out of ([0-9]+).*/\2/' <<<"$line")
    passed=$((passed + t - f))
    failed=$((failed + f))
  fi
  rm -f "$log"
}

echo "=== native (ASan + UBSan)"
run_ctest "$build/native"
echo "=== Windows, under Wine"
run_ctest "$build/win"

echo "uvafd: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
