/* Reciprocal and reciprocal-square-root estimates and Newton steps:
 * FPRecipEstimate, FPRSqrtEstimate (8-bit estimates, no FEAT_RPRES),
 * FPRecipStepFused, FPRSqrtStepFused, FPRecpX, and the unsigned integer
 * estimates, all as the Arm ARM pseudocode defines them. */
#include <math.h>

#include "dbt/fp/fpu_internal.h"

/* RecipEstimate: a in [256, 512) is 0.5 <= x < 1 in steps of 1/512;
 * the result in [256, 512) is 1/x in steps of 1/256. */
static unsigned recip_estimate(unsigned a) {
    a = a * 2 + 1;
    unsigned b = (1u << 19) / a;
    return (b + 1) / 2;
}

/* RecipSqrtEstimate: a in [128, 512) is 0.25 <= x < 1. */
static unsigned recip_sqrt_estimate(unsigned a) {
    if (a < 256)
        a = a * 2 + 1;
    else
        a = ((a >> 1) << 1) * 2 + 2;
    /* b: the largest integer >= 512 with a * b^2 < 2^28, i.e. b < 2^14/sqrt(a). */
    const uint64_t limit = 1ull << 28;
    uint64_t b = (uint64_t)sqrt((double)limit / a);
    while (b > 0 && a * b * b >= limit)
        b--;
    while (a * (b + 1) * (b + 1) < limit)
        b++;
    if (b < 512) b = 512;
    return (unsigned)((b + 1) / 2);
}

/* Position of the leading bit of |value|: value in [2^k, 2^(k+1)). */
static int log2_floor(const struct fpu_val *v) {
    return v->exp + 63 - __builtin_clzll(v->m);
}

uint64_t fpu_recpe(struct cpu *cpu, unsigned esize, uint64_t a) {
    const struct fpu_fmt *f = fpu_fmt_of(esize);
    struct fpu_val x = fpu_unpack(cpu, f, a, 0);
    if (fpu_is_nan(&x)) return fpu_process_nan(cpu, f, &x);
    if (x.cls == FPC_INF) return fpu_zero(f, x.sign);
    if (x.cls == FPC_ZERO) {
        fpu_raise(cpu, FPSR_DZC);
        return fpu_inf(f, x.sign);
    }
    int k = log2_floor(&x);
    if (k < f->emin - 2) {
        /* 1/x overflows: infinity or the largest normal as the mode says. */
        enum fpu_rmode rm = fpu_fpcr_rmode(cpu);
        bool to_inf = rm == FPU_RN || (rm == FPU_RP && !x.sign) || (rm == FPU_RM && x.sign);
        fpu_raise(cpu, FPSR_OFC | FPSR_IXC);
        return to_inf ? fpu_inf(f, x.sign) : fpu_max_normal(f, x.sign);
    }
    if (fpu_flush_enabled(cpu, f) && k >= -f->emin) {
        fpu_raise(cpu, FPSR_UFC); /* 1/x is tiny: flushed */
        return fpu_zero(f, x.sign);
    }
    /* Work on a 52-bit fraction as in double precision. */
    uint64_t frac = (a & fpu_frac_mask(f)) << (52 - f->fbits);
    int exp = (int)((a & fpu_exp_mask(f)) >> f->fbits);
    if (exp == 0) {
        if (!(frac >> 51 & 1)) {
            exp = -1;
            frac = (frac << 2) & ((1ull << 52) - 1);
        } else {
            frac = (frac << 1) & ((1ull << 52) - 1);
        }
    }
    unsigned scaled = 256 | (unsigned)(frac >> 44);
    int result_exp = 2 * f->bias - 1 - exp;
    frac = (uint64_t)(recip_estimate(scaled) & 0xff) << 44;
    if (result_exp == 0) {
        frac = (1ull << 51) | (frac >> 1);
    } else if (result_exp == -1) {
        frac = (1ull << 50) | (frac >> 2);
        result_exp = 0;
    }
    return fpu_zero(f, x.sign) | ((uint64_t)result_exp << f->fbits) | (frac >> (52 - f->fbits));
}

