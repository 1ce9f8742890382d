"""The figures of a sweep, as PNG (matplotlib, Agg backend):

speedup-*.png    speedup over the smallest node count, one curve per config
                 (median, with the min..max range as error bars), and the
                 ideal line;
breakdown-*.png  where the threads' time went, per thread if --stats has
                 per-thread times, else what it has per node (DQEMU Fig. 8);
sharing-*.png    which nodes faulted on which pages over time if --stats has
                 per-page events, else remote faults per node and point.

Each figure states in its title what it could not draw and why; nothing is
estimated or filled in (docs/bench.md, "What --stats gives the plots").
"""
import os

from . import stats

COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#17becf")


def available():
    try:
        import matplotlib  # noqa: F401
        return True
    except ImportError:
        return False


def _plt():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def _groups(points):
    g = {}
    for p in points:
        g.setdefault((p["workload"], p["input"], p["threads"]), []).append(p)
    return g


def _tag(wl, inp, threads):
    return "%s-%s-t%s" % (wl.replace(":", "_"), inp, threads)


def speedup(points, out):
    plt = _plt()
    files = []
    for (wl, inp, threads), pts in sorted(_groups(points).items()):
        fig, ax = plt.subplots(figsize=(5.5, 4))
        configs = sorted({p["config"] for p in pts})
        all_nodes = sorted({int(p["nodes"]) for p in pts})
        n0 = all_nodes[0]
        ax.plot(all_nodes, [n / n0 for n in all_nodes], "k--", lw=1, label="ideal")
        for i, cfg in enumerate(configs):
            cp = sorted((p for p in pts if p["config"] == cfg), key=lambda p: int(p["nodes"]))
            x = [int(p["nodes"]) for p in cp]
            y = [float(p["speedup"]) for p in cp]
            lo = [max(0.0, yv - float(p["speedup_min"])) for yv, p in zip(y, cp)]
            hi = [max(0.0, float(p["speedup_max"]) - yv) for yv, p in zip(y, cp)]
            bad = any(p["check"] != "OK" for p in cp)
            ax.errorbar(x, y, yerr=[lo, hi], marker="o", capsize=3, color=COLORS[i % len(COLORS)],
                        label=cfg + (" (CHECK FAILED)" if bad else ""))
        ax.set_xticks(all_nodes)
        ax.set_xlabel("nodes")
        ax.set_ylabel("speedup over %d node%s (median; bars: min..max)" % (n0, "s" * (n0 > 1)))
        ax.set_title("%s (%s input, %s threads)" % (wl, inp, threads), fontsize=10)
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        files.append(_save(fig, plt, out, "speedup-%s.png" % _tag(wl, inp, threads)))
    return files


