"""libuv's own benchmark runner in the report: its output lines parsed, the verdicts, the
section present only when the run had it, and a report with the section re-rendered from
its own numbers."""

import os
import tempfile
import unittest

import bench_report
import libuv_bench

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# One line of each format, as libuv 1.44.2's benchmarks print them; the runner copies a
# benchmark's output after its TAP line, as TAP comments ("# ").
OUTPUTS = {
    "million_async": "ok 1 - million_async\n98,765 async events in 5.0 seconds (19,753/s, 1,048,576 unique handles seen)\n",
    "queue_work": "1,234 async jobs in 5.0 seconds (246/s)\n",
    "million_timers": "12.50 seconds total\n3.00 seconds init\n",
    "loop_count_timed": "loop_count: 1234567 ticks (246913 ticks/s)\r\n",
    "ping_pongs": "ok 1 - ping_pongs\n# ping_pongs: 4321 roundtrips/s\n",
    "ping_udp1": "ping_pongs: 1 pingers, ~ 2345 roundtrips/s\n",
    "tcp_pump100_client": "tcp_pump100_server: 0.4 gbit/s\ntcp_pump100_client: 0.3 gbit/s\n",
    "pipe_pump1_client": "pipe_pump1_client: 1.5 gbit/s\n",
    "tcp4_pound_100": "# tcp-conn-pound-100: 812 accepts/s (0 failed)\n",
    "udp_timed_pummel_10v10": "udp_pummel_10v10: 5000/s received, 6000/s sent. 25000 received, 30000 sent in 5.0 seconds.\n",
}
EXPECTED = {"million_async": 19753, "queue_work": 246, "million_timers": 12.5, "loop_count_timed": 246913,
            "ping_pongs": 4321, "ping_udp1": 2345, "tcp_pump100_client": 0.3, "pipe_pump1_client": 1.5,
            "tcp4_pound_100": 812, "udp_timed_pummel_10v10": 5000}


def records(values, status=None):
    """values: (round, program, bench) -> the number its output line carries."""
    out = []
    for (rnd, p, b), v in values.items():
        text = {"million_async": "1 async events in 5.0 seconds (%s/s, 1 unique handles seen)",
                "million_timers": "%s seconds total"}[b] % v
        out.append(libuv_bench.record(rnd, p, b, (status or {}).get((rnd, p, b), "ok"), text))
    return out


class Parse(unittest.TestCase):
    def test_every_format(self):
        for name, text in OUTPUTS.items():
            self.assertEqual(libuv_bench.parse(name, text)[0], EXPECTED[name], name)

    def test_no_line_no_value(self):
        self.assertIsNone(libuv_bench.parse("million_async", "Assertion failed in test/benchmark-million-async.c"))
        self.assertIsNone(libuv_bench.parse("no_such_benchmark", "1 async events"))

    def test_an_ok_run_without_its_line_is_unparsed(self):
        self.assertEqual(libuv_bench.record(1, "uvafd", "ping_pongs", "ok", "")["status"], "unparsed")

    def test_collect_reads_the_shell_list(self):
        with tempfile.TemporaryDirectory() as work:
            with open(os.path.join(work, "libuv_bench.list"), "w") as f:
                f.write("1 uvafd ping_pongs ok\n1 libuv ping_pongs timeout\n")
            with open(os.path.join(work, "libuv_bench-1-uvafd-ping_pongs.out"), "w") as f:
                f.write(OUTPUTS["ping_pongs"])
            got = [(r["program"], r["status"], r["value"]) for r in libuv_bench.collect(work)]
        self.assertEqual(got, [("uvafd", "ok", 4321.0), ("libuv", "timeout", None)])


