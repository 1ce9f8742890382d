#!/bin/sh
# guest-n{2,4}/async_adds: tests/guest/layout_publish_threads.c gives the
# reference's output with [dsm] async_adds on (the default: the mmaps,
# mprotects and brks that only add are not waited for, as --stats says),
# off (none is), on with direct transfer at 3 nodes and more (a page
# with the new address may reach a slave on another slave's link, ahead
# of the change: the node asks the master), and on with fault =
# mprotect. Then tests/guest/remap_race_threads.c, 16 times with fault =
# mprotect: a fault its handler thread read after an munmap asked for a
# page of the freed range, and the mmap not waited for then left the
# directory holding the node as the owner of a page it had forgotten
# (before master/dir_adding.c's answer, most runs hung at -n 2).
#   async_adds.sh SHOAL PROGRAM REF NODES RACE_PROGRAM RACE_REF
set -eu
shoal=$1 prog=$2 ref=$3 nodes=$4 race=$5 race_ref=$6
work=$(mktemp -d "${TMPDIR:-/tmp}/shoal-async-adds.XXXXXX")
trap 'rm -rf "$work"' EXIT
want=$(grep -v '^### status' "$ref")
run() { # NAME OPTIONS...
    name=$1
    shift
    out=$("$shoal" -n "$nodes" --stats "$work/$name.json" "$@" "$prog") || {
        echo "FAIL: $name: exit $?"; exit 1; }
    [ "$out" = "$want" ] || { echo "FAIL: $name: output:"; echo "$out"; exit 1; }
}
run on
run off -o dsm.async_adds=off
run mprotect -o dsm.fault=mprotect
direct=
if [ "$nodes" -ge 3 ]; then
    run direct -o dsm.direct_transfer=on
    direct=$work/direct.json
fi
python3 - "$work/on.json" "$work/off.json" "$work/mprotect.json" $direct <<'PY'
import json, sys
runs = [json.load(open(p))["layout_changes"] for p in sys.argv[1:]]
for name, r in zip(["on", "off", "mprotect", "direct"], runs):
    print(name, r)
on, off, mp = runs[:3]
ok = True
# 20 rounds each of mmap, mmap + mprotect, brk: 80 changes that only add
if not (on["async_adds"] and on["not_waited"] >= 80):
    print("FAIL: changes that only add were waited for"); ok = False
# a user's genuine SIGSEGV and EFAULT on a slave ask the master first
if on["syncs"] < 1:
    print("FAIL: no LayoutSync asked"); ok = False
if not (mp["async_adds"] and mp["not_waited"] >= 80 and mp["syncs"] >= 1):
    print("FAIL: with fault = mprotect, changes that only add were waited for"); ok = False
if off["async_adds"] or off["not_waited"] or off["syncs"]:
    print("FAIL: changes not waited for with the switch off"); ok = False
if len(runs) > 3 and not runs[3]["not_waited"] >= 80:
    print("FAIL: with direct transfer, changes that only add were waited for"); ok = False
sys.exit(0 if ok else 1)
PY
race_want=$(grep -v '^### status' "$race_ref")
i=0
while [ $i -lt 16 ]; do
    i=$((i + 1))
    out=$(timeout 60 "$shoal" -n "$nodes" -o dsm.fault=mprotect "$race") || {
        echo "FAIL: remap_race_threads run $i: exit $? (124: it hung)"; exit 1; }
    [ "$out" = "$race_want" ] || { echo "FAIL: remap_race_threads run $i: output:"; echo "$out"; exit 1; }
done
echo "remap_race_threads: 16 runs with fault = mprotect"
