/* Self-loops kept in registers (switch: SHOAL_JIT_DISABLE=loop).
 *
 * A block whose terminator can branch to its own start (a loop body that
 * fits one block: hash mixing, byte loops, glibc's string loops) would
 * otherwise write its dirty guest registers back and reload them on every
 * iteration: a store-forwarding round trip on each loop-carried value.
 * Here up to LOOP_MAX_PINS of its guest registers (written ones first,
 * then the most used) live in fixed host registers (pins) at the loop
 * head; within the body a written one may move to the register of the
 * temp that computed it, and the back edge moves it home:
 *
 *   exit stub:  store the written pins; return this block's pc
 *   entry stub, entry: nop5                (as every block, lower_term.c)
 *               load every pin from cpu->x
 *   head:       cmp dword [cpu + attention], 0; jne exit stub
 *               cmp byte [rip + entry], 0x0f; jne exit stub
 *               body; the back edge writes back what is not pinned and
 *               jumps to head; the other exit stores the pins and leaves.
 *
 * The second check sees jit_unlink's patch of the entry (a jmp instead of
 * the nop5): an invalidated loop stops at its next iteration, as a chained
 * self-loop does. Written pins are dirty from the start, so every fault
 * record maps them to their host register and every exit stores them.
 * Blocks with helper calls or accesses to cpu->x through LDCPU/STCPU
 * (which would need a pin dropped) are compiled the ordinary way. The
 * most used V registers stay in xmm across iterations the same way
 * (vreg.c, vr_loop_*). */
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "dbt/jit/jit_internal.h"
#include "dbt/simd/vop.h"

/* Leaves at least 4 pool registers for temps: one insn locks at most 4. */
#define LOOP_MAX_PINS 6

static const int8_t pin_pool[LOOP_MAX_PINS] = {RBX, RBP, R12, R13, RSI, RDI};

static bool self_loop(const struct ir_block *b) {
    const struct ir_term *t = &b->term;
    if (t->kind == TERM_GOTO) return t->target == b->pc;
    return t->kind == TERM_BRCOND && (t->target == b->pc || t->next == b->pc);
}

/* The guest registers whose value at the back edge is computed from their
 * own value at the head (counters, pointers stepped by the body: their
 * loop-carried chain goes through cpu->x when not pinned). A register
 * the body only reloads (memcpy's data registers) is not among them. */
static uint32_t induction_regs(const struct ir_block *b) {
    uint32_t *dep = calloc(b->ntemps ? b->ntemps : 1, sizeof *dep); /* temp -> guest regs read */
    if (!dep) return 0;
    uint32_t reg[32];
    for (unsigned g = 0; g < 32; g++)
        reg[g] = 1u << g;
    for (uint32_t k = 0; k < b->n; k++) {
        const struct ir_insn *i = &b->insns[k];
        if (i->op == IR_GETX) {
            dep[i->dst] = reg[i->imm & 31];
        } else if (i->op == IR_SETX) {
            reg[i->imm & 31] = dep[i->a[0]];
        } else if (ir_op_info[i->op].has_dst) {
            uint32_t d = 0;
            for (int a = 0; a < ir_op_info[i->op].nargs; a++)
                d |= dep[i->a[a]];
            dep[i->dst] = d;
        }
    }
    free(dep);
    uint32_t m = 0;
    for (unsigned g = 0; g < 32; g++)
        if (reg[g] >> g & 1) m |= 1u << g; /* or never written */
    return m;
}

