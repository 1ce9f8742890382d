#!/usr/bin/env bash
# The emulator survives a storm program (syscall_storm.c: random system
# calls with random arguments; signal_storm.c: random signal traffic)
# run with 8 threads, alone and on a cluster (both fault mechanisms):
# the guest prints "survived" and exits 0, and shoal says no internal
# error. The calls' results are not compared (qemu-aarch64 itself fails
# on these programs). A cluster run takes CLUSTER_ITERATIONS per thread:
# its calls travel to the master. With EXIT_AT, seed 3 passes it on: one
# thread ends the run there while the others storm on. With --outside,
# another process sends the run SIGURG, SIGWINCH and SIGCHLD (ignored by
# default, so whatever the guest's actions are they cannot end it) some
# 3000 times a second with a shell's kill: process-directed signals from
# outside that find the guest's threads blocking, waiting and moving.
# usage: storm.sh SHOAL [--outside] PROGRAM ITERATIONS CLUSTER_ITERATIONS [EXIT_AT] NODES
set -u
shoal=$1 outside=0
shift
if [ "$1" = --outside ]; then
    outside=1
    shift
fi
prog=$1 iterations=$2 cluster_iterations=$3
shift 3
if [ $# = 2 ]; then exit_at=$1 nodes=$2; else exit_at="" nodes=$1; fi
runs=("")
if [ "$nodes" != 0 ]; then
    runs=("-n $nodes" "-n $nodes -o dsm.fault=mprotect")
    iterations=$cluster_iterations
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
err=$work/err

# Sends the signals to PID until it has ended (a zombie, until this
# shell waits for it), pausing 100 us between sends (some 3000 a second
# here); prints how many it sent. Builtins only, so the first goes out
# at once.
send_outside() { # PID
    local pid=$1 sent=0 stat pause
    local sigs=(URG WINCH CHLD)
    exec {pause}<> <(:)
    while read -r stat 2>/dev/null <"/proc/$pid/stat"; do
        stat=${stat##*) }
        [ "${stat%% *}" = Z ] && break
        kill -s "${sigs[sent % 3]}" "$pid" 2>/dev/null || break
        sent=$((sent + 1))
        read -r -t 0.0001 -u "$pause"
    done
    exec {pause}>&-
    echo "$sent"
}

for args in "${runs[@]}"; do
    for seed in 1 2 3; do
        extra=()
        if [ "$seed" = 3 ] && [ -n "$exit_at" ]; then extra=("$exit_at"); fi
        # shellcheck disable=SC2086 # args is a list of options
        "$shoal" $args "$prog" 8 "$seed" "$iterations" "${extra[@]}" >"$work/out" 2>"$err" &
        pid=$!
        sent=""
        if [ $outside = 1 ]; then sent=$(send_outside $pid); fi
        wait $pid
        rc=$?
        out=$(cat "$work/out")
        if [ $rc != 0 ] || [ "$out" != survived ] || grep -q 'internal error' "$err"; then
            printf 'FAIL: shoal %s, seed %s: status %s, output %s\n' "$args" "$seed" "$rc" "$out"
            tail -n 20 "$err"
            exit 1
        fi
        echo "shoal $args, seed $seed${extra:+, exit at $exit_at}${sent:+, $sent signals from outside}: survived"
    done
done
