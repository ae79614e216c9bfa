#!/usr/bin/env bash
# The epoll port against wepoll 1.5.8 under Wine: bench_epoll.c linked twice (ping-pong with
# 1/64/1024 pairs, churn with socket value reuse, one pair's ping-pong beside 10k idle
# sockets). Prints the table and writes docs/benchmarks-epoll.md. Called by tools/bench-epoll.sh.
#
# Environment (all optional):
#   UVAFD_BUILD_DIR        build root (default ./build); the Windows tree is $UVAFD_BUILD_DIR/win
#   UVAFD_BENCH_TREE       the Windows build tree to use instead (configured if it is new)
#   UVAFD_BENCH_SECONDS    duration of each timed run (default 1)
#   UVAFD_BENCH_ROUNDS     rounds of ping-pong and churn (default 9)
#   UVAFD_BENCH_IDLE_ROUNDS rounds of the idle scenario, whose set-up takes seconds (default 5)
#   UVAFD_BENCH_IDLE       idle sockets (default 10000)
#   UVAFD_BENCH_DOCS=0     print the table only; leave docs/ alone
set -euo pipefail
export LC_ALL=C
root=$(cd "$(dirname "$0")/../../.." && pwd)
cd "$root"
build=${UVAFD_BUILD_DIR:-build}
case $build in /*) ;; *) build=$root/$build ;; esac
tree=${UVAFD_BENCH_TREE:-$build/win}
secs=${UVAFD_BENCH_SECONDS:-1}
rounds=${UVAFD_BENCH_ROUNDS:-9}
idle_rounds=${UVAFD_BENCH_IDLE_ROUNDS:-5}
idle_n=${UVAFD_BENCH_IDLE:-10000}
do_docs=${UVAFD_BENCH_DOCS:-1}
started=$(date +%s)

# ---- build ---------------------------------------------------------------------------------
if [ ! -f "$tree/CMakeCache.txt" ]; then
  cmake -S "$root" -B "$tree" -DCMAKE_TOOLCHAIN_FILE="$root/cmake/mingw-w64-x86_64.cmake" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$tree" -j2 --target bench_epoll_wepoll bench_epoll_uvafd >/dev/null
exe_wepoll=$tree/ports/epoll/bench/bench_epoll_wepoll.exe
exe_uvafd=$tree/ports/epoll/bench/bench_epoll_uvafd.exe

# ---- Wine: a prefix of our own, one persistent wineserver for the timed runs --------------
export UVAFD_WINEPREFIX=$tree/bench-epoll-wineprefix
export WINEPREFIX=$UVAFD_WINEPREFIX
export WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
wineserver=$(command -v wineserver || echo /usr/lib/wine/wineserver)
work=$(mktemp -d)
trap '"$wineserver" -k >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
cmake/wine-run.sh cmd /c exit >/dev/null 2>&1 || true  # boots a new prefix once (seconds)
"$wineserver" -w
"$wineserver" -p >/dev/null 2>&1
cmake/wine-run.sh cmd /c exit >/dev/null 2>&1 || true
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- timed runs ----------------------------------------------------------------------------
# results: "round=R req=N <result line>", the format bench/stats.awk reads.
results=$work/results
failures=$work/failures
: >"$results"
: >"$failures"
cases=("pingpong 1" "pingpong 64" "pingpong 1024" "churn 0" "idle $idle_n")
# uvafd_aa: the uvafd binary a second time in the same round (an A/A control): the spread of
# uvafd/uvafd_aa is what noise alone does to a ratio on this machine at this moment.
progs=(uvafd wepoll uvafd_aa)
exe_of() { case $1 in wepoll) echo "$exe_wepoll" ;; *) echo "$exe_uvafd" ;; esac; }
rounds_of() { case $1 in idle) echo "$idle_rounds" ;; *) echo "$rounds" ;; esac; }

run_one() {  # round prog scenario n
  local out line rc why
  out=$(timeout 300 cmake/wine-run.sh "$(exe_of "$2")" "$3" "$secs" "$4" 2>&1; echo "exit=$?")
  out=$(tr -d '\r' <<<"$out")
  rc=$(tail -n 1 <<<"$out")
  line=$(grep '^result ' <<<"$out" | head -n 1 || true)
  if [ -z "$line" ]; then
    why=$(grep -v '^exit=' <<<"$out" | tail -n 2 | tr '\n' ' ')
    echo "  $2 $3 $4: FAILED ($rc) $why"
    echo "round $1: $2 $3 $4: no result line, $rc${why:+, output: $why}" >>"$failures"
    return
  fi
  [ "$2" = uvafd_aa ] && line=${line/ lib=uvafd / lib=uvafd_aa }
  echo "round=$1 req=$4 $line" >>"$results"
  printf '  %-8s %-9s %6s  %s\n' "$2" "$3" "$4" "$(sed -E 's/.* value=([^ ]*) unit=([^ ]*).*/\1 \2/' <<<"$line")"
}

