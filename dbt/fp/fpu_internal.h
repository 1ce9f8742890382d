/* Internals of the software FP library: format parameters, unpacked
 * operands, and the two primitives everything is built on, FPUnpack and
 * FPRound (the Arm ARM's FPUnpackBase / FPRoundBase). Finite values are
 * exact integers scaled by a power of two (value = m * 2^exp), so every
 * operation computes an exact (or sticky-jammed) integer and rounds once. */
#ifndef SHOAL_DBT_FP_FPU_INTERNAL_H
#define SHOAL_DBT_FP_FPU_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "dbt/cpu.h"
#include "dbt/fp/fpu.h"

typedef unsigned __int128 u128;

/* Round to odd (FCVTXN): only used inside the library. */
#define FPU_RODD ((enum fpu_rmode)6)

struct fpu_fmt {
    unsigned esize; /* 16, 32, 64 */
    unsigned ebits; /* exponent bits */
    unsigned fbits; /* fraction bits (without the implicit bit) */
    int emin;       /* exponent of the smallest normal: 1 - bias */
    int bias;
};

const struct fpu_fmt *fpu_fmt_of(unsigned esize);

enum fpu_class { FPC_ZERO, FPC_FINITE, FPC_INF, FPC_QNAN, FPC_SNAN };

struct fpu_val {
    enum fpu_class cls;
    bool sign;
    int exp;    /* FPC_FINITE: value = m * 2^exp */
    uint64_t m; /* FPC_FINITE: non-zero integer significand */
    uint64_t bits;
};

static inline bool fpu_is_nan(const struct fpu_val *v) {
    return v->cls == FPC_QNAN || v->cls == FPC_SNAN;
}

static inline void fpu_raise(struct cpu *cpu, uint32_t flags) {
    cpu->fpsr |= flags;
}

static inline enum fpu_rmode fpu_fpcr_rmode(const struct cpu *cpu) {
    return (enum fpu_rmode)((cpu->fpcr >> FPCR_RMODE_SHIFT) & 3);
}

/* FPU_RFPCR resolved to the mode FPCR selects. */
static inline enum fpu_rmode fpu_resolve_rmode(const struct cpu *cpu, enum fpu_rmode rm) {
    return rm == FPU_RFPCR ? fpu_fpcr_rmode(cpu) : rm;
}

/* Flush-to-zero in effect for arithmetic of this size (FZ, or FZ16 for half). */
static inline bool fpu_flush_enabled(const struct cpu *cpu, const struct fpu_fmt *f) {
    return (cpu->fpcr & (f->esize == 16 ? FPCR_FZ16 : FPCR_FZ)) != 0;
}

static inline uint64_t fpu_sign_bit(const struct fpu_fmt *f) {
    return 1ull << (f->esize - 1);
}
static inline uint64_t fpu_frac_mask(const struct fpu_fmt *f) {
    return (1ull << f->fbits) - 1;
}
static inline uint64_t fpu_exp_mask(const struct fpu_fmt *f) {
    return ((1ull << f->ebits) - 1) << f->fbits;
}
static inline uint64_t fpu_quiet_bit(const struct fpu_fmt *f) {
    return 1ull << (f->fbits - 1);
}

static inline uint64_t fpu_zero(const struct fpu_fmt *f, bool sign) {
    return sign ? fpu_sign_bit(f) : 0;
}
static inline uint64_t fpu_inf(const struct fpu_fmt *f, bool sign) {
    return fpu_zero(f, sign) | fpu_exp_mask(f);
}
static inline uint64_t fpu_max_normal(const struct fpu_fmt *f, bool sign) {
    return fpu_zero(f, sign) | (fpu_exp_mask(f) - (1ull << f->fbits)) | fpu_frac_mask(f);
}
static inline uint64_t fpu_default_nan(const struct fpu_fmt *f) {
    return fpu_exp_mask(f) | fpu_quiet_bit(f);
}
/* A small normal constant: sign, unbiased exponent, fraction's top bits as
 * a fraction of 2^fbits (used for FPTwo, FPOnePointFive). */
static inline uint64_t fpu_const(const struct fpu_fmt *f, bool sign, int exp, uint64_t frac_top2) {
    return fpu_zero(f, sign) | ((uint64_t)(exp + f->bias) << f->fbits) |
           (frac_top2 << (f->fbits - 2));
}

/* Options for fpu_unpack / fpu_round_pack. */
#define FPU_NO_FZ   1u /* FPUnpackCV/FPRoundCV of half: no flush-to-zero */
#define FPU_AHP     2u /* half precision in the Arm alternative format */
#define FPU_CV_FORM 4u /* unpack: FZ16 ignored for half (conversions) */

/* FPUnpack: classifies bits; with flush-to-zero a denormal becomes a zero
 * and raises IDC. */
struct fpu_val fpu_unpack(struct cpu *cpu, const struct fpu_fmt *f, uint64_t bits, unsigned opts);

/* FPRound of the non-zero value sign * mag * 2^exp in mode rm (not
 * FPU_RFPCR), raising UFC/OFC/IXC (IOC for AHP overflow) as Arm does. */
uint64_t fpu_round_pack(struct cpu *cpu, const struct fpu_fmt *f, bool sign, int exp, u128 mag,
                        enum fpu_rmode rm, unsigned opts);

/* FPProcessNaN: quiets a signalling NaN (IOC), default NaN under FPCR.DN. */
uint64_t fpu_process_nan(struct cpu *cpu, const struct fpu_fmt *f, const struct fpu_val *v);
/* FPProcessNaNs / FPProcessNaNs3: true (and *out) when some operand is a NaN. */
bool fpu_process_nans(struct cpu *cpu, const struct fpu_fmt *f, const struct fpu_val *a,
                      const struct fpu_val *b, uint64_t *out);
bool fpu_process_nans3(struct cpu *cpu, const struct fpu_fmt *f, const struct fpu_val *a,
                       const struct fpu_val *b, const struct fpu_val *c, uint64_t *out);

/* The exact sum sa*ma*2^ea + sb*mb*2^eb (mags below 2^120, at least one
 * non-zero), rounded once; an exact zero sum gets the sign the rounding
 * mode gives (-0 only when rounding towards -inf). */
uint64_t fpu_add_exact(struct cpu *cpu, const struct fpu_fmt *f, bool sa, int ea, u128 ma, bool sb,
                       int eb, u128 mb, enum fpu_rmode rm);

/* Count of leading zeros of a non-zero 128-bit value. */
static inline int fpu_clz128(u128 v) {
    uint64_t hi = (uint64_t)(v >> 64);
    return hi ? __builtin_clzll(hi) : 64 + __builtin_clzll((uint64_t)v);
}

/* v >> n with every shifted-out bit ORed into bit 0 ("jamming"). */
static inline u128 fpu_shr_jam128(u128 v, unsigned n) {
    if (n == 0) return v;
    if (n >= 128) return v != 0;
    return (v >> n) | ((v & (((u128)1 << n) - 1)) != 0);
}

#endif
