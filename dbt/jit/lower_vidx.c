/* IR_VOP kind VK_VIDX: Advanced SIMD vector x indexed element, integer
 * MUL/MLA/MLS and [SU]MULL/[SU]MLAL/[SU]MLSL(2), 16- and 32-bit elements,
 * lowered to SSE4.1 (switch: SHOAL_JIT_DISABLE=vidx).
 *
 * The element is broadcast with one pshufb (control from the constant
 * pool); the long forms extend both operands with pmovzx/pmovsx first.
 * Products are exact where they are kept: the low half of each lane for
 * MUL/MLA/MLS (pmullw, pmulld), the whole wide lane for the long forms
 * (16x16 bits in 32: pmulld; 32x32 in 64: pmuludq/pmuldq on the low
 * dwords). The saturating doubling forms and the scalar ones stay the
 * helper. */
#include "dbt/jit/jit_internal.h"
#include "dbt/simd/vop.h"

#define BIT32(x, n) (((x) >> (n)) & 1u)

static void sse(struct jit_ctx *c, const char *op, int reg, int rm) {
    x86_sse_rr(c->buf, 0x66, false, op, op[1] == 0x38 || op[1] == 0x3a ? 3 : 2, reg, rm);
}

static const char *const ext[2][3] = {{"\x0f\x38\x30", "\x0f\x38\x33", "\x0f\x38\x35"},
                                      {"\x0f\x38\x20", "\x0f\x38\x23", "\x0f\x38\x25"}};

bool lower_vidx(struct jit_ctx *c, const struct ir_insn *i) {
    static const char *const add[4] = {"\x0f\xfc", "\x0f\xfd", "\x0f\xfe", "\x0f\xd4"};
    static const char *const sub[4] = {"\x0f\xf8", "\x0f\xf9", "\x0f\xfa", "\x0f\xfb"};
    uint32_t insn = VOP_INSN(i->imm);
    unsigned op = BIT32(insn, 29) << 4 | ((insn >> 12) & 15), size = (insn >> 22) & 3;
    bool q = BIT32(insn, 30), sgn = !BIT32(insn, 29);
    unsigned rd = insn & 31, rn = (insn >> 5) & 31, rm, index;
    if (BIT32(insn, 28) || !(c->features & JIT_F_SSE41) || (size != 1 && size != 2)) return false;
    bool lng;
    switch (op) {
    case 0x08:                     /* MUL */
    case 0x10:                     /* MLA */
    case 0x14: lng = false; break; /* MLS */
    case 0x02:
    case 0x12: /* [SU]MLAL */
    case 0x06:
    case 0x16: /* [SU]MLSL */
    case 0x0a:
    case 0x1a: lng = true; break; /* [SU]MULL */
    default: return false;
    }
    if (size == 1) {
        rm = (insn >> 16) & 15;
        index = BIT32(insn, 11) << 2 | BIT32(insn, 21) << 1 | BIT32(insn, 20);
    } else {
        rm = (insn >> 16) & 31;
        index = BIT32(insn, 11) << 1 | BIT32(insn, 21);
    }
    unsigned eb = 1u << size;
    uint64_t ctl[2] = {0, 0};
    for (unsigned j = 0; j < 16; j++)
        ctl[j / 8] |= (uint64_t)(index * eb + j % eb) << 8 * (j % 8);
    vr_read(c, 1, rm, 128);
    vc_op(c, 0x66, "\x0f\x38\x00", 1, ctl[0], ctl[1]); /* pshufb: broadcast */
    unsigned wsize = size;
    if (lng) {
        vr_read(c, 0, rn, q ? 128 : 64);
        if (q) x86_sse_rri(c->buf, 0x66, "\x0f\x73", 2, 3, 0, 8); /* psrldq 8 */
        sse(c, ext[sgn][size], 0, 0);
        sse(c, ext[sgn][size], 1, 1);
        wsize = size + 1;
    } else {
        vr_read(c, 0, rn, q ? 128 : 64);
    }
    if (wsize == 1)
        sse(c, "\x0f\xd5", 0, 1); /* pmullw */
    else if (wsize == 2)
        sse(c, "\x0f\x38\x40", 0, 1); /* pmulld */
    else
        sse(c, sgn ? "\x0f\x38\x28" : "\x0f\xf4", 0, 1); /* pmuldq / pmuludq */
    unsigned kind = op & 0xc;                            /* 0: MLA(L), 4: MLS(L), 8: MUL(L) */
    if (kind == 8) {
        vr_store(c, rd, 0);
        return true;
    }
    vr_read(c, 2, rd, lng || q ? 128 : 64);
    sse(c, kind == 4 ? sub[wsize] : add[wsize], 2, 0);
    vr_store(c, rd, 2);
    return true;
}
