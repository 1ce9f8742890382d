/* IR_VOP: A64 FP/SIMD instructions lowered to SSE/FMA3 on cpu->v.
 *
 * An IR_VOP means exactly "d = fn(cpu, insn, a)" (dbt/simd/vop.h); the
 * helper is the bit-exact reference. The inline forms compute with the
 * host's IEEE arithmetic and take the exact helper instead (an
 * out-of-line stub, see struct jit_slow) whenever x86 and Arm could
 * differ:
 *  - FPCR.FZ or a rounding mode other than RN: the host always runs with
 *    MXCSR = RN, no FTZ/DAZ, all exceptions masked (test on cpu->fpcr);
 *  - a NaN result (Arm NaN propagation and default NaN differ from x86),
 *    a NaN operand of FMIN/FMAX/FCMP-like ops before x86 could flag it;
 *  - a result r with 0 < |r| <= the smallest normal: Arm detects
 *    tininess before rounding, x86 after, so UFC could differ (vector
 *    results: only |r| equal to the smallest normal, see check_vector).
 * Outside those cases the value is identical and the host exception flags
 * are exactly Arm's (IE/ZE/OE/UE/PE = IOC/DZC/OFC/UFC/IXC); they are left
 * to accumulate in MXCSR and folded into cpu->fpsr when generated code
 * returns, at MRS/MSR FPSR and on a guest fault (jit_fpsr_sync). On the
 * slow path the flags x86 raised are a subset of what Arm raises for the
 * same op, which the helper adds, so nothing spurious accumulates.
 * Inputs are read and the result written only after the checks pass, so
 * the helper sees the original operands. The helper touches only
 * cpu->v/nzcv/fpcr/fpsr: no guest register write-back is needed. */
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "dbt/jit/jit_internal.h"
#include "dbt/simd/vop.h"

#define BIT32(x, n)    (((x) >> (n)) & 1u)
#define FPCR_FAST_MASK (FPCR_FZ | 3u << FPCR_RMODE_SHIFT)

static const int8_t volatile_pool[] = {RSI, RDI, R8, R9, R10, R11};

/* ---- SSE shorthands (xmm0..xmm5 are scratch within one op) ---- */

static void sse(struct jit_ctx *c, uint8_t pfx, const char *op, int reg, int rm) {
    x86_sse_rr(c->buf, pfx, false, op, op[1] == 0x38 || op[1] == 0x3a ? 3 : 2, reg, rm);
}
static void sse_i(struct jit_ctx *c, uint8_t pfx, const char *op, int reg, int rm, uint8_t imm) {
    x86_sse_rri(c->buf, pfx, op, op[1] == 0x38 || op[1] == 0x3a ? 3 : 2, reg, rm, imm);
}
/* Loads the low `bits` (32, 64 or 128) of v[r] into xmm, zeroing the rest. */
static void vload(struct jit_ctx *c, int xmm, unsigned r, unsigned bits) {
    vr_read(c, xmm, r, bits);
}
static void vstore(struct jit_ctx *c, unsigned r, int xmm) {
    vr_store(c, r, xmm);
}
static void xzero(struct jit_ctx *c, int x) {
    sse(c, 0, "\x0f\x57", x, x); /* xorps */
}
static void xmov(struct jit_ctx *c, int d, int s) {
    sse(c, 0, "\x0f\x28", d, s); /* movaps */
}
static void ones(struct jit_ctx *c, int x) {
    sse(c, 0x66, "\x0f\x76", x, x); /* pcmpeqd */
}
/* Shift each lane of xmm x by n: lane 32 or 64 bits, left or right. */
static void pshift(struct jit_ctx *c, int x, unsigned lane, bool left, uint8_t n) {
    sse_i(c, 0x66, lane == 64 ? "\x0f\x73" : "\x0f\x72", left ? 6 : 2, x, n);
}

/* ---- slow-path stubs ---- */

static struct jit_slow *slow_new(struct jit_ctx *c, const struct ir_insn *i, int a_reg,
                                 uint64_t a_imm, int d_reg) {
    /* Room for one more: fpcr_gate may add a run stub while the caller
     * holds s. */
    if (c->nslow + 2 > c->cap_slow) {
        c->cap_slow = c->cap_slow ? 2 * c->cap_slow : 16;
        c->slow = realloc(c->slow, c->cap_slow * sizeof *c->slow);
        SHOAL_ASSERT(c->slow);
    }
    struct jit_slow *s = &c->slow[c->nslow++];
    *s = (struct jit_slow){.insn = VOP_INSN(i->imm),
                           .fn = i->fn,
                           .a_reg = (int8_t)a_reg,
                           .a_imm = a_imm,
                           .d_reg = (int8_t)d_reg,
                           .save = vop_live_volatile(c, d_reg)};
    vr_snapshot(c, s->pre, true);
    return s;
}

