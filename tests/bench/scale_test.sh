#!/bin/sh
# bench/scale end to end on a tiny sweep (stencil, small input, 1 and 2
# nodes, two configs, two runs per point): the CSV files hold every point
# with a median inside its min..max, a rerun measures nothing, --force
# measures again, every run's --stats has per-thread times (and, on 2
# nodes, page-fault events: -o stats.page_events=on), and the three plots
# are drawn (when matplotlib is there).
#
# usage: scale_test.sh SHOAL BUILD_DIR
set -u
shoal=$1 build=$2
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$(mktemp -d "${TMPDIR:-/tmp}/shoal-scale.XXXXXX") || exit 2
trap 'rm -rf "$out"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
scale() { "$root/bench/scale" --workload stencil --input small --threads 4 --reps 2 \
    --build "$build" --shoal "$shoal" --out "$out" -o stats.page_events=on "$@"; }

scale --nodes 1,2 --config loopback --config gbe >"$out/log1" 2>&1 || { cat "$out/log1"; fail "first sweep"; }
[ "$(grep -c '^stencil,' "$out/runs.csv")" -eq 8 ] || fail "runs.csv: want 8 runs"
[ "$(grep -c '^stencil,' "$out/points.csv")" -eq 4 ] || fail "points.csv: want 4 points"
/usr/bin/python3 - "$out/points.csv" <<'PY' || fail "points.csv values"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
for r in rows:
    lo, med, hi = float(r["min_s"]), float(r["median_s"]), float(r["max_s"])
    assert 0 < lo <= med <= hi, r
    assert r["check"] == "OK" and r["reps"] == "2", r
    if r["nodes"] == "1":
        assert float(r["speedup"]) == 1.0, r
    assert float(r["speedup_min"]) <= float(r["speedup"]) <= float(r["speedup_max"]), r
assert {r["config"] for r in rows} == {"loopback", "gbe"}
PY
/usr/bin/python3 - "$root/bench/lib" "$out"/stats/*.json <<'PY' || fail "--stats thread times / page events"
import sys
sys.path.insert(0, sys.argv[1])
from shoalbench import stats
for path in sys.argv[2:]:
    doc = stats.load(path)
    recs = stats.thread_records(doc)
    assert recs and all(r[k] is not None and r[k] >= 0 for r in recs for k in stats.THREAD_TIMES), path
    ev = stats.page_events(doc)
    assert ev is not None, path
    if isinstance(doc.get("nodes"), list):  # -n 2: faults on both nodes, all logged
        assert {r["node"] for r in recs} == {0, 1}, path
        assert {e[1] for e in ev} == {0, 1} and stats.events_dropped(doc) == 0, path
PY
grep -q 'ETA' "$out/log1" || fail "no progress lines"
grep -q 'speedup table' "$out/log1" || fail "no speedup table"

scale --nodes 1,2 --config loopback --config gbe >"$out/log2" 2>&1 || { cat "$out/log2"; fail "second sweep"; }
[ "$(grep -c 'already measured' "$out/log2")" -eq 4 ] || fail "rerun did not skip the 4 points"
[ "$(grep -c '^stencil,' "$out/runs.csv")" -eq 8 ] || fail "rerun added runs"

scale --nodes 2 --config gbe --force >"$out/log3" 2>&1 || { cat "$out/log3"; fail "--force"; }
[ "$(grep -c '^stencil,small,4,gbe,2,' "$out/runs.csv")" -eq 2 ] || fail "--force: want 2 fresh runs of the point"
[ "$(grep -c '^stencil,' "$out/runs.csv")" -eq 8 ] || fail "--force changed other points"

if /usr/bin/python3 -c 'import matplotlib' 2>/dev/null; then
    for f in speedup breakdown sharing; do
        png=$out/$f-stencil-small-t4.png
        [ -s "$png" ] || fail "no $png"
        head -c 8 "$png" | od -c | grep -q 'P   N   G' || fail "$png is not a PNG"
    done
else
    echo "note: python3-matplotlib missing, plots not checked"
fi
echo "PASS: bench/scale"
