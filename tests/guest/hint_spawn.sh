#!/bin/sh
# guest-n{2,4}/hint_spawn: under sched.placement=hint, the marks of
# tests/guest/hint_spawn_threads.c reach the master's placement from
# wherever they are made: the main thread's SHOAL_HINT_GROUP(0) keeps
# group 0 on node 0; a spawner thread running on a slave places its
# SHOAL_HINT_NEXT_GROUP workers by group, its mark is used by one clone
# only (the next, unmarked worker goes round-robin), and its
# SHOAL_HINT_GROUP(4) binds group 4 to its own node. The output is
# unchanged.
#   hint_spawn.sh SHOAL PROGRAM REF NODES
set -eu
shoal=$1 prog=$2 ref=$3 nodes=$4
work=$(mktemp -d "${TMPDIR:-/tmp}/shoal-hint-spawn.XXXXXX")
trap 'rm -rf "$work"' EXIT
out=$("$shoal" -n "$nodes" --stats "$work/s.json" -o sched.placement=hint "$prog") || {
    echo "FAIL: exit $?"; exit 1; }
[ "$out" = "$(grep -v '^### status' "$ref")" ] || { echo "FAIL: output:"; echo "$out"; exit 1; }
PYTHONPATH="$(dirname "$0")" python3 - "$work/s.json" "$nodes" <<'PY'
import json, sys
from tid_order import by_creation
threads = json.load(open(sys.argv[1]))["threads"]
n = int(sys.argv[2])
# threads in creation order: main, 2 workers of group 0,
# the spawner (group 1), then the spawner's: 2 of group 2, one unmarked,
# 2 of group 4 (which the spawner claimed first), 2 of group 3.
# sched/DESIGN.md, policy "hint": a new group goes to the node with the
# fewest groups, then the fewest live threads (every thread lives to the
# end), then the earliest of 1, 2, ..., N-1, 0; unmarked threads take that
# rotation with their own counter. The order makes each mark matter: a
# mark lost, a claim lost or a mark used twice moves some thread.
want = {
    # g0 claimed by node 0; g1 -> 1; g4 claimed by the spawner's node 1;
    # g2 -> 2; unmarked -> 1; g3 -> 3
    4: [0, 0, 0, 1, 2, 2, 1, 1, 1, 3, 3],
    # g0 claimed by node 0; g1 -> 1; g4 claimed by node 1; g2 -> 0;
    # unmarked -> 1; g3 -> 1 (two groups each, node 1 has fewer threads)
    2: [0, 0, 0, 1, 0, 0, 1, 1, 1, 1, 1],
}[n]
nodes = [t["node"] for t in by_creation(threads)]
print("nodes in creation order:", nodes, "want:", want)
sys.exit(0 if nodes == want else 1)
PY
