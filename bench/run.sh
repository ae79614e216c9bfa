#!/usr/bin/env bash
# Runs every benchmark for real libuv (UVAFD_LIBUV_VERSION), uvafd and the raw-ntdll floor under Wine; the
# report tool (tools/report/bench_report.py) then prints the table and writes
# docs/benchmarks.md and docs/benchmarks.png. Called by tools/bench.sh.
#
# Environment (all optional):
#   UVAFD_BUILD_DIR       build root (default ./build); the Windows tree is $UVAFD_BUILD_DIR/win
#   UVAFD_BENCH_TREE      the Windows build tree to use instead (configured if it is new)
#   UVAFD_BENCH_SECONDS   duration of each timed run (default 1)
#   UVAFD_BENCH_ROUNDS    rounds of timed runs; the table shows medians (default 9)
#   UVAFD_BENCH_IDLE_ROUNDS  rounds for scenario 5, whose set-up takes long (default 3)
#   UVAFD_BENCH_ASYNC_ROUNDS rounds for scenario 1, the noisiest and cheapest (default 2 x rounds)
#   UVAFD_BENCH_IDLE      idle sockets for scenario 5 (default 10000)
#   UVAFD_BENCH_MEMORY    poll handles for scenario 6 (default 10000)
#   UVAFD_BENCH_TRACE=0   skip counting wineserver requests (scenario 7, and libuv's benchmarks)
#   UVAFD_BENCH_LIBUV_TRACE  libuv's benchmarks whose requests per unit are counted (default:
#                         bench/libuv_bench.sh; helper-free ones only)
#   UVAFD_BENCH_DOCS=0    print the table only; leave docs/ alone
#   UVAFD_BENCH_OUT       the folder the report and chart go to (default docs)
#   UVAFD_BENCH_LIBUV_ROUNDS  rounds of libuv's own benchmarks (default 3; 0 skips them and
#                         keeps their section, and their traces, from the report in UVAFD_BENCH_OUT)
#   UVAFD_BENCH_LIBUV     which of them (default: the time-bounded ones, bench/libuv_bench.sh)
#   UVAFD_BENCH_LIBUV_COUNTED  count-bounded ones to probe in round 1 (default million_timers)
#   UVAFD_BENCH_ONLY_LIBUV=1  run only libuv's own benchmarks (and their traces; with
#                         UVAFD_BENCH_LIBUV_ROUNDS=0 the traces alone); the report keeps the other
#                         sections' numbers from the report already in UVAFD_BENCH_OUT
set -euo pipefail
export LC_ALL=C  # sort and awk number formats
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
source bench/rounds.sh
idle_rounds=${UVAFD_BENCH_IDLE_ROUNDS:-3}
async_rounds=${UVAFD_BENCH_ASYNC_ROUNDS:-$((2 * rounds))}
idle_n=${UVAFD_BENCH_IDLE:-10000}
mem_n=${UVAFD_BENCH_MEMORY:-10000}
do_trace=${UVAFD_BENCH_TRACE:-1}
libuv_rounds=${UVAFD_BENCH_LIBUV_ROUNDS:-3}
source bench/libuv_bench.sh

# ---- build ---------------------------------------------------------------------------------
# The libuv version of UVAFD_LIBUV_VERSION (default: the first row of cmake/libuv-versions.txt),
# whose preset is win (the first row) or win-<version> (CMakePresets.json).
default_version=$(awk '/^[0-9]/ {print $1; exit}' "$root/cmake/libuv-versions.txt")
libuv_version=${UVAFD_LIBUV_VERSION:-$default_version}
configure_args=(--preset win)
[ "$libuv_version" = "$default_version" ] || configure_args=(--preset "win-$libuv_version")
if [ -f "$build/third_party/libuv1-$libuv_version/include/uv.h" ]; then
  configure_args+=(-DUVAFD_LIBUV_SOURCE_DIR="$build/third_party/libuv1-$libuv_version")
fi
bench_configure "${configure_args[@]}"
targets=(--target bench_uv_libuv bench_uv_uvafd bench_floor)
if [ "$libuv_rounds" -gt 0 ] || [ "${UVAFD_BENCH_ONLY_LIBUV:-0}" = 1 ]; then
  targets+=(uv_bench_libuv uv_bench_uvafd uv_upstream_launch)
fi
# The tree may be shared with another build running now: one retry a minute later.
if ! cmake --build "$tree" -j2 "${targets[@]}" >/dev/null; then
  echo "bench: build failed; retrying in 60 s" >&2
  sleep 60
  cmake --build "$tree" -j2 "${targets[@]}"
fi
exe_libuv=$tree/bench/bench_uv_libuv.exe
exe_uvafd=$tree/bench/bench_uv_uvafd.exe
exe_floor=$tree/bench/bench_floor.exe

# ---- the timed runs, in shuffled rounds -----------------------------------------------------
work=$(mktemp -d)
bench_wine "$tree/bench-wineprefix"  # its wineserver is restarted below to trace it
load_before=$(load_average)
if [ "${UVAFD_BENCH_ONLY_LIBUV:-0}" = 1 ]; then
  [ "$libuv_rounds" -gt 0 ] && libuv_bench_rounds "$tree" "$libuv_rounds"
  [ "$do_trace" = 1 ] && libuv_bench_traces "$tree"
  bench_meta "libuv_bench_date=$(date -u '+%Y-%m-%d %H:%M UTC')" "docs=${UVAFD_BENCH_DOCS:-1}" \
    "libuv_bench_load=$load_before / $(load_average)"
  out_dir=${UVAFD_BENCH_OUT:-docs}
  python3 tools/report/bench_report.py uv --work "$work" --out-dir "$out_dir" \
    --keep-doc "$out_dir/benchmarks.md"
  exit 0
