#!/usr/bin/env bash
# windows_bundle: packs a bundle from this tree, unpacks it elsewhere and runs some of its tests
# through the bundle runner under Wine: the report must name each with the right result, and a
# failing test must make the runner say so and exit non-zero.
#   check.sh SOURCE_DIR BUILD_TREE
set -euo pipefail
src=$1 tree=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
UVAFD_BUNDLE_TREES=$tree bash "$src/tools/windows-bundle.sh" "$work/bundle.zip"
python3 -m zipfile -e "$work/bundle.zip" "$work/b"
source "$src/tools/wine.sh"
tests=win/reactor_demo,win/lifecycle_test,async,timer_run_once,poll_bad_fdtype

out=$("$wine_run" "$work/b/uvafd_bundle_run.exe" --only "$tests" | tr -d '\r')
echo "$out"
report=$work/b/results/report.md
grep -q '^| win/reactor_demo | pass |' "$report"
grep -q '^| win/lifecycle_test | pass |' "$report"
for t in async timer_run_once poll_bad_fdtype; do  # poll_bad_fdtype opens a fixture: cwd is right
  grep -q "^| $t | pass | pass |" "$report"
done
[ "$(tail -n 1 <<<"$out")" = "uvafd-windows: 5 passed, 0 failed" ]

# A test that fails (the runner itself, given a bad argument) is reported as failed.
printf 'test\tbroken\t30\t.\tuvafd_bundle_run.exe\t--no-such-option\n' >>"$work/b/manifest.txt"
set +e
out=$("$wine_run" "$work/b/uvafd_bundle_run.exe" --only broken --out "$(wine_path "$work/b/r2")" | tr -d '\r')
rc=$?
set -e
echo "$out"
[ $rc -ne 0 ]
grep -q '^| broken | fail |' "$work/b/r2/report.md"
[ "$(tail -n 1 <<<"$out")" = "uvafd-windows: 0 passed, 1 failed" ]
echo "windows_bundle: ok"
