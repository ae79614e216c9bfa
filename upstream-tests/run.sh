#!/usr/bin/env bash
# Runs libuv's tests, each alone, under both runners (real libuv, uvafd) through Wine, and writes
# BUILD_DIR/upstream-tests/report.md: test | real libuv | uvafd | time | what the log says.
# Fails when a test passes on real libuv and does not pass on uvafd (a skip there counts too),
# and when real libuv itself passes fewer than the floor: 90% of this run's tests that the list
# of the libuv version it runs (upstream-tests/floor/libuv-X.Y.Z.txt, X.Y.Z from the source
# tree's include/uv/version.h) names. tools/report/upstream_judge.py judges and writes the
# report; `upstream_judge.py floor-list REPORT.md` makes a version's list from a quiet run.
#
#   upstream-tests/run.sh BUILD_DIR [TEST...]      (default: every test of libuv's list)
#
# Environment: UPSTREAM_LANES=N (default 2): how many tests run at once. Each lane runs in a
# network namespace of its own (`unshare --net`: libuv's tests bind fixed ports 9123, 9124, ...)
# with a Wine prefix and a wineserver of its own started inside it (Wine creates sockets in
# wineserver, so they live in the namespace wineserver runs in). The namespaces are anonymous:
# they go away with the last process in them. Without them (not root, `unshare --net` refused,
# loopback cannot be brought up) it runs one lane in the machine's own namespace and says so;
# UPSTREAM_NETNS=0 asks for that mode.
#
# Time limits and clean-up: libuv's runner gives each test's child the list's own time limit.
# The runner runs under uv_upstream_launch.exe (launch.c), which holds it and everything it
# starts in a kill-on-close job object and terminates what is left when the runner returns.
# Each invocation is bounded by `timeout` (the test's limit + 30 s), and anything of ours still
# running after it is killed by PID. Each lane stops its own wineserver (`wineserver -k` on its
# own prefix) at its end; the main script stops the lanes (by PID) and their wineservers when it
# is interrupted, and a lane whose main script was killed stops before its next test.
#
# Internal: run.sh --lane N RUN_DIR is one lane (started by this script in its namespace);
# run.sh --lane-net brings up a lane's network and prints what it has (fails if it cannot).
set -u

self=$(readlink -f "$0")
source "$(dirname "$self")/../tools/wine.sh"
judge=$(dirname "$self")/../tools/report/upstream_judge.py

# ---------------------------------------------------------------------------------------------
# Helpers shared by the two modes.

load_config() {
  out=$1/upstream-tests
  # shellcheck source=/dev/null
  . "$out/config.sh"
}

# The list's own time limit of each test (ms), and the tests in list order.
source "$(dirname "$self")/test-list.sh"
declare -A limit_ms
list_order=()
read_task_list() {
  local name ms
  while read -r name ms; do
    limit_ms[$name]=$ms
    list_order+=("$name")
  done < <(libuv_tests "$UPSTREAM_TASKS")
}

# ---------------------------------------------------------------------------------------------
# A lane's network, set up from inside its new namespace (where only a down loopback exists).
# Loopback comes up with iproute2's `ip`, or without it through SIOCSIFFLAGS from python3.
# With `ip`, a lane also gets an Ethernet-like interface (one end of a veth pair whose other end
# stays in the lane too) with an address and a multicast route, as a machine on a network has:
# libuv's multicast tests send to 239.255.0.1 and fail with no route to it. No default route:
# a name lookup fails at once (network unreachable) instead of waiting for a DNS server a lane
# cannot reach. Addresses are from the documentation ranges (RFC 5737, RFC 3849).
lane_network() {
  if command -v ip >/dev/null; then
    ip link set lo up || return 1
  else
    python3 - <<'PY' || return 1
import fcntl, socket, struct
SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
request = struct.pack("16sH22x", b"lo", 0)
flags = struct.unpack("16sH22x", fcntl.ioctl(s, SIOCGIFFLAGS, request))[1]
fcntl.ioctl(s, SIOCSIFFLAGS, struct.pack("16sH22x", b"lo", flags | IFF_UP))
PY
  fi
  # IPv6 can be off in the kernel (ipv6.disable=1, or disable_ipv6 by default): then loopback
  # has no ::1, libuv's IPv6 tests skip (can_ipv6) or fail on both sides, and the lane says so.
  local v6=""
  has_ipv6_loopback || v6=" (no IPv6: this kernel gives loopback no ::1)"
  if command -v ip >/dev/null &&
     ip link add uv0 type veth peer name uv1 2>/dev/null &&
     ip addr add 192.0.2.2/24 dev uv0 &&
     ip link set uv1 up && ip link set uv0 up &&
     ip route add 224.0.0.0/4 dev uv0; then
    if [ -z "$v6" ] && ip -6 addr add 2001:db8::2/64 dev uv0 nodad; then
      echo "loopback and a veth interface (192.0.2.2/24, 2001:db8::2/64, multicast route)"
    else
      echo "loopback and a veth interface (192.0.2.2/24, multicast route)${v6:- (no IPv6 address)}"
    fi
  else
    echo "loopback only$v6"
  fi
}

