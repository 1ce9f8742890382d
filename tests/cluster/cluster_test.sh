#!/usr/bin/env bash
# One cluster test case (tests/cluster/CMakeLists.txt).
# usage: cluster_test.sh CASE SHOAL GUEST_BIN_DIR
# Every case runs with its own TMPDIR and fails if a shoal-key-* directory
# is left in it. Waits are hang guards (generous), never the assertion.
set -u
case_name=$1 shoal=$2 bin=$3
ref=$(cd "$(dirname "$0")/../guest/ref" && pwd) # qemu-aarch64's outputs
work=$(mktemp -d "${TMPDIR:-/tmp}/shoal-ctest.XXXXXX")
export TMPDIR=$work
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
    rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; for f in "$work"/*.err "$work"/*.out; do [ -f "$f" ] && { echo "--- $f"; tail -20 "$f"; }; done; exit 1; }

no_key_left() {
    local left
    left=$(find "$work" -maxdepth 1 -name 'shoal-key-*' | head -1)
    [ -z "$left" ] || fail "key directory left behind: $left"
}

# waits up to $2 seconds for pid $1 to end; its status in $waited_status
wait_pid() {
    local pid=$1 limit=$2 i=0
    while kill -0 "$pid" 2>/dev/null; do
        sleep 0.1
        i=$((i + 1))
        [ "$i" -ge $((limit * 10)) ] && return 1
    done
    wait "$pid" 2>/dev/null
    waited_status=$?
    return 0
}

# The first (head) or last (tail) child of PID once it has exec'd (a
# cmdline), waiting up to 10 s; empty if none.
started_child() {
    local c=""
    for _ in $(seq 100); do
        c=$(pgrep -P "$1" | "$2" -1)
        [ -n "$c" ] && grep -q . /proc/"$c"/cmdline 2>/dev/null && break
        sleep 0.1
    done
    echo "$c"
}
# Runs shoal ARGS..., kills its first (head) or last (tail) slave with
# SIGKILL a second in, and checks that the run ends promptly, failing,
# with an error matching PATTERN (an extended regex).
kill_slave_midrun() { # head|tail PATTERN ARGS...
    local pick=$1 pattern=$2
    shift 2
    "$shoal" --peer-timeout 3000 "$@" >"$work/n.out" 2>"$work/n.err" &
    local p=$!
    pids+=("$p")
    local slave
    slave=$(started_child "$p" "$pick")
    [ -n "$slave" ] || fail "no slave process"
    sleep 1 # mid-run
    kill -9 "$slave"
    wait_pid "$p" 20 || fail "master still running 20 s after its slave died"
    [ "$waited_status" != 0 ] || fail "status 0 after a lost node"
    grep -Eq "$pattern" "$work/n.err" || fail "the error does not name the node"
}
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# the same stdout as a one-node run, status 0
same_as_one_node() {
    local nodes=$1; shift
    "$shoal" "$@" >"$work/one.out" 2>"$work/one.err" || fail "one-node run failed"
    "$shoal" -n "$nodes" "$@" >"$work/n.out" 2>"$work/n.err" || fail "-n $nodes run failed"
    cmp -s "$work/one.out" "$work/n.out" || { diff "$work/one.out" "$work/n.out"; fail "-n $nodes output differs"; }
    cat "$work/n.out"
}

# PROGRAM at -n 4 with a [dsm] switch on and off: each run's stdout is a
# one-node run's, and CHECKS (python asserts) hold of on and off, the
# SECTION of each run's --stats
# sleep_threads stopped from outside (PIDS...) for three times the
# silence timeout of 1 s, then continued
stop_for_3s() {
    kill -STOP "$@"
    sleep 3
    kill -CONT "$@"
}
# waits up to 20 s until a -v run has said that node N joined (a node
# stopped before that would be a join timeout, not what is tested)
wait_joined() { # N
    for _ in $(seq 200); do
        grep -q "node $1 joined" "$work/n.err" && return 0
        sleep 0.1
    done
    fail "node $1 did not join"
}
# the sleep_threads run P ends well after WHAT
slept_well() { # P WHAT
    wait_pid "$1" 60 || fail "hangs after $2"
    [ "$waited_status" = 0 ] || fail "status $waited_status: $(tail -3 "$work/n.err")"
    grep -q "slept 30 steps in 2 threads (1)" "$work/n.out" || fail "output: $(cat "$work/n.out")"
}
switch_on_off() { # KEY PROGRAM SECTION CHECKS
    "$shoal" "$2" >"$work/one.out" 2>"$work/one.err" || fail "one node"
    for sw in on off; do
        "$shoal" -n 4 -o "dsm.$1=$sw" --stats "$work/$sw.json" "$2" >"$work/$sw.out" 2>"$work/$sw.err" ||
            fail "-n 4 $1=$sw: status $?: $(tail -3 "$work/$sw.err")"
        cmp -s "$work/one.out" "$work/$sw.out" || fail "$1=$sw: output differs"
    done
    python3 - "$work/on.json" "$work/off.json" "$3" "$4" <<'PY' || fail "$3 in --stats"
import json, sys
on = json.load(open(sys.argv[1]))[sys.argv[3]]
off = json.load(open(sys.argv[2]))[sys.argv[3]]
print("on:", on, "off:", off)
exec(sys.argv[4])
PY
}

# a connection to the master's port is established (at least $2 of them)
established() {
    python3 - "$1" "${2:-1}" <<'PY'
import sys
port = "%04X" % int(sys.argv[1])
n = 0
for line in open("/proc/net/tcp").readlines()[1:]:
    f = line.split()
    if f[1].endswith(":" + port) and f[3] == "01":
        n += 1
sys.exit(0 if n >= int(sys.argv[2]) else 1)
PY
}

key_file() {
    head -c 32 /dev/urandom >"$1"
    chmod 600 "$1"
}

# a master (multi-host form) on a free port with key $1 running $2...
start_master() {
    local key=$1; shift
    port=$(free_port)
    "$shoal" master --listen "127.0.0.1:$port" --nodes 2 --key-file "$key" "$@" \
        >"$work/master.out" 2>"$work/master.err" &
    master_pid=$!
    pids+=("$master_pid")
}
start_slave() { # key, name
    "$shoal" slave --once --connect "127.0.0.1:$port" --key-file "$1" \
        >"$work/$2.out" 2>"$work/$2.err" &
    slave_pid=$!
    pids+=("$slave_pid")
}

case $case_name in
llsc-n4 | llsc-n4-interp)
    extra=(); [ "$case_name" = llsc-n4-interp ] && extra=(--interp)
    "$shoal" -n 4 "${extra[@]}" "$bin/llsc_contend" 8 5000 >"$work/n.out" 2>"$work/n.err" ||
        fail "status $?"
    cat "$work/n.out"
    grep -qx exact "$work/n.out" || fail "counts not exact"
    ;;
aba-n2 | aba-n2-interp)
    extra=(); [ "$case_name" = aba-n2-interp ] && extra=(--interp)
    "$shoal" -n 2 "${extra[@]}" "$bin/llsc_aba" >"$work/n.out" 2>"$work/n.err" || fail "status $?"
    cat "$work/n.out"
    # the second thread runs on node 1: both store-exclusives must fail
    [ "$(grep -c 'stxr status 1' "$work/n.out")" = 2 ] || fail "a store-exclusive succeeded after A-B-A on another node"
    grep -qx 'x 0' "$work/n.out" || fail "memory changed by a failed store-exclusive"
    ;;
stress-n4-uffd | stress-n4-uffd-interp)
    extra=(); [ "$case_name" = stress-n4-uffd-interp ] && extra=(--interp)
    same_as_one_node 4 "${extra[@]}" "$bin/dsm_stress" 8 3000 7
    grep -q 'counters wrong 0, slots wrong 0, violations 0, balance kept' "$work/n.out" ||
        fail "invariant broken"
    ;;
stress-n4-direct | stress-n4-direct-interp)
    # direct owner->requester transfer (dsm/DESIGN.md): the same stress
    # with pages going slave to slave, and they really did
    extra=(); [ "$case_name" = stress-n4-direct-interp ] && extra=(--interp)
    same_as_one_node 4 "${extra[@]}" -o dsm.direct_transfer=on --stats "$work/stats.json" \
        "$bin/dsm_stress" 8 3000 7
    grep -q 'counters wrong 0, slots wrong 0, violations 0, balance kept' "$work/n.out" ||
        fail "invariant broken"
    python3 - "$work/stats.json" <<'PY' || fail "no page went slave to slave"
import json, sys
d = json.load(open(sys.argv[1]))["direct_transfer"]
assert d["on"] and d["fetches"] > 0, d
print("direct transfers", d["fetches"])
PY
    ! grep -q 'lost' "$work/n.err" || fail "a link reported lost at the end of the run"
    ;;
direct-master-slave)
    # multi-host form: slaves find each other through the master
    key_file "$work/k"
    port=$(free_port)
    "$shoal" master --listen "127.0.0.1:$port" --nodes 3 --key-file "$work/k" \
        -o dsm.direct_transfer=on --stats "$work/stats.json" "$bin/dsm_stress" 8 2000 5 \
        >"$work/master.out" 2>"$work/master.err" &
    master_pid=$!
    pids+=("$master_pid")
    start_slave "$work/k" s1
    start_slave "$work/k" s2
    wait_pid "$master_pid" 120 || fail "the run hangs"
    [ "$waited_status" = 0 ] || fail "run status $waited_status"
    grep -q 'counters wrong 0, slots wrong 0, violations 0, balance kept' "$work/master.out" ||
        fail "invariant broken"
    python3 - "$work/stats.json" <<'PY' || fail "no page went slave to slave"
import json, sys
d = json.load(open(sys.argv[1]))["direct_transfer"]
assert d["on"] and d["fetches"] > 0, d
PY
    ;;
kill-slave-direct)
    # a slave dies while slaves exchange pages: the run still ends naming it
    kill_slave_midrun tail 'node [12] lost' -n 3 -o dsm.direct_transfer=on "$bin/dsm_stress" 6 100000000
    ;;
link-lost-direct)
    # the link between the two slaves breaks mid-run (ss -K destroys one
    # end's socket): the run ends, naming both nodes
    command -v ss >/dev/null || { echo "SKIP: no ss (iproute2)"; exit 77; }
    "$shoal" -n 3 -o dsm.direct_transfer=on "$bin/dsm_stress" 6 100000000 \
        >"$work/n.out" 2>"$work/n.err" &
    p=$!
    pids+=("$p")
    link=""
    for _ in $(seq 100); do
        # the slave-to-slave link: a slave's socket to a port no master listens on
        for c in $(pgrep -P "$p"); do
            link=$(ss -tnpH state established | grep "pid=$c," |
                awk -v mp="$(ss -tlnpH | grep "pid=$p," | awk '{print $4}')" '$4 != mp {print $4}' | head -1)
            [ -n "$link" ] && break
        done
        [ -n "$link" ] && break
        sleep 0.1
    done
    [ -n "$link" ] || fail "no slave-to-slave link"
    sleep 1 # mid-run
    ss -K -tn dst "$link" | grep -q ESTAB || { echo "SKIP: ss -K cannot destroy sockets here"; exit 77; }
    wait_pid "$p" 20 || fail "run still going 20 s after the link broke"
    [ "$waited_status" != 0 ] || fail "status 0 after a lost link"
    grep -Eq 'node [12] lost its link to node [12]' "$work/n.err" || fail "the error does not name both nodes"
    ;;
stress-n4-mprotect | stress-n4-mprotect-interp)
    # the mprotect fallback (dsm/DESIGN.md, "Fault capture") over the whole
    # guest space: the same stress, the same checksum as one node
    extra=(); [ "$case_name" = stress-n4-mprotect-interp ] && extra=(--interp)
    same_as_one_node 4 "${extra[@]}" --fault-mech mprotect "$bin/dsm_stress" 8 3000 7
    ;;
mprotect-vmas)
    # more pages in alternating states than vm.max_map_count allows host
    # mappings: userfaultfd does not care; the mprotect fallback must end
    # the run with the reason, not hang (dsm/DESIGN.md, "Fault capture")
    max=$(cat /proc/sys/vm/max_map_count)
    [ "$max" -le 300000 ] || { echo "SKIP: vm.max_map_count is $max: too many pages to exceed"; exit 77; }
    pages=$((max + 4096))
    "$shoal" -n 2 "$bin/alternating_pages" "$pages" >"$work/u.out" 2>"$work/u.err" ||
        fail "userfaultfd run failed: $(tail -3 "$work/u.err")"
    grep -q "sum ok" "$work/u.out" || fail "userfaultfd run: wrong sum"
    "$shoal" -n 2 --fault-mech mprotect "$bin/alternating_pages" "$pages" >"$work/n.out" 2>"$work/n.err" &
    p=$!
    pids+=("$p")
    wait_pid "$p" 90 || fail "hangs past vm.max_map_count"
    [ "$waited_status" != 0 ] || fail "status 0 with $pages alternating pages"
    grep -q "max_map_count" "$work/n.err" || fail "no reason given: $(tail -3 "$work/n.err")"
    ;;
stop-continue)
    # a stop signal's default action stops the run, which survives a stop
    # longer than the silence timeout and goes on when continued (SIGCONT
    # to the master, as a shell's fg sends it)
    "$shoal" -n 2 -v -o network.peer_timeout_ms=1000 -o network.heartbeat_ms=200 \
        "$bin/sleep_threads" 30 times >"$work/n.out" 2>"$work/n.err" &
    p=$!
    pids+=("$p")
    sleep 1
    kill -TSTP "$p"
    stopped=0
    for _ in $(seq 50); do
        [ "$(ps -o stat= -p "$p" | cut -c1)" = T ] && { stopped=1; break; }
        sleep 0.1
    done
    [ "$stopped" = 1 ] || fail "SIGTSTP did not stop the run"
    sleep 3 # three times the silence timeout
    kill -CONT "$p"
    slept_well "$p" SIGCONT
    # both threads, the one on node 1 too, stood still while the run was
    # stopped: 3 s of sleeps took the 3 s of the stop more
    awk '/^thread [0-9]+: / { n++; if ($3 + 0 < 5.0) bad = bad " " $0 }
         END { exit !(n == 2 && bad == "") }' "$work/n.err" ||
        fail "a thread ran on while the run was stopped: $(grep '^thread' "$work/n.err")"
    ;;
stop-node)
    # a node stopped from outside (kill -STOP, as a debugger stops it)
    # for three times the silence timeout is waited for, not lost: first
    # the slave, then the master; the run completes
    "$shoal" -n 2 -v -o network.peer_timeout_ms=1000 -o network.heartbeat_ms=200 \
        "$bin/sleep_threads" 30 times >"$work/n.out" 2>"$work/n.err" &
    p=$!
    pids+=("$p")
    slave=
    for _ in $(seq 50); do
        slave=$(pgrep -P "$p" | head -1)
        [ -n "$slave" ] && break
        sleep 0.1
    done
    [ -n "$slave" ] || fail "no slave process"
    wait_joined 1
    sleep 0.5
    stop_for_3s "$slave"
    sleep 0.5
    stop_for_3s "$p"
    slept_well "$p" "the stops"
    grep -q "node 1 .* is stopped" "$work/n.err" || fail "no word of the stopped slave"
    grep -q "node 0 .* is stopped" "$work/n.err" || fail "no word of the stopped master"
    ;;
stop-slave-direct)
    # with [dsm] direct_transfer the slaves have links of their own: a
    # slave stopped from outside for three times the silence timeout is
    # waited for on those too (by the other slave), not lost
    "$shoal" -n 3 -v -o dsm.direct_transfer=on -o network.peer_timeout_ms=1000 \
        -o network.heartbeat_ms=200 "$bin/sleep_threads" 30 times >"$work/n.out" 2>"$work/n.err" &
    p=$!
    pids+=("$p")
    for _ in $(seq 50); do
        [ "$(pgrep -P "$p" | wc -l)" -ge 2 ] && break
        sleep 0.1
    done
    slave=$(pgrep -P "$p" | tail -1)
    [ -n "$slave" ] || fail "no slave process"
    wait_joined 2
    sleep 0.5
    stop_for_3s "$slave"
    slept_well "$p" "the stop"
    [ "$(grep -c "node [12] .* is stopped" "$work/n.err")" -ge 2 ] ||
        fail "the master and the other slave did not both wait: $(cat "$work/n.err")"
    ;;
first-touch)
    # [dsm] first_touch_ahead: first-touch write streams are claimed ahead
    # (most of the 3 x 2048 pages arrive without a fault), the output is
    # one node's; with the switch off nothing is claimed
    switch_on_off first_touch_ahead "$bin/first_touch_threads" first_touch_ahead '
assert on["on"] and on["claimed"] >= 2048, on
assert not off["on"] and off["claimed"] == 0, off'
    ;;
borrow-home)
    # [dsm] borrow_home: node 0's read-only copies serve as home copies
    # (thousands of marks, a copy of its own made whenever node 0's copy
    # changes), with the output of one node; with the switch off none
    # (6 rounds of 512 pages read by two other nodes after node 0 wrote them)
    switch_on_off borrow_home "$bin/borrowed_home_threads" home_copies '
assert on["borrow_home"] and on["borrows"] >= 2048 and on["copied_back"] >= 1024, on
assert not off["borrow_home"] and off["borrows"] == 0 and off["borrowed"] == 0, off
assert on["pages"] < off["pages"], (on, off)'
    ;;
push-runs)
    # [dsm] push_batch and push_tripwire: pages pushed ahead travel in runs
    # (fewer messages than pages); with push_tripwire a run's first page is
    # a tripwire that reports the walk's progress, with either fault
    # mechanism; by default no tripwire, and with push_batch 1 no run; the
    # output (every byte read is checked) is one node's each time
    "$shoal" "$bin/borrowed_home_threads" >"$work/one.out" 2>"$work/one.err" || fail "one node"
    for run in "trip -o dsm.push_tripwire=on" "mprotect -o dsm.push_tripwire=on -o dsm.fault=mprotect" \
        "def" "single -o dsm.push_batch=1"; do
        set -- $run
        name=$1
        shift
        "$shoal" -n 4 "$@" --stats "$work/$name.json" "$bin/borrowed_home_threads" \
            >"$work/$name.out" 2>"$work/$name.err" || fail "$name: status $?"
        cmp -s "$work/one.out" "$work/$name.out" || fail "$name: output differs"
    done
    python3 - "$work" <<'PY' || fail "runs and tripwires in --stats"
import json, sys
def load(name):
    d = json.load(open(sys.argv[1] + "/" + name + ".json"))
    return d["sent_ahead"], d["forwarding"], sum(n["pages"]["tripwires_reached"] for n in d["nodes"])
for name in ("trip", "mprotect"):
    a, f, t = load(name)
    print(name, a, f, t)
    assert a["push_batch"] == 16 and a["push_tripwire"], a
    assert 0 < a["messages"] < f["pushed"], (a, f)
    assert 0 < f["reached"] <= t, (f, t)
a, f, t = load("def")
assert not a["push_tripwire"], a
assert 0 < a["messages"] < f["pushed"] and f["reached"] == 0 and t == 0, (a, f, t)
a, f, t = load("single")
assert a["messages"] == 0 and f["pushed"] > 0 and f["reached"] == 0 and t == 0, (a, f, t)
PY
    # streams forwards, backwards (runs go up from their lowest page on
    # the wire) and with a stride (runs of pages apart), and pushed copies
    # invalidated by a rewrite: every byte checked, on 2 and 4 nodes, with
    # tripwires too
    "$shoal" "$bin/stream_walks_threads" >"$work/sw1.out" 2>"$work/sw1.err" || fail "streams: one node"
    for run in "2" "4" "2 -o dsm.push_tripwire=on"; do
        set -- $run
        nodes=$1
        shift
        "$shoal" -n "$nodes" "$@" --stats "$work/sw.json" "$bin/stream_walks_threads" \
            >"$work/sw.out" 2>"$work/sw.err" || fail "streams -n $run: status $?"
        cmp -s "$work/sw1.out" "$work/sw.out" || fail "streams -n $run: output differs"
        python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
a = d["sent_ahead"]
assert 0 < a["messages"] < d["forwarding"]["pushed"] and 0 < a["strided"] < a["messages"], a' \
            "$work/sw.json" || fail "streams -n $run: no runs, or no strided ones"
    done
    ;;
stats-n2)
    "$shoal" -n 2 -v -o network.latency_mode=added --stats "$work/stats.json" "$bin/dsm_stress" 4 2000 3 \
        >"$work/n.out" 2>"$work/n.err" || fail "status $?"
    # -v: the effective configuration, then a human summary per node
    grep -qx 'latency_mode = added' "$work/n.err" || fail "-v does not print the configuration"
    grep -q '^shoal: node 1: .* threads placed; faults [0-9]* read' "$work/n.err" ||
        fail "-v prints no summary of node 1"
    python3 - "$work/stats.json" <<'PY' || fail "stats file"
import json, sys
d = json.load(open(sys.argv[1]))
# the effective configuration: an override and a default
assert d["config"]["network"]["latency_mode"] == "added", d.get("config")
assert d["config"]["dsm"]["forward_window"] == 256, d["config"]["dsm"]
nodes = d["nodes"]
assert len(nodes) == 2, nodes
n1 = nodes[1]
assert n1["node"] == 1
f = n1["faults"]
assert f["read_miss"] + f["write_miss"] + f["upgrade"] > 0, f
assert n1["pages"]["received"] > 0, n1["pages"]
assert n1["messages"]["sent"]["page_request"] > 0, n1["messages"]
assert sum(n1["fault_latency_us"]["counts"]) > 0
assert n1["threads"] >= 1 and d["threads"]
assert any(t["node"] == 1 for t in d["threads"])
assert d["exit_status"] == 0
print("node 1 faults", f)
PY
    ;;
progress-n2)
    # [stats] progress_ms: a line on stderr every 100 ms with the threads
    # per node (node 0's gone once it ended), each node's CPU use and
    # guest instructions, the directory's traffic and rates; still there
    # after the guest closed its fd 2; stdout untouched
    "$shoal" -n 2 -o stats.progress_ms=100 "$bin/progress_phases" >"$work/n.out" 2>"$work/n.err" ||
        fail "status $?"
    [ "$(cat "$work/n.out")" = "$(printf 'joined\ndone')" ] || fail "stdout changed"
    line='^shoal: [0-9]+\.[0-9] s: [0-9]+ threads? \(by node: [0-9]+ [0-9]+\), cpu by node: ([0-9]+%|\?) ([0-9]+%|\?), guest MIPS by node: ([0-9]+\.[0-9]|\?) ([0-9]+\.[0-9]|\?), page requests [0-9]+/s \(read [0-9]+, write [0-9]+, upgrade [0-9]+\), invalidations [0-9]+/s, pushed [0-9]+/s, syscalls run on node 0 [0-9]+/s, delegated to it [0-9]+/s, master.s links out [0-9.]+ MB/s, in [0-9.]+ MB/s$'
    n=$(grep -cE "$line" "$work/n.err")
    [ "$n" -ge 8 ] || fail "$n progress lines, not 8 or more in 1.2 s"
    ! grep -vE "$line" "$work/n.err" | grep -q . || fail "other lines on stderr"
    grep -q ' 4 threads (by node: 2 2)' "$work/n.err" || fail "no line counts the 3 threads (2 and 2)"
    grep -q ' 1 thread (by node: 1 0)' "$work/n.err" || fail "node 0's thread still counted after it ended"
    grep -qE 'cpu by node: [0-9]+% [0-9]+%' "$work/n.err" || fail "no line with both nodes' CPU use"
    grep -qE 'guest MIPS by node: [1-9][0-9]*\.[0-9] [1-9][0-9]*\.[0-9],' "$work/n.err" ||
        fail "no line with guest instructions on both nodes"
    python3 - "$work/n.err" <<'PY' || fail "times do not grow"
import re, sys
t = [float(re.match(r"shoal: ([0-9.]+) s", l).group(1)) for l in open(sys.argv[1])]
assert all(a < b for a, b in zip(t, t[1:])), t
PY
    # a lone run's line
    "$shoal" -o stats.progress_ms=100 "$bin/progress_phases" >"$work/l.out" 2>"$work/l.err" ||
        fail "lone status $?"
    grep -qE '^shoal: [0-9.]+ s: 4 threads, [0-9]+\.[0-9] guest MIPS, [0-9]+ syscalls/s, [0-9]+ blocks translated/s$' "$work/l.err" ||
        fail "no lone progress line with 4 threads"
    grep -qE '^shoal: [0-9.]+ s: 4 threads, [1-9][0-9]*\.[0-9] guest MIPS, ' "$work/l.err" ||
        fail "no lone progress line with guest instructions run"
    grep -qE '^shoal: [0-9.]+ s: 1 thread, ' "$work/l.err" || fail "no lone line with 1 thread"
    # the reporter is no guest thread: the guest's signals never reach it
    for nodes in 1 2; do
        "$shoal" -n $nodes -o stats.progress_ms=1 "$bin/sig_rt" >"$work/s.out" 2>"$work/s.err" ||
            fail "sig_rt -n $nodes: status $?"
        sed '/^### status/d' "$ref/sig_rt.out" | diff -u - "$work/s.out" || fail "sig_rt -n $nodes: output"
    done
    # a program the guest runs does not report (its stderr may be a file of
    # the guest's); on 2 nodes, exec runs it on the master, alone
    for nodes in 1 2; do
        "$shoal" -n $nodes -o stats.progress_ms=100 "$bin/progress_phases" exec "$work/child.err" \
            >"$work/x.out" 2>"$work/x.err" || fail "exec -n $nodes: status $?"
        [ "$(cat "$work/x.out")" = "$(printf 'joined\ndone\nslept')" ] || fail "exec -n $nodes: stdout"
        [ ! -s "$work/child.err" ] || fail "exec -n $nodes: progress lines in the guest's file"
        grep -q '^shoal: ' "$work/x.err" || fail "exec -n $nodes: no progress before the exec"
    done
    ;;
cli-n2)
    # a cluster run takes the single-node options (-0, --execfn, -d, -D), and the
    # cluster flags are settings: -v and --stats show them, and they are
    # checked by the configuration's rules
    "$shoal" -n 2 -v --placement block --fault-mech mprotect --peer-timeout 20000 \
        --stats "$work/stats.json" -0 MYNAME --execfn /x/other -d in_asm -D "$work/log" \
        "$bin/args_env_auxv" x >"$work/n.out" 2>"$work/n.err" || fail "status $?"
    grep -qx 'argv\[0\] names this program: 0' "$work/n.out" || fail "-0 not applied"
    grep -qx 'AT_EXECFN names this program: 0' "$work/n.out" || fail "--execfn not applied"
    grep -qx 'placement = block' "$work/n.err" || fail "-v does not show --placement"
    grep -qx 'fault = mprotect' "$work/n.err" || fail "-v does not show --fault-mech"
    grep -q '^peer_timeout_ms = 20000' "$work/n.err" || fail "-v does not show --peer-timeout"
    grep -q '^shoal: info: node 1 joined: ' "$work/n.err" || fail "-v does not say who joined"
    ! grep -q ': debug: ' "$work/n.err" || fail "debug messages without -d cluster"
    # -d cluster: the nodes' events as they happen (a page split, made
    # whole for its pattern, split again: tests/guest/split_change_threads.c)
    "$shoal" -n 3 -d cluster -o dsm.split=on -o dsm.split_threshold=2 "$bin/split_change_threads" \
        >"$work/d.out" 2>"$work/d.err" || fail "-d cluster: status $?"
    for event in 'is falsely shared (2 conflicts)' 'split into 32 shadow pages' \
        'split no more: 8 writes in a row' 'whole again' 'is falsely shared (4 conflicts)'; do
        grep -q "^shoal: debug: dsm: page 0x[0-9a-f]* $event" "$work/d.err" ||
            fail "-d cluster does not log '$event': $(cat "$work/d.err")"
    done
    [ -s "$work/log" ] || fail "-D wrote no log"
    # --strace: each node prints the calls its threads make there and the
    # signals it delivers, the master the calls delegated to it, all with
    # the guest's pid: the worker thread's own on node 1 as alone
    "$shoal" --strace "$bin/timer_overrun_threads" >/dev/null 2>"$work/s1.err" ||
        fail "--strace alone: status $?"
    "$shoal" -n 2 --strace "$bin/timer_overrun_threads" >/dev/null 2>"$work/s2.err" ||
        fail "--strace -n 2: status $?"
    for call in clock_nanosleep timer_create timer_settime timer_delete; do
        n1=$(grep -c "^[0-9]* $call(" "$work/s1.err") n2=$(grep -c "^[0-9]* $call(" "$work/s2.err")
        [ "$n1" -gt 0 ] && [ "$n1" = "$n2" ] || fail "--strace: $call $n1 times alone, $n2 at -n 2"
    done
    grep -q '^[0-9]* --- SIGRT4 {si_signo=SIGRT4, si_code=SI_TIMER, ' "$work/s2.err" ||
        fail "--strace -n 2: no timer signal delivered on node 1"
    [ "$(sed -n 's/^\([0-9]*\) [a-z].*/\1/p' "$work/s2.err" | sort -u | wc -l)" = 1 ] ||
        fail "--strace -n 2: more than one pid"
    # a call the master leaves to the node (a signalfd read of the
    # thread's own signals) is printed once, with its result there; the
    # node's own question for sigpending is no call of the guest's
    for prog in signalfd_threads sigpending_threads; do
        "$shoal" --strace "$bin/$prog" >/dev/null 2>"$work/s1.err" ||
            fail "--strace $prog alone: status $?"
        "$shoal" -n 2 --strace "$bin/$prog" >/dev/null 2>"$work/s2.err" ||
            fail "--strace $prog -n 2: status $?"
        for call in read rt_sigpending rt_sigtimedwait; do
            n1=$(grep -c "^[0-9]* $call(" "$work/s1.err") n2=$(grep -c "^[0-9]* $call(" "$work/s2.err")
            [ "$n1" = "$n2" ] || fail "--strace $prog: $call $n1 times alone, $n2 at -n 2"
        done
        grep -q ' = -500[0-9]' "$work/s2.err" && fail "--strace $prog -n 2: an internal answer printed"
    done
    # the emulator's own output is no guest file: a program that sets
    # RLIMIT_FSIZE below the size of the --strace file (stderr here) gets
    # no SIGXFSZ for the lines written there (before, each delivery's line
    # made another SIGXFSZ, for ever); alone and with its thread on node 1
    for n in 1 2; do
        timeout 60 "$shoal" -n "$n" --strace "$bin/sigpipe_threads" >"$work/x.out" 2>"$work/x.err"
        st=$?
        [ "$st" = 141 ] || fail "--strace sigpipe_threads -n $n: status $st, not 141 (SIGPIPE)"
        grep -qx 'past RLIMIT_FSIZE: 16 written 1, then EFBIG 1, SIGXFSZ as it returned 1' \
            "$work/x.out" || fail "--strace sigpipe_threads -n $n: $(cat "$work/x.out")"
    done
    # and every slave logs its own translations next to it
    "$shoal" -n 3 -d in_asm -D "$work/tlog" "$bin/dsm_stress" 4 200 3 >"$work/t.out" 2>"$work/t.err" ||
        fail "-d on 3 nodes: status $?"
    for f in tlog tlog.node1 tlog.node2; do
        grep -q '^0x[0-9a-f]*:  [0-9a-f]\{8\}  ' "$work/$f" || fail "$f: no translated code"
    done
    python3 - "$work/stats.json" <<'PY' || fail "stats file"
