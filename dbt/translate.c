/* Block translation: builds one block's IR from guest code (dbt/a64/
 * decodes each insn), following unconditional branches within the page
 * (superblocks) and turning conditional ones into side exits. Runs
 * without a lock: the dispatcher (exec.c) publishes the block. */
#include <inttypes.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/log.h"
#include "common/safe_copy.h"
#include "dbt/a64/a64.h"
#include "dbt/exec_internal.h"
#include "dbt/redirect.h"
#include "dbt/tb.h"

#define MAX_FOLLOW     4 /* unconditional branches a block follows (superblock) */
#define MAX_SIDE_EXITS 8 /* conditional branches a block goes through */

/* Reads one instruction word; false if the guest page cannot be read
 * (the block ends there). */
static bool fetch_insn(struct cpu *cpu, uint64_t pc, uint32_t *insn) {
    if (pc >= cpu->guest_size || cpu->guest_size - pc < 4) return false;
    return safe_copy(insn, cpu->guest_base + pc, 4) == 0;
}

/* A block ending in an unconditional direct branch (not a call) to code
 * in the same page that the block has not translated yet goes on at the
 * target instead (a superblock: the jump costs nothing, and the guest
 * registers stay in host registers across it). seg[] holds the ranges
 * translated so far; the last one is open at c->pc. */
static bool follow_branch(const struct dbt *d, const struct a64_ctx *c, uint64_t seg[][2],
                          unsigned *nseg) {
    const struct ir_term *t = &c->b->term;
    if (d->opt.no_follow || t->kind != TERM_GOTO || t->hint != HINT_NONE || *nseg > MAX_FOLLOW ||
        (t->target >> 12) != (c->pc >> 12) || (t->target & 3))
        return false;
    seg[*nseg - 1][1] = c->pc + 4;
    for (unsigned k = 0; k < *nseg; k++)
        if (t->target >= seg[k][0] && t->target < seg[k][1]) return false;
    seg[*nseg][0] = t->target;
    (*nseg)++;
    return true;
}

/* A conditional branch whose fall-through stays in the page becomes a
 * side exit (IR_EXITC) and the block goes on with the fall-through, so
 * a loop made of several small blocks becomes one block (often a
 * self-loop: dbt/jit/loop.c); not for a branch to or from the block
 * start (that one stays the terminator). The EXITC's second operand, the
 * guest insns after it, is filled in once the block is complete. */
static bool side_exit(const struct dbt *d, struct a64_ctx *c, uint64_t start, ir_temp *skip,
                      unsigned *nskip, unsigned n) {
    struct ir_block *b = c->b;
    const struct ir_term t = b->term;
    if (d->opt.no_sidexit || t.kind != TERM_BRCOND || t.next != c->pc + 4 ||
        (t.next >> 12) != (start >> 12) || t.target == start || t.next == start ||
        *nskip >= MAX_SIDE_EXITS)
        return false;
    struct ir_insn *k = ir_emit(b, IR_CONST, 64);
    k->dst = ir_new_temp(b);
    k->imm = n; /* insns run so far; becomes insns left at the end */
    ir_temp kt = k->dst;
    struct ir_insn *x = ir_emit(b, IR_EXITC, 64);
    x->a[0] = t.temp;
    x->a[1] = kt;
    x->imm = t.target;
    skip[(*nskip)++] = kt;
    b->term = (struct ir_term){0};
    return true;
}

/* Whether straight-line code from pc reaches a branch back to start
 * within TAKEN_SCAN insns of the page, before any other branch, call,
 * exception or system instruction (NOP aside). */