bool loop_plan(struct jit_ctx *c, bool enabled) {
    const struct ir_block *b = c->b;
    for (unsigned g = 0; g < 32; g++)
        c->pin[g] = c->dxmm[g] = -1;
    free(c->dmark);
    c->dmark = NULL;
    c->loop = false;
    c->pinned_host = 0;
    c->loop_written = 0;
    if (!enabled || !c->regalloc || !c->chain || !self_loop(b)) return false;
    unsigned score[32] = {0};
    uint32_t written = 0;
    for (uint32_t k = 0; k < b->n; k++) {
        const struct ir_insn *i = &b->insns[k];
        if (i->op == IR_CALL) return false;
        /* cmpxchg16b takes RBX, which a pin could hold (ra_take) */
        if (i->op == IR_CASP || (i->op == IR_STX && i->sz == 128)) return false;
        if ((i->op == IR_LDCPU || i->op == IR_STCPU) && i->imm < CPU_OFF(x[32])) return false;
        if (i->op == IR_GETX) score[i->imm]++;
        if (i->op == IR_SETX) {
            score[i->imm]++;
            written |= 1u << i->imm;
        }
    }
    if (b->term.kind == TERM_GOTO_IND) return false;
    /* Most guest registers the loop uses must get a pin: with many more,
     * the rest still go through cpu->x and the 4 registers left for temps
     * spill (glibc's memcpy loop, 12 registers, ran 4 times slower; the
     * hash kernel's, 8 registers, gains). */
    unsigned used = 0;
    for (unsigned g = 0; g < 32; g++)
        used += score[g] != 0;
    uint32_t allowed = ~0u;
    if (used > LOOP_MAX_PINS + 2) {
        /* Switch SHOAL_JIT_DISABLE=induct: such loops stay ordinary
         * blocks. Otherwise only the induction registers get a pin: the
         * others (glibc memcpy's eight data registers, 11 registers in
         * all) go through cpu->x as in an ordinary block, off the
         * loop-carried chains, and 7 pool registers are left for temps
         * and the cache. */
        if (!c->loop_induct) return false;
        allowed = induction_regs(b) & written;
        if (!allowed) return false;
    }
    for (unsigned n = 0; n < LOOP_MAX_PINS; n++) {
        /* Written registers first (their loop-carried chains went through
         * memory), then by number of uses. */
        int best = -1;
        unsigned best_key = 0;
        for (unsigned g = 0; g < 32; g++) {
            unsigned key = score[g] ? score[g] + ((written >> g & 1) ? 1u << 16 : 0) : 0;
            if (c->pin[g] < 0 && (allowed >> g & 1) && key > best_key) {
                best_key = key;
                best = (int)g;
            }
        }
        if (best < 0) break;
        c->pin[best] = pin_pool[n];
        c->pinned_host |= (uint16_t)(1u << pin_pool[n]);
        if (written >> best & 1) c->loop_written |= 1u << best;
    }
    c->loop = c->pinned_host != 0;
    if (c->loop) {
        vr_loop_plan(c);
        loop_dpair_plan(c);
    }
    return c->loop;
}

/* Data pairs (switch: SHOAL_JIT_DISABLE=dpair). glibc's memcpy loop
 * (`stp x6, x7, [x3, #16]; ldp x6, x7, [x1, #16]` ... x6-x13) pins only
 * its induction registers; the data registers went through cpu->x: 8
 * stores after the LDPs and 8 loads for the next iteration's STPs. Two
 * unpinned registers g, g + 1 that the loop uses only as an LDP's
 * destinations (LD, LD at +8, SETX g + 1, SETX g) and an STP's sources
 * (ST of GETX g, ST at +8 of GETX g + 1) live in one xmm across the back
 * edge (low, high): each LDP is one movdqu, each STP a movq and a movhps,
 * under the first access's pair check (lower_mem.c). Written by the load
 * itself: nothing that can fault lies between it and the SETXs, so every
 * fault record, side exit, bounds stub and loop exit sees x[g], x[g + 1]
 * in the xmm (JIT_VMAP_XPAIR in vmap). Only in loops without V
 * registers, which would want xmm6-xmm15 (vreg.c). */

/* The insn before k defining temp t, or -1 (def: temp -> its insn). */
static int32_t def_of(const int32_t *def, uint32_t k, ir_temp t) {
    return def[t] < (int32_t)k ? def[t] : -1;
}

/* Whether insn n's address is insn f's + 8 (the frontend's ADD). */
static bool at_plus8(const struct ir_block *b, const int32_t *def, uint32_t n) {
    int32_t d = def_of(def, n, b->insns[n].a[0]);
    if (d < 0 || b->insns[d].op != IR_ADD || b->insns[d].sz != 64) return false;
    int32_t k = def_of(def, (uint32_t)d, b->insns[d].a[1]);
    return k >= 0 && b->insns[k].op == IR_CONST && b->insns[k].imm == 8;
}

/* The register of the GETX defining t (whose only use is the store at
 * k), or -1; also when the register is written in between (the store
 * would store the old value, the xmm holds the new one). */
