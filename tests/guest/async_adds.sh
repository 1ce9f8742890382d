#!/bin/sh
# guest-n{2,4}/async_adds: tests/guest/layout_publish_threads.c gives the
# reference's output with [dsm] async_adds on (the mmaps, mprotects and
# brks that only add are not waited for, as --stats says), off (the
# default: none is), and on with direct transfer at 3 nodes and more (a page with the
# new address may reach a slave on another slave's link, ahead of the
# change: the node asks the master). With fault = mprotect none is.
#   async_adds.sh SHOAL PROGRAM REF NODES
set -eu
shoal=$1 prog=$2 ref=$3 nodes=$4
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
run on -o dsm.async_adds=on
run off
run mprotect -o dsm.async_adds=on -o dsm.fault=mprotect
direct=
if [ "$nodes" -ge 3 ]; then
    run direct -o dsm.async_adds=on -o dsm.direct_transfer=on
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
for name, r in (("off", off), ("mprotect", mp)):
    if r["async_adds"] or r["not_waited"] or r["syncs"]:
        print("FAIL: changes not waited for with", name); ok = False
if len(runs) > 3 and not runs[3]["not_waited"] >= 80:
    print("FAIL: with direct transfer, changes that only add were waited for"); ok = False
sys.exit(0 if ok else 1)
PY