import json, sys
c = json.load(open(sys.argv[1]))["config"]
assert c["sched"]["placement"] == "block", c["sched"]
assert c["dsm"]["fault"] == "mprotect", c["dsm"]
assert c["network"]["peer_timeout_ms"] == 20000, c["network"]
PY
    # one node records them too (they are settings, whatever the node count)
    "$shoal" -n 1 --placement block --fault-mech=mprotect --stats "$work/one.json" \
        "$bin/args_env_auxv" >"$work/one.out" 2>"$work/one.err" || fail "-n 1: status $?"
    python3 - "$work/one.json" <<'PY' || fail "-n 1 drops the cluster flags from --stats"
import json, sys
c = json.load(open(sys.argv[1]))["config"]
assert c["sched"]["placement"] == "block" and c["dsm"]["fault"] == "mprotect", c
PY
    # 0: no heartbeats, no peer timeout (docs/config.md)
    "$shoal" -n 2 -o network.heartbeat_ms=0 -o network.peer_timeout_ms=0 "$bin/args_env_auxv" \
        >"$work/z.out" 2>"$work/z.err" || fail "timeouts of 0: status $?"
    if "$shoal" -n 2 --peer-timeout 500 -o network.heartbeat_ms=1000 "$bin/args_env_auxv" \
        >"$work/e.out" 2>"$work/e.err"; then
        fail "a peer timeout shorter than two heartbeats was taken"
    fi
    grep -q 'peer_timeout_ms = 500 is too short' "$work/e.err" || fail "no reason given"
    ;;
