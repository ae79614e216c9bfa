# Sourced by bench/run.sh and ports/epoll/bench/run.sh from $root: the settings both read, the
# tree's configuration, a benchmark's own Wine prefix and the shuffled round loop. The caller
# defines exe_of PROG [SCENARIO], progs_of SCENARIO and rounds_of SCENARIO, sets cases=("SCENARIO N" ...)
# and work, and hands $work to tools/report.
# $work/results gets "round=R req=N <program line>" per run (N as asked for), $work/failures
# one line per run that printed no result line.

source "$(dirname "${BASH_SOURCE[0]}")/../tools/wine.sh"
build=${UVAFD_BUILD_DIR:-build}
case $build in /*) ;; *) build=$root/$build ;; esac
tree=${UVAFD_BENCH_TREE:-$build/win}
secs=${UVAFD_BENCH_SECONDS:-1}
rounds=${UVAFD_BENCH_ROUNDS:-9}
started=$(date +%s)
# bench_configure [CMAKE_ARG...]: the Windows tree, configured if it is new (CMakePresets.json;
# the arguments choose another preset or add settings; default: --preset win).
bench_configure() {
  [ $# -gt 0 ] || set -- --preset win
  [ -f "$tree/CMakeCache.txt" ] || cmake -S "$root" "$@" -B "$tree" >/dev/null
}
# bench_wine PREFIX: a prefix of our own with one persistent wineserver for the timed runs.
bench_wine() { trap 'wine_stop; rm -rf "$work"' EXIT; wine_start "$1"; }

run_one() {  # round prog scenario n seconds
  local out line rc why
  out=$(timeout 300 cmake/wine-run.sh "$(exe_of "$2" "$3")" "$3" "$5" "$4" 2>&1; echo "exit=$?")
  out=$(tr -d '\r' <<<"$out")
  rc=$(tail -n 1 <<<"$out")
  line=$(grep '^result ' <<<"$out" | head -n 1 || true)
  if [ -z "$line" ]; then
    # Listed in the report; the medians use the rounds that did print a result.
    why=$(grep -v '^exit=' <<<"$out" | tail -n 2 | tr '\n' ' ')
    echo "  $2 $3 $4: FAILED ($rc) ${why}"
    echo "round $1: $2 $3 $4: no result line, $rc${why:+, output: $why}" >>"$work/failures"
    return
  fi
  # uvafd_aa: the uvafd binary again in the same round, the A/A control of the report.
  [ "$2" = uvafd_aa ] && line=${line/ lib=uvafd / lib=uvafd_aa }
  echo "round=$1 req=$4 $line" >>"$work/results"
  grep '^nt ' <<<"$out" | sed "s/^/round=$1 req=$4 /" >>"$work/results" || true
  printf '  %-8s %-9s %6s  %s\n' "$2" "$3" "$4" "$(sed -E 's/.* value=([^ ]*) unit=([^ ]*).*/\1 \2/' <<<"$line")"
}

shuffled() {  # SEED WORD...: the words in a random order fixed by SEED (the same on every run)
  local seed=$1
  shift
  printf '%s\n' "$@" | awk -v seed="$seed" 'BEGIN { srand(seed) } { printf "%.9f %s\n", rand(), $0 }' |
    sort -k1,1 | cut -d' ' -f2
}

# run_rounds ROUNDS COUNT_SKIPPED: ROUNDS rounds of every case that still has rounds to run.
# A new order every round, seeded: a fixed rotation keeps each program behind the same
# predecessor, and what that one leaves behind (wineserver state, CPU caches) then biases the
# ratios; the A/A control showed it (uvafd/uvafd 0.89 [0.80, 0.99] over 18 rotated rounds).
# The seed is round * 1000 + the case's index; COUNT_SKIPPED=1 counts the cases already done
# in the index too (the epoll benchmark always did, bench/run.sh did not: kept, so that each
# keeps its orders).
run_rounds() {
  local all=$1 count_skipped=$2 r c index p
  : >>"$work/results"
  : >>"$work/failures"
  for ((r = 1; r <= all; r++)); do
    echo "round $r/$all  [$(($(date +%s) - started)) s]"
    index=0
    for c in "${cases[@]}"; do
      set -- $c
      [ "$count_skipped" = 1 ] && index=$((index + 1))
      [ "$r" -le "$(rounds_of "$1")" ] || continue
      [ "$count_skipped" = 1 ] || index=$((index + 1))
      for p in $(shuffled $((r * 1000 + index)) $(progs_of "$1")); do
        run_one "$r" "$p" "$1" "$2" "$secs"
      done
    done
  done
}

# bench_meta KEY=VALUE...: the run's settings and machine, for the report.
bench_meta() { printf '%s\n' "$@" >>"$work/meta"; }
load_average() { cut -d' ' -f1-3 /proc/loadavg; }
