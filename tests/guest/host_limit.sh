#!/usr/bin/env bash
# A guest that runs into one of the host's limits gets Linux's answer,
# alone and on a cluster: map_limit.c maps pages until the mapping limit
# (vm.max_map_count) refuses one, thread_limit.c creates threads until
# EAGAIN. shoal keeps room under that limit for its own mappings and its
# threads' host stacks (syscall/guest_mem.h, map_budget) instead of
# failing inside. qemu-aarch64 fails at the mapping limit itself, so the
# expected lines are Linux's own: each program built for x86-64 prints
# EXPECTED. Skipped (77) where the limit is too high to reach in a test.
# usage: host_limit.sh SHOAL PROGRAM EXPECTED FAULTS NODES
#   FAULTS: the fault mechanisms a cluster run is made with (uffd,mprotect)
set -u
shoal=$1 prog=$2 expected=$3 faults=$4 nodes=$5
max=$(cat /proc/sys/vm/max_map_count 2>/dev/null || echo 65530)
if [ "$max" -gt 150000 ]; then
    echo "SKIP: vm.max_map_count is $max; this test fills it"
    exit 77
fi
want=$(cat "$expected")
runs=("")
if [ "$nodes" != 0 ]; then
    runs=()
    for f in ${faults//,/ }; do runs+=("-n $nodes -o dsm.fault=$f"); done
fi
for args in "${runs[@]}"; do
    # shellcheck disable=SC2086 # args is a list of options
    got=$("$shoal" $args "$prog") || { echo "FAIL: shoal $args exited $?"; exit 1; }
    printf 'shoal %s:\n%s\n' "$args" "$got"
    if [ "$got" != "$want" ]; then
        printf 'FAIL: expected (Linux)\n%s\n' "$want"
        exit 1
    fi
done