clock-offset)
    # a slave whose clocks are a day (CLOCK_MONOTONIC) and two days
    # (CLOCK_BOOTTIME) ahead, as on another host: in its own time namespace.
    # The guest must still read one clock: the program's own checks, as
    # under qemu-aarch64
    unshare --time --fork --monotonic 86400 --boottime 172800 true 2>/dev/null ||
        { echo "SKIP: no time namespace here (unshare --time needs Linux 5.6 and root)"; exit 77; }
    key_file "$work/k"
    port=$(free_port)
    unshare --time --fork --monotonic 86400 --boottime 172800 \
        "$shoal" slave --once --connect "127.0.0.1:$port" --key-file "$work/k" \
        >"$work/s1.out" 2>"$work/s1.err" &
    pids+=("$!")
    "$shoal" master -v --listen "127.0.0.1:$port" --nodes 2 --key-file "$work/k" \
        "$bin/clock_threads" >"$work/master.out" 2>"$work/master.err" &
    master_pid=$!
    pids+=("$master_pid")
    wait_pid "$master_pid" 90 || fail "the run hangs"
    [ "$waited_status" = 0 ] || fail "run status $waited_status"
    grep -q "node 1's clocks: the master's CLOCK_MONOTONIC is its own -86400.000000 s, CLOCK_BOOTTIME -172800.000000 s (exact" \
        "$work/master.err" || fail "the offsets were not measured"
    sed '/^### status/d' "$ref/clock_threads.out" | diff -u - "$work/master.out" ||
        fail "the guest's clocks differ between nodes"
    ;;
