/* Block entry and terminators.
 *
 * Layout of a block:
 *   entry stub:  movabs rax, block_pc; xor edx, edx; jmp epilogue
 *   entry:       nop5                 <- patched to jmp stub on invalidation
 *                cmp dword [cpu+attention], 0; jne entry stub
 *                add qword [cpu+icount], guest_insns
 *   body, terminator, cold stubs
 * A chainable exit is
 *   site:        jmp rel32 (+0)       <- patched by jit_chain to a block entry
 *                mov rax, target; lea rdx, [rip+site]; jmp epilogue
 * Patched rel32 fields are 4-byte aligned so one aligned store rewrites
 * them atomically while other vCPUs may be executing the jump; the entry's
 * nop5 lies within one aligned 8-byte word, which jit_unlink rewrites
 * with one atomic store (a chained transition then costs one jump, not
 * two). */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

#include "dbt/jit/jit_internal.h"
#include "dbt/tb.h"

static void align_field(struct x86_buf *b, unsigned opcode_len) {
    x86_nops(b, (4 - (x86_off(b) + opcode_len) % 4) % 4);
}

static void jmp_epilogue(struct jit_ctx *c) {
    uint32_t f = x86_jmp32(c->buf);
    x86_patch_rel32(c->buf, f, c->epilogue_off);
}

void lower_entry(struct jit_ctx *c) {
    struct x86_buf *b = c->buf;
    if (c->loop) loop_exit_stub(c);
    /* entry = stub + 17: its 5 bytes must lie in one aligned 8-byte word. */
    while ((x86_off(b) + JIT_ENTRY_STUB) % 8 > 3)
        x86_byte(b, 0x90);
    uint32_t stub = x86_off(b);
    x86_movabs(b, RAX, c->b->pc);
    x86_alu_rr(b, ALU_XOR, false, RDX, RDX);
    jmp_epilogue(c);
    c->entry_off = x86_off(b);
    x86_nop5(b);
    if (c->loop) {
        loop_entry(c);
        return;
    }
    x86_alu_mi(b, ALU_CMP, false, x86_mem(REG_CPU, (int32_t)CPU_OFF(attention)), 0);
    uint32_t f = x86_jcc32(b, CC_NE);
    x86_patch_rel32(b, f, stub);
    /* A memory add per block is a loop-carried dependency through the
     * store buffer in tight loops: only when statistics want it. */
    if (c->count_insns)
        x86_alu_mi(b, ALU_ADD, true, x86_mem(REG_CPU, (int32_t)CPU_OFF(icount)),
                   (int32_t)c->b->guest_insns);
}

/* Inline probe of the per-vCPU jump cache (dbt/exec.c: cpu->jump_cache
 * points at JIT_JC_SIZE entries, slot (pc >> 2) mod size) for the guest
 * pc in RAX: a valid, compiled block is entered directly; on a miss the
 * code falls through to the dispatcher exit. Entering a block this way is
 * like chaining (we are already inside generated code, so no flush can
 * run), and an invalidated block's entry exits to the dispatcher.
 * Clobbers RCX, RDX. */
static void jc_probe(struct jit_ctx *c) {
    struct x86_buf *b = c->buf;
    uint32_t miss[4];
    x86_mov_rr(b, true, RCX, RAX);
    x86_shift_ri(b, SH_SHR, true, RCX, 2);
    x86_alu_ri(b, ALU_AND, false, RCX, JIT_JC_SIZE - 1);
    x86_load(b, 64, RDX, x86_mem(REG_CPU, (int32_t)CPU_OFF(jump_cache)));
    x86_load(b, 64, RDX, (struct x86_mem){RDX, RCX, 8, 0});
    x86_test_rr(b, true, RDX, RDX);
    miss[0] = x86_jcc8(b, CC_E);
    x86_alu_rm(b, ALU_CMP, true, RAX, x86_mem(RDX, (int32_t)offsetof(struct tb, pc)));
    miss[1] = x86_jcc8(b, CC_NE);
    x86_load(b, 8, RCX, x86_mem(RDX, (int32_t)offsetof(struct tb, invalid)));
    x86_test_rr(b, false, RCX, RCX);
    miss[2] = x86_jcc8(b, CC_NE);
    x86_load(b, 64, RDX, x86_mem(RDX, (int32_t)offsetof(struct tb, host)));
    x86_test_rr(b, true, RDX, RDX);
    miss[3] = x86_jcc8(b, CC_E);
    x86_jmp_r(b, RDX);
    for (int k = 0; k < 4; k++)
        x86_patch_rel8(b, miss[k], x86_off(b));
}

