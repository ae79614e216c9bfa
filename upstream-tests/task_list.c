/* libuv's TASKS array for the upstream runners. Built with upstream-tests' generated gen/ first
 * on the include path, "test-list.h" is the generated list of eligible tests; choose_tests.py
 * preprocesses this same file with libuv's test/ only, to read libuv's full list. */
#include "uv.h"
#include "runner.h"
#include "test-list.h"
