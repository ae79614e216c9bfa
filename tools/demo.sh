#!/usr/bin/env bash
# The main job: installs what is missing (as root), cross-builds uvafd for Windows and runs
# the reactor demo under Wine: TCP ping-pong over loopback, wakeups from another thread, a
# zombie, and teardown.
#
#   tools/demo.sh            (UVAFD_BUILD_DIR overrides ./build)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${UVAFD_BUILD_DIR:-build}
case $build in /*) ;; *) build=$PWD/$build ;; esac
if [ "$(id -u)" = 0 ]; then
  tools/bootstrap.sh "$build"
fi
cmake -S . -B "$build/win" -DCMAKE_TOOLCHAIN_FILE=cmake/mingw-w64-x86_64.cmake \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build/win" -j2 --target reactor_demo
export UVAFD_WINEPREFIX=$build/win/wineprefix
status=0
cmake/wine-run.sh "$build/win/examples/reactor_demo.exe" || status=$?
WINEPREFIX=$UVAFD_WINEPREFIX "$(command -v wineserver || echo /usr/lib/wine/wineserver)" -k \
  >/dev/null 2>&1 || true
exit $status