/* Return-address prediction (switch: SHOAL_JIT_DISABLE=ras). A call
 * pushes its return pc and the host address of a stub emitted after the
 * block (an ordinary chainable exit to the return pc); returns the lea's
 * rel32 field, which ras_stub patches. Clobbers RCX, RDX and the flags. */
static uint32_t ras_push(struct jit_ctx *c, uint64_t ret) {
    struct x86_buf *b = c->buf;
    x86_load(b, 32, RCX, x86_mem(REG_CPU, (int32_t)CPU_OFF(ras_top)));
    x86_alu_ri(b, ALU_ADD, false, RCX, 1);
    x86_alu_ri(b, ALU_AND, false, RCX, CPU_RAS_SIZE - 1);
    x86_store(b, 32, x86_mem(REG_CPU, (int32_t)CPU_OFF(ras_top)), RCX);
    x86_mov_ri(b, RDX, ret);
    x86_store(b, 64, (struct x86_mem){REG_CPU, RCX, 8, (int32_t)CPU_OFF(ras_pc)}, RDX);
    x86_lea_rip(b, RDX, x86_off(b));
    uint32_t field = x86_off(b) - 4;
    x86_store(b, 64, (struct x86_mem){REG_CPU, RCX, 8, (int32_t)CPU_OFF(ras_host)}, RDX);
    return field;
}

static void ras_stub(struct jit_ctx *c, uint32_t field, uint64_t ret) {
    x86_patch_rel32(c->buf, field, x86_off(c->buf));
    lower_exit_to(c, ret);
}

/* RET with its target in RAX: pop the ring; if the pushed pc is the
 * target, jump to the pushed code (a return stub, or for a reset entry
 * the dispatcher); otherwise fall through to the usual lookup. A wrong
 * prediction (longjmp, a signal handler's return, a thread's first RET)
 * costs only the compare. */
static void ras_pop(struct jit_ctx *c) {
    struct x86_buf *b = c->buf;
    x86_load(b, 32, RCX, x86_mem(REG_CPU, (int32_t)CPU_OFF(ras_top)));
    x86_lea(b, RDX, x86_mem(RCX, -1));
    x86_alu_ri(b, ALU_AND, false, RDX, CPU_RAS_SIZE - 1);
    x86_store(b, 32, x86_mem(REG_CPU, (int32_t)CPU_OFF(ras_top)), RDX);
    x86_alu_rm(b, ALU_CMP, true, RAX, (struct x86_mem){REG_CPU, RCX, 8, (int32_t)CPU_OFF(ras_pc)});
    uint32_t miss = x86_jcc8(b, CC_NE);
    x86_load(b, 64, RDX, (struct x86_mem){REG_CPU, RCX, 8, (int32_t)CPU_OFF(ras_host)});
    x86_jmp_r(b, RDX);
    x86_patch_rel8(b, miss, x86_off(b));
}

void lower_exit_to(struct jit_ctx *c, uint64_t target) {
    lower_exit_site(c, target);
}