/* The fast path rejoins here: the stub must leave the V cache as the
 * main path has it at this point. */
static void slow_resume(struct jit_ctx *c, struct jit_slow *s) {
    s->resume = x86_off(c->buf);
    vr_snapshot(c, s->post, false);
}

static void slow_jcc(struct jit_ctx *c, struct jit_slow *s, enum x86_cc cc) {
    SHOAL_ASSERT(s->njcc < 3);
    s->jcc[s->njcc++] = x86_jcc32(c->buf, cc);
}

/* The FPCR gate: anything but RN with FZ = 0 goes to the helper.
 * Scalar ops that only read and write V registers (join) share one gate
 * when nothing was emitted between them (FPCR changes only through a
 * helper or an STCPU, which emit code, and no branch targets the gap):
 * the run's stub calls every op's helper in order, so the later ops run
 * under a failed gate exactly as with their own (switch
 * SHOAL_JIT_DISABLE=gaterun). */
static void fpcr_gate(struct jit_ctx *c, struct jit_slow *s, bool join) {
    uint32_t si = (uint32_t)(s - c->slow);
    if (c->fpcr_hoisted) return; /* the pinned loop's entry tested it (loop.c) */
    if (join && c->gate_run && x86_off(c->buf) == c->gate_end) {
        c->slow[c->gate_run - 1].run_last = si;
        return;
    }
    c->gate_run = 0;
    lower_fpcr_test(c);
    if (!join || !c->gaterun) {
        slow_jcc(c, s, CC_NE);
        return;
    }
    struct jit_slow *r = &c->slow[c->nslow++]; /* slow_new left room */
    *r = (struct jit_slow){.run = true, .run_first = si, .run_last = si};
    memcpy(r->pre, s->pre, sizeof r->pre);
    slow_jcc(c, r, CC_NE);
    c->gate_run = c->nslow;
}

void lower_fpcr_test(struct jit_ctx *c) {
    x86_test_mi(c->buf, x86_mem(REG_CPU, (int32_t)CPU_OFF(fpcr)), (int32_t)FPCR_FAST_MASK);
}

/* After a joining op's slow_resume: the next op may share its gate. */
static void gate_close(struct jit_ctx *c) {
    c->gate_end = x86_off(c->buf);
}

uint16_t vop_live_volatile(const struct jit_ctx *c, int except) {
    uint16_t m = 0;
    for (unsigned k = 0; k < sizeof volatile_pool; k++) {
        int r = volatile_pool[k];
        if (r != except && c->own[r].kind != OWN_FREE) m |= (uint16_t)(1u << r);
    }
    return m;
}

/* d = fn(cpu, insn, a, 0, 0) keeping every register in `save` intact
 * (the helper reads no guest register, so nothing is written back). */
void emit_preserved_call(struct x86_buf *b, uint16_t save, ir_helper_fn fn, uint32_t insn,
                         int a_reg, uint64_t a_imm, int d_reg) {
    int n = 0;
    for (unsigned k = 0; k < sizeof volatile_pool; k++)
        if (save & (1u << volatile_pool[k])) {
            x86_push(b, volatile_pool[k]);
            n++;
        }
    if (n & 1) x86_alu_ri(b, ALU_SUB, true, RSP, 8);
    if (a_reg >= 0)
        x86_mov_rr(b, true, RDX, a_reg);
    else
        x86_mov_ri(b, RDX, a_imm);
    x86_mov_ri(b, RSI, insn);
    x86_alu_rr(b, ALU_XOR, false, RCX, RCX);
    x86_alu_rr(b, ALU_XOR, false, R8, R8);
    x86_mov_rr(b, true, RDI, REG_CPU);
    x86_mov_ri(b, RAX, (uint64_t)(uintptr_t)fn);
    x86_call_r(b, RAX);
    if (n & 1) x86_alu_ri(b, ALU_ADD, true, RSP, 8);
    for (int k = (int)sizeof volatile_pool - 1; k >= 0; k--)
        if (save & (1u << volatile_pool[k])) x86_pop(b, volatile_pool[k]);
    if (d_reg >= 0) x86_mov_rr(b, true, d_reg, RAX);
}

void lower_slow(struct jit_ctx *c) {
    struct x86_buf *b = c->buf;
    for (uint32_t k = 0; k < c->nslow; k++) {
        const struct jit_slow *s = &c->slow[k];
        for (unsigned j = 0; j < s->njcc; j++)
            x86_patch_rel32(b, s->jcc[j], x86_off(b));
        vr_emit_stores(b, s->pre);
        if (s->run) {
            /* Registers live at any op of the run (a superset is safe). */
            uint16_t save = 0;
            for (uint32_t m = s->run_first; m <= s->run_last; m++)
                if (!c->slow[m].run) save |= c->slow[m].save;
            for (uint32_t m = s->run_first; m <= s->run_last; m++)
                if (!c->slow[m].run)
                    emit_preserved_call(b, save, c->slow[m].fn, c->slow[m].insn, -1, 0, -1);
            s = &c->slow[s->run_last];
        } else {
            emit_preserved_call(b, s->save, s->fn, s->insn, s->a_reg, s->a_imm, s->d_reg);
        }
        vr_emit_loads(b, s->post);
        uint32_t f = x86_jmp32(b);
        x86_patch_rel32(b, f, s->resume);
    }
}

