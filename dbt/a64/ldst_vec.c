/* A64 family: Advanced SIMD load/store structures. LD1-LD4/ST1-ST4
 * (multiple structures, interleaved), LD1-LD4/ST1-ST4 of one lane, and
 * LD1R-LD4R. The one-element-per-structure forms gcc's vectorizer and
 * glibc use (LD1 of 1-4 registers, ST1 of one, LD1/ST1 of one lane, LD1R) become
 * plain IR loads and stores (LDV/STV, LD + STCPU, LD + replicate), which
 * the JIT lowers inline; LD2-LD4/ST2-ST4 (interleaving) stay helpers. The
 * translator validates the encoding and does the post-index writeback.
 *
 * Fields: q Q, l L (load), p opcode, z size, r R, o S, m Rm (post-index
 * register; 31 means "by the transfer size"). */
#include <string.h>

#include "dbt/a64/a64.h"
#include "dbt/dbt.h"

/* Multiple structures: opcode (bits 15:12) to repeat count and structure
 * elements; rpt == 0 is unallocated. */
static const struct {
    uint8_t rpt, selem;
} multi_layout[16] = {
    [0x0] = {1, 4}, /* LD4/ST4 */
    [0x2] = {4, 1}, /* LD1/ST1, 4 registers */
    [0x4] = {1, 3}, /* LD3/ST3 */
    [0x6] = {3, 1}, /* LD1/ST1, 3 registers */
    [0x7] = {1, 1}, /* LD1/ST1, 1 register */
    [0x8] = {1, 2}, /* LD2/ST2 */
    [0xa] = {2, 1}, /* LD1/ST1, 2 registers */
};

/* Bytes moved by a multiple-structure encoding, 0 when unallocated. */
static unsigned multi_bytes(uint32_t insn) {
    unsigned opcode = BITS(insn, 15, 12), q = BIT(insn, 30), size = BITS(insn, 11, 10);
    unsigned nregs = multi_layout[opcode].rpt * multi_layout[opcode].selem;
    if (!nregs) return 0;
    if (size == 3 && !q && multi_layout[opcode].selem > 1) return 0; /* .1D needs LD1/ST1 */
    return nregs * (8u << q);
}

static uint64_t helper_multi(struct cpu *cpu, uint64_t insn, uint64_t addr, uint64_t u2,
                             uint64_t u3) {
    unsigned q = BIT(insn, 30), load = BIT(insn, 22), t = BITS(insn, 4, 0);
    unsigned size = BITS(insn, 11, 10), opcode = BITS(insn, 15, 12);
    unsigned rpt = multi_layout[opcode].rpt, selem = multi_layout[opcode].selem;
    unsigned ebytes = 1u << size, elements = (8u << q) >> size, nregs = rpt * selem;
    uint8_t *mem = cpu_g2h(cpu, addr, multi_bytes((uint32_t)insn));
    vreg_t regs[4];
    for (unsigned r = 0; r < nregs; r++)
        regs[r] = cpu->v[(t + r) % 32];
    unsigned offs = 0;
    for (unsigned r = 0; r < rpt; r++) {
        for (unsigned e = 0; e < elements; e++) {
            /* Structure element s of element e goes to register r + s. */
            for (unsigned s = 0; s < selem; s++, offs += ebytes) {
                uint8_t *lane = regs[r + s].b + e * ebytes;
                if (load)
                    memcpy(lane, mem + offs, ebytes);
                else
                    memcpy(mem + offs, lane, ebytes);
            }
        }
    }
    /* Registers change only once every access has succeeded. */
    for (unsigned r = 0; load && r < nregs; r++) {
        if (!q) regs[r].d[1] = 0; /* 64-bit arrangements clear the upper half */
        cpu->v[(t + r) % 32] = regs[r];
    }
    return 0;
}

/* A single-structure encoding, decoded. */
struct single {
    unsigned selem, scale; /* elements per structure; log2 bytes per element */
    unsigned index;        /* lane */
    bool replicate;        /* LDnR */
};

