#!/usr/bin/env python3
"""Judges and reports the benchmarks: reads one run's record (bench_record.py), computes the
verdicts, prints the table and renders docs/benchmarks.md, docs/benchmarks-epoll.md and the
chart from the templates in templates/ (the prose lives there; this file fills in numbers).

  bench_report.py uv|epoll --work DIR [--out-dir docs]   the round loop's work directory (see
                    bench/rounds.sh): prints the table and renders the report into --out-dir
                    unless the run's meta says docs=0
  bench_report.py uv|epoll --from-doc MD [--out MD]   renders from the numbers of a rendered doc:
                    its raw results and the record block it ends with (record_block)
  bench_report.py uv --work DIR --keep-doc MD [--fresh PART,...]   a run of some parts only
                    (scenarios, http, libuv, libuv_trace; default libuv): libuv's own benchmarks
                    (UVAFD_BENCH_ONLY_LIBUV=1), the HTTP scenarios (UVAFD_BENCH_ONLY_HTTP=1), the
                    rest without libuv's (UVAFD_BENCH_LIBUV_ROUNDS=0); the others keep MD's numbers
"""

import argparse
import collections
import json
import os
import re
import shutil
import string
import subprocess
import sys
import tempfile

import bench_record
import libuv_bench
from stats import fmt, interval, md_table, median_of_sorted, pct, printed, reached, two

HERE = os.path.dirname(os.path.abspath(__file__))
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


def ratio(a, b):
    return "-" if a is None or b is None or b == 0 else "%.2f" % (a / b)


def num(s):
    """A number the shell kept as text ("22.00"), or None."""
    return None if s in (None, "", "-") else float(s)


def sum_as_printed(a, b):
    # awk's print: integers in full, others with six significant digits.
    x = a + b
    return x if x == int(x) else float("%.6g" % x)


def block(lines):
    """Lines for a template slot that may be empty: each ends with its newline."""
    return "".join(line + "\n" for line in lines)


# A report's last lines: what its raw results do not hold, one JSON object a line. --from-doc
# reads a report back from them and its raw results (the lines the programs printed), so a
# committed report re-renders from its own numbers after a change of wording: the test of the
# templates (test_bench_report.py).
RECORD_BEGIN = "<!-- The run's settings, failures and traces, for bench_report.py --from-doc:\n"


def record_block(records):
    kept = (r for r in records if r.get("type") in ("meta", "failure", "trace", "libuv_trace"))
    return RECORD_BEGIN + "".join(json.dumps(r) + "\n" for r in kept) + "-->\n"


def from_doc(text):
    if RECORD_BEGIN not in text:
        raise SystemExit("bench_report.py: the report has no run record block to read back (one rendered "
                         "before bench_report.py wrote it)")
    rest = text[text.index(RECORD_BEGIN) + len(RECORD_BEGIN):]
    kept = [json.loads(line) for line in rest[:rest.index("-->\n")].splitlines()]
    # Scenario lines carry "req=", libuv's own benchmarks' lines (libuv_bench.make) "bench=".
    measured = [r for r in map(bench_record.parse_line, re.findall(r"^round=\S* req=.*$", text, re.M)) if r]
    measured += [r for r in map(libuv_bench.parse_raw, re.findall(r"^round=\S* lib=\S* bench=.*$", text, re.M))
                 if r]
    return kept[:1] + measured + kept[1:]


# The parts of a report that a run can measure alone; a run of some of them (--fresh) keeps
# the others from the report it replaces, each with its own settings (a section says its own
# date). Per part: which meta keys are its own.
PARTS = {
    "scenarios": lambda key: not key.startswith(("libuv_bench", "http")) and key != "docs",
    "http": lambda key: key.startswith("http"),
    "libuv": lambda key: key.startswith("libuv_bench"),
    "libuv_trace": lambda key: False,
}


