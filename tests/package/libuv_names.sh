#!/usr/bin/env bash
# Proves that uvafd's install answers to libuv's own names, not only to names of its own making:
# the same consumer, knowing only libuv's names, is built unchanged against two prefixes,
#   uvafd  (cmake --install of this build tree) and
#   libuv  (cmake --install of real libuv, the baseline cmake/libuv_baseline.cmake builds),
# each way a user would, and every program runs under Wine with the same expected output:
#   1. CMake: libuv_consumer/ (find_package(libuv CONFIG), the static target and the DLL's);
#   2. pkg-config: libuv-static and libuv, the C compiler given nothing but their flags (uvafd's
#      prefix moved away first: its .pc files find everything from their own folder).
# The DLL is copied beside each program, as a user would; each program must import libuv.dll
# (the DLL's programs) or no libuv DLL at all (the static ones). Then the two prefixes' lists of
# file names are compared: none of libuv's may be missing from uvafd's, and uvafd's extra files
# must be uvafd's own (uvafd in their names).
#   libuv_names.sh SOURCE_DIR BUILD_DIR TOOLCHAIN_FILE LIBUV_SOURCE_DIR BASELINE_DIR
#                  BASELINE_PREFIX OBJDUMP
set -euo pipefail
src=$1 build=$2 toolchain=$3 libuv_src=$4 baseline=$5 baseline_prefix=$6 objdump=$7
work=$build/package-libuv-names
version=$(sed -n 's/^#define UV_VERSION_\(MAJOR\|MINOR\|PATCH\) \+\([0-9]\+\)$/\2/p' \
            "$libuv_src/include/uv/version.h" | paste -sd.)
expected="consumer: libuv $version API, loop closed 0"
fail() { echo "libuv names: $*"; exit 1; }
show() { sed "s|$work|\$work|g"; }

rm -rf "$work"
mkdir -p "$work"
cmake --install "$build" --prefix "$work/uvafd" >/dev/null
# libuv wrote its prefix into its .pc files when the baseline was configured: install there.
configured=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$baseline/CMakeCache.txt")
[ "$configured" = "$baseline_prefix" ] ||
  fail "the baseline in $baseline installs to '$configured', not $baseline_prefix (rebuild it)"
rm -rf "$baseline_prefix"
cmake --install "$baseline" >/dev/null
ln -s "$baseline_prefix" "$work/libuv"
echo "libuv $version: uvafd's install in \$work/uvafd, real libuv's in \$work/libuv"

run() { # run EXE: prints its output, fails unless it is the expected line
  local out
  out=$("$src/cmake/wine-run.sh" "$1" | tr -d '\r')
  echo "  $(basename "$1"): $out"
  [ "$out" = "$expected" ] || fail "$(basename "$1") printed '$out', not '$expected'"
}
# imports EXE WANT: fails unless the libuv DLL EXE imports is WANT ("none": no libuv DLL).
imports() {
  local dlls
  dlls=$("$objdump" -p "$1" | sed -n 's/^[[:space:]]*DLL Name: //p' | grep -i 'uv' || true)
  [ -n "$dlls" ] || dlls=none
  echo "  $(basename "$1") imports libuv as: $dlls"
  [ "$dlls" = "$2" ] || fail "$(basename "$1") imports $dlls, not $2"
}

