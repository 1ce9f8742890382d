"""Unit tests of bench/lib/shoalbench: statistics of a point, speedups,
checks across runs, and reading --stats JSON in the per-node form the
cluster writes and in the per-thread / per-page forms docs/bench.md
specifies. The JSON documents written inline are made-up fixtures; the
files in fixtures/ are real --stats output of stencil (4 threads, small
input, -o stats.page_events=on) on one node and on -n 2."""
import os
import sys
import tempfile
import unittest

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench",
                                "lib"))
from shoalbench import plots, results, stats  # noqa: E402

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")


def fixture(name):
    doc = stats.load(os.path.join(FIXTURES, name))
    assert doc is not None, name
    return doc


def run(config, nodes, wall, rep=0, checksum="ab", check="OK", exit="0"):
    return {"workload": "w", "input": "small", "threads": "4", "config": config,
            "nodes": str(nodes), "rep": str(rep), "wall_s": str(wall), "exit": exit,
            "check": check, "checksum": checksum, "stats_file": ""}


NODE_DOC = {"wall_s": 1.5, "nodes": [
    {"node": 0, "faults": {"read_miss": 10, "write_miss": 5, "upgrade": 1, "dedup": 3},
     "fault_latency_us": {"mean_us": {"read_miss": 100.0, "write_miss": 200.0, "upgrade": 50.0}},
     "syscalls": {"futex": 7, "write": 2}, "delegated_syscalls": {}, "threads": 2,
     "invalidations": {"received": 4}, "pages": {"received": 15}},
    {"node": 1, "faults": {"read_miss": 20, "write_miss": 0, "upgrade": 0},
     "fault_latency_us": {"mean_us": {"read_miss": 150.0}},
     "syscalls": {"futex": 1}, "delegated_syscalls": {"futex": 9}, "threads": 2}]}


class Results(unittest.TestCase):
    def test_quantile(self):
        self.assertEqual(results.quantile([1, 2, 3, 4], 0.5), 2.5)
        self.assertEqual(results.quantile([5], 0.25), 5)
        self.assertEqual(results.quantile([1, 3], 0.25), 1.5)
        self.assertIsNone(results.quantile([], 0.5))

    def test_summarize(self):
        runs = [run("a", 1, 4.0), run("a", 1, 6.0, 1), run("a", 1, 5.0, 2),
                run("a", 2, 2.0), run("a", 2, 3.0, 1), run("b", 2, 8.0), run("b", 4, 2.0)]
        pts = {(p["config"], p["nodes"]): p for p in results.summarize(runs)}
        a1, a2 = pts[("a", "1")], pts[("a", "2")]
        self.assertEqual((a1["median_s"], a1["min_s"], a1["max_s"], a1["reps"]), (5.0, 4.0, 6.0, 3))
        self.assertEqual(a1["speedup"], 1.0)
        self.assertEqual(a2["speedup"], 5.0 / 2.5)
        self.assertEqual((a2["speedup_min"], a2["speedup_max"]), (5.0 / 3.0, 5.0 / 2.0))
        # b has no 1-node point: its smallest node count is the base.
        self.assertEqual(pts[("b", "4")]["speedup"], 4.0)
        self.assertTrue(all(p["check"] == "OK" for p in pts.values()))

    def test_check_fails_on_other_checksum_or_exit(self):
        pts = results.summarize([run("a", 1, 1.0), run("a", 2, 1.0, checksum="cd")])
        self.assertTrue(all(p["check"] == "FAIL" for p in pts))
        pts = results.summarize([run("a", 1, 1.0), run("a", 2, 1.0, exit="1")])
        self.assertEqual([p["check"] for p in pts], ["OK", "FAIL"])

    def test_csv_round_trip_and_drop(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "runs.csv")
            for r in (run("a", 1, 1.0), run("a", 2, 2.0), run("a", 2, 3.0, 1)):
                results.append_run(path, r)
            self.assertEqual(len(results.read_runs(path)), 3)
            results.drop_point(path, ("w", "small", "4", "a", "2"))
            self.assertEqual([r["nodes"] for r in results.read_runs(path)], ["1"])


