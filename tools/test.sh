#!/usr/bin/env bash
# Runs every uvafd test: the portable core natively under ASan/UBSan, then everything
# cross-built for 64-bit Windows under Wine on the default libuv (the portable tests again, plus
# the real-socket ones and the demo), then the x86 build under Wine's 32-bit half (the portable
# and reactor tests, uvafd's own libuv tests, and libuv's poll and async tests), then a tree per
# older libuv version (uvafd's libuv tests and part of libuv's suite). As root it first installs
# what is missing (tools/bootstrap.sh). Ends with `uvafd: N passed, M failed, K skipped`.
#
# The tests labelled "threads" (the reactor's wakes from other threads, the epoll port's thread
# rule) run a second time natively under ThreadSanitizer, in their own tree (native-tsan).
# Where TSan cannot run (tools/tsan-probe.sh builds and runs a racy program), they are counted
# as skipped and one line says why.
#
# Where this machine cannot execute 32-bit programs (tools/ia32-probe.sh runs one; some machines
# of this kind have IA-32 emulation off), the x86 tree is still built, its tests are counted as
# skipped and one line says why. At the end the run checks that skip path itself: the x86 part
# again with the probe made to fail (UVAFD_SIMULATE_NO_IA32=1) must exit 0 and skip exactly the
# tests this run's x86 part has.
#
#   tools/test.sh    UVAFD_BUILD_DIR overrides ./build; UVAFD_JOBS the parallelism (default:
#                    the CPUs, at most 2); UVAFD_TEST_TREES a subset of the trees
#                    "native native-tsan win win32 win-<v>..." (one win-<v> per older libuv
#                    version); UVAFD_SIMULATE_NO_IA32=1 runs as on a machine without 32-bit
#                    execution, UVAFD_SIMULATE_NO_TSAN=1 as on one where TSan cannot run
set -uo pipefail
source "$(dirname "$0")/common.sh"
run_start=$(date +%s)