cpu-limit-n3)
    # a CPU limit the run was started with (ulimit -t) counts every
    # node's threads, as it counts every thread of one process: three
    # burners, most of them on slaves, get SIGXCPU at a 1 s soft limit of
    # the program's time, and die of it (before, the master's host process
    # alone counted, and SIGXCPU came at several seconds of program time);
    # the slaves, started under the same limit, do not end on their own
    ( ulimit -St 1 && exec timeout 60 "$shoal" -n 3 "$bin/rlimit_cpu_threads" inherited ) \
        >"$work/out" 2>"$work/err"
    st=$?
    [ "$st" = 152 ] || fail "status $st, not 152 (SIGXCPU): $(cat "$work/err")"
    grep -qx 'inherited soft 1' "$work/out" || fail "the limit seen: $(cat "$work/out")"
    grep -qx 'SIGXCPU: CPU time in \[0.5, 2) s yes' "$work/out" || fail "$(cat "$work/out")"
    ;;
cpu-pin-n2)
    # one machine's CPUs (syscall/cpu_map.h): node k's are [k*H, (k+1)*H)
    # with H this host's online CPUs; a thread runs on its own node's
    # CPUs whatever its mask, and one pinned to a CPU of its node runs on
    # that CPU (getcpu: the CPU in the guest's numbering, the node as its
    # NUMA node)
    h=$(getconf _NPROCESSORS_ONLN)
    "$shoal" -n 2 "$bin/cpu_pin_report" >"$work/out" 2>"$work/err" || fail "run failed"
    [ "$(wc -l <"$work/out")" = $((2 * h)) ] || fail "expected $((2 * h)) threads: $(cat "$work/out")"
    while read -r cpu node where; do
        [ $((where / h)) = "$node" ] || fail "a thread of node $node ran on CPU $where"
        if [ $((cpu / h)) = "$node" ] && [ "$where" != "$cpu" ]; then
            fail "a thread of node $node pinned to CPU $cpu ran on CPU $where"
        fi
    done <"$work/out"
    cut -d' ' -f2 "$work/out" | sort -u | tr '\n' ' ' | grep -q '^0 1 $' ||
        fail "threads on both nodes expected: $(cat "$work/out")"
    ;;
