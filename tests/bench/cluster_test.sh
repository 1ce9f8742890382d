#!/bin/sh
# bench/cluster: bench/cluster/run.sh end to end at its quick sizes (one
# run per point): every micro-benchmark and latency row is in
# cluster.csv with a number, the summary names each goal, and cluster.png
# exists when matplotlib does; then bench/cluster/layout.sh on a few
# rounds: a row with a number for every panel and configuration, and
# layout.png. Figures are not judged here (they are this machine's;
# docs/bench.md). On a machine with one core the pinned scaling line must
# say it was not measured, and the busy-polled goal must not be judged.
#   cluster_test.sh BUILD_DIR
set -eu
build=$1
src=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/shoal-bench-cluster.XXXXXX")
trap 'rm -rf "$work"' EXIT
QUICK=1 REPS=1 OUT="$work" "$src/bench/cluster/run.sh" "$build" >"$work/run.out" 2>&1 ||
    { cat "$work/run.out"; echo "FAIL: bench/cluster/run.sh"; exit 1; }
for goal in "remote read fault (DSM p50" "emulated 1 GbE" "-n 1 vs plain" "cluster overhead on one core" \
    "2 pinned nodes vs 1 node on 1 core"; do
    grep -q -- "$goal" "$work/run.out" || { cat "$work/run.out"; echo "FAIL: no '$goal' line"; exit 1; }
done
if [ "$(nproc)" -lt 2 ]; then
    grep -q -- "2 pinned nodes vs 1 node on 1 core: not measured" "$work/run.out" &&
        grep -q -- "goal <= 1.5x: not judged: 1 core" "$work/run.out" ||
        { cat "$work/run.out"; echo "FAIL: one core here, but the summary judges what needs two"; exit 1; }
elif grep -q -- "not measured\|not judged" "$work/run.out"; then
    cat "$work/run.out"; echo "FAIL: $(nproc) cores here, but a goal was left unjudged"; exit 1
fi
python3 - "$work" <<'PY'
import csv, importlib.util, os, sys
w = sys.argv[1]
rows = list(csv.DictReader(open(os.path.join(w, "cluster.csv"))))
def has(bench, config_start, nodes=None):
    return any(r["bench"] == bench and r["config"].startswith(config_start)
               and (nodes is None or r["nodes"] == str(nodes)) for r in rows)
for n in (1, 2, 3, 4):
    assert has("pi_par", "120 threads", n), n
    assert has("mutex", "global lock", n) and has("mutex", "private locks", n), n
for r in rows:
    assert r["seconds"] or r["note"].endswith(" us"), r
    value = float(r["seconds"]) if r["seconds"] else float(r["note"].split()[0])
    assert value > 0, r
assert has("remote_fault", "DSM read miss p50 (owner master)")
assert has("net_pingpong", "16 B / 4 KiB TCP round trip")
if importlib.util.find_spec("matplotlib"):
    assert os.path.getsize(os.path.join(w, "cluster.png")) > 0
print(len(rows), "rows")
PY
QUICK=1 ROUNDS=20 NODES=2 OUT="$work" "$src/bench/cluster/layout.sh" "$build" >"$work/layout.out" 2>&1 ||
    { cat "$work/layout.out"; echo "FAIL: bench/cluster/layout.sh"; exit 1; }
python3 - "$work" <<'PY'
import csv, importlib.util, os, sys
w = sys.argv[1]
rows = list(csv.DictReader(open(os.path.join(w, "layout.csv"))))
want = {(c, n) for c, n in (("qemu-aarch64", "1"), ("shoal", "1"), ("async_adds=off", "2"),
                            ("async_adds=on", "2"))}
for who in ("main", "thread"):
    for what in ("keep", "cycle"):
        got = {(r["config"], r["nodes"]) for r in rows if r["who"] == who and r["what"] == what}
        assert got == want, (who, what, got)
for r in rows:
    assert float(r["us_per_round"]) > 0 and float(r["x_qemu"]) > 0, r
if importlib.util.find_spec("matplotlib"):
    assert os.path.getsize(os.path.join(w, "layout.png")) > 0
print(len(rows), "layout rows")
PY
echo "PASS: bench/cluster"
