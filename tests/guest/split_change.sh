#!/bin/sh
# guest-split/change: a split page whose access pattern turns to true
# sharing is made whole again (tests/guest/split_change_threads.c: four
# threads on 4 nodes hammer their own slices of one page, which is split,
# then sweep the whole page in strict turns, then hammer their slices
# again). With the default dsm.unsplit_threshold the master counts the
# sweeps' writes to grains another node wrote last ("foreign_writes"),
# unsplits the page ("unsplit_shared") and splits it again when the
# slices come back ("resplit"); with 0 the page stays split to the end.
# The output is the same either way.
#   split_change.sh SHOAL PROGRAM REF
set -eu
shoal=$1 prog=$2 ref=$3
work=$(mktemp -d "${TMPDIR:-/tmp}/shoal-split-change.XXXXXX")
trap 'rm -rf "$work"' EXIT
expect=$(grep -v '^### status' "$ref")
for after in default 0; do
    set -- -o dsm.split=on -o dsm.split_threshold=2 -o dsm.split_grain=128
    [ "$after" = default ] || set -- "$@" -o dsm.unsplit_threshold="$after"
    out=$("$shoal" -n 4 --stats "$work/$after.json" "$@" "$prog") || {
        echo "FAIL: exit $? with unsplit_threshold=$after"; exit 1; }
    [ "$out" = "$expect" ] || { echo "FAIL: output with unsplit_threshold=$after:"; echo "$out"; exit 1; }
done
python3 - "$work/default.json" "$work/0.json" <<'PY'
import json, sys
on = json.load(open(sys.argv[1]))["split"]
off = json.load(open(sys.argv[2]))["split"]
print("unsplit_threshold=8:", on)
print("unsplit_threshold=0:", off)
# the sweeps write every grain after another node: each such write counts,
# 8 in a row unsplit the page; the slices of phase 3 split it again
ok = on["pages_split"] >= 2 and on["unsplit_shared"] >= 1 \
    and on["foreign_writes"] >= 8 * on["unsplit_shared"] \
    and on["pages_unsplit"] >= on["unsplit_shared"]
if not ok:
    print("FAIL: the page was not split, or not made whole when its sweeps began")
    sys.exit(1)
if not 1 <= on["resplit"] <= on["unsplit_shared"] + on["abandoned"]:
    print("FAIL: the page was not split again when its slices came back")
    sys.exit(1)
# with 0 the same writes are counted and nothing is unsplit for them: the
# page is still split when the run ends
ok = off["pages_split"] >= 1 and off["unsplit_shared"] == 0 and off["foreign_writes"] >= 8 \
    and off["split_now"] >= 1 and off["resplit"] == 0
if not ok:
    print("FAIL: with unsplit_threshold=0 a page was unsplit for its pattern, or none stayed split")
    sys.exit(1)
PY
