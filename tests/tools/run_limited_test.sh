#!/usr/bin/env bash
# ports/epoll/tests/wepoll/run_limited.sh, with stand-ins for a wepoll test program: exit 1 (not
# a verdict of wepoll's programs: Wine's for a process ended from outside) is run once more and
# said; a pass then counts, a second exit 1 fails; abort()'s 3 (a failed check) is a failure at
# once; a hang is killed; a known Wine failure is skipped (77).
set -u
script=$(cd "$(dirname "$0")/../.." && pwd)/ports/epoll/tests/wepoll/run_limited.sh
source "$(dirname "$0")/../support/check.sh"
scratch run-limited-test
# A program that exits with the next of its codes on each run (the last one from then on).
program() {
  printf '%s\n' "$@" >"$work/codes"
  cat >"$work/prog" <<'P'
#!/bin/sh
codes=$(dirname "$0")/codes
n=$(wc -l <"$codes")
c=$(head -n 1 "$codes")
[ "$n" -gt 1 ] && sed -i 1d "$codes"
echo "runs" >>"$(dirname "$0")/runs"
[ "$c" = hang ] && exec sleep 30
exit "$c"
P
  chmod +x "$work/prog"
  rm -f "$work/runs"
}
runs() { wc -l <"$work/runs" 2>/dev/null || echo 0; }

program 1 0
out=$(sh "$script" 10 "$work/prog"); rc=$?
check "exit 1 then a pass: passed, at the second try, said" \
  '[ $rc = 0 ] && [ "$(runs)" = 2 ] && grep -q "passed at the second try (the first: exit 1)" <<<"$out"'
program 1 1
out=$(sh "$script" 10 "$work/prog"); rc=$?
check "exit 1 twice: a failure" '[ $rc = 1 ] && [ "$(runs)" = 2 ] && grep -q "failed (exit 1) at the second try" <<<"$out"'
program 3 0
out=$(sh "$script" 10 "$work/prog"); rc=$?
check "a failed check (3): a failure, not run again" '[ $rc = 1 ] && [ "$(runs)" = 1 ] && grep -q "failed (exit 3)$" <<<"$out"'
program 0
out=$(sh "$script" 10 "$work/prog"); rc=$?
check "a pass: once" '[ $rc = 0 ] && [ "$(runs)" = 1 ] && grep -qx "wepoll test: passed" <<<"$out"'
program hang
out=$(sh "$script" 1 "$work/prog"); rc=$?
check "a hang: killed, a failure" '[ $rc = 1 ] && grep -q "hung (killed after 1 s)" <<<"$out"'
program 3
out=$(UVAFD_WINE_KNOWN=1 sh "$script" 10 "$work/prog"); rc=$?
check "a known Wine failure: skipped (77)" '[ $rc = 77 ] && grep -q "itself fails or hangs" <<<"$out"'
exit $fail
