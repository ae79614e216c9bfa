#!/bin/sh
# run_limited.sh SECONDS RUNNER EXE: runs one of wepoll's test programs with a time limit and
# says how it ended. With UVAFD_WINE_KNOWN=1 (a test that also fails or hangs with wepoll 1.5.8
# itself under Wine) a failure or a hang is reported and returns 77, which CTest shows as
# skipped: visible in every run, not counted as the port's failure.
limit=$1
shift
timeout -k 5 "$limit" "$@"
rc=$?
case $rc in
  0) echo "wepoll test: passed"; exit 0 ;;
  124|137) what="hung (killed after ${limit} s)" ;;
  *) what="failed (exit $rc)" ;;
esac
echo "wepoll test: $what"
if [ "${UVAFD_WINE_KNOWN:-0}" = 1 ]; then
  echo "wepoll test: wepoll 1.5.8 itself fails or hangs here under Wine (docs/porting.md)"
  exit 77
fi
exit 1
