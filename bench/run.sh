#!/bin/sh
# make bench: the benchmark suites that exist so far.
set -e
BUILD=${1:-build}
"$(dirname "$0")/dbt/run.sh" --build "$BUILD"
# A short scaling sweep (docs/bench.md): CSV and PNG under $BUILD/bench/.
"$(dirname "$0")/scale.d/quick.sh" "$BUILD"