# ::1 on loopback (in the namespace this runs in).
has_ipv6_loopback() {
  grep -qs ' lo$' /proc/net/if_inet6
}

# Serial mode runs in the machine's own namespace, where another program may hold the fixed
# ports libuv's tests bind (TEST_PORT 9123, 9124, 9125): every test that binds one would fail on
# both sides. Names who holds them, so that a floor failure has its cause on the screen.
check_machine_ports() {
  command -v ss >/dev/null || return 0
  local held
  held=$(ss -Htuanp 'sport >= :9123 and sport <= :9125' 2>/dev/null | grep -v TIME-WAIT)
  [ -n "$held" ] || return 0
  echo "run.sh: libuv's fixed ports (9123-9125) are in use in this network namespace; the" \
       "tests that bind them will fail on both sides:"
  sed 's/^/run.sh:   /' <<<"$held"
}

# ---------------------------------------------------------------------------------------------
# One lane: takes tests from the shared queue until it is empty.

lane_main() {
  local lane=$1 run_dir=$2
  local lane_dir=$run_dir/lane$lane
  load_config "$(cat "$run_dir/build_dir")"
  lane_mode=$(cat "$run_dir/mode")
  if [ "$lane_mode" = netns ]; then
    lane_network > "$run_dir/lane$lane.net" || { echo "run.sh: lane $lane: no network" >&2; exit 1; }
  fi
  read_task_list
  # One judge for all of the lane's runs (a Python start for each would cost more CPU than a
  # typical test); its pipes on fixed descriptors, which run_one's subshells inherit.
  coproc tap { exec python3 "$judge" verdicts; }
  exec {judge_in}>&"${tap[1]}" {judge_out}<&"${tap[0]}"
  mkdir -p "$lane_dir"
  logs=$out/logs
  mkdir -p "$out/lanes/$lane"
  launch_win=$(wine_path "$UPSTREAM_LAUNCH_EXE")
  # 10 s: a lane whose main script was killed leaves no server behind for long.
  wine_start "$out/lanes/$lane/wineprefix" 10

  local index name lres ltime ures utime first
  local parent
  parent=$(cat "$run_dir/pid")
  while index=$(next_index "$run_dir"); do
    # The main script was killed (CTest's timeout sends SIGKILL, no clean-up runs): stop too.
    process_alive "$parent" || break
    name=$(sed -n "$((index + 1))p" "$run_dir/queue")
    [ -n "$name" ] || continue
    read -r lres ltime < <(run_one libuv "$name" "$logs/$name.libuv.log")
    read -r ures utime < <(run_one uvafd "$name" "$logs/$name.uvafd.log")
    rm -f "$logs/$name.uvafd.retry.log"
    # One more try for uvafd where real libuv passed: two lanes share two cores, and libuv's
    # timing asserts are tight. A pass on the second try counts as a pass and stays visible
    # (the table and the summary); a second failure is a regression.
    if [ "$lres" = pass ] && [ "$ures" != pass ]; then
      first=$ures
      read -r ures utime < <(run_one uvafd "$name" "$logs/$name.uvafd.retry.log")
      [ "$ures" = pass ] && ures="pass(2nd-try;1st:$first)"
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$index" "$name" "$lres" "$ltime" "$ures" "$utime" \
      "$lane" >> "$lane_dir/results"
  done
  wine_stop
}

# A process that exists and is not a zombie (a killed parent waits as one until reaped).
process_alive() {
  local state
  state=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
  [ -n "$state" ] && [ "$state" != Z ]
}

