/* A64 family: Advanced SIMD floating point arithmetic: the FP forms of
 * three same (vector and scalar), vector x indexed element, across lanes
 * and scalar pairwise. Every lane goes through dbt/fp/fpu.h. Elements are
 * single (sz = 0) or double (sz = 1); half precision arithmetic is
 * ARMv8.2 (FEAT_FP16) and stays unallocated. */
#include "dbt/a64/simd_common.h"
#include "dbt/fp/fpu.h"
#include "dbt/simd/vop.h"

/* key = U:a:opcode<2:0> of three same, a = bit 23 */
enum fp_op {
    FP_MAXNM = 0x00,
    FP_MLA = 0x01,
    FP_ADD = 0x02,
    FP_MULX = 0x03,
    FP_CMEQ = 0x04,
    FP_MAX = 0x06,
    FP_RECPS = 0x07,
    FP_MINNM = 0x08,
    FP_MLS = 0x09,
    FP_SUB = 0x0a,
    FP_MIN = 0x0e,
    FP_RSQRTS = 0x0f,
    FP_MAXNMP = 0x10,
    FP_ADDP = 0x12,
    FP_MUL = 0x13,
    FP_CMGE = 0x14,
    FP_ACGE = 0x15,
    FP_MAXP = 0x16,
    FP_DIV = 0x17,
    FP_MINNMP = 0x18,
    FP_ABD = 0x1a,
    FP_CMGT = 0x1c,
    FP_ACGT = 0x1d,
    FP_MINP = 0x1e,
};

static uint64_t fp_lane(struct cpu *cpu, unsigned key, unsigned esize, uint64_t a, uint64_t b,
                        uint64_t d) {
    uint64_t ones = lane_mask(esize), sign = 1ull << (esize - 1);
    switch ((enum fp_op)key) {
    case FP_MAXNM:
    case FP_MAXNMP: return fpu_maxnm(cpu, esize, a, b);
    case FP_MINNM:
    case FP_MINNMP: return fpu_minnm(cpu, esize, a, b);
    case FP_MAX:
    case FP_MAXP: return fpu_max(cpu, esize, a, b);
    case FP_MIN:
    case FP_MINP: return fpu_min(cpu, esize, a, b);
    case FP_MLA: return fpu_muladd(cpu, esize, d, a, b);
    case FP_MLS: return fpu_muladd(cpu, esize, d, a ^ sign, b);
    case FP_ADD:
    case FP_ADDP: return fpu_add(cpu, esize, a, b);
    case FP_SUB: return fpu_sub(cpu, esize, a, b);
    case FP_MUL: return fpu_mul(cpu, esize, a, b);
    case FP_MULX: return fpu_mulx(cpu, esize, a, b);
    case FP_DIV: return fpu_div(cpu, esize, a, b);
    case FP_ABD: return fpu_abd(cpu, esize, a, b);
    case FP_RECPS: return fpu_recps(cpu, esize, a, b);
    case FP_RSQRTS: return fpu_rsqrts(cpu, esize, a, b);
    case FP_CMEQ: return fpu_cmp_eq(cpu, esize, a, b) ? ones : 0;
    case FP_CMGE: return fpu_cmp_ge(cpu, esize, a, b) ? ones : 0;
    case FP_CMGT: return fpu_cmp_gt(cpu, esize, a, b) ? ones : 0;
    case FP_ACGE: return fpu_cmp_ge(cpu, esize, a & ~sign, b & ~sign) ? ones : 0;
    case FP_ACGT: return fpu_cmp_gt(cpu, esize, a & ~sign, b & ~sign) ? ones : 0;
    }
    return 0;
}

static bool fp_pairwise(unsigned key) {
    return key == FP_MAXNMP || key == FP_MINNMP || key == FP_ADDP || key == FP_MAXP ||
           key == FP_MINP;
}

static unsigned three_same_key(uint32_t insn) {
    return SIMD_U(insn) << 4 | BIT(insn, 23) << 3 | BITS(insn, 13, 11);
}