/* ---- result checks ---- */

/* Scalar result in xmm0 (esize 32/64): slow if NaN or 0 < |r| <= min
 * normal. With r2 = |r| << 1, adding K maps the NaNs to [0, 2^(e-10))
 * and the tiny values to [2^(e-10), 2^(e-9)) (e = esize), zero aside. */
static void check_scalar(struct jit_ctx *c, struct jit_slow *s, unsigned esize) {
    struct x86_buf *b = c->buf;
    bool w = esize == 64;
    x86_sse_rr(b, 0x66, w, "\x0f\x7e", 2, 0, RAX); /* movq/movd rax, xmm0 */
    x86_alu_rr(b, ALU_ADD, w, RAX, RAX);
    uint32_t zero = x86_jcc8(b, CC_E);
    if (w) {
        if (c->kpool) {
            vc_add64(c, RAX, 0x001ffffffffffffeull); /* switch kpool */
        } else {
            x86_mov_ri(b, RDX, 0x001ffffffffffffeull);
            x86_alu_rr(b, ALU_ADD, true, RAX, RDX);
        }
        x86_shift_ri(b, SH_SHR, true, RAX, 54);
    } else {
        x86_alu_ri(b, ALU_ADD, false, RAX, 0x00fffffe);
        x86_shift_ri(b, SH_SHR, false, RAX, 25);
    }
    slow_jcc(c, s, CC_E);
    x86_patch_rel8(b, zero, x86_off(b));
}

/* Scalar result in xmm0 that can be NaN but never tiny unless exact: a
 * sum or difference (operands are multiples of the least subnormal, so a
 * sum below the least normal is exact: no underflow on Arm or x86), a
 * square root (of a subnormal is normal), a widening FCVT. ucomis raises
 * no flag on a QNaN, and an arithmetic result is never an SNaN (switch
 * SHOAL_JIT_DISABLE=nanonly). */
static void check_nan(struct jit_ctx *c, struct jit_slow *s, unsigned esize) {
    if (!c->nanonly) {
        check_scalar(c, s, esize);
        return;
    }
    sse(c, esize == 64 ? 0x66 : 0, "\x0f\x2e", 0, 0); /* ucomis xmm0, xmm0: PF = NaN */
    slow_jcc(c, s, CC_P);
}

/* Vector result in xmm0 (lanes of esize; unused lanes hold 0): slow if
 * a lane is NaN or |r| is the smallest normal. The tiny results between
 * need no slow path: x86 detects tininess after rounding and Arm before,
 * and (RN, FZ = 0) the two differ only for an exact result just below
 * the smallest normal that rounds up to it (a subnormal result is tiny
 * on both, with the same value and flags). cmpunord is a quiet compare
 * (no IE on the QNaN an x86 op returns); the magnitude test is an
 * integer compare of r << 1 (switch SHOAL_JIT_DISABLE=vtiny: the older
 * range test, any 0 < |r| <= smallest normal). */
static void check_vector(struct jit_ctx *c, struct jit_slow *s, unsigned esize) {
    bool d = esize == 64;
    const char *eq = d ? "\x0f\x38\x29" : "\x0f\x76"; /* pcmpeqq (SSE4.1) / pcmpeqd */
    if (!c->vtiny) {
        uint64_t k = d ? 0x001ffffffffffffeull : 0x00fffffe00fffffeull;
        xmov(c, 1, 0);
        pshift(c, 1, esize, true, 1); /* r2 */
        xzero(c, 2);
        sse(c, 0x66, eq, 2, 1);                               /* xmm2 = zero lanes */
        vc_op(c, 0x66, d ? "\x0f\xd4" : "\x0f\xfe", 1, k, k); /* padd K */
        pshift(c, 1, esize, false, d ? 54 : 25);
        xzero(c, 3);
        sse(c, 0x66, eq, 1, 3);             /* xmm1 = NaN or tiny or zero */
        sse(c, 0x66, "\x0f\x38\x17", 2, 1); /* ptest: CF = !(~zero & xmm1) */
        slow_jcc(c, s, CC_AE);
        return;
    }
    uint64_t k = d ? 0x0020000000000000ull : 0x0100000001000000ull; /* smallest normal << 1 */
    xmov(c, 1, 0);
    sse_i(c, d ? 0x66 : 0, "\x0f\xc2", 1, 0, 3); /* cmpunordps/pd: NaN lanes */
    xmov(c, 2, 0);
    pshift(c, 2, esize, true, 1);
    vc_op(c, 0x66, eq, 2, k, k);        /* lanes at the smallest normal */
    sse(c, 0x66, "\x0f\xeb", 1, 2);     /* por */
    sse(c, 0x66, "\x0f\x38\x17", 1, 1); /* ptest: ZF = no such lane */
    slow_jcc(c, s, CC_NE);
}

