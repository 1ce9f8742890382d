/* A64 family: Advanced SIMD two-register miscellaneous, FP forms (vector
 * and scalar), and the fixed-point conversions of shift by immediate.
 * Every lane goes through dbt/fp/fpu.h. */
#include "dbt/a64/simd_common.h"
#include "dbt/fp/fpu.h"

/* key = U:a:opcode, a = bit 23 */
static unsigned misc_key(uint32_t insn) {
    return SIMD_U(insn) << 6 | BIT(insn, 23) << 5 | BITS(insn, 16, 12);
}

static uint64_t to_int(struct cpu *cpu, unsigned esize, uint64_t x, bool is_signed,
                       enum fpu_rmode rm) {
    return fpu_to_int(cpu, esize, x, esize, is_signed, 0, rm);
}

static uint64_t misc_lane(struct cpu *cpu, unsigned key, unsigned esize, uint64_t x) {
    uint64_t ones = lane_mask(esize), sign = 1ull << (esize - 1);
    switch (key) {
    case 0x18: return fpu_round_int(cpu, esize, x, FPU_RN, false);    /* FRINTN */
    case 0x19: return fpu_round_int(cpu, esize, x, FPU_RM, false);    /* FRINTM */
    case 0x38: return fpu_round_int(cpu, esize, x, FPU_RP, false);    /* FRINTP */
    case 0x39: return fpu_round_int(cpu, esize, x, FPU_RZ, false);    /* FRINTZ */
    case 0x58: return fpu_round_int(cpu, esize, x, FPU_RA, false);    /* FRINTA */
    case 0x59: return fpu_round_int(cpu, esize, x, FPU_RFPCR, true);  /* FRINTX */
    case 0x79: return fpu_round_int(cpu, esize, x, FPU_RFPCR, false); /* FRINTI */
    case 0x1a: return to_int(cpu, esize, x, true, FPU_RN);            /* FCVTNS */
    case 0x1b: return to_int(cpu, esize, x, true, FPU_RM);            /* FCVTMS */
    case 0x1c: return to_int(cpu, esize, x, true, FPU_RA);            /* FCVTAS */
    case 0x3a: return to_int(cpu, esize, x, true, FPU_RP);            /* FCVTPS */
    case 0x3b: return to_int(cpu, esize, x, true, FPU_RZ);            /* FCVTZS */
    case 0x5a: return to_int(cpu, esize, x, false, FPU_RN);           /* FCVTNU */
    case 0x5b: return to_int(cpu, esize, x, false, FPU_RM);           /* FCVTMU */
    case 0x5c: return to_int(cpu, esize, x, false, FPU_RA);           /* FCVTAU */
    case 0x7a: return to_int(cpu, esize, x, false, FPU_RP);           /* FCVTPU */
    case 0x7b: return to_int(cpu, esize, x, false, FPU_RZ);           /* FCVTZU */
    case 0x1d: return fpu_from_int(cpu, esize, x, esize, true, 0);    /* SCVTF */
    case 0x5d: return fpu_from_int(cpu, esize, x, esize, false, 0);   /* UCVTF */
    case 0x2c: return fpu_cmp_gt(cpu, esize, x, 0) ? ones : 0;        /* FCMGT #0 */
    case 0x2d: return fpu_cmp_eq(cpu, esize, x, 0) ? ones : 0;        /* FCMEQ #0 */
    case 0x2e: return fpu_cmp_gt(cpu, esize, 0, x) ? ones : 0;        /* FCMLT #0 */
    case 0x6c: return fpu_cmp_ge(cpu, esize, x, 0) ? ones : 0;        /* FCMGE #0 */
    case 0x6d: return fpu_cmp_ge(cpu, esize, 0, x) ? ones : 0;        /* FCMLE #0 */
    case 0x2f: return x & ~sign;                                      /* FABS */
    case 0x6f: return x ^ sign;                                       /* FNEG */
    case 0x7f: return fpu_sqrt(cpu, esize, x);
    case 0x3c: return fpu_urecpe((uint32_t)x);
    case 0x7c: return fpu_ursqrte((uint32_t)x);
    case 0x3d: return fpu_recpe(cpu, esize, x);
    case 0x7d: return fpu_rsqrte(cpu, esize, x);
    case 0x3f: return fpu_recpx(cpu, esize, x);
    }
    return 0;
}

