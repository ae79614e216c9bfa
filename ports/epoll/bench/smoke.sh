#!/usr/bin/env bash
# bench_epoll_smoke: every scenario once for a fraction of a second with small N, linked
# against wepoll and against uvafd; checks only that each prints its result line.
#   smoke.sh WINE_RUN WEPOLL_EXE UVAFD_EXE
set -u
run=$1 wepoll=$2 uvafd=$3
fails=0
for exe in "$wepoll" "$uvafd"; do
  for c in "pingpong 4" "churn 0" "idle 50"; do
    set -- $c
    out=$(timeout 120 "$run" "$exe" "$1" 0.2 "$2" 2>&1)
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
echo "bench_epoll_smoke: $fails failed"
[ $fails -eq 0 ]
