"""The statistics of the benchmark reports: the interval rule by hand, and the whole summary
of a run against bench/stats.awk, which computed it before this tool did.

testdata/stats_*.expected were printed by `awk -f bench/stats.awk INPUT | sort` (mawk, LC_ALL=C)
before the awk script was removed: on the two samples of the committed reports' raw results
beside them, and on synthetic_run() below.
"""

import os
import random
import unittest

import bench_record
from stats import binom_cdf, summarize, printed

HERE = os.path.dirname(os.path.abspath(__file__))


def synthetic_run():
    """The seeded synthetic input stats_synthetic.expected was printed from: 1 to 12, 17 and 20
    rounds (the interval's k changes at 6, 9, 12, 17 and 20), ties, zero denominators, runs
    without a result, nt lines with and without events, malformed lines."""
    random.seed(18)
    out = []
    for n in list(range(1, 13)) + [17, 20]:
        for r in range(1, n + 1):
            for p in ("uvafd", "libuv", "floor", "uvafd_aa", "wepoll"):
                if random.random() < 0.1:
                    continue
                v = random.choice([0, 1, 1, 2.5, random.uniform(0, 3e4), random.lognormvariate(6, 1)])
                if p == "libuv" and random.random() < 0.1:
                    v = 0
                out.append("round=%d req=%d result lib=%s scenario=s%d value=%.3f" % (r, n, p, n, v))
                if p == "uvafd" and random.random() < 0.3:
                    events = random.choice([0, 7, 100.5])
                    out.append("round=%d req=%d nt lib=uvafd scenario=s%d submit=%d post=3 total=9 events=%s"
                               % (r, n, n, random.randint(0, 50), events))
    for r in range(1, 8):
        for p in ("uvafd", "libuv"):
            out.append("round=%d req=0 result lib=%s scenario=close value=%.1f iters_mean=%.3f iters_max=%d"
                       % (r, p, random.uniform(20, 300), random.random(), random.randint(0, 2)))
    out += ["round=1 req=0 something else entirely",
            "round=2 req=3 result lib=uvafd scenario=odd n=3 value=12abc unit=x noequals",
            "round=2 req=3 nt lib=uvafd scenario=odd n=3 submit=4",
            "round=3 req=3 result lib=uvafd scenario=odd n=4 value=1e3 unit=x",
            "round=3 req=3 result lib=libuv scenario=odd n=4 value=-2 unit=x"]
    return out


class IntervalRule(unittest.TestCase):
    def test_binomial_cdf(self):
        self.assertEqual(binom_cdf(9, 1), 10 / 512)
        self.assertEqual(binom_cdf(4, 4), 1.0)
        self.assertAlmostEqual(binom_cdf(18, 4), (1 + 18 + 153 + 816 + 3060) / 2 ** 18)

    def test_too_few_rounds_give_the_range_and_no_confidence(self):
        for n in range(1, 6):
            s = summarize(list(range(n, 0, -1)))
            self.assertEqual((s.lo, s.hi, s.conf), (1, n, 0.0), n)

    def test_order_statistics_and_confidence(self):
        # n: (k, confidence): k is the largest with P(B(n, 1/2) < k) <= 2.5%
        expected = {6: (1, 0.969), 9: (2, 0.961), 12: (3, 0.961), 17: (5, 0.951), 18: (5, 0.969)}
        for n, (k, conf) in expected.items():
            s = summarize([float(10 * i) for i in range(1, n + 1)])
            self.assertEqual(s.lo, 10.0 * k, n)
            self.assertEqual(s.hi, 10.0 * (n + 1 - k), n)
            self.assertEqual(round(s.conf, 3), conf, n)

    def test_median_and_range_ignore_input_order(self):
        s = summarize([5, 1, 4, 2])
        self.assertEqual((s.median, s.min, s.max, s.count), (3, 1, 5, 4))
        self.assertEqual(summarize([3, 9, 1]).median, 3)

    def test_printed_precision(self):
        p = printed(summarize([1234567.0, 0.9999996, 2.0]))
        self.assertEqual((p.max, p.min, p.median), (1234570.0, 1.0, 2.0))

    def test_empty_sample_is_an_error(self):
        with self.assertRaises(ValueError):
            summarize([])


def summary_lines(summ):
    """The summaries as text, one "KEY FIELD median min max count lo hi confidence" line each
    (sorted), the format bench/stats.awk printed: the tests compare against it."""
    return sorted("%s %s %.6g %.6g %.6g %d %.6g %.6g %.3f" % (key, field, s.median, s.min, s.max, s.count, s.lo,
                                                            s.hi, s.conf) for (key, field), s in summ.items())


class SameAsStatsAwk(unittest.TestCase):
    def check(self, name, lines=None):
        if lines is None:
            with open(os.path.join(HERE, "testdata", "stats_%s.txt" % name)) as f:
                lines = f.read().splitlines()
        records = [r for r in map(bench_record.parse_line, lines) if r]
        with open(os.path.join(HERE, "testdata", "stats_%s.expected" % name)) as f:
            expected = f.read().splitlines()
        self.assertEqual(summary_lines(bench_record.summaries(records)), expected)

    def test_uvafd_libuv_floor_sample(self):
        self.check("uv_sample")

    def test_epoll_sample(self):
        self.check("epoll_sample")

    def test_synthetic(self):
        self.check("synthetic", synthetic_run())


if __name__ == "__main__":
    unittest.main()
