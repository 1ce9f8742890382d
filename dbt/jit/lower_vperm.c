/* IR_VOP kind VK_VPERM: Advanced SIMD UZP1/2, TRN1/2, ZIP1/2 and EXT,
 * lowered to two pshufb (SSSE3) and a por, and DUP (element), one pshufb
 * (switch: SHOAL_JIT_DISABLE=vperm).
 *
 * Each result byte comes from one byte of Rn or of Rm, fixed by the
 * encoding: the controls are computed here with the helper's own lane
 * formulas (dbt/a64/simd_perm.c), one per source, with 0x80 (pshufb's
 * "zero") where the byte comes from the other source or lies in the
 * upper half of a 64-bit form. */
#include "dbt/jit/jit_internal.h"
#include "dbt/simd/vop.h"

#define BIT32(x, n) (((x) >> (n)) & 1u)

/* src[j] (0: Rn, 1: Rm) and idx[j]: where result byte j comes from. */
static void perm_map(uint32_t insn, uint8_t src[16], uint8_t idx[16]) {
    bool q = BIT32(insn, 30);
    unsigned bytes = q ? 16 : 8;
    if (!BIT32(insn, 29) && ((insn >> 10) & 3) == 1) { /* DUP (element): lane index of Rn */
        unsigned imm5 = (insn >> 16) & 31, size = (unsigned)__builtin_ctz(imm5);
        unsigned eb = 1u << size, index = imm5 >> (size + 1);
        for (unsigned j = 0; j < bytes; j++) {
            src[j] = 0;
            idx[j] = (uint8_t)(index * eb + j % eb);
        }
        return;
    }
    if (BIT32(insn, 29)) { /* EXT: bytes pos.. of the concatenation Rm:Rn */
        unsigned pos = (insn >> 11) & 15;
        for (unsigned j = 0; j < bytes; j++) {
            unsigned k = pos + j;
            src[j] = k >= bytes;
            idx[j] = (uint8_t)(k < bytes ? k : k - bytes);
        }
        return;
    }
    unsigned size = (insn >> 22) & 3, opcode = (insn >> 12) & 7, eb = 1u << size;
    unsigned n = bytes / eb, part = opcode >> 2, pairs = n / 2;
    for (unsigned i = 0; i < n; i++) {
        unsigned s = 0, k = 0;
        switch (opcode & 3) {
        case 1: /* UZP */
            k = 2 * i + part;
            s = k >= n;
            if (s) k -= n;
            break;
        case 2: /* TRN */
            s = i & 1;
            k = (i & ~1u) + part;
            break;
        default: /* ZIP */
            s = i & 1;
            k = part * pairs + i / 2;
            break;
        }
        for (unsigned b = 0; b < eb; b++) {
            src[i * eb + b] = (uint8_t)s;
            idx[i * eb + b] = (uint8_t)(k * eb + b);
        }
    }
}

bool lower_vperm(struct jit_ctx *c, const struct ir_insn *i) {
    uint32_t insn = VOP_INSN(i->imm);
    bool q = BIT32(insn, 30);
    unsigned bytes = q ? 16 : 8;
    if (!(c->features & JIT_F_SSSE3)) return false;
    bool dup = !BIT32(insn, 29) && ((insn >> 10) & 3) == 1;
    if (!dup && !BIT32(insn, 29) && ((insn >> 12) & 3) == 0) return false; /* not UZP/TRN/ZIP */
    uint8_t src[16], idx[16];
    perm_map(insn, src, idx);
    uint64_t ctl[2][2] = {{~0ull, ~0ull}, {~0ull, ~0ull}}; /* all 0x80: zero */
    for (unsigned j = 0; j < bytes; j++)
        for (unsigned s = 0; s < 2; s++) {
            uint64_t *w = &ctl[s][j / 8];
            unsigned sh = 8 * (j % 8);
            uint64_t v = src[j] == s ? idx[j] : 0x80;
            *w = (*w & ~(0xffull << sh)) | v << sh;
        }
    /* DUP reads the whole of Rn: its index may lie in the upper half
     * of a 64-bit form's source. */
    vr_read(c, 0, (insn >> 5) & 31, dup ? 128 : bytes * 8);
    vc_op(c, 0x66, "\x0f\x38\x00", 0, ctl[0][0], ctl[0][1]); /* pshufb */
    if (!dup) {
        vr_read(c, 1, (insn >> 16) & 31, bytes * 8);
        vc_op(c, 0x66, "\x0f\x38\x00", 1, ctl[1][0], ctl[1][1]);
        x86_sse_rr(c->buf, 0x66, false, "\x0f\xeb", 2, 0, 1); /* por */
    }
    vr_store(c, insn & 31, 0);
    return true;
}