static uint64_t helper_fp_three_same(struct cpu *cpu, uint64_t insn, uint64_t x1, uint64_t x2,
                                     uint64_t x3) {
    unsigned key = three_same_key((uint32_t)insn), size = 2 + BIT(insn, 22), esize = 8u << size;
    bool q = SIMD_Q(insn), scalar = SIMD_SCALAR(insn);
    unsigned n = scalar ? 1 : vec_lanes(q, size);
    vreg_t a = cpu->v[SIMD_RN(insn)], b = cpu->v[SIMD_RM(insn)];
    const vreg_t d = cpu->v[SIMD_RD(insn)];
    if (fp_pairwise(key)) { /* lane i pairs lanes 2i and 2i+1 of Rm:Rn */
        vreg_t pa = {{0, 0}}, pb = {{0, 0}};
        for (unsigned i = 0; i < n; i++) {
            const vreg_t *src = 2 * i < n ? &a : &b;
            lane_set(&pa, size, i, lane_get(src, size, (2 * i) % n));
            lane_set(&pb, size, i, lane_get(src, size, (2 * i + 1) % n));
        }
        a = pa;
        b = pb;
    }
    vreg_t r = {{0, 0}};
    for (unsigned i = 0; i < n; i++)
        lane_set(&r, size, i,
                 fp_lane(cpu, key, esize, lane_get(&a, size, i), lane_get(&b, size, i),
                         lane_get(&d, size, i)));
    vreg_store(cpu, SIMD_RD(insn), &r, q || scalar);
    return 0;
}

static bool fp_three_same_allocated(uint32_t insn) {
    unsigned key = three_same_key(insn);
    if (SIMD_SCALAR(insn)) {
        switch (key) {
        case FP_MULX:
        case FP_CMEQ:
        case FP_RECPS:
        case FP_RSQRTS:
        case FP_CMGE:
        case FP_ACGE:
        case FP_ABD:
        case FP_CMGT:
        case FP_ACGT: return true;
        default: return false;
        }
    }
    return !(BIT(insn, 22) && !SIMD_Q(insn));
}

static void trans_fp_three_same(struct a64_ctx *c, uint32_t insn) {
    if (fp_three_same_allocated(insn))
        ir_vop(c->b, VK_VFP3, insn, helper_fp_three_same, IR_ZERO);
    else
        a64_unallocated(c);
}

/* FMLA, FMLS, FMUL, FMULX by element: index H:L (single) or H (double). */
static uint64_t helper_fp_indexed(struct cpu *cpu, uint64_t insn, uint64_t x1, uint64_t x2,
                                  uint64_t x3) {
    unsigned sz = BIT(insn, 22), size = 2 + sz, esize = 8u << size, opcode = BITS(insn, 15, 12);
    unsigned index = sz ? BIT(insn, 11) : BIT(insn, 11) << 1 | BIT(insn, 21);
    unsigned key = opcode == 1 ? FP_MLA : opcode == 5 ? FP_MLS : SIMD_U(insn) ? FP_MULX : FP_MUL;
    bool q = SIMD_Q(insn), scalar = SIMD_SCALAR(insn);
    unsigned n = scalar ? 1 : vec_lanes(q, size);
    const vreg_t a = cpu->v[SIMD_RN(insn)], d = cpu->v[SIMD_RD(insn)];
    uint64_t b = lane_get(&cpu->v[SIMD_RM(insn)], size, index);
    vreg_t r = {{0, 0}};
    for (unsigned i = 0; i < n; i++)
        lane_set(&r, size, i,
                 fp_lane(cpu, key, esize, lane_get(&a, size, i), b, lane_get(&d, size, i)));
    vreg_store(cpu, SIMD_RD(insn), &r, q || scalar);
    return 0;
}

static void trans_fp_indexed(struct a64_ctx *c, uint32_t insn) {
    bool sz = BIT(insn, 22);
    bool ok = !(sz && BIT(insn, 21)) && !(sz && !SIMD_Q(insn) && !SIMD_SCALAR(insn));
    simd_emit(c, ok, helper_fp_indexed);
}

/* Reduction in the Arm ARM's order: halves combined recursively. */
static uint64_t reduce(struct cpu *cpu, unsigned key, unsigned esize, const uint64_t *x,
                       unsigned n) {
    if (n == 1) return x[0];
    uint64_t lo = reduce(cpu, key, esize, x, n / 2), hi = reduce(cpu, key, esize, x + n / 2, n / 2);
    return fp_lane(cpu, key, esize, lo, hi, 0);
}

/* key for the reductions: a = bit 23 selects min; opcode 01100 is the NM form */
static unsigned reduce_key(uint32_t insn) {
    bool min = BIT(insn, 23), nm = BITS(insn, 16, 12) == 0x0c;
    if (nm) return min ? FP_MINNM : FP_MAXNM;
    if (BITS(insn, 16, 12) == 0x0d) return FP_ADD;
    return min ? FP_MIN : FP_MAX;
}

/* FMAXV, FMINV, FMAXNMV, FMINNMV (4S only) and scalar pairwise
 * FADDP, FMAXP, FMINP, FMAXNMP, FMINNMP (2S or 2D). */
