#!/usr/bin/env python3
"""Judges a run of libuv's suite (upstream-tests/run.sh) and writes its report.

  upstream_judge.py judge --run-dir DIR --logs DIR --report FILE --mode MODE --lanes N
                          --seconds S --libuv-source DIR [--floor-dir DIR]
  upstream_judge.py floor-list REPORT.md        (prints a floor list: real libuv's passes)
  upstream_judge.py verdicts    for each line NAME<TAB>RC<TAB>LOG of stdin, the verdict of that
                                run (tap_rule.md; RC 124 or 137: `timeout` stopped it), a line
                                each: one process for all of a lane's runs

judge reads what the lanes wrote into the run directory (lane*/results: index, test, real
libuv's result and time, uvafd's result and time, lane; queue; lane*/leaks; lane0.net). It
fails (exit 1) when a test was not run, when a test passes on real libuv and not on uvafd, and
when real libuv passes fewer than the floor: 90% of this run's tests that the floor list of its
libuv version (upstream-tests/floor/libuv-X.Y.Z.txt, made by floor-list from a quiet full run's
report.md) names. A comparison whose baseline fails proves nothing.
"""

import argparse
import datetime
import os
import re
import sys

FLOOR_PERCENT = 90


# ---- Files as bytes decoded losslessly, so that what a log holds is printed as it was.

def read_text(path, missing=None):
    """The file's text; `missing` when there is no such file (None: that is an error)."""
    if missing is not None and not os.path.isfile(path):
        return missing
    with open(path, "rb") as f:
        return f.read().decode("utf-8", "surrogateescape")


def lines_of(text):
    """Lines as grep and read see them: split on LF, no empty line after a final LF."""
    if text == "":
        return []
    parts = text.split("\n")
    if text.endswith("\n"):
        parts.pop()
    return parts


def write_out(stream, text):
    stream.buffer.write(text.encode("utf-8", "surrogateescape"))


# ---- One run's verdict: tap_rule.md (tools/bundle/tap_judge.c is the same rule for the bundle).

def stands_in(lines, tap):
    """The rest of the line from each place where tap stands in one of lines."""
    for line in lines:
        at = line.find(tap)
        while at >= 0:
            if at == 0 or (at >= 2 and line[at - 1] == " " and line[at - 2] != "t"):
                yield line[at:]
            at = line.find(tap, at + 1)


def verdict(text, name, rc, timed_out):
    lines = [line[:-1] if line.endswith("\r") else line for line in lines_of(text)]
    ok = "ok 1 - " + name
    if timed_out or any(line.endswith("# timeout") for line in lines):
        return "timeout"
    if rc == 0 and any(stands_in(lines, ok + " # SKIP")):
        return "skip"
    if rc == 0 and ok in stands_in(lines, ok):
        return "pass"
    return "skip" if rc == 7 else "fail(%d)" % rc


def verdicts(lines_in, out):
    for line in lines_in:
        name, rc, path = line.rstrip("\n").split("\t", 2)
        text = read_text(path, "")
        out.write(verdict(text, name, int(rc), int(rc) in (124, 137)) + "\n")
        out.flush()
    return 0


def log_excerpt(path):
    """What a log says about a failure, in one line: the first failed assertion (file and line),
    the first line naming an error (a TAP "not ok" line there says nothing more), the runner's
    own message (timeout, exit code), or the last line of output."""
    lines = lines_of(read_text(path, ""))
    first = lambda pattern, flags=0: next((c for c in lines if re.search(pattern, c, flags)), None)
    bare = lambda c: re.sub(r"^# *", "", c, count=1)
    m = next((m for m in (re.search(r"Assertion failed in .*", c) for c in lines) if m), None)
    error = first(r"fatal|error|not supported|unimplemented", re.IGNORECASE | re.ASCII)
    runner = first(r"^# (timeout|exit code)")
    rest = [c for c in lines if not (c.startswith("not ok") or c.startswith("ok") or re.search(r"^# *$", c))]
    if m:
        line = re.sub(r"in [^ ]*[/\\]([^/\\ ]+) on line ([0-9]+):", r"\1:\2:", m.group(0), count=1)
    elif error is not None and not error.startswith("not ok"):
        line = bare(error)
    elif runner is not None:
        line = bare(runner)
    else:
        line = bare(rest[-1]) if rest else ""
    return line.rstrip("\n").replace("|", "\\|")[:160]


