#!/bin/sh
# guest-split/many: a program that splits more pages over its life than a
# fixed shadow area held (tests/guest/split_many_threads.c: 2 rounds of
# 400 falsely shared pages on 4 nodes, each round unmapped at its end).
# The shadow area grows as the splits use it ("chunks_added" in --stats),
# so more than the 256 splits the fixed area allowed are made, every slot
# is used once (slots_used == pages_split), and the output is unchanged.
#   split_many.sh SHOAL PROGRAM REF
set -eu
shoal=$1 prog=$2 ref=$3
work=$(mktemp -d "${TMPDIR:-/tmp}/shoal-split-many.XXXXXX")
trap 'rm -rf "$work"' EXIT
expect=$(grep -v '^### status' "$ref")
out=$("$shoal" -n 4 --stats "$work/s.json" -o dsm.split=on -o dsm.split_threshold=1 \
    -o dsm.split_grain=64 "$prog") || { echo "FAIL: exit $?"; exit 1; }
[ "$out" = "$expect" ] || { echo "FAIL: output:"; echo "$out"; exit 1; }
python3 - "$work/s.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
sp = doc["split"]
print("split:", sp)
ok = sp["pages_split"] > 256 and sp["chunks_added"] >= 1 \
    and sp["slots_used"] == sp["pages_split"] \
    and sp["pages_unsplit"] <= sp["pages_split"] \
    and all(n["split"]["pages_split"] <= sp["pages_split"] for n in doc["nodes"])
if not ok:
    print("FAIL: no more than 256 splits, or no growth of the shadow area")
sys.exit(0 if ok else 1)
PY
