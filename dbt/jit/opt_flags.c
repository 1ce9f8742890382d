/* NZCV optimisation of one block before lowering (switch:
 * SHOAL_JIT_DISABLE=flags). The frontend writes every flag result to
 * cpu->nzcv (STCPU) and reads it back for every condition (LDCPU + COND),
 * so a compare and branch packs four host flags into the Arm layout,
 * stores them, reloads them and unpacks one condition. This pass
 *  - forwards the last value stored to nzcv in the block to later loads
 *    of it (no store-to-load round trip);
 *  - rewrites FLAGS_ADC of a subtraction (a + ~b + 1) into FLAGS_SUB
 *    (a - b: the JIT packs the flags of one cmp, no NOT or carry set-up);
 *  - rewrites COND of a flag value computed in the block into CONDSUB /
 *    CONDADD (dbt/ir_ops.def), which the JIT lowers to cmp/add + setcc
 *    (or, as the block's branch condition, to cmp + jcc: lower_term.c);
 *  - drops a store to nzcv that a later one overwrites when nothing in
 *    between can observe it: no load of nzcv left, no helper or VOP (they
 *    may read it), no memory access (a fault must see precise flags);
 *  - a side exit (EXITC) between such a store and the one that overwrites
 *    it does not keep the store alive (switch: SHOAL_JIT_DISABLE=lazyexit):
 *    the exit becomes lazy (sz 32, a[2] = the flags value) and stores the
 *    flags itself when taken, so the fall-through path neither packs nor
 *    stores them (the JIT's stub packs its cmp's host flags: jit.c,
 *    find_lazy). A memory access or helper in between still keeps the
 *    store, so faults keep seeing precise flags;
 *  - with fault_lazy (switch: SHOAL_JIT_DISABLE=lazycmp), a store that
 *    only memory accesses observe before it is overwritten is kept, its
 *    side exits become lazy all the same, and it and those accesses are
 *    marked (FL_STORE, FL_ACCESS): the JIT may then save the compare's
 *    operands instead of packing the flags and have the accesses' faults
 *    compute them (jit.c, find_fault_lazy).
 * Flag computations left without a use are then dropped by the driver
 * like any dead pure op. The rewritten block means exactly what the
 * original means, which tests/jitdiff checks against the interpreter. */
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "dbt/jit/jit_internal.h"

static bool touches_nzcv(const struct ir_insn *i) {
    return i->imm < CPU_OFF(nzcv) + 4 && i->imm + i->sz / 8 > CPU_OFF(nzcv);
}
static bool exact_nzcv(const struct ir_insn *i) {
    return i->imm == CPU_OFF(nzcv) && i->sz == 32;
}

struct pass {
    struct ir_insn *out;
    uint32_t n;
    int32_t *def; /* temp -> index in out of its definition, -1 */
    ir_temp *ren; /* temp -> replacement */
    uint32_t ntemps;
};

static uint32_t append(struct pass *p, const struct ir_insn *i) {
    p->out[p->n] = *i;
    if (ir_op_info[i->op].has_dst) p->def[i->dst] = (int32_t)p->n;
    return p->n++;
}

static const struct ir_insn *def_of(const struct pass *p, ir_temp t) {
    return t != IR_ZERO && p->def[t] >= 0 ? &p->out[p->def[t]] : NULL;
}

static bool const_of(const struct pass *p, ir_temp t, uint64_t *v) {
    const struct ir_insn *d = def_of(p, t);
    if (t == IR_ZERO) {
        *v = 0;
        return true;
    }
    if (!d || d->op != IR_CONST) return false;
    *v = d->imm;
    return true;
}

static ir_temp new_const(struct pass *p, uint64_t v) {
    if (v == 0) return IR_ZERO;
    struct ir_insn k = {.op = IR_CONST, .sz = 64, .dst = (uint16_t)p->ntemps++, .imm = v};
    append(p, &k);
    return k.dst;
}

/* a + ~b + 1 is the subtraction a - b when the addend is a complement
 * (NOT, or a constant) we can undo: b, or -1 if not. */