migrate-n3)
    # threads that pin themselves to other nodes' CPUs move there
    # (master/thread_move.c): at -n 3 they move between node 0 and the
    # slaves and from slave to slave; each hop lands on the CPU named
    # (the program checks getcpu), and --stats counts the moves
    "$shoal" -n 3 --stats "$work/stats.json" "$bin/migrate_threads" >"$work/out" 2>"$work/err" ||
        fail "run failed: $(cat "$work/err")"
    [ "$(grep -c 'on each CPU it named 5/5, tls 1, altstack 1' "$work/out")" = 4 ] ||
        fail "a worker missed a CPU: $(cat "$work/out")"
    grep -q '^main: on the last CPU 1, back on CPU 0 1$' "$work/out" || fail "main: $(cat "$work/out")"
    moves=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["thread_moves"])' \
        "$work/stats.json") || fail "no thread_moves in --stats"
    [ "$moves" -ge 8 ] || fail "only $moves moves counted"
    # one entry per thread and node, however often it came and went
    python3 - "$work/stats.json" <<'PY' || fail "a thread listed twice on one node"
import collections, json, sys
d = json.load(open(sys.argv[1]))
seen = collections.Counter((t["tid"], t["node"]) for t in d["threads"])
assert max(seen.values()) == 1, [k for k, v in seen.items() if v > 1]
for n in d["nodes"]:
    c = collections.Counter(t["tid"] for t in n["thread_times"])
    assert max(c.values()) == 1, (n["node"], [k for k, v in c.items() if v > 1])
