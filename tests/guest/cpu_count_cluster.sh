#!/usr/bin/env bash
# A cluster run shows the guest every node's CPUs: each way of counting
# them (cpu_count.c raw) says NODES x this host's online CPUs, since
# every node of a local cluster runs on this host.
# usage: cpu_count_cluster.sh SHOAL PROGRAM NODES
set -u
shoal=$1 prog=$2 nodes=$3
per=$(getconf _NPROCESSORS_ONLN)
want=$((nodes * per))
out=$("$shoal" -n "$nodes" "$prog" raw) || { echo "FAIL: shoal -n $nodes exited $?"; exit 1; }
echo "$out"
expect="nprocs $want onln $want conf $want affinity $want cpuinfo $want online $want thread $want"
if [ "$out" != "$expect" ]; then
    echo "FAIL: expected: $expect"
    exit 1
fi
lone=$("$shoal" "$prog" raw) || exit 1
echo "lone: $lone"
case "$lone" in
    "nprocs $per onln $per "*) ;;
    *) echo "FAIL: a lone run should see this host's $per CPUs"; exit 1 ;;
esac
