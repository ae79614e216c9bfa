#!/usr/bin/env bash
# Runs every uvafd test: the portable core natively under ASan/UBSan, then everything
# cross-built for 64-bit Windows under Wine on the default libuv (the portable tests again, plus
# the real-socket ones and the demo), then the x86 build under Wine's 32-bit half (the portable
# and reactor tests, uvafd's own libuv tests, and libuv's poll and async tests), then a tree per
# older libuv version (uvafd's libuv tests and part of libuv's suite). As root it first installs
# what is missing (tools/bootstrap.sh).
#
#   tools/test.sh            (UVAFD_BUILD_DIR overrides ./build)
set -uo pipefail
source "$(dirname "$0")/common.sh"
jobs=${UVAFD_JOBS:-2}

uvafd_bootstrap || exit 1

# libuv versions (cmake/libuv-versions.txt): the default (first row) builds build/win and
# build/win32 and runs everything; each other version gets a tree of its own, build/win-<v>,
# running uvafd's compat tests, the DLL export table against that version's libuv DLL, and
# libuv's loop, timer, idle, poll, async, thread-pool and metrics tests on both sides
# (upstream_subset).
mapfile -t other_versions < <(awk '/^[0-9]/ {print $1}' cmake/libuv-versions.txt | tail -n +2)
other_targets=(compat_test compat_dll_test uv_upstream_libuv uv_upstream_uvafd uv_upstream_launch
               upstream_test_list uvafd_uv_shared libuv_baseline_build)
other_subset='^(loop_|run_|idle_|timer|poll_|async|threadpool_|metrics_)'
other_tests='^(compat_test|compat_dll_test|dll_exports_match_libuv|upstream_subset)$'
if [ "$(id -u)" = 0 ]; then
  for v in "${other_versions[@]}"; do
    UVAFD_LIBUV_VERSION=$v tools/bootstrap.sh "$build" >/dev/null || exit 1
  done
fi

# What the x86 tree builds and runs: the 32-bit pointer width matters to the reactor (packet
# words, structure layouts) and to uvafd's uv_poll_t / uv_async_t, not to the rest.
x86_targets=(lifecycle_test reactor_sim_test reactor_socket_test reactor_lifecycle_test
             reactor_wakeup_test reactor_churn_test compat_test
             uv_upstream_libuv uv_upstream_uvafd uv_upstream_launch upstream_test_list)
x86_tests='^(lifecycle_test|reactor_[a-z_]*test|compat_test|upstream_poll_async)$'

# Toolchain files by absolute path: CMake keeps a relative one relative in the cache of a tree
# configured before, and libuv's baseline, configured in another folder, then cannot find it.
set -e
cmake -S . -B "$build/native" -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build "$build/native" -j"$jobs"
cmake -S . -B "$build/win" -DCMAKE_TOOLCHAIN_FILE="$PWD/cmake/mingw-w64-x86_64.cmake" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build/win" -j"$jobs"
x86_start=$(date +%s)
cmake -S . -B "$build/win32" -DCMAKE_TOOLCHAIN_FILE="$PWD/cmake/mingw-w64-i686.cmake" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build/win32" -j"$jobs" --target "${x86_targets[@]}"
x86_build_s=$(( $(date +%s) - x86_start ))
declare -A other_build_s
for v in "${other_versions[@]}"; do
  t0=$(date +%s)
  cmake -S . -B "$build/win-$v" -DCMAKE_TOOLCHAIN_FILE="$PWD/cmake/mingw-w64-x86_64.cmake" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DUVAFD_LIBUV_VERSION="$v" \
    -DUVAFD_UPSTREAM_SUBSET="$other_subset" >/dev/null
  cmake --build "$build/win-$v" -j"$jobs" --target "${other_targets[@]}"
  other_build_s[$v]=$(( $(date +%s) - t0 ))
done
set +e

# One wineserver per tree, in the tree's own prefix, stopped when that tree is done and on the
# way out (it would otherwise linger, and a killed test's children with it).
export WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
wineserver=$(command -v wineserver || echo /usr/lib/wine/wineserver)
trap '"$wineserver" -k >/dev/null 2>&1' EXIT
start_wine() {
  export UVAFD_WINEPREFIX=$1/wineprefix
  export WINEPREFIX=$UVAFD_WINEPREFIX
  # Boot the prefix first (wineboot, seconds, on a new prefix) and let that short-lived server
  # exit; then a persistent server and one warm-up process that starts Wine's own services.
  # Only then tests run in parallel: a wineboot racing the first tests hung them here.
  "$wineserver" -k >/dev/null 2>&1
  cmake/wine-run.sh cmd /c exit >/dev/null 2>&1
  "$wineserver" -w
  "$wineserver" -p >/dev/null 2>&1
  cmake/wine-run.sh cmd /c exit >/dev/null 2>&1
}

passed=0
failed=0
run_ctest() {
  local dir=$1 log
  shift
  log=$(mktemp)
  ctest --test-dir "$dir" --output-on-failure -j"$jobs" "$@" 2>&1 | tee "$log"
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
echo "=== Windows x64, under Wine"
start_wine "$build/win"
run_ctest "$build/win"
"$wineserver" -k >/dev/null 2>&1
echo "=== Windows x86, under Wine (32-bit)"
x86_start=$(date +%s)
start_wine "$build/win32"
run_ctest "$build/win32" -R "$x86_tests"
"$wineserver" -k >/dev/null 2>&1
echo "x86: built in ${x86_build_s} s, tested in $(( $(date +%s) - x86_start )) s"
for v in "${other_versions[@]}"; do
  echo "=== Windows x64, libuv $v, under Wine"
  t0=$(date +%s)
  start_wine "$build/win-$v"
  run_ctest "$build/win-$v" -R "$other_tests"
  "$wineserver" -k >/dev/null 2>&1
  echo "libuv $v: built in ${other_build_s[$v]} s, tested in $(( $(date +%s) - t0 )) s"
done

echo "uvafd: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
