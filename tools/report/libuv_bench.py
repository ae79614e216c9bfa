#!/usr/bin/env python3
"""libuv's own benchmark runner (its test/run-benchmarks.c), linked against real libuv and
against uvafd (bench/CMakeLists.txt) and run in shuffled rounds by bench/libuv_bench.sh: the
parser of its benchmarks' output lines, their records and the report section.

libuv's benchmarks print free text, one format per benchmark; RULES reads the one number each
reports. Lower-is-better results (seconds) are turned into speeds before dividing, so every
ratio reads "uvafd / libuv, above 1 is faster".

  libuv_bench.py parse NAME FILE   prints "value=V unit=U" for NAME's output in FILE; exit 1 if
                                   it has no result line (bench/libuv_bench_smoke.sh)
  libuv_bench.py check WORK        prints the section's table for WORK's runs; exit 1 unless
                                   every benchmark there has a result from both links
"""

import os
import re
import sys
from collections import Counter

from bench_record import fields_of, read
from stats import fmt, interval, md_table, pct, printed, reached, summarize

_N = r"([0-9][0-9,]*(?:\.[0-9]+)?)"
# (benchmark name pattern, output pattern, unit, higher is better)
RULES = (
    (r"million_async", r"async events in [0-9.]+ seconds \(%s/s" % _N, "events/s", True),
    (r"queue_work", r"async jobs in [0-9.]+ seconds \(%s/s" % _N, "jobs/s", True),
    (r"million_timers", r"^(?:# )?%s seconds total" % _N, "s", False),
    (r"loop_count_timed", r"^(?:# )?loop_count: [0-9]+ ticks \(%s ticks/s\)" % _N, "ticks/s", True),
    (r"loop_count", r"^(?:# )?loop_count: [0-9]+ ticks in [0-9.]+s \(%s/s\)" % _N, "ticks/s", True),
    (r"ping_pongs", r"^(?:# )?ping_pongs: %s roundtrips/s" % _N, "round trips/s", True),
    (r"ping_udp[0-9]+", r"^(?:# )?ping_pongs: [0-9]+ pingers, ~ %s roundtrips/s" % _N, "round trips/s", True),
    (r"(tcp|pipe)_pump[0-9]+_client", r"^(?:# )?(?:tcp|pipe)_pump[0-9]+_client: %s gbit/s" % _N, "gbit/s", True),
    (r"(tcp4|pipe)_pound_[0-9]+", r"^(?:# )?(?:tcp|pipe)-conn-pound-[0-9]+: %s accepts/s" % _N, "accepts/s", True),
    (r"udp_(timed_)?pummel_[0-9]+v[0-9]+", r"^(?:# )?udp_pummel_[0-9]+v[0-9]+: %s/s received" % _N,
     "received/s", True),
)


# What a traced run counts its requests per (bench/libuv_bench.sh's libuv_bench_traces): the
# benchmark's own count of its units of work, from the same output line.
COUNTS = (
    (r"million_async", r"%s async events in" % _N, "event"),
    (r"queue_work", r"%s async jobs in" % _N, "job"),
    (r"loop_count(_timed)?", r"loop_count: %s ticks" % _N, "tick"),
    (r"udp_(timed_)?pummel_[0-9]+v[0-9]+", r"%s received, [0-9]+ sent in" % _N, "packet received"),
)


def units(name, text):
    """(count, unit) of benchmark NAME's work in its output, or None."""
    for pat, out, unit in COUNTS:
        if re.fullmatch(pat, name):
            m = re.search(out, (text or "").replace("\r", ""))
            return (float(m.group(1).replace(",", "")), unit) if m else None
    return None


def trace(program, bench, out, log, names):
    """A traced run's record: wineserver requests per unit of work, in all and per request name
    (>= 0.05 kept, the largest first). The count includes the process's start-up (a few
    hundred requests beside the hundreds of thousands a run makes)."""
    rec = {"type": "libuv_trace", "program": program, "bench": bench, "per": None, "unit": None,
           "names": None}
    req = fields_of((out or "").split()).get("requests", "")
    got = units(bench, log)
    if not req.isdigit() or got is None or got[0] <= 0:
        return rec
    n, rec["unit"] = got
    rec["per"] = "%.2f" % (int(req) / n)
    rows = ((p[1], int(p[0]) / n) for p in map(str.split, (names or "").splitlines()) if len(p) >= 2)
    rec["names"] = sorted(([k, "%.2f" % v] for k, v in rows if v >= 0.05),
                          key=lambda r: (float(r[1]), r[0]), reverse=True)
    return rec


