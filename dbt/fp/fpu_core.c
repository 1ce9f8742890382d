/* The primitives of the FP library: format parameters, FPUnpack, FPRound
 * and NaN processing, following the Arm ARM pseudocode. */
#include "common/log.h"
#include "dbt/fp/fpu_internal.h"

static const struct fpu_fmt fmt_half = {16, 5, 10, -14, 15};
static const struct fpu_fmt fmt_single = {32, 8, 23, -126, 127};
static const struct fpu_fmt fmt_double = {64, 11, 52, -1022, 1023};

const struct fpu_fmt *fpu_fmt_of(unsigned esize) {
    switch (esize) {
    case 16: return &fmt_half;
    case 32: return &fmt_single;
    case 64: return &fmt_double;
    }
    SHOAL_ASSERT(!"bad FP element size");
}

struct fpu_val fpu_unpack(struct cpu *cpu, const struct fpu_fmt *f, uint64_t bits, unsigned opts) {
    if (f->esize < 64) bits &= (1ull << f->esize) - 1; /* callers may pass a whole register */
    struct fpu_val v = {.bits = bits};
    unsigned biased = (unsigned)((bits & fpu_exp_mask(f)) >> f->fbits);
    uint64_t frac = bits & fpu_frac_mask(f);
    bool ahp = f->esize == 16 && (opts & FPU_AHP);
    bool fz = fpu_flush_enabled(cpu, f) && !(f->esize == 16 && (opts & FPU_CV_FORM));
    v.sign = (bits & fpu_sign_bit(f)) != 0;
    if (biased == 0) {
        if (frac == 0 || fz) {
            v.cls = FPC_ZERO;
            if (frac != 0) fpu_raise(cpu, FPSR_IDC);
        } else {
            v.cls = FPC_FINITE;
            v.m = frac;
            v.exp = f->emin - (int)f->fbits;
        }
    } else if (biased == (1u << f->ebits) - 1 && !ahp) {
        if (frac == 0)
            v.cls = FPC_INF;
        else
            v.cls = (frac & fpu_quiet_bit(f)) ? FPC_QNAN : FPC_SNAN;
    } else {
        v.cls = FPC_FINITE;
        v.m = frac | (1ull << f->fbits);
        v.exp = (int)biased - f->bias - (int)f->fbits;
    }
    return v;
}

/* Whether rounding the truncated significand (lsb = its last bit) up is
 * needed, given the discarded part compared with one half ulp. */
static bool round_up(enum fpu_rmode rm, bool sign, bool lsb, bool inexact, int vs_half) {
    switch (rm) {
    case FPU_RN: return vs_half > 0 || (vs_half == 0 && lsb);
    case FPU_RP: return inexact && !sign;
    case FPU_RM: return inexact && sign;
    case FPU_RA: return vs_half >= 0;
    default: return false; /* RZ, round to odd */
    }
}

static bool overflow_to_inf(enum fpu_rmode rm, bool sign) {
    switch (rm) {
    case FPU_RN:
    case FPU_RA: return true;
    case FPU_RP: return !sign;
    case FPU_RM: return sign;
    default: return false;
    }
}

uint64_t fpu_round_pack(struct cpu *cpu, const struct fpu_fmt *f, bool sign, int exp, u128 mag,
                        enum fpu_rmode rm, unsigned opts) {
    SHOAL_ASSERT(mag != 0 && rm != FPU_RFPCR);
    /* Normalise to a 64-bit significand with its top bit set (value =
     * sig/2^63 * 2^e); bits shifted out are jammed into bit 0, which lies
     * well below the rounding point of every format. */
    int msb = 127 - fpu_clz128(mag);
    int e = exp + msb;
    uint64_t sig = msb >= 63 ? (uint64_t)fpu_shr_jam128(mag, (unsigned)(msb - 63))
                             : (uint64_t)mag << (63 - msb);

    bool fz = !(opts & FPU_NO_FZ) && fpu_flush_enabled(cpu, f);
    if (fz && e < f->emin) {
        fpu_raise(cpu, FPSR_UFC); /* flushed output: UFC but never IXC */
        return fpu_zero(f, sign);
    }
    int biased = e - f->emin + 1;
    if (biased <= 0) {
        sig = (uint64_t)fpu_shr_jam128(sig, (unsigned)(1 - biased));
        biased = 0;
    }
    unsigned drop = 63 - f->fbits;
    uint64_t mant = sig >> drop;
    uint64_t err = sig & ((1ull << drop) - 1);
    uint64_t half = 1ull << (drop - 1);
    bool inexact = err != 0;
    if (biased == 0 && inexact) fpu_raise(cpu, FPSR_UFC);

    if (round_up(rm, sign, mant & 1, inexact, err > half ? 1 : err == half ? 0 : -1)) {
        mant++;
        if (mant == 1ull << f->fbits) biased = 1; /* denormal rounded up to normal */
        if (mant == 1ull << (f->fbits + 1)) {
            biased++;
            mant >>= 1;
        }
    }
    if (inexact && rm == FPU_RODD) mant |= 1;

    uint64_t result;
    bool ahp = f->esize == 16 && (opts & FPU_AHP);
    if (!ahp) {
        if (biased >= (1 << f->ebits) - 1) {
            result = overflow_to_inf(rm, sign) ? fpu_inf(f, sign) : fpu_max_normal(f, sign);
            fpu_raise(cpu, FPSR_OFC);
            inexact = true;
        } else {
            result = fpu_zero(f, sign) | ((uint64_t)biased << f->fbits) | (mant & fpu_frac_mask(f));
        }
    } else if (biased >= 1 << f->ebits) {
        result = fpu_zero(f, sign) | (fpu_sign_bit(f) - 1);
        fpu_raise(cpu, FPSR_IOC);
        inexact = false;
    } else {
        result = fpu_zero(f, sign) | ((uint64_t)biased << f->fbits) | (mant & fpu_frac_mask(f));
    }
    if (inexact) fpu_raise(cpu, FPSR_IXC);
    return result;
}