shuffled() {  # SEED WORD...: the words in an order fixed by SEED (the same on every run)
  local seed=$1
  shift
  printf '%s\n' "$@" | awk -v seed="$seed" 'BEGIN { srand(seed) } { printf "%.9f %s\n", rand(), $0 }' |
    sort -k1,1 | cut -d' ' -f2
}
all_rounds=$(printf '%s\n' "$rounds" "$idle_rounds" | sort -n | tail -n 1)
echo "bench-epoll: $rounds round(s) of ${secs} s runs (idle: $idle_rounds), uvafd vs wepoll 1.5.8, Wine prefix $WINEPREFIX"
for ((r = 1; r <= all_rounds; r++)); do
  echo "round $r/$all_rounds  [$(($(date +%s) - started)) s]"
  case_index=0
  for c in "${cases[@]}"; do
    set -- $c
    case_index=$((case_index + 1))
    [ "$r" -le "$(rounds_of "$1")" ] || continue
    # A new order every round: what the previous program leaves behind (wineserver state,
    # caches) must not always favour the same one.
    for p in $(shuffled $((r * 1000 + case_index)) "${progs[@]}"); do
      run_one "$r" "$p" "$1" "$2"
    done
  done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- statistics (bench/stats.awk: "key scenario n field median min max count lo hi conf") --