def rule(name):
    for pat, out, unit, higher in RULES:
        if re.fullmatch(pat, name):
            return out, unit, higher
    return None


def parse(name, text):
    """(value, unit, higher_is_better) from benchmark NAME's output, or None."""
    r = rule(name)
    if r is None:
        return None
    out, unit, higher = r
    m = re.search(out, (text or "").replace("\r", ""), re.M)
    if not m:
        return None
    return float(m.group(1).replace(",", "")), unit, higher


def make(round_, program, bench, status, value, unit):
    """A record, with its line as the report's raw block shows it and --from-doc reads back."""
    rec = {"type": "libuv_bench", "round": str(round_), "program": program, "bench": bench,
           "status": status, "value": value, "unit": unit}
    rec["raw"] = "round=%s lib=%s bench=%s status=%s value=%s unit=%s" % (
        rec["round"], program, bench, status, "-" if value is None else "%.6g" % value,
        (unit or "-").replace(" ", "_"))
    return rec


def parse_raw(line):
    f = fields_of(line.split())
    if "bench" not in f:
        return None
    return make(f.get("round", ""), f.get("lib", ""), f["bench"], f.get("status", ""),
                None if f.get("value", "-") == "-" else float(f["value"]),
                None if f.get("unit", "-") == "-" else f["unit"].replace("_", " "))


def record(round_, program, bench, status, text):
    """One run: status is what the shell saw (ok, timeout, failed); an ok run whose output has
    no result line becomes "unparsed"."""
    got = parse(bench, text) if status == "ok" else None
    if status == "ok" and got is None:
        status = "unparsed"
    return make(round_, program, bench, status, got and got[0], got and got[1])


def collect(work):
    """The records of $work/libuv_bench.list ("round program bench status" per run, output in
    libuv_bench-R-P-B.out beside it)."""
    runs = (line.split() for line in read(os.path.join(work, "libuv_bench.list"), "").splitlines())
    recs = [record(*p, read(os.path.join(work, "libuv_bench-%s-%s-%s.out" % tuple(p[:3])), ""))
            for p in runs if len(p) == 4]
    for p in (line.split() for line in read(os.path.join(work, "libuv_trace.list"), "").splitlines()):
        if len(p) == 2:
            base = os.path.join(work, "libuv_trace-%s-%s" % tuple(p))
            recs.append(trace(*p, *(read(base + x, "") for x in (".out", ".log", ".names"))))
    return recs


def speed(value, higher):
    return value if higher else (1.0 / value if value else 0.0)


