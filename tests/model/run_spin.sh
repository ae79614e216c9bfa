#!/usr/bin/env bash
# Exhaustive check of the reactor lifecycle model (tests/model/lifecycle.pml) with spin.
#
#   bash tests/model/run_spin.sh [OUTDIR]                  the model: every run must be clean
#   bash tests/model/run_spin.sh --mutant NAME [OUTDIR]    a broken variant: spin must find an
#                                                          error (equivalent mutants: must not)
#   bash tests/model/run_spin.sh --list                    the mutants
#
# The model is checked in three configurations (bounds on the number of operations; see
# docs/model.md). Each configuration gets two runs: safety (assertions and invalid end states,
# -DSAFETY) and liveness (the LTL property teardown_ends, acceptance cycles under weak
# fairness). Output, pan binaries, logs and any trail go to OUTDIR (default: a new temp dir).
# Exit status: 0 = as expected, 1 = not as expected, 2 = usage or missing tools.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
model="$here/lifecycle.pml"

# name | -D bounds passed to spin
configs=(
  "poll|-DMAX_POLL_OPEN=3 -DMAX_SET=5 -DMAX_WAKE_OPEN=0 -DMAX_WAKES=0 -DSOCKET_REUSE=1"
  "wake|-DMAX_POLL_OPEN=1 -DMAX_SET=1 -DMAX_WAKE_OPEN=2 -DMAX_WAKES=3 -DMAX_POST_FAIL=2 -DSOCKET_REUSE=0"
  "mixed|-DMAX_POLL_OPEN=2 -DMAX_SET=2 -DMAX_WAKE_OPEN=2 -DMAX_WAKES=2 -DMAX_POST_FAIL=1 -DSOCKET_REUSE=0"
)

# Mutants spin must kill, and equivalent mutants it must not (see docs/model.md).
killable="SKIP_GENERATION_CHECK FREE_ZOMBIE_EARLY SECOND_POLL WAKE_CLOSE_KEEPS_GENERATION NO_REAP_WAKE_ZOMBIES"
equivalent="SKIP_GENERATION_CHECK_REACTOR_ONLY"

depth=100000     # -m: the deepest path is ~500 steps; pan says so if this is ever too small
memlim=2048      # MB per run

usage() {
  sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

mutant=""
outdir=""
while [ $# -gt 0 ]; do
  case "$1" in
    --mutant) [ $# -ge 2 ] || { usage >&2; exit 2; }; mutant="$2"; shift 2 ;;
    --mutant=*) mutant="${1#--mutant=}"; shift ;;
    --list) echo "killable:   $killable"; echo "equivalent: $equivalent"; exit 0 ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "run_spin.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
    *) [ -z "$outdir" ] || { usage >&2; exit 2; }; outdir="$1"; shift ;;
  esac
done

expect="clean"
if [ -n "$mutant" ]; then
  case " $killable " in
    *" $mutant "*) expect="error" ;;
    *) case " $equivalent " in
         *" $mutant "*) expect="clean" ;;
         *) echo "run_spin.sh: unknown mutant '$mutant' (killable: $killable; equivalent: $equivalent)" >&2
            exit 2 ;;
       esac ;;
  esac
fi

for tool in spin gcc; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "run_spin.sh: '$tool' not found (Debian: apt-get install spin gcc)" >&2
    exit 2
  fi
done

# The model's state and event names must be the C++ enums' (a stale model checks nothing).
if command -v python3 >/dev/null 2>&1; then
  python3 "$here/check_names.py" || exit 1
else
  echo "run_spin.sh: python3 not found: the model's names are not checked against lifecycle.h" >&2
fi

[ -n "$outdir" ] || outdir=$(mktemp -d "${TMPDIR:-/tmp}/uvafd-spin.XXXXXX")
mkdir -p "$outdir" || exit 2
outdir=$(cd "$outdir" && pwd)
mutdef=""
[ -z "$mutant" ] || mutdef="-DMUTANT_$mutant"

echo "lifecycle model: $(spin -V 2>/dev/null | head -n1)"
echo "output: $outdir"
[ -z "$mutant" ] || echo "mutant: $mutant (expected: $([ "$expect" = error ] && echo 'spin finds an error' || echo 'equivalent, no error'))"
printf '%-6s %-9s %12s %13s %9s %8s  %s\n' config run states transitions "mem(MB)" "time(s)" result

found_error=0     # a real finding (assertion, invalid end state, acceptance cycle)
tool_problem=0    # an incomplete or broken run: never a pass
summary_errors=""

field() {  # field LOG REGEX SED: first match of REGEX, transformed by SED
  grep -m1 -E "$2" "$1" | sed -E "$3"
}

