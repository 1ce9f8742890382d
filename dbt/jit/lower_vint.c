/* IR_VOP kinds VK_VINT3 and VK_VMISC: Advanced SIMD integer three-same
 * ops (ADD SUB MUL, the compares, S/U MAX/MIN, the pairwise ADDP
 * UMAXP UMINP SMAXP SMINP, the logic row AND BIC ORR ORN EOR BSL BIT
 * BIF) and two-register misc (compares with zero, NOT, NEG, ABS),
 * lowered to SSE2/SSSE3/SSE4.1/4.2.
 *
 * In place (switch SHOAL_JIT_DISABLE=vinplace): integer ops raise no
 * flags and have no slow path, so the result is computed straight in the
 * destination's cache register when v[rd] is cached and is not the
 * second operand (which is read after the first write), and read-only
 * operands are used from their cache registers without a copy. A 64-bit
 * form then reads whole registers (the upper lanes are garbage) and
 * clears the upper half of the result, as before. Without the switch, or
 * when rd is not cached, the result is computed in xmm0 and vr_store
 * copies it (write-allocate). Glibc's string loops (strlen, strchr,
 * memcmp: uminp/umaxp/cmeq/cmhs/eor on cached registers) spent two or
 * three movaps per op on the copies. */
#include "common/log.h"
#include "dbt/jit/jit_internal.h"
#include "dbt/simd/vop.h"

#define BIT32(x, n) (((x) >> (n)) & 1u)

static void sse(struct jit_ctx *c, const char *op, int reg, int rm) {
    x86_sse_rr(c->buf, 0x66, false, op, op[1] == 0x38 || op[1] == 0x3a ? 3 : 2, reg, rm);
}
static void sse_i(struct jit_ctx *c, const char *op, int reg, int rm, uint8_t imm) {
    x86_sse_rri(c->buf, 0x66, op, op[1] == 0x38 || op[1] == 0x3a ? 3 : 2, reg, rm, imm);
}
static void xzero(struct jit_ctx *c, int x) {
    x86_sse_rr(c->buf, 0, false, "\x0f\x57", 2, x, x); /* xorps */
}
static void xmov(struct jit_ctx *c, int d, int s) {
    if (d != s) x86_sse_rr(c->buf, 0, false, "\x0f\x28", 2, d, s); /* movaps */
}
/* Keeps the low 64 bits of xmm x, zeroes the upper half (movq). */
static void xlow64(struct jit_ctx *c, int x) {
    x86_sse_rr(c->buf, 0xf3, false, "\x0f\x7e", 2, x, x);
}
static void ones(struct jit_ctx *c, int x) {
    sse(c, "\x0f\x76", x, x); /* pcmpeqd */
}

/* ---- operands and result ---- */

/* The register the result of an op writing rd is computed in: rd's
 * cache register (in place) or xmm0. `late` is an operand read after
 * the result register is first written (-1: none). */
static int vres(struct jit_ctx *c, unsigned rd, int late) {
    if (!c->vinplace || c->vx[rd] < 0 || (int)rd == late) return 0;
    return c->vx[rd];
}

/* xmm x = all of v[r] (nothing when x already is r's cache register). */
static void vin(struct jit_ctx *c, int x, unsigned r) {
    if (c->vx[r] == x) {
        c->xuse[x] = ++c->vclock;
        return;
    }
    vr_read(c, x, r, 128);
}

/* The register holding all of v[r] for an operand that is only read: its
 * cache register (in place), else a copy in `scratch`. */
static int vsrc(struct jit_ctx *c, int scratch, unsigned r) {
    int x = c->vx[r];
    if (c->vinplace && x >= 0) {
        c->xuse[x] = ++c->vclock;
        return x;
    }
    vr_read(c, scratch, r, 128);
    return scratch;
}

/* v[rd] = xmm d (64-bit forms: upper half cleared first). */
static void vdone(struct jit_ctx *c, unsigned rd, int d, bool q) {
    if (!q) xlow64(c, d);
    if (d == 0) {
        vr_store(c, rd, 0);
        return;
    }
    int x = vr_write(c, rd); /* cached: the same register, now dirty */
    SHOAL_ASSERT(x == d);
    (void)x;
}

/* ---- three-same ---- */

/* pshufb xmm x with the control putting the even elements of each
 * (8 << size)-bit lane pair first, then the odd ones (pairwise ops). */