assert len({t for t, _ in seen}) >= 21, len(seen)
PY
    ;;
refused-spawn)
    # a slave whose host refuses a thread (SHOAL_REFUSE_SPAWNS=N: its
    # first N starts fail, as when the host is out of threads or pids)
    # sends it back, and it runs on node 0: no run ends for it. New
    # threads (400 made and joined, the first 100 of node 1's refused)
    # and threads moving to another node (-n 3, two refusals a slave;
    # a refused move is tried again, so each still lands on every CPU
    # it names)
    SHOAL_REFUSE_SPAWNS=100 "$shoal" -n 2 "$bin/thread_churn" 100 >"$work/out" 2>"$work/err" ||
        fail "churn run failed: $(cat "$work/err")"
    grep -q '^joined 400 threads$' "$work/out" || fail "threads lost: $(cat "$work/out")"
    [ "$(grep -c 'node 1: cannot start thread .*: it runs on node 0' "$work/err")" = 100 ] ||
        fail "not 100 refusals: $(head -5 "$work/err")"
    SHOAL_REFUSE_SPAWNS=2 "$shoal" -n 3 --stats "$work/stats.json" "$bin/migrate_threads" \
        >"$work/out" 2>"$work/err" || fail "migrate run failed: $(cat "$work/err")"
    [ "$(grep -c 'on each CPU it named 5/5, tls 1, altstack 1' "$work/out")" = 4 ] ||
        fail "a worker missed a CPU: $(cat "$work/out")"
    grep -q '^joined 4, counter 10000 (want 10000), cells 30000$' "$work/out" ||
        fail "workers: $(cat "$work/out")"
    for n in 1 2; do
        [ "$(grep -c "node $n: cannot start thread" "$work/err")" = 2 ] ||
            fail "node $n did not refuse 2: $(cat "$work/err")"
    done
    ! grep -q 'internal error' "$work/err" || fail "$(cat "$work/err")"
    ;;
thread-churn-n2)
    # 12,000 threads created and joined, half of them on node 1: the
    # master's memory stays flat over the second half, once the first
    # has warmed it up (it grew 1.4 MB there, about 240 bytes a thread: a
    # proxy left per remote thread, a --stats entry per thread without
    # --stats; now a few KiB)
    "$shoal" -n 2 "$bin/thread_churn" 3000 >"$work/out" 2>"$work/err" ||
        fail "run failed: $(cat "$work/err")"
    grep -q '^joined 12000 threads$' "$work/out" || fail "threads lost: $(cat "$work/out")"
    grown=$(awk '/^rss/ { v[n++] = $2 } END { if (n == 3) print v[2] - v[1] }' "$work/out")
    [ -n "$grown" ] || fail "no memory figures: $(cat "$work/out")"
    [ "$grown" -le 512 ] || fail "the master grew $grown KiB over 6,000 threads: $(cat "$work/out")"
    # --stats counts each thread's own instructions: the workers all ran
    # the same code, wherever they ran (a thread made on node 0 started
    # with its creator's count before: 2.39 billion instructions for 2,000
    # threads of 318 each)
    for nodes in 1 2; do
        "$shoal" -n $nodes --stats "$work/churn.json" "$bin/thread_churn" 200 >/dev/null 2>"$work/err" ||
            fail "-n $nodes --stats: $(cat "$work/err")"
        python3 - "$work/churn.json" <<'PY' || fail "-n $nodes: instruction counts wrong"
import json, sys
d = json.load(open(sys.argv[1]))
if isinstance(d["threads"], list):  # a cluster lists each thread
    counts = sorted(t["guest_insns"] for t in d["threads"])
    workers = counts[:-1]  # the largest is main's
    assert len(workers) == 800, len(workers)
    assert 0 < workers[-1] <= 2 * workers[0], (workers[0], workers[-1])
    assert d["guest_insns"] == sum(counts), (d["guest_insns"], sum(counts))
else:  # alone: the total, about 1.3 million (400 million before)
    assert 0 < d["guest_insns"] < 20_000_000, d["guest_insns"]
PY
    done
    ;;
