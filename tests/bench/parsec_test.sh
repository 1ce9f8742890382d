#!/bin/sh
# PARSEC under shoal (bench/parsec/README.md): with PARSEC_DIR pointing at
# a PARSEC 3.0 source tree (inputs included), builds the six pthread
# programs for AArch64 and runs each on its "test" input under
# qemu-aarch64 and under shoal -n 2; both must succeed and print the same
# stdout. Without PARSEC_DIR it reports SKIPPED (exit 77): the project does
# not ship PARSEC.
#
# usage: parsec_test.sh SHOAL BUILD_DIR
set -u
shoal=$1 build=$2
here=$(cd "$(dirname "$0")/../.." && pwd)
if [ -z "${PARSEC_DIR:-}" ]; then
    echo "SKIPPED: PARSEC is not shipped; set PARSEC_DIR=/path/to/parsec-3.0 (with its inputs) to build and run it under shoal"
    exit 77
fi
if [ ! -d "$PARSEC_DIR/pkgs" ]; then
    echo "FAIL: PARSEC_DIR=$PARSEC_DIR has no pkgs/ folder: not a PARSEC 3.0 tree"
    exit 1
fi
out=$build/parsec-test
status=0
"$here/bench/parsec/build.sh" --out "$out" --input test || { echo "FAIL: bench/parsec/build.sh (running what built)"; status=1; }
for name in $(cat "$out/built"); do
    dir=$out/run/$name/test
    # swaptions refuses fewer swaptions than threads, and its test input
    # has one (PARSEC's own run of it with 2 threads fails the same way)
    nt=2
    [ "$name" = swaptions ] && nt=1
    args=$(sed "s/\\\${NTHREADS}/$nt/g" "$dir/args")
    # x264 and canneal print times or depend on the thread interleaving:
    # compare exit status only; the others must print the same stdout.
    ( cd "$dir" && qemu-aarch64 "$out/bin/$name" $args >"$out/$name.qemu" 2>&1 ) || { echo "FAIL: $name under qemu-aarch64"; status=1; continue; }
    ( cd "$dir" && "$shoal" -n 2 "$out/bin/$name" $args >"$out/$name.shoal" 2>&1 ) || { echo "FAIL: $name under shoal -n 2"; cat "$out/$name.shoal"; status=1; continue; }
    case $name in
    x264|canneal) echo "PASS: $name (exit status)" ;;
    *) if cmp -s "$out/$name.qemu" "$out/$name.shoal"; then echo "PASS: $name"; else
           echo "FAIL: $name: stdout differs"; diff "$out/$name.qemu" "$out/$name.shoal"; status=1; fi ;;
    esac
done
exit $status
