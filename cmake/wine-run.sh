#!/usr/bin/env bash
# CMAKE_CROSSCOMPILING_EMULATOR: runs a Windows executable under Wine with a private prefix.
# UVAFD_WINEPREFIX (set by CTest) names the prefix; it defaults to ./wineprefix beside the
# current build directory. Quiet: Wine's own debug output is off unless WINEDEBUG is set.
set -u
prefix=${UVAFD_WINEPREFIX:-$PWD/wineprefix}
export WINEPREFIX=$prefix
export WINEDEBUG=${WINEDEBUG:--all}
# No Mono or Gecko prompts: nothing here needs .NET or a browser engine.
export WINEDLLOVERRIDES=${WINEDLLOVERRIDES:-mscoree,mshtml=}
source "$(dirname "${BASH_SOURCE[0]}")/../tools/wine.sh"
if [ ! -f "$prefix/system.reg" ]; then
  # The first start of a prefix takes seconds; make parallel test runs wait for one wineboot.
  mkdir -p "$prefix"
  ( flock 9; [ -f "$prefix/system.reg" ] || "$wine" wineboot -i >/dev/null 2>&1 ) 9>"$prefix.lock"
fi
exec "$wine" "$@"
