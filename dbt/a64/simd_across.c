/* A64 family: Advanced SIMD across lanes (integer reductions) and the
 * integer scalar pairwise ADDP. The FP reductions live in simd_fp_across.c. */
#include "dbt/a64/simd_common.h"

static uint64_t helper_across(struct cpu *cpu, uint64_t insn, uint64_t x1, uint64_t x2,
                              uint64_t x3) {
    unsigned op = SIMD_U(insn) << 5 | BITS(insn, 16, 12), size = SIMD_SIZE(insn);
    unsigned n = vec_lanes(SIMD_Q(insn), size);
    const vreg_t *a = &cpu->v[SIMD_RN(insn)];
    bool is_signed = !SIMD_U(insn);
    s128 acc = lane_val(a, size, 0, is_signed);
    for (unsigned i = 1; i < n; i++) {
        s128 x = lane_val(a, size, i, is_signed);
        switch (op & 0x1f) {
        case 0x03:
        case 0x1b: acc += x; break;                /* [SU]ADDLV, ADDV */
        case 0x0a: acc = x > acc ? x : acc; break; /* [SU]MAXV */
        default: acc = x < acc ? x : acc; break;   /* [SU]MINV */
        }
    }
    vreg_t r = {{0, 0}};
    lane_set(&r, (op & 0x1f) == 0x03 ? size + 1 : size, 0, (uint64_t)acc);
    vreg_store(cpu, SIMD_RD(insn), &r, true);
    return 0;
}

static void trans_across(struct a64_ctx *c, uint32_t insn) {
    unsigned size = SIMD_SIZE(insn);
    bool ok = size != 3 && !(size == 2 && !SIMD_Q(insn));
    if (SIMD_U(insn) && BITS(insn, 16, 12) == 0x1b) ok = false; /* no unsigned ADDV */
    simd_emit(c, ok, helper_across);
}

/* ADDP Dd, Vn.2D: the only integer scalar pairwise op. */
static void trans_addp_scalar(struct a64_ctx *c, uint32_t insn) {
    if (SIMD_SIZE(insn) != 3) {
        a64_unallocated(c);
        return;
    }
    unsigned rn = SIMD_RN(insn);
    ir_temp sum = ir_op2(c->b, IR_ADD, 64, a64_read_vlo(c, rn), a64_read_vhi(c, rn));
    a64_write_vscalar(c, SIMD_RD(insn), sum);
}

#define ACROSS(name, u, opc)                                                                       \
    { name, "0q" u "01110zz11000" opc "10nnnnnddddd", trans_across }

const struct a64_row a64_rows_simd_across[] = {
    ACROSS("SADDLV", "0", "00011"),
    ACROSS("UADDLV", "1", "00011"),
    ACROSS("SMAXV", "0", "01010"),
    ACROSS("UMAXV", "1", "01010"),
    ACROSS("SMINV", "0", "11010"),
    ACROSS("UMINV", "1", "11010"),
    ACROSS("ADDV", "0", "11011"),
    {"ADDP_s", "01011110zz11000110111 0nnnnnddddd", trans_addp_scalar},
    {NULL, NULL, NULL},
};