class Verdicts(unittest.TestCase):
    def section(self, n, uvafd, libuv, bench="million_async", status=None):
        vals = {}
        for r in range(1, n + 1):
            vals[(r, "uvafd", bench)] = uvafd(r)
            vals[(r, "libuv", bench)] = libuv(r)
            vals[(r, "uvafd_aa", bench)] = uvafd(r)
        return libuv_bench.Section(records(vals, status), {})

    def test_yes_noise_no(self):
        self.assertEqual(self.section(9, lambda r: 100 + r, lambda r: 100).rows[0][8], "yes")
        self.assertEqual(self.section(9, lambda r: 80 + r, lambda r: 100).rows[0][8], "no")
        # Median below 1, the upper bound of the interval above: noise.
        self.assertEqual(self.section(9, lambda r: 89 + 2 * r, lambda r: 100).rows[0][8], "noise")

    def test_read_against_the_aa_control(self):
        # uvafd/libuv wholly below 1 (0.81 .. 0.89); the A/A control of the same rounds decides.
        sec = self.section(9, lambda r: 80 + r, lambda r: 100)
        wide = {(r, "uvafd_aa", "million_async"): (80 + r) / (0.70 + 0.05 * r) for r in range(1, 10)}
        narrow = {(r, "uvafd_aa", "million_async"): (80 + r) / (0.99 + 0.002 * r) for r in range(1, 10)}
        self.assertEqual(self.with_aa(wide).rows[0][8], "noise")
        self.assertEqual(self.with_aa(narrow).rows[0][8], "no")
        self.assertEqual(sec.rows[0][8], "no")  # A/A exactly 1

    def with_aa(self, aa):
        vals = {}
        for r in range(1, 10):
            vals[(r, "uvafd", "million_async")] = 80 + r
            vals[(r, "libuv", "million_async")] = 100
        vals.update(aa)
        return libuv_bench.Section(records(vals, None), {})

    def test_seconds_are_turned_into_speed(self):
        # uvafd takes half libuv's time: twice as fast.
        sec = self.section(3, lambda r: 5, lambda r: 10, bench="million_timers")
        self.assertEqual(sec.rows[0][4].split()[0], "2.00")

    def test_a_side_without_any_result_is_left_out(self):
        st = {(r, "libuv", "million_timers"): "timeout" for r in (1, 2)}
        sec = self.section(2, lambda r: 5, lambda r: 10, bench="million_timers", status=st)
        self.assertEqual(sec.rows, [])
        self.assertEqual(sec.left_out, [("million_timers", "libuv timeout")])


def untraced():
    """The committed report's record without its traces of libuv's benchmarks."""
    with open(os.path.join(ROOT, "docs", "benchmarks.md"), encoding="utf-8") as f:
        return [r for r in bench_report.from_doc(f.read()) if r.get("type") != "libuv_trace"]


class Traces(unittest.TestCase):
    def test_units_counted_by_each_benchmark(self):
        self.assertEqual(libuv_bench.units("loop_count_timed", OUTPUTS["loop_count_timed"]), (1234567, "tick"))
        self.assertEqual(libuv_bench.units("queue_work", OUTPUTS["queue_work"]), (1234, "job"))
        self.assertEqual(libuv_bench.units("udp_timed_pummel_10v10", OUTPUTS["udp_timed_pummel_10v10"]),
                         (25000, "packet received"))
        self.assertIsNone(libuv_bench.units("ping_pongs", OUTPUTS["ping_pongs"]))  # it has a helper

    def test_per_unit_and_where_the_links_differ(self):
        log = "loop_count: 1000 ticks (200 ticks/s)\n"
        u = libuv_bench.trace("uvafd", "loop_count_timed", "requests=3000\n", log,
                              "1000 select\n1000 remove_completion\n1000 ioctl\n")
        l = libuv_bench.trace("libuv", "loop_count_timed", "requests=2000\n", log,
                              "1000 select\n1000 remove_completion\n10 ioctl\n")
        self.assertEqual((u["per"], u["unit"]), ("3.00", "tick"))
        self.assertEqual(l["names"], [["select", "1.00"], ["remove_completion", "1.00"]])  # 0.01 dropped
        table = libuv_bench.Section([u, l], {}).trace_table()
        self.assertIn("| loop_count_timed | tick | 3.00 | 2.00 | 1.50 | `ioctl` +1.00 |", table)

    def test_a_failed_trace_has_no_count(self):
        t = libuv_bench.trace("uvafd", "loop_count_timed", "", "no output", "")
        self.assertIsNone(t["per"])
        self.assertIn("| loop_count_timed | - | - | - | - | none |",
                      libuv_bench.Section([t], {}).trace_table())

    def test_read_back_from_the_report(self):
        recs = untraced()
        log = "udp_pummel_1v10: 5/s received, 5/s sent. 50 received, 50 sent in 5.0 seconds.\n"
        t = libuv_bench.trace("uvafd", "udp_timed_pummel_1v10", "requests=250", log, "250 recv_socket\n")
        text = bench_report.UvReport(recs + [t]).markdown()
        again = bench_report.UvReport(bench_report.from_doc(text)).markdown()
        self.assertEqual(text, again)
        self.assertIn("| udp_timed_pummel_1v10 | packet received | 5.00 | - | - | `recv_socket` +5.00 |", text)