def part_of(rec):
    t = rec.get("type")
    if t == "libuv_bench":
        return "libuv"
    if t == "libuv_trace":
        return "libuv_trace"
    if rec.get("scenario") in HTTP_SCENARIOS or (
            t == "failure" and re.search(r" (%s) " % "|".join(HTTP_SCENARIOS), rec.get("text", ""))):
        return "http"
    return "scenarios"


def keep_doc(kept, records, parts):
    """KEPT (a rendered report's record) with the records and meta keys of PARTS taken from
    RECORDS, the run that measured them (and its docs= setting)."""
    own = lambda key: key == "docs" or any(PARTS[p](key) for p in parts)
    meta = dict({k: v for k, v in kept[0].items() if not own(k)},
                **{k: v for k, v in records[0].items() if own(k)})
    return [meta] + [r for r in kept[1:] if part_of(r) not in parts] + \
        [r for r in records[1:] if part_of(r) in parts]


def read_doc(path):
    with open(path, encoding="utf-8") as f:
        return from_doc(f.read())


class Report:
    """What both reports read the same way from one run's record: its statistics at printed
    precision (stats.printed), its traces and its lines."""

    META = ("date", "elapsed", "nproc", "kernel", "wine_version", "load_before", "load_after",
            "secs", "rounds", "idle_rounds", "libuv_version")

    def __init__(self, records):
        self.records = records
        self.meta = next((r for r in records if r.get("type") == "meta"), {})
        self._s = {kf: printed(s) for kf, s in bench_record.summaries(records).items()}
        self.traces = {(t["program"], t["scenario"], t["n"]): t for t in records if t.get("type") == "trace"}
        self.cases = [tuple(c.split()) for c in self.meta.get("cases", "").split(";") if c.strip()]
        self.idle_n = self.meta.get("idle_n", "10000")
        self.mem_n = self.meta.get("mem_n", "10000")

    def summary(self, key, scenario, n, field="value"):
        return self._s.get(("%s %s %s" % (key, scenario, n), field))

    def get(self, key, scenario, n, field="value", which="median"):
        s = self.summary(key, scenario, n, field)
        return None if s is None else getattr(s, which)

    def trace(self, program, scenario, n):
        return self.traces.get((program, scenario, str(n)))

    def struct_size(self, scenario):
        """The handle_struct field of the scenario's result lines (the handle's sizeof)."""
        return next((r["fields"]["handle_struct"] or None for r in self.lines(("result",))
                     if r["scenario"] == scenario and "handle_struct" in r["fields"]), None)

    def lines(self, kind=("result", "nt")):
        return [r for r in self.records if r.get("type") in kind]

    def iv(self, key, sc, n):
        return interval(self.summary(key, sc, n))

    def fields(self, p, sc, n, field):
        """The text of a key=value field of program P's result lines of scenario SC N."""
        return [r["fields"][field] for r in self.lines(("result",))
                if r["program"] == p and r["scenario"] == sc and r["req"] == n and field in r["fields"]]

    def values(self):
        failures = [r["text"] for r in self.records if r.get("type") == "failure"]
        values = {k: self.meta.get(k) for k in self.META}
        values.update(idle_n=self.idle_n, mem_n=self.mem_n, failures="\n".join("- " + f for f in failures),
                      raw_results=block(r["raw"] for r in self.lines()), run_record=record_block(self.records))
        return values, {"failures": bool(failures)}


# ---- docs/benchmarks.md: uvafd against real libuv and the raw-ntdll floor -------------------

PROGRAMS = ("uvafd", "libuv", "floor")
# Throughput rows: label, unit, scenario, the N of each row, target, (ratio, goal)s, chart label.
THROUGHPUT = (
    ("1. async, %s sender thread(s)", "wakeups/s", "async", ("1", "2", "4"),
     ">= 1.0x libuv, >= 0.8x floor", (("r_ul", 1.0), ("r_uf", 0.8)), "async %s thr"),
    ("2. uv_poll ping-pong, %s pair(s)", "round trips/s", "pingpong", ("1", "64", "1024"),
     ">= 1.0x libuv", (("r_ul", 1.0),), "ping-pong %s"),
    # libuv's own IOCP path through uvafd's loop core: it must not be slowed down.
    ("2b. libuv's own uv_tcp_t ping-pong, %s pair(s)", "round trips/s", "tcp", ("1", "64"),
     ">= 0.95x libuv", (("r_ul", 0.95),), "uv_tcp_t %s"),
    ("3. churn: socket, poll start, 1 message, close", "cycles/s", "churn", ("0",),
     ">= 1.0x libuv", (("r_ul", 1.0),), "churn"))