# Prints the next queue index, or fails when the queue is done.
next_index() {
  local run_dir=$1 i total
  exec 8>>"$run_dir/queue.lock"
  flock 8
  i=$(cat "$run_dir/next")
  total=$(wc -l < "$run_dir/queue")
  if [ "$i" -ge "$total" ]; then
    flock -u 8; exec 8>&-
    return 1
  fi
  echo $((i + 1)) > "$run_dir/next"
  flock -u 8; exec 8>&-
  echo "$i"
}

# In a lane of its own namespace, every socket belongs to this lane's Wine. Once a test's
# processes are gone none may be left open: a socket that outlives its process (held by
# wineserver) would make later tests of the lane fail to bind their fixed ports. Such sockets are
# named in the test's log and in the lane's list of leaks, and the lane's wineserver is
# restarted so that the next test starts clean.
check_lane_sockets() {
  local name=$1 side=$2 log=$3 left tries
  [ "$lane_mode" = netns ] && command -v ss >/dev/null || return 0
  for tries in 1 2 3; do
    left=$(ss -Htuanp 2>/dev/null | grep 'users:(')
    [ -n "$left" ] || return 0
    sleep 0.5
  done
  {
    echo "# run.sh: sockets still open in the lane after the test (lane's wineserver restarted):"
    sed 's/^/#   /' <<<"$left"
  } >> "$log"
  printf '%s\t%s\t%s\n' "$name" "$side" "$(tr '\n' ' ' <<<"$left")" >> "$lane_dir/leaks"
  wine_stop
  wine_serve 10
}

# run_one SIDE TEST LOG -> prints "result seconds"
run_one() {
  local side=$1 name=$2 log=$3 exe ms limit start end rc result
  if [ "$side" = libuv ]; then exe=$UPSTREAM_LIBUV_EXE; else exe=$UPSTREAM_UVAFD_EXE; fi
  ms=${limit_ms[$name]:-5000}
  # The test's own limit, plus Wine start-up of launcher, runner and child, plus margin.
  limit=$(( ms / 1000 + 30 ))
  # A fresh working directory for each run (libuv's fs tests write into the current directory
  # and what a failed test leaves behind, a test_dir its cleanup cannot remove, would fail the
  # next test of the lane), holding the fixtures libuv's tests open by relative path
  # (test/fixtures/...). The last one stays for a look after the run.
  local work=$lane_dir/work-$side
  [ -d "$work" ] && { chmod -R u+rwx "$work" 2>/dev/null; rm -rf "$work"; }
  mkdir -p "$work/test"
  cp -r "$UPSTREAM_LIBUV_SOURCE_DIR/test/fixtures" "$work/test/"
  start=$(date +%s%N)
  ( cd "$work" &&
    exec timeout -k 10 "$limit" "$wine_run" "$launch_win" "$(wine_path "$exe")" "$name" \
  ) > "$log" 2>&1
  rc=$?
  end=$(date +%s%N)
  wine_reap run.sh "$UPSTREAM_LAUNCH_EXE" "$UPSTREAM_LIBUV_EXE" "$UPSTREAM_UVAFD_EXE"
  check_lane_sockets "$name" "$side" "$log"
  # The verdict: tools/report/tap_rule.md, by the lane's upstream_judge.py.
  printf '%s\t%s\t%s\n' "$name" "$rc" "$log" >&"$judge_in"
  read -r result <&"$judge_out" || result="fail($rc;no-judge)"
  printf '%s %d.%01d\n' "$result" $(( (end - start) / 1000000000 )) \
    $(( (end - start) / 100000000 % 10 ))
}

# ---------------------------------------------------------------------------------------------
# The whole run.

