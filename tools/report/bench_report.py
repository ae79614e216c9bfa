#!/usr/bin/env python3
"""Judges and reports the benchmarks: reads one run's record (bench_record.py), computes the
verdicts, prints the table and renders docs/benchmarks.md, docs/benchmarks-epoll.md and the
chart from the templates in templates/ (the prose lives there; this file fills in numbers).

  bench_report.py uv|epoll --work DIR [--out-dir docs]   the round loop's work directory (see
                    bench/rounds.sh): writes DIR/run.jsonl, prints the table and renders the
                    report into --out-dir unless the run's meta says docs=0
  bench_report.py uv|epoll --record FILE [--out MD]   renders a saved record (no chart)
  bench_report.py uv|epoll --from-doc MD [--out MD]   renders from the numbers of a rendered doc
  bench_report.py uv --work DIR --keep-doc MD   a run of libuv's own benchmarks only
                    (UVAFD_BENCH_ONLY_LIBUV=1): the other sections keep MD's numbers
"""

import argparse
import os
import re
import shutil
import string
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench_record  # noqa: E402
import libuv_bench  # noqa: E402
from stats import fmt  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(HERE))
TEMPLATES = os.path.join(HERE, "templates")

_COND = re.compile(r"\{\{if (\w+)\}\}\n(.*?)(?:\{\{else\}\}\n(.*?))?\{\{end\}\}\n", re.S)


def fill(name, values, flags):
    """templates/NAME with ${name} filled in; "{{if flag}}\\n...{{else}}\\n...{{end}}\\n"
    keeps one branch (not nested)."""
    with open(os.path.join(TEMPLATES, name), encoding="utf-8") as f:
        text = f.read()
    text = _COND.sub(lambda m: m.group(2) if flags[m.group(1)] else (m.group(3) or ""), text)
    return string.Template(text).substitute({k: "" if v is None else v for k, v in values.items()})


# ---- number formats of the tables ---------------------------------------------------------

def two(v):
    return "-" if v is None else "%.2f" % v


def ratio(a, b):
    return "-" if a is None or b is None or b == 0 else "%.2f" % (a / b)


def pct(conf):
    return "%.0f%%" % (100 * (conf or 0))


def num(s):
    """A number the shell kept as text ("22.00"), or None."""
    return None if s in (None, "", "-") else float(s)


def sum_as_printed(a, b):
    # awk's print: integers in full, others with six significant digits.
    x = a + b
    return x if x == int(x) else float("%.6g" % x)