# ---- The floor.

def libuv_version(source_dir):
    """X.Y.Z from the source tree's include/uv/version.h."""
    path = os.path.join(source_dir, "include", "uv", "version.h")
    text = read_text(path)
    def field(name):
        m = re.search(r"^#\s*define\s+UV_VERSION_%s\s+(\d+)" % name, text, re.MULTILINE)
        if not m:
            raise ValueError("%s: no UV_VERSION_%s" % (path, name))
        return m.group(1)
    return ".".join(map(field, ("MAJOR", "MINOR", "PATCH")))


def floor_list_from_report(path):
    """The tests that pass on real libuv in a report's table (report.md, or the docs' copy)."""
    rows = ([c.strip() for c in line.strip().strip("|").split("|")]
            for line in lines_of(read_text(path)) if line.startswith("| "))
    return [c[0] for c in rows if len(c) >= 5 and c[1] == "pass" and re.fullmatch(r"[A-Za-z0-9_]+", c[0])]


def floor_causes(rows_failed_on_libuv, logs):
    """What real libuv's logs of the listed tests it did not pass point at, for the message."""
    timeouts = sum(1 for name, result in rows_failed_on_libuv if result == "timeout")
    texts = [read_text(os.path.join(logs, name + ".libuv.log"), "") for name, _ in rows_failed_on_libuv]
    in_use = sum(1 for t in texts if re.search(r"EADDRINUSE|address already in use", t, re.IGNORECASE))
    not_started = sum(1 for t in texts if t.strip() == "" or any(
        x in t for x in ("could not be started", "wine: failed to start", "wine client error")))
    try:
        with open("/proc/loadavg") as f:
            load = f.read().split()[0]
    except OSError:
        load = "unknown"
    return timeouts, in_use, not_started, load


# ---- The report and the verdict.

def lane_lines(run_dir, name):
    """The lines of file `name` of every lane (run_dir/lane*/name), lanes in name order."""
    for entry in sorted(os.listdir(run_dir)):
        path = os.path.join(run_dir, entry, name)
        if entry.startswith("lane") and os.path.isfile(path):
            yield from lines_of(read_text(path))


def side_counts(results):
    """(passed, failed, skipped) of a list of results."""
    return results.count("pass"), sum(r not in ("pass", "skip") for r in results), results.count("skip")


REPORT = """# libuv {version}'s tests: real libuv and uvafd under Wine

Generated by upstream-tests/run.sh on {now}; logs in {logs}.
{n} tests, {a.lanes} lane(s) ({a.mode}), {a.seconds} s wall clock.
{net}Time: seconds of one launcher invocation (Wine start-up of launcher, runner and child
included), real libuv / uvafd. Log: what the failing side's log says (libuv's when it
fails there, else uvafd's).

| test | real libuv | uvafd | time (s) | log |
|---|---|---|---|---|
{rows}

Tests run: {n}. Real libuv: {l[0]} passed, {l[1]} failed, {l[2]} skipped.
uvafd: {u[0]} passed, {u[1]} failed, {u[2]} skipped. Failed on both: {both_fail}.
Passed on real libuv, not on uvafd: {nreg} {reg}
Passed on uvafd only at the second try: {nflaky} {flaky}
{missing}{floor_line}
{leaks}"""

LEAKS = """
Sockets still open in a lane after a test's processes were gone (the lane's
wineserver was restarted after each; the sockets are in the test's log):

"""