TRACE_WHAT = {"async": "per wakeup (1 thread)", "pingpong": "per round trip, %s pair(s)",
              "churn": "per churn cycle", "close": "per close cycle"}
# Scenario 8, issue 19's real HTTP client (libcurl's multi API on uv_poll_t, bench_http_curl.c):
# its own meta keys (http_cases, http_trace), so that a run of it alone replaces only them.
# scenario: (its number in the tables, how the server answers: http_delay_us fills the %s)
HTTP_SCENARIOS = {"http": ("8", "response at once"),
                  "http_wait": ("8b", "response %s us later (waits in the loop)")}
HTTP_GOAL = 1.3        # requests/s, uvafd over libuv
HTTP_TRACE_GOAL = 0.8  # wineserver requests per HTTP request, uvafd over libuv


# The fewest wineserver requests an HTTP request over a kept-alive connection can need under
# Wine 8: its send (send_socket, set_async_direct_result) and its recv (recv_socket,
# set_async_direct_result), when the response is there by the time the client reads, as it is
# here. One that has to wait for it adds a one-shot AFD poll, re-armed and dequeued: what one side
# of a ping-pong round trip costs the raw-ntdll floor with 1024 pairs (http_wait_floor).
HTTP_FLOOR = 4.0
# curl 7.88's own readiness checks per HTTP request (its read pre-check and the liveness check of
# a reused connection): two select() calls, each an AFD poll of Wine's own (ioctl + select).
CURL_SELECT_REQUESTS = 4.0


def http_wait_floor(pingpong_floor):
    """Half the raw-ntdll floor's requests per ping-pong round trip with 1024 pairs (one send,
    one recv, one AFD poll re-armed and dequeued per side), or None without that trace."""
    return None if pingpong_floor is None else float("%.2f" % (pingpong_floor / 2))


def label(fmt_, n):
    return fmt_ % n if "%s" in fmt_ else fmt_


