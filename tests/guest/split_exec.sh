#!/bin/sh
# guest-split/exec: execve after a page was split
# (tests/guest/split_exec_threads.c on 4 nodes, dsm.split=on, threshold
# 1, grain 64). The same run stopped before the exec splits the page
# (--stats: pages split, and still split or made whole when the main
# thread wrote the string); with the exec, the new image gets the string
# read from the split page and prints the reference output.
#   split_exec.sh SHOAL PROGRAM REF
set -eu
shoal=$1 prog=$2 ref=$3
work=$(mktemp -d "${TMPDIR:-/tmp}/shoal-split-exec.XXXXXX")
trap 'rm -rf "$work"' EXIT
split="-o dsm.split=on -o dsm.split_threshold=1 -o dsm.split_grain=64"
# shellcheck disable=SC2086
"$shoal" -n 4 --stats "$work/s.json" $split "$prog" noexec >/dev/null ||
    { echo "FAIL: noexec run: exit $?"; exit 1; }
python3 - "$work/s.json" <<'PY'
import json, sys
sp = json.load(open(sys.argv[1])).get("split", {})
print("split:", sp)
sys.exit(0 if sp.get("pages_split", 0) >= 1 else 1)
PY
expect=$(grep -v '^### status' "$ref")
# shellcheck disable=SC2086
out=$("$shoal" -n 4 $split "$prog") || { echo "FAIL: exit $?"; exit 1; }
[ "$out" = "$expect" ] || { echo "FAIL: output:"; echo "$out"; exit 1; }
