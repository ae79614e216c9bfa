#!/usr/bin/env bash
# Packs what the test command runs under Wine into one zip for a real Windows machine: every
# CTest test that is a Windows program (uvafd's Catch2 tests, the demos, the epoll port's
# tests), libuv's two test runners with the launcher and libuv's test fixtures, the bundle
# runner (tools/bundle/bundle_run.c) and run-all.cmd. On Windows, unzip and run run-all.cmd:
# it runs everything and writes results\report.md in the format of upstream-tests/run.sh.
# What stays behind: tests that are shell scripts (package check, export table, relink
# comparison, benchmark smoke), which need this Debian machine.
#
#   tools/windows-bundle.sh [OUT.zip]     (default: BUILD/uvafd-windows-tests.zip)
#
# Needs a built Windows tree (tools/test.sh, or cmake --build BUILD/win); a BUILD/win32 tree
# (32-bit) is packed too when it exists, under win32\. UVAFD_BUNDLE_TREES names the trees
# instead (the first one also gives libuv's runners and the bundle runner).
set -euo pipefail
source "$(dirname "$0")/common.sh"
source upstream-tests/test-list.sh
out=${1:-$build/uvafd-windows-tests.zip}
case $out in /*) ;; *) out=$PWD/$out ;; esac

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
manifest=$stage/manifest.txt
: >"$manifest"

# add_tree TREE NAME: TREE's Windows test programs and libuv runners, under NAME\ in the zip.
add_tree() {
  local tree=$1 name=$2
  [ -f "$tree/CMakeCache.txt" ] || return 0
  # CTest knows every test: the ones whose command is the Wine runner and a .exe are Windows
  # programs; their folder's DLLs go with them (compat_dll_test needs uvafd's libuv.dll).
  ctest --test-dir "$tree" --show-only=json-v1 | python3 -c '
import json, sys
for t in json.load(sys.stdin)["tests"]:
    cmd = t.get("command", [])
    if len(cmd) >= 2 and cmd[0].endswith("wine-run.sh") and cmd[1].endswith(".exe"):
        timeout = next((p["value"] for p in t.get("properties", []) if p["name"] == "TIMEOUT"), 600)
        print("\t".join([t["name"], str(int(float(timeout))), cmd[1]] + cmd[2:]))
' | while IFS=$'\t' read -r test timeout exe args; do
    local rel dir
    [ -f "$exe" ] || continue  # registered but not built in this tree (the x86 tree builds a few)
    rel=${exe#"$tree"/}
    dir=$name/$(dirname "$rel")
    mkdir -p "$stage/$dir"
    cp "$exe" "$stage/$dir/"
    find "$(dirname "$exe")" -maxdepth 1 -name '*.dll' -exec cp {} "$stage/$dir/" \;
    printf 'test\t%s\t%s\t%s\t%s\t%s\n' "$name/$test" "$timeout" "${dir//\//\\}" \
      "$(basename "$exe")" "${args:-}" >>"$manifest"
  done
  # libuv's suite (from the first tree only): the runners and the launcher, and every test of
  # the list with its limit.
  local config=$tree/upstream-tests/config.sh
  if [ -f "$config" ] && ! grep -q '^runner' "$manifest"; then
    # shellcheck source=/dev/null
    ( . "$config"
      mkdir -p "$stage/$name/upstream"
      cp "$UPSTREAM_LAUNCH_EXE" "$UPSTREAM_LIBUV_EXE" "$UPSTREAM_UVAFD_EXE" "$stage/$name/upstream/"
      printf 'runner\tlaunch\t%s\\upstream\\%s\n' "$name" "$(basename "$UPSTREAM_LAUNCH_EXE")"
      printf 'runner\tlibuv\t%s\\upstream\\%s\n' "$name" "$(basename "$UPSTREAM_LIBUV_EXE")"
      printf 'runner\tuvafd\t%s\\upstream\\%s\n' "$name" "$(basename "$UPSTREAM_UVAFD_EXE")"
      if [ ! -d "$stage/libuv/test/fixtures" ]; then
        mkdir -p "$stage/libuv/test"
        cp -r "$UPSTREAM_LIBUV_SOURCE_DIR/test/fixtures" "$stage/libuv/test/"
      fi
      printf 'cwd\tlibuv\n'
      libuv_tests "$UPSTREAM_TASKS" | sed 's/^/upstream\t/'
    ) >>"$manifest"
  fi
}

read -r -a trees <<<"${UVAFD_BUNDLE_TREES:-$build/win $build/win32}"
runner=${trees[0]}/tools/bundle/uvafd_bundle_run.exe
[ -f "$runner" ] || { echo "windows-bundle: $runner not built (build ${trees[0]} first)" >&2; exit 2; }
for tree in "${trees[@]}"; do
  add_tree "$tree" "$(basename "$tree")"
done
cp "$runner" "$stage/"
printf '@echo off\r\nrem Runs every test of this bundle and writes results\\report.md (see README.txt).\r\n"%%~dp0uvafd_bundle_run.exe" %%*\r\n' >"$stage/run-all.cmd"
# The libuv whose tests the bundle holds: the first tree's.
libuv_version=$(sed -n 's/^UVAFD_LIBUV_VERSION:[A-Z]*=//p' "${trees[0]}/CMakeCache.txt")
cat >"$stage/README.txt" <<EOF
uvafd's tests for a real Windows machine (made by tools/windows-bundle.sh).

Unzip anywhere and run run-all.cmd (no installation, no administrator rights; the firewall may
ask about loopback sockets once). It runs uvafd's own test programs, then each of libuv
${libuv_version:-?}'s tests under real libuv and under uvafd, and writes results\report.md and
results\logs\. The last line printed is "uvafd-windows: N passed, M failed"; a libuv test
counts as failed only when it passes on real libuv and not on uvafd.
Run a few only: run-all.cmd --only poll_duplex,async,win/reactor_socket_test
EOF
rm -f "$out"
( cd "$stage" && python3 -m zipfile -c "$out" . )
tests=$(grep -c '^test' "$manifest" || true)
upstream=$(grep -c '^upstream' "$manifest" || true)
echo "windows-bundle: $out ($tests test programs, $upstream libuv tests)"
