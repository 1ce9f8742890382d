#!/bin/bash
# Random-instruction differential test: generate a batch from the decoder
# table (rnd_gen), assemble it into the static guest harness, run it under
# qemu-aarch64 (reference) and under the DUT (shoal --interp), compare the
# architectural state after every sequence. On a mismatch: show the
# differing registers and the sequence (our disassembler and objdump),
# then bisect to the first instruction whose prefix differs.
#
# usage: run_random.sh --gen RND_GEN (--shoal SHOAL | --dut "CMD")
#                      [--seed N] [--count N] [--work DIR] [--qemu-cpu CPU]
#                      [--no-bisect] [--dut-timeout S]
# exit: 0 equal, 1 mismatch or coverage failure, 77 the DUT cannot run
# static guest programs yet (CTest SKIP), 2 usage/tool errors.
set -u
SRC=$(cd "$(dirname "$0")/../.." && pwd)
GEN= SHOAL= DUT= SEED=1 COUNT=100000 WORK= QEMU_CPU=cortex-a76 BISECT=1 DUT_TIMEOUT=300
while [ $# -gt 0 ]; do
    case $1 in
    --gen) GEN=$2; shift ;;
    --shoal) SHOAL=$2; shift ;;
    --dut) DUT=$2; shift ;;
    --seed) SEED=$2; shift ;;
    --count) COUNT=$2; shift ;;
    --work) WORK=$2; shift ;;
    --qemu-cpu) QEMU_CPU=$2; shift ;;
    --no-bisect) BISECT=0 ;;
    --dut-timeout) DUT_TIMEOUT=$2; shift ;;
    *) echo "run_random.sh: unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done
[ -n "$GEN" ] || { echo "run_random.sh: --gen is required" >&2; exit 2; }
[ -n "$DUT" ] || [ -n "$SHOAL" ] || { echo "run_random.sh: --shoal or --dut is required" >&2; exit 2; }
[ -n "$DUT" ] || DUT="$SHOAL --interp"
[ -n "$WORK" ] || WORK=$(mktemp -d /tmp/shoal-random.XXXXXX)
CC=${AARCH64_CC:-aarch64-linux-gnu-gcc}
OBJDUMP=${AARCH64_OBJDUMP:-aarch64-linux-gnu-objdump}
REF="qemu-aarch64 -cpu $QEMU_CPU"
CFLAGS="-static -nostdlib -ffreestanding -fno-builtin -fno-stack-protector -mgeneral-regs-only -O2 -no-pie -I$SRC"
mkdir -p "$WORK" || exit 2
GENARGS=(--seed "$SEED" --count "$COUNT")

# The harness objects once; each batch only assembles its own batch.S.
$CC $CFLAGS -c -o "$WORK/harness.o" "$SRC/tests/random/guest/harness.c" &&
    $CC $CFLAGS -c -o "$WORK/enter.o" "$SRC/tests/random/guest/enter.S" ||
    { echo "run_random.sh: cannot build the guest harness" >&2; exit 2; }

# build DIR: DIR/batch.S -> DIR/batch.elf
build() {
    $CC $CFLAGS -o "$1/batch.elf" "$WORK/harness.o" "$WORK/enter.o" "$1/batch.S"
}

# run DIR: both emulators; outputs DIR/ref.bin, DIR/dut.bin (+ .err)
# (The braces keep bash's "Illegal instruction" job notices out of the log:
# a dying emulator is reported by the comparison.)
run_both() {
    { $REF "$1/batch.elf" >"$1/ref.bin" 2>"$1/ref.err"; } 2>/dev/null
    echo $? >"$1/ref.rc"
    { timeout "$DUT_TIMEOUT" $DUT "$1/batch.elf" >"$1/dut.bin" 2>"$1/dut.err"; } 2>/dev/null
    echo $? >"$1/dut.rc"
}

# Preflight: can the DUT run a static program at all (an empty batch)?
mkdir -p "$WORK/empty"
"$GEN" gen --seed "$SEED" --count 0 --out "$WORK/empty" >/dev/null
if ! build "$WORK/empty"; then
    echo "run_random.sh: cannot link the guest harness" >&2
    exit 2
