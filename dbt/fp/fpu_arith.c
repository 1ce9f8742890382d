/* FPAdd, FPSub, FPMul, FPMulX, FPDiv, FPSqrt, FPMulAdd, FABD. */
#include "dbt/fp/fpu_internal.h"

static uint64_t add_sub(struct cpu *cpu, unsigned esize, uint64_t a, uint64_t b, bool negate_b) {
    const struct fpu_fmt *f = fpu_fmt_of(esize);
    struct fpu_val x = fpu_unpack(cpu, f, a, 0), y = fpu_unpack(cpu, f, b, 0);
    uint64_t r;
    if (fpu_process_nans(cpu, f, &x, &y, &r)) return r;
    bool sy = y.sign ^ negate_b;
    enum fpu_rmode rm = fpu_fpcr_rmode(cpu);
    if (x.cls == FPC_INF && y.cls == FPC_INF && x.sign != sy) {
        fpu_raise(cpu, FPSR_IOC);
        return fpu_default_nan(f);
    }
    if (x.cls == FPC_INF) return fpu_inf(f, x.sign);
    if (y.cls == FPC_INF) return fpu_inf(f, sy);
    if (x.cls == FPC_ZERO && y.cls == FPC_ZERO && x.sign == sy) return fpu_zero(f, x.sign);
    if (x.cls == FPC_ZERO && y.cls == FPC_ZERO) return fpu_zero(f, rm == FPU_RM);
    return fpu_add_exact(cpu, f, x.sign, x.exp, x.m, sy, y.exp, y.m, rm);
}

uint64_t fpu_add(struct cpu *cpu, unsigned esize, uint64_t a, uint64_t b) {
    return add_sub(cpu, esize, a, b, false);
}

uint64_t fpu_sub(struct cpu *cpu, unsigned esize, uint64_t a, uint64_t b) {
    return add_sub(cpu, esize, a, b, true);
}

uint64_t fpu_abd(struct cpu *cpu, unsigned esize, uint64_t a, uint64_t b) {
    /* FPAbs(FPSub()): the sign is cleared even on a NaN result. */
    return add_sub(cpu, esize, a, b, true) & ~fpu_sign_bit(fpu_fmt_of(esize));
}

/* FPMul and FPMulX, which differ only in 0 * inf (NaN vs. 2.0). */
static uint64_t mul(struct cpu *cpu, unsigned esize, uint64_t a, uint64_t b, bool mulx) {
    const struct fpu_fmt *f = fpu_fmt_of(esize);
    struct fpu_val x = fpu_unpack(cpu, f, a, 0), y = fpu_unpack(cpu, f, b, 0);
    uint64_t r;
    if (fpu_process_nans(cpu, f, &x, &y, &r)) return r;
    bool sign = x.sign ^ y.sign;
    if ((x.cls == FPC_INF && y.cls == FPC_ZERO) || (x.cls == FPC_ZERO && y.cls == FPC_INF)) {
        if (mulx) return fpu_const(f, sign, 1, 0);
        fpu_raise(cpu, FPSR_IOC);
        return fpu_default_nan(f);
    }
    if (x.cls == FPC_INF || y.cls == FPC_INF) return fpu_inf(f, sign);
    if (x.cls == FPC_ZERO || y.cls == FPC_ZERO) return fpu_zero(f, sign);
    return fpu_round_pack(cpu, f, sign, x.exp + y.exp, (u128)x.m * y.m, fpu_fpcr_rmode(cpu), 0);
}

uint64_t fpu_mul(struct cpu *cpu, unsigned esize, uint64_t a, uint64_t b) {
    return mul(cpu, esize, a, b, false);
}

uint64_t fpu_mulx(struct cpu *cpu, unsigned esize, uint64_t a, uint64_t b) {
    return mul(cpu, esize, a, b, true);
}

