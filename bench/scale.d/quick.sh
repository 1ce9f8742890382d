#!/bin/sh
# make bench's scaling sweep, a few minutes on a laptop: two bundled
# workloads (one that scales, one with neighbour sharing) and the pipeline
# (data moving between threads), on 1, 2 and 4 local nodes, over loopback
# and an emulated 1 GbE. Results (CSV, PNG) stay under BUILD/bench/scale/;
# a rerun only measures what is missing (bench/scale --force to redo).
# Page-fault events are logged (-o stats.page_events=on) for the sharing
# plots.
set -e
BUILD=${1:-build}
scale=$(dirname "$0")/../scale
status=0
for w in "blackscholes medium" "stencil medium" "pipeline small"; do
    set -- $w
    "$scale" --workload "$1" --input "$2" --threads 4 --nodes 1,2,4 --reps 3 \
        --config loopback --config gbe -o stats.page_events=on --build "$BUILD" || status=1
done
exit $status
