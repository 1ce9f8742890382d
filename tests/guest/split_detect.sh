#!/bin/sh
# guest-split/detect: the master's false-sharing detector finds the page
# of tests/guest/false_sharing_threads.c (8 threads on 4 nodes, one
# 128-byte slice each) and counts it in --stats, the page is really split
# ("split" in --stats: pages split, guest instructions redirected) and
# made whole again where the program needs it (its LL/SC, CAS and pipe
# round trip through the slices), its shadow pages go at once to the
# nodes that last wrote their grains, and the program's output is unchanged;
# with dsm.split=off the detector does not run and nothing is split.
#   split_detect.sh SHOAL PROGRAM REF
set -eu
shoal=$1 prog=$2 ref=$3
work=$(mktemp -d "${TMPDIR:-/tmp}/shoal-split-detect.XXXXXX")
trap 'rm -rf "$work"' EXIT
expect=$(grep -v '^### status' "$ref")
for split in on off; do
    out=$("$shoal" -n 4 --stats "$work/$split.json" -o dsm.split=$split \
        -o dsm.split_threshold=2 -o dsm.split_grain=128 "$prog") || {
        echo "FAIL: exit $? with dsm.split=$split"; exit 1; }
    [ "$out" = "$expect" ] || { echo "FAIL: output with dsm.split=$split:"; echo "$out"; exit 1; }
done
python3 - "$work/on.json" "$work/off.json" <<'PY'
import json, sys
son = json.load(open(sys.argv[1]))
soff = json.load(open(sys.argv[2]))
on, off = son["false_sharing"], soff["false_sharing"]
print("split=on:", on, son.get("split"))
print("split=off:", off, soff.get("split"))
sp = son.get("split", {})
# a split may still be on its way to a node when the counters are read
# (the run's last writebacks): a node never counts more than the master
split_ok = sp.get("pages_split", 0) >= 1 and sp["pages_unsplit"] <= sp["pages_split"] \
    and sp["split_now"] == sp["pages_split"] - sp["pages_unsplit"] \
    and sp["node0"]["pages_split"] <= sp["pages_split"] \
    and all(n["split"]["pages_split"] <= sp["pages_split"] for n in son["nodes"]) \
    and sum(n["split"]["insns_redirected"] for n in son["nodes"]) >= 1
# the split's first owners: a page is split after conflicts of two nodes
# or more on disjoint grains, so each split gives at least two of its
# shadow pages at once (in M) to the nodes that last wrote their grains
split_ok = split_ok and sp["first_owned"] >= 2 * sp["pages_split"]
if not split_ok:
    print("FAIL: no page split, or split counts that do not add up")
    sys.exit(1)
if "split" in soff or any(n["split"]["pages_split"] for n in soff["nodes"]):
    print("FAIL: split object with dsm.split=off")
    sys.exit(1)
ok = on["on"] and on["detected"] >= 1 and on["conflicts"] >= on["detected"] * 2 \
    and on["writebacks_diffed"] > 0
ok = ok and not off["on"] and off["detected"] == 0 and off["writebacks_diffed"] == 0
first = on["first_detected"]  # where the false sharing is, as page addresses
ok = ok and 1 <= len(first) <= min(on["detected"], 16) and len(set(first)) == len(first) \
    and all(int(a, 16) % 4096 == 0 for a in first)
ok = ok and off["first_detected"] == []
sys.exit(0 if ok else 1)
PY
