#!/bin/sh
# guest-n{2,4}/futex_loan: [futex] local lends the words that the two
# workers of tests/guest/futex_loan_threads.c use alone to their node
# (node 1) and recalls them when the main thread (node 0) uses them: the
# loans and the node's own decisions are in --stats, and the output is
# the reference's with loans on and off.
#   futex_loan.sh SHOAL PROGRAM REF NODES
set -eu
shoal=$1 prog=$2 ref=$3 nodes=$4
work=$(mktemp -d "${TMPDIR:-/tmp}/shoal-futex-loan.XXXXXX")
trap 'rm -rf "$work"' EXIT
want=$(grep -v '^### status' "$ref")
for local in on off; do
    out=$("$shoal" -n "$nodes" --stats "$work/$local.json" -o futex.local=$local "$prog") || {
        echo "FAIL: futex.local=$local: exit $?"; exit 1; }
    [ "$out" = "$want" ] || { echo "FAIL: futex.local=$local: output:"; echo "$out"; exit 1; }
done
python3 - "$work/on.json" "$work/off.json" <<'PY'
import json, sys
on, off = (json.load(open(p)) for p in sys.argv[1:3])
loans, node1 = on["futex_loans"], on["nodes"][1]["futex_local"]
print("loans:", loans, "node 1:", node1)
ok = True
# the ping-pong alone is 6000 ops on node 1's words, after the first few
if not (loans["on"] and loans["lent"] >= 1 and node1["ops"] >= 1000):
    print("FAIL: no words lent to node 1, or its ops not decided there"); ok = False
# main's wake, waits and the recalls they make: at least phase 2's word
if loans["recalled"] < 1:
    print("FAIL: no loan recalled"); ok = False
if any(n["futex_local"]["ops"] for n in on["nodes"] if n["node"] != 1):
    print("FAIL: ops decided on a node that holds no loan"); ok = False
if off["futex_loans"]["on"] or off["futex_loans"]["lent"] or any(
        n["futex_local"]["ops"] for n in off["nodes"]):
    print("FAIL: loans with futex.local=off"); ok = False
sys.exit(0 if ok else 1)
PY