static void even_odd_shuffle(struct jit_ctx *c, int x, unsigned size) {
    unsigned eb = 1u << size, ne = 16 / eb;
    uint8_t m[16];
    unsigned k = 0;
    for (unsigned par = 0; par < 2; par++)
        for (unsigned e = par; e < ne; e += 2)
            for (unsigned j = 0; j < eb; j++)
                m[k++] = (uint8_t)(e * eb + j);
    uint64_t lo = 0, hi = 0;
    for (unsigned j = 0; j < 8; j++) {
        lo |= (uint64_t)m[j] << (8 * j);
        hi |= (uint64_t)m[j + 8] << (8 * j);
    }
    vc_op(c, 0x66, "\x0f\x38\x00", x, lo, hi);
}

/* d = op(d, m) for the integer three-same op (m is only read; xmm2 and
 * xmm3 are scratch, m is neither); false if not inline. */
static bool vint_op(struct jit_ctx *c, unsigned op, unsigned size, int d, int m) {
    static const char add[4] = {(char)0xfc, (char)0xfd, (char)0xfe, (char)0xd4};
    static const char sub[4] = {(char)0xf8, (char)0xf9, (char)0xfa, (char)0xfb};
    static const char eq[3] = {0x74, 0x75, 0x76}, gt[3] = {0x64, 0x65, 0x66};
    bool s41 = c->features & JIT_F_SSE41;
    char o2[2] = {0x0f, 0};
    switch (op) {
    case 0x10:
    case 0x17: o2[1] = add[size]; break; /* ADD, ADDP */
    case 0x30: o2[1] = sub[size]; break; /* SUB */
    case 0x31:                           /* CMEQ */
        if (size == 3) {
            if (!s41) return false;
            sse(c, "\x0f\x38\x29", d, m);
            return true;
        }
        o2[1] = eq[size];
        break;
    case 0x06: /* CMGT */
    case 0x07: /* CMGE = NOT (m > n) */
        if (size == 3 && !(c->features & JIT_F_SSE42)) return false;
        if (op == 0x07) {
            xmov(c, 2, m);
            if (size == 3)
                sse(c, "\x0f\x38\x37", 2, d);
            else
                sse(c, (char[]){0x0f, gt[size]}, 2, d);
            ones(c, d);
            sse(c, "\x0f\xef", d, 2);
            return true;
        }
        if (size == 3) {
            sse(c, "\x0f\x38\x37", d, m);
            return true;
        }
        o2[1] = gt[size];
        break;
    case 0x27:   /* CMHS: n == umax(n, m) */
    case 0x26: { /* CMHI: NOT (m == umax(m, n)) */
        if (size == 3 || (size > 0 && !s41)) return false;
        const char *umax = size == 0 ? "\x0f\xde" : size == 1 ? "\x0f\x38\x3e" : "\x0f\x38\x3f";
        const char *peq = (char[]){0x0f, eq[size]};
        xmov(c, 2, m);
        sse(c, umax, 2, d); /* xmm2 = umax(n, m) */
        if (op == 0x27) {
            sse(c, peq, d, 2);
            return true;
        }
        sse(c, peq, 2, m); /* m >= n */
        ones(c, d);
        sse(c, "\x0f\xef", d, 2);
        return true;
    }
    case 0x11: /* CMTST: (n & m) != 0 */
        if (size == 3 && !s41) return false;
        sse(c, "\x0f\xdb", d, m);
        xzero(c, 2);
        if (size == 3)
            sse(c, "\x0f\x38\x29", d, 2);
        else
            sse(c, (char[]){0x0f, eq[size]}, d, 2);
        ones(c, 2);
        sse(c, "\x0f\xef", d, 2);
        return true;
    case 0x0c:
    case 0x14: /* SMAX(P) */
    case 0x2c:
    case 0x34: /* UMAX(P) */
    case 0x0d:
    case 0x15: /* SMIN(P) */
    case 0x2d:
    case 0x35: { /* UMIN(P) */
        /* [signed, unsigned] x [max, min] x size 0..2; 0 = SSE4.1 form */
        static const char *const mm[2][2][3] = {{{"\x0f\x38\x3c", "\x0f\xee", "\x0f\x38\x3d"},
                                                 {"\x0f\x38\x38", "\x0f\xea", "\x0f\x38\x39"}},
                                                {{"\x0f\xde", "\x0f\x38\x3e", "\x0f\x38\x3f"},
                                                 {"\x0f\xda", "\x0f\x38\x3a", "\x0f\x38\x3b"}}};
        if (size == 3) return false;
        const char *o = mm[op >= 0x20][(op & 7) == 5][size];
        if (o[1] == 0x38 && !s41) return false;
        sse(c, o, d, m);
        return true;
    }
    case 0x13: /* MUL */
        if (size == 1)
            sse(c, "\x0f\xd5", d, m);
        else if (size == 2 && s41)
            sse(c, "\x0f\x38\x40", d, m);
        else
            return false;
        return true;
    default: return false;
    }
    sse(c, o2, d, m);
    return true;
}