class UvReport(Report):
    META = Report.META + ("async_rounds",)

    def __init__(self, records):
        super().__init__(records)
        split = lambda key: [tuple(c.split()) for c in self.meta.get(key, "").split(";") if c.strip()]
        self.trace_cases = split("trace_cases")
        self.http_cases, self.http_trace = split("http_cases"), split("http_trace")
        self.do_trace = self.meta.get("trace", "1") == "1"
        self.rows = []       # scenario, unit, uvafd, libuv, floor, u/l, u/f, target, met
        self.tp_rows = []    # scenario, rounds, u/l, u/f, A/A, confidence, verdict
        self.rates = []      # chart: one group of bars per throughput row
        self.calls = []      # chart: requests per event
        self.tally = collections.Counter()
        self._judge()
        # libuv's own benchmark runner: a section of its own, absent from a run without it.
        self.libuv = libuv_bench.Section(records, self.meta)

    def trace_per(self, p, sc, n):
        t = self.trace(p, sc, n)
        return t and t["per"]

    def row(self, label_, unit, u, l, f, target, met):
        self.rows.append([label_, unit, fmt(u), fmt(l), fmt(f), ratio(u, l), ratio(u, f), target, met])

    def count(self, result):
        self.tally[result] += 1
        return result

    def throughput(self, label_, unit, sc, n, target, goals):
        """A throughput row, judged on the per-round ratios (r_ul, r_uf): stats.reached. No
        goals: a row without a target."""
        g = lambda p: self.get(p, sc, n)
        row = [label_, unit, fmt(g("uvafd")), fmt(g("libuv")), fmt(g("floor")),
               two(g("r_ul")), two(g("r_uf")), target]
        if not goals:
            self.rows.append(row + [""])
            return
        result = self.count(reached([(self.summary(key, sc, n), goal) for key, goal in goals],
                                    self.summary("r_aa", sc, n)))
        self.rows.append(row + [result])
        ul = self.summary("r_ul", sc, n)
        self.tp_rows.append([label_, "" if ul is None else str(ul.count), self.iv("r_ul", sc, n),
                             self.iv("r_uf", sc, n), self.iv("r_aa", sc, n), pct(ul), result])

    def chart_rate(self, label_, sc, n):
        f = ["-" if x is None else "%.6g" % x for key in ("r_ul", "r_fl")
             for x in (self.get(key, sc, n, which=w) for w in ("median", "lo", "hi"))]
        self.rates.append('"%s" %s %s %s 1 1 1 %s %s %s' % (label_, *f))

    def trace_verdict(self, sc, n, u, l):
        """Requests per event, no more than libuv's. "noise" when uvafd's excess is made only of
        select + remove_completion: the requests of a dequeue that had to block, which depends
        on whether the other side's packet came first (timing), not on the library's calls."""
        if u is not None and u <= (l if l is not None else 0):
            return self.count("yes")
        tu, tl = self.trace("uvafd", sc, n), self.trace("libuv", sc, n)
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
        for label_, unit, sc, ns, target, goals, chart in THROUGHPUT:
            for n in ns:
                self.throughput(label(label_, n), unit, sc, n, target, goals)
                self.chart_rate(label(chart, n), sc, n)
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
        # Issue 19's reading of the same numbers: whatever Wine's server costs every column,
        # uvafd must not lose more of its rate than libuv does, that is keep at least libuv's
        # share of its own rate. Judged as a throughput row, on the shares paired by round
        # (bench_record.KEEPS) and against the A/A control's.
        label_ = "5. idle scaling: rate lost, against libuv's loss (lower is better)"
        keep = self.summary("k_ul", "idle", idle)
        result = self.count(reached([(keep, 1.0)], self.summary("k_aa", "idle", idle)))
        self.row(label_, "%", ul, loss("libuv"), loss("floor"), "<= libuv's loss", result)
        self.tp_rows.append([label_ + ": uvafd's share of its rate kept, over the other's",
                             "" if keep is None else str(keep.count), self.iv("k_ul", "idle", idle),
                             self.iv("k_uf", "idle", idle), self.iv("k_aa", "idle", idle), pct(keep), result])
        for n in ("0", "1000", idle):
            self.chart_rate("idle %s" % n, "idle", n)
        u, l, f = (g(p, "memory", self.mem_n) for p in PROGRAMS)
        self.row("6. memory per registered poll handle (lower is better)", "bytes", u, l, f,
                 "<= libuv", self.count("yes" if u is not None and u <= (l or 0) else "no"))
        self.handle_struct = self.struct_size("memory")
        if self.handle_struct and u is not None and l is not None:
            # The same with the caller's own handle struct counted (the floor has none).
            hs = float(self.handle_struct)
            ut, lt = sum_as_printed(u, hs), sum_as_printed(l, hs)
            self.row("6. memory per poll handle + the caller's uv_poll_t (lower is better)", "bytes",
                     ut, lt, None, "<= 1.2x libuv", self.count("yes" if ut <= 1.2 * lt else "no"))
        # The same registrations read as Windows charges them: committed private memory, which
        # also counts what a library commits ahead of use without touching it (bench_common.h).
        u, l, f = (g(p, "memory", self.mem_n, "committed") for p in PROGRAMS)
        if u is not None or l is not None:
            self.row("6. committed memory per registered poll handle, as Windows charges it "
                     "(lower is better)", "bytes", u, l, f, "(none)", "-")
        # uv_async_t with no wakeup in flight: the libraries only. Whole pages are read, so a
        # handle that costs nothing reads a few bytes either way; the target is "none".
        u, l = (g(p, "memory_async", self.mem_n) for p in ("uvafd", "libuv"))
        if u is not None or l is not None:
            self.async_struct = self.struct_size("memory_async")
            self.row("6b. memory per uv_async_t beyond its struct (lower is better)", "bytes", u, l,
                     None, "< 8 (none)", self.count("yes" if u is not None and u < 8 else "no"))
        for sc, n, _k1, _k2 in self.trace_cases if self.do_trace else ():
            u, l, f = (self.trace_per(p, sc, n) for p in PROGRAMS)
            met = self.trace_verdict(sc, n, num(u), num(l))
            self.row("7. wineserver requests %s (lower is better)" % label(TRACE_WHAT.get(sc, ""), n),
                     "requests", num(u), num(l), num(f), "<= libuv", met)
            self.calls.append('"%s %s" %s %s %s' % (sc, n, u or "-", l or "-", f or "-"))
        self._judge_http()

    def _judge_http(self):
        """Scenario 8's rows, after section 7: its rates, then its requests per HTTP request."""
        for sc, n in self.http_cases:
            self.throughput("%s. HTTP client (libcurl on uv_poll_t), %s, %s connections"
                            % (HTTP_SCENARIOS[sc][0], self.http_what(sc), n), "requests/s", sc, n,
                            ">= %.1fx libuv" % HTTP_GOAL, (("r_ul", HTTP_GOAL),))
            self.chart_rate("%s %s" % (sc, n), sc, n)
        self.floor_http = HTTP_FLOOR
        self.floor_http_wait = http_wait_floor(num(self.trace_per("floor", "pingpong", "1024")))
        for sc, n, _k1, _k2 in self.http_trace if self.do_trace else ():
            u, l = (num(self.trace_per(p, sc, n)) for p in ("uvafd", "libuv"))
            f = self.floor_http_wait if sc == "http_wait" else self.floor_http
            met = "yes" if u is not None and l is not None and u <= HTTP_TRACE_GOAL * l else "no"
            number = HTTP_SCENARIOS[sc][0]
            self.row("%s. wineserver requests per HTTP request, %s, %s connections (lower is better)"
                     % (number, self.http_what(sc), n), "requests", u, l, f,
                     "<= %.1fx libuv" % HTTP_TRACE_GOAL, self.count(met))
            above = lambda x: None if x is None or f is None else float("%.2f" % (x - f))
            self.row("%s. requests above the floor per HTTP request, %s connections (lower is better)"
                     % (number, n), "requests", above(u), above(l), None, "(none)", "-")
            self.calls.append('"%s %s" %s %s %s' % (sc, n, fmt(u), fmt(l), fmt(f)))

    # ---- output ----

    def text(self):
        t = self.tally
        w = "%-68s %-13s %10s %10s %10s %7s %7s  %s"
        out = [w % ("scenario", "unit", "uvafd", "libuv", "floor", "u/l", "u/f", "met")]
        out += [w % tuple(r[:7] + [r[8]]) for r in self.rows]
        out += ["", "throughput ratios: median [95% interval] of the per-round ratios"]
        w = "%-48s %6s  %-20s %-20s %-20s %5s  %s"
        out.append(w % ("scenario", "rounds", "uvafd/libuv", "uvafd/floor", "A/A (uvafd twice)",
                        "conf", "verdict"))
        out += [w % tuple(r) for r in self.tp_rows]
        out += ["", "targets met: %d of %d, within noise: %d; total time %s s" % (
            t["yes"], sum(t.values()), t["noise"], self.meta.get("elapsed", "?"))]
        if self.libuv.recs:
            out.append(self.libuv.text())
        return "\n".join(out)

    def markdown(self):
        g, t = self.get, self.tally
        values, flags = self.values()
        values.update(
            cpu=self.meta.get("cpu") or "unknown CPU", handle_struct=self.handle_struct or "?",
            async_struct=getattr(self, "async_struct", None) or "?",
            targets_met=str(t["yes"]), targets_total=str(sum(t.values())), targets_noise=str(t["noise"]),
            targets_not_met=str(t["no"]), pingpong_range=self.range_of("pingpong", "1"),
            async_range="%s wakeups/s with 1 sender thread, %s with 2 and %s with 4" % tuple(
                self.range_of("async", k) for k in ("1", "2", "4")))
        values["results_table"] = md_table(
            ["scenario", "unit", "uvafd", "libuv", "floor", "uvafd/libuv", "uvafd/floor", "target", "met"],
            "llrrrrrll", self.rows)
        values["intervals_table"] = md_table(
            ["scenario", "rounds", "uvafd/libuv", "uvafd/floor", "uvafd/uvafd (A/A)", "confidence", "verdict"],
            "lrrrrrl", self.tp_rows)
        for sc, n in (("pingpong", "1"), ("pingpong", "64"), ("pingpong", "1024"), ("async", "1")):
            for p in PROGRAMS:
                values["t_%s_%s_%s" % (p, sc, n)] = self.trace_per(p, sc, n)
        for p in PROGRAMS:
            got = self.fields(p, "idle", self.idle_n, "idle")
            values["idle_actual_" + p] = min(got, key=lambda s: (int(s or 0), s)) if got else None
        values["idle_trend"] = "round trips/s with 0 / 1000 / %s idle sockets: %s" % (
            self.idle_n, "; ".join("%s %s / %s / %s" % (p, fmt(g(p, "idle", "0")), fmt(g(p, "idle", "1000")),
                                                          fmt(g(p, "idle", self.idle_n))) for p in PROGRAMS))
        traced = self.trace_cases + self.http_trace
        values["trace_table"] = md_table(
            ["scenario", "K1, K2", "uvafd", "libuv", "floor"], "llrrr",
            [["%s %s" % (sc, n), "%s, %s" % (k1, k2)] + [self.trace_per(p, sc, n) or "" for p in PROGRAMS]
             for sc, n, k1, k2 in traced])
        values["trace_names"] = block(
            "- %s %s, %s: %s" % (sc, n, p, ", ".join("%s %s" % tuple(x) for x in t["names"]))
            for sc, n, _k1, _k2 in traced for p in PROGRAMS
            for t in [self.trace(p, sc, n)] if t and t["names"])
        cases = self.cases + self.http_cases
        values["nt_table"] = md_table(
            ["scenario", "submit", "cancel", "post", "dequeue", "other", "total"], "lrrrrrr",
            [["%s %s" % (sc, n)] + [fmt(g("uvafd", sc, n, "nt_" + x)) for x in bench_record.NT_FIELDS]
             for sc, n in cases if g("uvafd", sc, n, "nt_total") is not None])
        values["spread_table"] = md_table(
            ["scenario", "uvafd", "libuv", "floor"], "lrrr",
            [["%s %s" % (sc, n)] + [self.spread(p, sc, n) for p in PROGRAMS] for sc, n in cases])
        values.update(self.http_values())
        flags.update(chart=self.meta.get("chart") == "1", trace=self.do_trace,
                     libuv_bench=bool(self.libuv.recs), http=bool(self.http_cases),
                     http_trace=bool(self.http_trace) and self.do_trace)
        values["libuv_bench"] = fill("benchmarks-libuv.md", self.libuv.values(), {}) if self.libuv.recs else ""
        return fill("benchmarks.md", values, flags)

    def http_what(self, sc):
        what = HTTP_SCENARIOS[sc][1]
        return what % self.meta.get("http_delay_us", "?") if "%s" in what else what

    def http_values(self):
        """Scenario 8's slots: its run (which may be a run of its own), or why it did not run."""
        m = self.meta
        why = m.get("http_skipped") or ("UVAFD_BENCH_HTTP=0" if m.get("http") == "0" else
                                        "the run that made this report predates it")
        values = {k: m.get(k) for k in ("http_date", "http_load", "http_rounds", "http_secs", "http_curl",
                                         "http_delay_us")}
        values.update(http_why=why, http_floor=fmt(self.floor_http), http_wait_floor=fmt(self.floor_http_wait),
                      http_floor_pingpong=self.trace_per("floor", "pingpong", "1024") or "-")
        for p in ("uvafd", "libuv"):
            for sc in HTTP_SCENARIOS:
                values["t_%s_%s_20" % (p, sc)] = self.trace_per(p, sc, "20") or "-"
                for n in ("20", "200"):
                    values["%s_%s_%s" % (sc, p, n)] = fmt(self.get(p, sc, n))
        for sc in HTTP_SCENARIOS:
            for n in ("20", "200"):
                values["%s_ratio_%s" % (sc, n)] = two(self.get("r_ul", sc, n))
        # What the request target leaves a uv_poll_t's life with curl: the goal, less the floor
        # for a request that waits and curl's own two select() calls (an ioctl and a wait each).
        libuv_wait = num(self.trace_per("libuv", "http_wait", "20"))
        goal = None if libuv_wait is None else HTTP_TRACE_GOAL * libuv_wait
        room = None if goal is None or self.floor_http_wait is None else \
            goal - self.floor_http_wait - CURL_SELECT_REQUESTS
        values.update(http_wait_goal=fmt(goal), http_wait_room=fmt(room))
        pp = [self.get(p, "pingpong", "1") for p in ("libuv", "floor")]
        values["pp_libuv_floor_1"] = two(pp[0] / pp[1]) if None not in pp and pp[1] else "-"
        return values

    def spread(self, p, sc, n):
        s = self.summary(p, sc, n)
        return "-" if s is None else "%s-%s" % (fmt(s.min), fmt(s.max))

    def range_of(self, sc, n):
        """The lowest and highest rate of any program over the rounds of scenario SC N."""
        got = [s for s in (self.summary(p, sc, n) for p in PROGRAMS) if s is not None]
        return "%s to %s" % (fmt(min(s.min for s in got)), fmt(max(s.max for s in got))) if got else "-"

    def chart(self, png):
        """Renders the chart with gnuplot; False when gnuplot is not installed."""
        gnuplot = shutil.which("gnuplot")
        if not gnuplot:
            return False
        m = self.meta
        with tempfile.TemporaryDirectory() as tmp:
            rates, calls = os.path.join(tmp, "rates.dat"), os.path.join(tmp, "calls.dat")
            for path, lines in ((rates, self.rates), (calls, self.calls)):
                with open(path, "w") as f:
                    f.write(block(lines))
            term = "pngcairo noenhanced size 1200,1000 font 'DejaVu Sans,10'"
            if subprocess.run([gnuplot, "-e", "set terminal pngcairo"], capture_output=True).returncode:
                term = "png noenhanced size 1200,1000"
            script = fill("benchmarks.gnuplot", dict(
                {k: m.get(k, "?") for k in ("nproc", "rounds", "secs", "async_rounds", "idle_rounds")},
                term=term, png=png, layout="2,1" if self.calls else "1,1",
                wine_version=m.get("wine_version", "unknown"), day=(m.get("date") or "")[:10],
                rates=rates, calls=calls), {"calls": bool(self.calls)})
            return subprocess.run([gnuplot], input=script, text=True).returncode == 0


