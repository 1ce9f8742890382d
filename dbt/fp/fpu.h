/* Arm floating-point arithmetic on bit patterns, exact to the Arm ARM's
 * pseudocode: rounding from FPCR.RMode (or an explicit mode), FPCR.DN
 * (default NaN), FPCR.FZ (flush-to-zero, with IDC/UFC as Arm sets them),
 * Arm NaN propagation (first signalling NaN, else first quiet NaN, in
 * operand order), cumulative FPSR flags (IOC DZC OFC UFC IXC IDC) ORed
 * into cpu->fpsr. Shared by the scalar FP family and the SIMD family (per
 * element), so both agree by construction.
 *
 * esize is 16, 32 or 64; values are passed zero-extended in uint64_t.
 * Half precision (esize 16) is needed only for conversions in ARMv8.0. */
#ifndef SHOAL_DBT_FP_FPU_H
#define SHOAL_DBT_FP_FPU_H

#include <stdbool.h>
#include <stdint.h>

#include "dbt/cpu.h"

enum fpu_rmode {
    FPU_RN = 0,    /* to nearest, ties to even */
    FPU_RP = 1,    /* towards +inf */
    FPU_RM = 2,    /* towards -inf */
    FPU_RZ = 3,    /* towards zero */
    FPU_RA = 4,    /* to nearest, ties away (FCVTA*, FRINTA) */
    FPU_RFPCR = 5, /* whatever FPCR.RMode says */
};

uint64_t fpu_add(struct cpu *cpu, unsigned esize, uint64_t a, uint64_t b);
uint64_t fpu_sub(struct cpu *cpu, unsigned esize, uint64_t a, uint64_t b);
uint64_t fpu_mul(struct cpu *cpu, unsigned esize, uint64_t a, uint64_t b);
uint64_t fpu_mulx(struct cpu *cpu, unsigned esize, uint64_t a, uint64_t b); /* FMULX: 0*inf = 2 */
uint64_t fpu_div(struct cpu *cpu, unsigned esize, uint64_t a, uint64_t b);
uint64_t fpu_sqrt(struct cpu *cpu, unsigned esize, uint64_t a);
/* Fused a + b*c with a single rounding (FMADD family; FMLA lanes). */
uint64_t fpu_muladd(struct cpu *cpu, unsigned esize, uint64_t addend, uint64_t b, uint64_t c);
uint64_t fpu_max(struct cpu *cpu, unsigned esize, uint64_t a, uint64_t b);
uint64_t fpu_min(struct cpu *cpu, unsigned esize, uint64_t a, uint64_t b);
uint64_t fpu_maxnm(struct cpu *cpu, unsigned esize, uint64_t a, uint64_t b);
uint64_t fpu_minnm(struct cpu *cpu, unsigned esize, uint64_t a, uint64_t b);
uint64_t fpu_abd(struct cpu *cpu, unsigned esize, uint64_t a, uint64_t b); /* |a - b| */

/* FCMP/FCMPE: NZCV in PSTATE layout; signal_all: FCMPE (any NaN -> IOC). */
uint32_t fpu_compare(struct cpu *cpu, unsigned esize, uint64_t a, uint64_t b, bool signal_all);
/* Vector compares (FCMEQ/FCMGE/FCMGT, FACGE/FACGT): true or false, IOC per Arm. */
bool fpu_cmp_eq(struct cpu *cpu, unsigned esize, uint64_t a, uint64_t b);
bool fpu_cmp_ge(struct cpu *cpu, unsigned esize, uint64_t a, uint64_t b);
bool fpu_cmp_gt(struct cpu *cpu, unsigned esize, uint64_t a, uint64_t b);

/* FRINT*: round to integral in mode rm; exact: FRINTX raises IXC when inexact. */
uint64_t fpu_round_int(struct cpu *cpu, unsigned esize, uint64_t a, enum fpu_rmode rm, bool exact);
/* FP -> integer of int_bits (32/64), signed or not, with fbits fraction
 * bits (fixed-point; 0 for plain), saturating with IOC on overflow/NaN. */
uint64_t fpu_to_int(struct cpu *cpu, unsigned esize, uint64_t a, unsigned int_bits, bool is_signed,
                    unsigned fbits, enum fpu_rmode rm);
/* Integer of int_bits -> FP, fbits fraction bits, rounding per FPCR. */
uint64_t fpu_from_int(struct cpu *cpu, unsigned esize, uint64_t a, unsigned int_bits,
                      bool is_signed, unsigned fbits);
/* Precision conversion between esizes 16/32/64 (FCVT, FCVTL/FCVTN); fp16 honours FPCR.AHP. */
uint64_t fpu_convert(struct cpu *cpu, unsigned from_esize, unsigned to_esize, uint64_t a);
/* FCVTXN: double -> single rounding to odd. */
uint64_t fpu_convert_round_odd(struct cpu *cpu, uint64_t a);

/* Reciprocal and reciprocal-square-root estimates and steps (FRECPE,
 * FRSQRTE, FRECPS, FRSQRTS, FRECPX), as the Arm ARM defines them. */
uint64_t fpu_recpe(struct cpu *cpu, unsigned esize, uint64_t a);
uint64_t fpu_rsqrte(struct cpu *cpu, unsigned esize, uint64_t a);
uint64_t fpu_recps(struct cpu *cpu, unsigned esize, uint64_t a, uint64_t b);
uint64_t fpu_rsqrts(struct cpu *cpu, unsigned esize, uint64_t a, uint64_t b);
uint64_t fpu_recpx(struct cpu *cpu, unsigned esize, uint64_t a);
/* Unsigned integer estimates (URECPE, URSQRTE) on 32-bit lanes. */
uint32_t fpu_urecpe(uint32_t a);
uint32_t fpu_ursqrte(uint32_t a);

#endif
