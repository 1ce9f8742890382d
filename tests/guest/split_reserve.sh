#!/bin/sh
# guest-split/reserve: the shadow area is address space the guest cannot
# touch (tests/guest/split_reserve_threads.c on 4 nodes, dsm.split=on,
# threshold 1, grain 64, in both tiers). The program must find the range
# ("expect-reserved"), every attempt over it must fail cleanly, the
# slices' page must be detected and pages split (--stats), and the output
# is the reference (the same as qemu-aarch64's, where there is no such
# range).
#   split_reserve.sh SHOAL PROGRAM REF
set -eu
shoal=$1 prog=$2 ref=$3
work=$(mktemp -d "${TMPDIR:-/tmp}/shoal-split-reserve.XXXXXX")
trap 'rm -rf "$work"' EXIT
split="-o dsm.split=on -o dsm.split_threshold=1 -o dsm.split_grain=64"
expect=$(grep -v '^### status' "$ref")
for tier in "" --interp; do
    # shellcheck disable=SC2086
    out=$("$shoal" $tier -n 4 --stats "$work/s.json" $split "$prog" expect-reserved \
        2>"$work/err") || { echo "FAIL${tier:+ $tier}: exit $?"; cat "$work/err"; echo "$out"; exit 1; }
    [ "$out" = "$expect" ] || { echo "FAIL${tier:+ $tier}: output:"; echo "$out"; exit 1; }
    grep "reserved range: found" "$work/err" || { echo "FAIL: no reserved range"; exit 1; }
    region=$(sed -n 's/^region: //p' "$work/err")
    python3 - "$work/s.json" "$region" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
sp, fs = doc.get("split", {}), doc.get("false_sharing", {})
print("split:", sp, "detected:", fs.get("first_detected"), "region:", sys.argv[2])
# the slices' page was detected (hence split, or counted as not)
ok = sp.get("pages_split", 0) >= 1 and \
    int(sys.argv[2], 16) in [int(a, 16) for a in fs.get("first_detected", [])]
sys.exit(0 if ok else 1)
PY
done