static bool single_decode(uint32_t insn, struct single *d) {
    unsigned q = BIT(insn, 30), load = BIT(insn, 22), r = BIT(insn, 21);
    unsigned opcode = BITS(insn, 15, 13), s = BIT(insn, 12), size = BITS(insn, 11, 10);
    unsigned index = (q << 3) | (s << 2) | size;
    *d = (struct single){.selem = (((opcode & 1) << 1) | r) + 1, .scale = opcode >> 1};
    switch (d->scale) {
    case 3:
        if (!load || s) return false;
        d->scale = size;
        d->replicate = true;
        return true;
    case 0: d->index = index; return true;
    case 1:
        if (size & 1) return false;
        d->index = index >> 1;
        return true;
    default:
        if (size & 2) return false;
        if (!(size & 1)) {
            d->index = index >> 2;
            return true;
        }
        if (s) return false;
        d->index = index >> 3;
        d->scale = 3;
        return true;
    }
}

static uint64_t helper_single(struct cpu *cpu, uint64_t insn, uint64_t addr, uint64_t u2,
                              uint64_t u3) {
    unsigned q = BIT(insn, 30), load = BIT(insn, 22), t = BITS(insn, 4, 0);
    struct single d;
    single_decode((uint32_t)insn, &d);
    unsigned ebytes = 1u << d.scale;
    uint8_t *mem = cpu_g2h(cpu, addr, d.selem * ebytes);
    vreg_t regs[4];
    for (unsigned s = 0; s < d.selem; s++) {
        vreg_t *v = &cpu->v[(t + s) % 32];
        uint8_t *elem = mem + s * ebytes;
        if (d.replicate) {
            memset(&regs[s], 0, sizeof regs[s]);
            for (unsigned e = 0; e < (8u << q) >> d.scale; e++)
                memcpy(regs[s].b + e * ebytes, elem, ebytes);
        } else if (load) {
            regs[s] = *v; /* the other lanes keep their values, Q or not */
            memcpy(regs[s].b + d.index * ebytes, elem, ebytes);
        } else {
            memcpy(elem, v->b + d.index * ebytes, ebytes);
        }
    }
    for (unsigned s = 0; load && s < d.selem; s++)
        cpu->v[(t + s) % 32] = regs[s];
    return 0;
}

/* Post-indexes Xn by Xm or, for Rm = 31, by the bytes transferred. */
static void post_index(struct a64_ctx *c, uint32_t insn, ir_temp base, unsigned bytes) {
    unsigned rn = BITS(insn, 9, 5), rm = BITS(insn, 20, 16);
    if (!BIT(insn, 23)) return;
    ir_temp off = rm == 31 ? ir_const(c->b, bytes) : a64_read_x(c, rm);
    a64_write_xsp(c, rn, ir_op2(c->b, IR_ADD, 64, base, off), true);
}

/* Calls the helper at Xn, then post-indexes. */
static void emit_struct(struct a64_ctx *c, uint32_t insn, ir_helper_fn fn, unsigned bytes) {
    ir_temp base = a64_read_xsp(c, BITS(insn, 9, 5));
    a64_call_insn(c, fn, base, IR_ZERO, IR_ZERO);
    post_index(c, insn, base, bytes);
}

static ir_temp addr_plus(struct a64_ctx *c, ir_temp base, unsigned off) {
    return off ? ir_op2(c->b, IR_ADD, 64, base, ir_const(c->b, off)) : base;
}

/* LD1/ST1 of 1-4 consecutive registers: one LDV/STV each (on the
 * little-endian host the element size does not matter). A load of
 * several registers first touches both pages of its range (it spans at
 * most two 4 KiB pages), so that a fault leaves every register as it
 * was, as the helper does. */