uint64_t fpu_process_nan(struct cpu *cpu, const struct fpu_fmt *f, const struct fpu_val *v) {
    uint64_t r = v->bits;
    if (v->cls == FPC_SNAN) {
        r |= fpu_quiet_bit(f);
        fpu_raise(cpu, FPSR_IOC);
    }
    if (cpu->fpcr & FPCR_DN) r = fpu_default_nan(f);
    return r;
}

bool fpu_process_nans(struct cpu *cpu, const struct fpu_fmt *f, const struct fpu_val *a,
                      const struct fpu_val *b, uint64_t *out) {
    const struct fpu_val *pick = a->cls == FPC_SNAN   ? a
                                 : b->cls == FPC_SNAN ? b
                                 : a->cls == FPC_QNAN ? a
                                 : b->cls == FPC_QNAN ? b
                                                      : NULL;
    if (!pick) return false;
    *out = fpu_process_nan(cpu, f, pick);
    return true;
}

bool fpu_process_nans3(struct cpu *cpu, const struct fpu_fmt *f, const struct fpu_val *a,
                       const struct fpu_val *b, const struct fpu_val *c, uint64_t *out) {
    const struct fpu_val *pick = a->cls == FPC_SNAN   ? a
                                 : b->cls == FPC_SNAN ? b
                                 : c->cls == FPC_SNAN ? c
                                 : a->cls == FPC_QNAN ? a
                                 : b->cls == FPC_QNAN ? b
                                 : c->cls == FPC_QNAN ? c
                                                      : NULL;
    if (!pick) return false;
    *out = fpu_process_nan(cpu, f, pick);
    return true;
}

/* Puts the top bit of a non-zero mag at bit 125, adjusting exp. */
static void align125(u128 *mag, int *exp) {
    int msb = 127 - fpu_clz128(*mag);
    if (msb < 125) {
        *mag <<= 125 - msb;
        *exp -= 125 - msb;
    } else if (msb > 125) {
        *mag = fpu_shr_jam128(*mag, (unsigned)(msb - 125));
        *exp += msb - 125;
    }
}

uint64_t fpu_add_exact(struct cpu *cpu, const struct fpu_fmt *f, bool sa, int ea, u128 ma, bool sb,
                       int eb, u128 mb, enum fpu_rmode rm) {
    if (ma == 0) return fpu_round_pack(cpu, f, sb, eb, mb, rm, 0);
    if (mb == 0) return fpu_round_pack(cpu, f, sa, ea, ma, rm, 0);
    align125(&ma, &ea);
    align125(&mb, &eb);
    /* Make a the operand of larger magnitude. */
    if (eb > ea || (eb == ea && mb > ma)) {
        u128 tm = ma;
        int te = ea;
        bool ts = sa;
        ma = mb, ea = eb, sa = sb;
        mb = tm, eb = te, sb = ts;
    }
    /* Both significands have their low 19+ bits clear (callers pass
     * fewer than 120 significant bits), so jamming the smaller one's
     * shifted-out bits keeps rounding and inexactness exact. */
    mb = fpu_shr_jam128(mb, (unsigned)(ea - eb));
    u128 r = sa == sb ? ma + mb : ma - mb;
    if (r == 0) return fpu_zero(f, rm == FPU_RM);
    return fpu_round_pack(cpu, f, sa, ea, r, rm, 0);
}
