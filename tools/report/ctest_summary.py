"""What one ctest run counted, as tools/test.sh adds it up: passed, failed, skipped.

ctest's closing line ("100% tests passed, 0 tests failed out of 54") counts a skipped test
(SKIP_RETURN_CODE, or a disabled one) among the passed ones: its total includes it and its
failures do not. The skipped ones are only in the list that follows ("The following tests
did not run:", each "(Skipped)" or "(Disabled)"), so they are taken from there and out of the
passed.

  python3 ctest_summary.py LOG   prints "PASSED FAILED SKIPPED TOTAL"; exit 2 when the log has
                                 no closing line (ctest did not finish: tools/test.sh counts
                                 that as one failure)
"""

import re
import sys

CLOSING = re.compile(r"tests passed, (\d+) tests failed out of (\d+)")
NOT_RUN_HEADER = "The following tests did not run:"
NOT_RUN_ENTRY = re.compile(r"^\s*\d+ - \S+ \((Skipped|Disabled)\)\s*$")


def summary(text):
    """(passed, failed, skipped, total) of the last ctest run in `text`, or None without its
    closing line."""
    lines = text.splitlines()
    closing = [i for i, line in enumerate(lines) if CLOSING.search(line)]
    if not closing:
        return None
    last = closing[-1]
    failed, total = (int(x) for x in CLOSING.search(lines[last]).groups())
    skipped = 0
    in_list = False
    for line in lines[last + 1:]:
        if line.strip() == NOT_RUN_HEADER:
            in_list = True
        elif in_list and NOT_RUN_ENTRY.match(line):
            skipped += 1
        elif in_list and line.strip():
            in_list = False  # the list ends at its first line of another kind
    return total - failed - skipped, failed, skipped, total


def main(argv):
    with open(argv[1], encoding="utf-8", errors="replace") as f:
        counts = summary(f.read())
    if counts is None:
        return 2
    print("%d %d %d %d" % counts)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
