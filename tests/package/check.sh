#!/usr/bin/env bash
# Installs uvafd from the Windows build tree into a scratch prefix, then configures, builds and
# runs a consumer that uses find_package(uvafd), against the static library and the DLL.
#   check.sh SOURCE_DIR BUILD_DIR TOOLCHAIN_FILE
set -euo pipefail
src=$1 build=$2 toolchain=$3
work=$build/package-check
rm -rf "$work"
cmake --install "$build" --prefix "$work/prefix" >/dev/null
cmake -S "$src/tests/package" -B "$work/build" -DCMAKE_TOOLCHAIN_FILE="$toolchain" \
  -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/build" >/dev/null
cp "$work/prefix/bin/uvafd_uv.dll" "$work/build/"
for exe in consumer_static consumer_shared; do
  out=$("$src/cmake/wine-run.sh" "$work/build/$exe.exe" | tr -d '\r')
  echo "$exe: $out"
  [ "$out" = "consumer: libuv 1.44.2 API, loop closed 0" ]
done
