#!/bin/bash
# Builds the libFuzzer targets in a clang build tree of their own (ASan +
# UBSan, coverage instrumentation on all of shoal's libraries) and runs
# each for a bounded time from the committed seed corpus.
#
# usage: run_fuzz.sh [--build-dir DIR] [--runs N] [--time S] [TARGET...]
# FUZZ_EXTRA_CFLAGS adds compiler flags (e.g. -fno-sanitize=shift-base to
# look past a known report while hunting for the next one).
# exit: 0 no crash, 1 a target crashed (the reproducer is under
# DIR/artifacts/), 2 build error, 77 no clang/libFuzzer (CTest SKIP).
set -u
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$SRC/build-fuzz RUNS=20000 TIME=45 TARGETS=()
while [ $# -gt 0 ]; do
    case $1 in
    --build-dir) BUILD=$2; shift ;;
    --runs) RUNS=$2; shift ;;
    --time) TIME=$2; shift ;;
    -*) echo "run_fuzz.sh: unknown option $1" >&2; exit 2 ;;
    *) TARGETS+=("$1") ;;
    esac
    shift
done
CLANG=${CLANG:-clang}
if ! command -v "$CLANG" >/dev/null; then
    echo "SKIP: $CLANG not found"
    exit 77
fi
if ! echo 'int LLVMFuzzerTestOneInput(const char *d, long n) { return 0; }' |
    "$CLANG" -x c -fsanitize=fuzzer -o /dev/null - 2>/dev/null; then
    echo "SKIP: $CLANG cannot link -fsanitize=fuzzer (libFuzzer runtime missing)"
    exit 77
fi

# -Wno-error: this tree exists to find crashes; clang's extra warnings in
# code under development must not stop it.
cmake -S "$SRC" -B "$BUILD" -DCMAKE_C_COMPILER="$CLANG" -DSHOAL_FUZZ=ON -DSHOAL_SANITIZE=ON \
    -DSHOAL_GUEST_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_FLAGS="-fsanitize=fuzzer-no-link -Wno-error" \
    -DSHOAL_FUZZ_EXTRA_FLAGS="${FUZZ_EXTRA_CFLAGS:-}" >"$BUILD.configure.log" 2>&1 ||
    { cat "$BUILD.configure.log"; exit 2; }
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(fuzz_decode_interp fuzz_decode_jit fuzz_elf fuzz_sigreturn fuzz_frame fuzz_sc_msg)

status=0
for t in "${TARGETS[@]}"; do
    seeds=$SRC/tests/fuzz/corpus/${t/%_jit/_interp} # both decode targets share seeds
    if [ ! -d "$seeds" ]; then
        echo "run_fuzz.sh: no seed corpus $seeds" >&2
        exit 2
    fi
    if ! cmake --build "$BUILD" --target help 2>/dev/null | grep -qw "$t"; then
        echo "run_fuzz.sh: $t: not configured (its API is not in the tree yet), skipped"
        continue
    fi
    if ! cmake --build "$BUILD" -j "$(nproc)" --target "$t" >"$BUILD/$t.build.log" 2>&1; then
        tail -n 30 "$BUILD/$t.build.log"
        echo "run_fuzz.sh: $t: build failed"
        status=2
        continue
    fi
    # New inputs go to a scratch corpus; the committed seeds stay as they are.
    mkdir -p "$BUILD/corpus/$t" "$BUILD/artifacts"
    # The JIT target keeps its context across inputs on purpose: a leak
    # check after each input would scan the whole code buffer.
    extra=()
    [ "${t%_jit}" = "$t" ] || extra=(-detect_leaks=0)
    echo "run_fuzz.sh: $t: -runs=$RUNS -max_total_time=$TIME ${extra[*]}"
    # A fixed seed keeps a CI run reproducible; FUZZ_SEED=0 lets libFuzzer pick.
    if ! "$BUILD/tests/fuzz/$t" -seed="${FUZZ_SEED:-1}" -runs="$RUNS" -max_total_time="$TIME" -timeout=10 "${extra[@]}" \
        -rss_limit_mb=4096 -print_final_stats=1 -artifact_prefix="$BUILD/artifacts/$t-" \
        "$BUILD/corpus/$t" "$seeds" >"$BUILD/$t.fuzz.log" 2>&1; then
        tail -n 60 "$BUILD/$t.fuzz.log"
        echo "run_fuzz.sh: $t: CRASH; reproduce with $BUILD/tests/fuzz/$t $BUILD/artifacts/$t-*"
        status=1
        continue
    fi
    grep -E '^stat::(number_of_executed_units|peak_rss_mb)|cov:' "$BUILD/$t.fuzz.log" | tail -n 3
done
exit $status
