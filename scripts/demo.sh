#!/bin/sh
# make demo: builds the bundled multi-threaded guest program for AArch64
# and runs it under shoal, next to qemu-aarch64 for comparison.
set -e
BUILD=${1:-build}
out=$BUILD/demo
mkdir -p "$out"
aarch64-linux-gnu-gcc -static -O2 -pthread -o "$out/pi_threads" bench/workloads/pi_threads.c
args="4 400000"
echo "== $BUILD/shoal $out/pi_threads $args"
t0=$(date +%s%N)
"$BUILD/shoal" "$out/pi_threads" $args
t1=$(date +%s%N)
ref=$(qemu-aarch64 "$out/pi_threads" $args)
t2=$(date +%s%N)
echo "== qemu-aarch64 prints: $ref"
awk -v a="$t0" -v b="$t1" -v c="$t2" 'BEGIN { printf "== time: shoal %.2f s, qemu-aarch64 %.2f s\n", (b-a)/1e9, (c-b)/1e9 }'
