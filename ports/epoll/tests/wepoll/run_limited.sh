#!/bin/sh
# run_limited.sh SECONDS RUNNER EXE: runs one of wepoll's test programs with a time limit and
# says how it ended. With UVAFD_WINE_KNOWN=1 (a test that also fails or hangs with wepoll 1.5.8
# itself under Wine) a failure or a hang is reported and returns 77, which CTest shows as
# skipped: visible in every run, not counted as the port's failure.
#
# wepoll's programs end with 0 (passed) or with abort()'s 3 after printing "Check failed" (a
# check failed); exit 1 is never their verdict. It is Wine's for a process ended from outside
# (measured: `wineserver -k` ends every process of its prefix with 1), seen once in a CI run
# with no output at all. Such a run is run once more, and the line says so: a pass then is
# "passed at the second try", a second exit 1 a failure.
limit=$1
shift
timeout -k 5 "$limit" "$@"
rc=$?
first=""
if [ $rc = 1 ]; then
  echo "wepoll test: exit 1, which is not the program's verdict (ended from outside?): once more"
  first=" at the second try (the first: exit 1)"
  timeout -k 5 "$limit" "$@"
  rc=$?
fi
case $rc in
  0) echo "wepoll test: passed$first"; exit 0 ;;
  124|137) what="hung (killed after ${limit} s)" ;;
  *) what="failed (exit $rc)" ;;
esac
echo "wepoll test: $what$first"
if [ "${UVAFD_WINE_KNOWN:-0}" = 1 ]; then
  echo "wepoll test: wepoll 1.5.8 itself fails or hangs here under Wine (docs/porting.md)"
  exit 77
fi
exit 1
