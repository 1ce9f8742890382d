/* A64 family: exclusives (LDXR/STXR and pairs, with acquire/release),
 * load-acquire/store-release (LDAR/STLR, LDAPR), and the ARMv8.1 LSE
 * atomics (CAS, CASP, LDADD..SWP).
 *
 * They become IR ops that the JIT lowers to host locked instructions
 * (a64_ctx.atomics_inline, excl_inline); the exclusives of an embedder
 * that hooks the monitor, and
 * everything under SHOAL_JIT_DISABLE=atomics go through the helpers on
 * host atomics (dbt/a64/atomic_excl.c, dbt/a64/atomic_lse.c). Both give
 * the same results: the unit tests run each form both ways.
 *
 * Fields: z size, s Rs, u Rt2, o ordering bits (acquire/release). */
#include "dbt/a64/atomic.h"

#define RT(insn)  BITS(insn, 4, 0)
#define RN(insn)  BITS(insn, 9, 5)
#define RT2(insn) BITS(insn, 14, 10)
#define RS(insn)  BITS(insn, 20, 16)

static ir_temp base(struct a64_ctx *c, uint32_t insn) {
    return a64_read_xsp(c, RN(insn));
}

/* The access size in bytes (bits 31:30). */
static unsigned size_bytes(uint32_t insn) {
    return 1u << BITS(insn, 31, 30);
}

/* The base address, checked for alignment to `bytes` (SIGBUS). */
static ir_temp aligned_base(struct a64_ctx *c, uint32_t insn, unsigned bytes) {
    ir_temp a = base(c, insn);
    ir_align(c->b, a, bytes);
    return a;
}

/* LDXR, LDAXR (B/H/W/X): results are zero-extended. An x86 load is an
 * acquire already. */
static void trans_ldxr(struct a64_ctx *c, uint32_t insn) {
    ir_temp v;
    if (c->excl_inline) {
        unsigned bytes = size_bytes(insn);
        v = ir_op1(c->b, IR_LDX, 8 * bytes, aligned_base(c, insn, bytes));
    } else {
        v = a64_call_insn(c, a64_helper_ldxr, base(c, insn), IR_ZERO, IR_ZERO);
    }
    a64_write_x(c, RT(insn), v, true);
}

/* STXR, STLXR: Ws = 0 when stored, 1 when not. No alignment check: a
 * store-exclusive that misses the monitor fails without an access, and
 * a hit is aligned (its load-exclusive was). */
static void trans_stxr(struct a64_ctx *c, uint32_t insn) {
    ir_temp st;
    if (c->excl_inline)
        st = ir_op2(c->b, IR_STX, 8 * size_bytes(insn), base(c, insn), a64_read_x(c, RT(insn)));
    else
        st = a64_call_insn(c, a64_helper_stxr, base(c, insn), a64_read_x(c, RT(insn)), IR_ZERO);
    a64_write_x(c, RS(insn), st, true);
}

/* A W register pair as one doubleword, the first register at the lower
 * address. */
static ir_temp pack_w(struct a64_ctx *c, unsigned r1, unsigned r2) {
    ir_temp lo = ir_op1(c->b, IR_ZEXT, 32, a64_read_x(c, r1));
    ir_temp hi = ir_op2(c->b, IR_SHL, 64, a64_read_x(c, r2), ir_const(c->b, 32));
    return ir_op2(c->b, IR_OR, 64, lo, hi);
}

/* ... and back; r2 last: it wins when r1 == r2, as in qemu-aarch64. */
static void unpack_w(struct a64_ctx *c, unsigned r1, unsigned r2, ir_temp v) {
    a64_write_x(c, r1, v, false);
    a64_write_x(c, r2, ir_op2(c->b, IR_LSR, 64, v, ir_const(c->b, 32)), true);
}

/* LDXP, LDAXP. Two words: one single-copy-atomic doubleword. Two
 * doublewords: IR_LDX of 128 bits gives the first, the monitor the
 * second. */
