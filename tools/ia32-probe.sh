#!/usr/bin/env bash
# Can this machine execute 32-bit programs? Some machines of this project's kind cannot: their
# kernel has IA-32 emulation off, so an i386 execve returns ENOEXEC and Debian's 32-bit Wine
# loader (/usr/lib/wine/wine) fails with "Exec format error"; every 32-bit test then fails with
# Wine's "Application could not be started ... ShellExecuteEx failed". No guess from the kernel
# version: a static i686 Windows program (tools/ia32-probe.c) runs under Wine in the caller's
# prefix (UVAFD_WINEPREFIX, booted) and must exit with the 42 it returns.
#
#   tools/ia32-probe.sh WORK_DIR      exit 0: it can; exit 1: it cannot, and stdout says why
#
# UVAFD_SIMULATE_NO_IA32=1 makes the probe fail as it does there, to test the skip path on a
# machine that can: Wine is handed the probe cut after its headers, which it cannot start either,
# and it takes the same way out (ShellExecuteEx fails, exit code 1).
set -u
cd "$(dirname "$0")/.."
work=${1:?usage: tools/ia32-probe.sh WORK_DIR}
mkdir -p "$work"
exe=$work/ia32-probe.exe
cc=i686-w64-mingw32-gcc-posix
if ! out=$("$cc" -static -O2 -o "$exe" tools/ia32-probe.c 2>&1); then
  echo "the i686 compiler ($cc) cannot build tools/ia32-probe.c: ${out%%$'\n'*}"
  exit 1
fi
simulated=""
if [ "${UVAFD_SIMULATE_NO_IA32:-0}" = 1 ]; then
  head -c 1024 "$exe" > "$work/ia32-probe-cut.exe"
  exe=$work/ia32-probe-cut.exe
  simulated="simulated by UVAFD_SIMULATE_NO_IA32=1: "
fi
out=$(timeout -k 5 120 cmake/wine-run.sh "$exe" 2>&1)
rc=$?
[ $rc = 42 ] && [ -z "$simulated" ] && exit 0

# Why, in one line: Wine's first words, and what Debian's 32-bit loader says where it fails
# (where it cannot execute at all: "Exec format error").
wine_said=$(tr -d '\r' <<<"$out" | grep -v '^ *$' | head -n 2 | tr '\n' ' ')
loader=/usr/lib/wine/wine loader_said=""
if [ ! -e "$loader" ]; then
  loader_said="; $loader is not installed (Debian: wine32:i386)"
elif ! loader_out=$("$loader" --version 2>&1); then
  loader_said="; $loader --version fails: ${loader_out%%$'\n'*}"
fi
echo "${simulated}a static i686 program under Wine exited with $rc, not 42" \
     "(${wine_said% })$loader_said"
exit 1
