#!/bin/sh
# Scale study (docs/scale.md): the bundled workloads on 1 node and on 8, 16
# and 32 nodes oversubscribed on this machine, with the master's CPU time
# and messages per page fault. Correctness first: every multi-node run's
# stdout must equal the one-node run's, else the point is marked FAIL and
# the script exits 1.
#
#   bench/scale.d/scale_study.sh [BUILD_DIR] [OUT.csv]
#   env: WORKLOADS="blackscholes ...", NODES="8 16 32", THREADS=32, INPUT=small
#
# The master is started as `shoal master` and the slaves as `shoal slave`
# by this script, so that the master's rusage (wait4: user + system CPU of
# the master process and nothing else) is its own. --stats gives faults
# and messages, and the guest threads' time summed over all threads
# (thread_times: executing, parked on faults, in syscalls, in futex waits).
set -eu
BUILD=${1:-build}
OUT=${2:-$BUILD/bench/scale-study.csv}
WORKLOADS=${WORKLOADS:-"blackscholes swaptions stencil pipeline streamcluster"}
NODES=${NODES:-"8 16 32"}
THREADS=${THREADS:-32}
INPUT=${INPUT:-small}
here=$(cd "$(dirname "$0")/../.." && pwd)
shoal=$(cd "$BUILD" && pwd)/shoal
work=$(mktemp -d "${TMPDIR:-/tmp}/shoal-scale.XXXXXX")
trap 'rm -rf "$work"' EXIT
bindir=$BUILD/bench/workloads
mkdir -p "$bindir" "$(dirname "$OUT")"
key=$work/key
head -c 32 /dev/urandom >"$key"
chmod 600 "$key"

# runs "$@" and prints "wall_s cpu_s" of that process alone (wait4)
measure() {
    python3 - "$@" <<'PY'
import os, sys, time
t0 = time.monotonic()
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
_, st, ru = os.wait4(pid, 0)
sys.stderr.write("%.3f %.3f\n" % (time.monotonic() - t0, ru.ru_utime + ru.ru_stime))
sys.exit(os.waitstatus_to_exitcode(st))
PY
}

# faults (all nodes), master messages (all, DSM only), the threads' summed
# exec/fault/syscall/wait seconds from a --stats file
stats_of() {
    python3 - "$1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
faults = sum(n["faults"][k] for n in d["nodes"] for k in ("read_miss", "write_miss", "upgrade"))
m = d["nodes"][0]["messages"]
allm = sum(m["sent"].values()) + sum(m["received"].values())
dsm = sum(v for side in m.values() for k, v in side.items() if k.startswith("page_"))
tt = [t for n in d["nodes"] for t in n.get("thread_times", [])]
times = ["%.3f" % sum(t[k] for t in tt) for k in ("exec_s", "fault_s", "syscall_s", "wait_s")]
print(faults, allm, dsm, "true" if d.get("stats_complete", True) else "false", *times)
PY
}

echo "workload,nodes,threads,input,wall_s,master_cpu_s,faults,master_msgs,master_dsm_msgs,msgs_per_fault,master_cpu_us_per_fault,threads_exec_s,threads_fault_s,threads_syscall_s,threads_wait_s,check" >"$OUT"
status=0
for w in $WORKLOADS; do
    bin=$bindir/$w
    if [ ! -x "$bin" ] || [ "$here/bench/workloads/$w.c" -nt "$bin" ]; then
        aarch64-linux-gnu-gcc -O2 -std=gnu11 -static -pthread -o "$bin" \
            "$here/bench/workloads/$w.c" -lm
    fi
    "$shoal" "$bin" "$THREADS" "$INPUT" >"$work/one.out"
    for n in $NODES; do
        port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
        i=1
        while [ "$i" -lt "$n" ]; do
            "$shoal" slave --once --connect "127.0.0.1:$port" --key-file "$key" \
                >/dev/null 2>"$work/slave$i.err" &
            i=$((i + 1))
        done
        check=OK
        measure "$shoal" master --listen "127.0.0.1:$port" --nodes "$n" --key-file "$key" \
            --join-timeout 120000 --stats "$work/stats.json" "$bin" "$THREADS" "$INPUT" \
            >"$work/n.out" 2>"$work/n.err" || check=FAIL
        wait
        cmp -s "$work/one.out" "$work/n.out" || check=FAIL
        times=$(tail -1 "$work/n.err")
        set -- $times $(stats_of "$work/stats.json" 2>/dev/null || echo 0 0 0 false 0 0 0 0)
        wall=$1 cpu=$2 faults=$3 msgs=$4 dsm=$5 texec=$7 tfault=$8 tsys=$9 twait=${10}
        [ "$6" = true ] || check=FAIL
        ratio=$(python3 -c "print('%.2f' % ($msgs / max($faults, 1)))")
        us=$(python3 -c "print('%.1f' % ($cpu * 1e6 / max($faults, 1)))")
        line="$w,$n,$THREADS,$INPUT,$wall,$cpu,$faults,$msgs,$dsm,$ratio,$us,$texec,$tfault,$tsys,$twait,$check"
        echo "$line" >>"$OUT"
        echo "$line"
        [ "$check" = OK ] || { status=1; tail -5 "$work/n.err" >&2; }
    done
done
exit $status
