# Sourced by every script that runs Windows programs outside CTest's emulator: one prefix's
# wineserver booted, served and stopped one way (tools/test.sh, upstream-tests/run.sh's lanes,
# the benchmarks, tools/demo.sh). Each returns 0, so that callers under set -e may use them.
wine=$(command -v wine64 || echo /usr/lib/wine/wine64)
wineserver=$(command -v wineserver || echo /usr/lib/wine/wineserver)
wine_tools=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
wine_run=$wine_tools/../cmake/wine-run.sh

# wine_start PREFIX [SECONDS]: PREFIX for this shell and its children, and a wineserver kept up
# for SECONDS after its last client (default: until stopped). A server of PREFIX left by an
# earlier run that was killed is ours: stopped. The boot (wineboot, seconds, on a new prefix)
# must end with its short-lived server before the persistent one and a warm-up process that
# starts Wine's own services; only then tests run in parallel: a wineboot racing the first
# tests hung them.
wine_start() {
  export UVAFD_WINEPREFIX=$1 WINEPREFIX=$1 WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
  "$wineserver" -k >/dev/null 2>&1 || true
  "$wine_run" cmd /c exit >/dev/null 2>&1 || true
  wine_serve "${2:-}"
}

# wine_serve [SECONDS]: a fresh persistent wineserver for the booted prefix, once the old one
# has gone (wine_stop first to end one that is up).
wine_serve() {
  "$wineserver" -w
  "$wineserver" -p"${1:-}" >/dev/null 2>&1
  "$wine_run" cmd /c exit >/dev/null 2>&1 || true
}

# wine_stop: the prefix's wineserver, and with it every process of the prefix.
wine_stop() {
  "$wineserver" -k >/dev/null 2>&1 || true
  timeout 30 "$wineserver" -w >/dev/null 2>&1 || true
}

# wine_stop_tree TREE NAME: a tree is done: nothing of its prefixes (its own, upstream-tests'
# lanes) may stay behind to hold a port or a CPU. Test programs still running beside Wine's
# services are ended by PID, then the wineserver, then whatever survived it; each is named
# (tools/wine-leftovers.sh).
wine_stop_tree() {
  local tree=$1 name=$2 left=0 leftovers=$wine_tools/wine-leftovers.sh
  env -u WINEPREFIX -u UVAFD_WINEPREFIX "$leftovers" "$tree" || left=1
  wine_stop
  env -u WINEPREFIX -u UVAFD_WINEPREFIX "$leftovers" --stopped "$tree" || left=1
  if [ $left = 0 ]; then
    echo "$name: no process of its Wine prefixes is left"
  else
    echo "$name: LEFTOVER processes of its Wine prefixes were running after its tests (ended, listed above)"
  fi
}

# Windows path of a Unix path (Wine maps / to Z:).
wine_path() { printf 'Z:%s' "${1//\//\\}"; }

# wine_reap WHO EXE...: ends, by PID, what still runs one of the EXEs in this prefix (its
# environment names $WINEPREFIX): what survived a launcher and `timeout`. Wine shows a process
# by its Windows path (Z:\...), its loader by the Unix one.
wine_reap() {
  local who=$1 pid args exe names
  shift
  names=$(for exe in "$@"; do basename "$exe" .exe; done | paste -sd'|')
  for pid in $(pgrep -f "$names"); do
    { tr '\0' '\n' <"/proc/$pid/environ"; } 2>/dev/null | grep -qx "WINEPREFIX=$WINEPREFIX" ||
      continue
    args=$( { tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null) || continue
    for exe in "$@"; do
      case "$args" in "$exe"* | "$(wine_path "$exe")"*)
        kill -9 "$pid" 2>/dev/null && echo "$who: ended leftover process $pid: $args" >&2
        break ;;
      esac
    done
  done
  return 0
}
