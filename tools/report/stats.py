"""Distribution-free statistics shared by the reports: the median of a sample and an interval
for it from order statistics, with its exact confidence.

The interval needs no assumption about the distribution of the measurements (benchmark rates
under Wine are skewed and often bimodal): for a sample of n, the order statistics k and
n + 1 - k bracket the true median with probability 1 - 2 P(Binomial(n, 1/2) <= k - 1).
k is the largest for which P(Binomial(n, 1/2) < k) <= 2.5%, so the confidence is at least 95%
whenever such a k exists; with too few values (n < 6) none does, the interval is then min..max
and its confidence is reported as 0, so a reader is never shown a bound that means nothing.
"""

from dataclasses import dataclass


def binom_cdf(n, j):
    """P(Binomial(n, 1/2) <= j), summed in floating point in increasing order of i (the order
    fixes the rounding, so the confidences printed in the reports do not move)."""
    c = 1.0
    s = 0.0
    for i in range(j + 1):
        s += c
        c = c * (n - i) / (i + 1)
    return s / 2.0 ** n


def median_of_sorted(a):
    n = len(a)
    return a[(n - 1) // 2] if n % 2 else (a[n // 2 - 1] + a[n // 2]) / 2


@dataclass(frozen=True)
class Summary:
    median: float
    min: float
    max: float
    count: int
    lo: float
    hi: float
    conf: float


def summarize(values):
    """Median, range and the 95% order-statistic interval of a non-empty sample."""
    a = sorted(values)
    n = len(a)
    if n == 0:
        raise ValueError("summarize: empty sample")
    k = 0
    while k + 1 <= n / 2 and binom_cdf(n, k) <= 0.025:
        k += 1
    if k >= 1:
        lo, hi, conf = a[k - 1], a[n - k], 1 - 2 * binom_cdf(n, k - 1)
    else:
        lo, hi, conf = a[0], a[-1], 0.0
    return Summary(median_of_sorted(a), a[0], a[-1], n, lo, hi, conf)


def printed(s):
    """The summary as the reports have always read it: six significant digits for the values
    and three decimals for the confidence. Verdicts are judged on these, so a value at the edge
    of a target is judged the same whichever way the report is produced."""
    g = lambda x: float("%.6g" % x)
    return Summary(g(s.median), g(s.min), g(s.max), s.count, g(s.lo), g(s.hi),
                   float("%.3f" % s.conf))


# ---- what every report prints the same way ----------------------------------------------

def fmt(v):
    """A number as the reports' tables print it."""
    if v is None:
        return "-"
    a = abs(v)
    return "%.0f" % v if a >= 1000 else "%.1f" % v if a >= 100 else "%.2f" % v


def two(v):
    return "-" if v is None else "%.2f" % v


def interval(s):
    """A Summary (or None) as "median [lo, hi]"."""
    return "-" if s is None else "%.2f [%.2f, %.2f]" % (s.median, s.lo, s.hi)


def pct(s):
    return "%.0f%%" % (100 * (s.conf if s else 0))


def reached(goals, aa=None):
    """The verdict on (Summary or None, target) pairs of ratios, read against the A/A control
    `aa` (the Summary of uvafd/uvafd in the same rounds, or None). "yes": every median reaches
    its target. "noise": one does not, but the 95% interval of each that does not still reaches
    it, or reaches as far below it as the A/A interval falls below 1 (two runs of one binary
    differed that much, so the machine cannot tell the shortfall from noise). "no": an interval
    lies wholly below both."""
    result = "yes"
    for s, goal in goals:
        if s is not None and s.median >= goal:
            continue
        floor = goal * min(1.0, aa.lo) if aa is not None else goal
        if s is None or s.hi < floor:
            return "no"
        result = "noise"
    return result


def md_table(header, align, rows):
    """A Markdown table; align: one letter a column, l (---) or r (--:)."""
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("--:" if a == "r" else "---" for a in align) + "|"]
    return "\n".join(out + ["| " + " | ".join(r) + " |" for r in rows])
