/* NZCV across chained blocks (switch: SHOAL_JIT_DISABLE=nzchain).
 *
 * A block ending in `cmp; b.cond` stores NZCV (pack: 7 instructions)
 * only because its successor might observe it, and a successor that
 * branches on it first (`b.hi` at the head of the bytecode kernel's
 * dispatch) loads and unpacks it again. Here the flags travel as the
 * compare's operands in the frame slots (JIT_LAZY_SLOT) instead:
 *
 *  - Sender: an NZCV store of a FLAGS_SUB that nothing but memory
 *    accesses (their faults), side exits and the block's own exits
 *    observe (opt_flags.c FL_STORE_END, jit.c find_fault_lazy) saves the
 *    operands (nz_save64) instead; its exits are *sending* exits
 *    (nz_exit): a patchable jump first, which jit_chain points at the
 *    target's lazy entry when it has one; falling through, the exit
 *    computes cpu->nzcv from the slots and leaves like any other exit
 *    (chained to the ordinary entry, or to the dispatcher).
 *  - Receiver: a block in which nothing but COND/LDCPU of NZCV, memory
 *    accesses and side exits come before its first own NZCV definition
 *    (nz_in_plan) gets a second body with its own entry (nz_in_entry): a
 *    COND of the entry NZCV is `cmp` of the slots + jcc, an LDCPU packs
 *    them, faults compute NZCV from them (lazy_win 64), side exits send.
 *    Its attention exit and its unlinked entry compute cpu->nzcv first.
 *    jit_chain compiles it from the block's IR, apart from the block,
 *    when it first chains a sending exit to the block: most blocks never
 *    receive, and compiling the body with every eligible block made a
 *    static hello world's start-up a third slower.
 *
 * The slots always hold 64-bit operands: a 32-bit compare saves a << 32
 * and b << 32, whose 64-bit compare sets N, Z, C and V exactly as the
 * 32-bit one (the low halves are equal, the difference is (a - b) << 32),
 * so a receiver needs no size. jit.c keeps the table of lazy entries and
 * sending exits (jit_chain, jit_unlink). */
#include <stdlib.h>

#include "common/log.h"
#include "dbt/jit/jit_internal.h"

static bool nzcv_field(const struct ir_insn *i) {
    return (i->op == IR_LDCPU || i->op == IR_STCPU) && i->imm < CPU_OFF(nzcv) + 4 &&
           i->imm + i->sz / 8 > CPU_OFF(nzcv);
}

/* Register r (or, for r < 0, the constant k) as a compare operand of
 * width sz to slot `off`, in the 64-bit form. Clobbers RAX. */
static void save_value(struct x86_buf *b, int32_t off, int r, uint64_t k, unsigned sz) {
    if (r < 0) {
        uint64_t x = sz == 64 ? k : k << 32;
        if ((int64_t)x == (int32_t)x) {
            x86_store_i32(b, 64, x86_mem(RSP, off), (int32_t)x);
        } else {
            x86_mov_ri(b, RAX, x);
            x86_store(b, 64, x86_mem(RSP, off), RAX);
        }
        return;
    }
    if (sz == 64) {
        x86_store(b, 64, x86_mem(RSP, off), r);
        return;
    }
    x86_mov_rr(b, false, RAX, r);
    x86_shift_ri(b, SH_SHL, true, RAX, 32);
    x86_store(b, 64, x86_mem(RSP, off), RAX);
}

/* Operand k of insn i: its register, or -1 and the constant in *kc. */
static int operand(struct jit_ctx *c, const struct ir_insn *i, int k, uint64_t *kc) {
    const struct jit_tval *v = &c->t[i->a[k]];
    *kc = v->c;
    return v->is_const ? -1 : ra_reg(c, i->a[k]);
}

void nz_save64(struct jit_ctx *c, const struct ir_insn *i) {
    uint64_t k;
    int r = operand(c, i, 0, &k);
    save_value(c->buf, JIT_LAZY_SLOT, r, k, i->sz);
    r = operand(c, i, 1, &k);
    save_value(c->buf, JIT_LAZY_SLOT + 8, r, k, i->sz);
}