static int64_t sub_operand(struct pass *p, const struct ir_insn *fa) {
    uint64_t cin, k;
    if (fa->op != IR_FLAGS_ADC || !const_of(p, fa->a[2], &cin) || !(cin & 1)) return -1;
    const struct ir_insn *nb = def_of(p, fa->a[1]);
    if (nb && nb->op == IR_NOT && (nb->sz == 64 || fa->sz == 32)) return nb->a[0];
    if (const_of(p, fa->a[1], &k)) return new_const(p, ~k);
    return -1;
}

/* COND (cc < 14) of flags temp f: the fused form, or false. */
static bool fuse_cond(struct pass *p, struct ir_insn *x) {
    const struct ir_insn *f = def_of(p, x->a[0]);
    unsigned cc = (unsigned)x->imm & 15;
    if (!f || cc >= 14) return false;
    if (f->op == IR_FLAGS_NZ) {
        /* N, Z of a; C = V = 0: the flags of a + 0 + 0. */
        *x = (struct ir_insn){.op = IR_CONDADD,
                              .sz = f->sz,
                              .dst = x->dst,
                              .imm = cc,
                              .a = {f->a[0], IR_ZERO, IR_ZERO}};
        return true;
    }
    if (f->op == IR_FLAGS_SUB) {
        *x = (struct ir_insn){
            .op = IR_CONDSUB, .sz = f->sz, .dst = x->dst, .imm = cc, .a = {f->a[0], f->a[1]}};
        return true;
    }
    if (f->op != IR_FLAGS_ADC) return false;
    struct ir_insn fa = *f; /* new_const may move nothing, but keep a copy */
    int64_t b = sub_operand(p, &fa);
    if (b >= 0) {
        *x = (struct ir_insn){
            .op = IR_CONDSUB, .sz = fa.sz, .dst = x->dst, .imm = cc, .a = {fa.a[0], (ir_temp)b}};
        return true;
    }
    *x = (struct ir_insn){
        .op = IR_CONDADD, .sz = fa.sz, .dst = x->dst, .imm = cc, .a = {fa.a[0], fa.a[1], fa.a[2]}};
    return true;
}

