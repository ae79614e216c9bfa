# Sourced by the entry points in tools/ (test.sh, demo.sh, bench.sh): moves to the repository
# root and sets $build to the absolute build root (UVAFD_BUILD_DIR, default ./build).
# uvafd_bootstrap installs what is missing when run as root, so each entry point works on a
# fresh Debian machine; as another user it assumes the packages are there.
cd "$(dirname "${BASH_SOURCE[0]}")/.."
build=${UVAFD_BUILD_DIR:-build}
case $build in /*) ;; *) build=$PWD/$build ;; esac
uvafd_bootstrap() {
  [ "$(id -u)" = 0 ] || return 0
  tools/bootstrap.sh "$build"
}

# What a run assumes of the machine, checked and said in one line (tools/test.sh), with a line
# for each assumption that does not hold and what the run does instead:
# - CPUs: -j and libuv's lanes are 2 (the machine this project was measured on); 1 on one CPU,
#   where two lanes of libuv's timing-sensitive tests would share it. Sets $jobs.
# - network namespaces (root and `unshare --net`): each lane of libuv's suite gets one, with its
#   own fixed ports; without them upstream-tests/run.sh runs one lane in this namespace, where
#   libuv's ports 9123-9125 must be free.
# - IPv6 on loopback: without ::1, libuv's IPv6 tests skip or fail on both sides.
# - a writable /tmp: Wine keeps each wineserver's socket there (Debian's Wine 8 here:
#   /tmp/wine-XXXXXX/server-DEV-INODE); no /tmp, no Wine. Shared by other runs on the machine
#   it is no conflict: the socket's folder is named after the prefix's device and inode.
uvafd_machine_check() {
  local cpus netns=yes v6=yes tmp=writable
  cpus=$(nproc 2>/dev/null || echo 1)
  if [ -n "${UVAFD_JOBS:-}" ]; then
    jobs=$UVAFD_JOBS
  elif [ "$cpus" -ge 2 ]; then
    jobs=2
  else
    jobs=1
  fi
  [ -n "${UPSTREAM_LANES:-}" ] || export UPSTREAM_LANES=$jobs
  [ "${UPSTREAM_NETNS:-1}" != 0 ] && unshare --net true 2>/dev/null || netns=no
  grep -qs ' lo$' /proc/net/if_inet6 || v6=no
  [ -d /tmp ] && [ -w /tmp ] || tmp="NOT writable"
  local lanes="$UPSTREAM_LANES lane(s)"
  [ $netns = yes ] || lanes="1 lane"
  echo "machine: $cpus CPUs (-j$jobs, $lanes for libuv's suite), network" \
       "namespaces: $netns, IPv6 on loopback: $v6, /tmp: $tmp"
  [ "$cpus" -ge 2 ] || [ -n "${UVAFD_JOBS:-}" ] ||
    echo "machine: one CPU: everything runs one at a time (UVAFD_JOBS, UPSTREAM_LANES override)"
  if [ $netns = no ]; then
    echo "machine: no network namespace for libuv's lanes (needs root and unshare --net):" \
         "its suite runs in one lane here, about 15 minutes instead of 6"
    if command -v ss >/dev/null &&
       ss -Htuan 'sport >= :9123 and sport <= :9125' 2>/dev/null | grep -qv TIME-WAIT; then
      echo "machine: libuv's fixed ports 9123-9125 are in use here (ss -tuanp shows by whom):" \
           "the tests that bind them will fail on both sides"
    fi
  fi
  [ $v6 = yes ] ||
    echo "machine: no ::1 on loopback (IPv6 off in this kernel): libuv's IPv6 tests skip or" \
         "fail on both sides"
  if [ "$tmp" != writable ]; then
    echo "machine: /tmp is not a writable directory: Wine cannot start a wineserver there" >&2
    return 1
  fi
}
