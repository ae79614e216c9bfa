# Sourced by bench/run.sh (after the scenarios' rounds) and bench/libuv_bench_smoke.sh: libuv's
# own benchmark runner (test/run-benchmarks.c, built by bench/CMakeLists.txt as
# uv_bench_libuv.exe and uv_bench_uvafd.exe from one set of objects), one benchmark per run,
# under upstream-tests' launcher (uv_upstream_launch.exe: a kill-on-close job object).
# Why the launcher: when libuv's Windows runner times a benchmark out (its 60 s) it kills only
# the helpers; the benchmark's own child keeps running under Wine, eats the CPU and holds the
# fixed port the next benchmark binds. The launcher ends whatever the runner left in the job,
# and what still runs after `timeout` is ended by PID below.
#
# Time-bounded benchmarks of libuv 1.44.2's test/benchmark-list.h, read in their sources: each
# stops on a timer (5 s; the pounds reconnect for 10 s) and reports its rate. The rest stop
# after a fixed count however long that takes; of those, UVAFD_BENCH_LIBUV_COUNTED are probed in
# round 1 and kept for the later rounds only if both links finished within the runner's 60 s.
libuv_bench_timed="million_async loop_count_timed queue_work ping_pongs ping_udp1
  tcp_pump1_client tcp_pump100_client pipe_pump1_client pipe_pump100_client tcp4_pound_100
  udp_timed_pummel_1v1 udp_timed_pummel_1v10 udp_timed_pummel_1v100 udp_timed_pummel_1v1000
  udp_timed_pummel_10v10 udp_timed_pummel_10v100 udp_timed_pummel_10v1000
  udp_timed_pummel_100v100 udp_timed_pummel_100v1000 udp_timed_pummel_1000v1000"
libuv_bench_counted_default="million_timers"

source "$(dirname "${BASH_SOURCE[0]}")/../tools/wine.sh"

# libuv_bench_one LAUNCH EXE NAME OUT: runs benchmark NAME of runner EXE, its output into OUT;
# prints ok, timeout or failed.
libuv_bench_one() {
  local launch=$1 exe=$2 name=$3 out=$4 rc
  # The runner's 60 s, Wine start-up of launcher, runner, helpers and child, and its 1 s pause.
  timeout -k 10 100 "$wine_run" "$(wine_path "$launch")" "$(wine_path "$exe")" \
    "$name" >"$out" 2>&1 </dev/null
  rc=$?
  wine_reap libuv_bench "$launch" "$exe"
  if [ $rc -eq 124 ] || [ $rc -eq 137 ] || grep -q "# timeout" "$out"; then
    echo timeout
  elif [ $rc -eq 0 ]; then
    echo ok
  else
    echo failed
  fi
}

# libuv_bench_rounds TREE ROUNDS: the benchmarks in shuffled rounds with the A/A control
# (run_rounds of bench/rounds.sh), into $work/libuv_bench.list and libuv_bench-R-P-B.out.
# In a subshell: run.sh's exe_of, progs_of and run_one stay as they are for its trace part.
libuv_bench_rounds() (
  local tree=$1 all=$2 names list b
  launch=$tree/upstream-tests/uv_upstream_launch.exe
  lb_libuv=$tree/bench/uv_bench_libuv.exe
  lb_uvafd=$tree/bench/uv_bench_uvafd.exe
  list=$("$wine_run" "$lb_uvafd" --list 2>/dev/null | tr -d '\r' | awk '{ print $1 }')
  counted=${UVAFD_BENCH_LIBUV_COUNTED-$libuv_bench_counted_default}
  names=""
  for b in ${UVAFD_BENCH_LIBUV:-$libuv_bench_timed} $counted; do
    if grep -qx "$b" <<<"$list"; then names="$names $b"; else echo "libuv_bench: no benchmark $b in this libuv" >&2; fi
  done
  # What the runner lists and this run does not run: the count-bounded rest, and the
  # time-bounded ones UVAFD_BENCH_LIBUV left out ("a, b": the words of $1 not in $2).
  others() {
    for b in $1; do case " $2 " in *" $b "*) ;; *) echo "$b" ;; esac; done | paste -sd' ' |
      sed 's/ /, /g'
  }
  not_run=$(others "$list" "$names $libuv_bench_timed")
  not_selected=$(others "$libuv_bench_timed" "$names")
  bench_meta "libuv_bench_rounds=$all" "libuv_bench_not_run=$not_run" \
    "libuv_bench_not_selected=$not_selected"
  cases=()
  for b in $names; do cases+=("$b 0"); done
  exe_of() { case $1 in uvafd | uvafd_aa) echo "$lb_uvafd" ;; libuv) echo "$lb_libuv" ;; esac; }
  progs_of() { echo uvafd libuv uvafd_aa; }
  rounds_of() {  # a counted benchmark goes on after round 1 only if both links finished
    case " $counted " in *" $1 "*) ;; *) echo "$all"; return ;; esac
    if grep -qx "1 uvafd $1 ok" "$work/libuv_bench.list" && grep -qx "1 libuv $1 ok" "$work/libuv_bench.list"; then
      echo "$all"
    else
      echo 1
    fi
  }
  run_one() {  # round prog bench n secs
    local out=$work/libuv_bench-$1-$2-$3.out status
    status=$(libuv_bench_one "$launch" "$(exe_of "$2")" "$3" "$out")
    echo "$1 $2 $3 $status" >>"$work/libuv_bench.list"
    printf '  %-8s %-28s %s  %s\n' "$2" "$3" "$status" \
      "$(python3 "$root/tools/report/libuv_bench.py" parse "$3" "$out" 2>/dev/null)"
  }
  : >>"$work/libuv_bench.list"
  echo "libuv's own benchmarks:$names ($all round(s))  [$(($(date +%s) - started)) s]"
  run_rounds "$all" 0
)

# libuv_bench_traces TREE: wineserver requests per unit of work (tick, event, packet) for the
# benchmarks of UVAFD_BENCH_LIBUV_TRACE that need no helper process, each run once per link
# under a fresh tracing wineserver (bench/trace_count.sh --runner), into
# $work/libuv_trace.list ("program bench" per run) and libuv_trace-P-B.{out,log,names}.
# Says whether a gap between the links is in what each asks of Wine, or in how the two CPUs
# were shared while they ran (the traced run is slower; the count per unit is what is read).
# Not million_async: its count leaves out the packets still queued when its timer closes the
# handles, a backlog set by the scheduling (traced, both links post one packet and dequeue one
# per event, and the backlog alone made uvafd's count per counted event 1.6x libuv's).
libuv_bench_trace_default="loop_count_timed queue_work udp_timed_pummel_1v10"
libuv_bench_traces() {
  local tree=$1 b p base
  for b in ${UVAFD_BENCH_LIBUV_TRACE-$libuv_bench_trace_default}; do
    for p in uvafd libuv; do
      base=$work/libuv_trace-$p-$b
      "$root/bench/trace_count.sh" --runner "$tree/bench/uv_bench_$p.exe" "$b" "$base.log" \
        "$base.names" >"$base.out" || true
      echo "$p $b" >>"$work/libuv_trace.list"
      echo "  $p $b: $(cat "$base.out") $(python3 "$root/tools/report/libuv_bench.py" parse "$b" "$base.log")"
    done
  done
}