#define TAKEN_SCAN 16
static bool closes_loop(struct cpu *cpu, uint64_t pc, uint64_t start) {
    for (unsigned k = 0; k < TAKEN_SCAN && (pc >> 12) == (start >> 12); k++, pc += 4) {
        uint32_t w;
        if (!fetch_insn(cpu, pc, &w)) return false;
        if (w == 0xd503201f) continue;                /* NOP */
        if ((w & 0x1c000000) != 0x14000000) continue; /* not branch/exception/system */
        int64_t off;
        if ((w & 0xff000010) == 0x54000000 || (w & 0x7e000000) == 0x34000000) /* B.cond, CB(N)Z */
            off = (int64_t)((uint64_t)((w >> 5) & 0x7ffff) << 45) >> 43;
        else if ((w & 0x7e000000) == 0x36000000) /* TB(N)Z */
            off = (int64_t)((uint64_t)((w >> 5) & 0x3fff) << 50) >> 48;
        else if ((w & 0xfc000000) == 0x14000000) /* B */
            off = (int64_t)((uint64_t)(w & 0x3ffffff) << 38) >> 36;
        else
            return false;
        return pc + (uint64_t)off == start;
    }
    return false;
}

/* A conditional branch forward in the page whose target closes the loop
 * at the block start while its fall-through does not (`fcmp; b.pl fast;
 * <slow path: bl sqrt>; fast: ...; b.ne start`, nbody's inner loop) is
 * followed to its target, and the fall-through becomes the side exit
 * (the condition inverted): the loop becomes one self-loop block that
 * dbt/jit/loop.c keeps in registers, instead of two blocks chained
 * through cpu state. */
static bool follow_taken(const struct dbt *d, struct cpu *cpu, struct a64_ctx *c, uint64_t start,
                         uint64_t seg[][2], unsigned *nseg, ir_temp *skip, unsigned *nskip) {
    struct ir_block *b = c->b;
    const struct ir_term t = b->term;
    if (d->opt.no_taken || d->opt.no_sidexit || t.kind != TERM_BRCOND || t.next != c->pc + 4 ||
        (t.next >> 12) != (start >> 12) || (t.target >> 12) != (start >> 12) ||
        t.target <= t.next || t.next == start || *nskip >= MAX_SIDE_EXITS || *nseg > MAX_FOLLOW)
        return false;
    for (unsigned k = 0; k < *nseg; k++)
        if (t.target >= seg[k][0] && t.target < (k + 1 == *nseg ? c->pc + 4 : seg[k][1]))
            return false;
    if (!closes_loop(cpu, t.target, start) || closes_loop(cpu, t.next, start)) return false;
    /* Invert the condition: in place when this insn made it (COND, SETEQ, SETNE). */
    ir_temp cond = 0;
    for (uint32_t j = b->n; j-- > c->insn_first_op;) {
        struct ir_insn *i = &b->insns[j];
        if (i->dst != t.temp) continue;
        if (i->op == IR_COND && i->imm < 14) {
            i->imm ^= 1;
            cond = t.temp;
        } else if (i->op == IR_SETEQ || i->op == IR_SETNE) {
            i->op = i->op == IR_SETEQ ? IR_SETNE : IR_SETEQ;
            cond = t.temp;
        }
        break;
    }
    if (!cond) cond = ir_op2(b, IR_SETEQ, 64, t.temp, IR_ZERO);
    struct ir_insn *k = ir_emit(b, IR_CONST, 64);
    k->dst = ir_new_temp(b);
    k->imm = b->guest_insns; /* insns run so far; becomes insns left at the end */
    ir_temp kt = k->dst;
    struct ir_insn *x = ir_emit(b, IR_EXITC, 64);
    x->a[0] = cond;
    x->a[1] = kt;
    x->imm = t.next;
    skip[(*nskip)++] = kt;
    b->term = (struct ir_term){0};
    seg[*nseg - 1][1] = c->pc + 4;
    seg[*nseg][0] = t.target;
    (*nseg)++;
    return true;
}

/* A block's end past the instruction at pc: the last word of the 64-bit
 * space (a jump there faults) ends at UINT64_MAX, not at 0. */
static uint64_t insn_end(uint64_t end, uint64_t pc) {
    uint64_t e = pc + 4 < pc ? UINT64_MAX : pc + 4;
    return e > end ? e : end;
}

