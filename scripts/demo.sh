#!/bin/sh
# make demo: builds the bundled multi-threaded guest program for AArch64
# and runs it under shoal on one node and on a local 2-node cluster, next
# to qemu-aarch64 for comparison.
set -e
BUILD=${1:-build}
out=$BUILD/demo
mkdir -p "$out"
aarch64-linux-gnu-gcc -static -O2 -pthread -o "$out/pi_threads" bench/workloads/pi_threads.c
args="8 4000000"
ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f s", (b - a) / 1e9 }'; }

echo "== qemu-aarch64 $out/pi_threads $args"
t0=$(date +%s%N)
qemu-aarch64 "$out/pi_threads" $args
t1=$(date +%s%N)
echo "== shoal, one node"
"$BUILD/shoal" "$out/pi_threads" $args
t2=$(date +%s%N)
echo "== shoal -n 2: a local cluster of 2 nodes (threads placed round-robin)"
"$BUILD/shoal" -n 2 -v "$out/pi_threads" $args
t3=$(date +%s%N)
echo "== time: qemu-aarch64 $(ms "$t0" "$t1"), shoal $(ms "$t1" "$t2"), shoal -n 2 $(ms "$t2" "$t3")"
