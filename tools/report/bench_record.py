"""The benchmarks' run record: what one run of bench/run.sh or ports/epoll/bench/run.sh
measured, as a list of dicts, and the per-(program, scenario, N) statistics computed from it.

The benchmark programs print one line per measurement, "result lib=L scenario=S n=N value=V
unit=U key=value...", and the uvafd build one "nt ..." line of NT call counters; the round
loop prefixes "round=R req=N" (N as asked for). Those lines are parsed here and nowhere else.
The programs keep that text format rather than printing JSON: the smoke tests and the reports'
"Raw results" sections show it as it is, and a record rebuilt from a committed report
(bench_report.py --from-doc) then holds exactly what the programs printed.
A record is a list of dicts:
  {"type": "meta", ...}             the run's settings and machine (strings, as the shell saw them)
  {"type": "result" | "nt", "round", "req", "program", "scenario", "value", "unit",
   "fields": {...}, "raw": "..."}   one measurement (raw: the line as printed, for the report)
  {"type": "failure", "text"}       a run that printed no result line
  {"type": "trace", "program", "scenario", "n", "k1", "k2", "per", "names"}
                                    wineserver requests per event (bench/trace_count.sh)
"""

import os
import re
from collections import defaultdict

from stats import summarize

# The paired ratios over the rounds: the programs of one round run back to back, so a slow
# change in the machine's load cancels out of each. r_aa divides the uvafd binary by itself
# (run twice in every round): what noise alone does to a ratio.
PAIRS = (("r_ul", "uvafd", "libuv"), ("r_uf", "uvafd", "floor"), ("r_fl", "floor", "libuv"),
         ("r_aa", "uvafd", "uvafd_aa"), ("r_uw", "uvafd", "wepoll"))
# Scenario 5 asks how much of its own rate a program keeps beside N idle sockets: its rate with
# N over its rate with 0 in the same round. These divide uvafd's share by another's, round by
# round, so the A/A control (k_aa) says how far two runs of one binary part on this machine.
KEEPS = (("k_ul", "uvafd", "libuv"), ("k_uf", "uvafd", "floor"), ("k_aa", "uvafd", "uvafd_aa"))
KEEP_SCENARIOS = ("idle",)
NT_FIELDS = ("submit", "cancel", "post", "dequeue", "other", "total")

