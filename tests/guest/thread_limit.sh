#!/usr/bin/env bash
# A guest that creates threads until pthread_create refuses one gets
# EAGAIN, as from Linux (thread_limit.c), alone and on a cluster: shoal
# keeps room in the host's mapping limit for each thread's host stack
# (guest_mem.h, gs_thread_room) instead of failing inside. The expected
# lines are Linux's own: the program built for x86-64 prints them.
# Skipped (77) where the mapping limit is too high to reach in a test.
# usage: thread_limit.sh SHOAL PROGRAM NODES
set -u
shoal=$1 prog=$2 nodes=$3
max=$(cat /proc/sys/vm/max_map_count 2>/dev/null || echo 65530)
if [ "$max" -gt 150000 ]; then
    echo "SKIP: vm.max_map_count is $max; this test fills it"
    exit 77
fi
expect="stopped: Resource temporarily unavailable
all joined: yes"
args=()
if [ "$nodes" != 0 ]; then args=(-n "$nodes"); fi
got=$("$shoal" "${args[@]}" "$prog") || { echo "FAIL: shoal exited $?"; exit 1; }
echo "$got"
if [ "$got" != "$expect" ]; then
    printf 'FAIL: expected (Linux)\n%s\n' "$expect"
    exit 1
fi
