/* IR_VOP kind VK_VSHIFT: Advanced SIMD shift by immediate, vector forms,
 * lowered to SSE2 shifts (SSSE3 pshufb for SHRN, SSE4.1 pmovzx/pmovsx
 * for USHLL/SSHLL). Switch: SHOAL_JIT_DISABLE=vshift.
 *
 * Inline: SHL, USHR, SSHR, USRA, SSRA (all element sizes), SHRN/SHRN2,
 * USHLL/SSHLL(2) (UXTL/SXTL). Everything else in the group (rounding,
 * saturating, SRI/SLI) stays the helper, which is the reference.
 *
 * Exactness: the encodings give left shifts 0..esize-1 and right shifts
 * 1..esize. A logical right shift by esize is 0 on both sides (x86
 * shifts by a count >= the lane width give 0); an arithmetic one by
 * esize equals one by esize-1 (every bit a copy of the sign), which is
 * what psra computes for any count >= width, and what the 8- and 64-bit
 * emulations below need (they are exact for counts < esize). x86 has no
 * byte shifts: a word shift and a per-byte mask from the constant pool
 * give the logical ones, ((x >>> s) ^ m) - m with m = 0x80 >> s the
 * arithmetic one (sign extension of the shifted byte). A 64-bit
 * arithmetic shift is the logical one xor'ed with the sign mask before
 * and after (sign lanes from psrad 31 + pshufd). */
#include "dbt/jit/jit_internal.h"
#include "dbt/simd/vop.h"

#define BIT32(x, n) (((x) >> (n)) & 1u)

static void sse(struct jit_ctx *c, const char *op, int reg, int rm) {
    x86_sse_rr(c->buf, 0x66, false, op, op[1] == 0x38 || op[1] == 0x3a ? 3 : 2, reg, rm);
}
static void sse_i(struct jit_ctx *c, const char *op, int reg, int rm, uint8_t imm) {
    x86_sse_rri(c->buf, 0x66, op, op[1] == 0x38 || op[1] == 0x3a ? 3 : 2, reg, rm, imm);
}
static uint64_t rep8(unsigned x) {
    return 0x0101010101010101ull * (x & 0xff);
}

/* Shift-by-immediate opcodes (66 0F 71/72/73 /r ib): the /r field. */
enum { PS_RL = 2, PS_RA = 4, PS_L = 6 };

/* xmm x lanes of 16/32/64 bits (size 1..3) shifted by n (SSE2). */
static void lane_shift(struct jit_ctx *c, int x, unsigned size, int kind, unsigned n) {
    static const char *const grp[4] = {NULL, "\x0f\x71", "\x0f\x72", "\x0f\x73"};
    sse_i(c, grp[size], kind, x, (uint8_t)n);
}

/* xmm0 = x lanes (esize 8 << size) shifted right by n (1..esize),
 * arithmetic or logical; xmm1, xmm2 scratch. */
static void shift_right(struct jit_ctx *c, unsigned size, bool arith, unsigned n) {
    unsigned bits = 8u << size;
    if (arith && n == bits) n = bits - 1;
    if (size == 0) {
        lane_shift(c, 0, 1, PS_RL, n);
        vc_op(c, 0x66, "\x0f\xdb", 0, rep8(0xffu >> n), rep8(0xffu >> n)); /* pand */
        if (arith) {
            uint64_t m = rep8(0x80u >> n);
            vc_op(c, 0x66, "\x0f\xef", 0, m, m); /* pxor */
            vc_op(c, 0x66, "\x0f\xf8", 0, m, m); /* psubb */
        }
    } else if (arith && size == 3) {
        sse(c, "\x0f\x28", 1, 0);         /* movaps: xmm1 = x */
        lane_shift(c, 1, 2, PS_RA, 31);   /* high dwords: sign */
        sse_i(c, "\x0f\x70", 1, 1, 0xf5); /* pshufd: sign of each qword */
        sse(c, "\x0f\xef", 0, 1);         /* x ^ m */
        lane_shift(c, 0, 3, PS_RL, n);
        sse(c, "\x0f\xef", 0, 1);
    } else {
        lane_shift(c, 0, size, arith ? PS_RA : PS_RL, n);
    }
}