# build CONFIG_NAME DEFS KIND(safety|liveness): spin -a and gcc into OUTDIR/CONFIG/KIND
build() {
  local name="$1" defs="$2" kind="$3"
  local dir="$outdir/$name/$kind"
  rm -rf "$dir"
  mkdir -p "$dir"
  cp "$model" "$dir/lifecycle.pml"
  local cflags="-DNFAIR=3"
  [ "$kind" = liveness ] || cflags="-DSAFETY -DNOCLAIM"
  # shellcheck disable=SC2086
  if ! (cd "$dir" && spin -a $defs $mutdef lifecycle.pml >spin.log 2>&1); then
    echo "run_spin.sh: spin -a failed ($name/$kind):" >&2
    cat "$dir/spin.log" >&2
    return 1
  fi
  # -O1: pan.c is large and -O2 compiles twice as long for the same speed.
  # shellcheck disable=SC2086
  if ! (cd "$dir" && gcc -O1 -w $cflags -DCOLLAPSE -DMEMLIM=$memlim -o pan pan.c >gcc.log 2>&1); then
    echo "run_spin.sh: gcc failed ($name/$kind):" >&2
    cat "$dir/gcc.log" >&2
    return 1
  fi
}

# check CONFIG_NAME DEFS KIND: run pan, print one line, set found_error / tool_problem
check() {
  local name="$1" defs="$2" kind="$3"
  local dir="$outdir/$name/$kind"
  local pflags="-m$depth"
  [ "$kind" = safety ] || pflags="-a -f -m$depth -N teardown_ends"
  # shellcheck disable=SC2086
  (cd "$dir" && ./pan $pflags >pan.log 2>&1)
  local log="$dir/pan.log"
  local states trans mem secs errors result
  states=$(field "$log" 'states, stored' 's/^ *([0-9.e+]+) states, stored.*/\1/')
  trans=$(field "$log" 'transitions \(' 's/^ *([0-9.e+]+) transitions.*/\1/')
  mem=$(field "$log" 'total actual memory usage' 's/^ *([0-9.]+).*/\1/')
  secs=$(field "$log" 'elapsed time' 's/.*elapsed time ([0-9.e+]+).*/\1/')
  errors=$(field "$log" 'errors: [0-9]+' 's/.*errors: ([0-9]+).*/\1/')
  result="ok"
  if grep -q 'max search depth too small' "$log"; then
    result="DEPTH LIMIT HIT (raise -m)"; tool_problem=1
  elif grep -q -E 'reached -DMEMLIM bound|out of memory' "$log"; then
    result="OUT OF MEMORY (${memlim} MB)"; tool_problem=1
  elif [ -z "$errors" ]; then
    result="NO RESULT (see $log)"; tool_problem=1
  elif [ "$errors" != 0 ]; then
    found_error=1
    local what
    what=$(grep -m1 -E 'assertion violated|invalid end state|acceptance cycle' "$log" |
           sed -E 's/^pan:[0-9]+: //; s/ \(at depth [0-9]+\)//')
    [ -n "$what" ] || what="errors: $errors"
    result="ERROR: $what"
    summary_errors="$summary_errors  $name/$kind: $what\n"
    # a readable counterexample next to the log
    if ls "$dir"/*.trail >/dev/null 2>&1; then
      # shellcheck disable=SC2086
      (cd "$dir" && spin -t -p $defs $mutdef lifecycle.pml >trail.txt 2>&1)
      summary_errors="$summary_errors    counterexample: $dir/trail.txt\n"
    fi
  elif grep -q 'Search not completed' "$log"; then
    result="INCOMPLETE SEARCH (see $log)"; tool_problem=1
  fi
  printf '%-6s %-9s %12s %13s %9s %8s  %s\n' "$name" "$kind" "${states:-?}" "${trans:-?}" \
    "${mem:-?}" "${secs:-?}" "$result"
}

for entry in "${configs[@]}"; do
  name="${entry%%|*}"
  defs="${entry#*|}"
  # both binaries are built side by side (two cores), then run one after the other
  build "$name" "$defs" safety & b1=$!
  build "$name" "$defs" liveness & b2=$!
  wait "$b1" || tool_problem=1
  wait "$b2" || tool_problem=1
  [ "$tool_problem" = 0 ] || break
  check "$name" "$defs" safety
  # a mutant needs only one counterexample
  if [ "$expect" = error ] && [ "$found_error" = 1 ]; then break; fi
  check "$name" "$defs" liveness
  if [ "$expect" = error ] && [ "$found_error" = 1 ]; then break; fi
done

echo
if [ "$tool_problem" = 1 ]; then
  echo "FAIL: at least one run did not complete (see above); no verdict"
  exit 1
fi
if [ "$expect" = error ]; then
  if [ "$found_error" = 1 ]; then
    printf 'PASS: mutant %s was caught:\n%b' "$mutant" "$summary_errors"
    exit 0
  fi
  echo "FAIL: mutant $mutant was NOT caught: every run reported errors: 0"
  exit 1
fi
if [ "$found_error" = 1 ]; then
  printf 'FAIL: spin found errors:\n%b' "$summary_errors"
  exit 1
fi
if [ -n "$mutant" ]; then
  echo "PASS: equivalent mutant $mutant survived, as expected (errors: 0 in every run)"
else
  echo "PASS: errors: 0 in every run"
fi
exit 0
