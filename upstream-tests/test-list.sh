# Sourced: libuv's test list as its Windows runner has it, BUILD/upstream-tests/run-tests.i
# (run-tests.c's TASKS preprocessed with the runner's flags: upstream-tests/CMakeLists.txt).
# libuv_tests TASKS prints "name<TAB>limit_ms" per test in list order, helpers left out; an
# entry is { "name", "process", &run_test_name, is_helper, show_output, timeout_ms }.
libuv_tests() {
  sed -n 's/.*{ *"\([A-Za-z0-9_]*\)", *"[A-Za-z0-9_]*", *&run_test_[A-Za-z0-9_]*, *0, *[0-9]*, *\([0-9]*\) *}.*/\1\t\2/p' \
    "$1"
}
