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
    return [record(*p, read(os.path.join(work, "libuv_bench-%s-%s-%s.out" % tuple(p[:3])), ""))
            for p in runs if len(p) == 4]


def speed(value, higher):
    return value if higher else (1.0 / value if value else 0.0)


class Section:
    """The report section: per benchmark the medians of both links, the per-round speed ratio
    uvafd/libuv with its 95% interval and the A/A control (uvafd/uvafd_aa), and a verdict
    against >= 1.0x libuv read as bench_report's throughput rows are (stats.reached)."""

    TARGET = 1.0

    def __init__(self, records, meta):
        self.recs = [r for r in records if r.get("type") == "libuv_bench"]
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
                "libuv_bench_raw": "".join(r["raw"] + "\n" for r in self.recs)}

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
