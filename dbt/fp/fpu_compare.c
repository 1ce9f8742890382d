/* FPCompare, FPCompareEQ/GE/GT, FPMax/FPMin and FPMaxNum/FPMinNum. */
#include "dbt/fp/fpu_internal.h"

/* Total order of non-NaN operands (flushed denormals are zeros, -0 == +0):
 * negative, zero or positive as a <, ==, > b. */
static int order(const struct fpu_fmt *f, const struct fpu_val *a, const struct fpu_val *b) {
    uint64_t mag_mask = fpu_sign_bit(f) - 1;
    int64_t ka = a->cls == FPC_ZERO ? 0 : (int64_t)(a->bits & mag_mask);
    int64_t kb = b->cls == FPC_ZERO ? 0 : (int64_t)(b->bits & mag_mask);
    if (a->sign) ka = -ka;
    if (b->sign) kb = -kb;
    return (ka > kb) - (ka < kb);
}

uint32_t fpu_compare(struct cpu *cpu, unsigned esize, uint64_t a, uint64_t b, bool signal_all) {
    const struct fpu_fmt *f = fpu_fmt_of(esize);
    struct fpu_val x = fpu_unpack(cpu, f, a, 0), y = fpu_unpack(cpu, f, b, 0);
    if (fpu_is_nan(&x) || fpu_is_nan(&y)) {
        if (x.cls == FPC_SNAN || y.cls == FPC_SNAN || signal_all) fpu_raise(cpu, FPSR_IOC);
        return NZCV_C | NZCV_V;
    }
    int o = order(f, &x, &y);
    return o == 0 ? NZCV_Z | NZCV_C : o < 0 ? NZCV_N : NZCV_C;
}

bool fpu_cmp_eq(struct cpu *cpu, unsigned esize, uint64_t a, uint64_t b) {
    const struct fpu_fmt *f = fpu_fmt_of(esize);
    struct fpu_val x = fpu_unpack(cpu, f, a, 0), y = fpu_unpack(cpu, f, b, 0);
    if (fpu_is_nan(&x) || fpu_is_nan(&y)) {
        if (x.cls == FPC_SNAN || y.cls == FPC_SNAN) fpu_raise(cpu, FPSR_IOC);
        return false;
    }
    return order(f, &x, &y) == 0;
}

/* GE/GT are signalling comparisons: any NaN raises IOC. */
static int ordered_signalling(struct cpu *cpu, unsigned esize, uint64_t a, uint64_t b, bool *nan) {
    const struct fpu_fmt *f = fpu_fmt_of(esize);
    struct fpu_val x = fpu_unpack(cpu, f, a, 0), y = fpu_unpack(cpu, f, b, 0);
    *nan = fpu_is_nan(&x) || fpu_is_nan(&y);
    if (*nan) {
        fpu_raise(cpu, FPSR_IOC);
        return 0;
    }
    return order(f, &x, &y);
}

bool fpu_cmp_ge(struct cpu *cpu, unsigned esize, uint64_t a, uint64_t b) {
    bool nan;
    int o = ordered_signalling(cpu, esize, a, b, &nan);
    return !nan && o >= 0;
}

bool fpu_cmp_gt(struct cpu *cpu, unsigned esize, uint64_t a, uint64_t b) {
    bool nan;
    int o = ordered_signalling(cpu, esize, a, b, &nan);
    return !nan && o > 0;
}

/* FPMax / FPMin on unpacked operands (NaNs already excluded). A non-zero
 * finite result is the chosen operand itself: FPRound of it is exact. */
static uint64_t max_min(const struct fpu_fmt *f, const struct fpu_val *x, const struct fpu_val *y,
                        bool is_max) {
    int o = order(f, x, y);
    const struct fpu_val *pick = (is_max ? o > 0 : o < 0) ? x : y;
    if (pick->cls == FPC_INF) return fpu_inf(f, pick->sign);
    if (pick->cls == FPC_ZERO) {
        /* Either operand may be the zero picked: max prefers +0, min -0. */
        bool sign = is_max ? x->sign && y->sign : x->sign || y->sign;
        return fpu_zero(f, sign);
    }
    return pick->bits;
}

static uint64_t max_min_op(struct cpu *cpu, unsigned esize, uint64_t a, uint64_t b, bool is_max,
                           bool numeric) {
    const struct fpu_fmt *f = fpu_fmt_of(esize);
    struct fpu_val x = fpu_unpack(cpu, f, a, 0), y = fpu_unpack(cpu, f, b, 0);
    if (numeric) {
        /* FPMaxNum/FPMinNum: a single quiet NaN loses against anything. */
        uint64_t loser = fpu_inf(f, is_max);
        if (x.cls == FPC_QNAN && y.cls != FPC_QNAN)
            x = fpu_unpack(cpu, f, loser, 0);
        else if (y.cls == FPC_QNAN && x.cls != FPC_QNAN)
            y = fpu_unpack(cpu, f, loser, 0);
    }
    uint64_t r;
    if (fpu_process_nans(cpu, f, &x, &y, &r)) return r;
    return max_min(f, &x, &y, is_max);
}

uint64_t fpu_max(struct cpu *cpu, unsigned esize, uint64_t a, uint64_t b) {
    return max_min_op(cpu, esize, a, b, true, false);
}

uint64_t fpu_min(struct cpu *cpu, unsigned esize, uint64_t a, uint64_t b) {
    return max_min_op(cpu, esize, a, b, false, false);
}

uint64_t fpu_maxnm(struct cpu *cpu, unsigned esize, uint64_t a, uint64_t b) {
    return max_min_op(cpu, esize, a, b, true, true);
}

uint64_t fpu_minnm(struct cpu *cpu, unsigned esize, uint64_t a, uint64_t b) {
    return max_min_op(cpu, esize, a, b, false, true);
}