struct tb *dbt_translate(struct dbt *d, struct cpu *cpu, uint64_t pc) {
    struct tb *tb = calloc(1, sizeof *tb);
    SHOAL_ASSERT(tb);
    tb->pc = pc;
    struct ir_block *b = &tb->ir;
    ir_block_init(b, pc);
    struct a64_ctx c = {.b = b,
                        .pc = pc,
                        .atomics_inline = !d->opt.no_inline_atomics,
                        .excl_inline = !d->opt.no_inline_atomics && !d->excl.load};
    uint64_t page_end = (pc | 0xfff) + 1;
    uint64_t seg[MAX_FOLLOW + 2][2] = {{pc, pc}};
    unsigned nseg = 1;
    ir_temp skip[MAX_SIDE_EXITS];
    unsigned nskip = 0;
    tb->start = pc;
    for (unsigned n = 0;; n++) {
        uint32_t insn;
        if ((pc & 3) || !fetch_insn(cpu, c.pc, &insn)) {
            if (n == 0) {
                int sig = (pc & 3) ? SIGBUS : SIGSEGV;
                a64_raise(&c, sig, (pc & 3) ? BUS_ADRALN : SEGV_MAPERR, c.pc);
            } else {
                a64_goto(&c, c.pc, HINT_NONE);
            }
            break;
        }
        if (d->opt.log_in_asm) {
            char buf[160];
            a64_disas(insn, buf, sizeof buf);
            fprintf(d->opt.log, "0x%016" PRIx64 ":  %08x  %s\n", c.pc, insn, buf);
        }
        uint32_t first = b->n;
        a64_translate_insn(&c, insn);
        if (d->redirect) redirect_rewrite(d->redirect, b, first, c.pc);
        b->guest_insns++;
        if (c.done && n + 1 < d->opt.max_block_insns &&
            b->ntemps + IR_TEMP_RESERVE < IR_MAX_TEMPS && follow_branch(d, &c, seg, &nseg)) {
            tb->end = insn_end(tb->end, c.pc);
            c.pc = b->term.target;
            if (c.pc < tb->start) tb->start = c.pc;
            c.done = false;
            b->term = (struct ir_term){0};
            continue;
        }
        if (c.done && n + 1 < d->opt.max_block_insns &&
            b->ntemps + IR_TEMP_RESERVE < IR_MAX_TEMPS &&
            follow_taken(d, cpu, &c, pc, seg, &nseg, skip, &nskip)) {
            tb->end = insn_end(tb->end, c.pc);
            c.pc = seg[nseg - 1][0];
            c.done = false;
            continue;
        }
        if (c.done && n + 1 < d->opt.max_block_insns &&
            b->ntemps + IR_TEMP_RESERVE < IR_MAX_TEMPS &&
            side_exit(d, &c, pc, skip, &nskip, b->guest_insns))
            c.done = false;
        if (c.done) break;
        c.pc += 4;
        /* Blocks stay inside one guest page so invalidation stays page-local. */
        if (n + 1 >= d->opt.max_block_insns || c.pc == page_end ||
            b->ntemps + IR_TEMP_RESERVE >= IR_MAX_TEMPS) {
            a64_goto(&c, c.pc, HINT_NONE);
            break;
        }
    }
    tb->end = insn_end(tb->end, c.pc);
    for (unsigned k = 0; k < nskip; k++)
        for (uint32_t j = 0; j < b->n; j++)
            if (b->insns[j].op == IR_CONST && b->insns[j].dst == skip[k]) {
                b->insns[j].imm = b->guest_insns - b->insns[j].imm;
                break;
            }
    if (d->opt.log_in_asm) fprintf(d->opt.log, "\n");
    if (d->opt.log_ir) ir_block_dump(b, d->opt.log);
    atomic_fetch_add(&d->blocks_translated, 1);
    atomic_fetch_add(&d->insns_translated, b->guest_insns);
    return tb;
}
