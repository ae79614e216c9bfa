#!/usr/bin/env bash
# The main job: installs what is missing (as root), cross-builds uvafd and real libuv (the
# default version, 1.50.0) for Windows, and runs under Wine:
#  1. the relink demo: one libuv program, compiled once, linked against real libuv and against
#     uvafd, both transcripts side by side (and a check that they are the same);
#  2. the reactor demo: uvafd's own C API with real sockets, a wakeup thread, a zombie and
#     teardown, with the kernel calls it made.
#
#   tools/demo.sh            (UVAFD_BUILD_DIR overrides ./build)
set -euo pipefail
source "$(dirname "$0")/common.sh"
uvafd_bootstrap
cmake --preset win -B "$build/win" >/dev/null
cmake --build "$build/win" -j2 --target reactor_demo relink_demo_libuv relink_demo_uvafd
source tools/wine.sh
export UVAFD_WINEPREFIX=$build/win/wineprefix WINEPREFIX=$build/win/wineprefix
trap wine_stop EXIT
status=0
echo "=== 1. relink demo: the same libuv program on real libuv and on uvafd"
cmake/compare-relink.sh cmake/wine-run.sh "$build/win/examples/relink/relink_demo_libuv.exe" \
  "$build/win/examples/relink/relink_demo_uvafd.exe" || status=$?
echo
echo "=== 2. reactor demo: uvafd's own C API"
cmake/wine-run.sh "$build/win/examples/reactor_demo.exe" || status=$?
exit $status