/* ---- scalar FP ---- */

static uint8_t sfx(unsigned esize) {
    return esize == 64 ? 0xf2 : 0xf3; /* sd / ss */
}

/* A scalar operand v[r] in an xmm register: its cache register itself (a
 * scalar SSE/FMA op reads only the low element, so the upper half need
 * not be cleared; switch SHOAL_JIT_DISABLE=sdirect), else loaded into
 * scratch. */
static int sreg(struct jit_ctx *c, unsigned r, int scratch, unsigned esize) {
    int x = c->vx[r];
    if (c->sdirect && x >= 0) {
        c->xuse[x] = ++c->vclock;
        return x;
    }
    vload(c, scratch, r, esize);
    return scratch;
}

/* The same for the source of a legacy SSE op: -1 when v[r] is not cached
 * (sop then reads its low element from cpu->v). */
static int ssrc(struct jit_ctx *c, unsigned r, int scratch, unsigned esize) {
    if (c->sdirect && c->vx[r] < 0) return -1;
    return sreg(c, r, scratch, esize);
}

/* op reg, src (ssrc's register, or v[r] in memory for -1). */
static void sop(struct jit_ctx *c, uint8_t pfx, const char *op, int reg, int src, unsigned r) {
    if (src >= 0)
        sse(c, pfx, op, reg, src);
    else
        x86_sse_rm(c->buf, pfx, false, op, op[1] == 0x38 || op[1] == 0x3a ? 3 : 2, reg,
                   x86_mem(REG_CPU, (int32_t)CPU_VOFF(r)));
}

static bool fp2(struct jit_ctx *c, const struct ir_insn *i) {
    uint32_t insn = VOP_INSN(i->imm);
    unsigned esize = BIT32(insn, 22) ? 64 : 32, opc = (insn >> 12) & 15;
    static const char ops[9] = {0x59, 0x5e, 0x58, 0x5c, 0x5f, 0x5d, 0x5f, 0x5d, 0x59};
    if (opc > 8) return false;
    struct jit_slow *s = slow_new(c, i, -1, 0, -1);
    fpcr_gate(c, s, true);
    unsigned rm = (insn >> 16) & 31;
    vload(c, 0, (insn >> 5) & 31, esize);
    int m = ssrc(c, rm, 1, esize);
    if (opc >= 4 && opc <= 7) {
        /* FMAX/FMIN(NM): x86 differs on NaNs (and flags QNaNs) and on
         * equal operands (+0/-0): those go to the helper first. */
        sop(c, esize == 64 ? 0x66 : 0, "\x0f\x2e", 0, m, rm); /* ucomis */
        slow_jcc(c, s, CC_P);
        slow_jcc(c, s, CC_E);
    }
    char op[2] = {0x0f, ops[opc]};
    sop(c, sfx(esize), op, 0, m, rm);
    if (opc == 2 || opc == 3)
        check_nan(c, s, esize); /* FADD, FSUB */
    else if (opc < 4 || opc == 8)
        check_scalar(c, s, esize);
    if (opc == 8) { /* FNMUL: FPNeg of the product */
        ones(c, 1);
        pshift(c, 1, esize, true, (uint8_t)(esize - 1));
        sse_i(c, 0x66, "\x0f\x73", 3, 1, (uint8_t)(16 - esize / 8)); /* psrldq: lane 0 only */
        sse(c, 0, "\x0f\x57", 0, 1);
    }
    vstore(c, insn & 31, 0);
    slow_resume(c, s);
    gate_close(c);
    return true;
}

static bool fp1(struct jit_ctx *c, const struct ir_insn *i) {
    uint32_t insn = VOP_INSN(i->imm);
    unsigned esize = BIT32(insn, 22) ? 64 : 32, opc = (insn >> 15) & 63;
    if (BIT32(insn, 23)) return false; /* half precision */
    unsigned to = opc == 4 ? 32 : opc == 5 ? 64 : 0;
    if (opc != 3 && !(to && to != esize)) return false;
    struct jit_slow *s = slow_new(c, i, -1, 0, -1);
    fpcr_gate(c, s, true);
    unsigned rn = (insn >> 5) & 31;
    int n = ssrc(c, rn, 1, esize);
    xzero(c, 0);
    if (opc == 3) {
        sop(c, sfx(esize), "\x0f\x51", 0, n, rn); /* sqrt */
        check_nan(c, s, esize);
    } else {
        sop(c, sfx(esize), "\x0f\x5a", 0, n, rn); /* cvtss2sd / cvtsd2ss */
        if (to == 64)
            check_nan(c, s, to);
        else
            check_scalar(c, s, to);
    }
    vstore(c, insn & 31, 0);
    slow_resume(c, s);
    gate_close(c);
    return true;
}