# 1. CMake. The consumer's configure prints the targets it found; both prefixes must give it
# the same ones.
for side in uvafd libuv; do
  dir=$work/cmake-$side
  echo "find_package(libuv CONFIG) from the $side prefix:"
  cmake -S "$src/tests/package/libuv_consumer" -B "$dir" -DCMAKE_TOOLCHAIN_FILE="$toolchain" \
    -DCMAKE_PREFIX_PATH="$work/$side" >"$work/configure-$side.log" ||
    { cat "$work/configure-$side.log"; fail "the consumer does not configure against $side"; }
  found=$(sed -n 's/^libuv_DIR:PATH=//p' "$dir/CMakeCache.txt")
  case $(realpath "$found") in
    "$(realpath "$work/$side")"/*) ;;
    *) fail "find_package(libuv) found $found, not the $side prefix" ;;
  esac
  sed -n 's/^-- \(libuv targets: .*\)/  \1/p' "$work/configure-$side.log" |
    tee "$work/targets-$side"
  cmake --build "$dir" >"$work/build-$side.log" ||
    { cat "$work/build-$side.log"; fail "the consumer does not build against $side"; }
  cp "$work/$side/bin/libuv.dll" "$dir/"
  imports "$dir/consumer_uv_a.exe" none
  imports "$dir/consumer_uv.exe" libuv.dll
  run "$dir/consumer_uv_a.exe"
  run "$dir/consumer_uv.exe"
done
cmp -s "$work/targets-uvafd" "$work/targets-libuv" ||
  fail "the two packages give the consumer different targets"

# 2. pkg-config, with the toolchain's C compiler as CMake resolved it for the consumer.
command -v pkg-config >/dev/null || fail "pkg-config not found (tools/bootstrap.sh)"
cc=$(sed -n 's/^set(CMAKE_C_COMPILER "\(.*\)")$/\1/p' \
       "$work"/cmake-uvafd/CMakeFiles/*/CMakeCCompiler.cmake)
[ -n "$cc" ] || fail "no C compiler in the consumer's CMake files"
mv "$work/uvafd" "$work/uvafd-moved"
unset PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR
for side in uvafd-moved libuv; do
  export PKG_CONFIG_LIBDIR=$work/$side/lib/pkgconfig
  for pc in libuv-static libuv; do
    dir=$work/pkg-config-${side%-moved}-$pc
    mkdir -p "$dir"
    flags=$(pkg-config --cflags --libs "$pc")
    echo "pkg-config --cflags --libs $pc ($side prefix, version $(pkg-config --modversion "$pc")):"
    echo "  $flags" | show
    pkg-config --print-variables "$pc" | LC_ALL=C sort >"$work/variables-${side%-moved}-$pc"
    # shellcheck disable=SC2086 # the flags are words
    "$cc" -o "$dir/consumer.exe" "$src/tests/package/consumer.c" $flags
    if [ "$pc" = libuv ]; then
      cp "$work/$side/bin/libuv.dll" "$dir/"
      imports "$dir/consumer.exe" libuv.dll
    else
      imports "$dir/consumer.exe" none
    fi
    run "$dir/consumer.exe"
  done
done
unset PKG_CONFIG_LIBDIR
for pc in libuv-static libuv; do
  cmp -s "$work/variables-uvafd-$pc" "$work/variables-libuv-$pc" ||
    fail "$pc.pc: the variables differ: uvafd $(paste -sd' ' "$work/variables-uvafd-$pc")," \
         "libuv $(paste -sd' ' "$work/variables-libuv-$pc")"
  echo "$pc.pc: the same variables on both sides ($(paste -sd' ' "$work/variables-libuv-$pc"))"
done

# 3. The installed file names. CMake names the per-configuration targets file after the
# build type (the baseline is Release, this tree may not be): compared without it.
files() {
  (cd "$1" && find . \( -type f -o -type l \) | sed 's|^\./||' |
     sed -E 's|^(.*/libuvConfig-)[a-z]+(\.cmake)$|\1<config>\2|' | LC_ALL=C sort)
}
files "$work/uvafd-moved" >"$work/files-uvafd"
files "$work/libuv" >"$work/files-libuv"
LC_ALL=C comm -23 "$work/files-libuv" "$work/files-uvafd" >"$work/missing"
LC_ALL=C comm -13 "$work/files-libuv" "$work/files-uvafd" >"$work/extra"
grep -v uvafd "$work/extra" >"$work/extra-foreign" || true
echo "installed files: real libuv $(wc -l <"$work/files-libuv")," \
     "uvafd $(wc -l <"$work/files-uvafd")"
echo "  libuv's missing from uvafd's ($(wc -l <"$work/missing")):"
sed 's/^/    /' "$work/missing"
echo "  uvafd's extra ($(wc -l <"$work/extra"), $(wc -l <"$work/extra-foreign") not named uvafd):"
sed 's/^/    /' "$work/extra"
[ ! -s "$work/missing" ] || fail "uvafd's install lacks files libuv's has"
[ ! -s "$work/extra-foreign" ] ||
  fail "uvafd installs files under names neither libuv's nor uvafd's"
echo "libuv names: uvafd's install provides every name of libuv $version's"