/* xmm0 = x lanes shifted left by n (0..esize-1). */
static void shift_left(struct jit_ctx *c, unsigned size, unsigned n) {
    if (!n) return;
    lane_shift(c, 0, size ? size : 1, PS_L, n);
    if (size == 0) {
        uint64_t m = rep8(0xffu << n);
        vc_op(c, 0x66, "\x0f\xdb", 0, m, m);
    }
}

/* SHRN/SHRN2: wide lanes (esize 16 << size) >> n, low halves packed. */
static bool shrn(struct jit_ctx *c, unsigned size, unsigned n, bool q, unsigned rd) {
    if (!(c->features & JIT_F_SSSE3)) return false;
    shift_right(c, size + 1, false, n);
    unsigned eb = 1u << size;
    uint64_t lo = 0, hi = ~0ull; /* pshufb: bytes with bit 7 set become 0 */
    for (unsigned k = 0, e = 0; k < 8; e++)
        for (unsigned j = 0; j < eb; j++, k++)
            lo |= (uint64_t)(e * 2 * eb + j) << 8 * k;
    vc_op(c, 0x66, "\x0f\x38\x00", 0, lo, hi);
    if (q) { /* upper half of rd: low half kept */
        vr_read(c, 1, rd, 64);
        sse(c, "\x0f\x6c", 1, 0); /* punpcklqdq */
        vr_store(c, rd, 1);
    } else {
        vr_store(c, rd, 0);
    }
    return true;
}

/* USHLL/SSHLL(2): lanes of the low (high for Q) half widened, << n. */
static bool shll(struct jit_ctx *c, unsigned size, unsigned n, bool q, bool u, unsigned rd) {
    static const char *const ext[2][3] = {{"\x0f\x38\x20", "\x0f\x38\x23", "\x0f\x38\x25"},
                                          {"\x0f\x38\x30", "\x0f\x38\x33", "\x0f\x38\x35"}};
    if (!(c->features & JIT_F_SSE41)) return false;
    if (q) sse_i(c, "\x0f\x73", 3, 0, 8); /* psrldq 8 */
    sse(c, ext[u][size], 0, 0);
    shift_left(c, size + 1, n);
    vr_store(c, rd, 0);
    return true;
}

bool lower_vshift(struct jit_ctx *c, const struct ir_insn *i) {
    uint32_t insn = VOP_INSN(i->imm);
    unsigned opcode = (insn >> 11) & 31, op = BIT32(insn, 29) << 5 | opcode;
    unsigned immh = (insn >> 19) & 15, immhb = (insn >> 16) & 127;
    if (BIT32(insn, 28) || !immh) return false; /* scalar forms */
    unsigned size = 31u - (unsigned)__builtin_clz(immh), bits = 8u << size;
    unsigned rsh = 2 * bits - immhb, lsh = immhb - bits, rd = insn & 31, rn = (insn >> 5) & 31;
    bool q = BIT32(insn, 30);
    switch (op) {
    case 0x00: /* SSHR */
    case 0x20: /* USHR */
    case 0x02: /* SSRA */
    case 0x22: /* USRA */
    case 0x0a: /* SHL */
        if (size == 3 && !q) return false;
        break;
    case 0x10: /* SHRN */
        if (size == 3) return false;
        vr_read(c, 0, rn, 128);
        return shrn(c, size, rsh, q, rd);
    case 0x14: /* SSHLL */
    case 0x34: /* USHLL */
        if (size == 3 || !(c->features & JIT_F_SSE41)) return false;
        vr_read(c, 0, rn, 128);
        return shll(c, size, lsh, q, op == 0x34, rd);
    default: return false;
    }
    unsigned vbits = q ? 128 : 64;
    vr_read(c, 0, rn, vbits);
    if (op == 0x0a)
        shift_left(c, size, lsh);
    else
        shift_right(c, size, !(op & 0x20), rsh);
    if (op == 0x02 || op == 0x22) { /* accumulate into rd */
        static const char add[4][2] = {
            {0x0f, (char)0xfc}, {0x0f, (char)0xfd}, {0x0f, (char)0xfe}, {0x0f, (char)0xd4}};
        vr_read(c, 1, rd, vbits);
        sse(c, add[size], 0, 1);
    }
    vr_store(c, rd, 0); /* 64-bit forms: the upper lanes were read as 0 and stay 0 */
    return true;
}
