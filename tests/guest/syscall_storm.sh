#!/usr/bin/env bash
# The emulator survives random system calls with random arguments from
# 8 threads (syscall_storm.c), alone and on a cluster (both fault
# mechanisms): the guest prints "survived" and exits 0, and shoal says
# no internal error. The calls' results are not compared (qemu-aarch64
# itself fails on this program).
# usage: syscall_storm.sh SHOAL PROGRAM NODES
set -u
shoal=$1 prog=$2 nodes=$3
runs=("")
if [ "$nodes" != 0 ]; then runs=("-n $nodes" "-n $nodes -o dsm.fault=mprotect"); fi
err=$(mktemp)
trap 'rm -f "$err"' EXIT
for args in "${runs[@]}"; do
    for seed in 1 2 3; do
        # shellcheck disable=SC2086 # args is a list of options
        out=$("$shoal" $args "$prog" 8 "$seed" 20000 2> "$err")
        rc=$?
        if [ $rc != 0 ] || [ "$out" != survived ] || grep -q 'internal error' "$err"; then
            printf 'FAIL: shoal %s, seed %s: status %s, output %s\n' "$args" "$seed" "$rc" "$out"
            tail -n 20 "$err"
            exit 1
        fi
        echo "shoal $args, seed $seed: survived"
    done
done
