#!/usr/bin/env bash
# One multi-host launch test case (tests/hosts/CMakeLists.txt).
# usage: hosts_test.sh CASE SHOAL GUEST_BIN_DIR
# "Hosts" here are processes on loopback with a launcher's environment
# faked, a fake ssh/scp that run the remote command locally, network
# namespaces joined by veth pairs on a bridge (skipped, status 77, when
# namespaces cannot be made), or ranks of the real launchers on this
# machine (skipped when they are missing). Waits are hang guards, never the
# assertion.
set -u
case_name=$1 shoal=$2 bin=$3
work=$(mktemp -d "${TMPDIR:-/tmp}/shoal-hosts.XXXXXX")
export TMPDIR=$work
pids=()
netns=()
sshd_lock=
cleanup() {
    for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
    # daemons (sshd, slurmctld, slurmd): asked to stop, then killed, so
    # that none outlives the test
    local f p i daemons=()
    for f in "$work"/ssh/sshd.pid "$work"/slurm/*.pid; do [ -f "$f" ] && daemons+=("$(cat "$f")"); done
    for p in "${daemons[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${daemons[@]}"; do
        i=0
        while running "$p" && [ "$i" -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
        kill -9 "$p" 2>/dev/null
    done
    [ -n "$sshd_lock" ] && release_run_sshd
    for n in "${netns[@]}"; do ip netns del "$n" 2>/dev/null; done
    rm -rf "$work"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*"
    for f in "$work"/*.err "$work"/*.out "$work"/*.log "$work"/ssh/sshd.log; do [ -f "$f" ] && { echo "--- $f"; tail -20 "$f"; }; done
    exit 1
}
skip() { echo "SKIP: $*"; exit 77; }

# the guest program of every case and what a one-node run prints
prog=("$bin/dsm_stress" 6 2000 5)
"$shoal" "${prog[@]}" >"$work/one.out" 2>"$work/one.err" || fail "one-node run failed"

key=$work/cluster.key
head -c 32 /dev/urandom >"$key"
chmod 600 "$key"

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# waits (hang guard: 120 s) for pid $1; its status in $waited_status
wait_pid() {
    local i=0
    while kill -0 "$1" 2>/dev/null; do
        sleep 0.1
        i=$((i + 1))
        [ "$i" -ge 1200 ] && return 1
    done
    wait "$1" 2>/dev/null
    waited_status=$?
}

# rank 0's stdout matches the one-node run; every rank ended with status 0
check_ranks() {
    local r
    for r in "$@"; do
        wait_pid "${pids[$r]}" || fail "rank $r hangs"
        [ "$waited_status" = 0 ] || fail "rank $r: status $waited_status"
    done
    cmp -s "$work/one.out" "$work/rank0.out" || { diff "$work/one.out" "$work/rank0.out"; fail "output differs"; }
    for r in "$@"; do
        [ "$r" = 0 ] || [ ! -s "$work/rank$r.out" ] || fail "rank $r printed on stdout"
    done
    no_key_left
}

no_key_left() {
    local left
    left=$(find "$work" -name 'shoal-key-*' -o -name '.shoal-key-*' | head -1)
    [ -z "$left" ] || fail "key left behind: $left"
}

# starts rank $1 of $2 with launcher variables in "${vars[@]}"
start_rank() {
    env "${vars[@]}" "$shoal" run -v --key-file "$key" "${prog[@]}" \
        >"$work/rank$1.out" 2>"$work/rank$1.err" &
    pids[$1]=$!
}

# whether pid $1 runs (a zombie left to an init that does not reap is gone)
running() {
    local st
    st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) || return 1
    [ "${st%% *}" != Z ]
}

# every node of the run in $1 ($2 nodes) ran guest threads
stats_spread() {
    python3 - "$1" "$2" <<'PY' || fail "stats: the run was not spread over the nodes"
import json, sys
d = json.load(open(sys.argv[1]))
n = int(sys.argv[2])
assert d["node_count"] == n, d["node_count"]
assert {t["node"] for t in d["threads"]} == set(range(n)), d["threads"]
assert all(x["pages"]["received"] > 0 for x in d["nodes"][1:])
PY
}

# mpirun's options in "${mpi[@]}", or skip without Open MPI's mpirun
mpirun_setup() {
    command -v mpirun >/dev/null || skip "no mpirun (Debian: openmpi-bin)"
    mpirun --version 2>/dev/null | grep -q 'Open MPI' || skip "mpirun is not Open MPI's"
    # ranks stay unbound: a shoal node runs many threads
    mpi=(--oversubscribe --bind-to none)
    if [ "$(id -u)" = 0 ]; then
        export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
    fi
}

# sshd needs /run/sshd (its privilege separation directory), which a
# system without a running sshd may lack: the tests make it and remove it
# when the last of them using it is done (a shared lock per test while its
# sshd runs; the one that gets the lock alone removes it, if a test made it)
run_sshd_lock=${work%/*}/shoal-hosts-run-sshd.lock
run_sshd_made=${work%/*}/shoal-hosts-run-sshd.made
use_run_sshd() {
    command -v flock >/dev/null || skip "no flock (Debian: util-linux)"
    exec {sshd_lock}>>"$run_sshd_lock" || skip "cannot open $run_sshd_lock"
    flock -s "$sshd_lock"
    if [ ! -d /run/sshd ]; then
        mkdir -p /run/sshd 2>/dev/null || skip "no /run/sshd (sshd's privilege separation directory)"
        : >"$run_sshd_made"
    fi
}
release_run_sshd() {
    flock -u "$sshd_lock"
    if flock -xn "$sshd_lock" && [ -f "$run_sshd_made" ]; then
        rmdir /run/sshd 2>/dev/null
        rm -f "$run_sshd_made"
    fi
    exec {sshd_lock}>&-
}

# a private sshd on 127.0.0.1-3 and a free port, with a throwaway host
# key and client key in $work/ssh; "${sshopt[@]}" are shoal run's options
# to use it. Skipped without OpenSSH's sshd, ssh, scp and ssh-keygen.
sshd_setup() {
    local d=$work/ssh sshd=/usr/sbin/sshd i port p
    [ -x "$sshd" ] || skip "no $sshd (Debian: openssh-server)"
    for p in ssh scp ssh-keygen; do command -v $p >/dev/null || skip "no $p (Debian: openssh-client)"; done
    mkdir -p "$d"
    ssh-keygen -q -t ed25519 -N '' -f "$d/host_key" || fail "ssh-keygen"
    ssh-keygen -q -t ed25519 -N '' -f "$d/id" || fail "ssh-keygen"
    cp "$d/id.pub" "$d/authorized_keys"
    use_run_sshd
    # a free port may be taken (another test's connection) before sshd
    # binds it: a few ports are tried
    for i in 1 2 3 4 5; do
        port=$(free_port)
        printf '%s\n' "Port $port" "ListenAddress 127.0.0.1" "ListenAddress 127.0.0.2" \
            "ListenAddress 127.0.0.3" "HostKey $d/host_key" "AuthorizedKeysFile $d/authorized_keys" \
            "PidFile $d/sshd.pid" "PermitRootLogin prohibit-password" "PasswordAuthentication no" \
            "KbdInteractiveAuthentication no" "UsePAM no" "StrictModes no" \
            "Subsystem sftp /usr/lib/openssh/sftp-server" >"$d/sshd_config"
        rm -f "$d/sshd.log"
        if "$sshd" -f "$d/sshd_config" -E "$d/sshd.log"; then
            # it runs when it could bind any of the addresses: all are needed
            grep -q 'Bind to port' "$d/sshd.log" || break
            kill "$(cat "$d/sshd.pid")" 2>/dev/null
            rm -f "$d/sshd.pid"
        else
            grep -q 'Bind to port' "$d/sshd.log" || skip "sshd does not start: $(tail -1 "$d/sshd.log")"
        fi
        [ "$i" = 5 ] && fail "no free port for sshd: $(tail -1 "$d/sshd.log")"
    done
    printf '%s\n' "Host *" "Port $port" "IdentityFile $d/id" "IdentitiesOnly yes" \
        "UserKnownHostsFile $d/known_hosts" "StrictHostKeyChecking no" "LogLevel ERROR" \
        "ConnectTimeout 10" >"$d/ssh_config"
    i=0
    until ssh -F "$d/ssh_config" -o BatchMode=yes 127.0.0.3 true 2>"$d/ssh.err"; do
        i=$((i + 1))
        [ "$i" -ge 50 ] && fail "no ssh login to the private sshd: $(cat "$d/ssh.err")"
        sleep 0.1
    done
    sshopt=(--ssh "ssh -F $d/ssh_config" --scp "scp -F $d/ssh_config")
    remote_home=$(ssh -F "$d/ssh_config" -o BatchMode=yes 127.0.0.2 pwd)
    printf '127.0.0.1\n127.0.0.2\n127.0.0.3\n' >"$work/hosts"
}

# a private Slurm cluster of two nodes, n1 and n2 (2 CPUs each), both on
# this host (two slurmd with -N; NodeAddr 127.0.0.1, so "n1" resolves only
# through Slurm), no authentication (auth/none), its state and logs in
# $work/slurm, SLURM_CONF exported for srun. Job ids start at a random
# number: shoal derives its port from them. Skipped without slurmctld,
# slurmd and srun, or when not root (slurmd runs as root).
slurm_setup() {
    local d=$work/slurm host i p ports=()
    for p in slurmctld slurmd srun sinfo scontrol; do
        command -v $p >/dev/null || skip "no $p (Debian: slurmctld slurmd slurm-client)"
    done
    [ "$(id -u)" = 0 ] || skip "slurmd needs root"
    mkdir -p "$d/state" "$d/spool"
    host=$(hostname -s)
    for i in 1 2 3 4; do ports+=("$(free_port)"); done
    printf '%s\n' "ClusterName=shoaltest" "SlurmctldHost=$host(127.0.0.1)" \
        "SlurmctldPort=${ports[0]}" "SlurmdPort=${ports[1]}" "AuthType=auth/none" \
        "CredType=cred/none" "SlurmUser=root" "SlurmdUser=root" "StateSaveLocation=$d/state" \
        "SlurmdSpoolDir=$d/spool/%n" "SlurmctldPidFile=$d/slurmctld.pid" \
        "SlurmdPidFile=$d/slurmd-%n.pid" "SlurmctldLogFile=$d/slurmctld.log" \
        "SlurmdLogFile=$d/slurmd-%n.log" "ProctrackType=proctrack/pgid" "TaskPlugin=task/none" \
        "MpiDefault=none" "SwitchType=switch/none" "SelectType=select/cons_tres" \
        "SelectTypeParameters=CR_CPU" "SchedulerType=sched/builtin" "ReturnToService=2" \
        "JobCompType=jobcomp/none" "AccountingStorageType=accounting_storage/none" \
        "JobAcctGatherType=jobacct_gather/none" "FirstJobId=$((1000 + RANDOM))" \
        "NodeName=n1 NodeHostname=$host NodeAddr=127.0.0.1 Port=${ports[2]} CPUs=2" \
        "NodeName=n2 NodeHostname=$host NodeAddr=127.0.0.1 Port=${ports[3]} CPUs=2" \
        "PartitionName=shoal Nodes=n1,n2 Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES" \
        >"$d/slurm.conf"
    export SLURM_CONF=$d/slurm.conf
    slurmctld -f "$d/slurm.conf" -c 2>"$d/start.err" || skip "slurmctld does not start: $(tail -1 "$d/start.err")"
    slurmd -N n1 -f "$d/slurm.conf" 2>>"$d/start.err" || skip "slurmd does not start: $(tail -1 "$d/start.err")"
    slurmd -N n2 -f "$d/slurm.conf" 2>>"$d/start.err" || skip "slurmd does not start: $(tail -1 "$d/start.err")"
    i=0
    until [ "$(sinfo -h -o '%t' -p shoal 2>/dev/null | sort -u)" = idle ]; do
        i=$((i + 1))
        [ "$i" -ge 300 ] && fail "the Slurm nodes did not come up: $(sinfo 2>&1)"
        sleep 0.1
    done
}

# no key copied by the master of pid $1 left in the remote home: the
# remote shell removes it after its slave, which may end after the master
# (the master stops waiting for its ssh clients after a while)
no_remote_key() {
    local left i=0
    while left=$(find "$remote_home" -maxdepth 1 -name ".shoal-key-$1-*" | head -1) &&
        [ -n "$left" ] && [ "$i" -lt 100 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    [ -z "$left" ] || fail "remote key left behind: $left"
}

case $case_name in
slurm-n3)
    # srun's variables; the master is the first host of the step's nodelist
    port=$(free_port)
    for r in 0 1 2; do
        vars=(SLURM_PROCID=$r SLURM_NTASKS=3 SLURM_STEP_NODELIST='127.0.0.[1-3]'
              SLURM_JOB_ID=42 SLURM_STEP_ID=0 SHOAL_PORT=$port)
        start_rank $r
    done
    check_ranks 0 1 2
    grep -q "slurm rank 1 of 3, master 127.0.0.1:$port" "$work/rank1.err" || fail "rank 1 did not read Slurm's variables"
    ;;
openmpi-n2 | pmi-n4)
    # mpirun's variables say no host: SHOAL_MASTER does
    port=$(free_port)
    n=2 rv=OMPI_COMM_WORLD_RANK sv=OMPI_COMM_WORLD_SIZE
    [ "$case_name" = pmi-n4 ] && n=4 rv=PMI_RANK sv=PMI_SIZE
    ranks=()
    for ((r = 0; r < n; r++)); do
        vars=("$rv=$r" "$sv=$n" SHOAL_MASTER=127.0.0.1:$port)
        start_rank $r
        ranks+=("$r")
    done
    check_ranks "${ranks[@]}"
    ;;
mpi-no-master)
    # an MPI rank with no SHOAL_MASTER must refuse, saying why
    OMPI_COMM_WORLD_RANK=1 OMPI_COMM_WORLD_SIZE=2 "$shoal" run --key-file "$key" "${prog[@]}" \
        >"$work/n.out" 2>"$work/n.err" && fail "status 0"
    grep -q SHOAL_MASTER "$work/n.err" || fail "no reason given"
    # nor when the ranks are on different hosts (Open MPI's local size 1)
    OMPI_COMM_WORLD_RANK=1 OMPI_COMM_WORLD_SIZE=2 OMPI_COMM_WORLD_LOCAL_SIZE=1 "$shoal" run \
        --key-file "$key" "${prog[@]}" >"$work/n.out" 2>"$work/n.err" && fail "status 0 across hosts"
    grep -q SHOAL_MASTER "$work/n.err" || fail "no reason given across hosts"
    env -u SLURM_PROCID -u OMPI_COMM_WORLD_RANK -u PMI_RANK "$shoal" run "${prog[@]}" \
        >"$work/n.out" 2>"$work/n.err" && fail "status 0 with no launcher"
    grep -q 'no --hosts FILE' "$work/n.err" || fail "no reason given without a launcher"
    ;;
ssh-copy-key | ssh-shared-key)
    # a fake ssh and scp: "remote" commands run here, in $work/home as the
    # remote home directory; each call is logged
    mkdir -p "$work/fake" "$work/home"
    cat >"$work/fake/ssh" <<SH
#!/bin/sh
while [ "\$1" = -o ]; do shift 2; done
host=\$1; shift
echo "ssh \$host \$*" >>"$work/ssh.log"
cd "$work/home" && exec sh -c "\$*"
SH
    cat >"$work/fake/scp" <<SH
#!/bin/sh
while [ "\${1#-}" != "\$1" ]; do [ "\$1" = -o ] && shift; shift; done
echo "scp \$1 \$2" >>"$work/ssh.log"
cd "$work/home" && exec cp -p "\$1" "\${2#*:}"
SH
    chmod +x "$work/fake/ssh" "$work/fake/scp"
    printf '# master first\n127.0.0.1\nalice@127.0.0.1  # a user\n\n127.0.0.1\n' >"$work/hosts"
    keyopt=()
    [ "$case_name" = ssh-shared-key ] && keyopt=(--key-file "$key")
    PATH=$work/fake:$PATH "$shoal" run --hosts "$work/hosts" --remote-shoal "$shoal" \
        "${keyopt[@]}" "${prog[@]}" >"$work/rank0.out" 2>"$work/rank0.err" &
    pids[0]=$!
    check_ranks 0
    [ "$(grep -c '^ssh ' "$work/ssh.log")" = 2 ] || fail "not one ssh per slave host"
    grep -q "^ssh alice@127.0.0.1 '$shoal' 'slave' '--once' '--connect' '127.0.0.1:" "$work/ssh.log" ||
        fail "remote command"
    if [ "$case_name" = ssh-copy-key ]; then
        [ "$(grep -c '^scp ' "$work/ssh.log")" = 2 ] || fail "the key was not copied to each host"
    else
        ! grep -q '^scp ' "$work/ssh.log" || fail "a shared key was copied"
        grep -q "'--key-file' '$key'" "$work/ssh.log" || fail "the shared key path not passed"
    fi
    ;;
netns-n3 | netns-n3-direct)
    # three "hosts": network namespaces on a bridge (10.231.0.0/24) in the
    # master's namespace; the slaves can reach it only over their veth.
    # -direct: [dsm] direct_transfer = on, the slaves link to each other
    # over the bridge too (each listens on its own 10.231.0.x)
    direct=(); [ "$case_name" = netns-n3-direct ] && direct=(-o dsm.direct_transfer=on)
    command -v ip >/dev/null || skip "no ip (iproute2)"
    tag=sh$$
    m=$tag-m
    ip netns add "$m" 2>/dev/null || skip "cannot create network namespaces (needs root)"
    netns+=("$m")
    ip -n "$m" link set lo up
    ip -n "$m" link add br0 type bridge || skip "no bridge devices"
    ip -n "$m" addr add 10.231.0.1/24 dev br0
    ip -n "$m" link set br0 up
    for i in 1 2; do
        s=$tag-s$i
        ip netns add "$s" || fail "netns $s"
        netns+=("$s")
        ip -n "$s" link set lo up
        ip link add "$tag-v$i" netns "$m" type veth peer name eth0 netns "$s" || fail "veth"
        ip -n "$m" link set "$tag-v$i" master br0 up
        ip -n "$s" addr add "10.231.0.$((i + 1))/24" dev eth0
        ip -n "$s" link set eth0 up
    done
    ns=("$m" "$tag-s1" "$tag-s2")
    for r in 0 1 2; do
        vars=(OMPI_COMM_WORLD_RANK=$r OMPI_COMM_WORLD_SIZE=3 SHOAL_MASTER=10.231.0.1:7000)
        stats=()
        [ "$r" = 0 ] && stats=(--stats "$work/stats.json")
        ip netns exec "${ns[$r]}" env "${vars[@]}" "$shoal" run -v "${direct[@]}" "${stats[@]}" \
            --key-file "$key" "${prog[@]}" >"$work/rank$r.out" 2>"$work/rank$r.err" &
        pids[$r]=$!
    done
    check_ranks 0 1 2
    # threads really ran on the slaves in the other namespaces
    python3 - "$work/stats.json" <<'PY' || fail "stats: the slaves did not serve the run"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["node_count"] == 3, d["node_count"]
assert {t["node"] for t in d["threads"]} >= {1, 2}, d["threads"]
assert all(n["pages"]["received"] > 0 for n in d["nodes"][1:])
PY
    if [ -n "${direct[*]}" ]; then
        python3 - "$work/stats.json" <<'PY' || fail "stats: no page went slave to slave"
import json, sys
d = json.load(open(sys.argv[1]))["direct_transfer"]
assert d["on"] and d["fetches"] > 0, d
PY
    fi
    ;;
mpirun-n3)
    # Open MPI's mpirun starts 3 ranks here; rank 0's stdout is the run's
    mpirun_setup
    port=$(free_port)
    mpirun "${mpi[@]}" -np 3 -x SHOAL_MASTER=127.0.0.1:$port "$shoal" run --stats "$work/stats.json" \
        --key-file "$key" "${prog[@]}" >"$work/rank0.out" 2>"$work/rank0.err" &
    pids[0]=$!
    check_ranks 0
    stats_spread "$work/stats.json" 3
    # stdin reaches rank 0, stdout and stderr come back, the guest's exit
    # status is mpirun's
    probe=("$bin/launch_probe" 6 3)
    seq 1 5000 | "$shoal" "${probe[@]}" >"$work/probe1.out" 2>"$work/probe1.err"
    [ $? = 3 ] || fail "one-node probe: status not 3"
    port=$(free_port)
    seq 1 5000 | mpirun "${mpi[@]}" -np 3 -x SHOAL_MASTER=127.0.0.1:$port "$shoal" run \
        --key-file "$key" "${probe[@]}" >"$work/probe.out" 2>"$work/probe.err"
    st=$?
    [ "$st" = 3 ] || fail "mpirun: status $st, not the guest's 3"
    cmp -s "$work/probe1.out" "$work/probe.out" || { diff "$work/probe1.out" "$work/probe.out"; fail "probe output differs"; }
    [ "$(grep -c '^probe: stderr$' "$work/probe.err")" = 1 ] || fail "the guest's stderr not forwarded once"
    # every rank on this host: no SHOAL_MASTER needed (loopback, a port
    # from the job id); rank 0 starts only once the slaves' shoal runs, so
    # they wait for their master
    printf '%s\n' '#!/bin/sh' "r=\$OMPI_COMM_WORLD_RANK" \
        "if [ \$r = 0 ]; then until grep -qsF '$shoal' /proc/\$(cat '$work/slave1.pid' 2>/dev/null)/cmdline &&" \
        "  grep -qsF '$shoal' /proc/\$(cat '$work/slave2.pid' 2>/dev/null)/cmdline; do sleep 0.05; done" \
        "else echo \$\$ >'$work/slave'\$r.pid; fi" \
        "exec '$shoal' run -v --key-file '$key' $(printf "'%s' " "${prog[@]}")" >"$work/late.sh"
    chmod +x "$work/late.sh"
    mpirun "${mpi[@]}" -np 3 "$work/late.sh" </dev/null >"$work/local.out" 2>"$work/local.err" &
    pids[1]=$!
    wait_pid "${pids[1]}" || fail "mpirun with a late master hangs"
    [ "$waited_status" = 0 ] || fail "mpirun without SHOAL_MASTER, master last: status $waited_status"
    cmp -s "$work/one.out" "$work/local.out" || { diff "$work/one.out" "$work/local.out"; fail "output differs without SHOAL_MASTER"; }
    grep -q 'openmpi rank 2 of 3, master 127.0.0.1:' "$work/local.err" || fail "rank 2 did not pick loopback"
    no_key_left
    ;;
mpirun-rank-dies)
    # a slave rank killed mid-run: the master names it and every rank ends
    mpirun_setup
    port=$(free_port)
    cat >"$work/rank.sh" <<SH
#!/bin/sh
echo \$\$ >"$work/rank\$OMPI_COMM_WORLD_RANK.pid"
exec "$shoal" run --key-file "$key" "$bin/launch_probe" 6 0 hold
SH
    chmod +x "$work/rank.sh"
    mpirun "${mpi[@]}" -np 3 -x SHOAL_MASTER=127.0.0.1:$port "$work/rank.sh" </dev/null \
        >"$work/rank0.out" 2>"$work/rank0.err" &
    pids[0]=$!
    i=0
    until grep -q '^holding$' "$work/rank0.out" 2>/dev/null && [ -s "$work/rank2.pid" ]; do
        kill -0 "${pids[0]}" 2>/dev/null || fail "mpirun ended before the run started"
        sleep 0.1
        i=$((i + 1))
        [ "$i" -ge 600 ] && fail "the run did not start"
    done
    kill -9 "$(cat "$work/rank2.pid")"
    wait_pid "${pids[0]}" || fail "mpirun hangs after a rank died"
    [ "$waited_status" != 0 ] || fail "mpirun: status 0 after a rank died"
    # node numbers follow the order the slaves joined in, not the ranks
    grep -Eq 'node [12] lost' "$work/rank0.err" || fail "the master did not name the lost node"
    for r in 0 1; do
        p=$(cat "$work/rank$r.pid")
        ! running "$p" || fail "rank $r still runs"
    done
    no_key_left
    ;;
ssh-real-n3)
    # OpenSSH: a fresh key copied with scp, slaves on 127.0.0.2 and .3
    sshd_setup
    "$shoal" run --hosts "$work/hosts" "${sshopt[@]}" --remote-shoal "$shoal" \
        --stats "$work/stats.json" "${prog[@]}" >"$work/rank0.out" 2>"$work/rank0.err" &
    pids[0]=$!
    check_ranks 0
    stats_spread "$work/stats.json" 3
    no_remote_key "${pids[0]}"
    # stdin stays the master's (ssh gets none), the guest's stderr and
    # status come back; a shared --key-file is not copied; a --config path
    # with blanks, quotes and $ reaches the remote slaves intact (a slave
    # that cannot read it ends the run)
    probe=("$bin/launch_probe" 6 3)
    seq 1 5000 | "$shoal" "${probe[@]}" >"$work/probe1.out" 2>"$work/probe1.err"
    [ $? = 3 ] || fail "one-node probe: status not 3"
    mkdir -p "$work/cfg dir"
    cfg="$work/cfg dir/it's \$HOME \"x\".conf"
    printf '[network]\nheartbeat_ms = 500\n' >"$cfg"
    seq 1 5000 | "$shoal" run --hosts "$work/hosts" "${sshopt[@]}" --remote-shoal "$shoal" \
        --key-file "$key" --config "$cfg" -o 'network.peer_timeout_ms=9000' "${probe[@]}" \
        >"$work/probe.out" 2>"$work/probe.err"
    st=$?
    [ "$st" = 3 ] || fail "ssh run: status $st, not the guest's 3"
    cmp -s "$work/probe1.out" "$work/probe.out" || { diff "$work/probe1.out" "$work/probe.out"; fail "probe output differs"; }
    [ "$(grep -c '^probe: stderr$' "$work/probe.err")" = 1 ] || fail "the guest's stderr not once"
    no_key_left
    ;;
ssh-real-unreachable)
    # a host with no sshd: the run ends at once, naming it (not after the
    # join timeout)
    sshd_setup
    printf '127.0.0.1\n127.0.0.2\n127.0.0.4\n' >"$work/hosts"
    "$shoal" run --hosts "$work/hosts" "${sshopt[@]}" --remote-shoal "$shoal" --key-file "$key" \
        "${prog[@]}" </dev/null >"$work/rank0.out" 2>"$work/rank0.err" &
    pids[0]=$!
    wait_pid "${pids[0]}" || fail "hangs"
    [ "$waited_status" = 1 ] || fail "status $waited_status, not 1"
    grep -q 'ssh to 127.0.0.4 ended (status 255) before its slave joined' "$work/rank0.err" ||
        fail "the unreachable host not named"
    no_key_left
    ;;
ssh-real-master-dies)
    # the ssh clients out of the master's process group (a terminal's
    # Ctrl-C is the guest's alone); then the master killed mid-run: the
    # remote slaves end, their keys removed
    sshd_setup
    printf '%s\n' '#!/bin/sh' "echo \$\$ >>'$work/slaves.pid'" "exec '$shoal' \"\$@\"" \
        >"$work/remote-shoal"
    chmod +x "$work/remote-shoal"
    "$shoal" run --hosts "$work/hosts" "${sshopt[@]}" --remote-shoal "$work/remote-shoal" \
        "$bin/launch_probe" 6 0 hold </dev/null >"$work/rank0.out" 2>"$work/rank0.err" &
    pids[0]=$!
    i=0
    until grep -q '^holding$' "$work/rank0.out" 2>/dev/null; do
        kill -0 "${pids[0]}" 2>/dev/null || fail "the master ended before the run started"
        sleep 0.1
        i=$((i + 1))
        [ "$i" -ge 600 ] && fail "the run did not start"
    done
    [ "$(wc -l <"$work/slaves.pid")" = 2 ] || fail "not two remote slaves"
    clients=$(ps -o pid= --ppid "${pids[0]}")
    [ "$(echo $clients | wc -w)" = 2 ] || fail "not two ssh clients: $clients"
    for p in $clients; do
        [ "$(ps -o pgid= -p "$p")" != "$(ps -o pgid= -p "${pids[0]}")" ] ||
            fail "ssh client $p in the master's process group"
    done
    kill -9 "${pids[0]}"
    for p in $(cat "$work/slaves.pid"); do
        i=0
        while running "$p"; do
            sleep 0.1
            i=$((i + 1))
            [ "$i" -ge 600 ] && fail "remote slave $p outlives its master"
        done
    done
    no_remote_key "${pids[0]}"
    ;;
hydra-n3)
    # MPICH's Hydra (mpiexec.hydra) starts 3 ranks here with PMI_RANK and
    # PMI_SIZE; SHOAL_MASTER through -genv
    command -v mpiexec.hydra >/dev/null || skip "no mpiexec.hydra (Debian: mpich)"
    port=$(free_port)
    mpiexec.hydra -n 3 -genv SHOAL_MASTER 127.0.0.1:$port "$shoal" run -v --stats "$work/stats.json" \
        --key-file "$key" "${prog[@]}" </dev/null >"$work/rank0.out" 2>"$work/rank0.err" &
    pids[0]=$!
    check_ranks 0
    stats_spread "$work/stats.json" 3
    grep -q "pmi rank 2 of 3, master 127.0.0.1:$port" "$work/rank0.err" || fail "rank 2 did not read PMI's variables"
    probe=("$bin/launch_probe" 6 3)
    seq 1 5000 | "$shoal" "${probe[@]}" >"$work/probe1.out" 2>"$work/probe1.err"
    [ $? = 3 ] || fail "one-node probe: status not 3"
    port=$(free_port)
    seq 1 5000 | mpiexec.hydra -n 3 -genv SHOAL_MASTER 127.0.0.1:$port "$shoal" run --key-file "$key" \
        "${probe[@]}" >"$work/probe.out" 2>"$work/probe.err"
    st=$?
    [ "$st" = 3 ] || fail "mpiexec.hydra: status $st, not the guest's 3"
    cmp -s "$work/probe1.out" "$work/probe.out" || { diff "$work/probe1.out" "$work/probe.out"; fail "probe output differs"; }
    [ "$(grep -c '^probe: stderr$' "$work/probe.err")" = 1 ] || fail "the guest's stderr not once"
    no_key_left
    ;;
slurm-real)
    # srun on a private two-node Slurm: rank 0 (on n1) is the master, its
    # address from the step's nodelist through scontrol's NodeAddr
    slurm_setup
    srun -N 2 -n 3 --overcommit "$shoal" run -v --stats "$work/stats.json" --key-file "$key" \
        "${prog[@]}" </dev/null >"$work/rank0.out" 2>"$work/rank0.err" &
    pids[0]=$!
    check_ranks 0
    stats_spread "$work/stats.json" 3
    grep -q 'slurm rank 2 of 3, master 127.0.0.1:' "$work/rank0.err" || fail "rank 2 did not find n1's address"
    # stdin reaches task 0, the guest's stderr and status come back
    probe=("$bin/launch_probe" 6 3)
    seq 1 5000 | "$shoal" "${probe[@]}" >"$work/probe1.out" 2>"$work/probe1.err"
    [ $? = 3 ] || fail "one-node probe: status not 3"
    seq 1 5000 | srun -N 2 -n 3 --overcommit "$shoal" run --key-file "$key" "${probe[@]}" \
        >"$work/probe.out" 2>"$work/probe.err"
    st=$?
    [ "$st" = 3 ] || fail "srun: status $st, not the guest's 3"
    cmp -s "$work/probe1.out" "$work/probe.out" || { diff "$work/probe1.out" "$work/probe.out"; fail "probe output differs"; }
    [ "$(grep -c '^probe: stderr$' "$work/probe.err")" = 1 ] || fail "the guest's stderr not once"
    # task 2 killed mid-run; srun leaves the others running (no
    # --kill-on-bad-exit), so they must end by themselves: the master
    # with status 1 naming the lost node, the other slave on losing it
    printf '%s\n' '#!/bin/sh' "echo \$\$ >'$work/'task\$SLURM_PROCID.pid" \
        "exec '$shoal' run --key-file '$key' '$bin/launch_probe' 6 0 hold" >"$work/task.sh"
    chmod +x "$work/task.sh"
    srun -N 2 -n 3 --overcommit "$work/task.sh" </dev/null >"$work/dies.out" 2>"$work/dies.err" &
    pids[0]=$!
    i=0
    until grep -q '^holding$' "$work/dies.out" 2>/dev/null && [ -s "$work/task2.pid" ]; do
        kill -0 "${pids[0]}" 2>/dev/null || fail "srun ended before the run started"
        sleep 0.1
        i=$((i + 1))
        [ "$i" -ge 600 ] && fail "the run did not start"
    done
    kill -9 "$(cat "$work/task2.pid")"
    wait_pid "${pids[0]}" || fail "srun hangs after a task died"
    [ "$waited_status" != 0 ] || fail "srun: status 0 after a task died"
    grep -Eq 'node [12] lost' "$work/dies.err" || fail "the master did not name the lost node"
    grep -Eq 'tasks? 0(-1)?: Exited with exit code 1' "$work/dies.err" || fail "the master did not end with status 1"
    for r in 0 1; do
        ! running "$(cat "$work/task$r.pid")" || fail "task $r still runs"
    done
    no_key_left
    ;;
*) fail "unknown case $case_name" ;;
esac
echo "PASS $case_name"