static int getx_reg(const struct ir_block *b, const int32_t *def, uint32_t k, ir_temp t,
                    const uint32_t *uses) {
    int32_t d = def_of(def, k, t);
    if (d < 0 || b->insns[d].op != IR_GETX || uses[t] != 1) return -1;
    for (uint32_t j = (uint32_t)d + 1; j < k; j++)
        if (b->insns[j].op == IR_SETX && b->insns[j].imm == b->insns[d].imm) return -1;
    return (int)b->insns[d].imm;
}

static bool same_addr(const struct ir_block *b, const int32_t *def, uint32_t first,
                      uint32_t second) {
    int32_t d = def_of(def, second, b->insns[second].a[0]);
    return d >= 0 && b->insns[d].a[0] == b->insns[first].a[0] && at_plus8(b, def, second);
}

void loop_dpair_plan(struct jit_ctx *c) {
    const struct ir_block *b = c->b;
    if (!c->dpair || !c->pairchk || !c->fast_bounds || !c->regalloc || !b->n) return;
    bool pair = false; /* two 64-bit loads or stores in a row: maybe an LDP/STP */
    for (uint32_t k = 0; k < b->n; k++) {
        const struct ir_insn *i = &b->insns[k];
        if (i->op == IR_LDV || i->op == IR_STV || i->op == IR_VOP) return;
        if (k && (i->op == IR_LD || i->op == IR_ST) && i->sz == 64 &&
            ((b->insns[k - 1].op == i->op && b->insns[k - 1].sz == 64) ||
             b->insns[k - 1].op == IR_GETX))
            pair = true;
        if ((i->op == IR_LDCPU || i->op == IR_STCPU) && i->imm < CPU_VOFF(32) &&
            i->imm + i->sz / 8 > CPU_VOFF(0))
            return;
    }
    if (!pair) return;
    uint32_t nt = b->ntemps ? b->ntemps : 1;
    uint32_t *uses = calloc(nt, sizeof *uses);
    int32_t *def = malloc(nt * sizeof *def);
    uint8_t *m = calloc(b->n, 1);
    int8_t *owner = malloc(b->n); /* the pair (g) whose pattern insn k is part of */
    SHOAL_ASSERT(uses && def && m && owner);
    memset(owner, -1, b->n);
    for (uint32_t t = 0; t < nt; t++)
        def[t] = INT32_MAX;
    for (uint32_t k = 0; k < b->n; k++) {
        const struct ir_insn *i = &b->insns[k];
        for (int a = 0; a < ir_op_info[i->op].nargs; a++)
            uses[i->a[a]]++;
        if (ir_op_info[i->op].has_dst) def[i->dst] = (int32_t)k;
    }
    if (b->term.kind == TERM_BRCOND || b->term.kind == TERM_GOTO_IND) uses[b->term.temp]++;
    for (uint32_t k = 0; k + 1 < b->n; k++) {
        const struct ir_insn *i = &b->insns[k];
        if (i->sz != 64 || m[k]) continue;
        if (i->op == IR_LD && k + 3 < b->n) {
            /* LDP: LD t1, [a]; LD t2, [a + 8]; SETX g + 1, t2; SETX g, t1 */
            const struct ir_insn *l2 = &b->insns[k + 1], *s2 = &b->insns[k + 2],
                                 *s1 = &b->insns[k + 3];
            if (l2->op != IR_LD || l2->sz != 64 || s2->op != IR_SETX || s1->op != IR_SETX ||
                s2->a[0] != l2->dst || s1->a[0] != i->dst || s2->imm != s1->imm + 1 ||
                s1->imm >= 30 || uses[i->dst] != 1 || uses[l2->dst] != 1 ||
                !same_addr(b, def, k, k + 1))
                continue;
            if (c->pin[s1->imm] >= 0 || c->pin[s2->imm] >= 0) continue;
            m[k] = 1;
            m[k + 1] = m[k + 2] = m[k + 3] = 2;
            for (uint32_t j = k; j < k + 4; j++)
                owner[j] = (int8_t)s1->imm;
            k += 3;
        } else if (i->op == IR_ST) {
            /* STP: ST [a], GETX g; ST [a + 8], GETX g + 1 (register reads between) */
            int g = getx_reg(b, def, k, i->a[1], uses);
            if (g < 0 || g >= 30 || c->pin[g] >= 0 || c->pin[g + 1] >= 0) continue;
            uint32_t n = k + 1;
            while (n < b->n && n <= k + 4 &&
                   (b->insns[n].op == IR_GETX || b->insns[n].op == IR_CONST))
                n++;
            if (n >= b->n || n > k + 4) continue;
            const struct ir_insn *s = &b->insns[n];
            if (s->op != IR_ST || s->sz != 64 || getx_reg(b, def, n, s->a[1], uses) != g + 1 ||
                !same_addr(b, def, k, n))
                continue;
            m[k] = 1;
            m[n] = 2;
            owner[k] = owner[n] = (int8_t)g;
            owner[def[i->a[1]]] = owner[def[s->a[1]]] = (int8_t)g;
            m[def[i->a[1]]] = m[def[s->a[1]]] = 2;
        }
    }
    /* A pair qualifies if every GETX/SETX of both registers is in one of
     * its patterns. */
    uint32_t ok = 0;
    for (uint32_t k = 0; k < b->n; k++)
        if (m[k] == 1) ok |= 1u << owner[k];
    for (uint32_t k = 0; k < b->n; k++) {
        const struct ir_insn *i = &b->insns[k];
        if (i->op != IR_GETX && i->op != IR_SETX) continue;
        unsigned r = (unsigned)i->imm & 31;
        for (unsigned g = r > 0 ? r - 1 : 0; g <= r; g++)
            if ((ok >> g & 1) && owner[k] != (int8_t)g) ok &= ~(1u << g);
    }
    int x = 6; /* xmm6-xmm15, free without V registers */
    bool any = false;
    for (unsigned g = 0; g < 30; g++) {
        if (!(ok >> g & 1)) continue;
        if (x > 15 || (ok >> (g + 1) & 1)) { /* overlapping pairs: neither */
            ok &= ~(3u << g);
            continue;
        }
        c->dxmm[g] = (int8_t)x++;
        any = true;
    }
    for (uint32_t k = 0; k < b->n; k++)
        if (m[k] && !(owner[k] >= 0 && c->dxmm[owner[k]] >= 0)) m[k] = 0;
    free(uses);
    free(def);
    free(owner);
    if (any)
        c->dmark = m;
    else
        free(m);
}