class Stats(unittest.TestCase):
    def test_single_node(self):
        recs = stats.node_records({"wall_s": 1.0, "syscalls": 12, "threads": 5})
        self.assertEqual(len(recs), 1)
        self.assertEqual((recs[0]["syscalls"], recs[0]["faults"], recs[0]["fault_s"]),
                         (12, None, None))

    def test_per_node(self):
        recs = stats.node_records(NODE_DOC)
        self.assertEqual([r["node"] for r in recs], [0, 1])
        self.assertEqual(recs[0]["faults"], 16)  # dedup waited for nothing new
        self.assertAlmostEqual(recs[0]["fault_s"], (10 * 100 + 5 * 200 + 50) / 1e6)
        self.assertAlmostEqual(recs[1]["fault_s"], 20 * 150 / 1e6)
        self.assertEqual((recs[0]["syscalls"], recs[1]["delegated"]), (9, 9))
        t = stats.totals(NODE_DOC)
        self.assertEqual((t["faults"], t["syscalls"], t["delegated"], t["pages_rx"]),
                         (36, 10, 9, 15))
        self.assertIsNone(stats.thread_records(NODE_DOC))
        self.assertIsNone(stats.page_events(NODE_DOC))

    def test_specified_fields(self):
        doc = {"thread_times": [{"tid": 7, "node": 1, "exec_s": 1.0, "fault_s": 0.5,
                                 "syscall_s": 0.1}],
               "page_faults": {"events": [[10, 1, 5, "r"], [20, 0, 6, "w"]]}}
        self.assertEqual(stats.thread_records(doc)[0]["fault_s"], 0.5)
        self.assertIsNone(stats.thread_records(doc)[0]["wait_s"])
        self.assertEqual(stats.page_events(doc), [(10, 1, 5, "r"), (20, 0, 6, "w")])

    def test_per_node_fields_merged(self):
        doc = {"nodes": [
            {"node": 0, "thread_times": [{"tid": 1, "node": 0, "exec_s": 1.0}],
             "page_faults": {"events": [[30, 0, 5, "u"]], "events_dropped": 2}},
            {"node": 1, "thread_times": [{"tid": 2, "exec_s": 2.0}],
             "page_faults": {"events": [[10, 1, 5, "r"]], "events_dropped": 1}}]}
        recs = stats.thread_records(doc)
        self.assertEqual([(r["tid"], r["node"]) for r in recs], [(1, 0), (2, 1)])
        self.assertEqual(stats.page_events(doc), [(10, 1, 5, "r"), (30, 0, 5, "u")])
        self.assertEqual(stats.events_dropped(doc), 3)

    def test_real_single_node(self):
        doc = fixture("stats-stencil-n1.json")
        recs = stats.thread_records(doc)
        self.assertEqual(len(recs), doc["threads"])  # main + 4 workers
        for r in recs:
            self.assertEqual(r["node"], 0)
            self.assertEqual(r["fault_s"], 0.0)  # one node: no DSM
            for k in stats.THREAD_TIMES:
                self.assertGreaterEqual(r[k], 0.0)
            self.assertLessEqual(sum(r[k] for k in stats.THREAD_TIMES), doc["wall_s"])
        self.assertEqual(stats.page_events(doc), [])  # asked for, none on one node

    def test_real_cluster(self):
        doc = fixture("stats-stencil-n2.json")
        recs = stats.thread_records(doc)
        self.assertEqual(len(recs), doc["thread_count"])
        self.assertEqual({r["node"] for r in recs}, {0, 1})
        self.assertTrue(any(r["fault_s"] > 0 for r in recs))
        for r in recs:
            self.assertLessEqual(sum(r[k] for k in stats.THREAD_TIMES), doc["wall_s"])
        ev = stats.page_events(doc)
        faults = sum(n["faults"][k] for n in doc["nodes"] for k in stats.REMOTE_FAULTS)
        self.assertEqual(len(ev) + stats.events_dropped(doc), faults)
        self.assertEqual([e[0] for e in ev], sorted(e[0] for e in ev))
        self.assertTrue(all(0 <= e[0] <= doc["wall_s"] * 1e6 for e in ev))
        self.assertEqual({e[1] for e in ev}, {0, 1})
        self.assertTrue({e[3] for e in ev} <= {"r", "w", "u"})


@unittest.skipUnless(plots.available(), "python3-matplotlib not installed")
class Plots(unittest.TestCase):
    def test_draw_all(self):
        with tempfile.TemporaryDirectory() as d:
            import json
            docs = {"n1": {"wall_s": 1.0, "syscalls": 3},
                    "n2": dict(NODE_DOC, page_faults={"events": [[1, 0, 3, "r"], [5, 1, 4, "w"]]}),
                    "t2": {"thread_times": [{"tid": 1, "node": 0, "exec_s": 1, "fault_s": 1,
                                             "syscall_s": 0}]}}
            for name, doc in docs.items():
                with open(os.path.join(d, name + ".json"), "w") as f:
                    json.dump(doc, f)
            runs = [dict(run("a", 1, 2.0), stats_file="n1.json"),
                    dict(run("a", 2, 1.0), stats_file="n2.json"),
                    dict(run("b", 1, 2.0), stats_file="n1.json"),
                    dict(run("b", 2, 1.5), stats_file="t2.json")]
            files = plots.draw_all(results.summarize(runs), runs, d)
            self.assertEqual(sorted(os.path.basename(f).split("-")[0] for f in files),
                             ["breakdown", "sharing", "speedup"])
            for f in files:
                with open(f, "rb") as fh:
                    self.assertEqual(fh.read(8), b"\x89PNG\r\n\x1a\n")

    def test_thread_bars_from_real_output(self):
        plt = plots._plt()
        recs = stats.thread_records(fixture("stats-stencil-n2.json"))
        fig, ax = plt.subplots()
        plots._thread_bars(ax, recs, "n2")
        # one stacked segment per thread and part (exec, fault, syscall, wait)
        self.assertEqual(len(ax.patches), 4 * len(recs))
        tops = {}
        for bar in ax.patches:
            x = round(bar.get_x(), 3)
            tops[x] = max(tops.get(x, 0.0), bar.get_y() + bar.get_height())
        for top in tops.values():
            self.assertAlmostEqual(top, 1.0, places=6)  # fractions of the thread's time
        plt.close(fig)

    def test_page_map_from_real_output(self):
        plt = plots._plt()
        ev = stats.page_events(fixture("stats-stencil-n2.json"))
        fig, ax = plt.subplots()
        plots._page_map(ax, ev, "n2")
        self.assertEqual(sum(len(c.get_offsets()) for c in ax.collections), len(ev))
        plt.close(fig)

    def test_draw_all_real_output(self):
        with tempfile.TemporaryDirectory() as d:
            import shutil
            for name in ("stats-stencil-n1.json", "stats-stencil-n2.json"):
                shutil.copy(os.path.join(FIXTURES, name), d)
            runs = [dict(run("a", 1, 2.0), stats_file="stats-stencil-n1.json"),
                    dict(run("a", 2, 1.0), stats_file="stats-stencil-n2.json")]
            files = plots.draw_all(results.summarize(runs), runs, d)
            self.assertEqual(len(files), 3)


if __name__ == "__main__":
    unittest.main(verbosity=2)
