#!/usr/bin/env bash
# Regenerate the reference outputs in tests/guest/ref/ from qemu-aarch64.
#
#   tests/guest/update_refs.sh BUILD_DIR [CTEST_REGEX]
#
# Runs the `guest` tests in record mode (qemu only, see run_guest_test.sh),
# then for each program writes ref/NAME.out (from O2, or the first level
# built) and ref/NAME.OLEVEL.out only for levels whose output differs.
# Only programs matched by CTEST_REGEX (default: all) are touched.
# Review the diff (git diff tests/guest/ref) before committing.
set -eu
build=${1:?usage: update_refs.sh BUILD_DIR [CTEST_REGEX]}
regex=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
refdir=$here/ref
rec=$(mktemp -d)
trap 'rm -rf "$rec"' EXIT

cmake --build "$build" --target guest_programs guest_exec -j "$(nproc)" >/dev/null
(cd "$build" && SHOAL_TEST_RECORD=1 SHOAL_TEST_RECORD_DIR=$rec \
    ctest -L '^guest$' ${regex:+-R "$regex"} -j "$(nproc)" --output-on-failure >/dev/null) || {
    echo "recording failed; rerun with: cd $build && SHOAL_TEST_RECORD=1 SHOAL_TEST_RECORD_DIR=/tmp/x ctest -L '^guest\$' -V" >&2
    exit 1
}
mkdir -p "$refdir"
for name in $(ls "$rec" | sed -E 's/\.[^.]+\.out$//' | sort -u); do
    base=$rec/$name.O2.out
    [ -f "$base" ] || base=$(ls "$rec"/"$name".*.out | head -n 1)
    rm -f "$refdir/$name".*.out
    cp "$base" "$refdir/$name.out"
    for f in "$rec/$name".*.out; do
        if ! cmp -s "$f" "$base"; then
            cp "$f" "$refdir/$(basename "$f")"
            echo "$name: $(basename "$f" .out | sed "s/^$name\.//") differs from $(basename "$base" .out | sed "s/^$name\.//")"
        fi
    done
done
echo "references written to $refdir ($(ls "$rec" | wc -l) runs)"