/* After ra_init: the second accesses' address ADDs that nothing else
 * reads are dead (the first access covers both halves). */
void loop_dpair_uses(struct jit_ctx *c) {
    const struct ir_block *b = c->b;
    if (!c->dmark) return;
    for (uint32_t k = 0; k < b->n; k++) {
        const struct ir_insn *i = &b->insns[k];
        if (c->dmark[k] != 2 || (i->op != IR_LD && i->op != IR_ST)) continue;
        struct jit_tval *a = &c->t[i->a[0]];
        if (a->last_use == (int32_t)k) {
            bool other = false;
            for (uint32_t j = 0; j < b->n && !other; j++)
                for (int n = 0; n < ir_op_info[b->insns[j].op].nargs; n++)
                    if (j != k && b->insns[j].a[n] == i->a[0]) other = true;
            if (!other && !((b->term.kind == TERM_BRCOND || b->term.kind == TERM_GOTO_IND) &&
                            b->term.temp == i->a[0]))
                a->last_use = -1;
        }
    }
}

void loop_dpair_snapshot(const struct jit_ctx *c, uint8_t vmap[16]) {
    if (!c->loop || !c->dmark) return;
    for (unsigned g = 0; g < 30; g++)
        if (c->dxmm[g] >= 0) vmap[c->dxmm[g]] = (uint8_t)(JIT_VMAP_XPAIR | g);
}

void loop_dpair_stores(struct jit_ctx *c) {
    uint8_t map[16] = {0};
    loop_dpair_snapshot(c, map);
    vr_emit_stores(c->buf, map);
}