static uint64_t helper_fp_reduce(struct cpu *cpu, uint64_t insn, uint64_t x1, uint64_t x2,
                                 uint64_t x3) {
    bool pair = SIMD_SCALAR(insn);
    unsigned size = pair ? 2 + BIT(insn, 22) : 2, n = pair ? 2 : 4;
    uint64_t x[4];
    for (unsigned i = 0; i < n; i++)
        x[i] = lane_get(&cpu->v[SIMD_RN(insn)], size, i);
    vreg_t r = {{0, 0}};
    lane_set(&r, size, 0, reduce(cpu, reduce_key((uint32_t)insn), 8u << size, x, n));
    vreg_store(cpu, SIMD_RD(insn), &r, true);
    return 0;
}

static void trans_fp_across(struct a64_ctx *c, uint32_t insn) {
    simd_emit(c, SIMD_Q(insn) && !BIT(insn, 22), helper_fp_reduce);
}

static void trans_fp_pairwise(struct a64_ctx *c, uint32_t insn) {
    bool addp = BITS(insn, 16, 12) == 0x0d;
    simd_emit(c, !(addp && BIT(insn, 23)), helper_fp_reduce);
}

#define VEC(name, u, a, opc)                                                                       \
    { name "_v", "0q" u "01110" a "z1mmmmm11" opc "1nnnnnddddd", trans_fp_three_same }
#define SCAL(name, u, a, opc)                                                                      \
    { name "_s", "01" u "11110" a "z1mmmmm11" opc "1nnnnnddddd", trans_fp_three_same }
#define ELEM(name, u, opc)                                                                         \
    {name "_elem", "0q" u "011111zLmmmmm" opc "H0nnnnnddddd", trans_fp_indexed}, {                 \
        name "_elem_s", "01" u "111111zLmmmmm" opc "H0nnnnnddddd", trans_fp_indexed                \
    }
#define ACROSS(name, a, opc)                                                                       \
    { name, "0q101110" a "z11000" opc "10nnnnnddddd", trans_fp_across }
#define PAIR(name, a, opc)                                                                         \
    { name "_s", "01111110" a "z11000" opc "10nnnnnddddd", trans_fp_pairwise }

const struct a64_row a64_rows_simd_fp_arith[] = {
    VEC("FMAXNM", "0", "0", "000"),
    VEC("FMLA", "0", "0", "001"),
    VEC("FADD", "0", "0", "010"),
    VEC("FMULX", "0", "0", "011"),
    VEC("FCMEQ", "0", "0", "100"),
    VEC("FMAX", "0", "0", "110"),
    VEC("FRECPS", "0", "0", "111"),
    VEC("FMINNM", "0", "1", "000"),
    VEC("FMLS", "0", "1", "001"),
    VEC("FSUB", "0", "1", "010"),
    VEC("FMIN", "0", "1", "110"),
    VEC("FRSQRTS", "0", "1", "111"),
    VEC("FMAXNMP", "1", "0", "000"),
    VEC("FADDP", "1", "0", "010"),
    VEC("FMUL", "1", "0", "011"),
    VEC("FCMGE", "1", "0", "100"),
    VEC("FACGE", "1", "0", "101"),
    VEC("FMAXP", "1", "0", "110"),
    VEC("FDIV", "1", "0", "111"),
    VEC("FMINNMP", "1", "1", "000"),
    VEC("FABD", "1", "1", "010"),
    VEC("FCMGT", "1", "1", "100"),
    VEC("FACGT", "1", "1", "101"),
    VEC("FMINP", "1", "1", "110"),
    SCAL("FMULX", "0", "0", "011"),
    SCAL("FCMEQ", "0", "0", "100"),
    SCAL("FRECPS", "0", "0", "111"),
    SCAL("FRSQRTS", "0", "1", "111"),
    SCAL("FCMGE", "1", "0", "100"),
    SCAL("FACGE", "1", "0", "101"),
    SCAL("FABD", "1", "1", "010"),
    SCAL("FCMGT", "1", "1", "100"),
    SCAL("FACGT", "1", "1", "101"),
    ELEM("FMLA", "0", "0001"),
    ELEM("FMLS", "0", "0101"),
    ELEM("FMUL", "0", "1001"),
    ELEM("FMULX", "1", "1001"),
    ACROSS("FMAXNMV", "0", "01100"),
    ACROSS("FMINNMV", "1", "01100"),
    ACROSS("FMAXV", "0", "01111"),
    ACROSS("FMINV", "1", "01111"),
    PAIR("FMAXNMP", "0", "01100"),
    PAIR("FMINNMP", "1", "01100"),
    PAIR("FADDP", "0", "01101"),
    PAIR("FMAXP", "0", "01111"),
    PAIR("FMINP", "1", "01111"),
    {NULL, NULL, NULL},
};
