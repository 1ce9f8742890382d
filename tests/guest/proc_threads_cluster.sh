#!/usr/bin/env bash
# /proc shows the guest its own threads and no more (proc_threads.c raw):
# 4 listed (readdir and a one-entry getdents64 buffer), 4 in status's
# Threads: and stat's num_threads, none but ours, the program's comm,
# a child forked meanwhile sees itself alone, and stat's CPU times count
# every node's threads (as times() does; each worker's its own).
# NODES 0: a lone run (no cluster), else shoal -n NODES.
# usage: proc_threads_cluster.sh SHOAL PROGRAM NODES
set -u
shoal=$1 prog=$2 nodes=$3
if [ "$nodes" = 0 ]; then
    out=$("$shoal" "$prog" raw) || { echo "FAIL: shoal exited $?"; exit 1; }
else
    out=$("$shoal" -n "$nodes" "$prog" raw) || { echo "FAIL: shoal -n $nodes exited $?"; exit 1; }
fi
echo "$out"
expect="listed 4 small 4 status 4 stat 4 others 0 comm 1 forked 1 cpu 1 at 1 state RS psr 1"
if [ "$out" != "$expect" ]; then
    echo "FAIL: expected: $expect"
    exit 1
fi