/* FRINT*: roundss/sd (SSE4.1) with the precision exception suppressed
 * except for FRINTX; FRINTA (ties away) is trunc(x) +- 1 when the exact
 * remainder is at least one half, for |x| < 2^(mantissa bits) (larger
 * values and infinities are integral already; the subtraction would
 * raise IE on an infinity). */
static bool frint(struct jit_ctx *c, const struct ir_insn *i) {
    struct x86_buf *b = c->buf;
    uint32_t insn = VOP_INSN(i->imm);
    unsigned esize = BIT32(insn, 22) ? 64 : 32, k = (insn >> 15) & 7;
    static const uint8_t imm[8] = {0 | 8, 2 | 8, 1 | 8, 3 | 8, 3 | 8, 0, 4, 4 | 8};
    bool w = esize == 64;
    if (BIT32(insn, 23) || k == 5 || !(c->features & JIT_F_SSE41)) return false;
    struct jit_slow *s = slow_new(c, i, -1, 0, -1);
    fpcr_gate(c, s, false);
    vload(c, 1, (insn >> 5) & 31, esize);
    xzero(c, 0);
    sse_i(c, 0x66, w ? "\x0f\x3a\x0b" : "\x0f\x3a\x0a", 0, 1, imm[k]);
    check_scalar(c, s, esize);
    if (k == 4) {
        x86_sse_rr(b, 0x66, w, "\x0f\x7e", 2, 1, RAX); /* movq rax, xmm1 */
        x86_shift_ri(b, SH_SHR, w, RAX, w ? 52 : 23);
        x86_alu_ri(b, ALU_AND, false, RAX, w ? 0x7ff : 0xff);
        x86_alu_ri(b, ALU_CMP, false, RAX, w ? 1023 + 52 : 127 + 23);
        uint32_t big = x86_jcc8(b, CC_AE);
        sse(c, sfx(esize), "\x0f\x5c", 1, 0); /* xmm1 = x - trunc(x), exact */
        x86_mov_ri(b, RAX, w ? 0x3fe0000000000000ull : 0x3f000000u);
        x86_sse_rr(b, 0x66, true, "\x0f\x6e", 2, 2, RAX); /* 0.5 */
        x86_mov_ri(b, RAX, w ? 0x3ff0000000000000ull : 0x3f800000u);
        x86_sse_rr(b, 0x66, true, "\x0f\x6e", 2, 3, RAX); /* 1.0 */
        sse(c, w ? 0x66 : 0, "\x0f\x2e", 1, 2);           /* ucomis r, 0.5 */
        uint32_t lo = x86_jcc8(b, CC_B);
        sse(c, sfx(esize), "\x0f\x58", 0, 3); /* + 1 */
        uint32_t done = x86_jmp8(b);
        x86_patch_rel8(b, lo, x86_off(b));
        x86_mov_ri(b, RAX, w ? 0xbfe0000000000000ull : 0xbf000000u);
        x86_sse_rr(b, 0x66, true, "\x0f\x6e", 2, 2, RAX);
        sse(c, w ? 0x66 : 0, "\x0f\x2e", 2, 1); /* ucomis -0.5, r */
        uint32_t skip = x86_jcc8(b, CC_B);
        sse(c, sfx(esize), "\x0f\x5c", 0, 3); /* - 1 */
        x86_patch_rel8(b, skip, x86_off(b));
        x86_patch_rel8(b, done, x86_off(b));
        x86_patch_rel8(b, big, x86_off(b));
    }
    vstore(c, insn & 31, 0);
    slow_resume(c, s);
    return true;
}

/* FMADD a + n*m, FMSUB a - n*m, FNMADD -a - n*m, FNMSUB -a + n*m: the
 * VEX 231 forms (acc = +-(n*m) +- acc) with the negations Arm applies to
 * the operands; one rounding, like Arm. */