def _median_run_doc(runs, p, outdir):
    """The --stats JSON of the point's median-time run."""
    mine = sorted((r for r in runs if all(r[k] == p[k] for k in
                                          ("workload", "input", "threads", "config", "nodes"))),
                  key=lambda r: float(r["wall_s"]))
    if not mine:
        return None
    r = mine[(len(mine) - 1) // 2]
    return stats.load(os.path.join(outdir, r["stats_file"])) if r.get("stats_file") else None


def _largest(pts):
    """Per config, the point with the most nodes."""
    best = {}
    for p in pts:
        if p["config"] not in best or int(p["nodes"]) > int(best[p["config"]]["nodes"]):
            best[p["config"]] = p
    return [best[c] for c in sorted(best)]


def breakdown(points, runs, outdir, out):
    plt = _plt()
    files = []
    for (wl, inp, threads), pts in sorted(_groups(points).items()):
        chosen = _largest(pts)
        docs = [(p, _median_run_doc(runs, p, outdir)) for p in chosen]
        fig, axes = plt.subplots(1, len(docs), figsize=(4.5 * len(docs), 5), squeeze=False)
        note = ""
        for ax, (p, doc) in zip(axes[0], docs):
            label = "%s, %s nodes" % (p["config"], p["nodes"])
            threads_rec = stats.thread_records(doc) if doc else None
            if threads_rec:
                _thread_bars(ax, threads_rec, label)
            else:
                note = "no per-thread times in this run's --stats"
                _node_bars(ax, stats.node_records(doc) if doc else [], label)
        fig.suptitle("%s (%s, %s threads): time breakdown%s" %
                     (wl, inp, threads, "\n(" + note + ")" if note else ""), fontsize=10)
        files.append(_save(fig, plt, out, "breakdown-%s.png" % _tag(wl, inp, threads)))
    return files


THREAD_PARTS = (("exec_s", COLORS[0], "execution"), ("fault_s", COLORS[1], "page fault"),
                ("syscall_s", COLORS[2], "syscall"), ("wait_s", COLORS[4], "futex wait"))


def _thread_bars(ax, recs, label):
    """DQEMU Fig. 8: each thread's time as execution / page fault / syscall
    / futex wait fractions (of their sum, about the thread's lifetime),
    with the lifetime in seconds above each bar."""
    recs = sorted(recs, key=lambda r: (r["node"] if r["node"] is not None else -1, r["tid"]))
    names = ["%s@%s" % (r["tid"], r["node"]) for r in recs]
    sums = [sum((r.get(f) or 0) for f, _, _ in THREAD_PARTS) for r in recs]
    bottom = [0.0] * len(recs)
    for field, color, text in THREAD_PARTS:
        if all(r.get(field) is None for r in recs):
            continue
        vals = [(r.get(field) or 0) / (t or 1) for r, t in zip(recs, sums)]
        ax.bar(names, vals, bottom=bottom, color=color, label=text)
        bottom = [b + v for b, v in zip(bottom, vals)]
    for i, t in enumerate(sums):
        ax.text(i, 1.01, "%.2g" % t, ha="center", va="bottom", fontsize=6, rotation=90)
    ax.set_ylim(0, 1.15)
    ax.set_ylabel("share of the thread's time (total s on top)")
    ax.set_xlabel("thread (tid@node)")
    ax.tick_params(axis="x", labelrotation=90, labelsize=7)
    ax.set_title(label, fontsize=9)
    # below the thread names: the bars fill the whole height
    ax.legend(fontsize=7, ncol=4, loc="upper center", bbox_to_anchor=(0.5, -0.42))


def _node_bars(ax, recs, label):
    """What --stats has per node: time waiting for remote pages (faults x
    mean latency, summed over the node's threads) on the left axis, system
    calls run on the node and delegated to the master on the right."""
    nodes = [str(r["node"]) for r in recs]
    x = list(range(len(recs)))
    fault_s = [r["fault_s"] for r in recs]
    if any(v is not None for v in fault_s):
        ax.bar([i - 0.2 for i in x], [v or 0 for v in fault_s], width=0.4, color=COLORS[1],
               label="page-fault wait (s)")
    else:
        ax.text(0.5, 0.6, "no fault times in --stats", transform=ax.transAxes, ha="center")
    ax.set_ylabel("page-fault wait, s (all threads of the node)")
    ax2 = ax.twinx()
    local = [r["syscalls"] or 0 for r in recs]
    deleg = [r["delegated"] or 0 for r in recs]
    ax2.bar([i + 0.2 for i in x], local, width=0.4, color=COLORS[2], alpha=0.7,
            label="syscalls run here")
    ax2.bar([i + 0.2 for i in x], deleg, width=0.4, bottom=local, color=COLORS[3], alpha=0.7,
            label="syscalls delegated")
    ax2.set_ylabel("system calls")
    ax.set_xticks(x)
    ax.set_xticklabels(nodes)
    ax.set_xlim(-0.8, len(x) - 0.2)
    ax.set_xlabel("node")
    ax.set_title(label, fontsize=9)
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, fontsize=7, loc="upper right")