void loop_exit_stub(struct jit_ctx *c) {
    struct x86_buf *b = c->buf;
    c->loop_exit = x86_off(b);
    if (c->lazy_on) loop_lazy_emit(b, c->lazy_sz);
    for (unsigned g = 0; g < 32; g++)
        if (c->loop_written >> g & 1) x86_store(b, 64, ra_xmem(g), c->pin[g]);
    vr_loop_exit(c);
    loop_dpair_stores(c);
    x86_mov_ri(b, RAX, c->b->pc);
    x86_alu_rr(b, ALU_XOR, false, RDX, RDX);
    uint32_t f = x86_jmp32(b);
    x86_patch_rel32(b, f, c->epilogue_off);
}

void loop_entry(struct jit_ctx *c) {
    struct x86_buf *b = c->buf;
    for (unsigned g = 0; g < 32; g++)
        if (c->pin[g] >= 0) x86_load(b, 64, c->pin[g], ra_xmem(g));
    vr_loop_entry(c);
    for (unsigned g = 0; g < 30; g++)
        if (c->dmark && c->dxmm[g] >= 0) x86_movdqu_load(b, c->dxmm[g], ra_xmem(g));
    if (c->fpcr_hoisted) {
        /* FPCR gate of the whole pinned loop (switch headgate): with
         * peeling, a non-default FPCR leaves here and the peeled
         * iteration, whose FP ops keep their gates, runs each iteration
         * (slowly, but exactly); the loop's FP ops test nothing. */
        lower_fpcr_test(c);
        x86_patch_rel32(b, x86_jcc32(b, CC_NE), c->loop_exit);
    }
    c->loop_head = x86_off(b);
    x86_alu_mi(b, ALU_CMP, false, x86_mem(REG_CPU, (int32_t)CPU_OFF(attention)), 0);
    x86_patch_rel32(b, x86_jcc32(b, CC_NE), c->loop_exit);
    x86_cmpb_rip_i8(b, c->entry_off, 0x0f); /* still the nop5, not jit_unlink's jmp */
    x86_patch_rel32(b, x86_jcc32(b, CC_NE), c->loop_exit);
    if (c->count_insns)
        x86_alu_mi(b, ALU_ADD, true, x86_mem(REG_CPU, (int32_t)CPU_OFF(icount)),
                   (int32_t)c->b->guest_insns);
}

/* The terminator: the back edge keeps the pins, the exit stores them. */
void loop_term(struct jit_ctx *c) {
    struct x86_buf *b = c->buf;
    const struct ir_term *t = &c->b->term;
    uint64_t pc = c->b->pc;
    /* The head expects the planned V registers in their xmm (vreg.c),
     * unpinned registers in cpu->x and pinned ones in their pins; these
     * stores and moves leave the host flags alone. */
    ra_loop_backedge(c);
    vr_loop_backedge(c);
    const struct jit_tval *v = &c->t[t->temp];
    bool always = t->kind == TERM_GOTO || (t->target == pc && t->next == pc) ||
                  (v->is_const && (v->c ? t->target : t->next) == pc);
    if (always) {
        x86_patch_rel32(b, x86_jmp32(b), c->loop_head);
        return;
    }
    uint64_t other;
    if (v->is_const) {
        other = v->c ? t->target : t->next;
    } else {
        enum x86_cc cc;
        if (c->term_fuse >= 0) {
            cc = (enum x86_cc)lower_cond_flags(c, &c->b->insns[c->term_fuse]);
        } else {
            ra_load_to(c, RCX, t->temp);
            x86_test_rr(b, true, RCX, RCX);
            cc = CC_NE;
        }
        if (t->target != pc) cc = (enum x86_cc)(cc ^ 1);
        x86_patch_rel32(b, x86_jcc32(b, cc), c->loop_head);
        other = t->target == pc ? t->next : t->target;
    }
    vr_sync_all(c, false);
    ra_writeback_all(c);
    loop_dpair_stores(c);
    if (c->lazy_on) loop_lazy_emit(b, c->lazy_sz);
    lower_exit_to(c, other);
}

