#!/usr/bin/env bash
# Ends, by PID, every process a build tree's tests left running, and names each on stdout.
# A process belongs to TREE when its environment names a Wine prefix under TREE (the tree's own,
# TREE/wineprefix, and upstream-tests' lane prefixes, TREE/upstream-tests/lanes/N/wineprefix).
# A test program left running holds its ports and a CPU for the rest of the run.
#
#   tools/wine-leftovers.sh TREE            after the tree's tests, its wineserver still up:
#                                           everything but wineserver and Wine's own services
#                                           (C:\windows\...) is a leftover
#   tools/wine-leftovers.sh --stopped TREE  after `wineserver -k`: every process is a leftover
#
# Exit 0 when there was none, 1 when it ended some. It reads /proc with bash alone, so that it
# starts no process that would carry the tree's prefix too.
set -u
stopped=0
[ "${1:-}" = --stopped ] && { stopped=1; shift; }
tree=$(cd "${1:?usage: tools/wine-leftovers.sh [--stopped] TREE}" && pwd)

# This script and its callers (tools/test.sh, started from a shell that had the tree's prefix
# exported, carries it too): never leftovers.
declare -A callers
pid=$$
while [ -n "$pid" ] && [ "$pid" != 0 ]; do
  callers[$pid]=1
  ppid=""
  while read -r key value; do
    [ "$key" = PPid: ] && { ppid=$value; break; }
  done 2>/dev/null < "/proc/$pid/status"
  pid=$ppid
done

# PIDs whose environment holds WINEPREFIX=TREE/..., with their command lines.
tree_processes() {
  local dir pid var args
  for dir in /proc/[0-9]*; do
    pid=${dir#/proc/}
    [ -n "${callers[$pid]:-}" ] || [ "$pid" = "$BASHPID" ] && continue
    while IFS= read -r -d '' var; do
      case $var in
        WINEPREFIX="$tree"/*)
          local a rest=()
          while IFS= read -r -d '' a; do rest+=("$a"); done 2>/dev/null < "$dir/cmdline"
          printf '%s\t%s\n' "$pid" "${rest[*]}"
          break ;;
      esac
    done 2>/dev/null < "$dir/environ"
  done
}

found=0
while IFS=$'\t' read -r pid args; do
  [ -n "$pid" ] || continue
  if [ $stopped = 0 ]; then
    case $args in
      */wineserver*|[Cc]:\\windows\\*) continue ;;
    esac
  fi
  if kill -9 "$pid" 2>/dev/null; then
    echo "leftover process $pid of ${tree##*/}'s Wine prefixes ended: $args"
    found=1
  fi
done < <(tree_processes)
exit $found