def judge(args):
    run_dir, logs = args.run_dir, args.logs
    # sort -n on the queue index; a stable sort keeps lane order for equal keys.
    index = lambda fields: int((re.match(r"\s*(-?\d+)", fields[0]) or [0, 0])[1])
    results = sorted(((line.split("\t") + [""] * 7)[:7] for line in lane_lines(run_dir, "results")),
                     key=index)
    version = libuv_version(args.libuv_source)

    rows, regressions, flaky = [], [], []
    both_fail = 0
    libuv_result = {}
    for _, name, lres, ltime, ures, utime, _ in results:
        libuv_result[name] = lres
        ures_base = ures.split("(", 1)[0]
        mark = note = ""
        uvafd_failed = ures_base != "pass" and ures != "skip"
        if lres == "pass" and ures_base != "pass":
            regressions.append(name)
            mark = " **REGRESSION**"
            note = log_excerpt(os.path.join(logs, name + ".uvafd.retry.log"))
        elif ures.startswith("pass("):
            flaky.append(name)
        if lres not in ("pass", "skip"):
            note = log_excerpt(os.path.join(logs, name + ".libuv.log"))
            both_fail += uvafd_failed
        elif not note and uvafd_failed:
            note = log_excerpt(os.path.join(logs, name + ".uvafd.log"))
        ures = re.sub(r"^pass\(2nd-try;1st:", "pass (2nd try; 1st: ", ures)
        rows.append("| %s | %s | %s%s | %s / %s | %s |" % (name, lres, ures, mark, ltime, utime, note))
    missing = [t for t in lines_of(read_text(os.path.join(run_dir, "queue"), "")) if t not in libuv_result]
    leaks = ["\t".join(line.split("\t")[:2]) for line in lane_lines(run_dir, "leaks")]
    floor_line, floor_failure = floor_verdict(args, version, results, missing, libuv_result)

    n = len(results)
    l, u = side_counts([r[2] for r in results]), side_counts(["pass" if r[4].startswith("pass") else r[4]
                                                             for r in results])
    report = REPORT.format(
        version=version, logs=logs, n=n, a=args, rows="\n".join(rows), l=l, u=u, both_fail=both_fail,
        now=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        net="" if args.mode != "netns" else "Each lane's network namespace has %s.\n" % (
            read_text(os.path.join(run_dir, "lane0.net"), "").rstrip("\n")),
        nreg=len(regressions), reg=" ".join(regressions), nflaky=len(flaky), flaky=" ".join(flaky),
        missing="" if not missing else "Not run (the run was cut short): %d %s\n" % (
            len(missing), " ".join(missing)),
        floor_line=floor_line, leaks="" if not leaks else LEAKS + "".join(
            "- " + leak.replace("\t", " on ", 1) + "\n"
            for leak in sorted(leaks, key=lambda s: s.encode("utf-8", "surrogateescape"))))
    with open(args.report, "wb") as f:
        f.write(report.encode("utf-8", "surrogateescape"))

    s = ["", "report: %s" % args.report,
         "%d tests in %s s, %s lane(s) (%s)" % (n, args.seconds, args.lanes, args.mode),
         "real libuv: %d passed, %d failed, %d skipped" % l,
         "uvafd: %d passed, %d failed, %d skipped" % u]
    if flaky:
        s.append("upstream_tests: passed on uvafd only at the second try: %s" % " ".join(flaky))
    s.append("upstream_tests: " + floor_line[0].lower() + floor_line[1:])
    if missing:
        s.append("upstream_tests: %d tests were not run: %s" % (len(missing), " ".join(missing)))
    elif regressions:
        s.append("upstream_tests: passes on real libuv, fails on uvafd: %s" % " ".join(regressions))
    if floor_failure:
        s.append(floor_failure)
    status = 1 if missing or regressions or floor_failure else 0
    if status == 0:
        s.append("upstream_tests: no test that passes on real libuv fails on uvafd")
    write_out(sys.stdout, "\n".join(s) + "\n")
    sys.stdout.flush()
    return status


