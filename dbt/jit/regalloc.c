/* Local register allocator: one forward pass over a straight-line block.
 *
 * Values are IR temps and the 32 guest registers. A temp lives in a host
 * register, a spill slot, or is a constant (materialised on demand); a
 * GETX whose value cannot change before its last use is not copied at
 * all (alias: reads go to wherever x[r] lives). Guest registers are
 * cached in host registers from their first use to the end of the block
 * (dirty ones written back at exits, before helper calls, and when
 * evicted). No register is ever live across the block boundary, so
 * chained blocks need no agreement on register state. In a self-loop
 * (loop.c) some guest registers are pinned to one host register for the
 * whole block instead: never evicted, written back only at exits.
 *
 * With --no-regalloc (c->regalloc false) nothing is cached: GETX loads
 * from cpu->x, SETX stores to it at once, and every temp is spilled right
 * after its definition, the naive reference lowering. */
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "dbt/jit/jit_internal.h"

static const int8_t pool[] = {RBX, RBP, R12, R13, RSI, RDI, R8, R9, R10, R11};
#define NPOOL ((int)(sizeof pool / sizeof pool[0]))

static bool callee_saved(int r) {
    return r == RBX || r == RBP || r == R12 || r == R13;
}
static struct x86_mem slot_mem(int s) {
    return x86_mem(RSP, s * 8);
}

/* A GETX at index k can alias x[g] if x[g] cannot change before the
 * temp's last use: no SETX g, no store into x[] through STCPU, and no
 * helper call (helpers may write any register) in between. */
static bool alias_ok(const struct ir_block *b, uint32_t k, unsigned g, int32_t last) {
    for (int32_t j = (int32_t)k + 1; j < last; j++) {
        const struct ir_insn *i = &b->insns[j];
        if (i->op == IR_CALL) return false;
        if (i->op == IR_SETX && i->imm == g) return false;
        if (i->op == IR_STCPU && i->imm < CPU_OFF(x[32]) && i->imm + i->sz / 8 > g * 8 &&
            i->imm < g * 8 + 8)
            return false;
    }
    return true;
}

void ra_init(struct jit_ctx *c) {
    const struct ir_block *b = c->b;
    uint32_t nt = b->ntemps ? b->ntemps : 1;
    c->t = malloc(nt * sizeof *c->t);
    c->free_slots = malloc(JIT_SLOTS * sizeof *c->free_slots);
    SHOAL_ASSERT(c->t && c->free_slots);
    for (uint32_t k = 0; k < nt; k++)
        c->t[k] = (struct jit_tval){-1, -1, -1, -1, false, 0};
    c->t[IR_ZERO].is_const = true;
    for (uint32_t k = 0; k < b->n; k++) {
        const struct ir_insn *i = &b->insns[k];
        for (int a = 0; a < ir_op_info[i->op].nargs; a++)
            c->t[i->a[a]].last_use = (int32_t)k;
    }
    if (b->term.kind == TERM_GOTO_IND || b->term.kind == TERM_BRCOND)
        c->t[b->term.temp].last_use = (int32_t)b->n;
    for (uint32_t k = 0; c->exit_fuse && k < b->n; k++) {
        if (c->exit_fuse[k] < 0) continue;
        const struct ir_insn *i = &b->insns[c->exit_fuse[k]];
        for (int a = 0; a < ir_op_info[i->op].nargs; a++)
            if (c->t[i->a[a]].last_use < (int32_t)k) c->t[i->a[a]].last_use = (int32_t)k;
    }
    if (c->term_fuse >= 0) {
        const struct ir_insn *i = &b->insns[c->term_fuse];
        for (int a = 0; a < ir_op_info[i->op].nargs; a++)
            c->t[i->a[a]].last_use = (int32_t)b->n;
    }
    memset(c->own, 0, sizeof c->own);
    memset(c->checked, 0, sizeof c->checked);
    for (unsigned g = 0; g < 32; g++) {
        c->g[g] = (struct jit_greg){-1, false};
        if (c->loop && c->pin[g] >= 0) {
            /* Pinned (loop.c): loaded by the loop entry, written back at
             * every exit; a written one may differ from cpu->x[g] at any
             * point of a later iteration, so it is dirty throughout. */
            c->g[g] = (struct jit_greg){c->pin[g], (c->loop_written >> g & 1) != 0};
            c->own[c->pin[g]] = (struct jit_owner){OWN_GUEST, (uint16_t)g};
        }
    }
    c->locked = 0;
    c->nfree_slots = c->next_slot = 0;
}

