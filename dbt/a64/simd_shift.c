/* A64 family: Advanced SIMD shift by immediate, integer forms (vector
 * and scalar). immh's highest set bit gives the element size; immh:immb
 * encodes the shift (right: 2*esize - immh:immb, left: immh:immb - esize).
 * The fixed-point FP conversions of the group live in simd_fp_shift.c. */
#include "dbt/a64/simd_common.h"
#include "dbt/simd/vop.h"

static unsigned immh_size(uint32_t insn) {
    return 31u - (unsigned)__builtin_clz(BITS(insn, 22, 19));
}

static bool is_narrow(unsigned opcode) {
    return (opcode & 0x1c) == 0x10;
}

/* One lane of the element-wise forms; op = U:opcode, x the source lane, d the old destination. */
static uint64_t lane_op(struct cpu *cpu, unsigned op, unsigned bits, unsigned rsh, unsigned lsh,
                        uint64_t x, uint64_t d) {
    s128 s = lane_sext(x, bits), u = x;
    uint64_t ones = lane_mask(bits);
    switch (op) {
    case 0x00: return (uint64_t)shift_exact(s, -(int)rsh, false, bits);     /* SSHR */
    case 0x20: return (uint64_t)shift_exact(u, -(int)rsh, false, bits);     /* USHR */
    case 0x02: return d + (uint64_t)shift_exact(s, -(int)rsh, false, bits); /* SSRA */
    case 0x22: return d + (uint64_t)shift_exact(u, -(int)rsh, false, bits);
    case 0x04: return (uint64_t)shift_exact(s, -(int)rsh, true, bits); /* SRSHR */
    case 0x24: return (uint64_t)shift_exact(u, -(int)rsh, true, bits);
    case 0x06: return d + (uint64_t)shift_exact(s, -(int)rsh, true, bits); /* SRSRA */
    case 0x26: return d + (uint64_t)shift_exact(u, -(int)rsh, true, bits);
    case 0x28: { /* SRI */
        uint64_t mask = rsh >= bits ? 0 : ones >> rsh;
        return (d & ~mask) | ((rsh >= bits ? 0 : x >> rsh) & mask);
    }
    case 0x0a: return x << lsh; /* SHL */
    case 0x2a: {                /* SLI */
        uint64_t mask = (ones << lsh) & ones;
        return (d & ~mask) | ((x << lsh) & mask);
    }
    case 0x0e: return sat_signed(cpu, shift_exact(s, (int)lsh, false, bits), bits);   /* SQSHL */
    case 0x2e: return sat_unsigned(cpu, shift_exact(u, (int)lsh, false, bits), bits); /* UQSHL */
    case 0x2c: return sat_unsigned(cpu, shift_exact(s, (int)lsh, false, bits), bits); /* SQSHLU */
    }
    return 0;
}

/* Narrowing right shifts: wide lane x (2*bits) to one narrow lane. */
static uint64_t narrow_op(struct cpu *cpu, unsigned op, unsigned bits, unsigned rsh, uint64_t x) {
    bool round = op & 1;
    s128 s = lane_sext(x, 2 * bits), u = x;
    switch (op & ~1u) {
    case 0x10: return (uint64_t)shift_exact(u, -(int)rsh, round, 2 * bits); /* [R]SHRN */
    case 0x12: return sat_signed(cpu, shift_exact(s, -(int)rsh, round, 2 * bits), bits);
    case 0x30: return sat_unsigned(cpu, shift_exact(s, -(int)rsh, round, 2 * bits), bits);
    default: return sat_unsigned(cpu, shift_exact(u, -(int)rsh, round, 2 * bits), bits);
    }
}