class InTheReport(unittest.TestCase):
    def without_libuv_bench(self):
        """The committed report's record, less libuv's own benchmarks."""
        with open(os.path.join(ROOT, "docs", "benchmarks.md"), encoding="utf-8") as f:
            recs = bench_report.from_doc(f.read())
        meta = {k: v for k, v in recs[0].items() if not k.startswith("libuv_bench")}
        return [meta] + [r for r in recs[1:] if r.get("type") != "libuv_bench"]

    def test_absent_without_runs(self):
        rep = bench_report.UvReport(self.without_libuv_bench())
        self.assertNotIn("## libuv's own benchmarks", rep.markdown())

    def test_rendered_and_read_back(self):
        recs = self.without_libuv_bench()
        recs[0] = dict(recs[0], libuv_bench_rounds="3", libuv_bench_not_run="sizes, spawn",
                       libuv_bench_date="2026-12-02 04:00 UTC", libuv_bench_load="9.1 9.0 8.0 / 9.5 9.2 8.1",
                       libuv_bench_not_selected="pipe_pump1_client")
        recs += records({(r, p, "million_async"): 1000 * r + (p == "libuv")
                         for r in (1, 2, 3) for p in ("uvafd", "libuv", "uvafd_aa")})
        recs += [libuv_bench.record(1, "libuv", "million_timers", "timeout", "")]
        recs += [libuv_bench.record(1, "uvafd", "ping_pongs", "ok", OUTPUTS["ping_pongs"])]
        text = bench_report.UvReport(recs).markdown()
        self.assertIn("## libuv's own benchmarks", text)
        self.assertIn("| million_async | events/s |", text)
        self.assertIn("- `million_timers`: libuv timeout", text)
        self.assertIn("- `ping_pongs`: one side missing", text)
        self.assertNotIn("${", text)
        # The rest of the report is the report without the section.
        start = text.index("## libuv's own benchmarks")
        end = text.index("## The epoll port against wepoll")
        self.assertEqual(text[:start] + text[end:], bench_report.UvReport(recs[:-11]).markdown())
        back = bench_report.from_doc(text)
        self.assertEqual(bench_report.UvReport(back).markdown(), text)
        self.assertIn("round trips/s", [r["unit"] for r in back if r.get("type") == "libuv_bench"])



class KeptParts(unittest.TestCase):
    """bench_report.keep_doc: a run that measured some parts of the report keeps the rest."""

    def kept(self):
        recs = untraced()
        recs[0] = dict(recs[0], libuv_bench_date="KEPT")
        t = libuv_bench.trace("uvafd", "queue_work", "requests=10", "5 async jobs in 5.0 seconds", "")
        return recs + [t]

    def test_a_run_of_the_scenarios_only_keeps_libuvs_section_and_traces(self):
        kept = self.kept()
        run = [{"type": "meta", "date": "NEW", "libuv_bench_date": "NOT MEASURED", "docs": "1"},
               next(r for r in kept if r.get("type") == "result" and r["scenario"] == "churn")]
        got = bench_report.keep_doc(kept, run, ["scenarios", "http"])
        self.assertEqual((got[0]["date"], got[0]["libuv_bench_date"]), ("NEW", "KEPT"))
        self.assertEqual([r for r in got if r.get("type") == "libuv_bench"],
                         [r for r in kept if r.get("type") == "libuv_bench"])
        self.assertEqual(sum(r.get("type") == "libuv_trace" for r in got), 1)
        self.assertEqual(sum(r.get("type") == "result" for r in got), 1)  # its one, no kept one

    def test_a_run_of_the_traces_only_keeps_everything_else(self):
        kept = self.kept()
        t = libuv_bench.trace("libuv", "loop_count_timed", "requests=20", "loop_count: 10 ticks (2 ticks/s)", "")
        got = bench_report.keep_doc(kept, [{"type": "meta", "libuv_bench_date": "X", "docs": "1"}, t],
                                    ["libuv_trace"])
        self.assertEqual(got[0]["date"], kept[0]["date"])
        self.assertEqual(got[0]["libuv_bench_date"], "KEPT")
        self.assertEqual([r for r in got if r.get("type") == "libuv_trace"], [t])
        self.assertEqual(len(got), len(kept))

    def test_a_run_of_libuvs_benchmarks_replaces_only_them(self):
        kept = self.kept()
        new = records({(1, p, "million_async"): 5 for p in ("uvafd", "libuv")})
        got = bench_report.keep_doc(kept, [{"type": "meta", "libuv_bench_date": "NEW", "docs": "0"}] + new,
                                    ["libuv"])
        self.assertEqual((got[0]["libuv_bench_date"], got[0]["docs"], got[0]["date"]),
                         ("NEW", "0", kept[0]["date"]))
        self.assertEqual([r for r in got if r.get("type") == "libuv_bench"], new)
        self.assertEqual(sum(r.get("type") == "libuv_trace" for r in got), 1)

if __name__ == "__main__":
    unittest.main()