slave-serves-runs)
    # shoal slave without --once: started before the master, it serves one
    # run after another (each in a fresh child) until it is stopped, and
    # stopping it leaves no child behind
    key_file "$work/k"
    port=$(free_port)
    "$shoal" slave --connect "127.0.0.1:$port" --key-file "$work/k" \
        >"$work/slave.out" 2>"$work/slave.err" &
    slave_pid=$!
    pids+=("$slave_pid")
    sleep 1
    for run in 1 2; do
        "$shoal" master --listen "127.0.0.1:$port" --nodes 2 --key-file "$work/k" \
            --stats "$work/stats$run.json" "$bin/llsc_contend" 2 $((run * 1000)) \
            >"$work/master$run.out" 2>"$work/master$run.err" &
        master_pid=$!
        pids+=("$master_pid")
        wait_pid "$master_pid" 90 || fail "run $run hangs"
        [ "$waited_status" = 0 ] || fail "run $run status $waited_status"
        grep -qx exact "$work/master$run.out" || fail "run $run output"
        python3 - "$work/stats$run.json" <<'PY' || fail "run $run: no thread on node 1"
import json, sys
d = json.load(open(sys.argv[1]))
assert any(t["node"] == 1 for t in d["threads"]), d["threads"]
PY
        kill -0 "$slave_pid" 2>/dev/null || fail "the slave ended after run $run"
    done
    # the slave's next child, waiting for a master
    for _ in $(seq 100); do
        pgrep -P "$slave_pid" >/dev/null && break
        sleep 0.1
    done
    pgrep -P "$slave_pid" >/dev/null || fail "the slave waits for no next run"
    kill "$slave_pid"
    wait_pid "$slave_pid" 10 || fail "the slave does not stop"
    for _ in $(seq 100); do
        pgrep -f "slave --connect 127.0.0.1:$port" >/dev/null || break
        sleep 0.1
    done
    ! pgrep -f "slave --connect 127.0.0.1:$port" >/dev/null || fail "a child of the stopped slave still runs"
    ;;
slave-no-program)
    # the slave needs no copy of the program (docs/cluster.md): the master
    # runs one from a directory that, in the slave's mount namespace, is an
    # empty tmpfs; a thread still runs on the slave, with a one-node result
    unshare -m true 2>/dev/null ||
        { echo "SKIP: no mount namespace here (unshare -m needs root)"; exit 77; }
    mkdir -m 700 "$work/private"
    cp "$bin/dsm_stress" "$work/private/prog"
    "$shoal" "$work/private/prog" 4 2000 3 >"$work/one.out" 2>"$work/one.err" || fail "one-node run failed"
    key_file "$work/k"
    port=$(free_port)
    # unshare -m makes the slave's mounts private: the tmpfs hides the
    # directory from it alone
    unshare -m sh -c 'mount -t tmpfs none "$1" || exit 98
        [ ! -e "$1/prog" ] || { echo "the program is still visible" >&2; exit 99; }
        shift; exec "$@"' sh "$work/private" \
        "$shoal" slave --once --connect "127.0.0.1:$port" --key-file "$work/k" \
        >"$work/s1.out" 2>"$work/s1.err" &
    slave_pid=$!
    pids+=("$slave_pid")
    "$shoal" master --listen "127.0.0.1:$port" --nodes 2 --key-file "$work/k" \
        --stats "$work/stats.json" "$work/private/prog" 4 2000 3 \
        >"$work/master.out" 2>"$work/master.err" &
    master_pid=$!
    pids+=("$master_pid")
    wait_pid "$master_pid" 90 || fail "the run hangs"
    [ "$waited_status" = 0 ] || fail "run status $waited_status"
    cmp -s "$work/one.out" "$work/master.out" || { diff "$work/one.out" "$work/master.out"; fail "output differs from one node's"; }
    grep -q 'counters wrong 0, slots wrong 0, violations 0, balance kept' "$work/master.out" ||
        fail "invariant broken"
    python3 - "$work/stats.json" <<'PY' || fail "no thread ran on the slave"
import json, sys
d = json.load(open(sys.argv[1]))
assert any(t["node"] == 1 for t in d["threads"]), d["threads"]
PY
    wait_pid "$slave_pid" 20 || fail "the slave still runs after the run"
    [ "$waited_status" = 0 ] || fail "slave status $waited_status"
    ;;
join-timeout)
    # --nodes 3 and a single slave: the master gives up after
    # --join-timeout (the default is 30 s, past the guard; 3.5 s, not
    # rounded to whole seconds), with a non-zero status and how many slaves
    # joined of how many, before the guest runs; the slave that did join
    # ends too
    key_file "$work/k"
    port=$(free_port)
    t0=$(date +%s%N)
    "$shoal" master --listen "127.0.0.1:$port" --nodes 3 --key-file "$work/k" --join-timeout 3500 \
        "$bin/llsc_contend" 2 1000 >"$work/master.out" 2>"$work/master.err" &
    master_pid=$!
    pids+=("$master_pid")
    start_slave "$work/k" s1
    wait_pid "$master_pid" 20 || fail "the master still waits for its slaves after 20 s"
    waited_ms=$((($(date +%s%N) - t0) / 1000000))
    [ "$waited_status" != 0 ] || fail "status 0 with a slave missing"
    grep -q 'only 1 of 2 slave nodes joined in time' "$work/master.err" ||
        fail "the error does not say how many slaves joined"
    [ ! -s "$work/master.out" ] || fail "the guest ran without all its nodes"
    # a lower bound only (load makes it longer): it did wait
    [ "$waited_ms" -ge 3500 ] || fail "gave up after $waited_ms ms, before the join timeout"
    wait_pid "$slave_pid" 20 || fail "the slave that joined still runs 20 s after its master ended"
    [ "$waited_status" != 0 ] || fail "slave status 0 for a run that never started"
    ;;
kill-slave)
    kill_slave_midrun head 'node 1 lost' -n 2 "$bin/dsm_stress" 4 100000000
    ;;
kill-master)
    key_file "$work/k"
    start_master "$work/k" "$bin/dsm_stress" 4 100000000
    start_slave "$work/k" s1
    for _ in $(seq 300); do established "$port" && break; sleep 0.1; done
    established "$port" || fail "the slave never connected"
    sleep 1 # mid-run
    kill -9 "$master_pid"
    wait_pid "$slave_pid" 20 || fail "slave still running 20 s after the master died"
    [ "$waited_status" != 0 ] || fail "slave status 0"
    grep -q 'lost the master' "$work/s1.err" || fail "the slave gives no reason"
    ;;
wrong-key)
    key_file "$work/k"
    key_file "$work/bad"
    start_master "$work/k" "$bin/llsc_contend" 2 1000
    start_slave "$work/bad" bad
    wait_pid "$slave_pid" 20 || fail "the wrong-key slave hangs"
    [ "$waited_status" != 0 ] || fail "the wrong-key slave reports success"
    start_slave "$work/k" good
    wait_pid "$master_pid" 60 || fail "the run hangs"
    [ "$waited_status" = 0 ] || fail "run status $waited_status"
    grep -qx exact "$work/master.out" || fail "run output"
    grep -qi 'key\|auth\|mac' "$work/master.err" || fail "the master logs no reason"
    ;;
