#!/usr/bin/env bash
# bench_smoke and bench_epoll_smoke: each program runs each of its scenarios once for a fraction
# of a second with small N and must print its result line; no timing is checked.
#   smoke.sh TEST WINE_RUN EXE "SCENARIO N,..." [EXE "SCENARIO N,..."]...
set -u
test=$1 run=$2
shift 2
fails=0
while [ $# -ge 2 ]; do
  exe=$1
  IFS=',' read -r -a cases <<<"$2"
  shift 2
  for c in "${cases[@]}"; do
    read -r scenario n <<<"$c"
    out=$(timeout 120 "$run" "$exe" "$scenario" 0.2 "$n" 2>&1)
    line=$(printf '%s\n' "$out" | tr -d '\r' | grep "^result .*scenario=$scenario " | head -n 1)
    if [ -n "$line" ]; then
      echo "ok   $(basename "$exe") $c: ${line#result }"
    else
      echo "FAIL $(basename "$exe") $c:"
      printf '%s\n' "$out" | tail -n 5 | sed 's/^/     /'
      fails=$((fails + 1))
    fi
  done
done
echo "$test: $fails failed"
[ $fails -eq 0 ]
