#!/usr/bin/env bash
# Can ThreadSanitizer run here? Its runtime needs the address layout it was built for: on a
# kernel with more mmap randomisation than that (vm.mmap_rnd_bits above 28, seen elsewhere),
# every TSan program stops at start with "unexpected memory mapping"; with randomisation off
# for the process (setarch -R) it runs. No guess from the kernel: a program with one data race
# is built and run, plainly and then under setarch -R, and TSan must report that race.
#
#   tools/tsan-probe.sh WORK_DIR    exit 0: it can, and stdout is the command prefix to run
#                                   TSan programs with (empty, or "setarch ARCH -R");
#                                   exit 1: it cannot, and stdout says why
#
# UVAFD_SIMULATE_NO_TSAN=1 makes the probe fail, to see the skip path on a machine that can.
set -u
work=${1:?usage: tools/tsan-probe.sh WORK_DIR}
mkdir -p "$work"
src=$work/tsan-probe.cpp exe=$work/tsan-probe
cat >"$src" <<'CPP'
#include <thread>
int shared;
int main() {
  std::thread t([] { ++shared; });
  ++shared;
  t.join();
  return 0;
}
CPP
cxx=${CXX:-c++}
if ! out=$("$cxx" -fsanitize=thread -g -pthread "$src" -o "$exe" 2>&1); then
  echo "$cxx cannot build a ThreadSanitizer program: ${out%%$'\n'*}"
  exit 1
fi
if [ "${UVAFD_SIMULATE_NO_TSAN:-0}" = 1 ]; then
  echo "simulated by UVAFD_SIMULATE_NO_TSAN=1: ThreadSanitizer not run"
  exit 1
fi
why=""
for prefix in "" "setarch $(uname -m) -R"; do
  out=$(timeout -k 5 60 $prefix "$exe" 2>&1)
  rc=$?
  if [ $rc = 66 ] && grep -q "WARNING: ThreadSanitizer: data race" <<<"$out"; then
    echo "$prefix"
    exit 0
  fi
  said=$(grep -v '^ *$' <<<"$out" | head -n 1)
  why+="${why:+; }${prefix:-plainly}: exit $rc${said:+ ($said)}"
done
echo "a program with a data race did not get ThreadSanitizer's report: $why"
exit 1
