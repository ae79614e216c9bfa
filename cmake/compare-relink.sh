#!/usr/bin/env bash
# Runs the relink demo linked against real libuv and against uvafd (one object, two links),
# prints both transcripts side by side, and fails if they differ (carriage returns ignored) or
# if either program exits non-zero. The transcript is what the program prints (stdout); stderr
# is shown but not compared: Wine's service processes (services.exe, winedevice.exe, ...),
# started by whichever program starts the prefix's wineserver, inherit its stderr and write
# their own messages there.
# usage: compare-relink.sh WINE_RUN LIBUV_EXE UVAFD_EXE   (UVAFD_WINEPREFIX picks the prefix)
set -u
if [ $# -ne 3 ]; then
  echo "usage: $0 WINE_RUN LIBUV_EXE UVAFD_EXE" >&2
  exit 2
fi
run=$1 libuv_exe=$2 uvafd_exe=$3
work=$(mktemp -d "${TMPDIR:-/tmp}/relink.XXXXXX")
trap 'rm -rf "$work"' EXIT

"$run" "$libuv_exe" 2>"$work/libuv.err" | tr -d '\r' >"$work/libuv.txt"
libuv_rc=${PIPESTATUS[0]}
"$run" "$uvafd_exe" 2>"$work/uvafd.err" | tr -d '\r' >"$work/uvafd.txt"
uvafd_rc=${PIPESTATUS[0]}

width=170
pr -m -t -w "$width" <(printf '%s\n' "real libuv (exit $libuv_rc)" "----------") \
                     <(printf '%s\n' "uvafd (exit $uvafd_rc)" "----------") | expand
pr -m -t -w "$width" "$work/libuv.txt" "$work/uvafd.txt" | expand
echo
for lib in libuv uvafd; do
  if [ -s "$work/$lib.err" ]; then
    echo "stderr of the $lib run (not compared):"
    sed 's/^/  /' "$work/$lib.err"
  fi
done
echo "relink: transcripts of $(wc -l <"$work/libuv.txt") and $(wc -l <"$work/uvafd.txt") lines"

status=0
if ! diff -u --label libuv --label uvafd "$work/libuv.txt" "$work/uvafd.txt"; then
  echo "relink: transcripts DIFFER"
  status=1
else
  echo "relink: transcripts are identical"
fi
if [ "$libuv_rc" -ne 0 ] || [ "$uvafd_rc" -ne 0 ]; then
  echo "relink: exit codes: libuv $libuv_rc, uvafd $uvafd_rc (both must be 0)"
  status=1
fi
exit $status