uint64_t fpu_rsqrte(struct cpu *cpu, unsigned esize, uint64_t a) {
    const struct fpu_fmt *f = fpu_fmt_of(esize);
    struct fpu_val x = fpu_unpack(cpu, f, a, 0);
    if (fpu_is_nan(&x)) return fpu_process_nan(cpu, f, &x);
    if (x.cls == FPC_ZERO) {
        fpu_raise(cpu, FPSR_DZC);
        return fpu_inf(f, x.sign);
    }
    if (x.sign) {
        fpu_raise(cpu, FPSR_IOC);
        return fpu_default_nan(f);
    }
    if (x.cls == FPC_INF) return fpu_zero(f, false);
    uint64_t frac = (a & fpu_frac_mask(f)) << (52 - f->fbits);
    int exp = (int)((a & fpu_exp_mask(f)) >> f->fbits);
    if (exp == 0) {
        while (!(frac >> 51 & 1)) {
            frac <<= 1;
            exp--;
        }
        frac = (frac << 1) & ((1ull << 52) - 1);
    }
    unsigned scaled = (exp & 1) ? 128 | (unsigned)(frac >> 45) : 256 | (unsigned)(frac >> 44);
    /* (3 * bias - 1 - exp) DIV 2; the dividend is always positive. */
    int result_exp = (3 * f->bias - 1 - exp) / 2;
    uint64_t est = recip_sqrt_estimate(scaled) & 0xff;
    return ((uint64_t)result_exp << f->fbits) | (est << (f->fbits - 8));
}

/* FPRecipStepFused (2 - a*b) and FPRSqrtStepFused ((3 - a*b) / 2). */
static uint64_t step_fused(struct cpu *cpu, unsigned esize, uint64_t a, uint64_t b, bool rsqrt) {
    const struct fpu_fmt *f = fpu_fmt_of(esize);
    struct fpu_val x = fpu_unpack(cpu, f, a ^ fpu_sign_bit(f), 0); /* FPNeg(op1) */
    struct fpu_val y = fpu_unpack(cpu, f, b, 0);
    uint64_t r;
    if (fpu_process_nans(cpu, f, &x, &y, &r)) return r;
    if ((x.cls == FPC_INF && y.cls == FPC_ZERO) || (x.cls == FPC_ZERO && y.cls == FPC_INF))
        return rsqrt ? fpu_const(f, false, 0, 2) : fpu_const(f, false, 1, 0);
    if (x.cls == FPC_INF || y.cls == FPC_INF) return fpu_inf(f, x.sign ^ y.sign);
    u128 prod = (x.cls == FPC_ZERO || y.cls == FPC_ZERO) ? 0 : (u128)x.m * y.m;
    int scale = rsqrt ? -1 : 0;
    return fpu_add_exact(cpu, f, false, scale, rsqrt ? 3 : 2, x.sign ^ y.sign,
                         x.exp + y.exp + scale, prod, fpu_fpcr_rmode(cpu));
}

uint64_t fpu_recps(struct cpu *cpu, unsigned esize, uint64_t a, uint64_t b) {
    return step_fused(cpu, esize, a, b, false);
}

uint64_t fpu_rsqrts(struct cpu *cpu, unsigned esize, uint64_t a, uint64_t b) {
    return step_fused(cpu, esize, a, b, true);
}

uint64_t fpu_recpx(struct cpu *cpu, unsigned esize, uint64_t a) {
    const struct fpu_fmt *f = fpu_fmt_of(esize);
    struct fpu_val x = fpu_unpack(cpu, f, a, 0);
    if (fpu_is_nan(&x)) return fpu_process_nan(cpu, f, &x);
    uint64_t exp = (a & fpu_exp_mask(f)) >> f->fbits;
    uint64_t ones = (1ull << f->ebits) - 1;
    uint64_t rexp = exp == 0 ? ones - 1 : ~exp & ones;
    return fpu_zero(f, x.sign) | (rexp << f->fbits);
}

uint32_t fpu_urecpe(uint32_t a) {
    if (!(a >> 31)) return UINT32_MAX;
    return (recip_estimate(a >> 23) & 0x1ff) << 23;
}

uint32_t fpu_ursqrte(uint32_t a) {
    if (!(a >> 30)) return UINT32_MAX;
    return (recip_sqrt_estimate(a >> 23) & 0x1ff) << 23;
}
