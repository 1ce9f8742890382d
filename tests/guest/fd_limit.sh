#!/usr/bin/env bash
# A guest at the usual soft limit of 1024 gets every fd number below it,
# in a cluster too, as under qemu-aarch64 (fd_numbers.c full): the
# master puts its own fds above the guest's limit when the hard limit
# leaves room (syscall/own_fds.h). Skipped (77) when it does not.
# usage: fd_limit.sh SHOAL QEMU PROGRAM NODES
set -u
shoal=$1 qemu=$2 prog=$3 nodes=$4
hard=$(ulimit -H -n)
if [ "$hard" != unlimited ] && [ "$hard" -lt 1400 ]; then
    echo "SKIP: the hard fd limit ($hard) leaves no room above a soft limit of 1024"
    exit 77
fi
expect="full: soft 1024: open gave 3..1023 in order: yes, then EMFILE: yes; dup2 onto 1023: yes, onto 1024: EBADF"
want=$(ulimit -S -n 1024 && "$qemu" "$prog" full) || { echo "FAIL: qemu exited $?"; exit 1; }
if [ "$want" != "$expect" ]; then
    printf 'FAIL: qemu-aarch64 said\n%s\nexpected\n%s\n' "$want" "$expect"
    exit 1
fi
args=()
if [ "$nodes" != 0 ]; then args=(-n "$nodes"); fi
# with the progress reporter and a -D log too, whose fds are the emulator's
for extra in "" "-o stats.progress_ms=60000" "-D /dev/null"; do
    got=$(ulimit -S -n 1024 && "$shoal" "${args[@]}" $extra "$prog" full) ||
        { echo "FAIL: shoal $extra exited $?"; exit 1; }
    echo "$got"
    if [ "$got" != "$want" ]; then
        printf 'FAIL: shoal %s; qemu-aarch64 said\n%s\n' "$extra" "$want"
        exit 1
    fi
done
