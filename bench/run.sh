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
#   UVAFD_BENCH_IDLE_ROUNDS  rounds for scenario 5, whose set-up takes long (default 6: its
#                         verdict is read on the shares paired by round against the A/A's,
#                         and under 6 values the interval is only min..max)
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
#   UVAFD_BENCH_HTTP=0    skip the HTTP scenarios (libcurl's multi API on uv_poll_t against a
#                         native server: bench/bench_http_curl.c, bench/http.sh; http: the server
#                         answers at once, http_wait: UVAFD_BENCH_HTTP_DELAY_US later, default
#                         1000). They need curl's source, which bench/fetch_curl.sh fetches from
#                         Debian into the tree's ../third_party; where it cannot, the report
#                         says why and the scenarios are skipped
#   UVAFD_BENCH_ONLY_HTTP=1   run only the HTTP scenarios (their rounds and trace counts, ~8
#                         minutes); the report keeps the other sections' numbers from the report
#                         already in UVAFD_BENCH_OUT, as UVAFD_BENCH_ONLY_LIBUV=1 does
set -euo pipefail
export LC_ALL=C  # sort and awk number formats
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
source bench/rounds.sh
idle_rounds=${UVAFD_BENCH_IDLE_ROUNDS:-6}
async_rounds=${UVAFD_BENCH_ASYNC_ROUNDS:-$((2 * rounds))}
idle_n=${UVAFD_BENCH_IDLE:-10000}
mem_n=${UVAFD_BENCH_MEMORY:-10000}
do_trace=${UVAFD_BENCH_TRACE:-1}
libuv_rounds=${UVAFD_BENCH_LIBUV_ROUNDS:-3}
source bench/libuv_bench.sh
source bench/http.sh
only_http=${UVAFD_BENCH_ONLY_HTTP:-0}
do_http=${UVAFD_BENCH_HTTP:-1}
[ "$only_http" = 1 ] && { do_http=1; libuv_rounds=0; }
[ "${UVAFD_BENCH_ONLY_LIBUV:-0}" = 1 ] && do_http=0  # (its report keeps the HTTP part)
http_skipped=  # why the HTTP scenario did not run, for the report

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
# curl's source beside the tree, where cmake/curl_baseline.cmake looks for it; a tree configured
# before it was there is configured again to find it.
if [ "$do_http" = 1 ]; then
  if ! http_why=$(bench/fetch_curl.sh "$(dirname "$tree")/third_party" 2>&1 >/dev/null); then
    do_http=0
    http_skipped=$(tail -n 1 <<<"$http_why")
  fi
fi
bench_configure "${configure_args[@]}"
if [ "$do_http" = 1 ] && ! grep -qs bench_http_curl_uvafd "$tree/bench/Makefile" "$tree/build.ninja"; then
  cmake "$tree" >/dev/null
fi
targets=(--target bench_uv_libuv bench_uv_uvafd bench_floor)
if [ "$libuv_rounds" -gt 0 ] || [ "${UVAFD_BENCH_ONLY_LIBUV:-0}" = 1 ]; then
  targets+=(uv_bench_libuv uv_bench_uvafd uv_upstream_launch)
fi
[ "$do_http" = 1 ] && targets+=(bench_http_curl_libuv bench_http_curl_uvafd)
# The tree may be shared with another build running now: one retry a minute later.
if ! cmake --build "$tree" -j2 "${targets[@]}" >/dev/null; then
  echo "bench: build failed; retrying in 60 s" >&2
  sleep 60
  cmake --build "$tree" -j2 "${targets[@]}"
fi
exe_libuv=$tree/bench/bench_uv_libuv.exe
exe_uvafd=$tree/bench/bench_uv_uvafd.exe
exe_floor=$tree/bench/bench_floor.exe
if [ "$do_http" = 1 ] && ! http_skipped=$(http_client_ready "$tree" 2>&1); then do_http=0; fi

# ---- the timed runs, in shuffled rounds -----------------------------------------------------
work=$(mktemp -d)
bench_wine "$tree/bench-wineprefix"  # its wineserver is restarted below to trace it
trap 'http_server_stop; wine_stop; rm -rf "$work"' EXIT
load_before=$(load_average)
# The HTTP scenario's server: native, one for the whole run (the clients' runs are fresh).
if [ "$do_http" = 1 ] && ! http_server_start "$work/http" 2>"$work/http.why"; then
  do_http=0
  http_skipped=$(tail -n 1 "$work/http.why")
