#!/usr/bin/env bash
# Runs busybox_script.sh with the arm64 busybox-static under shoal (the
# whole shell and every applet it forks and executes inside the
# emulator) and with the amd64 busybox-static natively, each in a fresh
# scratch directory, and compares stdout + exit status.
#
# usage: run_busybox_script.sh --fetch FETCH_SH --fetch-native FETCH_NATIVE_SH
#                              --cache DIR --shoal SHOAL --script FILE
# Environment: SHOAL_SYSROOT_CACHE overrides --cache; SHOAL_TEST_ARGS are
# extra shoal options; SHOAL_TEST_KEEP=1 keeps the work dir.
# Exit status: 0 same, 1 different, 77 skipped (packages not fetchable).
set -u
fetch= fetch_native= cache= shoal= script=
while [ $# -gt 0 ]; do
    case "$1" in
        --fetch) fetch=$2; shift 2 ;;
        --fetch-native) fetch_native=$2; shift 2 ;;
        --cache) cache=$2; shift 2 ;;
        --shoal) shoal=$2; shift 2 ;;
        --script) script=$2; shift 2 ;;
        *) echo "run_busybox_script.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
cache=${SHOAL_SYSROOT_CACHE:-$cache}
"$fetch" "$cache" || exit $?
"$fetch_native" "$cache" || exit $?
root=$cache/root
native=$cache/native/root/bin/busybox
[ -x "$native" ] || native=$cache/native/root/usr/bin/busybox

work=$(mktemp -d "${TMPDIR:-/tmp}/shoal-bbscript.XXXXXX") || exit 2
if [ "${SHOAL_TEST_KEEP:-0}" != 1 ]; then trap 'rm -rf "$work"' EXIT; fi

# run LABEL CMD...: `CMD sh script` in $work/LABEL; PATH names nothing,
# so every command is a busybox applet (no host program can sneak in).
run() {
    local label=$1; shift
    mkdir -p "$work/$label"
    cp "$script" "$work/$label/script.sh"
    ( cd "$work/$label" && timeout 240 env -i PATH=/nonexistent HOME=/ LC_ALL=C TZ=UTC \
        "$@" sh script.sh ) </dev/null >"$work/$label.result" 2>"$work/$label.stderr"
    echo "### status: $?" >>"$work/$label.result"
}

run native "$native"
# shellcheck disable=SC2086 # SHOAL_TEST_ARGS is a list of words
run shoal "$shoal" ${SHOAL_TEST_ARGS:-} -L "$root" "$root/bin/busybox"
if ! grep -q '^cleaned up$' "$work/native.result"; then
    echo "FAIL: the native busybox run did not finish:"
    cat "$work/native.result" "$work/native.stderr"
    exit 1
fi
if ! diff -u --label "busybox amd64 (native)" --label "busybox arm64 (shoal)" \
        "$work/native.result" "$work/shoal.result"; then
    echo "--- shoal stderr (first 20 lines):"
    head -n 20 "$work/shoal.stderr"
    exit 1
fi
echo "PASS: $(grep -c . "$work/native.result") lines identical"