static void trans_ldxp(struct a64_ctx *c, uint32_t insn) {
    if (!c->excl_inline) {
        a64_call_insn(c, a64_helper_ldxp, base(c, insn), IR_ZERO, IR_ZERO);
        return;
    }
    if (!BIT(insn, 30)) {
        unpack_w(c, RT(insn), RT2(insn), ir_op1(c->b, IR_LDX, 64, aligned_base(c, insn, 8)));
        return;
    }
    ir_temp lo = ir_op1(c->b, IR_LDX, 128, aligned_base(c, insn, 16));
    ir_temp hi = ir_ldcpu(c->b, 64, CPU_OFF(excl_val[1]));
    a64_write_x(c, RT(insn), lo, true);
    a64_write_x(c, RT2(insn), hi, true);
}

/* STXP, STLXP. */
static void trans_stxp(struct a64_ctx *c, uint32_t insn) {
    ir_temp st;
    if (!c->excl_inline)
        st = a64_call_insn(c, a64_helper_stxp, base(c, insn), a64_read_x(c, RT(insn)),
                           a64_read_x(c, RT2(insn)));
    else if (!BIT(insn, 30))
        st = ir_op2(c->b, IR_STX, 64, base(c, insn), pack_w(c, RT(insn), RT2(insn)));
    else
        st = ir_op3(c->b, IR_STX, 128, base(c, insn), a64_read_x(c, RT(insn)),
                    a64_read_x(c, RT2(insn)));
    a64_write_x(c, RS(insn), st, true);
}

/* LDAR, and LDLAR (LORegions: the same at EL0). Aligned (ARMv8.0
 * without LSE2, like qemu-aarch64 7.2). */
static void trans_ldar(struct a64_ctx *c, uint32_t insn) {
    ir_temp v;
    if (c->atomics_inline) {
        unsigned bytes = size_bytes(insn);
        v = ir_ld(c->b, 8 * bytes, aligned_base(c, insn, bytes));
        ir_fence(c->b, FENCE_LOAD);
    } else {
        v = a64_call_insn(c, a64_helper_ldar, base(c, insn), IR_ZERO, IR_ZERO);
    }
    a64_write_x(c, RT(insn), v, true);
}

/* STLR, and STLLR (LORegions: the same at EL0). The full barrier after
 * the store keeps it ordered before a later LDAR (AArch64 is RCsc; x86
 * would let the load pass the store). */
static void trans_stlr(struct a64_ctx *c, uint32_t insn) {
    if (!c->atomics_inline) {
        a64_call_insn(c, a64_helper_stlr, base(c, insn), a64_read_x(c, RT(insn)), IR_ZERO);
        return;
    }
    unsigned bytes = size_bytes(insn);
    ir_temp a = aligned_base(c, insn, bytes);
    ir_fence(c->b, FENCE_STORE);
    ir_st(c->b, 8 * bytes, a, a64_read_x(c, RT(insn)));
    ir_fence(c->b, FENCE_FULL);
}

/* LDAPR (RCpc): no alignment requirement, acquire ordering. */
static void trans_ldapr(struct a64_ctx *c, uint32_t insn) {
    ir_temp v = ir_ld(c->b, 8u << BITS(insn, 31, 30), base(c, insn));
    a64_write_x(c, RT(insn), v, true);
    ir_fence(c->b, FENCE_LOAD);
}

/* CAS, CASA, CASL, CASAL: Rs receives the old value. */
static void trans_cas(struct a64_ctx *c, uint32_t insn) {
    ir_temp old;
    if (c->atomics_inline) {
        unsigned bytes = size_bytes(insn);
        old = ir_op3(c->b, IR_CAS, 8 * bytes, aligned_base(c, insn, bytes), a64_read_x(c, RS(insn)),
                     a64_read_x(c, RT(insn)));
    } else {
        old = a64_call_insn(c, a64_helper_cas, base(c, insn), a64_read_x(c, RS(insn)),
                            a64_read_x(c, RT(insn)));
    }
    a64_write_x(c, RS(insn), old, true);
}

/* CASP and orderings: register pairs must start at an even register.
 * Two words: one doubleword CAS; two doublewords: IR_CASP, whose fifth
 * operand and second result go through cpu->pair_hi. */