def floor_verdict(args, version, results, missing, libuv_result):
    """The floor's line of the report and, when the baseline is under it, the failure: of this
    run's tests, those that real libuv passed in the list's run."""
    floor_path = os.path.join(args.floor_dir, "libuv-%s.txt" % version)
    if not os.path.isfile(floor_path):
        return "Floor: no list for libuv %s." % version, (
            "upstream_tests: no floor list for libuv %s (%s): make it from the report of a "
            "full run on a quiet machine, check that run's failures are Wine's, and commit it: "
            "python3 tools/report/upstream_judge.py floor-list BUILD/upstream-tests/report.md"
            " > upstream-tests/floor/libuv-%s.txt" % (version, floor_path, version))
    listed = {line for line in map(str.strip, lines_of(read_text(floor_path)))
              if line and not line.startswith("#")}
    in_run = [name for name in [r[1] for r in results] + missing if name in listed]
    passed = [name for name in in_run if libuv_result.get(name) == "pass"]
    floor = (len(in_run) * FLOOR_PERCENT + 99) // 100  # rounded up: 90% of 10 is 9, of 364 is 328
    line = ("Floor: real libuv passed %d of the %d tests of this run that "
            "upstream-tests/floor/libuv-%s.txt lists (floor: %d, %d%%)."
            % (len(passed), len(in_run), version, floor, FLOOR_PERCENT))
    if not in_run:
        return line, ("upstream_tests: real libuv passed none of this run's tests in the run that "
                      "made upstream-tests/floor/libuv-%s.txt: a comparison with a failing baseline "
                      "proves nothing" % version)
    if len(passed) >= floor:
        return line, None
    failed_there = [(name, libuv_result.get(name, "not run")) for name in in_run
                    if libuv_result.get(name) != "pass"]
    timeouts, in_use, not_started, load = floor_causes(failed_there, args.logs)
    return line, (
        "upstream_tests: real libuv passed %d of the %d listed tests, fewer than the "
        "floor (%d): the comparison proves nothing. Likely causes: the machine is "
        "overloaded (load average %s; %d of them timed out), a port held by a leftover "
        "process (%d logs say the address is in use; see ss -tlnp), or a broken Wine "
        "prefix (%d did not start under Wine; delete the lane prefixes under %s to "
        "boot them again). Real libuv's logs: %s/TEST.libuv.log"
        % (len(passed), len(in_run), floor, load, timeouts, in_use, not_started,
           os.path.join(os.path.dirname(args.logs), "lanes"), args.logs))


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    j = sub.add_parser("judge")
    for name in ("run-dir", "logs", "report", "mode", "lanes", "seconds", "libuv-source"):
        j.add_argument("--" + name, required=True)
    here = os.path.dirname(os.path.abspath(__file__))
    j.add_argument("--floor-dir",
                   default=os.path.join(here, "..", "..", "upstream-tests", "floor"))
    f = sub.add_parser("floor-list")
    f.add_argument("report")
    sub.add_parser("verdicts")
    args = parser.parse_args(argv)
    if args.command == "judge":
        args.floor_dir = os.path.normpath(args.floor_dir)
        return judge(args)
    if args.command == "verdicts":
        return verdicts(sys.stdin, sys.stdout)
    names = floor_list_from_report(args.report)
    if not names:
        sys.stderr.write("upstream_judge.py: no test passes on real libuv in %s\n" % args.report)
        return 1
    header = ("# The %d tests real libuv passed in the run of %s (one a line, list order).\n"
              "# upstream-tests/run.sh fails when real libuv passes fewer than %d%% of the\n"
              "# listed tests a run has. Made by: tools/report/upstream_judge.py floor-list\n"
              % (len(names), args.report, FLOOR_PERCENT))
    write_out(sys.stdout, header + "".join(n + "\n" for n in names))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
