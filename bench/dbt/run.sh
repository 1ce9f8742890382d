#!/bin/sh
# Benchmarks of the execution tiers: for each kernel, the median of REPS
# runs natively (x86-64), under qemu-aarch64, under shoal (default tier)
# and under shoal --interp, with the ratios. Writes CSV to OUT.
#
#   bench/dbt/run.sh [--build DIR] [--full] [--reps N] [--qemu-reps N] [--no-interp] [--cpu-time] [--out FILE] [KERNEL...]
#
# --full uses the issue-4 sizes (1-3 s natively); the default quick sizes
# keep an interpreter run short. --no-interp skips the interpreter column
# (at --full sizes it would take minutes per kernel); its cells are 0.
# --cpu-time measures user + system CPU seconds instead of wall time: on a
# loaded machine wall time mostly measures the other load (the threaded
# kernels then count every thread's time). --qemu-reps runs qemu-aarch64
# fewer times than the others (its median of N): at --full sizes matmul
# alone takes 5 minutes a run under qemu, so `--full --qemu-reps 1` makes
# the whole table one command.
set -e
here=$(cd "$(dirname "$0")" && pwd)
build=build reps=3 qreps="" col=3 out="" interp=1 cpu=0
while [ $# -gt 0 ]; do
    case $1 in
    --build) build=$2; shift 2 ;;
    --full) col=4; shift ;;
    --reps) reps=$2; shift 2 ;;
    --qemu-reps) qreps=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --no-interp) interp=0; shift ;;
    --cpu-time) cpu=1; shift ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "unknown option $1" >&2; exit 2 ;;
    *) break ;;
    esac
done
only="$*"
shoal=$(cd "$build" && pwd)/shoal
bin=$build/bench/dbt
mkdir -p "$bin"
[ -n "$out" ] || out=$bin/results.csv

# Median wall time in seconds of running "$@" REPS times (stdout kept in $bin/last.out).
median() {
    i=0
    : >"$bin/times"
    while [ $i -lt "$reps" ]; do
        if [ "$cpu" = 1 ]; then
            /usr/bin/time -o "$bin/cpu" -f "%U %S" "$@" >"$bin/last.out" 2>"$bin/last.err" || { echo "FAILED: $*" >&2; cat "$bin/last.err" >&2; echo nan; return; }
            awk '{ printf "%d\n", ($1 + $2) * 1e6 }' "$bin/cpu" >>"$bin/times"
        else
            t0=$(date +%s%N)
            "$@" >"$bin/last.out" 2>"$bin/last.err" || { echo "FAILED: $*" >&2; cat "$bin/last.err" >&2; echo nan; return; }
            t1=$(date +%s%N)
            echo $(( (t1 - t0) / 1000 )) >>"$bin/times"
        fi
        i=$((i + 1))
    done
    sort -n "$bin/times" | awk '{a[NR]=$1} END {printf "%.4f\n", a[int((NR+1)/2)]/1e6}'
}

echo "kernel,arg,native_s,qemu_s,shoal_s,shoal_interp_s,shoal_vs_qemu,interp_vs_qemu,shoal_vs_native,guest_insns,interp_mips,same_output" >"$out"
grep -v '^#' "$here/kernels.txt" | while read -r name opt quick full _; do
    [ -z "$name" ] && continue
    if [ -n "$only" ] && ! echo " $only " | grep -q " $name "; then continue; fi
    arg=$quick
    [ "$col" = 4 ] && arg=$full
    src=$here/kernels/$name.c
    gcc -$opt -pthread -o "$bin/$name.x86" "$src" -lm
    aarch64-linux-gnu-gcc -$opt -static -pthread -o "$bin/$name.a64" "$src" -lm
    tn=$(median "$bin/$name.x86" "$arg"); cp "$bin/last.out" "$bin/$name.native.out"
    tq=$(reps=${qreps:-$reps} median qemu-aarch64 "$bin/$name.a64" "$arg"); cp "$bin/last.out" "$bin/$name.qemu.out"
    ts=$(median "$shoal" "$bin/$name.a64" "$arg"); cp "$bin/last.out" "$bin/$name.shoal.out"
    # --stats (guest instruction count) only where the CLI has it.
    if [ "$interp" = 0 ]; then
        ti=0
        cp "$bin/$name.shoal.out" "$bin/last.out"
    elif "$shoal" --help 2>&1 | grep -q -- --stats; then
        ti=$(median "$shoal" --interp --stats "$bin/$name.stats" "$bin/$name.a64" "$arg")
    else
        ti=$(median "$shoal" --interp "$bin/$name.a64" "$arg")
    fi
    same=yes
    cmp -s "$bin/$name.qemu.out" "$bin/$name.shoal.out" || same=no
    cmp -s "$bin/$name.qemu.out" "$bin/last.out" || same=no
    insns=$(sed -n 's/.*"guest_insns": *\([0-9]*\).*/\1/p' "$bin/$name.stats" 2>/dev/null | head -1)
    [ -n "$insns" ] || insns=0
    echo "$name,$arg,$tn,$tq,$ts,$ti,$insns,$same" | awk -F, '{
        sq = ($5 > 0) ? $4 / $5 : 0; iq = ($6 > 0) ? $4 / $6 : 0; sn = ($3 > 0) ? $5 / $3 : 0
        mips = ($6 > 0 && $7 > 0) ? $7 / $6 / 1e6 : 0
        printf "%s,%s,%s,%s,%s,%s,%.3f,%.3f,%.2f,%s,%.1f,%s\n", $1, $2, $3, $4, $5, $6, sq, iq, sn, $7, mips, $8 }' >>"$out"
    tail -1 "$out" >&2
done

# Human table: speed relative to qemu (>1 means shoal is faster).
awk -F, 'NR == 1 { next }
    { printf "%-13s native %7.3fs  qemu %7.3fs  shoal %7.3fs  interp %7.3fs  shoal/qemu speed %6.2fx  interp %6.2fx  vs native %5.2fx  %6.1f Minsn/s  output %s\n",
             $1, $3, $4, $5, $6, $7, $8, $9, $11, $12
      if ($7 > 0) { g += log($7); n++ }
      if ($9 > 0) { gn += log($9); nn++ } }
    END { if (n) printf "geometric mean speed vs qemu-aarch64 (shoal default tier): %.3fx over %d kernels\n", exp(g / n), n
          if (nn) printf "geometric mean slowdown vs native x86-64 (shoal default tier): %.3fx over %d kernels\n", exp(gn / nn), nn }' "$out"
echo "CSV: $out"
