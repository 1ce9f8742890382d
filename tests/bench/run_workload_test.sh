#!/bin/sh
# One bundled workload (bench/workloads/) on its small input, under
# qemu-aarch64 (the reference), shoal, shoal -n 2 and shoal -n 4: every run
# must exit 0, pass its self-check and print exactly qemu's stdout. A run
# of qemu with one thread must print the same checksum (results must not
# depend on the thread count).
#
# usage: run_workload_test.sh QEMU SHOAL PROGRAM THREADS INPUT
set -u
qemu=$1 shoal=$2 prog=$3 threads=$4 input=$5
name=$(basename "$prog")
work=$(mktemp -d "${TMPDIR:-/tmp}/shoal-bench-$name.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT
status=0

run() { # LABEL CMD...: stdout to $work/LABEL.out, exit status checked
    label=$1; shift
    "$@" >"$work/$label.out" 2>"$work/$label.err"
    rc=$?
    if [ $rc -ne 0 ]; then
        echo "FAIL [$name $label]: exit status $rc"; cat "$work/$label.err"; status=1
    fi
    grep -q '^RESULT .* check=OK$' "$work/$label.out" ||
        { echo "FAIL [$name $label]: no RESULT line with check=OK"; cat "$work/$label.out"; status=1; }
}

run qemu "$qemu" "$prog" "$threads" "$input"
run shoal "$shoal" "$prog" "$threads" "$input"
run n2 "$shoal" -n 2 "$prog" "$threads" "$input"
run n4 "$shoal" -n 4 "$prog" "$threads" "$input"
for label in shoal n2 n4; do
    if ! cmp -s "$work/qemu.out" "$work/$label.out"; then
        echo "FAIL [$name $label]: stdout differs from qemu-aarch64's"
        diff "$work/qemu.out" "$work/$label.out"
        status=1
    fi
done
run qemu1 "$qemu" "$prog" 1 "$input"
sum() { sed -n 's/^RESULT .*checksum=\([0-9a-f]*\).*/\1/p' "$1"; }
if [ "$(sum "$work/qemu.out")" != "$(sum "$work/qemu1.out")" ]; then
    echo "FAIL [$name]: checksum with 1 thread $(sum "$work/qemu1.out"), with $threads $(sum "$work/qemu.out")"
    status=1
fi
[ $status -eq 0 ] && echo "PASS [$name]: $(sed -n '1p' "$work/qemu.out")"
exit $status
