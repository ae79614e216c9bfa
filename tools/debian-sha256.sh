#!/usr/bin/env bash
# The sha256 Debian's source index states for one file of a source package's version (its .dsc's
# Checksums-Sha256), from apt-cache showsrc: what tools/bootstrap.sh (libuv) and
# bench/fetch_curl.sh (curl) check a downloaded upstream tarball against. Prints nothing when the
# index has no such record.
#   debian-sha256.sh SOURCE_PACKAGE DEBIAN_VERSION FILE
apt-cache showsrc "$1" 2>/dev/null |
  awk -v ver="$2" -v tar="$3" '
    /^Version:/ {ok = ($2 == ver)}
    /^Checksums-Sha256:/ {sec = 1; next}
    /^[^ ]/ {sec = 0}
    sec && ok && $3 == tar {print $1; exit}'