static bool is_pairwise(unsigned op) {
    return op == 0x14 || op == 0x34 || op == 0x15 || op == 0x35 || op == 0x17;
}

/* Lane i of a pairwise op pairs lanes 2i, 2i+1 of the concatenation
 * Rm:Rn. Sets d = the even lanes, returns the register with the odd ones
 * (the ops are commutative, so which is which does not matter). d holds
 * n, m is only read. */
static int pairwise_split(struct jit_ctx *c, unsigned size, bool q, bool same, int d, int m) {
    if (!q) {
        sse(c, "\x0f\x6c", d, m); /* n.lo : m.lo */
        even_odd_shuffle(c, d, size);
        xmov(c, 1, d);
        sse_i(c, "\x0f\x73", 3, 1, 8); /* psrldq 8: the odds */
        return 1;
    }
    even_odd_shuffle(c, d, size); /* evens | odds of n */
    if (same) {
        /* Rn = Rm: the result is op(evens, odds) in both halves. */
        sse_i(c, "\x0f\x70", 1, d, 0x4e); /* pshufd: odds | evens */
        return 1;
    }
    xmov(c, 1, m);
    even_odd_shuffle(c, 1, size);
    xmov(c, 2, d);
    sse(c, "\x0f\x6c", d, 1); /* evens of n : evens of m */
    sse(c, "\x0f\x6d", 2, 1); /* odds */
    return 2;
}

/* AND BIC ORR ORN EOR (op = U:size 0..4): d = op(d = n, m). */
static void vlogic(struct jit_ctx *c, unsigned op, int d, int m) {
    switch (op) {
    case 0: sse(c, "\x0f\xdb", d, m); break; /* pand */
    case 1:                                  /* n & ~m */
        xmov(c, 2, m);
        sse(c, "\x0f\xdf", 2, d); /* pandn */
        xmov(c, d, 2);
        break;
    case 2: sse(c, "\x0f\xeb", d, m); break; /* por */
    case 3:                                  /* n | ~m */
        ones(c, 2);
        sse(c, "\x0f\xef", 2, m);
        sse(c, "\x0f\xeb", d, 2);
        break;
    default: sse(c, "\x0f\xef", d, m); break; /* pxor */
    }
}

/* BSL BIT BIF (op = U:size 5..7): d = select(d = old rd, n, m); n and m
 * are only read. */
static void vselect(struct jit_ctx *c, unsigned op, int d, int n, int m) {
    switch (op) {
    case 5: /* BSL: m ^ ((m ^ n) & d) */
        xmov(c, 2, n);
        sse(c, "\x0f\xef", 2, m);
        sse(c, "\x0f\xdb", d, 2);
        sse(c, "\x0f\xef", d, m);
        break;
    case 6: /* BIT: d ^ ((d ^ n) & m) */
        xmov(c, 2, n);
        sse(c, "\x0f\xef", 2, d);
        sse(c, "\x0f\xdb", 2, m);
        sse(c, "\x0f\xef", d, 2);
        break;
    default: /* BIF: d ^ ((d ^ n) & ~m) */
        xmov(c, 2, n);
        sse(c, "\x0f\xef", 2, d);
        xmov(c, 3, m);
        sse(c, "\x0f\xdf", 3, 2); /* ~m & (d ^ n) */
        sse(c, "\x0f\xef", d, 3);
        break;
    }
}

