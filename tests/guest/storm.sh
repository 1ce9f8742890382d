#!/usr/bin/env bash
# The emulator survives a storm program (syscall_storm.c: random system
# calls with random arguments; signal_storm.c: random signal traffic)
# run with 8 threads, alone and on a cluster (both fault mechanisms):
# the guest prints "survived" and exits 0, and shoal says no internal
# error. The calls' results are not compared (qemu-aarch64 itself fails
# on these programs). A cluster run takes CLUSTER_ITERATIONS per thread:
# its calls travel to the master. With EXIT_AT, seed 3 passes it on: one
# thread ends the run there while the others storm on.
# usage: storm.sh SHOAL PROGRAM ITERATIONS CLUSTER_ITERATIONS [EXIT_AT] NODES
set -u
shoal=$1 prog=$2 iterations=$3 cluster_iterations=$4
if [ $# = 6 ]; then exit_at=$5 nodes=$6; else exit_at="" nodes=$5; fi
runs=("")
if [ "$nodes" != 0 ]; then
    runs=("-n $nodes" "-n $nodes -o dsm.fault=mprotect")
    iterations=$cluster_iterations
fi
err=$(mktemp)
trap 'rm -f "$err"' EXIT
for args in "${runs[@]}"; do
    for seed in 1 2 3; do
        extra=()
        if [ "$seed" = 3 ] && [ -n "$exit_at" ]; then extra=("$exit_at"); fi
        # shellcheck disable=SC2086 # args is a list of options
        out=$("$shoal" $args "$prog" 8 "$seed" "$iterations" "${extra[@]}" 2> "$err")
        rc=$?
        if [ $rc != 0 ] || [ "$out" != survived ] || grep -q 'internal error' "$err"; then
            printf 'FAIL: shoal %s, seed %s: status %s, output %s\n' "$args" "$seed" "$rc" "$out"
            tail -n 20 "$err"
            exit 1
        fi
        echo "shoal $args, seed $seed${extra:+, exit at $exit_at}: survived"
    done
done
