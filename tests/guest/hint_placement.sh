#!/bin/sh
# guest-n4/hint_placement: under sched.placement=hint the threads that
# tests/guest/hint_groups.c creates in 3 groups of 4 (each marked with
# SHOAL_HINT_NEXT_GROUP by the main thread on node 0) share a node per
# group, the groups sit on 3 different nodes, and the output is unchanged.
#   hint_placement.sh SHOAL PROGRAM REF
set -eu
shoal=$1 prog=$2 ref=$3
work=$(mktemp -d "${TMPDIR:-/tmp}/shoal-hint-placement.XXXXXX")
trap 'rm -rf "$work"' EXIT
out=$("$shoal" -n 4 --stats "$work/s.json" -o sched.placement=hint "$prog") || {
    echo "FAIL: exit $?"; exit 1; }
[ "$out" = "$(grep -v '^### status' "$ref")" ] || { echo "FAIL: output:"; echo "$out"; exit 1; }
PYTHONPATH="$(dirname "$0")" python3 - "$work/s.json" <<'PY'
import json, sys
from tid_order import by_creation
threads = json.load(open(sys.argv[1]))["threads"]
# the main thread first, then the workers in creation order, then one unmarked
nodes = [t["node"] for t in by_creation(threads)]
print("nodes in creation order:", nodes)
groups = [nodes[1 + 4 * g:5 + 4 * g] for g in range(3)]
ok = len(nodes) == 14 and all(len(set(g)) == 1 for g in groups) \
    and len({g[0] for g in groups}) == 3
sys.exit(0 if ok else 1)
PY
