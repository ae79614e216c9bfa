#!/usr/bin/env bash
# CMake's side of the version setting: configuring with a UVAFD_LIBUV_VERSION that is not in
# cmake/libuv-versions.txt, or with a libuv tree whose include/uv/version.h says another
# version, stops with a message naming the supported versions, before anything is built.
# Each tree is configured as tools/test.sh configures build/win (its preset, CMakePresets.json).
#   configure_check.sh REPO_ROOT THIRD_PARTY_DIR
set -u
root=$1 third=$2
source "$(dirname "$0")/../support/check.sh"
scratch configure-check
supported=$(awk '/^[0-9]/ {printf "%s%s", sep, $1; sep = ", "}' "$root/cmake/libuv-versions.txt")

out=$(cmake -S "$root" --preset win -B "$work/a" -DUVAFD_LIBUV_VERSION=1.49.0 2>&1); rc=$?
out=$(tr -s " \n" "  " <<<"$out")  # CMake wraps its messages
check "an unsupported version fails to configure" '[ $rc -ne 0 ]'
check "the message lists the supported versions" \
  'grep -q "UVAFD_LIBUV_VERSION=1.49.0 is not supported" <<<"$out" &&
   grep -q "supported: $supported" <<<"$out"'
check "nothing is generated to build" \
  '[ ! -e "$work/a/Makefile" ] && [ ! -e "$work/a/build.ninja" ]'

# Two versions whose trees are both there: ask for one, point at the other's tree.
first=$(awk '/^[0-9]/ {print $1; exit}' "$root/cmake/libuv-versions.txt")
second=$(awk '/^[0-9]/ {n++; if (n == 2) {print $1; exit}}' "$root/cmake/libuv-versions.txt")
if [ -f "$third/libuv1-$second/include/uv/version.h" ]; then
  out=$(cmake -S "$root" --preset win -B "$work/b" -DUVAFD_LIBUV_VERSION="$first" \
          -DUVAFD_LIBUV_SOURCE_DIR="$third/libuv1-$second" 2>&1)
  rc=$?
  out=$(tr -s " \n" "  " <<<"$out")
  check "a tree of another version fails to configure" '[ $rc -ne 0 ]'
  check "the message names both versions" \
    'grep -q "is libuv $second" <<<"$out" && grep -q "not UVAFD_LIBUV_VERSION=$first" <<<"$out"'
  check "nothing is generated to build" '[ ! -e "$work/b/Makefile" ]'
else
  echo "(no libuv $second tree in $third: the mismatch case is not run)"
fi
exit $fail
