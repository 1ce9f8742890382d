#!/bin/sh
# Start-up of a static hello world: the median wall time of RUNS runs
# natively (x86-64), under qemu-aarch64, under shoal (default tier) and
# under shoal --interp, with the ratios against qemu. Writes CSV to OUT.
#
#   bench/dbt/startup.sh [--build DIR] [--runs N] [--out FILE]
#
# Each run is one process start to exit (loading, the first translations,
# exit); runs alternate between the emulators so that load on a shared
# machine falls on all of them alike.
set -e
here=$(cd "$(dirname "$0")" && pwd)
build=build runs=40 out=""
while [ $# -gt 0 ]; do
    case $1 in
    --build) build=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
shoal=$(cd "$build" && pwd)/shoal
bin=$build/bench/dbt
mkdir -p "$bin"
[ -n "$out" ] || out=$bin/startup.csv
gcc -O2 -o "$bin/hello.x86" "$here/startup/hello.c"
aarch64-linux-gnu-gcc -O2 -static -o "$bin/hello.a64" "$here/startup/hello.c"

# One run's wall time in microseconds; the output must be the greeting.
once() {
    t0=$(date +%s%N)
    o=$("$@") || { echo "FAILED: $*" >&2; exit 1; }
    t1=$(date +%s%N)
    [ "$o" = "hello, world" ] || { echo "wrong output from $*: $o" >&2; exit 1; }
    echo $(( (t1 - t0) / 1000 ))
}

: >"$bin/startup.times"
i=0
while [ $i -lt "$runs" ]; do
    echo "native $(once "$bin/hello.x86")" >>"$bin/startup.times"
    echo "qemu $(once qemu-aarch64 "$bin/hello.a64")" >>"$bin/startup.times"
    echo "shoal $(once "$shoal" "$bin/hello.a64")" >>"$bin/startup.times"
    echo "interp $(once "$shoal" --interp "$bin/hello.a64")" >>"$bin/startup.times"
    i=$((i + 1))
done

med() {
    awk -v k="$1" '$1 == k { print $2 }' "$bin/startup.times" | sort -n |
        awk '{ a[NR] = $1 } END { printf "%.3f\n", a[int((NR + 1) / 2)] / 1000 }'
}
tn=$(med native) tq=$(med qemu) ts=$(med shoal) ti=$(med interp)
echo "runs,native_ms,qemu_ms,shoal_ms,shoal_interp_ms,shoal_vs_qemu,interp_vs_qemu" >"$out"
echo "$runs,$tn,$tq,$ts,$ti" | awk -F, '{ printf "%s,%s,%s,%s,%s,%.3f,%.3f\n", $1, $2, $3, $4, $5, $3 / $4, $3 / $5 }' >>"$out"
awk -F, 'NR == 2 { printf "static hello, median of %d runs: native %.2f ms  qemu %.2f ms  shoal %.2f ms  interp %.2f ms  speed vs qemu: shoal %.2fx  interp %.2fx\n", $1, $2, $3, $4, $5, $6, $7 }' "$out"
echo "CSV: $out"