static void trans_casp(struct a64_ctx *c, uint32_t insn) {
    unsigned rs = RS(insn), rt = RT(insn);
    if ((rs | rt) & 1) {
        a64_unallocated(c);
        return;
    }
    if (!c->atomics_inline) {
        a64_call_insn(c, a64_helper_casp, base(c, insn), IR_ZERO, IR_ZERO);
        return;
    }
    if (!BIT(insn, 30)) {
        ir_temp a = aligned_base(c, insn, 8);
        ir_temp old = ir_op3(c->b, IR_CAS, 64, a, pack_w(c, rs, rs + 1), pack_w(c, rt, rt + 1));
        unpack_w(c, rs, rs + 1, old);
        return;
    }
    ir_temp a = aligned_base(c, insn, 16);
    ir_temp s1 = a64_read_x(c, rs), s2 = a64_read_x(c, rs + 1), t1 = a64_read_x(c, rt);
    ir_stcpu(c->b, 64, CPU_OFF(pair_hi), a64_read_x(c, rt + 1));
    struct ir_insn *i = ir_emit(c->b, IR_CASP, 128);
    i->a[0] = a;
    i->a[1] = s1;
    i->a[2] = s2;
    i->a[3] = t1;
    ir_temp lo = i->dst = ir_new_temp(c->b);
    ir_temp hi = ir_ldcpu(c->b, 64, CPU_OFF(pair_hi));
    a64_write_x(c, rs, lo, true);
    a64_write_x(c, rs + 1, hi, true);
}

/* LDADD..LDUMIN and SWP: Rt receives the old value (XZR: the ST* aliases). */
static void trans_ldop(struct a64_ctx *c, uint32_t insn) {
    ir_temp old;
    if (c->atomics_inline) {
        unsigned bytes = size_bytes(insn);
        old = ir_atomic(c->b, (enum ir_atomic)BITS(insn, 15, 12), 8 * bytes,
                        aligned_base(c, insn, bytes), a64_read_x(c, RS(insn)));
    } else {
        old = a64_call_insn(c, a64_helper_ldop, base(c, insn), a64_read_x(c, RS(insn)), IR_ZERO);
    }
    a64_write_x(c, RT(insn), old, true);
}

const struct a64_row a64_rows_atomic[] = {
    /* Load/store exclusive class; o is the acquire/release bit. */
    {"STXR", "zz001000 000 sssss o ----- nnnnn ttttt", trans_stxr},
    {"LDXR", "zz001000 010 ----- o ----- nnnnn ttttt", trans_ldxr},
    {"STXP", "1z001000 001 sssss o uuuuu nnnnn ttttt", trans_stxp},
    {"LDXP", "1z001000 011 ----- o uuuuu nnnnn ttttt", trans_ldxp},
    {"STLR", "zz001000 100 ----- o ----- nnnnn ttttt", trans_stlr},
    {"LDAR", "zz001000 110 ----- o ----- nnnnn ttttt", trans_ldar},
    {"CAS", "zz001000 1o1 sssss o 11111 nnnnn ttttt", trans_cas},
    {"CASP", "0z001000 0o1 sssss o 11111 nnnnn ttttt", trans_casp},
    /* Atomic memory operations; oo is A:R. */
    {"LDADD", "zz111000 oo1 sssss 0000 00 nnnnn ttttt", trans_ldop},
    {"LDCLR", "zz111000 oo1 sssss 0001 00 nnnnn ttttt", trans_ldop},
    {"LDEOR", "zz111000 oo1 sssss 0010 00 nnnnn ttttt", trans_ldop},
    {"LDSET", "zz111000 oo1 sssss 0011 00 nnnnn ttttt", trans_ldop},
    {"LDSMAX", "zz111000 oo1 sssss 0100 00 nnnnn ttttt", trans_ldop},
    {"LDSMIN", "zz111000 oo1 sssss 0101 00 nnnnn ttttt", trans_ldop},
    {"LDUMAX", "zz111000 oo1 sssss 0110 00 nnnnn ttttt", trans_ldop},
    {"LDUMIN", "zz111000 oo1 sssss 0111 00 nnnnn ttttt", trans_ldop},
    {"SWP", "zz111000 oo1 sssss 1000 00 nnnnn ttttt", trans_ldop},
    {"LDAPR", "zz111000 101 11111 1100 00 nnnnn ttttt", trans_ldapr},
    {NULL, NULL, NULL},
};