fi
run_both "$WORK/empty"
if ! cmp -s "$WORK/empty/ref.bin" "$WORK/empty/dut.bin"; then
    echo "SKIP: the DUT ($DUT) cannot run a static guest program yet (exit $(cat "$WORK/empty/dut.rc")):"
    head -c 2000 "$WORK/empty/dut.err"
    exit 77
fi

# The batch.
t0=$(date +%s.%N)
"$GEN" gen "${GENARGS[@]}" --out "$WORK"
gen_rc=$?
[ $gen_rc -le 1 ] || exit 2
build "$WORK" || { echo "run_random.sh: cannot assemble the batch" >&2; exit 2; }
t1=$(date +%s.%N)
{ $REF "$WORK/batch.elf" >"$WORK/ref.bin" 2>"$WORK/ref.err"; } 2>/dev/null
t2=$(date +%s.%N)
{ timeout "$DUT_TIMEOUT" $DUT "$WORK/batch.elf" >"$WORK/dut.bin" 2>"$WORK/dut.err"; } 2>/dev/null
dut_rc=$?
t3=$(date +%s.%N)
printf 'run_random.sh: generate+assemble %.1fs, reference %.1fs, DUT %.1fs (exit %d)\n' \
    "$(echo "$t1 - $t0" | bc)" "$(echo "$t2 - $t1" | bc)" "$(echo "$t3 - $t2" | bc)" $dut_rc

"$GEN" compare "${GENARGS[@]}" "$WORK/ref.bin" "$WORK/dut.bin" | tee "$WORK/compare.txt"
cmp_rc=${PIPESTATUS[0]}
if [ "$cmp_rc" -eq 0 ]; then
    echo "run_random.sh: seed $SEED: $COUNT instructions, reference and DUT agree"
    exit $gen_rc
fi
[ "$cmp_rc" -eq 1 ] || exit 2
[ -s "$WORK/dut.err" ] && { echo "--- DUT stderr (tail):"; tail -c 2000 "$WORK/dut.err"; }
[ -s "$WORK/ref.err" ] && { echo "--- reference stderr (tail):"; tail -c 2000 "$WORK/ref.err"; }

K=$(sed -n 's/^FIRST_MISMATCH //p' "$WORK/compare.txt")
echo "--- sequence $K (reproduce: run_random.sh --seed $SEED --count $COUNT ...):"
"$GEN" list "${GENARGS[@]}" --seq "$K"
echo "--- objdump:"
$OBJDUMP -d --no-show-raw-insn --disassemble="rnd_seq_$K" "$WORK/batch.elf" | sed -n '/>:$/,$p'

if [ $BISECT -eq 1 ]; then
    # Smallest prefix of sequence K that already differs (prefix 0 is the
    # harness alone and agrees, as the preflight showed).
    len=$("$GEN" list "${GENARGS[@]}" --seq "$K" | sed -n 's/.*), \([0-9]*\) instructions:/\1/p')
    lo=0 hi=$len B="$WORK/bisect"
    mkdir -p "$B"
    while [ $((hi - lo)) -gt 1 ]; do
        mid=$(((lo + hi) / 2))
        "$GEN" gen "${GENARGS[@]}" --only "$K" --upto "$mid" --out "$B" >/dev/null
        build "$B" || exit 2
        run_both "$B"
        if "$GEN" compare "${GENARGS[@]}" --only "$K" "$B/ref.bin" "$B/dut.bin" >/dev/null; then
            lo=$mid
        else
            hi=$mid
        fi
    done
    "$GEN" gen "${GENARGS[@]}" --only "$K" --upto "$hi" --out "$B" >/dev/null
    build "$B" && run_both "$B"
    if "$GEN" compare "${GENARGS[@]}" --only "$K" "$B/ref.bin" "$B/dut.bin" >"$B/compare.txt"; then
        echo "--- bisect: no prefix of sequence $K differs alone (depends on the whole sequence)"
    else
        echo "--- bisect: first differing instruction is [$((hi - 1))] of sequence $K;"
        echo "    state after running the sequence up to and including it:"
        grep -v FIRST_MISMATCH "$B/compare.txt"
        "$GEN" list "${GENARGS[@]}" --seq "$K" --upto "$hi" | tail -n +2 | awk -v n=$((hi - 1)) \
            '/^  \[[0-9]+\]/ { show = ($0 ~ "^  \\[" n "\\]") } show'
    fi
fi
exit 1
