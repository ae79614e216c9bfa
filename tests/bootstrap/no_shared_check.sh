#!/usr/bin/env bash
# A checkout without ../shared (a user's clone): the x64 tree still registers every test that
# needs wepoll 1.5.8 from there, under its own name, as a skipped test that prints why, so the
# run's count says what did not run instead of losing it. Configured as tools/test.sh
# configures build/win (its preset), with the two wepoll paths pointed at nothing.
#   no_shared_check.sh REPO_ROOT THIRD_PARTY_DIR
set -u
root=$1 third=$2
source "$(dirname "$0")/../support/check.sh"
scratch no-shared-check
version=$(awk '/^[0-9]/ {print $1; exit}' "$root/cmake/libuv-versions.txt")
if [ ! -f "$third/libuv1-$version/include/uv.h" ]; then
  echo "no libuv $version tree in $third (tools/bootstrap.sh fetches it): not run"
  exit 77
fi

out=$(cmake -S "$root" --preset win -B "$work/win" -DUVAFD_LIBUV_SOURCE_DIR="$third/libuv1-$version" \
        -DUVAFD_WEPOLL_DIR="$work/none" -DUVAFD_WEPOLL_TESTS_DIR="$work/none" 2>&1)
rc=$?
check "the x64 tree configures without wepoll" '[ $rc -eq 0 ]'
[ $rc -eq 0 ] || { echo "$out" | tail -n 20; exit 1; }
names='^(bench_epoll_smoke|wepoll_port_.*)$'
# What the tree registers with ../shared: 10 of wepoll's programs on the port, static and DLL,
# but ctl-fuzz once (ports/epoll/tests/wepoll/CMakeLists.txt), and the benchmark's smoke test.
listed=$(ctest --test-dir "$work/win" -N -R "$names" | sed -n 's/^Total Tests: //p')
check "all 20 are registered (got ${listed:-none})" '[ "${listed:-0}" = 20 ]'
ctest --test-dir "$work/win" -R "$names" >"$work/ctest.log" 2>&1
counts=$(python3 "$root/tools/report/ctest_summary.py" "$work/ctest.log")
check "all 20 are skipped, none passed or failed (got passed failed skipped total: $counts)" \
  '[ "$counts" = "0 0 20 20" ]'
why=$(ctest --test-dir "$work/win" -V -R '^wepoll_port_error$' 2>&1)
check "a skipped one says why" \
  'grep -q "wepoll_port_error: skipped: no wepoll tests in $work/none" <<<"$why"'
exit $fail