garbage)
    key_file "$work/k"
    start_master "$work/k" "$bin/llsc_contend" 2 1000
    python3 - "$port" <<'PY' || fail "garbage sender"
import os, socket, sys, time
port = int(sys.argv[1])
for attempt in range(100):
    try:
        s = socket.create_connection(("127.0.0.1", port)); break
    except OSError:
        time.sleep(0.1)
s.sendall(os.urandom(3000))
s.settimeout(10)
try:
    while s.recv(4096): pass   # the master answers (an Error) and closes
except (ConnectionResetError, socket.timeout):
    pass
PY
    start_slave "$work/k" good
    wait_pid "$master_pid" 60 || fail "the run hangs"
    [ "$waited_status" = 0 ] || fail "run status $waited_status"
    grep -qx exact "$work/master.out" || fail "run output"
    grep -qi 'magic\|malformed\|protocol\|handshake' "$work/master.err" || fail "the master logs no reason"
    ;;
garbage-midrun)
    # connections that never authenticate, opened while a multi-host run
    # goes on (both slaves joined, their threads sleeping 8 s): random
    # bytes, silence, and a frame header announcing gigabytes. Each is
    # dropped with a logged reason while the run goes on (the silent ones
    # after the handshake timeout), and the run ends as it would without them
    key_file "$work/k"
    port=$(free_port)
    "$shoal" master --listen "127.0.0.1:$port" --nodes 3 --key-file "$work/k" \
        -o network.handshake_timeout_ms=2000 --stats "$work/stats.json" "$bin/sleep_threads" 80 \
        >"$work/master.out" 2>"$work/master.err" &
    master_pid=$!
    pids+=("$master_pid")
    start_slave "$work/k" s1
    s1=$slave_pid
    start_slave "$work/k" s2
    for _ in $(seq 300); do established "$port" 2 && break; sleep 0.1; done
    established "$port" 2 || fail "the slaves never connected"
    sleep 1 # mid-run
    n=20 # connections of each kind
    python3 - "$port" "$master_pid" "$n" >"$work/noise.out" <<'PY' || fail "noise: $(cat "$work/noise.out")"
# N connections of each kind at once, then waits for the master to close
# every one, noting whether it was still running then
import os, selectors, socket, struct, sys, time
port, master, n = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
MAGIC = struct.pack("<I", 0x4c4f4853)  # docs/protocol.md: the 16-byte header
def running():  # the master, not yet a zombie
    try:
        return open("/proc/%d/stat" % master).read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
sel = selectors.DefaultSelector()
for i in range(n):
    for kind in ("garbage", "silent", "huge"):
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        if kind == "garbage":
            data = os.urandom(16 + i * 150)
            s.sendall(b"x" + data if data[:4] == MAGIC else data)
        elif kind == "huge":  # a header of 4 GiB, or a payload of 4 GiB
            lens = (0xfffffff0, 0) if i % 2 else (64, 0xfffffff0)
            s.sendall(MAGIC + struct.pack("<III", lens[0], lens[1], 0))
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ, kind)
closed, late, left = {}, 0, 3 * n
deadline = time.time() + 60
while left and time.time() < deadline:
    for key, _ in sel.select(1):
        try:
            if key.fileobj.recv(65536):
                continue  # an Error frame before the close
        except BlockingIOError:
            continue
        except ConnectionResetError:
            pass
        sel.unregister(key.fileobj)
        key.fileobj.close()
        closed[key.data] = closed.get(key.data, 0) + 1
        late += not running()
        left -= 1
print("closed", closed, "still open", left, "closed after the run", late)
sys.exit(1 if left or late else 0)
PY
    wait_pid "$master_pid" 120 || fail "the run hangs"
    [ "$waited_status" = 0 ] || fail "run status $waited_status"
    grep -qx 'slept 80 steps in 2 threads (1)' "$work/master.out" || fail "run output"
    python3 - "$work/stats.json" <<'PY' || fail "a slave ran no thread"
import json, sys
d = json.load(open(sys.argv[1]))
assert {1, 2} <= {t["node"] for t in d["threads"]}, d["threads"]
PY
    # one reason per connection, by kind
    for why in 'bad magic' 'too large' 'not authenticated within 2000 ms'; do
        [ "$(grep -c "dropping unauthenticated peer .*$why" "$work/master.err")" -ge "$n" ] ||
            fail "the master logs no '$why' for each such connection"
    done
    ! grep -q 'lost' "$work/master.err" || fail "a node was lost"
    for p in "$s1" "$slave_pid"; do
        wait_pid "$p" 20 || fail "a slave still runs after the run"
        [ "$waited_status" = 0 ] || fail "slave status $waited_status"
    done
    ;;
other-version)
    key_file "$work/k"
    start_master "$work/k" "$bin/llsc_contend" 2 1000
    python3 - "$port" >"$work/v.out" <<'PY' || fail "other-version client"
# A Hello from a build that speaks protocol version 99 (docs/protocol.md:
# 16-byte header, then the Envelope; field 1 version, field 10 Hello).
import os, socket, struct, sys, time
port = int(sys.argv[1])
def varint(n):
    out = b""
    while True:
        b = n & 0x7f; n >>= 7
        out += bytes([b | (0x80 if n else 0)])
        if not n: return out
def field(num, wt, data):
    return varint(num << 3 | wt) + (varint(len(data)) + data if wt == 2 else varint(data))
def ask(version, build):
    hello = field(1, 2, build) + field(2, 0, 0xffffffff) + field(3, 2, os.urandom(32))
    env = field(1, 0, version) + field(10, 2, hello)
    frame = struct.pack("<IIII", 0x4c4f4853, len(env), 0, 0) + env
    for attempt in range(100):
        try:
            s = socket.create_connection(("127.0.0.1", port)); break
        except OSError:
            time.sleep(0.1)
    s.sendall(frame)
    s.settimeout(10)
    got = b""
    try:
        while True:
            d = s.recv(4096)
            if not d: break
            got += d
    except (ConnectionResetError, socket.timeout):
        pass
    return got
got = ask(99, b"shoal from the future")
print(got)
# then the master's own protocol version (its answer names it) from another
# build: refused too, naming both builds
import re
m = re.search(rb"this node speaks v(\d+)", got)
print(ask(int(m.group(1)), b"shoal 0.0.0 (calls 00000000)") if m else b"no version named")
PY
    grep -q 'version mismatch' "$work/v.out" || fail "no Error naming the versions came back"
    grep -q "build mismatch: peer is 'shoal 0.0.0 (calls 00000000)'" "$work/v.out" ||
        fail "another build of the same protocol version was not refused"
    start_slave "$work/k" good
    wait_pid "$master_pid" 60 || fail "the run hangs"
    [ "$waited_status" = 0 ] || fail "run status $waited_status"
    grep -qx exact "$work/master.out" || fail "run output"
    grep -qi 'version' "$work/master.err" || fail "the master logs no reason"
    grep -q 'build mismatch' "$work/master.err" || fail "the master logs no build mismatch"
    ;;
*) fail "unknown case $case_name" ;;
esac
no_key_left
echo "PASS: $case_name"
