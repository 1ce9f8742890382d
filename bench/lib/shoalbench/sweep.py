"""The sweep: every (config, node count) point of one workload, REPS runs
each, one progress line per point with an ETA. Points already in runs.csv
with enough runs are skipped unless forced, so an interrupted or extended
sweep (more node counts, another config) only measures what is missing.
"""
import os
import subprocess
import sys
import time

from . import results, stats, workloads

CONFIG_DIR = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", "scale.d",
                                           "configs"))


def config_path(spec):
    """(name, path): a file, or a name from bench/scale.d/configs/;
    "default" is shoal's built-in configuration (path None)."""
    if spec == "default":
        return "default", None
    if os.path.exists(spec):
        return os.path.splitext(os.path.basename(spec))[0], os.path.abspath(spec)
    bundled = os.path.join(CONFIG_DIR, spec + ".ini")
    if os.path.exists(bundled):
        return spec, bundled
    raise SystemExit("bench/scale: no config file %r (bundled: %s)" % (
        spec, ", ".join(sorted(f[:-4] for f in os.listdir(CONFIG_DIR)))))


def _clock(seconds):
    seconds = int(seconds + 0.5)
    return "%d:%02d" % (seconds // 60, seconds % 60) if seconds < 3600 else \
        "%d:%02d:%02d" % (seconds // 3600, seconds // 60 % 60, seconds % 60)


class Sweep:
    def __init__(self, opts, program, out):
        self.o, self.prog, self.out = opts, program, out
        self.runs_csv = os.path.join(out, "runs.csv")
        self.points_csv = os.path.join(out, "points.csv")
        self.failed = 0

    def command(self, cfg_path, nodes, stats_file):
        o = self.o
        cmd = [o.shoal, "-n", str(nodes), "--stats", stats_file]
        if cfg_path:
            cmd += ["--config", cfg_path]
        for ov in o.override:
            cmd += ["-o", ov]
        for env in o.env:
            cmd += ["-E", env]
        return cmd + [self.prog.binary] + self.prog.argv(o.threads)

    def same_as_reference(self, key, stdout, code):
        """Every run of one workload, input and thread count must print what
        its first successful run printed (kept in stats/): a difference
        under some config or node count is a coherence bug."""
        wl, inp, threads = key[:3]
        ref = os.path.join(self.out, "stats", "%s-%s-t%s.stdout" % (wl.replace(":", "_"), inp,
                                                                   threads))
        if not os.path.exists(ref):
            if code == 0:
                with open(ref, "w") as f:
                    f.write(stdout)
            return True
        with open(ref) as f:
            return f.read() == stdout

    def run_once(self, key, cfg_path, rep):
        wl, inp, threads, cfg, nodes = key
        tag = "%s-%s-t%s-%s-n%s-r%d" % (wl.replace(":", "_"), inp, threads, cfg, nodes, rep)
        stats_file = os.path.join(self.out, "stats", tag + ".json")
        cmd = self.command(cfg_path, nodes, stats_file)
        if self.o.verbose:
            print("  $ " + " ".join(cmd), file=sys.stderr)
        t0 = time.monotonic()
        try:
            p = subprocess.run(cmd, cwd=self.prog.cwd, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, timeout=self.o.timeout)
            code, stdout, stderr = p.returncode, p.stdout, p.stderr
        except subprocess.TimeoutExpired as e:
            code, stdout, stderr = "timeout", e.stdout or "", "timed out after %ss" % self.o.timeout
            stdout = stdout.decode() if isinstance(stdout, bytes) else stdout
        wall = time.monotonic() - t0
        check, checksum = workloads.parse_result(stdout)
        if check is None:  # no RESULT line (PARSEC): its exit status, no output comparison
            check = "OK" if code == 0 else "FAIL"
        elif not self.same_as_reference(key, stdout, code):
            check = "DIFF"
        if code != 0 or check != "OK":
            self.failed += 1
            with open(os.path.join(self.out, "stats", tag + ".err"), "w") as f:
                f.write(stdout + "\n--- stderr ---\n" + stderr)
            print("  run %s: exit %s, check %s (output in stats/%s.err)" % (tag, code, check, tag),
                  file=sys.stderr)
        doc = stats.load(stats_file) or {}
        row = dict(zip(results.KEY, key), rep=rep, wall_s="%.6f" % wall, exit=code, check=check,
                   checksum=checksum, stats_file=os.path.relpath(stats_file, self.out))
        row.update(stats.totals(doc) if doc else {})
        results.append_run(self.runs_csv, row)
        return wall

    def run(self, configs, node_counts):
        o = self.o
        os.makedirs(os.path.join(self.out, "stats"), exist_ok=True)
        done = {}
        for r in results.read_runs(self.runs_csv):
            done[results.key_of(r)] = done.get(results.key_of(r), 0) + 1
        todo = []
        for cfg_name, cfg_path in configs:
            for n in node_counts:
                key = (self.prog.name, o.input, str(o.threads), cfg_name, str(n))
                if o.force and key in done:
                    results.drop_point(self.runs_csv, key)
                    done.pop(key)
                todo.append((key, cfg_path, max(0, o.reps - done.get(key, 0))))
        total_runs = sum(t[2] for t in todo)
        print("bench/scale: %s, input %s, %d threads: %d points, %d runs to do (%d reps each)"
              % (self.prog.name, o.input, o.threads, len(todo), total_runs, o.reps), flush=True)
        runs_done, spent, start = 0, 0.0, time.monotonic()
        for i, (key, cfg_path, missing) in enumerate(todo, 1):
            label = "[%d/%d] %s n=%s" % (i, len(todo), key[3], key[4])
            if missing == 0:
                print("%s: already measured, skipped (--force measures again)" % label)
                continue
            have = done.get(key, 0)
            for rep in range(have, have + missing):
                spent += self.run_once(key, cfg_path, rep)
                runs_done += 1
            points = results.summarize(results.read_runs(self.runs_csv))
            results.write_points(self.points_csv, points)
            p = next(p for p in points if results.key_of(p) == key)
            eta = spent / runs_done * (total_runs - runs_done)
            print("%s: median %.3f s (min %.3f, max %.3f, %d runs), speedup %.2f, %s | "
                  "elapsed %s, ETA %s" % (label, p["median_s"], p["min_s"], p["max_s"], p["reps"],
                                          p["speedup"], p["check"],
                                          _clock(time.monotonic() - start), _clock(eta)),
                  flush=True)
        points = results.summarize(results.read_runs(self.runs_csv))
        results.write_points(self.points_csv, points)
        return points