uvafd_bootstrap || exit 1
uvafd_machine_check || exit 1
# wepoll 1.5.8 and its own tests come from ../shared, beside this checkout (never copied into
# it); a user's clone has none, and those tests are then registered as skipped (the x64 tree).
[ -f ../shared/third_party/wepoll-1.5.8/wepoll.c ] && [ -d ../shared/third_party/wepoll-tests ] ||
  echo "test: no ../shared/third_party beside this checkout: wepoll's own tests and the epoll" \
       "benchmark's smoke test are counted as skipped (they need wepoll 1.5.8 from there)"

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
trees=${UVAFD_TEST_TREES:-native native-tsan win win32${other_versions[*]/#/ win-}}
has_tree() { [[ " $trees " == *" $1 "* ]]; }
if [ "$(id -u)" = 0 ]; then
  for v in "${other_versions[@]}"; do
    has_tree "win-$v" || continue
    UVAFD_LIBUV_VERSION=$v tools/bootstrap.sh "$build" >/dev/null || exit 1
  done
fi

# What the x86 tree builds and runs: the 32-bit pointer width matters to the reactor (packet
# words, structure layouts) and to uvafd's uv_poll_t / uv_async_t, not to the rest.
x86_targets=(lifecycle_test reactor_sim_test reactor_socket_test reactor_lifecycle_test
             reactor_wakeup_test reactor_churn_test reactor_alloc_failure_test compat_test
             uv_upstream_libuv uv_upstream_uvafd uv_upstream_launch upstream_test_list)
x86_tests='^(lifecycle_test|reactor_[a-z_]*test|compat_test|upstream_poll_async)$'

# Each tree from its preset (CMakePresets.json: build type, toolchain file by absolute path,
# libuv version), under the build root given here: -B overrides the preset's folder.
set -e
if has_tree native; then
  t0=$(date +%s)
  cmake --preset native -B "$build/native" >/dev/null
  cmake --build "$build/native" -j"$jobs"
  native_build_s=$(( $(date +%s) - t0 ))
fi
tsan_targets=(reactor_sim_test epoll_threads_sim_test)
tsan_wrap=() tsan_why=""
if has_tree native-tsan; then
  t0=$(date +%s)
  # The probe's answer: nothing, or the setarch prefix that lets TSan's runtime start.
  if tsan_prefix=$(tools/tsan-probe.sh "$build/native-tsan-probe"); then
    read -r -a tsan_wrap <<<"$tsan_prefix"
    cmake --preset native-tsan -B "$build/native-tsan" >/dev/null
    cmake --build "$build/native-tsan" -j"$jobs" --target "${tsan_targets[@]}"
  else
    tsan_why=$tsan_prefix
  fi
  tsan_build_s=$(( $(date +%s) - t0 ))
fi
if has_tree win; then
  t0=$(date +%s)
  # curl's source, from Debian beside the trees (bench/fetch_curl.sh), for the HTTP client's
  # smoke test (bench_http_smoke: a real program's uv_poll_t use, checked on uvafd). Where it
  # cannot be had (no deb-src entry for its suite, an archive that dropped the version), the
  # test says so and is skipped; nothing else depends on it.
  bench/fetch_curl.sh "$build/third_party" >/dev/null 2>"$build/fetch_curl.log" ||
    echo "test: $(tail -n 1 "$build/fetch_curl.log")"
  cmake --preset win -B "$build/win" >/dev/null
  cmake --build "$build/win" -j"$jobs"
  x64_build_s=$(( $(date +%s) - t0 ))
fi
if has_tree win32; then
  x86_start=$(date +%s)
  cmake --preset win32 -B "$build/win32" >/dev/null
  cmake --build "$build/win32" -j"$jobs" --target "${x86_targets[@]}"
  x86_build_s=$(( $(date +%s) - x86_start ))
fi
declare -A other_build_s
for v in "${other_versions[@]}"; do
  has_tree "win-$v" || continue
  t0=$(date +%s)
  cmake --preset "win-$v" -B "$build/win-$v" -DUVAFD_UPSTREAM_SUBSET="$other_subset" >/dev/null
  cmake --build "$build/win-$v" -j"$jobs" --target "${other_targets[@]}"
  other_build_s[$v]=$(( $(date +%s) - t0 ))
done
set +e

# One wineserver per tree, in the tree's own prefix, stopped when that tree is done and on the
# way out (it would otherwise linger, and a killed test's children with it).
source tools/wine.sh
trap wine_stop EXIT

passed=0
failed=0
skipped=0
ctest_total=0
ctest_wrap=()  # a command ctest runs under (setarch, for TSan's address layout)
# A test ctest skipped (SKIP_RETURN_CODE: a known Wine failure, a missing ../shared) is counted
# as skipped: ctest's own closing line counts it as passed (tools/report/ctest_summary.py).
run_ctest() {
  local dir=$1 log counts p f s
  shift
  log=$(mktemp)
  "${ctest_wrap[@]}" ctest --test-dir "$dir" --output-on-failure -j"$jobs" "$@" 2>&1 | tee "$log"
  ctest_total=0
  if counts=$(python3 tools/report/ctest_summary.py "$log"); then
    read -r p f s ctest_total <<<"$counts"
    passed=$((passed + p))
    failed=$((failed + f))
    skipped=$((skipped + s))
  else
    failed=$((failed + 1))
  fi
  rm -f "$log"
}

if has_tree native; then
  echo "=== native (ASan + UBSan)"
  t0=$(date +%s)
  run_ctest "$build/native"
  echo "native: built in ${native_build_s} s, tested in $(( $(date +%s) - t0 )) s"
fi
if has_tree native-tsan; then
  echo "=== native (ThreadSanitizer): the tests labelled threads"
  t0=$(date +%s)
  if [ -z "$tsan_why" ]; then
    ctest_wrap=("${tsan_wrap[@]}")
    run_ctest "$build/native-tsan" -L threads
    ctest_wrap=()
  else
    # Counted from the ASan tree, which defines the same tests (the TSan tree was not made).
    tsan_count=$(ctest --test-dir "$build/native" -N -L threads | sed -n 's/^Total Tests: //p')
    skipped=$((skipped + ${tsan_count:-0}))
    echo "native-tsan: ${tsan_count:-0} tests skipped, ThreadSanitizer cannot run here: $tsan_why"
  fi
  echo "native-tsan: built in ${tsan_build_s} s, tested in $(( $(date +%s) - t0 )) s"
fi
if has_tree win; then
  echo "=== Windows x64, under Wine"
  t0=$(date +%s)
  wine_start "$build/win/wineprefix"
  run_ctest "$build/win"
  wine_stop_tree "$build/win" x64
  echo "x64: built in ${x64_build_s} s, tested in $(( $(date +%s) - t0 )) s"
fi
x86_count=""
if has_tree win32; then
  echo "=== Windows x86, under Wine (32-bit)"
  x86_start=$(date +%s)
  wine_start "$build/win32/wineprefix"
  if ia32_why=$(tools/ia32-probe.sh "$build/win32/ia32-probe"); then
    run_ctest "$build/win32" -R "$x86_tests"
    x86_count=$ctest_total
  else
    # The tests ctest would have run there, counted without running them.
    x86_count=$(ctest --test-dir "$build/win32" -N -R "$x86_tests" | sed -n 's/^Total Tests: //p')
    skipped=$((skipped + ${x86_count:-0}))
    echo "x86: ${x86_count:-0} tests skipped, the tree built only: this machine cannot run" \
         "32-bit programs: $ia32_why"
  fi
  wine_stop_tree "$build/win32" x86
  echo "x86: built in ${x86_build_s} s, tested in $(( $(date +%s) - x86_start )) s"
fi

for v in "${other_versions[@]}"; do
  has_tree "win-$v" || continue
  echo "=== Windows x64, libuv $v, under Wine"
  t0=$(date +%s)
  wine_start "$build/win-$v/wineprefix"
  run_ctest "$build/win-$v" -R "$other_tests"
  wine_stop_tree "$build/win-$v" "libuv $v"
  echo "libuv $v: built in ${other_build_s[$v]} s, tested in $(( $(date +%s) - t0 )) s"
done

# The skip path, on every machine that runs the x86 part: that part again, as where 32-bit
# programs cannot run. It must exit 0, say why in its line, and skip exactly this run's x86
# tests (checked against what ctest ran here). Counted as one test.
if has_tree win32 && [ "${UVAFD_SIMULATE_NO_IA32:-0}" != 1 ] && [ -n "$x86_count" ]; then
  echo "=== the x86 skip path (UVAFD_TEST_TREES=win32 UVAFD_SIMULATE_NO_IA32=1 tools/test.sh)"
  t0=$(date +%s)
  skip_out=$(env -u WINEPREFIX -u UVAFD_WINEPREFIX UVAFD_TEST_TREES=win32 \
             UVAFD_SIMULATE_NO_IA32=1 bash tools/test.sh 2>&1)
  skip_rc=$?
  if [ $skip_rc = 0 ] &&
     [ "$(tail -n 1 <<<"$skip_out")" = "uvafd: 0 passed, 0 failed, $x86_count skipped" ] &&
     grep -q "^x86: $x86_count tests skipped, .*simulated by UVAFD_SIMULATE_NO_IA32=1" <<<"$skip_out"
  then
    passed=$((passed + 1))
    echo "x86 skip path: exit 0, $x86_count tests skipped, the reason printed: passed" \
         "($(( $(date +%s) - t0 )) s)"
  else
    failed=$((failed + 1))
    sed 's/^/  | /' <<<"$skip_out"
    echo "x86 skip path: FAILED (exit $skip_rc; expected exit 0, a line" \
         "'x86: $x86_count tests skipped, ...' and 'uvafd: 0 passed, 0 failed, $x86_count skipped')"
  fi
fi

echo "uvafd: the whole run took $(( $(date +%s) - run_start )) s"
echo "uvafd: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