def md_table(header, align, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


def meta_cases(meta, key):
    return [tuple(c.split()) for c in meta.get(key, "").split(";") if c.strip()]


def block(lines):
    """Lines for a template slot that may be empty: each ends with its newline."""
    return "".join(line + "\n" for line in lines)


# ---- docs/benchmarks.md: uvafd against libuv 1.44.2 and the raw-ntdll floor ----------------

PROGRAMS = ("uvafd", "libuv", "floor")


class UvReport:
    def __init__(self, records):
        self.nb = bench_record.Numbers(records)
        self.meta = self.nb.meta
        self.idle_n = self.meta.get("idle_n", "10000")
        self.mem_n = self.meta.get("mem_n", "10000")
        self.cases = meta_cases(self.meta, "cases")
        self.trace_cases = meta_cases(self.meta, "trace_cases")
        self.do_trace = self.meta.get("trace", "1") == "1"
        self.rows = []       # scenario, unit, uvafd, libuv, floor, u/l, u/f, target, met
        self.tp_rows = []    # scenario, rounds, u/l, u/f, A/A, confidence, verdict
        self.rates = []      # chart: one group of bars per throughput row
        self.calls = []      # chart: requests per event
        self.met = self.noise = self.total = 0
        self._judge()
        # libuv's own benchmark runner: a section of its own, absent from a run without it.
        self.libuv = libuv_bench.Section(records, self.meta)

    def get(self, *a, **k):
        return self.nb.get(*a, **k)

    def trace_per(self, p, sc, n):
        t = self.nb.trace(p, sc, n)
        return t and t["per"]

    def row(self, label, unit, u, l, f, target, met):
        self.rows.append([label, unit, fmt(u), fmt(l), fmt(f), ratio(u, l), ratio(u, f), target, met])

    def count(self, result):
        self.total += 1
        self.met += result == "yes"
        self.noise += result == "noise"
        return result

    def iv(self, key, sc, n):
        m = self.get(key, sc, n)
        if m is None:
            return "-"
        return "%s [%s, %s]" % (two(m), two(self.get(key, sc, n, which="lo")),
                                two(self.get(key, sc, n, which="hi")))

    def throughput(self, label, unit, sc, n, target, specs):
        """A throughput row, judged on the per-round ratios (r_ul, r_uf). "yes": every median
        ratio reaches its target. "noise": one does not, but the 95% interval of each that does
        not still reaches it, so this machine cannot tell the shortfall from noise. "no": an
        interval lies wholly below its target. No specs: a row without a target."""
        g = lambda p: self.get(p, sc, n)
        row = [label, unit, fmt(g("uvafd")), fmt(g("libuv")), fmt(g("floor")),
               two(g("r_ul")), two(g("r_uf")), target]
        if not specs:
            self.rows.append(row + [""])
            return
        result = "yes"
        for key, goal in specs:
            med, hi = self.get(key, sc, n), self.get(key, sc, n, which="hi")
            if med is not None and med >= goal:
                continue
            if hi is not None and hi >= goal:
                result = "noise" if result == "yes" else result
            else:
                result = "no"
        self.rows.append(row + [self.count(result)])
        rounds = self.get("r_ul", sc, n, which="count")
        self.tp_rows.append([label, "" if rounds is None else str(rounds), self.iv("r_ul", sc, n),
                             self.iv("r_uf", sc, n), self.iv("r_aa", sc, n),
                             pct(self.get("r_ul", sc, n, which="conf")), result])

    def chart_rate(self, label, sc, n):
        f = []
        for key in ("r_ul", "r_fl"):
            for which in ("median", "lo", "hi"):
                x = self.get(key, sc, n, which=which)
                f.append("-" if x is None else "%.6g" % x)
        self.rates.append('"%s" %s %s %s 1 1 1 %s %s %s' % (label, *f))

    def trace_verdict(self, sc, n, u, l):
        """Requests per event, no more than libuv's. "noise" when uvafd's excess is made only of
        select + remove_completion: the requests of a dequeue that had to block, which depends
        on whether the other side's packet came first (timing), not on the library's calls."""
        if u is not None and u <= (l if l is not None else 0):
            return self.count("yes")
        tu, tl = self.nb.trace("uvafd", sc, n), self.nb.trace("libuv", sc, n)
        nu, nl = tu and tu["names"], tl and tl["names"]
        if nu is None or nl is None:
            extra = ["unknown"]
        elif not nl:
            extra = []  # (as awk's NR == FNR read it: an empty first file takes the second)
        else:
            lib = {name: float(v) for name, v in nl}
            extra = [name for name, v in nu if float(v) - lib.get(name, 0) > 0.005
                     and name not in ("select", "remove_completion")]
        return self.count("noise" if not extra and nu else "no")

    def _judge(self):
        g = self.get
        for t in ("1", "2", "4"):
            self.throughput("1. async, %s sender thread(s)" % t, "wakeups/s", "async", t,
                            ">= 1.0x libuv, >= 0.8x floor", [("r_ul", 1.0), ("r_uf", 0.8)])
            self.chart_rate("async %s thr" % t, "async", t)
        for n in ("1", "64", "1024"):
            self.throughput("2. uv_poll ping-pong, %s pair(s)" % n, "round trips/s", "pingpong", n,
                            ">= 1.0x libuv", [("r_ul", 1.0)])
            self.chart_rate("ping-pong %s" % n, "pingpong", n)
        for n in ("1", "64"):
            # libuv's own IOCP path through uvafd's loop core: it must not be slowed down.
            self.throughput("2b. libuv's own uv_tcp_t ping-pong, %s pair(s)" % n, "round trips/s",
                            "tcp", n, ">= 0.95x libuv", [("r_ul", 0.95)])
            self.chart_rate("uv_tcp_t %s" % n, "tcp", n)
        self.throughput("3. churn: socket, poll start, 1 message, close", "cycles/s", "churn", "0",
                        ">= 1.0x libuv", [("r_ul", 1.0)])
        self.chart_rate("churn", "churn", "0")
        self.row("4. close latency, poll in flight (lower is better)", "us",
                 g("uvafd", "close", "0"), g("libuv", "close", "0"), None, "(none)", "-")
        u = g("uvafd", "close", "0", "iters_max", "max")
        l = g("libuv", "close", "0", "iters_max", "max")
        self.row("4. close: loop iterations uv_close -> close_cb, worst case", "iterations", u, l,
                 None, "<= 1 (next iteration)", self.count("yes" if u is not None and u <= 1 else "no"))
        idle = self.idle_n
        self.throughput("5. one pair's ping-pong, 0 idle sockets", "round trips/s", "idle", "0", "", [])
        self.throughput("5. one pair's ping-pong, %s idle polled sockets" % idle, "round trips/s",
                        "idle", idle, "", [])

        def loss(p):
            a, b = g(p, "idle", "0"), g(p, "idle", idle)
            return None if a is None or b is None or a == 0 else float("%.1f" % (100 * (1 - b / a)))
        ul = loss("uvafd")
        self.row("5. idle scaling: rate lost with %s idle sockets (lower is better)" % idle, "%",
                 ul, loss("libuv"), loss("floor"), "< 10% loss",
                 self.count("yes" if ul is not None and ul < 10 else "no"))
        for n in ("0", "1000", idle):
            self.chart_rate("idle %s" % n, "idle", n)
        mem = self.mem_n
        u, l, f = (g(p, "memory", mem) for p in PROGRAMS)
        self.row("6. memory per registered poll handle (lower is better)", "bytes", u, l, f,
                 "<= libuv", self.count("yes" if u is not None and u <= (l or 0) else "no"))
        self.handle_struct = None
        for r in self.nb.lines():
            m = re.search(r"handle_struct=([0-9]*)", r["raw"])
            if m:
                self.handle_struct = m.group(1) or None
                break
        if self.handle_struct and u is not None and l is not None:
            # The same with the caller's own handle struct counted (the floor has none).
            hs = float(self.handle_struct)
            self.row("6. memory per poll handle + the caller's uv_poll_t (lower is better)", "bytes",
                     sum_as_printed(u, hs), sum_as_printed(l, hs), None, "(none)", "-")
        if self.do_trace:
            for sc, n, _k1, _k2 in self.trace_cases:
                u, l, f = (self.trace_per(p, sc, n) for p in PROGRAMS)
                what = {"async": "per wakeup (1 thread)", "pingpong": "per round trip, %s pair(s)" % n,
                        "churn": "per churn cycle", "close": "per close cycle"}.get(sc, "")
                met = self.trace_verdict(sc, n, num(u), num(l))
                self.row("7. wineserver requests %s (lower is better)" % what, "requests",
                         num(u), num(l), num(f), "<= libuv", met)
                self.calls.append('"%s %s" %s %s %s' % (sc, n, u or "-", l or "-", f or "-"))

    # ---- output ----

    def text(self):
        out = []
        w = "%-68s %-13s %10s %10s %10s %7s %7s  %s"
        out.append(w % ("scenario", "unit", "uvafd", "libuv", "floor", "u/l", "u/f", "met"))
        out += [w % tuple(r[:7] + [r[8]]) for r in self.rows]
        out += ["", "throughput ratios: median [95% interval] of the per-round ratios"]
        w = "%-48s %6s  %-20s %-20s %-20s %5s  %s"
        out.append(w % ("scenario", "rounds", "uvafd/libuv", "uvafd/floor", "A/A (uvafd twice)",
                        "conf", "verdict"))
        out += [w % tuple(r) for r in self.tp_rows]
        out += ["", "targets met: %d of %d, within noise: %d; total time %s s" % (
            self.met, self.total, self.noise, self.meta.get("elapsed", "?"))]
        if self.libuv.recs:
            out.append(self.libuv.text())
        return "\n".join(out)

    def markdown(self):
        g, m = self.get, self.meta
        values = {k: m.get(k) for k in ("date", "elapsed", "nproc", "kernel", "wine_version",
                                        "load_before", "load_after", "rounds", "async_rounds",
                                        "idle_rounds", "secs")}
        values["cpu"] = m.get("cpu") or "unknown CPU"
        values["idle_n"] = self.idle_n
        values["handle_struct"] = self.handle_struct or "?"
        values["results_table"] = md_table(
            ["scenario", "unit", "uvafd", "libuv", "floor", "uvafd/libuv", "uvafd/floor", "target", "met"],
            ["---", "---", "--:", "--:", "--:", "--:", "--:", "---", "---"], self.rows)
        values.update(targets_met=str(self.met), targets_total=str(self.total),
                      targets_noise=str(self.noise),
                      targets_not_met=str(self.total - self.met - self.noise))
        values["intervals_table"] = md_table(
            ["scenario", "rounds", "uvafd/libuv", "uvafd/floor", "uvafd/uvafd (A/A)", "confidence", "verdict"],
            ["---", "--:", "--:", "--:", "--:", "--:", "---"], self.tp_rows)
        for sc, n in (("pingpong", "1"), ("pingpong", "64"), ("pingpong", "1024"), ("async", "1")):
            for p in PROGRAMS:
                values["t_%s_%s_%s" % (p, sc, n)] = self.trace_per(p, sc, n)
        for p in PROGRAMS:
            values["idle_actual_" + p] = self.idle_actual(p)
        values["idle_trend"] = "round trips/s with 0 / 1000 / %s idle sockets: %s" % (
            self.idle_n, "; ".join("%s %s / %s / %s" % (p, fmt(g(p, "idle", "0")), fmt(g(p, "idle", "1000")),
                                                          fmt(g(p, "idle", self.idle_n))) for p in PROGRAMS))
        values["async_range"] = self.async_range()
        values["pingpong_range"] = self.range_of("pingpong", "1")
        values["trace_table"] = md_table(
            ["scenario", "K1, K2", "uvafd", "libuv", "floor"], ["---", "---", "--:", "--:", "--:"],
            [["%s %s" % (sc, n), "%s, %s" % (k1, k2)] + [self.trace_per(p, sc, n) or "" for p in PROGRAMS]
             for sc, n, k1, k2 in self.trace_cases])
        names = []
        for sc, n, _k1, _k2 in self.trace_cases:
            for p in PROGRAMS:
                t = self.nb.trace(p, sc, n)
                if t and t["names"]:
                    names.append("- %s %s, %s: %s" % (sc, n, p, ", ".join("%s %s" % tuple(x) for x in t["names"])))
        values["trace_names"] = block(names)
        nt = []
        for sc, n in self.cases:
            if g("uvafd", sc, n, "nt_total") is None:
                continue
            nt.append(["%s %s" % (sc, n)] + [fmt(g("uvafd", sc, n, "nt_" + x)) for x in bench_record.NT_FIELDS])
        values["nt_table"] = md_table(["scenario", "submit", "cancel", "post", "dequeue", "other", "total"],
                                      ["---"] + ["--:"] * 6, nt)
        values["spread_table"] = md_table(
            ["scenario", "uvafd", "libuv", "floor"], ["---", "--:", "--:", "--:"],
            [["%s %s" % (sc, n)] + [self.spread(p, sc, n) for p in PROGRAMS] for sc, n in self.cases])
        failures = self.nb.failures()
        values["failures"] = "\n".join("- " + f for f in failures)
        values["raw_results"] = block(r["raw"] for r in self.nb.lines())
        flags = {"chart": m.get("chart") == "1", "trace": self.do_trace, "failures": bool(failures),
                 "libuv_bench": bool(self.libuv.recs)}
        values["libuv_bench"] = fill("benchmarks-libuv.md", self.libuv.values(), {}) if self.libuv.recs else ""
        return fill("benchmarks.md", values, flags)

    def idle_actual(self, p):
        got = []
        for r in self.nb.lines(("result",)):
            if r["req"] == self.idle_n and r["program"] == p and r["scenario"] == "idle":
                m = re.match(r".* idle=([0-9]*)", r["raw"])
                if m:
                    got.append(m.group(1))
        return min(got, key=lambda s: (int(s or 0), s)) if got else None

    def spread(self, p, sc, n):
        a, b = self.get(p, sc, n, which="min"), self.get(p, sc, n, which="max")
        return "-" if a is None else "%s-%s" % (fmt(a), fmt(b))

    def range_of(self, sc, n):
        """The lowest and highest rate of any program over the rounds of scenario SC N."""
        lo = [self.get(p, sc, n, which="min") for p in PROGRAMS]
        hi = [self.get(p, sc, n, which="max") for p in PROGRAMS]
        lo, hi = [x for x in lo if x is not None], [x for x in hi if x is not None]
        return "%s to %s" % (fmt(min(lo)), fmt(max(hi))) if lo else "-"

    def async_range(self):
        return "%s wakeups/s with 1 sender thread, %s with 2 and %s with 4" % tuple(
            self.range_of("async", t) for t in ("1", "2", "4"))

    def chart(self, png):
        """Renders the chart with gnuplot; False when gnuplot is not installed."""
        gnuplot = shutil.which("gnuplot")
        if not gnuplot:
            return False
        m = self.meta
        with tempfile.TemporaryDirectory() as tmp:
            rates, calls = os.path.join(tmp, "rates.dat"), os.path.join(tmp, "calls.dat")
            with open(rates, "w") as f:
                f.write(block(self.rates))
            with open(calls, "w") as f:
                f.write(block(self.calls))
            term = "pngcairo noenhanced size 1200,1000 font 'DejaVu Sans,10'"
            if subprocess.run([gnuplot, "-e", "set terminal pngcairo"], capture_output=True).returncode:
                term = "png noenhanced size 1200,1000"
            script = fill("benchmarks.gnuplot", {
                "term": term, "png": png, "layout": "2,1" if self.calls else "1,1",
                "wine_version": m.get("wine_version", "unknown"), "nproc": m.get("nproc", "?"),
                "day": (m.get("date") or "")[:10], "rounds": m.get("rounds", "?"),
                "secs": m.get("secs", "?"), "async_rounds": m.get("async_rounds", "?"),
                "idle_rounds": m.get("idle_rounds", "?"), "rates": rates, "calls": calls},
                {"calls": bool(self.calls)})
            return subprocess.run([gnuplot], input=script, text=True).returncode == 0


# ---- docs/benchmarks-epoll.md: the epoll port against wepoll 1.5.8 --------------------------

class EpollReport:
    def __init__(self, records):
        self.nb = bench_record.Numbers(records)
        self.meta = self.nb.meta
        self.cases = meta_cases(self.meta, "cases")
        self.idle_n = self.meta.get("idle_n", "10000")

    def get(self, *a, **k):
        return self.nb.get(*a, **k)

    @staticmethod
    def num(v):  # (the epoll tables never had negative numbers: no abs)
        return "-" if v is None else "%.0f" % v if v >= 1000 else "%.1f" % v if v >= 100 else "%.2f" % v

    def iv(self, key, sc, n):
        if self.get(key, sc, n) is None:
            return "-"
        return "%s [%s, %s]" % (two(self.get(key, sc, n)), two(self.get(key, sc, n, which="lo")),
                                two(self.get(key, sc, n, which="hi")))

    def verdict(self, sc, n):
        """uvafd/wepoll: faster or slower when its interval lies wholly above or below 1, else
        the same within noise (read beside the A/A interval); no verdict from too few rounds."""
        lo, hi = self.get("r_uw", sc, n, which="lo"), self.get("r_uw", sc, n, which="hi")
        if lo is None:
            return "-"
        if not self.get("r_uw", sc, n, which="conf"):
            return "too few rounds"
        return "uvafd faster" if lo > 1 else "uvafd slower" if hi < 1 else "same within noise"

    def table(self):
        label = {"pingpong": "ping-pong, %s pair(s)", "churn": "churn: pair, ADD, 1 message, DEL, close",
                 "idle": "one pair's ping-pong beside %s idle sockets"}
        rows = []
        for sc, n in self.cases:
            lab = label.get(sc, sc)
            rounds = self.get("r_uw", sc, n, which="count")
            rows.append([lab % n if "%s" in lab else lab, "cycles/s" if sc == "churn" else "round trips/s",
                         self.num(self.get("uvafd", sc, n)), self.num(self.get("wepoll", sc, n)),
                         self.iv("r_uw", sc, n), self.iv("r_aa", sc, n),
                         "" if rounds is None else str(rounds), pct(self.get("r_uw", sc, n, which="conf")),
                         self.verdict(sc, n)])
        return md_table(["scenario", "unit", "uvafd", "wepoll 1.5.8", "uvafd/wepoll", "A/A (uvafd/uvafd)",
                         "rounds", "confidence", "reading"],
                        ["---", "---", "--:", "--:", "---", "---", "--:", "--:", "---"], rows)

    def field_median(self, p, sc, n, field):
        """The median of a key=value field of one program's result lines, as text with two
        decimals (an even count averages the middle two, printed to six digits first)."""
        vals = []
        for r in self.nb.lines(("result",)):
            if r["program"] == p and r["scenario"] == sc and r["req"] == n:
                m = re.match(r".* %s=([^ ]*)" % re.escape(field), r["raw"])
                if m:
                    vals.append(m.group(1))
        if not vals:
            return "-"
        vals.sort(key=bench_record.number)
        k = len(vals)
        if k % 2:
            return two(bench_record.number(vals[k // 2]))
        mid = (bench_record.number(vals[k // 2 - 1]) + bench_record.number(vals[k // 2])) / 2
        return two(float("%.6g" % mid))

    def text(self):
        return "\n" + self.table()

    def markdown(self):
        m = self.meta
        values = {k: m.get(k) for k in ("date", "elapsed", "nproc", "kernel", "wine_version",
                                        "load_before", "load_after", "secs", "rounds", "idle_rounds")}
        values["idle_n"] = self.idle_n
        values["results_table"] = self.table()
        values["same_uvafd"] = self.field_median("uvafd", "churn", "0", "same_socket_value")
        values["same_wepoll"] = self.field_median("wepoll", "churn", "0", "same_socket_value")
        values["setup_uvafd"] = self.field_median("uvafd", "idle", self.idle_n, "setup_s")
        values["setup_wepoll"] = self.field_median("wepoll", "idle", self.idle_n, "setup_s")
        failures = self.nb.failures()
        values["failures"] = "\n".join("- " + f for f in failures)
        values["raw_results"] = block(r["raw"] for r in self.nb.lines())
        return fill("benchmarks-epoll.md", values, {"failures": bool(failures)})


REPORTS = {"uv": (UvReport, "benchmarks.md"), "epoll": (EpollReport, "benchmarks-epoll.md")}


def write(path, text):
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(path + ".tmp", path)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("which", choices=sorted(REPORTS))
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--work", help="the round loop's work directory")
    src.add_argument("--record", help="a saved run.jsonl")
    src.add_argument("--from-doc", help="a rendered report, read back into a record")
    ap.add_argument("--out", help="the Markdown file to write (--record, --from-doc)")
    ap.add_argument("--out-dir", default=os.path.join(ROOT, "docs"),
                    help="--work: the folder of the report (and chart), default docs/")
    ap.add_argument("--keep-doc", help="--work: take every record but libuv's own benchmarks' from "
                    "this rendered report (uv only)")
    args = ap.parse_args(argv)
    cls, doc_name = REPORTS[args.which]
    if args.work:
        records = bench_record.collect(args.work)
        if args.keep_doc:
            import bench_from_doc
            with open(args.keep_doc, encoding="utf-8") as f:
                kept = bench_from_doc.uv(f.read())
            libuv_meta = {k: v for k, v in records[0].items() if k.startswith("libuv_bench") or k == "docs"}
            records = [dict(kept[0], chart="1" if kept[0].get("chart") == "1" else "0", **libuv_meta)] + \
                [r for r in kept[1:] if r.get("type") != "libuv_bench"] + \
                [r for r in records if r.get("type") == "libuv_bench"]
        bench_record.save(records, os.path.join(args.work, "run.jsonl"))
    elif args.record:
        records = bench_record.load(args.record)
    else:
        import bench_from_doc
        with open(args.from_doc, encoding="utf-8") as f:
            records = bench_from_doc.EXTRACT[args.which](f.read())
    report = cls(records)
    out = args.out
    if args.work:
        print(report.text())
        if report.meta.get("docs", "1") != "1":
            return 0
        out = os.path.join(args.out_dir, doc_name)
        if args.which == "uv" and not args.keep_doc:  # (the kept report's chart stays as it is)
            png = os.path.join(os.path.dirname(out), "benchmarks.png")
            report.meta["chart"] = "1" if report.chart(png) else "0"
    if out:
        write(out, report.markdown())
        print("wrote " + out)
    else:
        sys.stdout.write(report.markdown())
    return 0


if __name__ == "__main__":
    sys.exit(main())