void ra_fini(struct jit_ctx *c) {
    free(c->t);
    free(c->free_slots);
}

static int slot_alloc(struct jit_ctx *c) {
    if (c->nfree_slots) return c->free_slots[--c->nfree_slots];
    if (c->next_slot >= JIT_SLOTS) {
        c->fail = true;
        return 0;
    }
    return (int)c->next_slot++;
}

static void evict(struct jit_ctx *c, int r) {
    struct jit_owner *o = &c->own[r];
    if (o->kind == OWN_TEMP) {
        struct jit_tval *v = &c->t[o->id];
        if (!v->is_const && v->slot < 0) {
            v->slot = (int16_t)slot_alloc(c);
            x86_store(c->buf, 64, slot_mem(v->slot), r);
        }
        v->reg = -1;
    } else if (o->kind == OWN_GUEST) {
        struct jit_greg *g = &c->g[o->id];
        if (g->dirty) x86_store(c->buf, 64, ra_xmem(o->id), r);
        g->reg = -1;
        g->dirty = false;
    }
    o->kind = OWN_FREE;
}

/* A free, unlocked pool register; evicts the cheapest value if needed:
 * a clean guest register or a temp with a valid copy first, then the
 * temp used furthest ahead, then a dirty guest register. */
static int alloc_reg(struct jit_ctx *c) {
    int best = -1;
    long best_score = -1;
    for (int k = 0; k < NPOOL; k++) {
        int r = pool[k];
        if ((c->locked | c->pinned_host) & (1u << r)) continue;
        const struct jit_owner *o = &c->own[r];
        long score;
        if (o->kind == OWN_FREE) return r;
        if (o->kind == OWN_GUEST)
            /* In a loop, an unpinned dirty register costs one store that
             * the back edge would make anyway (a temp spill: two; switch
             * SHOAL_JIT_DISABLE=induct, loop.c). */
            score = !c->g[o->id].dirty                               ? 1L << 40
                    : c->loop && c->loop_induct && c->pin[o->id] < 0 ? 1L << 39
                                                                     : 0;
        else {
            const struct jit_tval *v = &c->t[o->id];
            score = (v->is_const || v->slot >= 0) ? 1L << 40 : 1 + v->last_use;
        }
        if (score > best_score) {
            best_score = score;
            best = r;
        }
    }
    SHOAL_ASSERT(best >= 0); /* at most 4 registers are locked by one insn */
    evict(c, best);
    return best;
}

static void lock(struct jit_ctx *c, int r) {
    c->locked |= (uint16_t)(1u << r);
}

void ra_take(struct jit_ctx *c, int r) {
    SHOAL_ASSERT(!(c->pinned_host & (1u << r)) && !(c->locked & (1u << r)));
    evict(c, r);
    lock(c, r);
}

/* Host register caching guest register g (loaded if `load`). */
static int guest_reg(struct jit_ctx *c, unsigned g, bool load) {
    struct jit_greg *gr = &c->g[g];
    if (gr->reg < 0) {
        int r = alloc_reg(c);
        if (load) x86_load(c->buf, 64, r, ra_xmem(g));
        gr->reg = (int8_t)r;
        gr->dirty = false;
        c->own[r] = (struct jit_owner){OWN_GUEST, (uint16_t)g};
    }
    lock(c, gr->reg);
    return gr->reg;
}

int ra_reg(struct jit_ctx *c, ir_temp t) {
    struct jit_tval *v = &c->t[t];
    if (v->alias >= 0) return guest_reg(c, (unsigned)v->alias, true);
    if (v->reg < 0) {
        int r = alloc_reg(c);
        if (v->is_const)
            x86_mov_ri(c->buf, r, v->c);
        else
            x86_load(c->buf, 64, r, slot_mem(v->slot));
        v->reg = (int8_t)r;
        c->own[r] = (struct jit_owner){OWN_TEMP, t};
    }
    lock(c, v->reg);
    return v->reg;
}

bool ra_imm32(struct jit_ctx *c, ir_temp t, int32_t *imm) {
    const struct jit_tval *v = &c->t[t];
    if (!v->is_const || (int64_t)v->c != (int32_t)v->c) return false;
    *imm = (int32_t)v->c;
    return true;
}

