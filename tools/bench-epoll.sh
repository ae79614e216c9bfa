#!/usr/bin/env bash
# The epoll port's benchmark: builds what is missing, runs the same epoll program
# linked against uvafd_epoll and against wepoll 1.5.8 under Wine, prints the table and writes
# docs/benchmarks-epoll.md. About six minutes on two cores with the defaults.
#
#   tools/bench-epoll.sh   (UVAFD_BUILD_DIR overrides ./build; see ports/epoll/bench/run.sh)
set -euo pipefail
source "$(dirname "$0")/common.sh"
uvafd_bootstrap
export UVAFD_BUILD_DIR=$build
exec ports/epoll/bench/run.sh "$@"