static bool fp3(struct jit_ctx *c, const struct ir_insn *i) {
    uint32_t insn = VOP_INSN(i->imm);
    if (!(c->features & JIT_F_FMA)) return false;
    unsigned esize = BIT32(insn, 22) ? 64 : 32;
    bool o1 = BIT32(insn, 21), o0 = BIT32(insn, 15);
    static const uint8_t op231[4] = {0xb9, 0xbd, 0xbf, 0xbb}; /* fmadd fnmadd fnmsub fmsub */
    struct jit_slow *s = slow_new(c, i, -1, 0, -1);
    fpcr_gate(c, s, true);
    vload(c, 0, (insn >> 10) & 31, esize);
    int n = sreg(c, (insn >> 5) & 31, 1, esize), m = sreg(c, (insn >> 16) & 31, 2, esize);
    x86_vex_rrr(c->buf, 2, 1, esize == 64, op231[o1 << 1 | o0], 0, n, m);
    check_scalar(c, s, esize);
    vstore(c, insn & 31, 0);
    slow_resume(c, s);
    gate_close(c);
    return true;
}

/* FCMP/FCMPE: ucomis raises IE only for SNaNs (FCMP), comis for any NaN
 * (FCMPE), like Arm's IOC. ZF PF CF -> NZCV: equal 0110, less 1000,
 * greater 0010, unordered 0011. */
static bool fcmp(struct jit_ctx *c, const struct ir_insn *i) {
    struct x86_buf *b = c->buf;
    uint32_t insn = VOP_INSN(i->imm);
    unsigned esize = BIT32(insn, 22) ? 64 : 32;
    struct jit_slow *s = slow_new(c, i, -1, 0, -1);
    fpcr_gate(c, s, false);
    unsigned rm = (insn >> 16) & 31;
    int n = sreg(c, (insn >> 5) & 31, 0, esize), m = 1;
    if (BIT32(insn, 3))
        xzero(c, 1);
    else
        m = ssrc(c, rm, 1, esize);
    sop(c, esize == 64 ? 0x66 : 0, BIT32(insn, 4) ? "\x0f\x2f" : "\x0f\x2e", n, m, rm);
    x86_mov_ri(b, RAX, 0x60000000);
    x86_mov_ri(b, RCX, 0x80000000);
    x86_cmov(b, CC_B, false, RAX, RCX);
    x86_mov_ri(b, RCX, 0x20000000);
    x86_cmov(b, CC_A, false, RAX, RCX);
    x86_mov_ri(b, RCX, 0x30000000);
    x86_cmov(b, CC_P, false, RAX, RCX);
    x86_store(b, 32, x86_mem(REG_CPU, (int32_t)CPU_OFF(nzcv)), RAX);
    slow_resume(c, s);
    return true;
}

/* FCVTZS/FCVTNS to a 32/64-bit register: cvtt / cvt (MXCSR is RN). x86's
 * "integer indefinite" (MIN) means NaN or overflow: the helper saturates
 * (an exact MIN input also lands there, harmlessly). FCVTAS/FCVTMS/
 * FCVTPS: f2i_round. Unsigned forms stay helpers. */
static bool f2i_round(struct jit_ctx *c, const struct ir_insn *i, int d);

static bool f2i(struct jit_ctx *c, const struct ir_insn *i, int d) {
    struct x86_buf *b = c->buf;
    uint32_t insn = VOP_INSN(i->imm);
    unsigned esize = BIT32(insn, 22) ? 64 : 32, rmode = (insn >> 19) & 3, opc = (insn >> 16) & 7;
    bool w = BIT32(insn, 31);
    if (BIT32(insn, 23)) return false; /* half precision */
    if ((opc == 0 && (rmode == 1 || rmode == 2)) || (opc == 4 && rmode == 0))
        return f2i_round(c, i, d);
    if (opc != 0 || (rmode != 0 && rmode != 3)) return false;
    struct jit_slow *s = slow_new(c, i, -1, 0, d);
    fpcr_gate(c, s, false);
    vload(c, 0, (insn >> 5) & 31, esize);
    x86_sse_rr(b, sfx(esize), w, rmode == 3 ? "\x0f\x2c" : "\x0f\x2d", 2, RAX, 0);
    x86_mov_rr(b, w, RCX, RAX);
    x86_alu_ri(b, ALU_SUB, w, RCX, 1);
    slow_jcc(c, s, CC_O);
    if (d >= 0) x86_mov_rr(b, w, d, RAX);
    slow_resume(c, s);
    return true;
}

/* FCVTMS/FCVTPS (roundsd toward -inf/+inf) and FCVTAS (trunc, then +-1
 * when the exact remainder is at least one half, as FRINTA) to a signed
 * 32/64-bit register. Only |x| < L goes inline, L a bound below which the
 * rounded value always fits (2^63; 2^31 - 1 for W from double, 2^31 for
 * W from single, whose values at or above 2^23 are integral): the helper
 * takes NaN, infinities and every overflow before anything could raise a
 * flag Arm does not (IOC alone on overflow, never IXC). Inline, roundsd
 * without the suppress bit raises PE exactly when x is not integral
 * (Arm's IXC), the rest is exact and the final cvtt converts an integer. */
