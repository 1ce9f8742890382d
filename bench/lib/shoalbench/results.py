"""The sweep's CSV files.

runs.csv    one row per run (every repetition), appended as runs finish, so
            an interrupted sweep keeps what it measured;
points.csv  one row per point (workload, input, threads, config, nodes):
            the median time, its spread (min, max, quartiles), the speedup
            over the smallest node count of the same config, and the median
            of what --stats reported. Rewritten from runs.csv after every
            point, so it is always consistent with it.
"""
import csv
import os

KEY = ("workload", "input", "threads", "config", "nodes")
RUN_FIELDS = KEY + ("rep", "wall_s", "stats_wall_s", "exit", "check", "checksum", "faults",
                    "fault_s", "syscalls", "delegated", "pages_rx", "stats_file")
POINT_FIELDS = KEY + ("reps", "median_s", "min_s", "max_s", "q1_s", "q3_s", "speedup",
                      "speedup_min", "speedup_max", "check", "checksum", "faults", "fault_s",
                      "syscalls", "delegated", "pages_rx")


def key_of(row):
    return tuple(str(row[k]) for k in KEY)


def read_runs(path):
    if not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def append_run(path, row):
    new = not os.path.exists(path)
    with open(path, "a", newline="") as f:
        w = csv.DictWriter(f, fieldnames=RUN_FIELDS)
        if new:
            w.writeheader()
        w.writerow({k: "" if row.get(k) is None else row.get(k) for k in RUN_FIELDS})


def drop_point(path, key):
    """Forgets the runs of one point (--force measures it again)."""
    rows = [r for r in read_runs(path) if key_of(r) != key]
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=RUN_FIELDS)
        w.writeheader()
        w.writerows(rows)


def quantile(sorted_vals, q):
    """Linear interpolation between closest ranks (numpy's default)."""
    if not sorted_vals:
        return None
    pos = (len(sorted_vals) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(sorted_vals) - 1)
    return sorted_vals[lo] + (sorted_vals[hi] - sorted_vals[lo]) * (pos - lo)


def _num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def _median_of(rows, field):
    vals = sorted(x for x in (_num(r.get(field)) for r in rows) if x is not None)
    return quantile(vals, 0.5)


def summarize(runs):
    """points.csv rows from runs.csv rows. A point's check is OK only if
    every run exited 0, said OK and printed the same checksum as every
    other run of that workload, input and thread count."""
    groups = {}
    for r in runs:
        groups.setdefault(key_of(r), []).append(r)
    sums = {}
    for r in runs:
        sums.setdefault((r["workload"], r["input"], r["threads"]), set()).add(r["checksum"])
    points = []
    for key, rows in groups.items():
        times = sorted(float(r["wall_s"]) for r in rows)
        p = dict(zip(KEY, key))
        same = len(sums[(p["workload"], p["input"], p["threads"])]) == 1
        ok = same and all(r["exit"] == "0" and r["check"] == "OK" for r in rows)
        p.update(reps=len(rows), median_s=quantile(times, 0.5), min_s=times[0], max_s=times[-1],
                 q1_s=quantile(times, 0.25), q3_s=quantile(times, 0.75),
                 check="OK" if ok else "FAIL", checksum=rows[0]["checksum"])
        for field in ("faults", "fault_s", "syscalls", "delegated", "pages_rx"):
            p[field] = _median_of(rows, field)
        points.append(p)
    # Speedup against the smallest node count measured for the same
    # workload, input, threads and config; its spread from the extremes.
    base = {}
    for p in points:
        k = (p["workload"], p["input"], p["threads"], p["config"])
        if k not in base or int(p["nodes"]) < int(base[k]["nodes"]):
            base[k] = p
    for p in points:
        b = base[(p["workload"], p["input"], p["threads"], p["config"])]
        p["speedup"] = b["median_s"] / p["median_s"]
        p["speedup_min"] = b["median_s"] / p["max_s"]
        p["speedup_max"] = b["median_s"] / p["min_s"]
    points.sort(key=lambda p: (p["workload"], p["input"], int(p["threads"]), p["config"],
                               int(p["nodes"])))
    return points


def write_points(path, points):
    tmp = path + ".tmp"
    with open(tmp, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=POINT_FIELDS)
        w.writeheader()
        for p in points:
            w.writerow({k: _fmt(p.get(k)) for k in POINT_FIELDS})
    os.replace(tmp, path)


def _fmt(v):
    if v is None:
        return ""
    if isinstance(v, float):
        return "%.6g" % v
    return v


def read_points(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))