uint64_t fpu_div(struct cpu *cpu, unsigned esize, uint64_t a, uint64_t b) {
    const struct fpu_fmt *f = fpu_fmt_of(esize);
    struct fpu_val x = fpu_unpack(cpu, f, a, 0), y = fpu_unpack(cpu, f, b, 0);
    uint64_t r;
    if (fpu_process_nans(cpu, f, &x, &y, &r)) return r;
    bool sign = x.sign ^ y.sign;
    if ((x.cls == FPC_INF && y.cls == FPC_INF) || (x.cls == FPC_ZERO && y.cls == FPC_ZERO)) {
        fpu_raise(cpu, FPSR_IOC);
        return fpu_default_nan(f);
    }
    if (x.cls == FPC_INF || y.cls == FPC_ZERO) {
        if (x.cls != FPC_INF) fpu_raise(cpu, FPSR_DZC);
        return fpu_inf(f, sign);
    }
    if (x.cls == FPC_ZERO || y.cls == FPC_INF) return fpu_zero(f, sign);
    /* Both significands normalised to bit 63: the 128/64 quotient has 64 or
     * 65 bits; one extra bit plus a sticky bit for the remainder. */
    int sx = __builtin_clzll(x.m), sy = __builtin_clzll(y.m);
    uint64_t nx = x.m << sx, ny = y.m << sy;
    u128 num = (u128)nx << 64;
    u128 q = num / ny;
    bool rem = num % ny != 0;
    int exp = x.exp - sx - (y.exp - sy) - 65;
    return fpu_round_pack(cpu, f, sign, exp, (q << 1) | rem, fpu_fpcr_rmode(cpu), 0);
}

/* Floor of the square root of v, and whether it is exact. */
static uint64_t isqrt128(u128 v, bool *exact) {
    u128 rem = 0, root = 0;
    for (int i = 0; i < 64; i++) {
        rem = (rem << 2) | (v >> 126);
        v <<= 2;
        root <<= 1;
        u128 trial = (root << 1) | 1;
        if (rem >= trial) {
            rem -= trial;
            root |= 1;
        }
    }
    *exact = rem == 0;
    return (uint64_t)root;
}

uint64_t fpu_sqrt(struct cpu *cpu, unsigned esize, uint64_t a) {
    const struct fpu_fmt *f = fpu_fmt_of(esize);
    struct fpu_val x = fpu_unpack(cpu, f, a, 0);
    if (fpu_is_nan(&x)) return fpu_process_nan(cpu, f, &x);
    if (x.cls == FPC_ZERO) return fpu_zero(f, x.sign);
    if (x.cls == FPC_INF && !x.sign) return fpu_inf(f, false);
    if (x.sign) {
        fpu_raise(cpu, FPSR_IOC);
        return fpu_default_nan(f);
    }
    /* Significand at bit 63 or 62 so that the exponent is even; then the
     * root of sig * 2^64 has exactly 64 bits. */
    int s = __builtin_clzll(x.m);
    if ((x.exp - s) & 1) s--;
    u128 v = (u128)(x.m << s) << 64; /* m has at most 53 bits: s >= 10 */
    int exp = x.exp - s - 64;
    bool exact;
    uint64_t root = isqrt128(v, &exact);
    return fpu_round_pack(cpu, f, false, exp / 2 - 1, ((u128)root << 1) | !exact,
                          fpu_fpcr_rmode(cpu), 0);
}

uint64_t fpu_muladd(struct cpu *cpu, unsigned esize, uint64_t addend, uint64_t b, uint64_t c) {
    const struct fpu_fmt *f = fpu_fmt_of(esize);
    struct fpu_val va = fpu_unpack(cpu, f, addend, 0);
    struct fpu_val x = fpu_unpack(cpu, f, b, 0), y = fpu_unpack(cpu, f, c, 0);
    bool inf_zero =
        (x.cls == FPC_INF && y.cls == FPC_ZERO) || (x.cls == FPC_ZERO && y.cls == FPC_INF);
    uint64_t r;
    bool done = fpu_process_nans3(cpu, f, &va, &x, &y, &r);
    if (va.cls == FPC_QNAN && inf_zero) {
        fpu_raise(cpu, FPSR_IOC);
        return fpu_default_nan(f);
    }
    if (done) return r;
    bool sp = x.sign ^ y.sign;
    bool inf_p = x.cls == FPC_INF || y.cls == FPC_INF;
    bool zero_p = x.cls == FPC_ZERO || y.cls == FPC_ZERO;
    enum fpu_rmode rm = fpu_fpcr_rmode(cpu);
    if (inf_zero || (va.cls == FPC_INF && inf_p && va.sign != sp)) {
        fpu_raise(cpu, FPSR_IOC);
        return fpu_default_nan(f);
    }
    if (va.cls == FPC_INF) return fpu_inf(f, va.sign);
    if (inf_p) return fpu_inf(f, sp);
    if (va.cls == FPC_ZERO && zero_p) return fpu_zero(f, va.sign == sp ? va.sign : rm == FPU_RM);
    u128 prod = zero_p ? 0 : (u128)x.m * y.m;
    uint64_t ma = va.cls == FPC_ZERO ? 0 : va.m;
    return fpu_add_exact(cpu, f, va.sign, va.exp, ma, sp, x.exp + y.exp, prod, rm);
}
