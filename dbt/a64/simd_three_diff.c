/* A64 family: Advanced SIMD three different (long, wide and narrowing
 * forms; vector and the scalar SQDMLAL/SQDMLSL/SQDMULL). Q selects the
 * "2" variants: narrow operands come from, or the narrow result goes to,
 * the upper half. */
#include "dbt/a64/simd_common.h"
#include "dbt/simd/vop.h"

enum diff_shape { LONG, WIDE, NARROW };

static enum diff_shape shape_of(unsigned opcode) {
    if (opcode == 1 || opcode == 3) return WIDE;
    if (opcode == 4 || opcode == 6) return NARROW;
    return LONG;
}

static uint64_t pmul_bytes(uint64_t a, uint64_t b) {
    uint64_t r = 0;
    for (unsigned k = 0; k < 8; k++)
        if (b >> k & 1) r ^= a << k;
    return r;
}

/* One result lane; op = U:opcode; bits = the narrow element size. */
static uint64_t lane_op(struct cpu *cpu, unsigned op, unsigned bits, s128 a, s128 b, s128 acc) {
    unsigned wide = 2 * bits;
    s128 abd = a > b ? a - b : b - a;
    switch (op & 0xf) {
    case 0x0:
    case 0x1: return (uint64_t)(a + b); /* [SU]ADD[LW] */
    case 0x2:
    case 0x3: return (uint64_t)(a - b); /* [SU]SUB[LW] */
    case 0x4: return (uint64_t)((a + b + (op & 0x10 ? (s128)1 << (bits - 1) : 0)) >> bits);
    case 0x6: return (uint64_t)((a - b + (op & 0x10 ? (s128)1 << (bits - 1) : 0)) >> bits);
    case 0x5: return (uint64_t)(acc + abd); /* [SU]ABAL */
    case 0x7: return (uint64_t)abd;         /* [SU]ABDL */
    case 0x8: return (uint64_t)(acc + a * b);
    case 0xa: return (uint64_t)(acc - a * b);
    case 0xc: return (uint64_t)(a * b);
    case 0x9:
        return sat_signed(cpu, acc + (s128)lane_sext(sat_signed(cpu, 2 * a * b, wide), wide), wide);
    case 0xb:
        return sat_signed(cpu, acc - (s128)lane_sext(sat_signed(cpu, 2 * a * b, wide), wide), wide);
    case 0xd: return sat_signed(cpu, 2 * a * b, wide);     /* SQDMULL */
    case 0xe: return pmul_bytes((uint64_t)a, (uint64_t)b); /* PMULL */
    }
    return 0;
}

static uint64_t helper_three_diff(struct cpu *cpu, uint64_t insn, uint64_t x1, uint64_t x2,
                                  uint64_t x3) {
    unsigned opcode = BITS(insn, 15, 12), op = SIMD_U(insn) << 4 | opcode;
    unsigned size = SIMD_SIZE(insn), bits = 8u << size;
    bool part = SIMD_Q(insn), scalar = SIMD_SCALAR(insn);
    /* Signed unless U; the HN forms ignore signedness and PMULL is carry-less. */
    bool is_signed = !SIMD_U(insn) && opcode != 0xe;
    unsigned n = scalar ? 1 : 8u >> size, rd = SIMD_RD(insn);
    enum diff_shape shape = shape_of(opcode);
    const vreg_t *vn = &cpu->v[SIMD_RN(insn)], *vm = &cpu->v[SIMD_RM(insn)], *vd = &cpu->v[rd];
    vreg_t r = {{0, 0}};
    if (shape == NARROW && part) r.d[0] = vd->d[0];
    unsigned off = part && !scalar ? n : 0;
    for (unsigned i = 0; i < n; i++) {
        s128 a = shape == LONG ? lane_val(vn, size, i + off, is_signed)
                               : lane_val(vn, size + 1, i, is_signed);
        s128 b = shape == NARROW ? lane_val(vm, size + 1, i, is_signed)
                                 : lane_val(vm, size, i + off, is_signed);
        s128 acc = lane_val(vd, size + 1, i, true);
        uint64_t x = lane_op(cpu, op, bits, a, b, acc);
        if (shape == NARROW)
            lane_set(&r, size, i + off, x);
        else
            lane_set(&r, size + 1, i, x);
    }
    vreg_store(cpu, rd, &r, true);
    return 0;
}

static bool allocated(uint32_t insn) {
    unsigned opcode = BITS(insn, 15, 12), size = SIMD_SIZE(insn);
    bool u = SIMD_U(insn);
    bool sqd = opcode == 0x9 || opcode == 0xb || opcode == 0xd;
    if (SIMD_SCALAR(insn)) return !u && sqd && (size == 1 || size == 2);
    if (opcode == 0xf || (u && (sqd || opcode == 0xe))) return false;
    if (opcode == 0xe) return size == 0; /* 64-bit PMULL is the crypto extension */
    if (sqd) return size == 1 || size == 2;
    return size != 3;
}

/* Vector forms are VOPs: the JIT lowers the long/wide ones (lower_vwide.c). */
static void trans_three_diff(struct a64_ctx *c, uint32_t insn) {
    if (allocated(insn) && !SIMD_SCALAR(insn))
        ir_vop(c->b, VK_VDIFF, insn, helper_three_diff, IR_ZERO);
    else
        simd_emit(c, allocated(insn), helper_three_diff);
}

#define VEC(name, u, opc)                                                                          \
    { name "_v", "0q" u "01110zz1mmmmm" opc "00nnnnnddddd", trans_three_diff }
#define SCAL(name, opc)                                                                            \
    { name "_s", "01011110zz1mmmmm" opc "00nnnnnddddd", trans_three_diff }

const struct a64_row a64_rows_simd_three_diff[] = {
    VEC("SADDL", "0", "0000"),   VEC("UADDL", "1", "0000"),  VEC("SADDW", "0", "0001"),
    VEC("UADDW", "1", "0001"),   VEC("SSUBL", "0", "0010"),  VEC("USUBL", "1", "0010"),
    VEC("SSUBW", "0", "0011"),   VEC("USUBW", "1", "0011"),  VEC("ADDHN", "0", "0100"),
    VEC("RADDHN", "1", "0100"),  VEC("SABAL", "0", "0101"),  VEC("UABAL", "1", "0101"),
    VEC("SUBHN", "0", "0110"),   VEC("RSUBHN", "1", "0110"), VEC("SABDL", "0", "0111"),
    VEC("UABDL", "1", "0111"),   VEC("SMLAL", "0", "1000"),  VEC("UMLAL", "1", "1000"),
    VEC("SQDMLAL", "0", "1001"), VEC("SMLSL", "0", "1010"),  VEC("UMLSL", "1", "1010"),
    VEC("SQDMLSL", "0", "1011"), VEC("SMULL", "0", "1100"),  VEC("UMULL", "1", "1100"),
    VEC("SQDMULL", "0", "1101"), VEC("PMULL", "0", "1110"),  SCAL("SQDMLAL", "1001"),
    SCAL("SQDMLSL", "1011"),     SCAL("SQDMULL", "1101"),    {NULL, NULL, NULL},
};