uint32_t lower_exit_site(struct jit_ctx *c, uint64_t target) {
    struct x86_buf *b = c->buf;
    if (loop_peel_jump(c, target)) return 0;
    bool chain = c->chain && (target >> 12) == (c->b->pc >> 12);
    if (!chain && c->ibcache) {
        /* Another page: no patched chain (invalidation stays page-local),
         * but the jump cache usually knows the block. */
        x86_mov_ri(b, RAX, target);
        jc_probe(c);
        x86_alu_rr(b, ALU_XOR, false, RDX, RDX);
        jmp_epilogue(c);
        return 0;
    }
    uint32_t site = 0;
    if (chain) {
        align_field(b, 1);
        site = x86_off(b);
        uint32_t f = x86_jmp32(b); /* jmp +0 */
        x86_patch_rel32(b, f, x86_off(b));
    }
    x86_mov_ri(b, RAX, target);
    if (chain)
        x86_lea_rip(b, RDX, site);
    else
        x86_alu_rr(b, ALU_XOR, false, RDX, RDX);
    jmp_epilogue(c);
    return site;
}

/* An exit of the terminator: a sending one (nzchain.c) when the flags
 * are in the slots. */
static void term_exit(struct jit_ctx *c, uint64_t target) {
    if (c->term_out)
        nz_exit(c, target);
    else
        lower_exit_to(c, target);
}

/* IR_EXITC: test the condition, branch to an out-of-line stub. */
void lower_exitc(struct jit_ctx *c, const struct ir_insn *i) {
    struct x86_buf *b = c->buf;
    const struct jit_tval *v = &c->t[i->a[0]];
    if (v->is_const && !v->c && !(c->exit_fuse && c->exit_fuse[c->cur] >= 0)) return;
    uint32_t field;
    int32_t fuse = c->exit_fuse ? c->exit_fuse[c->cur] : -1;
    bool pack = c->lazy && c->lazy[c->cur] == LAZY_PACK;
    if (i->sz == 32 && !pack) /* lazy flags the stub cannot pack: store them here */
        x86_store(b, 32, x86_mem(REG_CPU, (int32_t)CPU_OFF(nzcv)), ra_reg(c, i->a[2]));
    if (fuse >= 0) {
        field = x86_jcc32(b, (enum x86_cc)lower_cond_flags(c, &c->b->insns[fuse]));
    } else if (v->is_const) {
        field = x86_jmp32(b);
    } else {
        int r = ra_reg(c, i->a[0]);
        x86_test_rr(b, true, r, r);
        field = x86_jcc32(b, CC_NE);
    }
    if (c->nside == c->cap_side) {
        c->cap_side = c->cap_side ? 2 * c->cap_side : 8;
        c->side = realloc(c->side, c->cap_side * sizeof *c->side);
        SHOAL_ASSERT(c->side);
    }
    struct jit_side *s = &c->side[c->nside++];
    memset(s, 0, sizeof *s);
    s->jcc_field = field;
    s->target = i->imm;
    s->skip = (int64_t)c->t[i->a[1]].c;
    s->pack_nzcv = pack;
    if (c->lazy_on && i->sz != 32) s->lazy_sz = c->lazy_sz; /* sz 32: stores its own */
    s->chain_nz = (c->lazy && c->lazy[c->cur] == LAZY_OUT) ||
                  (c->nz_in && (int32_t)c->cur < c->nz_end && i->sz != 32);
    if (pack && c->nzchain && (s->target >> 12) == (c->b->pc >> 12)) {
        nz_pack_plan(c, s, &c->b->insns[fuse]);
        s->pack_nzcv = false;
        s->chain_nz = true;
    }
    for (unsigned g = 0; g < 32; g++)
        if (c->g[g].reg >= 0 && c->g[g].dirty) s->map[c->g[g].reg] = (uint8_t)(g + 1);
    vr_snapshot(c, s->vmap, true);
    loop_dpair_snapshot(c, s->vmap);
}

