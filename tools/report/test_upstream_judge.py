#!/usr/bin/env python3
"""Tests of upstream_judge.py's verdict, on results written as run.sh's lanes write them (no
Wine): a baseline that fails must fail the run, at and under the floor, per version's list."""

import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
JUDGE = os.path.join(HERE, "upstream_judge.py")
FLOOR_DIR = os.path.join(HERE, "..", "..", "upstream-tests", "floor")

# The x86 tree's subset (tests/CMakeLists.txt: upstream_poll_async).
POLL_ASYNC = ["async", "async_null_cb", "async_ref", "poll_bad_fdtype", "poll_close",
              "poll_close_doesnt_corrupt_stack", "poll_closesocket", "poll_duplex",
              "poll_multiple_handles", "poll_unidirectional"]


class Run:
    """A run directory as run.sh leaves it for the judge, and the judge's verdict on it."""

    def __init__(self, root, version="1.44.2"):
        self.root = root
        self.run_dir = os.path.join(root, "run")
        self.logs = os.path.join(root, "logs")
        self.source = os.path.join(root, "libuv")
        os.makedirs(os.path.join(self.run_dir, "lane0"))
        os.makedirs(self.logs)
        os.makedirs(os.path.join(self.source, "include", "uv"))
        major, minor, patch = version.split(".")
        with open(os.path.join(self.source, "include", "uv", "version.h"), "w") as f:
            f.write("#define UV_VERSION_H\n#define UV_VERSION_MAJOR %s\n#define UV_VERSION_MINOR %s\n"
                    "#define UV_VERSION_PATCH %s\n" % (major, minor, patch))
        self.rows = []

    def result(self, name, libuv, uvafd, libuv_log=""):
        self.rows.append((name, libuv, uvafd))
        if libuv_log:
            with open(os.path.join(self.logs, name + ".libuv.log"), "w") as f:
                f.write(libuv_log)

    def judge(self, floor_dir=FLOOR_DIR, queue=None):
        with open(os.path.join(self.run_dir, "queue"), "w") as f:
            f.write("".join(n + "\n" for n in (queue or [r[0] for r in self.rows])))
        with open(os.path.join(self.run_dir, "lane0", "results"), "w") as f:
            for i, (name, libuv, uvafd) in enumerate(self.rows):
                f.write("%d\t%s\t%s\t0.5\t%s\t0.5\t0\n" % (i, name, libuv, uvafd))
        p = subprocess.run(
            [sys.executable, JUDGE, "judge", "--run-dir", self.run_dir, "--logs", self.logs,
             "--report", os.path.join(self.root, "report.md"), "--mode", "netns", "--lanes", "2",
             "--seconds", "9", "--libuv-source", self.source, "--floor-dir", floor_dir],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        with open(os.path.join(self.root, "report.md")) as f:
            self.report = f.read()
        return p.returncode, p.stdout


class FloorTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.run = Run(self.tmp.name)

    def tearDown(self):
        self.tmp.cleanup()

    def test_baseline_that_passes_nothing_fails(self):
        # The x86 run: all ten fail on real libuv and on uvafd, no regression.
        for name in POLL_ASYNC:
            self.run.result(name, "fail(1)", "fail(1)", "Application could not be started\n")
        rc, out = self.run.judge()
        self.assertNotEqual(rc, 0, out)
        self.assertIn("real libuv passed 0 of the 10 listed tests, fewer than the floor (9)", out)
        self.assertIn("10 did not start under Wine", out)
        self.assertNotIn("no test that passes on real libuv fails on uvafd", out)

    def test_quiet_baseline_passes(self):
        for name in POLL_ASYNC:
            self.run.result(name, "pass", "pass")
        rc, out = self.run.judge()
        self.assertEqual(rc, 0, out)
        self.assertIn("real libuv passed 10 of the 10 tests of this run", out)
        self.assertIn("no test that passes on real libuv fails on uvafd", out)

    def test_at_the_floor_passes_below_it_fails(self):
        for name in POLL_ASYNC[:9]:
            self.run.result(name, "pass", "pass")
        self.run.result(POLL_ASYNC[9], "timeout", "timeout")
        rc, out = self.run.judge()
        self.assertEqual(rc, 0, out)
        self.run.rows[8] = (POLL_ASYNC[8], "timeout", "pass")
        rc, out = self.run.judge()
        self.assertNotEqual(rc, 0, out)
        self.assertIn("2 of them timed out", out)

    def test_unlisted_passes_do_not_count(self):
        # platform_output fails on real libuv under Wine: not in the list, so its passes here
        # cannot lift a failing baseline, and a run of only such tests compares nothing.
        self.run.result("platform_output", "pass", "pass")
        rc, out = self.run.judge()
        self.assertNotEqual(rc, 0, out)
        self.assertIn("real libuv passed none of this run's tests", out)

    def test_a_test_not_run_counts_against_the_floor(self):
        for name in POLL_ASYNC[:8]:
            self.run.result(name, "pass", "pass")
        rc, out = self.run.judge(queue=POLL_ASYNC)
        self.assertNotEqual(rc, 0, out)
        self.assertIn("2 tests were not run", out)
        self.assertIn("fewer than the floor (9)", out)

    def test_regression_still_fails_over_a_good_baseline(self):
        for name in POLL_ASYNC:
            self.run.result(name, "pass", "pass")
        self.run.rows[0] = (POLL_ASYNC[0], "pass", "fail(3)")
        rc, out = self.run.judge()
        self.assertNotEqual(rc, 0, out)
        self.assertIn("passes on real libuv, fails on uvafd: async", out)

    def test_second_try_pass_is_reported_and_passes(self):
        for name in POLL_ASYNC:
            self.run.result(name, "pass", "pass")
        self.run.rows[1] = (POLL_ASYNC[1], "pass", "pass(2nd-try;1st:timeout)")
        rc, out = self.run.judge()
        self.assertEqual(rc, 0, out)
        self.assertIn("passed on uvafd only at the second try: async_null_cb", out)
        self.assertIn("| async_null_cb | pass | pass (2nd try; 1st: timeout) |", self.run.report)

    def test_floor_of_the_whole_list(self):
        # 90% of the 1.44.2 list, rounded up; one fewer fails.
        with open(os.path.join(FLOOR_DIR, "libuv-1.44.2.txt")) as f:
            listed = [l.strip() for l in f if l.strip() and not l.startswith("#")]
        self.assertEqual(len(listed), 364)
        need = (len(listed) * 90 + 99) // 100
        self.assertEqual(need, 328)
        for i, name in enumerate(listed):
            self.run.result(name, "pass" if i < need else "fail(3)",
                            "pass" if i < need else "fail(3)")
        rc, out = self.run.judge()
        self.assertEqual(rc, 0, out)
        self.run.rows[0] = (listed[0], "timeout", "timeout")
        rc, out = self.run.judge()
        self.assertNotEqual(rc, 0, out)
        self.assertIn("real libuv passed 327 of the 364 listed tests, fewer than the floor (328)",
                      out)

    def test_missing_list_for_the_version_fails_saying_how_to_make_it(self):
        run = Run(os.path.join(self.tmp.name, "v150"), version="1.50.0")
        for name in POLL_ASYNC:
            run.result(name, "pass", "pass")
        # A folder of lists without 1.50.0's (the repository's own has one).
        floor_dir = os.path.join(self.tmp.name, "no-lists")
        os.makedirs(floor_dir)
        rc, out = run.judge(floor_dir=floor_dir)
        self.assertNotEqual(rc, 0, out)
        self.assertIn("no floor list for libuv 1.50.0", out)
        self.assertIn("upstream_judge.py floor-list BUILD/upstream-tests/report.md > "
                      "upstream-tests/floor/libuv-1.50.0.txt", out)
        # The report is written all the same: the list is made from it.
        self.assertIn("# libuv 1.50.0's tests", run.report)

    def test_list_is_picked_by_the_source_tree_version(self):
        run = Run(os.path.join(self.tmp.name, "v150"), version="1.50.0")
        floor_dir = os.path.join(self.tmp.name, "floor")
        os.makedirs(floor_dir)
        with open(os.path.join(floor_dir, "libuv-1.50.0.txt"), "w") as f:
            f.write("# comment\nasync\n")
        run.result("async", "fail(3)", "fail(3)")
        rc, out = run.judge(floor_dir=floor_dir)
        self.assertNotEqual(rc, 0, out)
        self.assertIn("passed 0 of the 1 listed tests", out)
        run.rows[0] = ("async", "pass", "pass")
        rc, out = run.judge(floor_dir=floor_dir)
        self.assertEqual(rc, 0, out)

    def test_floor_list_is_made_from_a_report(self):
        for name in POLL_ASYNC[:3]:
            self.run.result(name, "pass", "pass")
        self.run.result(POLL_ASYNC[3], "fail(3)", "fail(3)")
        self.run.result(POLL_ASYNC[4], "skip", "skip")
        self.run.judge()
        p = subprocess.run([sys.executable, JUDGE, "floor-list",
                            os.path.join(self.tmp.name, "report.md")],
                           stdout=subprocess.PIPE, text=True, check=True)
        names = [l for l in p.stdout.splitlines() if not l.startswith("#")]
        self.assertEqual(names, POLL_ASYNC[:3])


if __name__ == "__main__":
    unittest.main()