/* FCVTN/FCVTXN narrow into the half selected by Q; FCVTL widens from it. */
static void convert_width(struct cpu *cpu, unsigned key, uint32_t insn, vreg_t *r) {
    bool sz = BIT(insn, 22), q = SIMD_Q(insn), scalar = SIMD_SCALAR(insn);
    unsigned wide = 5 + sz, narrow = 4 + sz; /* log2 bits */
    unsigned n = scalar ? 1 : 2u << (1 - sz), off = q && !scalar ? n : 0;
    const vreg_t *a = &cpu->v[SIMD_RN(insn)];
    if (key == 0x17) { /* FCVTL */
        for (unsigned i = 0; i < n; i++)
            lane_set(r, wide - 3, i,
                     fpu_convert(cpu, 1u << narrow, 1u << wide, lane_get(a, narrow - 3, i + off)));
        return;
    }
    if (off) r->d[0] = cpu->v[SIMD_RD(insn)].d[0];
    for (unsigned i = 0; i < n; i++) {
        uint64_t x = lane_get(a, wide - 3, i);
        x = key == 0x56 ? fpu_convert_round_odd(cpu, x)
                        : fpu_convert(cpu, 1u << wide, 1u << narrow, x);
        lane_set(r, narrow - 3, i + off, x);
    }
}

static uint64_t helper_fp_misc(struct cpu *cpu, uint64_t insn, uint64_t x1, uint64_t x2,
                               uint64_t x3) {
    unsigned key = misc_key((uint32_t)insn), size = 2 + BIT(insn, 22);
    bool q = SIMD_Q(insn), scalar = SIMD_SCALAR(insn);
    vreg_t r = {{0, 0}};
    if (key == 0x16 || key == 0x17 || key == 0x56) {
        convert_width(cpu, key, (uint32_t)insn, &r);
        q = true;
    } else {
        const vreg_t a = cpu->v[SIMD_RN(insn)];
        unsigned n = scalar ? 1 : vec_lanes(q, size);
        for (unsigned i = 0; i < n; i++)
            lane_set(&r, size, i, misc_lane(cpu, key, 8u << size, lane_get(&a, size, i)));
    }
    vreg_store(cpu, SIMD_RD(insn), &r, q || scalar);
    return 0;
}

static bool fp_misc_allocated(uint32_t insn) {
    unsigned key = misc_key(insn);
    bool sz = BIT(insn, 22);
    if (key == 0x56) return sz; /* FCVTXN */
    if (SIMD_SCALAR(insn)) {
        switch (key) {
        case 0x1a:
        case 0x1b:
        case 0x1c:
        case 0x1d:
        case 0x3a:
        case 0x3b:
        case 0x3d:
        case 0x3f:
        case 0x5a:
        case 0x5b:
        case 0x5c:
        case 0x5d:
        case 0x7a:
        case 0x7b:
        case 0x7d:
        case 0x2c:
        case 0x2d:
        case 0x2e:
        case 0x6c:
        case 0x6d: return true;
        default: return false;
        }
    }
    if (key == 0x16 || key == 0x17) return true;
    if (key == 0x3c || key == 0x7c) return !sz; /* URECPE, URSQRTE: 32-bit lanes only */
    return !(sz && !SIMD_Q(insn));
}

static void trans_fp_misc(struct a64_ctx *c, uint32_t insn) {
    simd_emit(c, fp_misc_allocated(insn), helper_fp_misc);
}

