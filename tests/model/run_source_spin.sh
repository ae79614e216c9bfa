#!/usr/bin/env bash
# Exhaustive check of the embedded wakeup source's word protocol (tests/model/source.pml) with
# spin, in two bound configurations (safety: assertions and invalid end states).
#
#   bash tests/model/run_source_spin.sh [OUTDIR]                the model: every run clean
#   bash tests/model/run_source_spin.sh --mutant NAME [OUTDIR]  a broken variant: spin must
#                                                               find an error in some run
# Exit status: 0 = as expected, 1 = not as expected, 2 = usage or missing tools.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
model="$here/source.pml"
# name | -D bounds
configs=(
  "small|-DWAKES=2 -DMAX_POST_FAIL=1 -DINCARNATIONS=2"
  "large|-DWAKES=3 -DMAX_POST_FAIL=2 -DINCARNATIONS=3"
)
mutants="RELEASE_EARLY NO_REAP CLEAR_AFTER_CALLBACK CLOSE_DROPS_BIT IDLE_ON_DELIVERY"

mutant=""
if [ "${1:-}" = --mutant ]; then
  [ $# -ge 2 ] || { echo "run_source_spin.sh: --mutant needs a name ($mutants)" >&2; exit 2; }
  mutant=$2
  shift 2
  case " $mutants " in
    *" $mutant "*) ;;
    *) echo "run_source_spin.sh: unknown mutant '$mutant' ($mutants)" >&2; exit 2 ;;
  esac
fi
for tool in spin gcc; do
  command -v "$tool" >/dev/null 2>&1 ||
    { echo "run_source_spin.sh: '$tool' not found (Debian: apt-get install spin gcc)" >&2; exit 2; }
done
outdir=${1:-$(mktemp -d "${TMPDIR:-/tmp}/uvafd-source-spin.XXXXXX")}
mkdir -p "$outdir" && outdir=$(cd "$outdir" && pwd) || exit 2

found=0
for entry in "${configs[@]}"; do
  name=${entry%%|*}
  defs=${entry#*|}
  dir="$outdir/$name"
  rm -rf "$dir" && mkdir -p "$dir" && cp "$model" "$dir/" || exit 2
  # shellcheck disable=SC2086  # the bounds are separate words
  if ! (cd "$dir" && spin -a $defs ${mutant:+-DMUTANT_$mutant} source.pml >spin.log 2>&1 &&
        gcc -O2 -DSAFETY -o pan pan.c >>spin.log 2>&1); then
    echo "run_source_spin.sh: $name: spin or gcc failed (see $dir/spin.log)" >&2
    exit 2
  fi
  (cd "$dir" && ./pan -m100000 >pan.log 2>&1)
  errors=$(sed -n 's/.*errors: \([0-9]*\).*/\1/p' "$dir/pan.log" | head -n1)
  states=$(sed -n 's/^ *\([0-9]*\) states, stored.*/\1/p' "$dir/pan.log" | head -n1)
  if [ -z "$errors" ]; then
    echo "run_source_spin.sh: $name: pan printed no result (see $dir/pan.log)" >&2
    exit 1
  fi
  if grep -q "max search depth too small" "$dir/pan.log"; then
    echo "run_source_spin.sh: $name: the search was cut short (depth)" >&2
    exit 1
  fi
  echo "source model ${mutant:+(mutant $mutant) }$name: $states states, $errors errors"
  [ "$errors" = 0 ] || found=1
done

if [ -z "$mutant" ]; then
  [ "$found" = 0 ] && exit 0
  echo "run_source_spin.sh: the model has errors: trails in $outdir/*/source.pml.trail" >&2
  exit 1
fi
[ "$found" = 1 ] && { echo "mutant $mutant killed"; exit 0; }
echo "run_source_spin.sh: mutant $mutant was NOT killed" >&2
exit 1
