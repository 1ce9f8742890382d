#!/usr/bin/env bash
# Runs a shell snippet that uses real Debian arm64 programs from the test
# sysroot (fetch.sh), once with RUN="qemu-aarch64 -L ROOT" and once with
# RUN="shoal -L ROOT", each in a fresh scratch directory holding the same
# input files, and compares stdout + exit status (pipefail: any stage).
#
# usage: run_pkg_test.sh --fetch FETCH_SH --cache DIR --qemu QEMU
#                        --shoal SHOAL --name NAME -- 'SNIPPET'
#   The snippet sees $RUN (the emulator command, a word list), $ROOT
#   (the sysroot), and in its cwd: input.txt (text, 20000 lines),
#   words.txt (300 words, repeats), blob.bin (64 KiB of pseudo-random bytes).
# Environment: SHOAL_SYSROOT_CACHE overrides --cache; SHOAL_TEST_ARGS are
# extra shoal options (e.g. --interp); SHOAL_TEST_KEEP=1 keeps the work dir.
# Exit status: 0 same, 1 different, 77 skipped (no sysroot: no network).
set -u
fetch= cache= qemu= shoal= name=
while [ $# -gt 0 ]; do
    case "$1" in
        --fetch) fetch=$2; shift 2 ;;
        --cache) cache=$2; shift 2 ;;
        --qemu) qemu=$2; shift 2 ;;
        --shoal) shoal=$2; shift 2 ;;
        --name) name=$2; shift 2 ;;
        --) shift; break ;;
        *) echo "run_pkg_test.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
snippet=${1:?missing snippet}
cache=${SHOAL_SYSROOT_CACHE:-$cache}
"$fetch" "$cache" || exit $?
root=$cache/root

work=$(mktemp -d "${TMPDIR:-/tmp}/shoal-pkg-$name.XXXXXX") || exit 2
if [ "${SHOAL_TEST_KEEP:-0}" != 1 ]; then trap 'rm -rf "$work"' EXIT; fi

make_inputs() {
    awk 'BEGIN { for (i = 1; i <= 20000; i++) printf "line %d: %x %s\n", i, i * 2654435761 % 4294967296, (i % 7 ? "abc" : "xyz") }' >"$1/input.txt"
    awk 'BEGIN { s = 7; for (i = 0; i < 300; i++) { s = (s * 1103515245 + 12345) % 2147483648; print "w" (s % 37) } }' >"$1/words.txt"
    awk 'BEGIN { s = 1; for (i = 0; i < 65536; i++) { s = (s * 1103515245 + 12345) % 2147483648; printf "%c", 32 + (s / 65536) % 95 } }' >"$1/blob.bin"
}

# run LABEL EMULATOR...: stdout + "### status: N" in $work/LABEL.result
run() {
    local label=$1; shift
    mkdir -p "$work/$label"
    make_inputs "$work/$label"
    ( cd "$work/$label" && RUN="$*" ROOT=$root LC_ALL=C TZ=UTC \
        timeout 120 bash -o pipefail -c "$snippet" ) </dev/null \
        >"$work/$label.result" 2>"$work/$label.stderr"
    echo "### status: $?" >>"$work/$label.result"
}

run qemu "$qemu" -L "$root"
# shellcheck disable=SC2086 # SHOAL_TEST_ARGS is a list of words
run shoal "$shoal" ${SHOAL_TEST_ARGS:-} -L "$root"
if ! diff -u --label qemu-aarch64 --label shoal "$work/qemu.result" "$work/shoal.result" \
        >"$work/diff"; then
    echo "FAIL [$name]: shoal differs from qemu-aarch64"
    head -n 60 "$work/diff"
    echo "--- shoal stderr:"; head -n 20 "$work/shoal.stderr"
    exit 1
fi
if [ "$(tail -n 1 "$work/qemu.result")" != "### status: 0" ] || [ "$(wc -l <"$work/qemu.result")" -lt 2 ]; then
    echo "FAIL [$name]: the reference run failed or printed nothing"
    cat "$work/qemu.result"; head -n 20 "$work/qemu.stderr"
    exit 1
fi
echo "PASS [$name] $(tail -n 1 "$work/qemu.result")"
