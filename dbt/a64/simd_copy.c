/* A64 family: Advanced SIMD copy (DUP, INS, UMOV, SMOV) and scalar DUP.
 * All of them move whole elements, so they become plain IR loads and
 * stores of cpu->v[] fields, except DUP (element), a VOP that the JIT
 * lowers to one pshufb. imm5's lowest set bit gives the element
 * size; the bits above it the index. */
#include "dbt/a64/simd_common.h"
#include "dbt/simd/vop.h"

/* Element size (log2 bytes) from imm5, or -1 when imm5 = x0000. */
static int imm5_size(uint32_t insn) {
    unsigned imm5 = BITS(insn, 20, 16);
    return imm5 & 0xf ? __builtin_ctz(imm5) : -1;
}

static uint32_t elem_off(unsigned reg, unsigned size, unsigned index) {
    return CPU_VOFF(reg) + (index << size);
}

static ir_temp read_elem(struct a64_ctx *c, unsigned reg, unsigned size, unsigned index) {
    return ir_ldcpu(c->b, 8u << size, elem_off(reg, size, index));
}

/* x (zero-extended element) copied into every lane of a 64-bit half. */
static ir_temp replicate64(struct a64_ctx *c, ir_temp x, unsigned size) {
    static const uint64_t ones[4] = {0x0101010101010101ull, 0x0001000100010001ull,
                                     0x0000000100000001ull, 1};
    return size == 3 ? x : ir_op2(c->b, IR_MUL, 64, x, ir_const(c->b, ones[size]));
}

static void write_dup(struct a64_ctx *c, uint32_t insn, ir_temp x, unsigned size) {
    ir_temp half = replicate64(c, x, size);
    a64_write_v128(c, SIMD_RD(insn), half, SIMD_Q(insn) ? half : IR_ZERO);
}

/* DUP (element) as a VOP: the JIT broadcasts with one pshufb
 * (lower_vperm.c) instead of an element load, a multiply and two stores. */
static uint64_t helper_dup_elem(struct cpu *cpu, uint64_t insn, uint64_t x1, uint64_t x2,
                                uint64_t x3) {
    unsigned size = (unsigned)imm5_size((uint32_t)insn), index = BITS(insn, 20, 16) >> (size + 1);
    const vreg_t a = cpu->v[SIMD_RN(insn)];
    vreg_t r = {{0, 0}};
    uint64_t x = lane_get(&a, size, index);
    for (unsigned i = 0; i < vec_lanes(SIMD_Q(insn), size); i++)
        lane_set(&r, size, i, x);
    vreg_store(cpu, SIMD_RD(insn), &r, true);
    return 0;
}

static void trans_dup_elem(struct a64_ctx *c, uint32_t insn) {
    int size = imm5_size(insn);
    if (size < 0 || (size == 3 && !SIMD_Q(insn))) {
        a64_unallocated(c);
        return;
    }
    ir_vop(c->b, VK_VPERM, insn, helper_dup_elem, IR_ZERO);
}

static void trans_dup_general(struct a64_ctx *c, uint32_t insn) {
    int size = imm5_size(insn);
    if (size < 0 || (size == 3 && !SIMD_Q(insn))) {
        a64_unallocated(c);
        return;
    }
    ir_temp x = a64_read_x(c, SIMD_RN(insn));
    if (size < 3) x = ir_op1(c->b, IR_ZEXT, 8u << size, x);
    write_dup(c, insn, x, (unsigned)size);
}

static void trans_ins_general(struct a64_ctx *c, uint32_t insn) {
    int size = imm5_size(insn);
    if (size < 0) {
        a64_unallocated(c);
        return;
    }
    unsigned index = BITS(insn, 20, 16) >> (size + 1);
    ir_stcpu(c->b, 8u << size, elem_off(SIMD_RD(insn), (unsigned)size, index),
             a64_read_x(c, SIMD_RN(insn)));
}

static void trans_ins_elem(struct a64_ctx *c, uint32_t insn) {
    int size = imm5_size(insn);
    if (size < 0) {
        a64_unallocated(c);
        return;
    }
    unsigned dst = BITS(insn, 20, 16) >> (size + 1), src = BITS(insn, 14, 11) >> size;
    ir_temp x = read_elem(c, SIMD_RN(insn), (unsigned)size, src);
    ir_stcpu(c->b, 8u << size, elem_off(SIMD_RD(insn), (unsigned)size, dst), x);
}

static void trans_umov(struct a64_ctx *c, uint32_t insn) {
    int size = imm5_size(insn);
    bool q = SIMD_Q(insn);
    if (size < 0 || (q ? size != 3 : size == 3)) {
        a64_unallocated(c);
        return;
    }
    unsigned index = BITS(insn, 20, 16) >> (size + 1);
    a64_write_x(c, SIMD_RD(insn), read_elem(c, SIMD_RN(insn), (unsigned)size, index), q);
}

static void trans_smov(struct a64_ctx *c, uint32_t insn) {
    int size = imm5_size(insn);
    bool q = SIMD_Q(insn);
    if (size < 0 || size == 3 || (!q && size == 2)) {
        a64_unallocated(c);
        return;
    }
    unsigned index = BITS(insn, 20, 16) >> (size + 1);
    ir_temp x = read_elem(c, SIMD_RN(insn), (unsigned)size, index);
    a64_write_x(c, SIMD_RD(insn), ir_op1(c->b, IR_SEXT, 8u << size, x), q);
}

static void trans_dup_scalar(struct a64_ctx *c, uint32_t insn) {
    int size = imm5_size(insn);
    if (size < 0) {
        a64_unallocated(c);
        return;
    }
    unsigned index = BITS(insn, 20, 16) >> (size + 1);
    a64_write_vscalar(c, SIMD_RD(insn), read_elem(c, SIMD_RN(insn), (unsigned)size, index));
}

const struct a64_row a64_rows_simd_copy[] = {
    {"DUP_elem", "0q001110000iiiii000001nnnnnddddd", trans_dup_elem},
    {"DUP_general", "0q001110000iiiii000011nnnnnddddd", trans_dup_general},
    {"INS_general", "01001110000iiiii000111nnnnnddddd", trans_ins_general},
    {"SMOV", "0q001110000iiiii001011nnnnnddddd", trans_smov},
    {"UMOV", "0q001110000iiiii001111nnnnnddddd", trans_umov},
    {"INS_elem", "01101110000iiiii0jjjj1nnnnnddddd", trans_ins_elem},
    {"DUP_s", "01011110000iiiii000001nnnnnddddd", trans_dup_scalar},
    {NULL, NULL, NULL},
};