fi
[ -n "$http_skipped" ] && echo "bench: $http_skipped" >&2
out_dir=${UVAFD_BENCH_OUT:-docs}
# report [PARTS]: the report of this run; given the parts it measured (bench_report.py --fresh),
# the others keep the numbers of the report already in $out_dir.
report() {
  local keep=()
  [ -n "${1:-}" ] && keep=(--keep-doc "$out_dir/benchmarks.md" --fresh "$1")
  python3 tools/report/bench_report.py uv --work "$work" --out-dir "$out_dir" "${keep[@]}"
}
if [ "${UVAFD_BENCH_ONLY_LIBUV:-0}" = 1 ]; then
  [ "$libuv_rounds" -gt 0 ] && libuv_bench_rounds "$tree" "$libuv_rounds"
  [ "$do_trace" = 1 ] && libuv_bench_traces "$tree"
  bench_meta "libuv_bench_date=$(date -u '+%Y-%m-%d %H:%M UTC')" "docs=${UVAFD_BENCH_DOCS:-1}" \
    "libuv_bench_load=$load_before / $(load_average)"
  fresh=libuv_trace
  [ "$libuv_rounds" -gt 0 ] && fresh=libuv,libuv_trace
  [ "$do_trace" = 1 ] || fresh=libuv
  report "$fresh"
  exit 0
fi
cases=("async 1" "async 2" "async 4" "pingpong 1" "pingpong 64" "pingpong 1024" "churn 0"
       "close 0" "idle 0" "idle 1000" "idle $idle_n" "tcp 1" "tcp 64")
http_cases=("http 20" "http 200" "http_wait 20" "http_wait 200")
[ "$only_http" = 1 ] && cases=()
base_cases=("${cases[@]}")  # the report's meta keeps the HTTP ones apart (http_cases)
[ "$do_http" = 1 ] && cases+=("${http_cases[@]}")
progs=(uvafd libuv floor)
exe_of() {  # program [scenario]
  if [ "${2:-}" = http ] || [ "${2:-}" = http_wait ]; then
    case $1 in uvafd | uvafd_aa) echo "$tree/bench/bench_http_curl_uvafd.exe" ;;
               libuv) echo "$tree/bench/bench_http_curl_libuv.exe" ;; esac
    return
  fi
  case $1 in uvafd | uvafd_aa) echo "$exe_uvafd" ;; libuv) echo "$exe_libuv" ;; floor) echo "$exe_floor" ;; esac
}
progs_of() {  # scenario -> the programs that run it
  case $1 in
    close) echo uvafd libuv ;;
    # libuv's own uv_tcp_t, and curl on libuv (no NT-only HTTP client): the floor has no equivalent
    tcp | http | http_wait) echo uvafd libuv uvafd_aa ;;
    async | pingpong | churn | idle) echo uvafd libuv floor uvafd_aa ;;
    *) echo uvafd libuv floor ;;
  esac
}
rounds_of() {  # scenario -> how many rounds it runs
  case $1 in idle) echo "$idle_rounds" ;; async) echo "$async_rounds" ;; *) echo "$rounds" ;; esac
}
all_rounds=$(printf '%s\n' "$rounds" "$idle_rounds" "$async_rounds" | sort -n | tail -n 1)
echo "bench: $rounds round(s) of ${secs} s runs (libuv $libuv_version, uvafd, floor; async: $async_rounds, idle: $idle_rounds), Wine prefix $WINEPREFIX"
[ "$only_http" = 1 ] && all_rounds=$rounds
run_rounds "$all_rounds" 0
if [ "$only_http" != 1 ]; then
  echo "memory ($mem_n handles, once)  [$(($(date +%s) - started)) s]"
  for p in "${progs[@]}"; do run_one 1 "$p" memory "$mem_n" 1; done
  # uv_async_t's memory: the libraries only (the floor has no such handle).
  for p in uvafd libuv; do run_one 1 "$p" memory_async "$mem_n" 1; done
fi
[ "$libuv_rounds" -gt 0 ] && libuv_bench_rounds "$tree" "$libuv_rounds"