/* A side exit whose flags are its own compare's (LAZY_PACK, jit.c
 * find_lazy) to a target in the page sends that compare's operands
 * instead of packing its host flags: records them (registers still
 * holding them when the stub runs, right after the jcc) in s. */
void nz_pack_plan(struct jit_ctx *c, struct jit_side *s, const struct ir_insn *cond) {
    s->send_sz = (uint8_t)(cond->sz == 64 ? 64 : 32);
    s->send_a = (int8_t)operand(c, cond, 0, &s->send_ka);
    s->send_b = (int8_t)operand(c, cond, 1, &s->send_kb);
}

void nz_pack_save(struct x86_buf *b, const struct jit_side *s) {
    save_value(b, JIT_LAZY_SLOT, s->send_a, s->send_ka, s->send_sz);
    save_value(b, JIT_LAZY_SLOT + 8, s->send_b, s->send_kb, s->send_sz);
}

static void record_site(struct jit_ctx *c, uint32_t lazy_site, uint32_t site) {
    if (c->nnz_sites == c->cap_nz_sites) {
        c->cap_nz_sites = c->cap_nz_sites ? 2 * c->cap_nz_sites : 8;
        c->nz_sites = realloc(c->nz_sites, c->cap_nz_sites * sizeof *c->nz_sites);
        SHOAL_ASSERT(c->nz_sites);
    }
    c->nz_sites[c->nnz_sites][0] = site;
    c->nz_sites[c->nnz_sites][1] = lazy_site;
    c->nnz_sites++;
}

/* A sending exit to target with the flags in the slots:
 *   lazy_site: jmp rel32 (+0)   <- jit_chain: the target's lazy entry
 *              cpu->nzcv = NZCV of the slots
 *   site:      the ordinary exit (lower_exit_to)
 * Another page (no chaining): the flags are computed, then the exit. */
void nz_exit(struct jit_ctx *c, uint64_t target) {
    struct x86_buf *b = c->buf;
    bool chain = c->chain && (target >> 12) == (c->b->pc >> 12);
    uint32_t lazy_site = 0;
    if (chain) {
        x86_nops(b, (4 - (x86_off(b) + 1) % 4) % 4);
        lazy_site = x86_off(b);
        uint32_t f = x86_jmp32(b);
        x86_patch_rel32(b, f, x86_off(b));
    }
    loop_lazy_emit(b, 64);
    uint32_t site = lower_exit_site(c, target);
    if (!chain || !site) return;
    record_site(c, lazy_site, site);
}

/* Whether block c->b can receive NZCV in the slots: the index of its
 * first own NZCV definition (an NZCV store, a FLAGS_SUB whose operands
 * go to the slots, a side exit storing its own flags) before which
 * nothing but pure ops, memory accesses, side exits and exact loads of
 * NZCV occur; -1 if none. */
int32_t nz_in_plan(const struct jit_ctx *c) {
    const struct ir_block *b = c->b;
    if ((c->features & (JIT_F_BMI2 | JIT_F_LAHF)) != (JIT_F_BMI2 | JIT_F_LAHF) || !c->chain ||
        c->lazy_sz)
        return -1;
    for (uint32_t k = 0; k < b->n; k++) {
        const struct ir_insn *i = &b->insns[k];
        if (i->op == IR_CALL || i->op == IR_VOP) return -1;
        if (c->lazy && (c->lazy[k] == LAZY_SAVE || c->lazy[k] == LAZY_SAVE64)) return (int32_t)k;
        if (i->op == IR_EXITC && i->sz == 32) return (int32_t)k;
        if (!nzcv_field(i)) continue;
        if (i->imm != CPU_OFF(nzcv) || i->sz != 32) return -1;
        if (i->op == IR_STCPU) return (int32_t)k;
    }
    return -1;
}

/* The lazy entry, emitted before the receiving body (in code of its
 * own: the entry stub is the block's, at c->entry_off - JIT_ENTRY_STUB):
 *   mat:     cpu->nzcv = NZCV of the slots; jmp entry stub (returns pc)
 *   stub:    jmp mat; padding       (JIT_ENTRY_STUB bytes, as jit_unlink expects)
 *   entry:   nop5; attention check -> stub */
