"""tools/test.sh's count of one ctest run: a skipped test is skipped, not passed."""

import os
import tempfile
import unittest

import ctest_summary

# The end of a real run (the x64 tree, 2026-12-04): two of wepoll's own tests skipped.
X64_TAIL = """\
53/54 Test #25: upstream_tests .............................   Passed  558.60 sec
      Start 41: wepoll_port_ctl-fuzz
54/54 Test #41: wepoll_port_ctl-fuzz .......................   Passed   18.60 sec

100% tests passed, 0 tests failed out of 54

Label Time Summary:
wepoll_tests    =  58.90 sec*proc (19 tests)

Total Test time (real) = 577.20 sec

The following tests did not run:
\t 50 - wepoll_port_oneshot-and-hangup (Skipped)
\t 51 - wepoll_port_dll_oneshot-and-hangup (Skipped)
x64: no process of its Wine prefixes is left
"""

# ctest's layout when some fail too: the failed list follows the one of tests not run.
MIXED_TAIL = """\
80% tests passed, 2 tests failed out of 10

Total Test time (real) =  12.00 sec

The following tests did not run:
\t  4 - needs_shared (Skipped)
\t  7 - off_for_now (Disabled)

The following tests FAILED:
\t  2 - crashes (Failed)
\t  9 - no_such_exe (Not Run)
Errors while running CTest
"""


class CtestSummary(unittest.TestCase):
    def test_skipped_tests_are_not_passed(self):
        self.assertEqual(ctest_summary.summary(X64_TAIL), (52, 0, 2, 54))

    def test_failed_and_not_run_are_failures_disabled_is_skipped(self):
        self.assertEqual(ctest_summary.summary(MIXED_TAIL), (6, 2, 2, 10))

    def test_no_skips(self):
        self.assertEqual(ctest_summary.summary("100% tests passed, 0 tests failed out of 44\n"),
                         (44, 0, 0, 44))

    def test_the_last_run_counts(self):
        self.assertEqual(ctest_summary.summary(MIXED_TAIL + X64_TAIL), (52, 0, 2, 54))

    def test_a_run_that_did_not_finish_has_no_count(self):
        self.assertIsNone(ctest_summary.summary("      Start 1: x\n1/3 Test #1: x ...   Passed\n"))

    def test_the_command_prints_the_counts_or_exits_2(self):
        with tempfile.TemporaryDirectory() as d:
            log = os.path.join(d, "log")
            with open(log, "w", encoding="utf-8") as f:
                f.write("nothing\n")
            self.assertEqual(ctest_summary.main(["ctest_summary.py", log]), 2)


if __name__ == "__main__":
    unittest.main()