_NUMBER = re.compile(r"\s*[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def number(text):
    """A field's numeric value the way the shell tools read it: its longest numeric prefix,
    0 when there is none (a field a program did not print counts as 0)."""
    m = _NUMBER.match(text or "")
    return float(m.group(0)) if m else 0.0


def value_of(word):
    """The value of a "key=value" word: "" without "=", up to a second "=" (as awk's split)."""
    return (word.split("=") + [""])[1]


def fields_of(words):
    """{key: value} of "key=value" words: every such line of the benchmarks is read here."""
    return {w.split("=")[0]: value_of(w) for w in words}


def parse_line(line):
    """'round=R req=N result|nt key=value...' -> a measurement record, or None."""
    words = line.split()
    kind = next((i for i, w in enumerate(words) if w in ("result", "nt")), None)
    if kind is None:
        return None
    fields = fields_of(words[kind + 1:])
    return {"type": words[kind], "round": value_of(words[0]),
            "req": value_of(words[1]) if len(words) > 1 else "",
            "program": fields.get("lib", ""), "scenario": fields.get("scenario", ""),
            "value": fields.get("value"), "unit": fields.get("unit"), "fields": fields,
            "raw": line.rstrip("\n")}


def trace_record(program, scenario, n, k1, k2, out_a, out_b, names_a, names_b):
    """Requests per event from two traced runs to K1 and K2 events: (R2 - R1) / (E2 - E1), so
    start-up and teardown cancel out; and the same per request name (>= 0.05 kept), the
    largest first. out_*: trace_count.sh's "requests=R events=E"; names_*: its "count name"."""
    def grab(text, key):
        v = fields_of((text or "").split()).get(key, "")
        return int(v) if v.isdigit() else None
    ra, ea, rb, eb = (grab(t, k) for t in (out_a, out_b) for k in ("requests", "events"))
    rec = {"type": "trace", "program": program, "scenario": scenario, "n": n, "k1": k1, "k2": k2,
           "per": None, "names": None}
    if None in (ra, ea, rb, eb) or eb <= ea:
        return rec
    rec["per"] = "%.2f" % ((rb - ra) / (eb - ea))
    counts = lambda text: {p[1]: int(p[0]) for p in map(str.split, (text or "").splitlines()) if len(p) >= 2}
    a = counts(names_a)
    per = ((name, (nb - a.get(name, 0)) / (eb - ea)) for name, nb in counts(names_b).items())
    rows = [[name, "%.2f" % v] for name, v in per if v >= 0.05]
    # Largest first; equal values by name, descending (the order `sort -k2 -rn` gave).
    rec["names"] = sorted(rows, key=lambda r: (float(r[1]), r[0] + " " + r[1]), reverse=True)
    return rec


def read(path, default=None):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return default


def collect(work):
    """The record of one run from the round loop's work directory: meta (KEY=VALUE lines),
    results (the prefixed program lines), failures, and traces.list ("program scenario n k1
    k2" per traced case, with trace-P-S-N-{a,b}.out and .names beside it)."""
    lines = lambda name: read(os.path.join(work, name), "").splitlines()
    meta = dict(line.split("=", 1) for line in lines("meta") if "=" in line)
    records = [dict({"type": "meta"}, **meta)]
    records += [r for r in map(parse_line, lines("results")) if r]
    records += [{"type": "failure", "text": line} for line in lines("failures")]
    for p in (line.split() for line in lines("traces.list")):
        if len(p) == 5:
            base = os.path.join(work, "trace-%s-%s-%s" % tuple(p[:3]))
            outputs = (read(base + x) for x in ("-a.out", "-b.out", "-a.names", "-b.names"))
            records.append(trace_record(*p, *outputs))
    import libuv_bench  # libuv's own benchmark runner: its output is parsed there
    return records + libuv_bench.collect(work)


def summaries(records):
    """{(key, field): Summary}; key is "PROGRAM SCENARIO N" for a program and "RATIO SCENARIO N"
    for a paired ratio of PAIRS or KEEPS; fields: value, iters_max and iters_mean (close),
    committed (memory), nt_* per event (nt lines). The key uses N as asked for (req), not as the
    program printed it."""
    vals = defaultdict(list)
    one = {}  # (program, "SCENARIO N", round): value
    for r in records:
        f = r.get("fields") or {}
        lib, sc = f.get("lib", ""), f.get("scenario", "")
        key = "%s %s %s" % (lib, sc, r.get("req"))
        if r.get("type") == "result":
            vals[(key, "value")].append(number(f.get("value")))
            one[(lib, sc + " " + r["req"], r["round"])] = number(f.get("value"))
            for x in ("iters_max", "iters_mean") if sc == "close" else ():
                vals[(key, x)].append(number(f.get(x)))
            if sc.startswith("memory") and "committed" in f:
                vals[(key, "committed")].append(number(f["committed"]))
        elif r.get("type") == "nt" and number(f.get("events")) > 0:
            for x in (x for x in NT_FIELDS if x in f):
                vals[(key, "nt_" + x)].append(number(f[x]) / number(f["events"]))
    for screq, rnd in {(screq, rnd) for _, screq, rnd in one}:
        for name, a, b in PAIRS:
            x, y = one.get((a, screq, rnd)), one.get((b, screq, rnd))
            if x is not None and y is not None and y > 0:
                vals[(name + " " + screq, "value")].append(x / y)
    share = lambda p, sc, n, rnd: _over(one.get((p, "%s %s" % (sc, n), rnd)), one.get((p, sc + " 0", rnd)))
    for screq, rnd in {(screq, rnd) for _, screq, rnd in one}:
        sc, n = screq.split(" ", 1)
        if sc not in KEEP_SCENARIOS or n == "0":
            continue
        for name, a, b in KEEPS:
            k = _over(share(a, sc, n, rnd), share(b, sc, n, rnd))
            if k is not None:
                vals[(name + " " + screq, "value")].append(k)
    return {kf: summarize(v) for kf, v in vals.items()}


def _over(x, y):
    return None if x is None or y is None or y <= 0 else x / y