# ---- docs/benchmarks-epoll.md: the epoll port against wepoll 1.5.8 --------------------------

EPOLL_LABEL = {"pingpong": "ping-pong, %s pair(s)", "churn": "churn: pair, ADD, 1 message, DEL, close",
               "idle": "one pair's ping-pong beside %s idle sockets"}


class EpollReport(Report):
    def verdict(self, sc, n):
        """uvafd/wepoll: faster or slower when its interval lies wholly above or below 1, else
        the same within noise (read beside the A/A interval); no verdict from too few rounds."""
        s = self.summary("r_uw", sc, n)
        if s is None:
            return "-"
        if not s.conf:
            return "too few rounds"
        return "uvafd faster" if s.lo > 1 else "uvafd slower" if s.hi < 1 else "same within noise"

    def table(self):
        rows = []
        for sc, n in self.cases:
            s = self.summary("r_uw", sc, n)
            rows.append([label(EPOLL_LABEL.get(sc, sc), n), "cycles/s" if sc == "churn" else "round trips/s",
                         fmt(self.get("uvafd", sc, n)), fmt(self.get("wepoll", sc, n)),
                         self.iv("r_uw", sc, n), self.iv("r_aa", sc, n),
                         "" if s is None else str(s.count), pct(s), self.verdict(sc, n)])
        return md_table(["scenario", "unit", "uvafd", "wepoll 1.5.8", "uvafd/wepoll", "A/A (uvafd/uvafd)",
                         "rounds", "confidence", "reading"], "llrrllrrl", rows)

    def field_median(self, p, sc, n, field):
        """The median of a key=value field of one program's result lines, as text with two
        decimals (an even count averages the middle two, printed to six digits first)."""
        vals = sorted(map(bench_record.number, self.fields(p, sc, n, field)))
        if not vals:
            return "-"
        mid = median_of_sorted(vals)
        return two(mid if len(vals) % 2 else float("%.6g" % mid))

    def text(self):
        return "\n" + self.table()

    def markdown(self):
        values, flags = self.values()
        values["results_table"] = self.table()
        for key, sc, n, field in (("same_", "churn", "0", "same_socket_value"),
                                  ("setup_", "idle", self.idle_n, "setup_s")):
            for p in ("uvafd", "wepoll"):
                values[key + p] = self.field_median(p, sc, n, field)
        return fill("benchmarks-epoll.md", values, flags)