void nz_in_entry(struct jit_ctx *c) {
    struct x86_buf *b = c->buf;
    uint32_t mat = x86_off(b);
    loop_lazy_emit(b, 64);
    x86_patch_rel32(b, x86_jmp32(b), c->entry_off - JIT_ENTRY_STUB);
    while ((x86_off(b) + JIT_ENTRY_STUB) % 8 > 3)
        x86_byte(b, 0x90);
    uint32_t stub = x86_off(b);
    x86_patch_rel32(b, x86_jmp32(b), mat);
    while (x86_off(b) < stub + JIT_ENTRY_STUB)
        x86_byte(b, 0xcc);
    c->nz_entry_off = x86_off(b);
    x86_nop5(b);
    x86_alu_mi(b, ALU_CMP, false, x86_mem(REG_CPU, (int32_t)CPU_OFF(attention)), 0);
    x86_patch_rel32(b, x86_jcc32(b, CC_NE), stub);
    if (c->count_insns)
        x86_alu_mi(b, ALU_ADD, true, x86_mem(REG_CPU, (int32_t)CPU_OFF(icount)),
                   (int32_t)c->b->guest_insns);
}

/* Temp t is the value of an LDCPU of NZCV in the receiving body's
 * window, and the insn being lowered is in the window too (the slots
 * still hold the entry flags). */
bool nz_in_temp(const struct jit_ctx *c, ir_temp t) {
    if (!c->nz_in || t == IR_ZERO || (int32_t)c->cur >= c->nz_end) return false;
    for (int32_t k = 0; k < c->nz_end; k++) {
        const struct ir_insn *i = &c->b->insns[k];
        if (i->op == IR_LDCPU && i->dst == t && nzcv_field(i)) return true;
    }
    return false;
}

/* Host flags for Arm condition cc (< 14) of the entry NZCV. */
int nz_in_cond(struct jit_ctx *c, unsigned cc) {
    static const int8_t sub_cc[14] = {CC_E,  CC_NE, CC_AE, CC_B,  CC_S, CC_NS, CC_O,
                                      CC_NO, CC_A,  CC_BE, CC_GE, CC_L, CC_G,  CC_LE};
    x86_load(c->buf, 64, RAX, x86_mem(RSP, JIT_LAZY_SLOT));
    x86_alu_rm(c->buf, ALU_CMP, true, RAX, x86_mem(RSP, JIT_LAZY_SLOT + 8));
    return sub_cc[cc];
}

/* Whether the value of insn k is read only by conditions lowered as
 * cmp + jcc at side exits inside the window (exit_fuse), where the
 * slots still hold the entry flags. */
static bool only_fused(const struct jit_ctx *c, uint32_t k) {
    const struct ir_block *b = c->b;
    ir_temp t = b->insns[k].dst;
    if ((b->term.kind == TERM_GOTO_IND || b->term.kind == TERM_BRCOND) && b->term.temp == t)
        return false;
    for (uint32_t j = k + 1; j < b->n; j++) {
        const struct ir_insn *i = &b->insns[j];
        bool reads = false;
        for (int a = 0; a < ir_op_info[i->op].nargs; a++)
            reads |= i->a[a] == t;
        if (!reads) continue;
        bool fused = false; /* at a side exit inside the window */
        for (uint32_t e = j + 1; !fused && c->exit_fuse && (int32_t)e < c->nz_end; e++)
            fused = i->op == IR_COND && c->exit_fuse[e] == (int32_t)j;
        if (!fused) return false;
    }
    return true;
}

/* An LDCPU of the entry NZCV: packed from the slots, unless every use is
 * a condition lowered with nz_in_cond (then nothing). */
void nz_in_ldcpu(struct jit_ctx *c, const struct ir_insn *i) {
    if (c->t[i->dst].last_use < 0 || only_fused(c, c->cur)) return;
    int d = ra_def(c, i->dst, -1);
    x86_load(c->buf, 64, RAX, x86_mem(RSP, JIT_LAZY_SLOT));
    x86_alu_rm(c->buf, ALU_CMP, true, RAX, x86_mem(RSP, JIT_LAZY_SLOT + 8));
    jit_pack_sub_nzcv(c->buf, d);
}
