#!/bin/sh
# bench/split-hint: bench/split/run, bench/split/change and bench/hint/run
# end to end on tiny settings (2 nodes, 4 threads, one run each, raw and
# emulated 1 GbE network): every run passes its check,
# the CSV files have their rows, the PNGs exist when matplotlib does, and
# on both grouped workloads (each group on its own node shares nothing
# remote) hint placement takes at most half of round-robin's remote
# faults, and threads pinned to their group's CPUs fewer than it; a split
# page that turns truly shared is made whole again, and one kept split
# takes more remote faults than it.
#   split_hint_test.sh BUILD_DIR
set -eu
build=$1
src=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/shoal-split-hint.XXXXXX")
trap 'rm -rf "$work"' EXIT
"$src/bench/split/run" --build "$build" --nodes 2 --threads 4 --seconds 0.2 --reps 1 \
    --out "$work/split" || { echo "FAIL: bench/split/run"; exit 1; }
"$src/bench/split/change" --build "$build" --nodes 2 --sweeps 20 --reps 1 --network raw \
    --out "$work/change" || { echo "FAIL: bench/split/change"; exit 1; }
"$src/bench/hint/run" --build "$build" --nodes 2 --threads 4 --groups 2 --reps 1 --steps 30 \
    --out "$work/hint" || { echo "FAIL: bench/hint/run"; exit 1; }
python3 - "$work" <<'PY'
import csv, importlib.util, os, sys
w = sys.argv[1]
split = list(csv.DictReader(open(os.path.join(w, "split", "points.csv"))))
for net in ("raw", "gbe"):
    assert [p["case"] for p in split if p["network"] == net] == \
        ["shared/no-split", "shared/split", "spread/no-split"], split
assert all(float(p["throughput"]) > 0 for p in split), split
change = {r["case"]: r for r in csv.DictReader(open(os.path.join(w, "change", "change_runs.csv")))}
print(change)
assert list(change) == ["split/unsplit", "split/kept", "no-split"], change
assert int(change["split/unsplit"]["unsplit_shared"]) >= 1, change
assert int(change["split/kept"]["unsplit_shared"]) == 0, change
assert int(change["split/unsplit"]["resplit"]) >= 1, change
# kept split, every sweep takes a miss per grain (32 at 128 bytes) instead of one
assert float(change["split/kept"]["faults"]) > float(change["split/unsplit"]["faults"]), change
hint = list(csv.DictReader(open(os.path.join(w, "hint", "points.csv"))))
faults = {(p["workload"], p["input"], p["placement"]): float(p["faults"]) for p in hint}
print(faults)
for mode in ("stencil", "pipeline"):
    # the issue's goal: hint placement at least halves the remote faults
    # (0.25-0.33 of round-robin's in this small configuration)
    assert faults[("grouped", mode, "hint")] <= 0.5 * faults[("grouped", mode, "round-robin")], mode
    # threads that pin themselves to their group's CPUs move to its node
    assert faults[("grouped", mode, "pinned")] < faults[("grouped", mode, "round-robin")], mode
if importlib.util.find_spec("matplotlib"):
    for f in ("split/false_sharing.png", "change/change.png", "hint/remote_faults.png",
              "hint/breakdown-grouped-stencil.png", "hint/breakdown-grouped-pipeline.png"):
        assert os.path.getsize(os.path.join(w, f)) > 0, f
PY