static void ld1_multi(struct a64_ctx *c, uint32_t insn, unsigned nregs) {
    unsigned q = BIT(insn, 30), load = BIT(insn, 22), t = BITS(insn, 4, 0);
    unsigned rbytes = 8u << q, sz = 64u << q;
    ir_temp base = a64_read_xsp(c, BITS(insn, 9, 5));
    if (load && nregs > 1) {
        /* The first byte, then the first byte of the page holding the
         * last one: a fault reports the first inaccessible address, as
         * the helper and qemu-aarch64 do (when the range stays in one
         * page the second probe reads that same page). */
        ir_ld(c->b, 8, base);
        ir_temp last = addr_plus(c, base, nregs * rbytes - 1);
        ir_ld(c->b, 8, ir_op2(c->b, IR_AND, 64, last, ir_const(c->b, ~(uint64_t)4095)));
    }
    for (unsigned r = 0; r < nregs; r++) {
        ir_temp a = addr_plus(c, base, r * rbytes);
        if (load)
            ir_ldv(c->b, sz, a, (t + r) % 32);
        else
            ir_stv(c->b, sz, a, (t + r) % 32);
    }
    post_index(c, insn, base, nregs * rbytes);
}

static void trans_multi(struct a64_ctx *c, uint32_t insn) {
    unsigned bytes = multi_bytes(insn);
    if (!bytes) {
        a64_unallocated(c);
        return;
    }
    unsigned opcode = BITS(insn, 15, 12);
    /* ST1 of several registers stays the helper: when the range runs into
     * an unwritable page, it stores element by element up to the
     * boundary, as qemu-aarch64 does (an STV that crosses stores nothing). */
    if (multi_layout[opcode].selem == 1 && (BIT(insn, 22) || multi_layout[opcode].rpt == 1)) {
        ld1_multi(c, insn, multi_layout[opcode].rpt);
        return;
    }
    emit_struct(c, insn, helper_multi, bytes);
}

/* x (zero-extended element of 1 << scale bytes) in every lane of 64 bits. */
static ir_temp replicate64(struct a64_ctx *c, ir_temp x, unsigned scale) {
    static const uint64_t ones[4] = {0x0101010101010101ull, 0x0001000100010001ull,
                                     0x0000000100000001ull, 1};
    return scale == 3 ? x : ir_op2(c->b, IR_MUL, 64, x, ir_const(c->b, ones[scale]));
}

/* LD1R, LD1/ST1 of one lane. */
static void ld1_single(struct a64_ctx *c, uint32_t insn, const struct single *d) {
    unsigned q = BIT(insn, 30), load = BIT(insn, 22), t = BITS(insn, 4, 0);
    unsigned bits = 8u << d->scale;
    ir_temp base = a64_read_xsp(c, BITS(insn, 9, 5));
    uint32_t lane = CPU_VOFF(t) + (d->index << d->scale);
    if (d->replicate) {
        ir_temp half = replicate64(c, ir_ld(c->b, bits, base), d->scale);
        a64_write_v128(c, t, half, q ? half : IR_ZERO);
    } else if (load) {
        ir_stcpu(c->b, bits, lane, ir_ld(c->b, bits, base));
    } else {
        ir_st(c->b, bits, base, ir_ldcpu(c->b, bits, lane));
    }
    post_index(c, insn, base, 1u << d->scale);
}

static void trans_single(struct a64_ctx *c, uint32_t insn) {
    struct single d;
    if (!single_decode(insn, &d)) {
        a64_unallocated(c);
        return;
    }
    if (d.selem == 1) {
        ld1_single(c, insn, &d);
        return;
    }
    emit_struct(c, insn, helper_single, d.selem << d.scale);
}

const struct a64_row a64_rows_ldst_vec[] = {
    {"LDST_multi", "0q0011000l000000 ppppzz nnnnn ttttt", trans_multi},
    {"LDST_multi_post", "0q0011001l0mmmmm ppppzz nnnnn ttttt", trans_multi},
    {"LDST_single", "0q0011010lr00000 pppozz nnnnn ttttt", trans_single},
    {"LDST_single_post", "0q0011011lrmmmmm pppozz nnnnn ttttt", trans_single},
    {NULL, NULL, NULL},
};
