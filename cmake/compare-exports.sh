#!/usr/bin/env bash
# Compares the export tables of real libuv's DLL and uvafd's: a program linked against real
# libuv's libuv.dll finds every function it imports in uvafd's DLL (libuv.dll too, or its alias
# uvafd_uv.dll) only if the two name lists are equal.
# Prints the names missing in uvafd and the names uvafd exports that libuv does not; fails
# unless both lists are empty (or if a table cannot be read).
# usage: compare-exports.sh OBJDUMP LIBUV_DLL UVAFD_DLL
set -u
if [ $# -ne 3 ]; then
  echo "usage: $0 OBJDUMP LIBUV_DLL UVAFD_DLL" >&2
  exit 2
fi
objdump=$1 libuv_dll=$2 uvafd_dll=$3
work=$(mktemp -d "${TMPDIR:-/tmp}/exports.XXXXXX")
trap 'rm -rf "$work"' EXIT

# The names of a PE image's export table: objdump -p prints them, one per line as
# "<tab>[ index] name", under the heading "[Ordinal/Name Pointer] Table".
exports() {
  "$objdump" -p "$1" >"$work/dump" || return 1
  sed -n '/^\[Ordinal\/Name Pointer\] Table/,/^$/p' "$work/dump" |
    sed -n 's/^[[:space:]]*\[ *[0-9]*\] //p' | LC_ALL=C sort
}

exports "$libuv_dll" >"$work/libuv" || { echo "exports: cannot read $libuv_dll"; exit 1; }
exports "$uvafd_dll" >"$work/uvafd" || { echo "exports: cannot read $uvafd_dll"; exit 1; }
n_libuv=$(wc -l <"$work/libuv")
n_uvafd=$(wc -l <"$work/uvafd")
echo "exports: real libuv's $(basename "$libuv_dll") $n_libuv, uvafd's $(basename "$uvafd_dll") $n_uvafd"

LC_ALL=C comm -23 "$work/libuv" "$work/uvafd" >"$work/missing"
LC_ALL=C comm -13 "$work/libuv" "$work/uvafd" >"$work/extra"
echo "missing in uvafd ($(wc -l <"$work/missing")):"
sed 's/^/  /' "$work/missing"
echo "extra in uvafd ($(wc -l <"$work/extra")):"
sed 's/^/  /' "$work/extra"

if [ "$n_libuv" -eq 0 ]; then
  echo "exports: no export table found in $libuv_dll"
  exit 1
fi
if [ -s "$work/missing" ] || [ -s "$work/extra" ]; then
  echo "exports: the tables DIFFER"
  exit 1
fi
echo "exports: the tables are identical"