/* SCVTF, UCVTF, FCVTZS, FCVTZU (fixed-point, by immediate): fbits = 2*esize - immh:immb. */
static uint64_t helper_fp_fixed(struct cpu *cpu, uint64_t insn, uint64_t x1, uint64_t x2,
                                uint64_t x3) {
    unsigned size = 31u - (unsigned)__builtin_clz(BITS(insn, 22, 19)), esize = 8u << size;
    unsigned fbits = 2 * esize - BITS(insn, 22, 16);
    bool q = SIMD_Q(insn), scalar = SIMD_SCALAR(insn), is_signed = !SIMD_U(insn);
    bool to_fp = BITS(insn, 15, 11) == 0x1c;
    unsigned n = scalar ? 1 : vec_lanes(q, size);
    const vreg_t a = cpu->v[SIMD_RN(insn)];
    vreg_t r = {{0, 0}};
    for (unsigned i = 0; i < n; i++) {
        uint64_t x = lane_get(&a, size, i);
        x = to_fp ? fpu_from_int(cpu, esize, x, esize, is_signed, fbits)
                  : fpu_to_int(cpu, esize, x, esize, is_signed, fbits, FPU_RZ);
        lane_set(&r, size, i, x);
    }
    vreg_store(cpu, SIMD_RD(insn), &r, q || scalar);
    return 0;
}

static void trans_fp_fixed(struct a64_ctx *c, uint32_t insn) {
    unsigned immh = BITS(insn, 22, 19);
    bool ok = immh >= 4 && !(immh >= 8 && !SIMD_Q(insn) && !SIMD_SCALAR(insn));
    simd_emit(c, ok, helper_fp_fixed);
}

#define VEC(name, u, a, opc)                                                                       \
    { name "_v", "0q" u "01110" a "z10000" opc "10nnnnnddddd", trans_fp_misc }
#define SCAL(name, u, a, opc)                                                                      \
    { name "_s", "01" u "11110" a "z10000" opc "10nnnnnddddd", trans_fp_misc }
#define BOTH(name, u, a, opc) VEC(name, u, a, opc), SCAL(name, u, a, opc)
#define FIXED(name, u, opc)                                                                        \
    {name "_fixed_v", "0q" u "011110iiiiiii" opc "1nnnnnddddd", trans_fp_fixed}, {                 \
        name "_fixed_s", "01" u "111110iiiiiii" opc "1nnnnnddddd", trans_fp_fixed                  \
    }

const struct a64_row a64_rows_simd_fp_misc[] = {
    VEC("FCVTN", "0", "0", "10110"),       VEC("FCVTL", "0", "0", "10111"),
    BOTH("FCVTXN", "1", "0", "10110"),     VEC("FRINTN", "0", "0", "11000"),
    VEC("FRINTM", "0", "0", "11001"),      VEC("FRINTP", "0", "1", "11000"),
    VEC("FRINTZ", "0", "1", "11001"),      VEC("FRINTA", "1", "0", "11000"),
    VEC("FRINTX", "1", "0", "11001"),      VEC("FRINTI", "1", "1", "11001"),
    BOTH("FCVTNS", "0", "0", "11010"),     BOTH("FCVTMS", "0", "0", "11011"),
    BOTH("FCVTAS", "0", "0", "11100"),     BOTH("SCVTF", "0", "0", "11101"),
    BOTH("FCVTPS", "0", "1", "11010"),     BOTH("FCVTZS", "0", "1", "11011"),
    BOTH("FCVTNU", "1", "0", "11010"),     BOTH("FCVTMU", "1", "0", "11011"),
    BOTH("FCVTAU", "1", "0", "11100"),     BOTH("UCVTF", "1", "0", "11101"),
    BOTH("FCVTPU", "1", "1", "11010"),     BOTH("FCVTZU", "1", "1", "11011"),
    BOTH("FCMGT_zero", "0", "1", "01100"), BOTH("FCMEQ_zero", "0", "1", "01101"),
    BOTH("FCMLT_zero", "0", "1", "01110"), BOTH("FCMGE_zero", "1", "1", "01100"),
    BOTH("FCMLE_zero", "1", "1", "01101"), VEC("FABS", "0", "1", "01111"),
    VEC("FNEG", "1", "1", "01111"),        VEC("FSQRT", "1", "1", "11111"),
    VEC("URECPE", "0", "1", "11100"),      VEC("URSQRTE", "1", "1", "11100"),
    BOTH("FRECPE", "0", "1", "11101"),     BOTH("FRSQRTE", "1", "1", "11101"),
    SCAL("FRECPX", "0", "1", "11111"),     FIXED("SCVTF", "0", "11100"),
    FIXED("UCVTF", "1", "11100"),          FIXED("FCVTZS", "0", "11111"),
    FIXED("FCVTZU", "1", "11111"),         {NULL, NULL, NULL},
};
