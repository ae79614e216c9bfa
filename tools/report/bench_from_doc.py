"""Reads a rendered benchmark report back into a run record (bench_record.py): the measurements
from its raw results (the lines the programs printed), and the rest (the run's settings and
machine, failures, wineserver request counts) from the block the report ends with, which
record_block writes. Rendering that record again must give the same file: the test of the
templates (test_bench_report.py), and the way to re-render a committed report after a change
of wording without running the benchmarks again.
"""

import json
import re

import bench_record
import libuv_bench

# The report's last lines: what its raw results do not hold, one JSON object a line.
BEGIN = "<!-- The run's settings, failures and traces, for bench_report.py --from-doc:\n"


def record_block(records):
    kept = (r for r in records if r.get("type") in ("meta", "failure", "trace"))
    return BEGIN + "".join(json.dumps(r) + "\n" for r in kept) + "-->\n"


def parse(text):
    block = text[text.index(BEGIN) + len(BEGIN):]
    kept = [json.loads(line) for line in block[:block.index("-->\n")].splitlines()]
    # Scenario lines carry "req=", libuv's own benchmarks' lines (libuv_bench.raw_line) "bench=".
    measured = [r for r in map(bench_record.parse_line, re.findall(r"^round=\S* req=.*$", text, re.M)) if r]
    measured += [r for r in map(libuv_bench.parse_raw, re.findall(r"^round=\S* lib=\S* bench=.*$", text, re.M))
                 if r]
    return kept[:1] + measured + kept[1:]


def read(path):
    with open(path, encoding="utf-8") as f:
        return parse(f.read())