static bool f2i_round(struct jit_ctx *c, const struct ir_insn *i, int d) {
    struct x86_buf *b = c->buf;
    uint32_t insn = VOP_INSN(i->imm);
    bool dbl = BIT32(insn, 22), w = BIT32(insn, 31); /* w: X destination */
    unsigned esize = dbl ? 64 : 32, rmode = (insn >> 19) & 3, opc = (insn >> 16) & 7;
    if (!(c->features & JIT_F_SSE41)) return false;
    uint8_t pfx = dbl ? 0x66 : 0;
    uint64_t absmask = dbl ? 0x7fffffffffffffffull : 0x7fffffffu;
    uint64_t limit = !w ? (dbl ? 0x41dfffffffc00000ull /* 2^31 - 1 */ : 0x4f000000u /* 2^31 */)
                        : (dbl ? 0x43e0000000000000ull /* 2^63 */ : 0x5f000000u);
    uint64_t half = dbl ? 0x3fe0000000000000ull : 0x3f000000u;
    uint64_t one = dbl ? 0x3ff0000000000000ull : 0x3f800000u;
    struct jit_slow *s = slow_new(c, i, -1, 0, d);
    fpcr_gate(c, s, false);
    vload(c, 0, (insn >> 5) & 31, esize);
    xmov(c, 1, 0);
    vc_op(c, 0, "\x0f\x54", 1, absmask, 0); /* andps: |x| */
    vc_op(c, pfx, "\x0f\x2e", 1, limit, 0); /* ucomis |x|, L */
    slow_jcc(c, s, CC_P);
    slow_jcc(c, s, CC_AE);
    static const uint8_t imm[3] = {3, 2, 1}; /* A (trunc first), P, M; PE not suppressed */
    unsigned k = opc == 4 ? 0 : rmode;
    sse_i(c, 0x66, dbl ? "\x0f\x3a\x0b" : "\x0f\x3a\x0a", 1, 0, imm[k]);
    if (k == 0) {
        sse(c, sfx(esize), "\x0f\x5c", 0, 1);  /* xmm0 = x - trunc(x), exact */
        vc_op(c, pfx, "\x0f\x2e", 0, half, 0); /* ucomis r, 0.5 */
        uint32_t lo = x86_jcc8(b, CC_B);
        vc_op(c, sfx(esize), "\x0f\x58", 1, one, 0); /* + 1 */
        uint32_t done = x86_jmp8(b);
        x86_patch_rel8(b, lo, x86_off(b));
        vc_op(c, 0, "\x0f\x57", 0, dbl ? 1ull << 63 : 1u << 31, 0); /* xorps: -r */
        vc_op(c, pfx, "\x0f\x2e", 0, half, 0);                      /* ucomis -r, 0.5 */
        uint32_t skip = x86_jcc8(b, CC_B);
        vc_op(c, sfx(esize), "\x0f\x5c", 1, one, 0); /* - 1 */
        x86_patch_rel8(b, skip, x86_off(b));
        x86_patch_rel8(b, done, x86_off(b));
    }
    x86_sse_rr(b, sfx(esize), true, "\x0f\x2c", 2, RAX, 1); /* cvtt, 64-bit */
    if (d >= 0) x86_mov_rr(b, w, d, RAX);
    slow_resume(c, s);
    return true;
}

/* SCVTF/UCVTF from a 32/64-bit register: cvtsi2s{s,d} rounds like Arm
 * under RN (the gate); a 64-bit unsigned value >= 2^63 takes the helper. */
static bool i2f(struct jit_ctx *c, const struct ir_insn *i, int a_reg) {
    struct x86_buf *b = c->buf;
    uint32_t insn = VOP_INSN(i->imm);
    unsigned esize = BIT32(insn, 22) ? 64 : 32;
    bool w = BIT32(insn, 31), is_unsigned = BIT32(insn, 16);
    struct jit_slow *s = slow_new(c, i, a_reg, 0, -1);
    fpcr_gate(c, s, false);
    if (!w && is_unsigned) {
        x86_mov_rr(b, false, RAX, a_reg); /* zero-extends */
        w = true;
    } else {
        x86_mov_rr(b, true, RAX, a_reg);
        if (w && is_unsigned) {
            x86_test_rr(b, true, RAX, RAX);
            slow_jcc(c, s, CC_S);
        }
    }
    xzero(c, 0);
    x86_sse_rr(b, sfx(esize), w, "\x0f\x2a", 2, 0, RAX);
    vstore(c, insn & 31, 0);
    slow_resume(c, s);
    return true;
}

/* ---- Advanced SIMD (integer three-same and misc: lower_vint.c) ---- */

/* The xmm register holding all of v[r], for an operand that is only
 * read: its cache register (no copy), else v[r] loaded into scratch. */
