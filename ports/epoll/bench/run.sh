#!/usr/bin/env bash
# The epoll port against wepoll 1.5.8 under Wine: bench_epoll.c linked twice (ping-pong with
# 1/64/1024 pairs, churn with socket value reuse, one pair's ping-pong beside 10k idle
# sockets); the report tool (tools/report/bench_report.py) prints the table and writes
# docs/benchmarks-epoll.md. Called by tools/bench-epoll.sh.
#
# Environment (all optional):
#   UVAFD_BUILD_DIR        build root (default ./build); the Windows tree is $UVAFD_BUILD_DIR/win
#   UVAFD_BENCH_TREE       the Windows build tree to use instead (configured if it is new)
#   UVAFD_BENCH_SECONDS    duration of each timed run (default 1)
#   UVAFD_BENCH_ROUNDS     rounds of ping-pong and churn (default 9)
#   UVAFD_BENCH_IDLE_ROUNDS rounds of the idle scenario, whose set-up takes seconds (default 5)
#   UVAFD_BENCH_IDLE       idle sockets (default 10000)
#   UVAFD_BENCH_DOCS=0     print the table only; leave docs/ alone
#   UVAFD_BENCH_OUT        the folder the report goes to (default docs)
set -euo pipefail
export LC_ALL=C
root=$(cd "$(dirname "$0")/../../.." && pwd)
cd "$root"
build=${UVAFD_BUILD_DIR:-build}
case $build in /*) ;; *) build=$root/$build ;; esac
tree=${UVAFD_BENCH_TREE:-$build/win}
secs=${UVAFD_BENCH_SECONDS:-1}
rounds=${UVAFD_BENCH_ROUNDS:-9}
idle_rounds=${UVAFD_BENCH_IDLE_ROUNDS:-5}
idle_n=${UVAFD_BENCH_IDLE:-10000}
started=$(date +%s)
source bench/rounds.sh

# ---- build ---------------------------------------------------------------------------------
if [ ! -f "$tree/CMakeCache.txt" ]; then
  cmake -S "$root" --preset win -B "$tree" >/dev/null
fi
cmake --build "$tree" -j2 --target bench_epoll_wepoll bench_epoll_uvafd >/dev/null
exe_wepoll=$tree/ports/epoll/bench/bench_epoll_wepoll.exe
exe_uvafd=$tree/ports/epoll/bench/bench_epoll_uvafd.exe

# ---- the timed runs, in shuffled rounds -----------------------------------------------------
work=$(mktemp -d)
bench_wine "$tree/bench-epoll-wineprefix"
load_before=$(load_average)
cases=("pingpong 1" "pingpong 64" "pingpong 1024" "churn 0" "idle $idle_n")
exe_of() { case $1 in wepoll) echo "$exe_wepoll" ;; *) echo "$exe_uvafd" ;; esac; }
progs_of() { echo uvafd wepoll uvafd_aa; }  # uvafd_aa: the A/A control
rounds_of() { case $1 in idle) echo "$idle_rounds" ;; *) echo "$rounds" ;; esac; }
all_rounds=$(printf '%s\n' "$rounds" "$idle_rounds" | sort -n | tail -n 1)
echo "bench-epoll: $rounds round(s) of ${secs} s runs (idle: $idle_rounds), uvafd vs wepoll 1.5.8, Wine prefix $WINEPREFIX"
run_rounds "$all_rounds" 1

# ---- the report ----------------------------------------------------------------------------
bench_meta "date=$(date -u '+%Y-%m-%d %H:%M UTC')" "elapsed=$(($(date +%s) - started))" \
  "nproc=$(nproc)" "kernel=$(uname -r)" "wine_version=$("$wine" --version 2>/dev/null || echo wine)" \
  "load_before=$load_before" "load_after=$(load_average)" "secs=$secs" "rounds=$rounds" \
  "idle_rounds=$idle_rounds" "idle_n=$idle_n" "docs=${UVAFD_BENCH_DOCS:-1}" \
  "cases=$(IFS=';'; echo "${cases[*]}")"
python3 tools/report/bench_report.py epoll --work "$work" --out-dir "${UVAFD_BENCH_OUT:-docs}"
