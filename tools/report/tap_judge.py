#!/usr/bin/env python3
"""The verdict of one run of a libuv test, by the rule of tap_rule.md.

  tap_judge.py NAME RC LOG      prints pass, skip, timeout or fail(RC); RC 124 or 137 is the
                                lanes' `timeout` stopping the run at its limit
  tap_judge.py --lines          the same for each line NAME<TAB>RC<TAB>LOG of stdin, a verdict
                                a line: one process for all of a lane's runs (upstream-tests/run.sh)

tools/bundle/tap_judge.c is the same rule for the Windows bundle. Standard library only.
"""

import sys


def stands_in(lines, tap):
    """The rest of the line from each place where tap stands in one of lines (tap_rule.md)."""
    for line in lines:
        at = line.find(tap)
        while at >= 0:
            if at == 0 or (at >= 2 and line[at - 1] == " " and line[at - 2] != "t"):
                yield line[at:]
            at = line.find(tap, at + 1)


def verdict(log, name, rc, timed_out):
    """log: the log's bytes."""
    lines = [line[:-1] if line.endswith("\r") else line
             for line in log.decode("latin-1").split("\n")]
    if timed_out or any(line.endswith("# timeout") for line in lines):
        return "timeout"
    ok = "ok 1 - " + name
    if rc == 0 and any(stands_in(lines, ok + " # SKIP")):
        return "skip"
    if rc == 0 and ok in stands_in(lines, ok):
        return "pass"
    if rc == 7:
        return "skip"
    return "fail(%d)" % rc


def judge_file(name, rc, path):
    try:
        with open(path, "rb") as f:
            log = f.read()
    except OSError:
        log = b""
    return verdict(log, name, int(rc), int(rc) in (124, 137))


def main(argv):
    if argv != ["--lines"]:
        print(judge_file(*argv))
        return 0
    for line in sys.stdin:
        print(judge_file(*line.rstrip("\n").split("\t", 2)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