fi
cases=("async 1" "async 2" "async 4" "pingpong 1" "pingpong 64" "pingpong 1024" "churn 0"
       "close 0" "idle 0" "idle 1000" "idle $idle_n" "tcp 1" "tcp 64")
progs=(uvafd libuv floor)
exe_of() {
  case $1 in uvafd | uvafd_aa) echo "$exe_uvafd" ;; libuv) echo "$exe_libuv" ;; floor) echo "$exe_floor" ;; esac
}
progs_of() {  # scenario -> the programs that run it
  case $1 in
    close) echo uvafd libuv ;;
    tcp) echo uvafd libuv uvafd_aa ;;  # libuv's own uv_tcp_t: the floor has no equivalent
    async | pingpong | churn) echo uvafd libuv floor uvafd_aa ;;
    *) echo uvafd libuv floor ;;
  esac
}
rounds_of() {  # scenario -> how many rounds it runs
  case $1 in idle) echo "$idle_rounds" ;; async) echo "$async_rounds" ;; *) echo "$rounds" ;; esac
}
all_rounds=$(printf '%s\n' "$rounds" "$idle_rounds" "$async_rounds" | sort -n | tail -n 1)
echo "bench: $rounds round(s) of ${secs} s runs (libuv $libuv_version, uvafd, floor; async: $async_rounds, idle: $idle_rounds), Wine prefix $WINEPREFIX"
run_rounds "$all_rounds" 0
echo "memory ($mem_n handles, once)  [$(($(date +%s) - started)) s]"
for p in "${progs[@]}"; do run_one 1 "$p" memory "$mem_n" 1; done
# uv_async_t's memory: the libraries only (the floor has no such handle).
for p in uvafd libuv; do run_one 1 "$p" memory_async "$mem_n" 1; done
[ "$libuv_rounds" -gt 0 ] && libuv_bench_rounds "$tree" "$libuv_rounds"

# ---- wineserver requests per event (Wine's server trace) --------------------------------
# Each program runs twice to a fixed number of events (K1, K2) with a fresh, tracing
# wineserver; the report divides the difference (start-up and teardown cancel out).
trace_cases=("async 1 500 2500" "pingpong 1 300 1300" "pingpong 64 640 2560"
             "pingpong 1024 2048 6144" "churn 0 40 160" "close 0 100 400")
if [ "$do_trace" = 1 ]; then
  echo "wineserver requests per event (WINEDEBUG=+server, two event counts each)  [$(($(date +%s) - started)) s]"
  for c in "${trace_cases[@]}"; do
    set -- $c
    for p in "${progs[@]}"; do
      if [ "$p" = floor ] && [ "$1" = close ]; then continue; fi
      t=$work/trace-$p-$1-$2
      bench/trace_count.sh "$(exe_of "$p")" "$1" "$2" "$3" "$t-a.names" >"$t-a.out" || true
      bench/trace_count.sh "$(exe_of "$p")" "$1" "$2" "$4" "$t-b.names" >"$t-b.out" || true
      echo "$p $c" >>"$work/traces.list"
      echo "  $p $1 $2: $(tr '\n' ' ' <"$t-a.out")/ $(tr '\n' ' ' <"$t-b.out")"
    done
  done
  [ "$libuv_rounds" -gt 0 ] && libuv_bench_traces "$tree"
  wine_stop
fi

# ---- the report ----------------------------------------------------------------------------
bench_meta "date=$(date -u '+%Y-%m-%d %H:%M UTC')" "elapsed=$(($(date +%s) - started))" \
  "nproc=$(nproc)" "cpu=$(lscpu 2>/dev/null | sed -n 's/^Model name:[[:space:]]*//p' | head -n 1)" \
  "kernel=$(uname -r)" "wine_version=$("$wine" --version 2>/dev/null || echo unknown)" \
  "load_before=$load_before" "load_after=$(load_average)" "secs=$secs" "rounds=$rounds" "libuv_version=$libuv_version" \
  "async_rounds=$async_rounds" "idle_rounds=$idle_rounds" "idle_n=$idle_n" "mem_n=$mem_n" \
  "trace=$do_trace" "docs=${UVAFD_BENCH_DOCS:-1}" "cases=$(IFS=';'; echo "${cases[*]}")" \
  "trace_cases=$(IFS=';'; echo "${trace_cases[*]}")" "libuv_bench_date=$(date -u '+%Y-%m-%d %H:%M UTC')" \
  "libuv_bench_load=$load_before / $(load_average)"
# Without rounds of libuv's own benchmarks, their section (and its date) stays as the last
# report has it.
keep=()
out_dir=${UVAFD_BENCH_OUT:-docs}
[ "$libuv_rounds" -eq 0 ] && [ -f "$out_dir/benchmarks.md" ] && keep=(--keep-doc "$out_dir/benchmarks.md")
python3 tools/report/bench_report.py uv --work "$work" --out-dir "$out_dir" "${keep[@]}"