main() {
  local build=${1:?usage: run.sh BUILD_DIR [TEST...]}
  shift
  build=$(cd "$build" && pwd)
  load_config "$build"
  read_task_list
  for exe in "$UPSTREAM_LIBUV_EXE" "$UPSTREAM_UVAFD_EXE" "$UPSTREAM_LAUNCH_EXE"; do
    [ -f "$exe" ] || { echo "run.sh: $exe not built" >&2; exit 2; }
  done
  [ ${#list_order[@]} -gt 0 ] || { echo "run.sh: no tests in $UPSTREAM_TASKS" >&2; exit 2; }
  command -v python3 >/dev/null ||
    { echo "run.sh: python3 not found (it judges the run: tools/report/upstream_judge.py)" >&2
      exit 2; }

  local tests=()
  if [ $# -gt 0 ]; then
    local t
    for t in "$@"; do
      [ -n "${limit_ms[$t]:-}" ] || { echo "run.sh: $t is not in libuv's list" >&2; exit 2; }
      tests+=("$t")
    done
  else
    tests=("${list_order[@]}")
  fi

  logs=$out/logs
  mkdir -p "$logs"
  run_dir=$out/run
  rm -rf "$run_dir"
  mkdir -p "$run_dir"
  echo "$build" > "$run_dir/build_dir"
  echo $$ > "$run_dir/pid"
  printf '%s\n' "${tests[@]}" > "$run_dir/queue"
  echo 0 > "$run_dir/next"

  local lanes=${UPSTREAM_LANES:-2}
  [ "$lanes" -ge 1 ] 2>/dev/null || lanes=1
  [ "$lanes" -gt ${#tests[@]} ] && lanes=${#tests[@]}

  # Can this machine give a lane a network namespace of its own?
  local mode=netns lane_net
  if [ "${UPSTREAM_NETNS:-1}" = 0 ]; then
    mode=serial
    echo "run.sh: UPSTREAM_NETNS=0: one lane, in this machine's own network namespace"
  elif ! lane_net=$(unshare --net bash "$self" --lane-net 2>/dev/null); then
    mode=serial
    echo "run.sh: no network namespace for a lane here (needs root and unshare --net, and ip" \
         "or python3 to bring loopback up): the tests run one at a time in this machine's own" \
         "network namespace"
  fi
  if [ $mode = serial ]; then
    lanes=1
    check_machine_ports
    has_ipv6_loopback ||
      echo "run.sh: no IPv6 on loopback here (no ::1): libuv's IPv6 tests skip or fail on both sides"
  fi
  echo "$mode" > "$run_dir/mode"
  trap cleanup EXIT
  trap 'exit 130' INT TERM

  [ $mode = netns ] && echo "run.sh: each lane's network namespace has $lane_net"
  echo "run.sh: ${#tests[@]} tests, $lanes lane(s) ($mode); logs in $logs"
  local t0 t1 pids=() lane
  t0=$(date +%s)
  for ((lane = 0; lane < lanes; lane++)); do
    if [ $mode = netns ]; then
      unshare --net bash "$self" --lane "$lane" "$run_dir" &
    else
      bash "$self" --lane "$lane" "$run_dir" &
    fi
    pids+=($!)
  done
  lane_pids=("${pids[@]}")
  # Progress: each finished test as its lane reports it.
  declare -A printed
  local alive f count name lres ltime ures utime
  while :; do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    for f in "$run_dir"/lane*/results; do
      [ -f "$f" ] || continue
      count=${printed[$f]:-0}
      while IFS=$'\t' read -r _ name lres ltime ures utime _; do
        printf '%-45s libuv %-8s %5s s   uvafd %-8s %5s s\n' "$name" "$lres" "$ltime" \
          "$ures" "$utime"
        count=$((count + 1))
      done < <(tail -n +"$((count + 1))" "$f")
      printed[$f]=$count
    done
    [ $alive = 1 ] || break
    sleep 2
  done
  for pid in "${pids[@]}"; do wait "$pid"; done
  lane_pids=()
  t1=$(date +%s)

  write_report "$build" "$mode" "$lanes" $((t1 - t0)) "$@"
}

lane_pids=()
cleanup() {
  local pid prefix
  for pid in "${lane_pids[@]}"; do kill "$pid" 2>/dev/null; done
  # Each lane's wineserver, and with it every process of that prefix.
  for prefix in "$out"/lanes/*/wineprefix; do
    [ -d "$prefix" ] && WINEPREFIX=$prefix wine_stop
  done
}

# The report and the verdict (tools/report/upstream_judge.py): the table, the summary, and the
# exit status: 1 when a test was not run, when a test passes on real libuv and not on uvafd,
# or when real libuv passes fewer than the floor of its version's list (upstream-tests/floor/).
write_report() {
  local build=$1 mode=$2 lanes=$3 seconds=$4
  shift 4
  local report=$out/report.md
  [ $# -gt 0 ] && report=$out/report-partial.md
  python3 "$judge" judge --run-dir "$out/run" --logs "$logs" --report "$report" \
    --mode "$mode" --lanes "$lanes" --seconds "$seconds" \
    --libuv-source "$UPSTREAM_LIBUV_SOURCE_DIR"
  exit $?
}

if [ "${1:-}" = --lane ]; then
  lane_main "$2" "$3"
elif [ "${1:-}" = --lane-net ]; then
  lane_network
else
  main "$@"
fi
