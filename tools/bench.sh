#!/usr/bin/env bash
# Runs uvafd's benchmarks: builds what is missing, runs every scenario under Wine for
# real libuv (the tree's version: 1.50.0 by default), uvafd and the raw-ntdll floor, prints
# the table and writes docs/benchmarks.md and docs/benchmarks.png. About an hour on two cores
# (README: the parts, and how to run one alone).
#
#   tools/bench.sh           (UVAFD_BUILD_DIR overrides ./build; see bench/run.sh for the rest)
set -euo pipefail
source "$(dirname "$0")/common.sh"
uvafd_bootstrap
if [ "$(id -u)" = 0 ]; then
  # The chart needs gnuplot (only the benchmarks do: not in bootstrap's list).
  if ! command -v gnuplot >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends gnuplot-nox \
      >/dev/null || echo "bench: could not install gnuplot-nox; no chart" >&2
  fi
fi
export UVAFD_BUILD_DIR=$build
exec bench/run.sh "$@"
