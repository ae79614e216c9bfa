#!/usr/bin/env bash
# Natively every program and library uvafd builds is compiled with ASan and UBSan
# (cmake/build_flags.cmake): a target that lost them would run its tests unchecked and still
# pass. Each file given must reference ASan's runtime (__asan_init, in every object of a static
# library: the module constructor each instrumented object gets) and UBSan's (__ubsan_handle_*,
# the checks' reporting calls).
#   instrumented.sh FILE...             every FILE (program or static library) instrumented
#   instrumented.sh --self-test CC      the check itself: CC's output with the sanitizers
#                                       passes, without them fails
set -u
nm_of() { nm -A "$1" 2>/dev/null; }
check() {
  local f=$1 syms bad=0 member
  syms=$(nm_of "$f")
  if [ -z "$syms" ]; then
    echo "NOT INSTRUMENTED: $f: no symbols (nm)"; return 1
  fi
  case $f in
    *.a)
      for member in $(ar t "$f"); do
        grep -F "$f:$member:" <<<"$syms" | grep -q ' __asan_init$' ||
          { echo "NOT INSTRUMENTED: $f($member): no __asan_init"; bad=1; }
      done ;;
    *)
      grep -q ' __asan_init$' <<<"$syms" ||
        { echo "NOT INSTRUMENTED: $f: no __asan_init"; bad=1; } ;;
  esac
  grep -q ' __ubsan_handle_' <<<"$syms" ||
    { echo "NOT INSTRUMENTED: $f: no __ubsan_handle_*"; bad=1; }
  [ $bad = 0 ] && echo "ok: $f"
  return $bad
}

if [ "${1:-}" = --self-test ]; then
  cc=$2 work=$(mktemp -d "${TMPDIR:-/tmp}/instrumented.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  printf 'int add(int a, int b) { return a + b; }\nint main(int c, char **v) { (void)v; return add(c, 1) != 2; }\n' >"$work/p.c"
  "$cc" -fsanitize=address,undefined "$work/p.c" -o "$work/with" || exit 1
  "$cc" "$work/p.c" -o "$work/without" || exit 1
  fail=0
  check "$work/with" >/dev/null && echo "ok: a program built with the sanitizers passes" ||
    { echo "FAILED: a program built with the sanitizers is reported uninstrumented"; fail=1; }
  check "$work/without" >/dev/null &&
    { echo "FAILED: a program built without the sanitizers passes"; fail=1; } ||
    echo "ok: a program built without the sanitizers is caught"
  exit $fail
fi

status=0
for f in "$@"; do check "$f" || status=1; done
exit $status
