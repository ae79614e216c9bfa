#!/usr/bin/env bash
# Installs what uvafd's build needs on a fresh Debian machine (run as root) and fetches
# libuv 1.44.2's source package into the build tree. Safe to run again: it only installs
# what is missing and only downloads what is not there yet.
#
#   tools/bootstrap.sh [BUILD_DIR]
set -euo pipefail

build_dir=${1:-build}
packages=(cmake make g++ mingw-w64 g++-mingw-w64-x86-64-posix gcc-mingw-w64-x86-64-posix
          wine64 catch2 spin python3 pkg-config iproute2)
# The x86 build (tools/test.sh: build/win32): its compilers, and Wine's 32-bit half from the
# i386 architecture (Debian's wine32; a 64-bit prefix then runs 32-bit programs too).
packages+=(g++-mingw-w64-i686-posix gcc-mingw-w64-i686-posix wine32:i386)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

need_update=0
[ ${#missing[@]} -eq 0 ] || need_update=1

# apt-get source needs deb-src entries. Derive them from the machine's own Debian sources so that
# no mirror name is written into this repository.
src_list=/etc/apt/sources.list.d/uvafd-deb-src.sources
if ! grep -rqs '^Types:.*deb-src\|^deb-src ' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    sed -e 's/^Types:.*/Types: deb-src/' /etc/apt/sources.list.d/debian.sources > "$src_list"
  elif [ -f /etc/apt/sources.list ]; then
    sed -n -e 's/^deb \(.*debian.*\)/deb-src \1/p' /etc/apt/sources.list \
      > /etc/apt/sources.list.d/uvafd-deb-src.list
  fi
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

# libuv 1.44.2 from Debian's source package: headers (the ABI we match), the test suite and the
# real library used as the baseline. Never committed.
mkdir -p "$build_dir/third_party"
libuv_dir="$build_dir/third_party/libuv1-1.44.2"
if [ ! -f "$libuv_dir/include/uv.h" ]; then
  ( cd "$build_dir/third_party"
    ls libuv1_1.44.2.orig.tar.gz >/dev/null 2>&1 || apt-get source --download-only -qq libuv1
    tar xzf libuv1_1.44.2.orig.tar.gz )
fi
echo "bootstrap: ok"
