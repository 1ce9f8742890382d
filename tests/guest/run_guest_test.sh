#!/usr/bin/env bash
# Differential runner for one guest program: runs it under qemu-aarch64
# (the reference emulator) and under shoal, with the same argv, stdin and
# environment, and compares stdout + exit status (death by signal included).
# Also checks the qemu result against the stored reference output, so a
# change in the reference emulator (or the cross toolchain) is noticed.
#
# usage: run_guest_test.sh --exec GUEST_EXEC --qemu QEMU --shoal SHOAL
#            --name NAME --opt OLEVEL --ref-dir DIR --prog BINARY
#            [--stdin FILE] [--timeout SECONDS] [-- GUEST_ARGS...]
#
# Environment:
#   SHOAL_TEST_ARGS    extra options for shoal, before the program
#                      (e.g. "--interp", "-n 2")
#   SHOAL_TEST_BIN     run this instead of --shoal (e.g. qemu-aarch64, to
#                      test the runner itself)
#   SHOAL_TEST_RECORD  if set to 1: run only qemu and write its result to
#                      $SHOAL_TEST_RECORD_DIR/NAME.OLEVEL.out (default: the
#                      reference dir); update_refs.sh uses this
#   SHOAL_TEST_KEEP    if set to 1: keep the work directory
# Exit status: 0 pass, 1 fail, 77 skipped (tools missing).
set -u

exec_helper= qemu= shoal= name= opt= refdir= prog= stdin_file=/dev/null timeout=60
while [ $# -gt 0 ]; do
    case "$1" in
        --exec) exec_helper=$2; shift 2 ;;
        --qemu) qemu=$2; shift 2 ;;
        --shoal) shoal=$2; shift 2 ;;
        --name) name=$2; shift 2 ;;
        --opt) opt=$2; shift 2 ;;
        --ref-dir) refdir=$2; shift 2 ;;
        --prog) prog=$2; shift 2 ;;
        --stdin) stdin_file=$2; shift 2 ;;
        --timeout) timeout=$2; shift 2 ;;
        --) shift; break ;;
        *) echo "run_guest_test.sh: unknown option $1" >&2; exit 2 ;;
    esac
done

fail() { echo "FAIL [$name $opt]: $*"; status=1; }

if [ -n "${SHOAL_TEST_BIN:-}" ]; then shoal=$SHOAL_TEST_BIN; fi
for t in "$exec_helper" "$qemu" "$prog"; do
    if [ ! -x "$t" ] && ! command -v "$t" >/dev/null 2>&1; then
        echo "SKIP: $t not found"; exit 77
    fi
done

work=$(mktemp -d "${TMPDIR:-/tmp}/shoal-guest-$name-$opt.XXXXXX") || exit 2
if [ "${SHOAL_TEST_KEEP:-0}" != 1 ]; then trap 'rm -rf "$work"' EXIT; fi

# run LABEL CMD...: runs the guest in its own scratch dir (cwd and TMPDIR),
# leaves $work/LABEL.result = stdout + trailing status line.
run() {
    local label=$1; shift
    local dir=$work/$label
    mkdir -p "$dir/tmp"
    ( cd "$dir" && TMPDIR=$dir/tmp LC_ALL=C TZ=UTC \
        "$exec_helper" "$work/$label.status" "$timeout" "$@" \
        <"$stdin_file" >"$work/$label.stdout" 2>"$work/$label.stderr" )
    local res=$work/$label.result
    cp "$work/$label.stdout" "$res"
    if [ -s "$res" ] && [ "$(tail -c 1 "$res" | od -An -c | tr -d ' ')" != '\n' ]; then
        printf '\n### (no newline at end of stdout)\n' >>"$res"
    fi
    if [ -s "$work/$label.status" ]; then
        printf '### status: %s\n' "$(cat "$work/$label.status")" >>"$res"
    else
        printf '### status: (runner error)\n' >>"$res"
    fi
    leftover=$(ls -A "$dir/tmp")
    if [ -n "$leftover" ]; then
        printf '### files left in TMPDIR: %s\n' "$(echo $leftover)" >>"$res"
    fi
}

show_stderr() {
    if [ -s "$work/$1.stderr" ]; then
        echo "--- $1 stderr (first 20 lines):"
        head -n 20 "$work/$1.stderr"
    fi
}

status=0
run qemu "$qemu" "$prog" "$@"
# qemu-user itself can hang in a threaded guest (seen in fork after the
# threads were joined, on a loaded CI host): a reference that hung says
# nothing about shoal, so it runs once more, visibly. Only a timeout is
# retried; any other difference from the stored reference still fails.
if [ "$(tail -n 1 "$work/qemu.result")" = '### status: timeout' ]; then
    echo "NOTE [$name $opt]: qemu-aarch64 timed out after ${timeout} s; running it again"
    show_stderr qemu
    rm -rf "${work:?}/qemu"
    run qemu "$qemu" "$prog" "$@"
fi

if [ "${SHOAL_TEST_RECORD:-0}" = 1 ]; then
    recdir=${SHOAL_TEST_RECORD_DIR:-$refdir}
    mkdir -p "$recdir"
    cp "$work/qemu.result" "$recdir/$name.$opt.out"
    echo "recorded $recdir/$name.$opt.out ($(tail -n 1 "$work/qemu.result"))"
    exit 0
fi

ref=$refdir/$name.$opt.out
[ -f "$ref" ] || ref=$refdir/$name.out
if [ ! -f "$ref" ]; then
    fail "no reference output $refdir/$name.out (run tests/guest/update_refs.sh)"
elif ! diff -u --label "reference ${ref#"$refdir"/}" --label "qemu" \
        "$ref" "$work/qemu.result" >"$work/ref.diff"; then
    fail "qemu-aarch64 output differs from the stored reference (reference emulator or toolchain changed?)"
    head -n 60 "$work/ref.diff"
    show_stderr qemu
fi

if [ -z "$shoal" ] || { [ ! -x "$shoal" ] && ! command -v "$shoal" >/dev/null 2>&1; }; then
    fail "shoal binary '$shoal' not found"
    exit 1
fi
# shellcheck disable=SC2086 # SHOAL_TEST_ARGS is a list of words
run shoal "$shoal" ${SHOAL_TEST_ARGS:-} "$prog" "$@"
if ! diff -u --label "qemu-aarch64" --label "shoal ${SHOAL_TEST_ARGS:-}" \
        "$work/qemu.result" "$work/shoal.result" >"$work/shoal.diff"; then
    fail "shoal (SHOAL_TEST_ARGS='${SHOAL_TEST_ARGS:-}') differs from qemu-aarch64"
    head -n 80 "$work/shoal.diff"
    show_stderr shoal
fi

if [ $status = 0 ]; then
    echo "PASS [$name $opt] $(tail -n 1 "$work/qemu.result")"
fi
exit $status
