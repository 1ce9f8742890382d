"""Reads shoal's --stats JSON (docs/cli.md) into flat per-node and per-thread
records for the CSV and the plots.

The reader takes what the JSON has and never invents the rest: a field
that is absent is None and the plots say so (docs/bench.md lists the fields
the harness wants from --stats and which ones exist today).
"""
import json

# Fault kinds of a node's "faults" object that sent a request to the
# directory (dedup and spurious ones waited for nothing new).
REMOTE_FAULTS = ("read_miss", "write_miss", "upgrade")


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def _node_list(doc):
    """The list of per-node objects, whatever the key it is under: any
    top-level list of objects that carry a "node" number."""
    for value in doc.values():
        if isinstance(value, list) and value and all(
                isinstance(v, dict) and "node" in v for v in value):
            return value
    return None


def _sum(obj):
    return sum(v for v in obj.values() if isinstance(v, (int, float))) if isinstance(obj, dict) else None


def node_records(doc):
    """One dict per node: faults, fault_s (time threads spent waiting for
    remote pages: count x mean latency, per kind), syscalls run on the node,
    syscalls delegated to the master, threads, guest instructions,
    invalidations and pages received. Single-node JSON (no per-node list)
    gives one record for node 0 with what it has."""
    nodes = _node_list(doc)
    if nodes is None:
        threads = doc.get("threads")
        return [{"node": 0, "faults": None, "fault_s": None, "syscalls": doc.get("syscalls"),
                 "delegated": None, "threads": threads if isinstance(threads, int) else None,
                 "guest_insns": doc.get("guest_insns"), "invalidations": None,
                 "pages_rx": None, "faults_by_kind": None}]
    out = []
    for n in sorted(nodes, key=lambda v: v["node"]):
        faults = n.get("faults") if isinstance(n.get("faults"), dict) else None
        mean = (n.get("fault_latency_us") or {}).get("mean_us") or {}
        fault_s = None
        if faults is not None and mean:
            fault_s = sum(faults.get(k, 0) * mean.get(k, 0.0) for k in REMOTE_FAULTS) / 1e6
        inv = n.get("invalidations") if isinstance(n.get("invalidations"), dict) else {}
        pages = n.get("pages") if isinstance(n.get("pages"), dict) else {}
        threads = n.get("threads")
        if isinstance(threads, list):
            threads = len(threads)
        out.append({
            "node": n["node"],
            "faults": sum(faults.get(k, 0) for k in REMOTE_FAULTS) if faults else None,
            "fault_s": fault_s,
            "syscalls": _sum(n.get("syscalls")),
            "delegated": _sum(n.get("delegated_syscalls")),
            "threads": threads,
            "guest_insns": n.get("guest_insns"),
            "invalidations": inv.get("received"),
            "pages_rx": pages.get("received"),
            "faults_by_kind": {k: faults.get(k, 0) for k in REMOTE_FAULTS} if faults else None,
        })
    return out


def _places(doc):
    """The document itself and each per-node object: single-node --stats
    has its fields at the top, a cluster's under each node."""
    return [doc] + (_node_list(doc) or [])


THREAD_TIMES = ("exec_s", "fault_s", "syscall_s", "wait_s")


def thread_records(doc):
    """Per-thread time breakdown, if the JSON has one: "thread_times" at
    the top (one node) or in each node's object (a cluster), merged; each
    {"tid", "node", "exec_s", "fault_s", "syscall_s", "wait_s"} (the field
    spec in docs/bench.md; a time the JSON lacks is None). None when
    --stats does not offer it."""
    out = []
    found = False
    for place in _places(doc):
        tt = place.get("thread_times") if isinstance(place, dict) else None
        if not isinstance(tt, list):
            continue
        found = True
        for v in tt:
            if isinstance(v, dict) and "tid" in v:
                rec = {"tid": v["tid"], "node": v.get("node", place.get("node"))}
                rec.update({k: v.get(k) for k in THREAD_TIMES})
                out.append(rec)
    return out if found else None


def page_events(doc):
    """Per-page fault events, if the JSON has them: "page_faults" at the
    top or in each node's object, with "events" as [time_us, node,
    page_number, kind] (docs/bench.md), merged in time order. None when
    --stats does not offer them."""
    events = None
    for place in _places(doc):
        pf = place.get("page_faults") if isinstance(place, dict) else None
        if isinstance(pf, dict) and isinstance(pf.get("events"), list):
            events = (events or []) + [tuple(e[:4]) for e in pf["events"]
                                       if isinstance(e, list) and len(e) >= 3]
    return sorted(events, key=lambda e: e[0]) if events is not None else None


def events_dropped(doc):
    """Page-fault events --stats counted but did not keep (the cap)."""
    n = 0
    for place in _places(doc):
        pf = place.get("page_faults") if isinstance(place, dict) else None
        if isinstance(pf, dict) and isinstance(pf.get("events_dropped"), int):
            n += pf["events_dropped"]
    return n


def totals(doc):
    """Whole-run numbers for the CSV: wall_s as shoal measured it, remote
    faults, fault time, syscalls, delegated syscalls (None where unknown)."""
    recs = node_records(doc)

    def total(key):
        vals = [r[key] for r in recs if r[key] is not None]
        return sum(vals) if vals else None
    return {"stats_wall_s": doc.get("wall_s"), "faults": total("faults"),
            "fault_s": total("fault_s"), "syscalls": total("syscalls"),
            "delegated": total("delegated"), "pages_rx": total("pages_rx")}
