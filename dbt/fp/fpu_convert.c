/* FixedToFP (SCVTF/UCVTF) and FPConvert between precisions, including the
 * Arm alternative half-precision format (FPCR.AHP) and round-to-odd. */
#include "dbt/fp/fpu_internal.h"

uint64_t fpu_from_int(struct cpu *cpu, unsigned esize, uint64_t a, unsigned int_bits,
                      bool is_signed, unsigned fbits) {
    const struct fpu_fmt *f = fpu_fmt_of(esize);
    uint64_t mask = int_bits == 64 ? UINT64_MAX : (1ull << int_bits) - 1;
    uint64_t v = a & mask;
    bool sign = is_signed && ((v >> (int_bits - 1)) & 1);
    uint64_t mag = sign ? -v & mask : v; /* the most negative value keeps its magnitude */
    if (mag == 0) return fpu_zero(f, false);
    return fpu_round_pack(cpu, f, sign, -(int)fbits, mag, fpu_fpcr_rmode(cpu), 0);
}

/* FPConvertNaN: same sign, quiet, payload's top bits kept. */
static uint64_t convert_nan(const struct fpu_fmt *from, const struct fpu_fmt *to, uint64_t bits) {
    bool sign = (bits & fpu_sign_bit(from)) != 0;
    uint64_t frac52 = (bits & fpu_frac_mask(from)) << (52 - from->fbits);
    frac52 |= 1ull << 51;
    return fpu_inf(to, sign) | (frac52 >> (52 - to->fbits));
}

static uint64_t convert(struct cpu *cpu, unsigned from_esize, unsigned to_esize, uint64_t a,
                        enum fpu_rmode rm) {
    const struct fpu_fmt *from = fpu_fmt_of(from_esize), *to = fpu_fmt_of(to_esize);
    unsigned ahp = (cpu->fpcr & FPCR_AHP) ? FPU_AHP : 0;
    /* FPUnpackCV: FZ16 never flushes half inputs; AHP reads them. */
    struct fpu_val x = fpu_unpack(cpu, from, a, FPU_CV_FORM | (from_esize == 16 ? ahp : 0));
    bool alt_out = to_esize == 16 && ahp;
    if (fpu_is_nan(&x)) {
        uint64_t r = alt_out                      ? fpu_zero(to, x.sign)
                     : (cpu->fpcr & FPCR_DN) != 0 ? fpu_default_nan(to)
                                                  : convert_nan(from, to, a);
        if (x.cls == FPC_SNAN || alt_out) fpu_raise(cpu, FPSR_IOC);
        return r;
    }
    if (x.cls == FPC_INF) {
        if (!alt_out) return fpu_inf(to, x.sign);
        fpu_raise(cpu, FPSR_IOC);
        return fpu_zero(to, x.sign) | (fpu_sign_bit(to) - 1);
    }
    if (x.cls == FPC_ZERO) return fpu_zero(to, x.sign);
    /* FPRoundCV: a half result is never flushed (FZ16 is ignored). */
    unsigned opts = to_esize == 16 ? FPU_NO_FZ | (alt_out ? FPU_AHP : 0) : 0;
    return fpu_round_pack(cpu, to, x.sign, x.exp, x.m, rm, opts);
}

uint64_t fpu_convert(struct cpu *cpu, unsigned from_esize, unsigned to_esize, uint64_t a) {
    return convert(cpu, from_esize, to_esize, a, fpu_fpcr_rmode(cpu));
}

uint64_t fpu_convert_round_odd(struct cpu *cpu, uint64_t a) {
    return convert(cpu, 64, 32, a, FPU_RODD);
}