static uint64_t helper_shift(struct cpu *cpu, uint64_t insn, uint64_t x1, uint64_t x2,
                             uint64_t x3) {
    unsigned opcode = BITS(insn, 15, 11), op = SIMD_U(insn) << 5 | opcode;
    unsigned size = immh_size((uint32_t)insn), bits = 8u << size, immhb = BITS(insn, 22, 16);
    unsigned rsh = 2 * bits - immhb, lsh = immhb - bits, rd = SIMD_RD(insn);
    bool q = SIMD_Q(insn), scalar = SIMD_SCALAR(insn);
    const vreg_t a = cpu->v[SIMD_RN(insn)], d = cpu->v[rd];
    vreg_t r = {{0, 0}};
    bool whole = q || scalar;
    if (is_narrow(opcode)) {
        unsigned n = scalar ? 1 : 8u >> size, off = q && !scalar ? n : 0;
        if (off) r.d[0] = d.d[0];
        for (unsigned i = 0; i < n; i++)
            lane_set(&r, size, i + off, narrow_op(cpu, op, bits, rsh, lane_get(&a, size + 1, i)));
        whole = true;
    } else if (opcode == 0x14) { /* [SU]SHLL */
        unsigned n = 8u >> size, off = q ? n : 0;
        for (unsigned i = 0; i < n; i++)
            lane_set(&r, size + 1, i, (uint64_t)lane_val(&a, size, i + off, !SIMD_U(insn)) << lsh);
        whole = true;
    } else {
        unsigned n = scalar ? 1 : vec_lanes(q, size);
        for (unsigned i = 0; i < n; i++)
            lane_set(
                &r, size, i,
                lane_op(cpu, op, bits, rsh, lsh, lane_get(&a, size, i), lane_get(&d, size, i)));
    }
    vreg_store(cpu, rd, &r, whole);
    return 0;
}

static bool allocated(uint32_t insn) {
    unsigned opcode = BITS(insn, 15, 11), op = SIMD_U(insn) << 5 | opcode;
    unsigned immh = BITS(insn, 22, 19);
    if (!immh) return false;
    bool wide_elems = immh & 8, narrow = is_narrow(opcode);
    if (SIMD_SCALAR(insn)) {
        switch (op) {
        case 0x0e:
        case 0x2e:
        case 0x2c: return true;
        case 0x12:
        case 0x13:
        case 0x30:
        case 0x31:
        case 0x32:
        case 0x33: return !wide_elems;
        case 0x10:
        case 0x11:
        case 0x14:
        case 0x34: return false;
        default: return wide_elems;
        }
    }
    if (narrow || opcode == 0x14) return !wide_elems;
    return !(wide_elems && !SIMD_Q(insn));
}

/* Vector forms are VOPs: the JIT lowers the common ones (lower_vshift.c). */
static void trans_shift(struct a64_ctx *c, uint32_t insn) {
    if (allocated(insn) && !SIMD_SCALAR(insn))
        ir_vop(c->b, VK_VSHIFT, insn, helper_shift, IR_ZERO);
    else
        simd_emit(c, allocated(insn), helper_shift);
}

#define VEC(name, u, opc)                                                                          \
    { name "_v", "0q" u "011110iiiiiii" opc "1nnnnnddddd", trans_shift }
#define SCAL(name, u, opc)                                                                         \
    { name "_s", "01" u "111110iiiiiii" opc "1nnnnnddddd", trans_shift }
#define BOTH(name, u, opc) VEC(name, u, opc), SCAL(name, u, opc)

const struct a64_row a64_rows_simd_shift[] = {
    BOTH("SSHR", "0", "00000"),
    BOTH("USHR", "1", "00000"),
    BOTH("SSRA", "0", "00010"),
    BOTH("USRA", "1", "00010"),
    BOTH("SRSHR", "0", "00100"),
    BOTH("URSHR", "1", "00100"),
    BOTH("SRSRA", "0", "00110"),
    BOTH("URSRA", "1", "00110"),
    BOTH("SRI", "1", "01000"),
    BOTH("SHL", "0", "01010"),
    BOTH("SLI", "1", "01010"),
    BOTH("SQSHLU", "1", "01100"),
    BOTH("SQSHL_imm", "0", "01110"),
    BOTH("UQSHL_imm", "1", "01110"),
    VEC("SHRN", "0", "10000"),
    VEC("RSHRN", "0", "10001"),
    BOTH("SQSHRN", "0", "10010"),
    BOTH("SQRSHRN", "0", "10011"),
    BOTH("SQSHRUN", "1", "10000"),
    BOTH("SQRSHRUN", "1", "10001"),
    BOTH("UQSHRN", "1", "10010"),
    BOTH("UQRSHRN", "1", "10011"),
    VEC("SSHLL", "0", "10100"),
    VEC("USHLL", "1", "10100"),
    {NULL, NULL, NULL},
};
