#!/usr/bin/env bash
# Installs uvafd from the Windows build tree into a scratch prefix and builds consumer.c against
# it four ways, each run under Wine with the same expected output:
#   1. find_package(uvafd), against the static library and the DLL (a CMake project);
#   2. pkg-config only, uvafd-static.pc and uvafd.pc: the cross compiler given nothing but
#      `pkg-config --cflags --libs`, after the installed tree was moved elsewhere (the .pc files
#      locate everything from their own folder).
#   check.sh SOURCE_DIR BUILD_DIR TOOLCHAIN_FILE
set -euo pipefail
src=$1 build=$2 toolchain=$3
work=$build/package-check
rm -rf "$work"
cmake --install "$build" --prefix "$work/prefix" >/dev/null
# The libuv version the tree was built on (UVAFD_LIBUV_VERSION), as its installed uv.h says.
version=$(awk '/#define UV_VERSION_(MAJOR|MINOR|PATCH) / {v = v sep $3; sep = "."} END {print v}' \
          "$work/prefix/include/uv/version.h")
expected="consumer: libuv $version API, loop closed 0"

run() { # run EXE: prints its output, fails unless it is the expected line
  local name out
  name=$(basename "$1" .exe)
  out=$("$src/cmake/wine-run.sh" "$1" | tr -d '\r')
  echo "$name: $out"
  [ "$out" = "$expected" ]
}

# 1. find_package
cmake -S "$src/tests/package" -B "$work/build" -DCMAKE_TOOLCHAIN_FILE="$toolchain" \
  -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/build" >/dev/null
cp "$work/prefix/bin/uvafd_uv.dll" "$work/build/"
for exe in consumer_static consumer_shared; do
  run "$work/build/$exe.exe"
done

# 2. pkg-config, from a prefix that is not where the install put it. The C compiler is the
# toolchain's (mingw-w64's posix-thread gcc, the one uvafd's C++ was built with), as CMake
# resolved it for the consumer above, so that no compiler name is repeated here.
command -v pkg-config >/dev/null || { echo "pkg-config not found (tools/bootstrap.sh)"; exit 1; }
cc=$(sed -n 's/^set(CMAKE_C_COMPILER "\(.*\)")$/\1/p' "$work"/build/CMakeFiles/*/CMakeCCompiler.cmake)
[ -n "$cc" ] || { echo "no C compiler in the consumer's CMake files"; exit 1; }
mv "$work/prefix" "$work/moved-prefix"
export PKG_CONFIG_LIBDIR=$work/moved-prefix/lib/pkgconfig
unset PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR
for pc in uvafd-static uvafd; do
  dir=$work/pkg-config-$pc
  mkdir -p "$dir"
  flags=$(pkg-config --cflags --libs "$pc")
  echo "pkg-config --cflags --libs $pc (version $(pkg-config --modversion "$pc")):"
  echo "  ${flags//$work/\$work}"
  # shellcheck disable=SC2086 # the flags are words
  "$cc" -o "$dir/consumer_pc_${pc//-/_}.exe" "$src/tests/package/consumer.c" $flags
done
# The static program runs alone; the DLL's beside its program, where Windows looks first.
cp "$work/moved-prefix/bin/uvafd_uv.dll" "$work/pkg-config-uvafd/"
run "$work/pkg-config-uvafd-static/consumer_pc_uvafd_static.exe"
run "$work/pkg-config-uvafd/consumer_pc_uvafd.exe"