int ra_def(struct jit_ctx *c, ir_temp t, int reuse) {
    struct jit_tval *d = &c->t[t];
    int r = -1;
    if (reuse > 0 && c->regalloc) {
        struct jit_tval *u = &c->t[reuse];
        if (u->alias < 0 && u->reg >= 0 && u->last_use == (int32_t)c->cur && reuse != t) {
            r = u->reg;
            u->reg = -1;
        }
    }
    if (r < 0) r = alloc_reg(c);
    d->reg = (int8_t)r;
    d->is_const = false;
    c->own[r] = (struct jit_owner){OWN_TEMP, t};
    lock(c, r);
    return r;
}

static void release(struct jit_ctx *c, ir_temp t) {
    struct jit_tval *v = &c->t[t];
    if (t == IR_ZERO) return;
    if (v->reg >= 0 && c->own[v->reg].kind == OWN_TEMP && c->own[v->reg].id == t)
        c->own[v->reg].kind = OWN_FREE;
    v->reg = -1;
    if (v->slot >= 0) c->free_slots[c->nfree_slots++] = v->slot;
    v->slot = -1;
}

void ra_end_insn(struct jit_ctx *c, const struct ir_insn *i) {
    const struct ir_op_info *info = &ir_op_info[i->op];
    for (int a = 0; a < info->nargs; a++) {
        ir_temp t = i->a[a];
        if (c->t[t].last_use <= (int32_t)c->cur) release(c, t);
    }
    if (info->has_dst) {
        struct jit_tval *d = &c->t[i->dst];
        if (d->last_use < 0)
            release(c, i->dst);
        else if (!c->regalloc && d->reg >= 0)
            evict(c, d->reg); /* naive: every value goes through memory */
    }
    c->locked = 0;
}

void ra_getx(struct jit_ctx *c, const struct ir_insn *i) {
    struct jit_tval *d = &c->t[i->dst];
    unsigned g = (unsigned)i->imm;
    if (d->last_use < 0) return;
    if (c->regalloc && alias_ok(c->b, c->cur, g, d->last_use)) {
        d->alias = (int8_t)g;
        return;
    }
    if (c->regalloc) {
        int s = guest_reg(c, g, true);
        int r = ra_def(c, i->dst, -1);
        x86_mov_rr(c->buf, true, r, s);
    } else {
        int r = ra_def(c, i->dst, -1);
        x86_load(c->buf, 64, r, ra_xmem(g));
    }
}

void ra_setx(struct jit_ctx *c, unsigned g, ir_temp a) {
    struct jit_tval *v = &c->t[a];
    if (!c->regalloc) {
        int32_t imm;
        if (ra_imm32(c, a, &imm))
            x86_store_i32(c->buf, 64, ra_xmem(g), imm);
        else
            x86_store(c->buf, 64, ra_xmem(g), ra_reg(c, a));
        return;
    }
    if (v->alias == (int8_t)g) return;
    c->checked[g] = 0;
    if (v->is_const) {
        int r = guest_reg(c, g, false);
        x86_mov_ri(c->buf, r, v->c);
    } else if (v->alias < 0 && v->last_use == (int32_t)c->cur && (v->reg >= 0 || v->slot >= 0)) {
        /* The temp dies here: its register becomes x[g]'s. A pinned
         * register moves too (its pin stays unallocated, and the loop's
         * back edge moves it home: loop.c). */
        int s = ra_reg(c, a);
        struct jit_greg *gr = &c->g[g];
        if (gr->reg >= 0 && gr->reg != s) c->own[gr->reg].kind = OWN_FREE;
        v->reg = -1;
        gr->reg = (int8_t)s;
        c->own[s] = (struct jit_owner){OWN_GUEST, (uint16_t)g};
    } else {
        int s = ra_reg(c, a);
        int r = guest_reg(c, g, false);
        x86_mov_rr(c->buf, true, r, s);
    }
    c->g[g].dirty = true;
}

/* Makes cpu->x[g] current (before LDCPU/STCPU touching it); `drop` also
 * forgets the cached copy (the field is about to be overwritten). */
