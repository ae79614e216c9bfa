#!/usr/bin/env bash
# Installs what uvafd's build needs on a fresh Debian machine (run as root) and fetches the
# chosen libuv's upstream tarball into the build tree. Safe to run again: it only installs
# what is missing and only downloads what is not there yet.
#
#   [UVAFD_LIBUV_VERSION=1.50.0] tools/bootstrap.sh [--libuv-only] [BUILD_DIR]
#
# UVAFD_LIBUV_VERSION is one of cmake/libuv-versions.txt (the first row is the default): the
# same setting CMake reads. --libuv-only skips the packages and only fetches libuv.
set -euo pipefail

libuv_only=0
if [ "${1:-}" = --libuv-only ]; then
  libuv_only=1
  shift
fi
build_dir=${1:-build}
table=$(dirname "$0")/../cmake/libuv-versions.txt

# The version first: an unsupported one stops before anything is installed or downloaded.
# Each row: version, Debian suite, Debian version, orig tarball.
supported=$(awk '/^[0-9]/ {printf "%s%s", sep, $1; sep = ", "}' "$table")
libuv_version=${UVAFD_LIBUV_VERSION:-$(awk '/^[0-9]/ {print $1; exit}' "$table")}
read -r _ libuv_suite libuv_debian libuv_tarball \
  < <(awk -v v="$libuv_version" '$1 == v' "$table") || true
if [ -z "${libuv_tarball:-}" ]; then
  echo "bootstrap: libuv $libuv_version is not supported; supported: $supported" \
       "(UVAFD_LIBUV_VERSION, cmake/libuv-versions.txt)" >&2
  exit 1
fi
packages=(cmake make g++ mingw-w64 g++-mingw-w64-x86-64-posix gcc-mingw-w64-x86-64-posix
          wine64 catch2 spin python3 pkg-config iproute2)
# The x86 build (tools/test.sh: build/win32): its compilers, and Wine's 32-bit half from the
# i386 architecture (Debian's wine32; a 64-bit prefix then runs 32-bit programs too).
packages+=(g++-mingw-w64-i686-posix gcc-mingw-w64-i686-posix wine32:i386)

fetch_libuv() {
  local third=$build_dir/third_party dir sums expected actual top work
  dir=$third/libuv1-$libuv_version
  [ -f "$dir/include/uv.h" ] && return 0
  mkdir -p "$third"

  # What Debian's source index says the upstream tarball is (its .dsc's Checksums-Sha256):
  # the Debian revision around the tarball may change, the tarball does not.
  sums=$("$(dirname "$0")/debian-sha256.sh" libuv1 "$libuv_debian" "$libuv_tarball")
  if [ -z "$sums" ]; then
    echo "bootstrap: the archive does not serve libuv1 $libuv_debian (Debian $libuv_suite): no" \
         "source record names $libuv_tarball (apt-cache showsrc libuv1); libuv $libuv_version" \
         "cannot be fetched" >&2
    return 1
  fi
  expected=$sums

  # Downloaded into a folder of its own, checked, and only then moved beside the trees: a
  # failed or refused download leaves nothing behind.
  work=$(mktemp -d "$third/.fetch-$libuv_version.XXXXXX")
  chmod 755 "$work"  # apt's download user writes there
  if [ -f "$third/$libuv_tarball" ]; then
    cp "$third/$libuv_tarball" "$work/"
  elif ! ( cd "$work" && apt-get source --tar-only -qq "libuv1=$libuv_debian" >/dev/null ); then
    rm -rf "$work"
    echo "bootstrap: apt-get source --tar-only libuv1=$libuv_debian failed: the archive does" \
         "not serve libuv $libuv_version's tarball" >&2
    return 1
  fi
  actual=$(sha256sum "$work/$libuv_tarball" 2>/dev/null | cut -d' ' -f1) || true
  if [ "$actual" != "$expected" ]; then
    rm -rf "$work"
    rm -f "$third/$libuv_tarball"
    echo "bootstrap: REFUSED $libuv_tarball: its sha256 is ${actual:-unreadable}, Debian's" \
         "source index (libuv1 $libuv_debian) says $expected; the file was removed" >&2
    return 1
  fi
  top=$(tar tzf "$work/$libuv_tarball" | head -n 1 | cut -d/ -f1) || true
  tar xzf "$work/$libuv_tarball" -C "$work"
  if [ ! -f "$work/$top/include/uv/version.h" ]; then
    rm -rf "$work"
    echo "bootstrap: $libuv_tarball holds no libuv tree (no $top/include/uv/version.h)" >&2
    return 1
  fi
  mv "$work/$libuv_tarball" "$third/$libuv_tarball"
  rm -rf "$dir"
  mv "$work/$top" "$dir"
  rm -rf "$work"
  echo "bootstrap: libuv $libuv_version (sha256 $expected) in $dir"
}

# apt-get source needs a deb-src entry for the suite that holds the chosen version. It is
# derived from the machine's own Debian sources (the stanzas or lines of its main archive,
# not -security or -updates), so that no mirror name is written into this repository.
add_deb_src() {
  local suite=$1 list=/etc/apt/sources.list.d/uvafd-libuv-$1
  if grep -rqs "^Types:.*deb-src" /etc/apt/sources.list.d/*.sources &&
     awk -v s="$suite" '/^Types:.*deb-src/ {src = 1} /^$/ {src = 0}
                        src && /^Suites:/ {for (i = 2; i <= NF; i++) if ($i == s) f = 1}
                        END {exit !f}' /etc/apt/sources.list.d/*.sources 2>/dev/null; then
    return 1
  fi
  grep -qsE "^deb-src [^ ]+ $suite " /etc/apt/sources.list /etc/apt/sources.list.d/*.list &&
    return 1
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    awk -v s="$suite" '
      BEGIN {RS = ""; FS = "\n"}
      {
        main = 0
        for (i = 1; i <= NF; i++)
          if ($i ~ /^Suites:/) { split($i, w, /[ \t]+/); if (w[2] !~ /-/) main = 1 }
        if (!main) next
        for (i = 1; i <= NF; i++) {
          if ($i ~ /^Types:/) $i = "Types: deb-src"
          else if ($i ~ /^Suites:/) $i = "Suites: " s
          print $i
        }
        print ""
      }' /etc/apt/sources.list.d/debian.sources > "$list.sources"
    [ -s "$list.sources" ] || { rm -f "$list.sources"; return 1; }
  elif [ -f /etc/apt/sources.list ]; then
    sed -n -e "s/^deb \(\[[^]]*\] \)\?\([^ ]*\) \([a-z]*\) \(.*\)/deb-src \1\2 $suite \4/p" \
      /etc/apt/sources.list | sort -u > "$list.list"
    [ -s "$list.list" ] || { rm -f "$list.list"; return 1; }
  else
    return 1
  fi
  echo "bootstrap: added deb-src entries for Debian $suite (from this machine's sources)"
  return 0
}

if [ $libuv_only = 1 ]; then
  fetch_libuv
  exit $?
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

need_update=0
[ ${#missing[@]} -eq 0 ] || need_update=1

if add_deb_src "$libuv_suite"; then
  need_update=1
fi

if ! dpkg --print-foreign-architectures | grep -qx i386; then
  dpkg --add-architecture i386
  need_update=1
fi

export DEBIAN_FRONTEND=noninteractive
if [ $need_update -eq 1 ]; then
  apt-get update -qq
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "bootstrap: installing ${missing[*]}"
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# libuv from Debian's source package: headers (the ABI we match), the test suite and the real
# library used as the baseline. Never committed.
fetch_libuv
echo "bootstrap: ok"
