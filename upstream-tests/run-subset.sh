#!/usr/bin/env bash
# Runs the tests of libuv's list whose names match a regular expression, through run.sh (same
# lanes, retry and report): for a tree that runs part of libuv's suite (tools/test.sh's
# libuv 1.44.2 tree: its loop, timer, poll, async and thread-pool tests).
#   upstream-tests/run-subset.sh BUILD_DIR REGEX
set -u
build=${1:?usage: run-subset.sh BUILD_DIR REGEX} regex=${2:?usage: run-subset.sh BUILD_DIR REGEX}
# shellcheck source=/dev/null
. "$build/upstream-tests/config.sh"
source "$(dirname "$0")/test-list.sh"
mapfile -t names < <(libuv_tests "$UPSTREAM_TASKS" | cut -f1 | grep -E "$regex")
if [ ${#names[@]} -eq 0 ]; then
  echo "run-subset.sh: no test of $UPSTREAM_TASKS matches $regex" >&2
  exit 2
fi
echo "run-subset.sh: ${#names[@]} tests match $regex"
exec bash "$(dirname "$0")/run.sh" "$build" "${names[@]}"
