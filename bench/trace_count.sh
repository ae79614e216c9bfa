#!/usr/bin/env bash
# Counts the wineserver requests one benchmark process makes, from Wine's server trace.
#   trace_count.sh EXE SCENARIO N MAX_EVENTS [BREAKDOWN_FILE]
# Needs WINEPREFIX (a prefix no one else is using: its wineserver is restarted). Prints
# "requests=R events=E" for the benchmark process only: its first thread is found by the pid
# the program prints (init_first_thread's reply), the others by following new_thread requests
# for the current process (process=ffffffff) made from threads already in the set; a thread
# leaves the set when it terminates itself. A request line in the trace is "TTTT: name( ...";
# replies ("TTTT: name() = ..."), fd transfers and other notes are not counted.
# BREAKDOWN_FILE, if given, receives "count name" for each request name.
#   trace_count.sh --runner EXE NAME OUTPUT_FILE BREAKDOWN_FILE
# runs benchmark NAME of libuv's runner EXE in its own process ("EXE NAME NAME": no helper
# process, bench/libuv_bench.sh), its output into OUTPUT_FILE, and prints "requests=R" for it:
# it prints no pid, so its process is the first one the fresh wineserver starts (Wine's
# services come after it, as its children).
set -u
runner=0
if [ "${1:-}" = --runner ]; then
  runner=1
  exe=$2 scenario=$3 output=$4 breakdown=$5
else
  exe=$1 scenario=$2 n=$3 events=$4 breakdown=${5:-}
fi
source "$(dirname "$0")/../tools/wine.sh"
: "${WINEPREFIX:?WINEPREFIX must name the benchmark prefix}"
export WINEDLLOVERRIDES=${WINEDLLOVERRIDES:-mscoree,mshtml=}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
wine_stop
# The wineserver started by this process inherits WINEDEBUG=+server (wineserver -d) and our
# stderr: the trace. 600 s is a bound only: the run ends at MAX_EVENTS.
if [ $runner = 1 ]; then args=("$scenario" "$scenario"); else args=("$scenario" 600 "$n" "$events"); fi
WINEDEBUG=+server timeout 300 "$wine" "$exe" "${args[@]}" >"$tmp/out" 2>"$tmp/trace"
rc=$?
wine_stop
if [ $runner = 1 ]; then
  # A benchmark of libuv's prints to stdout or stderr; stderr carries the server's trace too,
  # whose lines start with a thread id and a colon.
  { cat "$tmp/out"; grep -av '^[0-9a-f]\{4\}: ' "$tmp/trace"; } | tr -d '\r' >"$output"
  [ $rc -eq 0 ] || { echo "trace_count: $exe $scenario failed (rc=$rc)" >&2; exit 1; }
  pid=first
else
  line=$(tr -d '\r' <"$tmp/out" | grep '^result ' | head -n 1)
  if [ $rc -ne 0 ] || [ -z "$line" ]; then
    echo "trace_count: $exe $scenario $n $events failed (rc=$rc)" >&2
    tail -n 5 "$tmp/out" >&2
    exit 1
  fi
  pid=$(sed -n 's/.* pid=\([0-9a-f]*\).*/\1/p' <<<"$line")
  got=$(sed -n 's/.* events=\([0-9]*\).*/\1/p' <<<"$line")
fi
awk -v pid="$pid" -v breakdown="$breakdown" '
  function hex(s) { sub(/^0+/, "", s); return s == "" ? "0" : s }
  function tid_in_line(   m) { match($0, /tid=[0-9a-f]+/); return hex(substr($0, RSTART + 4, RLENGTH - 4)) }
  { split($1, a, ":"); t = hex(a[1]) }
  # The last process with this pid is ours (it lives to the end of the trace); an earlier
  # one that had the same id is forgotten.
  $2 == "init_first_thread()" && pid == "first" && !seen_first {
    seen_first = 1; mine[tid_in_line()] = 1; next
  }
  $2 == "init_first_thread()" && pid != "first" && $0 ~ ("pid=0*" hex(pid) ",") {
    delete mine; delete by; delete own_new; count = 0
    mine[tid_in_line()] = 1; next
  }
  !(t in mine) { next }
  # A thread created in our own process (process=ffffffff, the current-process handle); the
  # first thread of a child process (conhost.exe) is created with the child process handle.
  $2 == "new_thread(" { if ($3 == "process=ffffffff,") own_new[t] = 1 }
  $2 == "new_thread()" { if (t in own_new) mine[tid_in_line()] = 1; delete own_new[t]; next }
  $2 ~ /^[a-z_0-9]+\($/ {
    count++; name = $2; sub(/\($/, "", name); by[name]++
    # A thread ending itself: its id may be given to another process later.
    if (name == "terminate_thread" && $3 == "handle=fffffffe,") delete mine[t]
  }
  END {
    printf "requests=%d", count
    if (breakdown != "") for (k in by) printf "%d %s\n", by[k], k > breakdown
  }' "$tmp/trace"
if [ $runner = 1 ]; then echo; else echo " events=$got"; fi