REPORTS = {"uv": (UvReport, "benchmarks.md"), "epoll": (EpollReport, "benchmarks-epoll.md")}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("which", choices=sorted(REPORTS))
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--work", help="the round loop's work directory")
    src.add_argument("--from-doc", help="a rendered report, read back into a record")
    ap.add_argument("--out", help="the Markdown file to write (--from-doc)")
    ap.add_argument("--out-dir", default=os.path.join(ROOT, "docs"),
                    help="--work: the folder of the report (and chart), default docs/")
    ap.add_argument("--keep-doc", help="--work: what this run did not measure comes from this "
                    "rendered report (uv only)")
    ap.add_argument("--fresh", default="libuv", help="--keep-doc: the parts this run measured, "
                    "comma-separated: %s (default: libuv)" % ", ".join(PARTS))
    args = ap.parse_args(argv)
    cls, doc_name = REPORTS[args.which]
    if args.work:
        records = bench_record.collect(args.work)
        scenarios_measured = any(r.get("type") == "result" for r in records)
        if args.keep_doc:
            parts = args.fresh.split(",")
            if not parts or any(p not in PARTS for p in parts):
                ap.error("--fresh: parts are %s" % ", ".join(PARTS))
            records = keep_doc(read_doc(args.keep_doc), records, parts)
    else:
        records = read_doc(args.from_doc)
    report = cls(records)
    out = args.out
    if args.work:
        print(report.text())
        if report.meta.get("docs", "1") != "1":
            return 0
        out = os.path.join(args.out_dir, doc_name)
        if args.which == "uv" and scenarios_measured:  # (else the kept report's chart stays)
            png = os.path.join(os.path.dirname(out), "benchmarks.png")
            report.meta["chart"] = "1" if report.chart(png) else "0"
    if out:
        with open(out + ".tmp", "w", encoding="utf-8") as f:
            f.write(report.markdown())
        os.replace(out + ".tmp", out)
        print("wrote " + out)
    else:
        sys.stdout.write(report.markdown())
    return 0


if __name__ == "__main__":
    sys.exit(main())