def sharing(points, runs, outdir, out):
    plt = _plt()
    files = []
    for (wl, inp, threads), pts in sorted(_groups(points).items()):
        chosen = _largest(pts)
        docs = [(p, _median_run_doc(runs, p, outdir)) for p in chosen]
        events = [(p, stats.page_events(d), stats.events_dropped(d)) for p, d in docs if d]
        events = [(p, e, dr) for p, e, dr in events if e]
        if events:
            fig, axes = plt.subplots(1, len(events), figsize=(5 * len(events), 4), squeeze=False)
            for ax, (p, ev, dr) in zip(axes[0], events):
                _page_map(ax, ev, "%s, %s nodes" % (p["config"], p["nodes"]), dr)
            title = "%s (%s, %s threads): page faults by node over time" % (wl, inp, threads)
        else:
            fig, ax = plt.subplots(figsize=(6, 4))
            _node_map(ax, pts, runs, outdir)
            title = ("%s (%s, %s threads): remote faults per node\n(no per-page fault events: "
                     "run with -o stats.page_events=on)" % (wl, inp, threads))
        fig.suptitle(title, fontsize=10)
        files.append(_save(fig, plt, out, "sharing-%s.png" % _tag(wl, inp, threads)))
    return files


KIND_MARKERS = {"r": "o", "w": "x", "u": "^"}


def _page_map(ax, events, label, dropped=0):
    """x: time, y: page (the touched pages in address order, gaps removed),
    colour: the node that faulted, marker: the kind (read miss, write
    miss, upgrade)."""
    pages = sorted({e[2] for e in events})
    rank = {pg: i for i, pg in enumerate(pages)}
    nodes = sorted({e[1] for e in events})
    for i, n in enumerate(nodes):
        for kind, marker in KIND_MARKERS.items():
            ev = [e for e in events if e[1] == n and (len(e) < 4 or e[3] == kind)]
            if not ev:
                continue
            ax.scatter([e[0] / 1e3 for e in ev], [rank[e[2]] for e in ev], s=4, marker=marker,
                       linewidths=0.5, color=COLORS[i % len(COLORS)],
                       label="node %s %s" % (n, kind))
    ax.set_xlabel("time since the run started, ms (master's clock)")
    ax.set_ylabel("page (%d touched, address order)" % len(pages))
    ax.set_title(label + (" (%d events not kept: cap)" % dropped if dropped else ""), fontsize=9)
    ax.legend(fontsize=6, markerscale=2, ncol=2)


def _node_map(ax, pts, runs, outdir):
    """Heat map: rows are nodes, columns are points (config, node count),
    cells the median run's remote faults on that node."""
    cols = sorted(pts, key=lambda p: (p["config"], int(p["nodes"])))
    cols = [p for p in cols if int(p["nodes"]) > 1]
    maxn = max([int(p["nodes"]) for p in cols] or [1])
    grid = [[float("nan")] * len(cols) for _ in range(maxn)]
    have = False
    for j, p in enumerate(cols):
        doc = _median_run_doc(runs, p, outdir)
        for r in stats.node_records(doc) if doc else []:
            if r["faults"] is not None and r["node"] < maxn:
                grid[r["node"]][j] = r["faults"]
                have = True
    if not have:
        ax.text(0.5, 0.5, "no per-node fault counts in --stats", ha="center",
                transform=ax.transAxes)
        ax.set_axis_off()
        return
    im = ax.imshow(grid, aspect="auto", cmap="viridis", origin="lower")
    for i, row in enumerate(grid):
        for j, v in enumerate(row):
            if v == v:
                ax.text(j, i, "%d" % v, ha="center", va="center", fontsize=7, color="w")
    ax.set_xticks(range(len(cols)))
    ax.set_xticklabels(["%s\n%s nodes" % (p["config"], p["nodes"]) for p in cols], fontsize=7)
    ax.set_yticks(range(maxn))
    ax.set_ylabel("node")
    ax.figure.colorbar(im, ax=ax, label="remote page faults (read+write+upgrade)")


def _save(fig, plt, out, name):
    path = os.path.join(out, name)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def draw_all(points, runs, outdir):
    return (speedup(points, outdir) + breakdown(points, runs, outdir, outdir) +
            sharing(points, runs, outdir, outdir))
