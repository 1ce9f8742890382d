#!/bin/sh
# make demo: one bundled workload (bench/workloads/blackscholes.c, option
# pricing) built for AArch64 and run under shoal on a local 2-node
# cluster, its one-line result, then a small sweep (1 and 2 nodes, three
# runs each) and its speedup table, with CSV and plots (docs/bench.md).
set -e
BUILD=${1:-build}
out=$BUILD/demo
mkdir -p "$out"
prog=$out/blackscholes
aarch64-linux-gnu-gcc -std=c11 -D_GNU_SOURCE -O2 -pthread -static -o "$prog" \
    bench/workloads/blackscholes.c -lm
args="4 medium"

echo "== shoal -n 2 $prog $args   (4 threads on a local cluster of 2 nodes)"
"$BUILD/shoal" -n 2 "$prog" $args | head -1
echo "== speedup over 1 node (bench/scale; results in $out/scale)"
bench/scale --workload blackscholes --input medium --threads 4 --nodes 1,2 --reps 3 \
    --build "$BUILD" --out "$out/scale" --force