void jit_opt_flags(const struct ir_block *b, struct ir_block *out, bool lazy_exits,
                   uint8_t **fault_lazy, bool to_end) {
    *out = *b;
    struct pass p = {.ntemps = b->ntemps};
    /* Each insn yields at most two (a constant and a fused COND or FLAGS_SUB). */
    p.out = malloc((2 * (size_t)b->n + 1) * sizeof *p.out);
    uint32_t cap_t = b->ntemps + b->n + 1;
    p.def = malloc(cap_t * sizeof *p.def);
    p.ren = malloc(cap_t * sizeof *p.ren);
    bool *dead = calloc(2 * (size_t)b->n + 1, sizeof *dead);
    /* out indices of side exits since the pending store: made lazy if a
     * later store drops it */
    uint32_t *exits = malloc(((size_t)b->n + 1) * sizeof *exits), nexits = 0;
    SHOAL_ASSERT(p.out && p.def && p.ren && dead && exits);
    for (uint32_t t = 0; t < cap_t; t++) {
        p.def[t] = -1;
        p.ren[t] = (ir_temp)t;
    }
    int32_t pending = -1; /* index of an nzcv store nothing has observed yet */
    bool faulted = false; /* only memory accesses (their faults) observed it */
    uint8_t *fl = NULL;   /* fault_lazy marks, in out indices */
    bool known = false;   /* nz holds the value of cpu->nzcv */
    ir_temp nz = 0;
    for (uint32_t k = 0; k < b->n; k++) {
        struct ir_insn x = b->insns[k];
        const struct ir_op_info *info = &ir_op_info[x.op];
        for (int a = 0; a < info->nargs; a++)
            x.a[a] = p.ren[x.a[a]];
        switch ((enum ir_opcode)x.op) {
        case IR_LDCPU:
            if (!touches_nzcv(&x)) break;
            if (exact_nzcv(&x) && known) {
                const struct ir_insn *d = def_of(&p, nz);
                if (d && (d->op == IR_FLAGS_ADC || d->op == IR_FLAGS_NZ || d->op == IR_FLAGS_SUB)) {
                    p.ren[x.dst] = nz; /* already a 32-bit value */
                    continue;
                }
                x = (struct ir_insn){.op = IR_ZEXT, .sz = 32, .dst = x.dst, .a = {nz}};
                break;
            }
            pending = -1;
            nexits = 0;
            break;
        case IR_STCPU:
            if (!touches_nzcv(&x)) break;
            if (exact_nzcv(&x)) {
                if (pending >= 0 && faulted) {
                    /* kept (faults see it), and the accesses in between
                     * marked: the JIT may save the compare's operands
                     * instead (jit.c, find_fault_lazy) */
                    if (!fl) fl = calloc(2 * (size_t)b->n + 1, 1);
                    SHOAL_ASSERT(fl);
                    fl[pending] = FL_STORE;
                    for (uint32_t e = (uint32_t)pending + 1; e < p.n; e++)
                        if (p.out[e].op == IR_LD || p.out[e].op == IR_ST || p.out[e].op == IR_LDV ||
                            p.out[e].op == IR_STV)
                            fl[e] = FL_ACCESS;
                }
                if (pending >= 0) {
                    if (!faulted) dead[pending] = true;
                    for (uint32_t e = 0; e < nexits; e++) {
                        p.out[exits[e]].sz = 32;
                        p.out[exits[e]].a[2] = p.out[pending].a[0];
                    }
                }
                nexits = 0;
                faulted = false;
                pending = (int32_t)append(&p, &x);
                known = true;
                nz = x.a[0];
                continue;
            }
            pending = -1;
            nexits = 0;
            known = false;
            break;
        case IR_CALL:
        case IR_VOP:
            pending = -1;
            nexits = 0;
            known = false;
            break;
        case IR_ALIGN:
        case IR_ATOMIC:
        case IR_CAS:
        case IR_CASP:
        case IR_LDX:
        case IR_STX:
            /* they may fault (see NZCV); the lazy forms above are for
             * plain accesses only */
            pending = -1;
            nexits = 0;
            break;
        case IR_LD:
        case IR_ST:
        case IR_LDV:
        case IR_STV:
            /* the flags are observable there, by a fault only */
            if (fault_lazy && pending >= 0) {
                faulted = true;
                break;
            }
            pending = -1;
            nexits = 0;
            break;
        case IR_EXITC:
            if (lazy_exits && pending >= 0 && x.sz != 32) {
                exits[nexits++] = append(&p, &x);
                continue;
            }
            pending = -1;
            nexits = 0;
            break;
        case IR_COND: fuse_cond(&p, &x); break;
        case IR_FLAGS_ADC: {
            int64_t sb = sub_operand(&p, &x);
            if (sb >= 0)
                x = (struct ir_insn){
                    .op = IR_FLAGS_SUB, .sz = x.sz, .dst = x.dst, .a = {x.a[0], (ir_temp)sb}};
            break;
        }
        default: break;
        }
        append(&p, &x);
    }
    if (fault_lazy && to_end && pending >= 0) {
        /* kept to the end, observed by faults and side exits only: its
         * compare's operands may leave the block instead (nzchain.c) */
        if (!fl) fl = calloc(2 * (size_t)b->n + 1, 1);
        SHOAL_ASSERT(fl);
        fl[pending] = FL_STORE_END;
        for (uint32_t e = (uint32_t)pending + 1; e < p.n; e++)
            if (p.out[e].op == IR_LD || p.out[e].op == IR_ST || p.out[e].op == IR_LDV ||
                p.out[e].op == IR_STV)
                fl[e] = FL_ACCESS;
    }
    uint32_t n = 0;
    for (uint32_t k = 0; k < p.n; k++)
        if (!dead[k]) p.out[n++] = p.out[k];
    if (fault_lazy) {
        /* compacted like the insns (dead ones are never marked) */
        if (fl) {
            uint32_t m = 0;
            for (uint32_t k = 0; k < p.n; k++)
                if (!dead[k]) fl[m++] = fl[k];
        }
        *fault_lazy = fl;
    }
    out->insns = p.out;
    out->n = out->cap = n;
    out->ntemps = p.ntemps;
    if (b->term.kind == TERM_GOTO_IND || b->term.kind == TERM_BRCOND)
        out->term.temp = p.ren[b->term.temp];
    free(p.def);
    free(p.ren);
    free(dead);
    free(exits);
}