bool lower_vint3(struct jit_ctx *c, const struct ir_insn *i) {
    uint32_t insn = VOP_INSN(i->imm);
    unsigned op = BIT32(insn, 29) << 5 | ((insn >> 11) & 31), size = (insn >> 22) & 3;
    bool q = BIT32(insn, 30);
    unsigned rd = insn & 31, rn = (insn >> 5) & 31, rm = (insn >> 16) & 31;
    if (BIT32(insn, 28) || !(c->features & JIT_F_SSSE3)) return false; /* scalar forms */
    bool logic = op == 0x03 || op == 0x23;
    unsigned lop = BIT32(insn, 29) << 2 | size;
    if (logic && lop >= 5) {
        /* vselect reads n before it writes d (n may be rd's register),
         * m also after. */
        int d = vres(c, rd, (int)rm), n = vsrc(c, 3, rn), m = vsrc(c, 1, rm);
        vin(c, d, rd);
        vselect(c, lop, d, n, m);
        vdone(c, rd, d, q);
        return true;
    }
    if (!is_pairwise(op) && !logic && op != 0x10 && op != 0x30 && op != 0x31 && op != 0x06 &&
        op != 0x07 && op != 0x27 && op != 0x26 && op != 0x11 && op != 0x0c && op != 0x2c &&
        op != 0x0d && op != 0x2d && op != 0x13)
        return false;
    uint32_t start = x86_off(c->buf), nfix = c->nvfix;
    /* Every op below reads m no later than its first write of d, so
     * rd = rm is in place too when rn = rm (d then holds both). */
    int d = vres(c, rd, rn == rm ? -1 : (int)rm);
    vin(c, d, rn);
    int m = vsrc(c, 1, rm);
    if (logic) {
        vlogic(c, lop, d, m);
        vdone(c, rd, d, q);
        return true;
    }
    if (is_pairwise(op)) m = pairwise_split(c, size, q, rn == rm, d, m);
    if (!vint_op(c, op, size, d, m)) {
        c->buf->p = c->buf->base + start; /* drop the loads */
        c->nvfix = nfix;
        return false;
    }
    vdone(c, rd, d, q);
    return true;
}

/* ---- two-register misc: compares against zero, NOT, NEG, ABS ---- */

bool lower_vmisc(struct jit_ctx *c, const struct ir_insn *i) {
    static const char eq[4] = {0x74, 0x75, 0x76, 0}, gt[4] = {0x64, 0x65, 0x66, 0};
    static const char sub[4] = {(char)0xf8, (char)0xf9, (char)0xfa, (char)0xfb};
    uint32_t insn = VOP_INSN(i->imm);
    unsigned op = BIT32(insn, 29) << 5 | ((insn >> 12) & 31), size = (insn >> 22) & 3;
    unsigned rd = insn & 31, rn = (insn >> 5) & 31;
    bool q = BIT32(insn, 30);
    if (BIT32(insn, 28)) return false; /* scalar forms */
    const char *peq = size == 3 ? "\x0f\x38\x29" : (char[]){0x0f, eq[size]};
    const char *pgt = size == 3 ? "\x0f\x38\x37" : (char[]){0x0f, gt[size]};
    if (size == 3 && !(c->features & JIT_F_SSE42)) return false;
    switch (op) {
    case 0x08: /* CMGT #0: n > 0 */
    case 0x28: /* CMGE #0: NOT (0 > n) */
    case 0x09: /* CMEQ #0 */
    case 0x29: /* CMLE #0: NOT (n > 0) */
    case 0x0a: /* CMLT #0: 0 > n */
    case 0x2b: /* NEG */
    case 0x25: /* NOT (size 0; size 1 is RBIT) */
        if (op == 0x25 && size != 0) return false;
        break;
    case 0x0b: /* ABS */
        if (size == 3 || !(c->features & JIT_F_SSSE3)) return false;
        break;
    default: return false;
    }
    int d = vres(c, rd, -1);
    if (op == 0x0a || op == 0x28 || op == 0x2b) {
        /* d = f(0, n): n is read after d is zeroed. */
        int n = vsrc(c, 1, rn);
        if (n == d) d = 0;
        xzero(c, d);
        sse(c, op == 0x2b ? (char[]){0x0f, sub[size]} : pgt, d, n);
        if (op == 0x28) {
            ones(c, 1);
            sse(c, "\x0f\xef", d, 1);
        }
        vdone(c, rd, d, q);
        return true;
    }
    vin(c, d, rn);
    switch (op) {
    case 0x08:
    case 0x29:
        xzero(c, 1);
        sse(c, pgt, d, 1);
        if (op == 0x29) {
            ones(c, 1);
            sse(c, "\x0f\xef", d, 1);
        }
        break;
    case 0x09:
        xzero(c, 1);
        sse(c, peq, d, 1);
        break;
    case 0x25:
        ones(c, 1);
        sse(c, "\x0f\xef", d, 1);
        break;
    default: sse(c, (char[]){0x0f, 0x38, (char)(0x1c + size)}, d, d); break; /* pabs */
    }
    vdone(c, rd, d, q);
    return true;
}