/* Peeling (switch: SHOAL_JIT_DISABLE=peel). The first iteration is
 * lowered as an ordinary block (registers cached on first use, only the
 * dirty ones stored at an exit); where it would go back to its own start,
 * everything is written back already (lower_term) and it jumps to the
 * pinned loop, compiled after it, which loads the pins and runs the
 * remaining iterations:
 *
 *   entry stub, entry: nop5; attention check; first iteration
 *                      (back edge: jmp loop entry)
 *   loop exit stub; loop entry: load pins; head; body (as above)
 *
 * A dispatch loop (the bytecode kernel's switch: one case loops back, the
 * others leave by side exits) mostly runs one iteration per entry and so
 * no longer pays the pin loads and stores; a counted loop pays one extra
 * unpinned iteration. The loop head checks the block's own entry for
 * unlinking, as without peeling. */
bool loop_peel_jump(struct jit_ctx *c, uint64_t target) {
    if (!c->peel || target != c->b->pc) return false;
    SHOAL_ASSERT(c->npeel < sizeof c->peel_jmp / sizeof c->peel_jmp[0]);
    c->peel_jmp[c->npeel++] = x86_jmp32(c->buf);
    return true;
}

/* Whether FPCR holds still while the pinned loop runs: no STCPU writes
 * it (MSR FPCR), and the loop has no helper call (loop_plan); FP data
 * instructions and their helpers only read it. */
static bool fpcr_stable(const struct ir_block *b) {
    bool fp = false;
    for (uint32_t k = 0; k < b->n; k++) {
        const struct ir_insn *i = &b->insns[k];
        if (i->op == IR_VOP) fp = true;
        if (i->op == IR_STCPU && i->imm < CPU_OFF(fpcr) + 4 && i->imm + i->sz / 8 > CPU_OFF(fpcr))
            return false;
    }
    return fp;
}

/* The back edges lowered so far (peel_jmp) go to the pinned loop's
 * entry at buffer offset `entry`: this block's, or for a receiving body
 * compiled later (nzchain.c) the one compiled with the block. */
void loop_peel_link(struct jit_ctx *c, uint32_t entry) {
    for (unsigned k = 0; k < c->npeel; k++)
        x86_patch_rel32(c->buf, c->peel_jmp[k], entry);
}

void loop_peeled_entry(struct jit_ctx *c) {
    c->lazy_on = c->lazy_loop = c->lazy_sz != 0;
    c->fpcr_hoisted = c->headgate && fpcr_stable(c->b);
    loop_exit_stub(c);
    c->peel_entry = x86_off(c->buf);
    loop_peel_link(c, c->peel_entry);
    loop_entry(c);
}

/* Lazy loop flags (switch: SHOAL_JIT_DISABLE=lazycmp). A loop's compare
 * and branch at its end (`cmp x0, x19; b.le`) stores NZCV on every
 * iteration although the next iteration overwrites it: a memory access
 * in between could fault, and a fault must see exact flags (opt_flags.c
 * keeps the store). Packing costs 8 instructions per iteration (the
 * sieve and hash kernels' loops are 20 and 40). With peeling, when the
 * block's only NZCV store is of a FLAGS_SUB used by nothing else, no
 * helper or VOP runs and nothing loads NZCV: both copies save the
 * compare's operands in two frame slots (JIT_LAZY_SLOT, two stores); the
 * peeled first iteration also stores the flags as usual, the pinned loop
 * does not, and all its exits (side exits, loop exit, head exit), bounds
 * stubs and fault records (jit_fault_map) compute cpu->nzcv from the
 * slots. The slots always hold the operands of the last compare run
 * (the peeled iteration's, before the loop's own): the state is exact
 * wherever it is observed. A side exit with lazy flags of its own (sz
 * 32: opt_flags.c) stores those instead. */
