#!/usr/bin/env bash
# Layout changes (bench/cluster/layout.c): an mmap of 64 KiB (LEN) and a
# first touch of each page, kept or unmapped again, by the main thread (node 0)
# or by a thread on node 1, under qemu-aarch64, one node, and clusters
# with [dsm] async_adds off and on. Prints CSV
# (bench,config,nodes,who,what,us_per_round,x_qemu), also written to
# OUT/layout.csv with a plot OUT/layout.png. Every point is the median of
# REPS runs (default 3).
#
# usage: bench/cluster/layout.sh [BUILD_DIR]    (default: build)
#   env: REPS, NODES ("2 4"), ROUNDS (2000), LEN (bytes per mmap, 65536),
#        QUICK=1 (REPS=1, 300 rounds),
#        OUT (default BUILD_DIR/bench/cluster)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
shoal=$build/shoal
reps=${REPS:-3}
nodes_list=${NODES:-"2 4"}
rounds=${ROUNDS:-2000}
len=${LEN:-65536}
if [ "${QUICK:-0}" = 1 ]; then
    reps=1 rounds=${ROUNDS:-300}
fi
cc=${GUEST_CC:-aarch64-linux-gnu-gcc}
qemu=${QEMU:-qemu-aarch64}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$cc" -O2 -static -pthread -o "$work/layout" "$here/layout.c"
out=${OUT:-$build/bench/cluster}
mkdir -p "$out"
csv=$out/layout.csv

# shellcheck source=../lib/median.sh
. "$here/../lib/median.sh"
# median us_per_round over $reps runs of the command
median_us() { median_field us_per_round "$reps" "$@"; }

echo "bench,config,nodes,who,what,us_per_round,x_qemu" | tee "$csv"
for who in main thread; do
    for what in keep cycle; do
        args=("$work/layout" "$rounds" "$who" "$what" "$len")
        q=$(median_us "$qemu" "${args[@]}")
        [ -n "$q" ] || { echo "layout: qemu-aarch64 gave no result" >&2; exit 1; }
        row() { # CONFIG NODES US
            local x
            x=$(echo "$3 / $q" | bc -l)
            printf 'layout,%s,%s,%s,%s,%s,%.2f\n' "$1" "$2" "$who" "$what" "$3" "$x" | tee -a "$csv"
        }
        row qemu-aarch64 1 "$q"
        row shoal 1 "$(median_us "$shoal" "${args[@]}")"
        for n in $nodes_list; do
            for a in off on; do
                us=$(median_us "$shoal" -n "$n" -o "dsm.async_adds=$a" "${args[@]}")
                [ -n "$us" ] || { echo "layout: -n $n async_adds=$a gave no result" >&2; exit 1; }
                row "async_adds=$a" "$n" "$us"
            done
        done
    done
done

# layout.png: one panel per (who, what), a bar per configuration
/usr/bin/python3 - "$csv" "$out/layout.png" <<'PY' || echo "no plot: python3-matplotlib missing"
import csv, sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
rows = list(csv.DictReader(open(sys.argv[1])))
panels = [(w, x) for w in ("main", "thread") for x in ("keep", "cycle")]
fig, axes = plt.subplots(1, 4, figsize=(16, 4.5), sharey=True)
for ax, (who, what) in zip(axes, panels):
    sel = [r for r in rows if r["who"] == who and r["what"] == what]
    names = [r["config"] if r["config"] in ("qemu-aarch64", "shoal") else
             "-n %s %s" % (r["nodes"], r["config"].split("=")[1]) for r in sel]
    vals = [float(r["us_per_round"]) for r in sel]
    ax.bar(range(len(vals)), vals, color=["grey", "tab:blue"] + ["tab:orange", "tab:green"] * 8)
    ax.set_xticks(range(len(vals)))
    ax.set_xticklabels(names, rotation=45, ha="right")
    ax.set_title("%s thread, %s" % ("node-0" if who == "main" else "node-1", what))
axes[0].set_ylabel("µs per mmap + touch of each page (+ munmap)")
fig.suptitle("Layout changes: async_adds off (orange) and on (green)")
fig.tight_layout()
fig.savefig(sys.argv[2], dpi=100)
PY
echo "layout: $csv and $out/layout.png"