void lower_side_exits(struct jit_ctx *c) {
    struct x86_buf *b = c->buf;
    for (uint32_t k = 0; k < c->nside && !c->fail; k++) {
        const struct jit_side *s = &c->side[k];
        x86_patch_rel32(b, s->jcc_field, x86_off(b));
        if (s->pack_nzcv) {
            /* The flags of the exit's cmp a, b, read before anything
             * changes them. */
            jit_pack_sub_nzcv(b, RDX);
            x86_store(b, 32, x86_mem(REG_CPU, (int32_t)CPU_OFF(nzcv)), RDX);
        }
        if (s->lazy_sz) loop_lazy_emit(b, s->lazy_sz);
        if (s->send_sz) nz_pack_save(b, s);
        for (int h = 0; h < 16; h++)
            if (s->map[h]) x86_store(b, 64, ra_xmem(s->map[h] - 1u), h);
        vr_emit_stores(b, s->vmap);
        if (c->count_insns && s->skip)
            x86_alu_mi(b, ALU_SUB, true, x86_mem(REG_CPU, (int32_t)CPU_OFF(icount)),
                       (int32_t)s->skip);
        if (s->chain_nz)
            nz_exit(c, s->target);
        else
            lower_exit_to(c, s->target);
    }
}

void lower_term(struct jit_ctx *c) {
    struct x86_buf *b = c->buf;
    const struct ir_term *t = &c->b->term;
    if (c->loop) {
        loop_term(c);
        return;
    }
    ra_writeback_all(c);
    vr_sync_all(c, false);
    if (c->term_out && t->kind != TERM_GOTO && t->kind != TERM_BRCOND) {
        loop_lazy_emit(b, 64); /* no sending exit here: compute the flags */
    }
    bool call = c->ras && t->hint == HINT_CALL && t->next;
    uint32_t ras_field = 0;
    switch ((enum ir_term_kind)t->kind) {
    case TERM_GOTO:
        if (call) ras_field = ras_push(c, t->next);
        term_exit(c, t->target);
        if (call) ras_stub(c, ras_field, t->next);
        break;
    case TERM_GOTO_IND:
        ra_load_to(c, RAX, t->temp);
        if (call) ras_field = ras_push(c, t->next);
        if (c->ras && t->hint == HINT_RET) ras_pop(c);
        if (c->ibcache) jc_probe(c);
        x86_alu_rr(b, ALU_XOR, false, RDX, RDX);
        jmp_epilogue(c);
        if (call) ras_stub(c, ras_field, t->next);
        break;
    case TERM_BRCOND: {
        const struct jit_tval *v = &c->t[t->temp];
        if (v->is_const) {
            term_exit(c, v->c ? t->target : t->next);
            break;
        }
        uint32_t not_taken;
        if (c->term_fuse >= 0) {
            int cc = lower_cond_flags(c, &c->b->insns[c->term_fuse]);
            not_taken = x86_jcc32(b, (enum x86_cc)(cc ^ 1));
        } else {
            ra_load_to(c, RCX, t->temp);
            x86_test_rr(b, true, RCX, RCX);
            not_taken = x86_jcc32(b, CC_E);
        }
        term_exit(c, t->target);
        x86_patch_rel32(b, not_taken, x86_off(b));
        term_exit(c, t->next);
        break;
    }
    case TERM_SVC:
        x86_store_i32(b, 32, x86_mem(REG_CPU, (int32_t)CPU_OFF(svc_imm)), (int32_t)t->imm);
        x86_mov_ri(b, RAX, t->next);
        x86_mov_ri(b, RDX, CPU_EXIT_SVC);
        jmp_epilogue(c);
        break;
    case TERM_EXCP:
        x86_store_i32(b, 32, x86_mem(REG_CPU, (int32_t)CPU_OFF(exit_signo)), t->signo);
        x86_store_i32(b, 32, x86_mem(REG_CPU, (int32_t)CPU_OFF(exit_code)), t->code);
        x86_mov_ri(b, RAX, t->addr);
        x86_store(b, 64, x86_mem(REG_CPU, (int32_t)CPU_OFF(exit_addr)), RAX);
        x86_mov_ri(b, RAX, t->target);
        x86_mov_ri(b, RDX, CPU_EXIT_SIGNAL);
        jmp_epilogue(c);
        break;
    case TERM_NONE: c->fail = true; break;
    }
}