void ra_guest_sync(struct jit_ctx *c, unsigned g, bool drop) {
    struct jit_greg *gr = &c->g[g];
    if (gr->reg < 0) return;
    if (gr->dirty) x86_store(c->buf, 64, ra_xmem(g), gr->reg);
    gr->dirty = false;
    /* loop_plan keeps blocks that would drop a pinned register out of loop mode. */
    SHOAL_ASSERT(!(drop && c->loop && c->pin[g] >= 0));
    if (drop) {
        c->checked[g] = 0;
        c->own[gr->reg].kind = OWN_FREE;
        gr->reg = -1;
    }
}

void ra_writeback_all(struct jit_ctx *c) {
    for (unsigned g = 0; g < 32; g++)
        ra_guest_sync(c, g, false);
}

/* Before a loop's back edge: guest registers cached only for this
 * iteration go back to cpu->x and pinned ones that moved (ra_setx) or
 * were evicted go back to their pin, as the loop head expects. Only
 * stores and moves: the host flags are left alone. */
void ra_loop_backedge(struct jit_ctx *c) {
    for (unsigned g = 0; g < 32; g++) {
        struct jit_greg *gr = &c->g[g];
        int p = c->pin[g];
        if (p < 0) {
            ra_guest_sync(c, g, false);
            continue;
        }
        if (gr->reg == p) continue;
        if (gr->reg >= 0) {
            x86_mov_rr(c->buf, true, p, gr->reg);
            c->own[gr->reg].kind = OWN_FREE;
        } else {
            x86_load(c->buf, 64, p, ra_xmem(g));
        }
        gr->reg = (int8_t)p;
        c->own[p] = (struct jit_owner){OWN_GUEST, (uint16_t)g};
    }
}

void ra_store_pc(struct jit_ctx *c) {
    if (c->pc_stored) return;
    x86_mov_ri(c->buf, RAX, c->pc);
    x86_store(c->buf, 64, x86_mem(REG_CPU, (int32_t)CPU_OFF(pc)), RAX);
    c->pc_stored = true;
}

/* Before a helper call: nothing may stay in a caller-saved register, the
 * guest state in cpu must be complete (the helper may read it, or fault
 * and need precise state), and cpu->pc must be this insn's. */
void ra_before_call(struct jit_ctx *c) {
    for (int k = 0; k < NPOOL; k++)
        if (!callee_saved(pool[k]) && c->own[pool[k]].kind != OWN_FREE) evict(c, pool[k]);
    ra_writeback_all(c);
    vr_sync_all(c, true);
    ra_store_pc(c);
    c->locked = 0;
}

/* After a helper call: it may have written any guest register. */
void ra_after_call(struct jit_ctx *c) {
    memset(c->checked, 0, sizeof c->checked);
    for (unsigned g = 0; g < 32; g++)
        ra_guest_sync(c, g, true);
}

/* Loads temp t's value into a specific host register that holds no value
 * (call arguments, scratch registers). */
void ra_load_to(struct jit_ctx *c, int host, ir_temp t) {
    const struct jit_tval *v = &c->t[t];
    if (v->alias >= 0) {
        const struct jit_greg *gr = &c->g[v->alias];
        if (gr->reg >= 0)
            x86_mov_rr(c->buf, true, host, gr->reg);
        else
            x86_load(c->buf, 64, host, ra_xmem((unsigned)v->alias));
    } else if (v->is_const) {
        x86_mov_ri(c->buf, host, v->c);
    } else if (v->reg >= 0) {
        x86_mov_rr(c->buf, true, host, v->reg);
    } else {
        x86_load(c->buf, 64, host, slot_mem(v->slot));
    }
}

/* Records the guest state at the instruction about to be emitted. */
uint32_t ra_record(struct jit_ctx *c) {
    if (c->nrecs == c->cap_recs) {
        c->cap_recs = c->cap_recs ? 2 * c->cap_recs : 64;
        c->recs = realloc(c->recs, c->cap_recs * sizeof *c->recs);
        SHOAL_ASSERT(c->recs);
    }
    struct jit_fault_rec *r = &c->recs[c->nrecs];
    memset(r, 0, sizeof *r);
    r->host_off = x86_off(c->buf) + c->block_off;
    r->pc = c->pc;
    for (unsigned g = 0; g < 32; g++)
        if (c->g[g].reg >= 0 && c->g[g].dirty) r->map[c->g[g].reg] = (uint8_t)(g + 1);
    vr_snapshot(c, r->vmap, true);
    loop_dpair_snapshot(c, r->vmap);
    r->lazy_sz = c->lazy_on ? c->lazy_sz : c->lazy_win;
    return c->nrecs++;
}