static int vsrc(struct jit_ctx *c, int scratch, unsigned r) {
    int x = c->vx[r];
    if (x >= 0) {
        c->xuse[x] = ++c->vclock;
        return x;
    }
    vload(c, scratch, r, 128);
    return scratch;
}

/* FADD FSUB FMUL FDIV FMLA FMLS (vector). */
static bool vfp3(struct jit_ctx *c, const struct ir_insn *i) {
    uint32_t insn = VOP_INSN(i->imm);
    unsigned key = BIT32(insn, 29) << 4 | BIT32(insn, 23) << 3 | ((insn >> 11) & 7);
    bool q = BIT32(insn, 30), dbl = BIT32(insn, 22);
    unsigned esize = dbl ? 64 : 32, rd = insn & 31, rn = (insn >> 5) & 31, rm = (insn >> 16) & 31;
    uint8_t pfx = dbl ? 0x66 : 0;
    char op = 0;
    switch (key) {
    case 0x02: op = 0x58; break;         /* FADD */
    case 0x0a: op = 0x5c; break;         /* FSUB */
    case 0x13: op = 0x59; break;         /* FMUL */
    case 0x17: op = q ? 0x5e : 0; break; /* FDIV (the zero upper lanes of a 2S would divide 0/0) */
    case 0x01:                           /* FMLA */
    case 0x09: op = 1; break;            /* FMLS */
    }
    if (!op || BIT32(insn, 28) || (op == 1 && !(c->features & JIT_F_FMA))) return false;
    if (!(c->features & JIT_F_SSE41)) return false; /* check_vector's ptest, pcmpeqq */
    struct jit_slow *s = slow_new(c, i, -1, 0, -1);
    fpcr_gate(c, s, false);
    unsigned bits = q ? 128 : 64;
    /* A 128-bit operand is read straight from its cache register; a
     * 64-bit one is copied with its upper lanes zeroed (garbage there
     * could raise host flags). */
    if (op == 1) {
        vload(c, 0, rd, bits);
        int n = q ? vsrc(c, 1, rn) : (vload(c, 1, rn, bits), 1);
        int m = q ? vsrc(c, 2, rm) : (vload(c, 2, rm, bits), 2);
        /* FMLS: d + (-n)*m = vfnmadd231 */
        x86_vex_rrr(c->buf, 2, 1, dbl, key == 0x01 ? 0xb8 : 0xbc, 0, n, m);
    } else {
        vload(c, 0, rn, bits);
        int m = q ? vsrc(c, 1, rm) : (vload(c, 1, rm, bits), 1);
        sse(c, pfx, (char[]){0x0f, op}, 0, m);
    }
    check_vector(c, s, esize);
    vstore(c, rd, 0);
    slow_resume(c, s);
    return true;
}

void lower_vop(struct jit_ctx *c, const struct ir_insn *i) {
    const struct jit_tval *av = &c->t[i->a[0]];
    int a_reg = av->is_const ? -1 : ra_reg(c, i->a[0]);
    uint64_t a_imm = av->is_const ? av->c : 0;
    int d = c->t[i->dst].last_use >= 0 ? ra_def(c, i->dst, -1) : -1;
    enum vop_kind k = VOP_KIND(i->imm);
    bool fp = c->inline_fp, simd = c->inline_simd, done = false;
    switch (k) {
    case VK_FP2: done = fp && fp2(c, i); break;
    case VK_FP1: done = fp && fp1(c, i); break;
    case VK_FP3: done = fp && fp3(c, i); break;
    case VK_FCMP:
        done = fp && fcmp(c, i);
        c->lazy_on = false; /* cpu->nzcv is exact from here (loop.c, lazy loop flags) */
        break;
    case VK_FRINT: done = fp && frint(c, i); break;
    case VK_F2I: done = fp && f2i(c, i, d); break;
    case VK_I2F: done = fp && a_reg >= 0 && i2f(c, i, a_reg); break;
    case VK_VINT3: done = simd && lower_vint3(c, i); break;
    case VK_VFP3: done = simd && fp && vfp3(c, i); break;
    case VK_VMISC: done = simd && lower_vmisc(c, i); break;
    case VK_VSHIFT: done = simd && c->vshift && lower_vshift(c, i); break;
    case VK_VDIFF: done = simd && c->vwide && lower_vdiff(c, i); break;
    case VK_VPERM: done = simd && c->vperm && lower_vperm(c, i); break;
    case VK_VIDX: done = simd && c->vidx && lower_vidx(c, i); break;
    case VK_HELPER: break;
    }
    if (!done) {
        vr_sync_all(c, true); /* the helper reads cpu->v and clobbers xmm */
        emit_preserved_call(c->buf, vop_live_volatile(c, d), i->fn, VOP_INSN(i->imm), a_reg, a_imm,
                            d);
    }
}
