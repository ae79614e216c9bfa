"""upstream_judge.py's verdict of one run against the sample logs of testdata/tap/cases.txt,
which tap_judge_c_test holds tools/bundle/tap_judge.c to as well: one rule (tap_rule.md) for the
lanes and the bundle."""

import os
import subprocess
import sys
import unittest

from upstream_judge import verdict

TAP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "testdata", "tap")


def cases():
    with open(os.path.join(TAP, "cases.txt")) as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                log, name, rc, timed_out, expected = line.split()
                yield log, name, int(rc), timed_out == "1", expected


class TapJudgeTest(unittest.TestCase):
    def test_every_sample_log_has_its_verdict(self):
        checked = 0
        for log, name, rc, timed_out, expected in cases():
            path = os.path.join(TAP, log)
            text = open(path, encoding="latin-1").read() if os.path.exists(path) else ""
            with self.subTest(log=log, name=name, rc=rc):
                self.assertEqual(verdict(text, name, rc, timed_out), expected)
            checked += 1
        self.assertGreater(checked, 10)

    def test_a_lane_asks_line_by_line_and_timeouts_exit_124_or_137(self):
        here = os.path.dirname(os.path.abspath(__file__))
        pass_log = os.path.join(TAP, "pass.log")
        asked = "".join("async\t%s\t%s\n" % (rc, pass_log) for rc in (0, 124, 137, 3))
        out = subprocess.run([sys.executable, os.path.join(here, "upstream_judge.py"), "verdicts"],
                             input=asked, capture_output=True, text=True, check=True).stdout
        self.assertEqual(out, "pass\ntimeout\ntimeout\nfail(3)\n")


if __name__ == "__main__":
    unittest.main()