# ---- wineserver requests per event (Wine's server trace) --------------------------------
# Each program runs twice to a fixed number of events (K1, K2) with a fresh, tracing
# wineserver; the report divides the difference (start-up and teardown cancel out).
trace_cases=("async 1 500 2500" "pingpong 1 300 1300" "pingpong 64 640 2560"
             "pingpong 1024 2048 6144" "churn 0 40 160" "close 0 100 400")
# HTTP requests at 20 connections (multiples of 20: every connection at the same point).
http_trace=("http 20 400 2000" "http_wait 20 400 2000")
[ "$only_http" = 1 ] && trace_cases=()
base_trace=("${trace_cases[@]}")
[ "$do_http" = 1 ] && trace_cases+=("${http_trace[@]}")
if [ "$do_trace" = 1 ]; then
  echo "wineserver requests per event (WINEDEBUG=+server, two event counts each)  [$(($(date +%s) - started)) s]"
  for c in "${trace_cases[@]}"; do
    set -- $c
    for p in "${progs[@]}"; do
      if [ "$p" = floor ] && [[ $1 == close || $1 == http* ]]; then continue; fi
      t=$work/trace-$p-$1-$2
      bench/trace_count.sh "$(exe_of "$p" "$1")" "$1" "$2" "$3" "$t-a.names" >"$t-a.out" || true
      bench/trace_count.sh "$(exe_of "$p" "$1")" "$1" "$2" "$4" "$t-b.names" >"$t-b.out" || true
      echo "$p $c" >>"$work/traces.list"
      echo "  $p $1 $2: $(tr '\n' ' ' <"$t-a.out")/ $(tr '\n' ' ' <"$t-b.out")"
    done
  done
  [ "$libuv_rounds" -gt 0 ] && libuv_bench_traces "$tree"
  wine_stop
fi
http_server_stop

# ---- the report ----------------------------------------------------------------------------
bench_meta "date=$(date -u '+%Y-%m-%d %H:%M UTC')" "elapsed=$(($(date +%s) - started))" \
  "nproc=$(nproc)" "cpu=$(lscpu 2>/dev/null | sed -n 's/^Model name:[[:space:]]*//p' | head -n 1)" \
  "kernel=$(uname -r)" "wine_version=$("$wine" --version 2>/dev/null || echo unknown)" \
  "load_before=$load_before" "load_after=$(load_average)" "secs=$secs" "rounds=$rounds" "libuv_version=$libuv_version" \
  "async_rounds=$async_rounds" "idle_rounds=$idle_rounds" "idle_n=$idle_n" "mem_n=$mem_n" \
  "trace=$do_trace" "docs=${UVAFD_BENCH_DOCS:-1}" "cases=$(IFS=';'; echo "${base_cases[*]}")" \
  "trace_cases=$(IFS=';'; echo "${base_trace[*]}")" "libuv_bench_date=$(date -u '+%Y-%m-%d %H:%M UTC')" \
  "libuv_bench_load=$load_before / $(load_average)"
# The HTTP scenario's own keys: a run of it alone (UVAFD_BENCH_ONLY_HTTP=1) replaces only these.
bench_meta "http=$do_http" "http_skipped=$http_skipped" "http_date=$(date -u '+%Y-%m-%d %H:%M UTC')" \
  "http_load=$load_before / $(load_average)" "http_rounds=$rounds" "http_secs=$secs" "http_delay_us=$http_delay_us" \
  "http_cases=$([ "$do_http" = 1 ] && IFS=';' && echo "${http_cases[*]}")" \
  "http_trace=$([ "$do_http" = 1 ] && [ "$do_trace" = 1 ] && IFS=';' && echo "${http_trace[*]}")" \
  "http_curl=$(awk '/^[0-9]/ {print $1 " (Debian " $3 ")"; exit}' bench/curl-version.txt)"
# A run of the HTTP scenarios alone, or one without rounds of libuv's own benchmarks, keeps the
# rest (libuv's section with its date, and their traces) as the last report has it.
if [ "$only_http" = 1 ]; then
  report http
elif [ "$libuv_rounds" -eq 0 ] && [ -f "$out_dir/benchmarks.md" ]; then
  report scenarios,http
else
  report
fi