stats=$work/stats
awk -f bench/stats.awk "$results" | sort >"$stats"
get() {  # key scenario n [median|min|max|count|lo|hi|conf]
  local col
  case ${4:-median} in
    median) col=5 ;; min) col=6 ;; max) col=7 ;; count) col=8 ;; lo) col=9 ;; hi) col=10 ;; conf) col=11 ;;
  esac
  awk -v k="$1 $2 $3 value" -v c=$col '($1 " " $2 " " $3 " " $4) == k { print $c; exit }' "$stats"
}
num() {  # number -> table text
  [ -z "$1" ] && { echo "-"; return; }
  awk -v v="$1" 'BEGIN { if (v >= 1000) printf "%.0f", v; else if (v >= 100) printf "%.1f", v; else printf "%.2f", v }'
}
two() { [ -z "$1" ] && { echo "-"; return; }; awk -v v="$1" 'BEGIN { printf "%.2f", v }'; }
iv() {  # ratio key scenario n -> "median [lo, hi]"
  [ -z "$(get "$1" "$2" "$3")" ] && { echo "-"; return; }
  echo "$(two "$(get "$1" "$2" "$3")") [$(two "$(get "$1" "$2" "$3" lo)"), $(two "$(get "$1" "$2" "$3" hi)")]"
}
# Verdict on uvafd/wepoll: "faster"/"slower" when its interval lies wholly above/below 1, else
# "same within noise" (read it with the A/A interval beside it).
verdict() {
  local lo hi conf
  lo=$(get r_uw "$1" "$2" lo); hi=$(get r_uw "$1" "$2" hi); conf=$(get r_uw "$1" "$2" conf)
  [ -z "$lo" ] && { echo "-"; return; }
  awk -v c="$conf" 'BEGIN { exit !(c + 0 == 0) }' && { echo "too few rounds"; return; }
  awk -v lo="$lo" -v hi="$hi" 'BEGIN { if (lo > 1) print "uvafd faster"; else if (hi < 1) print "uvafd slower"; else print "same within noise" }'
}
label() {
  case $1 in
    pingpong) echo "ping-pong, $2 pair(s)" ;;
    churn) echo "churn: pair, ADD, 1 message, DEL, close" ;;
    idle) echo "one pair's ping-pong beside $2 idle sockets" ;;
  esac
}
unit() { case $1 in churn) echo "cycles/s" ;; *) echo "round trips/s" ;; esac; }
print_table() {
  echo "| scenario | unit | uvafd | wepoll 1.5.8 | uvafd/wepoll | A/A (uvafd/uvafd) | rounds | confidence | reading |"
  echo "|---|---|--:|--:|---|---|--:|--:|---|"
  local c n
  for c in "${cases[@]}"; do
    set -- $c
    n=$2
    echo "| $(label "$1" "$n") | $(unit "$1") | $(num "$(get uvafd "$1" "$n")") | $(num "$(get wepoll "$1" "$n")") | $(iv r_uw "$1" "$n") | $(iv r_aa "$1" "$n") | $(get r_uw "$1" "$n" count) | $(awk -v c="$(get r_uw "$1" "$n" conf)" 'BEGIN { printf "%.0f%%", 100 * c }') | $(verdict "$1" "$n") |"
  done
}
extra_median() {  # prog scenario n field -> median of a key=value field of the result lines
  grep " lib=$1 scenario=$2 " "$results" | grep "^round=[0-9]* req=$3 " |
    sed -n "s/.* $4=\([^ ]*\).*/\1/p" | sort -g |
    awk '{ v[NR] = $1 } END { if (NR) print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}

echo
print_table
elapsed=$(($(date +%s) - started))
[ "$do_docs" = 1 ] || exit 0

md=docs/benchmarks-epoll.md
{
  echo "# The epoll port against wepoll 1.5.8"
  echo
  echo "Generated by \`tools/bench-epoll.sh\` (ports/epoll/bench/run.sh) on $(date -u '+%Y-%m-%d %H:%M UTC'); the whole run took $elapsed s."
  echo
  echo "- Machine: $(nproc) CPUs; Linux $(uname -r); $(wine64 --version 2>/dev/null || echo wine) under"
  echo "  Wine, mingw-w64 cross build. Load average (1, 5, 15 min) before: $load_before; after: $load_after."
  echo "  Other work (builds, Wine tests) may have been running at the same time."
  echo "- \`ports/epoll/bench/bench_epoll.c\` uses wepoll's five functions only. It is compiled once;"
  echo "  the same object is linked against wepoll 1.5.8's released \`wepoll.c\` (compiled in the"
  echo "  build tree from \`../shared/third_party/wepoll-1.5.8/\`, not part of this repository) and"
  echo "  against \`uvafd_epoll_static\`."
  echo "- Each timed run lasts ${secs} s. Ping-pong and churn: $rounds rounds; idle: $idle_rounds rounds."
  echo "  In every round the three programs (uvafd, wepoll, and uvafd again as the A/A control)"
  echo "  run back to back in an order shuffled by a fixed seed."
  echo
  echo "## Results"
  echo
  print_table
  echo
  echo "Value columns: each program's median over the rounds. **uvafd/wepoll**: the median of"
  echo "the per-round ratios (above 1 favours uvafd) and, in brackets, a distribution-free interval"
  echo "for it (order statistics, \`bench/stats.awk\`; its confidence for this number of rounds in"
  echo "the confidence column). **A/A**: the uvafd binary divided by itself, run twice in every"
  echo "round: it can only differ from 1 by noise, so its interval is the size of difference this"
  echo "machine could not resolve during this run. A uvafd/wepoll interval that lies wholly above"
  echo "or below 1 is read as faster or slower, anything else as the same within noise."
  echo
  echo "## What each scenario does"
  echo
  echo "- **ping-pong N**: N loopback TCP pairs (TCP_NODELAY, non-blocking), both ends added with"
  echo "  \`EPOLLIN\` (level-triggered); the client sends 16 bytes, the server echoes them, the client"
  echo "  sends the next; all pairs at once. Rate: half trips / 2 / seconds. One \`epoll_wait\`"
  echo "  before the clock starts arms every socket with both libraries (wepoll submits its polls"
  echo "  in \`epoll_wait\`, uvafd at \`EPOLL_CTL_ADD\`)."
  echo "- **churn**: per cycle \`socket\` + \`connect\` + \`accept\`, \`EPOLL_CTL_ADD\` of the client"
  echo "  end with the cycle number as data, the server sends one message, \`epoll_wait\` until it"
  echo "  comes, \`recv\`, \`EPOLL_CTL_DEL\`, \`closesocket\` both. Wine hands the closed value back"
  echo "  at once: the next cycle's client had the same SOCKET value in a median"
  echo "  $(two "$(extra_median uvafd churn 0 same_socket_value)") (uvafd) and $(two "$(extra_median wepoll churn 0 same_socket_value)") (wepoll) of the cycles. An event carrying another cycle's"
  echo "  number ends the program without a result, so every result line is also a run without a"
  echo "  misrouted event."
  echo "- **idle N**: N UDP sockets bound to 127.0.0.1 and added with \`EPOLLIN\` (never readable:"
  echo "  an event from one ends the program), then one pair's ping-pong as above. Registering"
  echo "  the $idle_n sockets and arming them took a median of"
  echo "  $(two "$(extra_median uvafd idle "$idle_n" setup_s)") s with uvafd and $(two "$(extra_median wepoll idle "$idle_n" setup_s)") s with wepoll"
  echo "  (not timed). Under Wine 8 the wineserver walks every pending AFD poll on each socket"
  echo "  event, so both lose most of the one-pair rate (docs/benchmarks.md, scenario 5)."
  echo
  echo "## Runs without a result"
  echo
  if [ -s "$failures" ]; then
    echo "These runs printed no result line; the medians use the other rounds:"
    echo
    sed 's/^/- /' "$failures"
  else
    echo "None: every run printed its result line."
  fi
  echo
  echo "## Raw results"
  echo
  echo '```'
  cat "$results"
  echo '```'
  echo
  echo "## Reproducing"
  echo
  echo '```sh'
  echo "tools/bench-epoll.sh     # builds if needed, rewrites this file"
  echo "UVAFD_BENCH_SECONDS=2 UVAFD_BENCH_ROUNDS=15 tools/bench-epoll.sh   # longer"
  echo "build/win/ports/epoll/bench/bench_epoll_uvafd.exe pingpong 1 64   # one run (through cmake/wine-run.sh)"
  echo '```'
} >"$md.tmp"
mv "$md.tmp" "$md"
echo "wrote $md"
