/* Rounding to integers: FPRoundInt (FRINT*) and FPToFixed (FCVT*S/U,
 * fixed-point too). Both round |value| * 2^scale to an integer magnitude;
 * the modes are applied to the magnitude with the sign in mind, which is
 * equivalent to the pseudocode's RoundDown-then-increment on the value. */
#include "dbt/fp/fpu_internal.h"

/* |value| * 2^scale rounded in mode rm. *huge when it needs more than 64
 * bits (only a lower bound is then known); *inexact when a fraction was
 * discarded. */
static uint64_t round_magnitude(const struct fpu_val *v, int scale, enum fpu_rmode rm, bool *huge,
                                bool *inexact) {
    int e = v->exp + scale;
    *huge = false;
    *inexact = false;
    if (e >= 0) {
        /* An integer already; m < 2^53 so it fits when e <= 11. */
        if (e > 11 && (e >= 64 || (v->m >> (64 - e)) != 0)) {
            *huge = true;
            return UINT64_MAX;
        }
        return v->m << e;
    }
    unsigned sh = (unsigned)-e;
    uint64_t ipart = sh >= 64 ? 0 : v->m >> sh;
    /* The discarded fraction against one half: m < 2^53, so for sh > 64
     * it is below one half and non-zero. */
    int vs_half;
    if (sh > 64) {
        vs_half = -1;
        *inexact = true;
    } else {
        u128 frac = (u128)v->m & (((u128)1 << sh) - 1);
        u128 half = (u128)1 << (sh - 1);
        vs_half = frac > half ? 1 : frac == half ? 0 : -1;
        *inexact = frac != 0;
    }
    bool up;
    switch (rm) {
    case FPU_RN: up = vs_half > 0 || (vs_half == 0 && (ipart & 1)); break;
    case FPU_RA: up = vs_half >= 0; break;
    case FPU_RP: up = *inexact && !v->sign; break;
    case FPU_RM: up = *inexact && v->sign; break;
    default: up = false; break;
    }
    return ipart + up; /* ipart < 2^53: no carry out */
}

uint64_t fpu_round_int(struct cpu *cpu, unsigned esize, uint64_t a, enum fpu_rmode rm, bool exact) {
    const struct fpu_fmt *f = fpu_fmt_of(esize);
    struct fpu_val x = fpu_unpack(cpu, f, a, 0);
    if (fpu_is_nan(&x)) return fpu_process_nan(cpu, f, &x);
    if (x.cls == FPC_INF) return fpu_inf(f, x.sign);
    if (x.cls == FPC_ZERO) return fpu_zero(f, x.sign);
    if (x.exp >= 0) return x.bits; /* already integral (and normal) */
    bool huge, inexact;
    uint64_t mag = round_magnitude(&x, 0, fpu_resolve_rmode(cpu, rm), &huge, &inexact);
    uint64_t r = mag == 0 ? fpu_zero(f, x.sign) : fpu_round_pack(cpu, f, x.sign, 0, mag, FPU_RZ, 0);
    if (inexact && exact) fpu_raise(cpu, FPSR_IXC);
    return r;
}

uint64_t fpu_to_int(struct cpu *cpu, unsigned esize, uint64_t a, unsigned int_bits, bool is_signed,
                    unsigned fbits, enum fpu_rmode rm) {
    const struct fpu_fmt *f = fpu_fmt_of(esize);
    struct fpu_val x = fpu_unpack(cpu, f, a, 0);
    uint64_t umax = int_bits == 64 ? UINT64_MAX : (1ull << int_bits) - 1;
    uint64_t smax = umax >> 1;
    if (fpu_is_nan(&x)) {
        fpu_raise(cpu, FPSR_IOC);
        return 0;
    }
    if (x.cls == FPC_ZERO) return 0;
    bool huge = x.cls == FPC_INF, inexact = false;
    uint64_t mag =
        huge ? UINT64_MAX
             : round_magnitude(&x, (int)fbits, fpu_resolve_rmode(cpu, rm), &huge, &inexact);
    bool overflow;
    uint64_t r;
    if (is_signed && x.sign) {
        overflow = huge || mag > smax + 1;
        r = overflow ? smax + 1 : -mag;
    } else if (is_signed) {
        overflow = huge || mag > smax;
        r = overflow ? smax : mag;
    } else if (x.sign) {
        overflow = mag != 0;
        r = 0;
    } else {
        overflow = huge || mag > umax;
        r = overflow ? umax : mag;
    }
    if (overflow)
        fpu_raise(cpu, FPSR_IOC);
    else if (inexact)
        fpu_raise(cpu, FPSR_IXC);
    return r & umax;
}
