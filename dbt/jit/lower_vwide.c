/* IR_VOP kind VK_VDIFF: Advanced SIMD three different, the long and wide
 * integer forms, lowered to SSE4.1 (switch: SHOAL_JIT_DISABLE=vwide).
 *
 * Inline: [SU]ADDL, [SU]ADDW, [SU]SUBL, [SU]SUBW, [SU]MULL, [SU]MLAL,
 * [SU]MLSL and their "2" forms (Q: the narrow operands come from the
 * upper halves). The narrow operands are widened with pmovzx/pmovsx, then
 * the op runs on the wide lanes; every result is exact in the wide lane
 * (a sum of two extended values fits, and so does a product: 8x8 bits in
 * 16 (pmullw), 16x16 in 32 (pmulld), 32x32 in 64 (pmuludq/pmuldq, which
 * read the low dword of each qword, where pmovzxdq/pmovsxdq put the
 * operands)). The rest of the group (narrowing, absolute difference,
 * saturating doubling, PMULL) stays the helper. */
#include "dbt/jit/jit_internal.h"
#include "dbt/simd/vop.h"

#define BIT32(x, n) (((x) >> (n)) & 1u)

static void sse(struct jit_ctx *c, const char *op, int reg, int rm) {
    x86_sse_rr(c->buf, 0x66, false, op, op[1] == 0x38 || op[1] == 0x3a ? 3 : 2, reg, rm);
}

/* xmm x = the narrow lanes (size 0..2) of v[r]'s low or high half, extended. */
static void widen(struct jit_ctx *c, int x, unsigned r, unsigned size, bool high, bool sgn) {
    static const char *const ext[2][3] = {{"\x0f\x38\x30", "\x0f\x38\x33", "\x0f\x38\x35"},
                                          {"\x0f\x38\x20", "\x0f\x38\x23", "\x0f\x38\x25"}};
    vr_read(c, x, r, high ? 128 : 64);
    if (high) x86_sse_rri(c->buf, 0x66, "\x0f\x73", 2, 3, x, 8); /* psrldq 8 */
    sse(c, ext[sgn][size], x, x);
}

bool lower_vdiff(struct jit_ctx *c, const struct ir_insn *i) {
    static const char *const add[3] = {"\x0f\xfd", "\x0f\xfe", "\x0f\xd4"}; /* wide lanes */
    static const char *const sub[3] = {"\x0f\xf9", "\x0f\xfa", "\x0f\xfb"};
    uint32_t insn = VOP_INSN(i->imm);
    unsigned opcode = (insn >> 12) & 15, size = (insn >> 22) & 3;
    bool q = BIT32(insn, 30), sgn = !BIT32(insn, 29);
    unsigned rd = insn & 31, rn = (insn >> 5) & 31, rm = (insn >> 16) & 31;
    if (BIT32(insn, 28) || size == 3 || !(c->features & JIT_F_SSE41)) return false;
    switch (opcode) {
    case 0x0: /* [SU]ADDL */
    case 0x2: /* [SU]SUBL */
    case 0x8: /* [SU]MLAL */
    case 0xa: /* [SU]MLSL */
    case 0xc: /* [SU]MULL */ widen(c, 0, rn, size, q, sgn); break;
    case 0x1: /* [SU]ADDW */
    case 0x3: /* [SU]SUBW */ vr_read(c, 0, rn, 128); break;
    default: return false;
    }
    widen(c, 1, rm, size, q, sgn);
    if (opcode <= 3) {
        sse(c, opcode & 2 ? sub[size] : add[size], 0, 1);
        vr_store(c, rd, 0);
        return true;
    }
    static const char *const mul[2][3] = {{"\x0f\xd5", "\x0f\x38\x40", "\x0f\xf4"},
                                          {"\x0f\xd5", "\x0f\x38\x40", "\x0f\x38\x28"}};
    sse(c, mul[sgn][size], 0, 1); /* pmullw / pmulld / pmuludq, pmuldq */
    if (opcode == 0xc) {
        vr_store(c, rd, 0);
        return true;
    }
    vr_read(c, 1, rd, 128);
    sse(c, opcode == 0x8 ? add[size] : sub[size], 1, 0);
    vr_store(c, rd, 1);
    return true;
}
