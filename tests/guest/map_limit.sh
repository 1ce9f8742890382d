#!/usr/bin/env bash
# A guest that maps pages until the host's mapping limit (vm.max_map_count)
# refuses one gets ENOMEM, as from Linux, and changes at the limit behave
# as Linux's do (map_limit.c), alone and on a cluster (both fault
# mechanisms): shoal keeps room for its own mappings (guest_mem.h,
# map_budget) instead of failing inside. qemu-aarch64 itself cannot run
# this program (GLib's allocation fails at the limit), so the expected
# lines are Linux's own: the program built for x86-64 prints them.
# Skipped (77) where the limit is too high to reach in a test.
# usage: map_limit.sh SHOAL PROGRAM NODES
set -u
shoal=$1 prog=$2 nodes=$3
max=$(cat /proc/sys/vm/max_map_count 2>/dev/null || echo 65530)
if [ "$max" -gt 150000 ]; then
    echo "SKIP: vm.max_map_count is $max; this test fills it"
    exit 77
fi
expect="limit reached: yes (Cannot allocate memory)
three pages where four went: ok
munmap of the middle: Cannot allocate memory
mmap over the middle: Cannot allocate memory
mprotect of the middle: Cannot allocate memory
still whole and writable: 1 2 3
munmap of all three: ok
after unmapping all: ok
wrote 7"
runs=("")
if [ "$nodes" != 0 ]; then runs=("-n $nodes" "-n $nodes -o dsm.fault=mprotect"); fi
for args in "${runs[@]}"; do
    # shellcheck disable=SC2086 # args is a list of options
    got=$("$shoal" $args "$prog") || { echo "FAIL: shoal $args exited $?"; exit 1; }
    echo "shoal $args:"
    echo "$got"
    if [ "$got" != "$expect" ]; then
        printf 'FAIL: expected (Linux)\n%s\n' "$expect"
        exit 1
    fi
done
