#!/usr/bin/env bash
# bench_smoke: runs every scenario once for a fraction of a second with small N, for real
# libuv, uvafd and the floor, and checks only that each prints its result line.
#   smoke.sh WINE_RUN LIBUV_EXE UVAFD_EXE FLOOR_EXE
set -u
run=$1
shift
libuv=$1 uvafd=$2 floor=$3
secs=0.2
fails=0
# scenario N (the floor has no close scenario, and no uv_tcp_t)
cases=("async 2" "pingpong 4" "churn 0" "close 0" "idle 50" "memory 50" "tcp 4")
for exe in "$libuv" "$uvafd" "$floor"; do
  for c in "${cases[@]}"; do
    set -- $c
    if [ "$exe" = "$floor" ] && { [ "$1" = close ] || [ "$1" = tcp ]; }; then continue; fi
    out=$(timeout 120 "$run" "$exe" "$1" "$secs" "$2" 2>&1)
    line=$(printf '%s\n' "$out" | tr -d '\r' | grep "^result .*scenario=$1 " | head -n 1)
    if [ -n "$line" ]; then
      echo "ok   $(basename "$exe") $c: ${line#result }"
    else
      echo "FAIL $(basename "$exe") $c:"
      printf '%s\n' "$out" | tail -n 5 | sed 's/^/     /'
      fails=$((fails + 1))
    fi
  done
done
echo "bench_smoke: $fails failed"
[ $fails -eq 0 ]
