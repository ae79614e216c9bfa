#!/usr/bin/env bash
# bench_libuv_smoke: libuv's own benchmark runner, linked against real libuv and against uvafd,
# runs two of its time-bounded benchmarks (5 s each; ping_pongs starts a helper process) under
# the launcher, as bench/run.sh does, and tools/report parses the records: each run finished,
# printed its number, and both links are in the report section. No speed is asserted.
#   libuv_bench_smoke.sh WINE_RUN LAUNCH_EXE LIBUV_EXE UVAFD_EXE
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
launch=$2 libuv=$3 uvafd=$4
export WINEPREFIX=${UVAFD_WINEPREFIX:-$PWD/wineprefix}
source "$root/bench/libuv_bench.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fails=0
for name in loop_count_timed ping_pongs; do
  for side in libuv uvafd; do
    exe=$libuv
    [ $side = uvafd ] && exe=$uvafd
    out=$work/libuv_bench-1-$side-$name.out
    status=$(libuv_bench_one "$launch" "$exe" "$name" "$out")
    echo "1 $side $name $status" >>"$work/libuv_bench.list"
    got=$(python3 "$root/tools/report/libuv_bench.py" parse "$name" "$out")
    parsed=$?
    if [ "$status" = ok ] && [ $parsed -eq 0 ]; then
      echo "ok   $side $name: $got"
    else
      echo "FAIL $side $name: $status, $got"
      tail -n 5 "$out" | sed 's/^/     /'
      fails=$((fails + 1))
    fi
  done
done
# The report's reading of the same runs: every benchmark with both sides.
python3 "$root/tools/report/libuv_bench.py" check "$work" || fails=$((fails + 1))
echo "bench_libuv_smoke: $fails failed"
[ $fails -eq 0 ]