class Section:
    """The report section: per benchmark the medians of both links, the per-round speed ratio
    uvafd/libuv with its 95% interval and the A/A control (uvafd/uvafd_aa), and a verdict
    against >= 1.0x libuv read as bench_report's throughput rows are (stats.reached)."""

    TARGET = 1.0

    def __init__(self, records, meta):
        self.recs = [r for r in records if r.get("type") == "libuv_bench"]
        self.traces = {(r["program"], r["bench"]): r for r in records if r.get("type") == "libuv_trace"}
        self.meta = meta
        self.rows, self.left_out = [], []
        self.tally = Counter()
        for b in dict.fromkeys(r["bench"] for r in self.recs):
            self._judge(b, [r for r in self.recs if r["bench"] == b])

    def _judge(self, b, runs):
        bad = sorted({"%s %s" % (r["program"], r["status"]) for r in runs if r["status"] != "ok"})
        vals = {}
        for r in runs:
            if r["status"] == "ok":
                vals.setdefault(r["program"], {})[r["round"]] = r["value"]
        if "uvafd" not in vals or "libuv" not in vals:
            self.left_out.append((b, ", ".join(bad) or "one side missing"))
            return
        higher = rule(b)[2]
        unit = next(r["unit"] for r in runs if r["status"] == "ok")

        def ratios(a, c):
            # 0 is below the printed resolution, not a speed: no ratio that round.
            out = [speed(v, higher) / speed(w, higher) for rnd, v in vals.get(a, {}).items()
                   for w in [vals.get(c, {}).get(rnd)] if w is not None and v and w]
            return printed(summarize(out)) if out else None
        ul, aa = ratios("uvafd", "libuv"), ratios("uvafd", "uvafd_aa")
        med = lambda p: fmt(printed(summarize(list(vals[p].values()))).median)
        verdict = "-"
        if ul is not None:
            verdict = reached([(ul, self.TARGET)], aa)
            self.tally[verdict] += 1
        self.rows.append([b, unit + ("" if higher else " (lower is better)"), med("uvafd"), med("libuv"),
                          interval(ul), interval(aa), str(ul.count if ul else 0),
                          pct(ul) if ul else "-", verdict, "; ".join(bad)])

    def values(self):
        left = "".join("- `%s`: %s\n" % (b, why) for b, why in self.left_out) or "None.\n"
        m, t = self.meta, self.tally
        return {"libuv_bench_table": md_table(
                    ["benchmark", "unit", "uvafd", "libuv", "uvafd/libuv", "A/A (uvafd/uvafd)", "rounds",
                     "confidence", ">= 1.0x libuv", "runs without a result"], "llrrrrrrll", self.rows),
                "libuv_bench_left_out": left,
                **{"libuv_bench_" + k: m.get("libuv_bench_" + k, "") or "none"
                   for k in ("not_run", "not_selected")},
                **{"libuv_bench_" + k: m.get("libuv_bench_" + k, "?") for k in ("rounds", "date", "load")},
                "libuv_bench_met": str(t["yes"]), "libuv_bench_noise": str(t["noise"]),
                "libuv_bench_total": str(sum(t.values())),
                "libuv_bench_raw": "".join(r["raw"] + "\n" for r in self.recs),
                "libuv_trace_table": self.trace_table()}

    def trace_table(self):
        """Per traced benchmark: requests per unit on each link, and the request names whose
        counts per unit differ by 0.05 or more (uvafd's minus libuv's)."""
        rows = []
        for b in dict.fromkeys(b for _, b in self.traces):
            u, l = self.traces.get(("uvafd", b)), self.traces.get(("libuv", b))
            per = lambda t: t["per"] if t and t["per"] else "-"
            ratio = "%.2f" % (float(u["per"]) / float(l["per"])) if per(u) != "-" and per(l) != "-" else "-"
            names = lambda t: {k: float(v) for k, v in (t and t["names"]) or []}
            nu, nl = names(u), names(l)
            diff = sorted(((k, nu.get(k, 0) - nl.get(k, 0)) for k in set(nu) | set(nl)),
                          key=lambda kv: (-abs(kv[1]), kv[0]))
            diff = "; ".join("`%s` %+.2f" % kv for kv in diff if abs(kv[1]) >= 0.05) or "none"
            unit = next((t["unit"] for t in (u, l) if t and t["unit"]), "-")
            rows.append([b, unit, per(u), per(l), ratio, diff])
        if not rows:
            return "Not traced in this run (`UVAFD_BENCH_TRACE=0`, or no rounds of libuv's benchmarks).\n"
        return md_table(["benchmark", "per", "uvafd", "libuv", "uvafd/libuv",
                         "where they differ (uvafd - libuv, per unit)"], "llrrrl", rows) + "\n"

    def text(self):
        out = ["", "libuv's own benchmarks (speed ratio uvafd/libuv, median [95% interval])"]
        w = "%-28s %10s %10s  %-20s %-20s %s"
        out.append(w % ("benchmark", "uvafd", "libuv", "uvafd/libuv", "A/A", "verdict"))
        out += [w % (r[0], r[2], r[3], r[4], r[5], r[8]) for r in self.rows]
        out += ["left out: %s" % (", ".join("%s (%s)" % x for x in self.left_out) or "none")]
        return "\n".join(out)


def main(argv):
    if len(argv) == 4 and argv[1] == "parse":
        with open(argv[3], encoding="utf-8", errors="replace") as f:
            got = parse(argv[2], f.read())
        if got is None:
            print("no result line for %s" % argv[2])
            return 1
        print("value=%.6g unit=%s" % got[:2])
        return 0
    if len(argv) == 3 and argv[1] == "check":
        sec = Section(collect(argv[2]), {})
        print(sec.text())
        return 0 if sec.rows and not sec.left_out else 1
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
