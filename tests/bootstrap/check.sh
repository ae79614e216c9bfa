#!/usr/bin/env bash
# tools/bootstrap.sh's bad input, for real: an unsupported UVAFD_LIBUV_VERSION is refused with
# the supported list and nothing is created; a tarball whose sha256 is not the one Debian's
# source index states is refused and removed, with no tree left behind; the genuine tarball
# (taken from the build tree when it is there) is accepted and unpacked.
# Needs the source index of libuv's suite (apt-cache showsrc libuv1, which tools/bootstrap.sh
# sets up as root); without it the test is skipped (exit 77).
#   check.sh REPO_ROOT [TARBALL_DIR]
set -u
root=$1 tarballs=${2:-}
bootstrap=$root/tools/bootstrap.sh
source "$(dirname "$0")/../support/check.sh"
scratch bootstrap-check

version=$(awk '/^[0-9]/ {print $1; exit}' "$root/cmake/libuv-versions.txt")
tarball=$(awk '/^[0-9]/ {print $4; exit}' "$root/cmake/libuv-versions.txt")

out=$(UVAFD_LIBUV_VERSION=0.0.1 "$bootstrap" --libuv-only "$work/a" 2>&1); rc=$?
echo "$out"
check "an unsupported version fails" '[ $rc -ne 0 ]'
check "the message lists the supported versions" \
  'grep -q "not supported; supported: $version" <<<"$out"'
check "nothing is created" '[ ! -e "$work/a" ]'

if ! apt-cache showsrc libuv1 2>/dev/null | grep -q "^Version: $(awk '/^[0-9]/ {print $3; exit}' \
     "$root/cmake/libuv-versions.txt")\$"; then
  echo "skipped: no source record of libuv1 for $version (run tools/bootstrap.sh as root)"
  exit 77
fi

mkdir -p "$work/b/third_party"
head -c 4096 /dev/urandom > "$work/b/third_party/$tarball"
out=$(UVAFD_LIBUV_VERSION=$version "$bootstrap" --libuv-only "$work/b" 2>&1); rc=$?
echo "$out"
check "a tarball with another checksum fails" '[ $rc -ne 0 ]'
check "the message says it was refused and why" 'grep -q "REFUSED.*sha256" <<<"$out"'
check "the refused tarball is removed" '[ ! -e "$work/b/third_party/$tarball" ]'
check "no tree and no download folder is left" \
  '[ -z "$(ls -A "$work/b/third_party")" ]'

if [ -n "$tarballs" ] && [ -f "$tarballs/$tarball" ]; then
  mkdir -p "$work/c/third_party"
  cp "$tarballs/$tarball" "$work/c/third_party/"
  out=$(UVAFD_LIBUV_VERSION=$version "$bootstrap" --libuv-only "$work/c" 2>&1); rc=$?
  echo "$out"
  check "the genuine tarball is accepted" '[ $rc -eq 0 ]'
  check "and unpacked" '[ -f "$work/c/third_party/libuv1-$version/include/uv/version.h" ]'
fi
exit $fail
