# Sourced by every script that runs Windows programs outside CTest: one way to boot, serve and
# stop a prefix's wineserver. The functions return 0, for callers under set -e.
wine=$(command -v wine64 || echo /usr/lib/wine/wine64)
wineserver=$(command -v wineserver || echo /usr/lib/wine/wineserver)
wine_tools=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
wine_run=$wine_tools/../cmake/wine-run.sh

# wine_start PREFIX [SECONDS]: PREFIX for this shell, and a wineserver that stays SECONDS after
# its last client (default: until stopped). A server left by a killed run is stopped first.
# The boot (wineboot, seconds on a new prefix) ends with its short-lived server before the
# persistent one and a warm-up process that starts Wine's services: a wineboot racing the
# first parallel tests hung them.
wine_start() {
  export UVAFD_WINEPREFIX=$1 WINEPREFIX=$1 WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
  "$wineserver" -k >/dev/null 2>&1 || true
  "$wine_run" cmd /c exit >/dev/null 2>&1 || true
  wine_serve "${2:-}"
}

# wine_serve [SECONDS]: once the prefix's server has gone, a persistent one.
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

# wine_stop_tree TREE NAME: nothing of the tree's prefixes (its own, upstream-tests' lanes) may
# stay to hold a port or a CPU: test programs still running beside Wine's services, then the
# server, then what survived it, each named (tools/wine-leftovers.sh).
wine_stop_tree() {
  local left=0
  env -u WINEPREFIX -u UVAFD_WINEPREFIX "$wine_tools/wine-leftovers.sh" "$1" || left=1
  wine_stop
  env -u WINEPREFIX -u UVAFD_WINEPREFIX "$wine_tools/wine-leftovers.sh" --stopped "$1" || left=1
  if [ $left = 0 ]; then
    echo "$2: no process of its Wine prefixes is left"
  else
    echo "$2: LEFTOVER processes of its Wine prefixes were running after its tests (ended, listed above)"
  fi
}

wine_path() { printf 'Z:%s' "${1//\//\\}"; }  # Wine maps / to Z:

# wine_reap WHO EXE...: ends, by PID, what still runs an EXE in $WINEPREFIX (after a launcher
# and `timeout`). Wine names a process by its Windows path, its loader by the Unix one.
wine_reap() {
  local who=$1 pid args exe
  shift
  for pid in $(pgrep -f "$(for exe in "$@"; do basename "$exe" .exe; done | paste -sd'|')"); do
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
}
