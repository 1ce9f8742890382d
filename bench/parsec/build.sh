#!/bin/sh
# Builds PARSEC 3.0's pthread programs as static AArch64 binaries with the
# Debian cross compiler, and lays out their inputs for bench/scale
# (README.md here). PARSEC itself is not shipped: PARSEC_DIR points at an
# unpacked parsec-3.0 tree (core + inputs).
#
#   PARSEC_DIR=... bench/parsec/build.sh [--out DIR] [--input SET] [NAME...]
#
# NAME: blackscholes swaptions fluidanimate canneal streamcluster x264
# (default: all). SET: test simdev simsmall simmedium simlarge native
# (default simsmall). Leaves DIR/bin/NAME, DIR/run/NAME/SET/ (the input
# files unpacked, and "args": PARSEC's run_args with ${NTHREADS}) and
# DIR/built (the names that built). DIR defaults to build/parsec.
set -eu
out=build/parsec input=simsmall
while [ $# -gt 0 ]; do
    case $1 in
    --out) out=$2; shift 2 ;;
    --input) input=$2; shift 2 ;;
    -*) echo "build.sh: unknown option $1" >&2; exit 2 ;;
    *) break ;;
    esac
done
names=${*:-blackscholes swaptions fluidanimate canneal streamcluster x264}
: "${PARSEC_DIR:?set PARSEC_DIR to a PARSEC 3.0 source tree}"
here=$(cd "$(dirname "$0")" && pwd)
CC=${CC:-aarch64-linux-gnu-gcc} CXX=${CXX:-aarch64-linux-gnu-g++}
OPT="-O2 -static -pthread"
mkdir -p "$out/bin" "$out/src"
out=$(cd "$out" && pwd)
: >"$out/built"

pkg_dir() { # the package folder of a benchmark: apps/ or kernels/
    for g in apps kernels; do
        [ -d "$PARSEC_DIR/pkgs/$g/$1" ] && { echo "$PARSEC_DIR/pkgs/$g/$1"; return; }
    done
    echo "build.sh: $1 not in $PARSEC_DIR/pkgs/{apps,kernels}" >&2; return 1
}

# Each recipe builds in a private copy of src/ (the PARSEC tree stays as
# it is) through the package's own Makefile with version=pthreads, the
# way parsecmgmt's gcc-pthreads configuration does: flags come in through
# the environment so the Makefile's own "+=" additions are kept; so does M4,
# which blackscholes's Makefile runs and PARSEC's own set-up defines.
make_pthreads() { # NAME BINARY
    ( cd "$out/src/$1" && env CC="$CC" CXX="$CXX" CFLAGS="$OPT" CXXFLAGS="$OPT -fpermissive" \
        LDFLAGS="-static" LIBS="-lm" CXXLIBS="-lm" M4=m4 PARSECDIR="$PARSEC_DIR" PARSECPLAT=aarch64-linux.gcc-pthreads \
        make version=pthreads ) && cp "$out/src/$1/$2" "$out/bin/$1"
}

build_one() {
    name=$1 dir=$(pkg_dir "$1")
    rm -rf "$out/src/$name" && cp -r "$dir/src" "$out/src/$name"
    case $name in
    canneal)
        # canneal's lock-free pointers come from per-architecture assembly
        # with no AArch64 version: use the GCC-builtin one from compat/.
        cp "$here/compat/canneal_atomic.h" "$out/src/canneal/atomic/atomic.h"
        make_pthreads canneal canneal ;;
    x264)
        # 2008's x264: a configure script; no assembly (--disable-asm), a
        # config.sub new enough to know aarch64 (autotools-dev).
        for f in config.sub config.guess; do
            [ -f /usr/share/misc/$f ] && cp /usr/share/misc/$f "$out/src/x264/$f"
        done
        ( cd "$out/src/x264" && ./configure --host=aarch64-linux --cross-prefix=aarch64-linux-gnu- \
            --enable-pthread --disable-asm --extra-cflags="-O2" --extra-ldflags="-static -pthread" &&
          make ) && cp "$out/src/x264/x264" "$out/bin/x264" ;;
    *) make_pthreads "$name" "$name" ;;
    esac
}

# Unpacks inputs/input_SET.tar and records run_args from parsec/SET.runconf.
lay_out_input() {
    name=$1 dir=$(pkg_dir "$1")
    run=$out/run/$name/$input
    rm -rf "$run" && mkdir -p "$run"
    if [ -f "$dir/inputs/input_$input.tar" ]; then tar -C "$run" -xf "$dir/inputs/input_$input.tar"; fi
    conf=$dir/parsec/$input.runconf
    [ -f "$conf" ] || { echo "build.sh: no $conf" >&2; return 1; }
    # run_args="..." in the runconf, with ${NTHREADS} kept for bench/scale.
    sed -n 's/^run_args="\(.*\)"$/\1/p' "$conf" >"$run/args"
    [ -s "$run/args" ] || { echo "build.sh: no run_args in $conf" >&2; return 1; }
}

status=0
for name in $names; do
    echo "== $name"
    if build_one "$name" >"$out/src/$name.log" 2>&1 && lay_out_input "$name"; then
        echo "$name" >>"$out/built"
        echo "   $out/bin/$name; run in $out/run/$name/$input with: $(cat "$out/run/$name/$input/args")"
    else
        echo "   FAILED: see $out/src/$name.log" >&2
        status=1
    fi
done
exit $status
