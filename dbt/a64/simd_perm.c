/* A64 family: Advanced SIMD permute (UZP, TRN, ZIP), extract (EXT) and
 * table lookup (TBL, TBX). */
#include "dbt/a64/simd_common.h"
#include "dbt/simd/vop.h"

static uint64_t helper_permute(struct cpu *cpu, uint64_t insn, uint64_t x1, uint64_t x2,
                               uint64_t x3) {
    unsigned size = SIMD_SIZE(insn), opcode = BITS(insn, 14, 12);
    bool q = SIMD_Q(insn);
    unsigned n = vec_lanes(q, size), part = opcode >> 2, pairs = n / 2;
    const vreg_t a = cpu->v[SIMD_RN(insn)], b = cpu->v[SIMD_RM(insn)];
    vreg_t r = {{0, 0}};
    for (unsigned i = 0; i < n; i++) {
        uint64_t x = 0;
        switch (opcode & 3) {
        case 1: { /* UZP: even (part 0) or odd lanes of the concatenation Rm:Rn */
            unsigned k = 2 * i + part;
            x = k < n ? lane_get(&a, size, k) : lane_get(&b, size, k - n);
            break;
        }
        case 2: /* TRN: lanes 2p+part of Rn and Rm, interleaved */
            x = lane_get(i & 1 ? &b : &a, size, (i & ~1u) + part);
            break;
        case 3: /* ZIP: lanes from the low (part 0) or high half, interleaved */
            x = lane_get(i & 1 ? &b : &a, size, part * pairs + i / 2);
            break;
        }
        lane_set(&r, size, i, x);
    }
    vreg_store(cpu, SIMD_RD(insn), &r, q);
    return 0;
}

static void trans_permute(struct a64_ctx *c, uint32_t insn) {
    bool ok = (BITS(insn, 13, 12) != 0) && !(SIMD_SIZE(insn) == 3 && !SIMD_Q(insn));
    if (ok)
        ir_vop(c->b, VK_VPERM, insn, helper_permute, IR_ZERO);
    else
        simd_emit(c, ok, helper_permute);
}

static uint64_t helper_ext(struct cpu *cpu, uint64_t insn, uint64_t x1, uint64_t x2, uint64_t x3) {
    bool q = SIMD_Q(insn);
    unsigned bytes = q ? 16 : 8, pos = BITS(insn, 14, 11);
    const vreg_t a = cpu->v[SIMD_RN(insn)], b = cpu->v[SIMD_RM(insn)];
    vreg_t r = {{0, 0}};
    for (unsigned i = 0; i < bytes; i++) {
        unsigned k = pos + i;
        r.b[i] = k < bytes ? a.b[k] : b.b[k - bytes];
    }
    vreg_store(cpu, SIMD_RD(insn), &r, q);
    return 0;
}

static void trans_ext(struct a64_ctx *c, uint32_t insn) {
    if (SIMD_Q(insn) || !BIT(insn, 14))
        ir_vop(c->b, VK_VPERM, insn, helper_ext, IR_ZERO);
    else
        a64_unallocated(c);
}

/* TBL/TBX: the table is 1-4 consecutive registers (mod 32) from Rn; an
 * out-of-range index gives 0 (TBL) or keeps the destination byte (TBX). */
static uint64_t helper_table(struct cpu *cpu, uint64_t insn, uint64_t x1, uint64_t x2,
                             uint64_t x3) {
    bool q = SIMD_Q(insn), tbx = BIT(insn, 12);
    unsigned regs = BITS(insn, 14, 13) + 1, rn = SIMD_RN(insn), rd = SIMD_RD(insn);
    uint8_t table[64];
    for (unsigned k = 0; k < regs; k++)
        for (unsigned j = 0; j < 16; j++)
            table[16 * k + j] = cpu->v[(rn + k) % 32].b[j];
    const vreg_t idx = cpu->v[SIMD_RM(insn)];
    vreg_t r = cpu->v[rd];
    for (unsigned i = 0; i < (q ? 16u : 8u); i++) {
        unsigned k = idx.b[i];
        if (k < 16 * regs)
            r.b[i] = table[k];
        else if (!tbx)
            r.b[i] = 0;
    }
    vreg_store(cpu, rd, &r, q);
    return 0;
}

static void trans_table(struct a64_ctx *c, uint32_t insn) {
    simd_emit(c, true, helper_table);
}

#define PERM(name, opc)                                                                            \
    { name, "0q001110zz0mmmmm0" opc "10nnnnnddddd", trans_permute }
#define TABLE(name, len, op)                                                                       \
    { name, "0q001110000mmmmm0" len op "00nnnnnddddd", trans_table }

const struct a64_row a64_rows_simd_perm[] = {
    PERM("UZP1", "001"),
    PERM("TRN1", "010"),
    PERM("ZIP1", "011"),
    PERM("UZP2", "101"),
    PERM("TRN2", "110"),
    PERM("ZIP2", "111"),
    {"EXT", "0q101110000mmmmm0iiii0nnnnnddddd", trans_ext},
    TABLE("TBL1", "00", "0"),
    TABLE("TBL2", "01", "0"),
    TABLE("TBL3", "10", "0"),
    TABLE("TBL4", "11", "0"),
    TABLE("TBX1", "00", "1"),
    TABLE("TBX2", "01", "1"),
    TABLE("TBX3", "10", "1"),
    TABLE("TBX4", "11", "1"),
    {NULL, NULL, NULL},
};
