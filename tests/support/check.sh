# Sourced by the shell tests. check NAME CONDITION: prints "ok: NAME", or "FAILED: NAME" and
# then $out (the output the condition was judged on, when the test keeps one there), and
# remembers a failure in $fail for the test's exit status. scratch NAME: $work, a new folder
# that is removed when the test exits.
fail=0
check() {
  if eval "$2"; then
    echo "ok: $1"
    return
  fi
  echo "FAILED: $1"
  [ -n "${out:-}" ] && sed 's/^/  | /' <<<"$out"
  fail=1
}
scratch() {
  work=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
  trap 'rm -rf "$work"' EXIT
}