void loop_lazy_plan(struct jit_ctx *c) {
    const struct ir_block *b = c->b;
    c->lazy_sz = 0;
    c->lazy_def = c->lazy_store = -1;
    if ((c->features & (JIT_F_BMI2 | JIT_F_LAHF)) != (JIT_F_BMI2 | JIT_F_LAHF)) return;
    int32_t store = -1, fcmp = -1, last = -1; /* the first FCMP, the last FCMP or NZCV load */
    for (uint32_t k = 0; k < b->n; k++) {
        const struct ir_insn *i = &b->insns[k];
        if (i->op == IR_CALL) return;
        if (i->op == IR_VOP) {
            /* Helpers may read NZCV (FCSEL, FCCMP); the inline kinds do
             * not, and FCMP only writes it. */
            enum vop_kind kind = VOP_KIND(i->imm);
            if (kind == VK_HELPER || !c->lazy_fcmp) return;
            if (kind == VK_FCMP) {
                if (fcmp < 0) fcmp = (int32_t)k;
                last = (int32_t)k;
            }
        }
        if ((i->op == IR_LDCPU || i->op == IR_STCPU) && i->imm < CPU_OFF(nzcv) + 4 &&
            i->imm + i->sz / 8 > CPU_OFF(nzcv)) {
            if (i->op == IR_LDCPU) {
                /* only where an FCMP has made cpu->nzcv exact */
                if (fcmp < 0) return;
                last = (int32_t)k;
                continue;
            }
            if (store >= 0 || i->imm != CPU_OFF(nzcv) || i->sz != 32) return;
            store = (int32_t)k;
        }
    }
    if (store < 0) return;
    ir_temp f = b->insns[store].a[0];
    int32_t def = -1;
    unsigned uses = 0;
    for (uint32_t k = 0; k < b->n; k++) {
        const struct ir_insn *i = &b->insns[k];
        for (int a = 0; a < ir_op_info[i->op].nargs; a++)
            uses += i->a[a] == f;
        if (ir_op_info[i->op].has_dst && i->dst == f) def = (int32_t)k;
    }
    if ((b->term.kind == TERM_GOTO_IND || b->term.kind == TERM_BRCOND) && b->term.temp == f) uses++;
    if (def < 0 || def > store || uses != 1 || b->insns[def].op != IR_FLAGS_SUB) return;
    if (last > def) return; /* an FCMP or NZCV load after the compare: not lazy there */
    c->lazy_def = def;
    c->lazy_store = store;
    c->lazy_sz = b->insns[def].sz == 64 ? 64 : 32;
}

/* Lowers insn c->cur if lazy loop flags change it: the FLAGS_SUB saves
 * its operands (and is lowered as usual in the peeled iteration); in the
 * pinned loop it and the NZCV store are not lowered. True: skip it. */
bool loop_lazy_insn(struct jit_ctx *c, const struct ir_insn *i) {
    int32_t k = (int32_t)c->cur;
    if (k == c->lazy_def) {
        loop_lazy_save(c, i);
        c->lazy_on = c->lazy_loop; /* the slots hold the flags from here */
        return c->lazy_loop;
    }
    return c->lazy_loop && k == c->lazy_store;
}

/* The operands of FLAGS_SUB i to JIT_LAZY_SLOT (two stores). */
void loop_lazy_save(struct jit_ctx *c, const struct ir_insn *i) {
    struct x86_buf *b = c->buf;
    int32_t imm;
    x86_store(b, 64, x86_mem(RSP, JIT_LAZY_SLOT), ra_reg(c, i->a[0]));
    if (ra_imm32(c, i->a[1], &imm))
        x86_store_i32(b, 64, x86_mem(RSP, JIT_LAZY_SLOT + 8), imm);
    else
        x86_store(b, 64, x86_mem(RSP, JIT_LAZY_SLOT + 8), ra_reg(c, i->a[1]));
}

/* cpu->nzcv = NZCV of a - b from the slots (exit and bounds stubs).
 * Clobbers RAX, RCX, RDX and the flags. */
void loop_lazy_emit(struct x86_buf *b, unsigned sz) {
    x86_load(b, 64, RAX, x86_mem(RSP, JIT_LAZY_SLOT));
    x86_alu_rm(b, ALU_CMP, sz == 64, RAX, x86_mem(RSP, JIT_LAZY_SLOT + 8));
    jit_pack_sub_nzcv(b, RDX);
    x86_store(b, 32, x86_mem(REG_CPU, (int32_t)CPU_OFF(nzcv)), RDX);
}

/* The same in C, for jit_fault_map. */
uint32_t loop_nzcv_sub(uint64_t a, uint64_t b, unsigned sz) {
    uint64_t m = sz == 64 ? ~0ull : 0xffffffffull, top = 1ull << (sz - 1);
    a &= m;
    b &= m;
    uint64_t r = (a - b) & m;
    uint32_t n = (r & top) != 0, z = r == 0, cf = a >= b, v = ((a ^ b) & (a ^ r) & top) != 0;
    return n << 31 | z << 30 | cf << 29 | v << 28;
}
