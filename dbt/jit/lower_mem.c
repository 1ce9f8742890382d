/* Guest memory accesses: host address guest_base (R14) + guest address.
 *
 * Every access is bounds-checked inline against cpu->guest_size, like the
 * interpreter's guest_ptr(): `addr > guest_size - bytes` branches (never
 * taken in practice) to a cold stub after the block that writes back the
 * dirty guest registers and raises SIGSEGV at the insn's pc. So a guest
 * address can never reach host memory outside the guest region. A host
 * fault inside the region (unmapped or protected guest page) lands on the
 * access instruction itself, whose fault record (ra_record) lets the
 * signal handler rebuild the precise guest state. */
#include <stdlib.h>

#include "common/log.h"
#include "dbt/jit/jit_internal.h"

struct jit_cold *jit_cold_new(struct jit_ctx *c, uint32_t field) {
    if (c->ncold == c->cap_cold) {
        c->cap_cold = c->cap_cold ? 2 * c->cap_cold : 32;
        c->cold = realloc(c->cold, c->cap_cold * sizeof *c->cold);
        SHOAL_ASSERT(c->cold);
    }
    struct jit_cold *cl = &c->cold[c->ncold++];
    *cl = (struct jit_cold){.jcc_field = field, .val_reg = -1, .val_xmm = -1};
    return cl;
}

/* The check of an access at guest register g's value (an aliased GETX)
 * is done once per value: a later access of at most as many bytes at the
 * same x[g] is in bounds too (guest_size never shrinks). `pair`: the
 * bytes of the pair's second access, whose check this one makes (see
 * pair_next). */
static struct jit_cold *bounds_check(struct jit_ctx *c, int areg, unsigned bytes, ir_temp addr,
                                     unsigned pair, bool cache) {
    struct x86_buf *b = c->buf;
    uint32_t field;
    if (c->cur == c->pair_skip) {
        c->pair_skip = UINT32_MAX; /* checked with the first access */
        return NULL;
    }
    int8_t g = c->t[addr].alias;
    if (cache && g >= 0 && c->regalloc && c->fast_bounds) {
        if (c->checked[g] >= bytes + pair) return NULL;
        c->checked[g] = (uint8_t)(bytes + pair);
    }
    if (c->fast_bounds) {
        /* addr > guest_size - 16: the cold path decides exactly. */
        x86_alu_rm(b, ALU_CMP, true, areg, x86_mem(RSP, JIT_LIMIT_SLOT));
        field = x86_jcc32(b, CC_A);
    } else {
        x86_load(b, 64, RAX, x86_mem(REG_CPU, (int32_t)CPU_OFF(guest_size)));
        x86_alu_ri(b, ALU_SUB, true, RAX, (int32_t)bytes);
        x86_alu_rr(b, ALU_CMP, true, areg, RAX);
        field = x86_jcc32(b, CC_A);
    }
    /* The record is taken by the caller right before the access, with the
     * same register state as here. */
    struct jit_cold *cl = jit_cold_new(c, field);
    cl->rec = c->nrecs;
    cl->addr_reg = (int8_t)areg;
    cl->bytes = (uint8_t)bytes;
    cl->pair = (uint8_t)pair;
    return cl;
}

struct jit_cold *jit_bounds_check(struct jit_ctx *c, int areg, unsigned bytes, ir_temp addr,
                                  bool cache) {
    return bounds_check(c, areg, bytes, addr, 0, cache);
}

/* LDP/STP of general registers (switch SHOAL_JIT_DISABLE=pairchk): the
 * second access, at the first one's address + bytes, is checked by the
 * first one's compare (which covers 16 bytes; the cold path decides
 * exactly for the whole pair). Each 64-byte iteration of glibc's
 * memcpy/memmove loops made 16 compares for 8 pairs. The pair is one
 * guest instruction and only register reads lie between the accesses
 * (no SETX), so the first access's fault record is the second's; when
 * only the second half lies outside the region, the cold path does the
 * first (a store: its store) and raises at the second's address, as the
 * interpreter does. Returns the second access's bytes (0: no pair) and
 * marks it (pair_skip). */
static unsigned pair_next(struct jit_ctx *c, const struct ir_insn *i) {
    unsigned bytes = i->sz / 8;
    if (!c->pairchk || !c->fast_bounds || 2 * bytes > 16) return 0;
    for (uint32_t k = c->cur + 1; k < c->b->n && k <= c->cur + 4; k++) {
        const struct ir_insn *n = &c->b->insns[k];
        if (n->op == IR_GETX || n->op == IR_CONST || n->op == IR_SEXT || n->op == IR_ZEXT) continue;
        if (n->op != i->op || n->sz != i->sz) return 0;
        /* n's address: ADD(i's address, bytes), defined before i. */
        for (uint32_t j = c->cur; j-- > 0 && j + 8 > c->cur;) {
            const struct ir_insn *d = &c->b->insns[j];
            if (!ir_op_info[d->op].has_dst || d->dst != n->a[0]) continue;
            const struct jit_tval *off = &c->t[d->a[1]];
            if (d->op != IR_ADD || d->sz != 64 || d->a[0] != i->a[0] || !off->is_const ||
                off->c != bytes)
                return 0;
            c->pair_skip = k;
            return bytes;
        }
        return 0;
    }
    return 0;
}

/* The insn defining temp t (a data pair's GETX). */
static uint32_t dpair_getx(const struct jit_ctx *c, ir_temp t) {
    for (uint32_t k = c->cur; k-- > 0;)
        if (ir_op_info[c->b->insns[k].op].has_dst && c->b->insns[k].dst == t) return k;
    SHOAL_ASSERT(!"dpair_getx: no definition");
    return 0;
}

static struct x86_mem guest_mem(int areg) {
    return x86_mem_idx(REG_GBASE, areg, 0);
}

void lower_mem(struct jit_ctx *c, const struct ir_insn *i) {
    struct x86_buf *b = c->buf;
    unsigned bytes = i->sz / 8;
    int areg = ra_reg(c, i->a[0]);
    if (c->dmark && c->dmark[c->cur] == 1) {
        /* A data pair's LDP/STP (loop.c), under the first access's pair check. */
        const struct ir_insn *s = i;
        if (i->op == IR_LD)
            for (uint32_t k = c->cur + 1;; k++)
                if (c->b->insns[k].op == IR_SETX && c->b->insns[k].a[0] == i->dst) {
                    s = &c->b->insns[k];
                    break;
                }
        int x = c->dxmm[i->op == IR_LD ? s->imm : c->b->insns[dpair_getx(c, i->a[1])].imm];
        struct jit_cold *cl = bounds_check(c, areg, 8, i->a[0], 8, true);
        if (cl && i->op == IR_ST) { /* the cold path may have to store the first half */
            cl->st_sz = 64;
            cl->val_xmm = (int8_t)x;
        }
        ra_record(c);
        if (i->op == IR_LD) {
            /* A fault leaves x unchanged, as the LDP writes nothing. */
            x86_movdqu_load(b, x, guest_mem(areg));
        } else {
            /* Two stores, as the interpreter's: a host fault in the
             * second half (a page boundary) finds the first one made. */
            x86_sse_rm(b, 0x66, false, "\x0f\xd6", 2, x, guest_mem(areg)); /* movq */
            ra_record(c);
            x86_sse_rm(b, 0, false, "\x0f\x17", 2, x, x86_mem_idx(REG_GBASE, areg, 8)); /* movhps */
        }
        return;
    }
    switch ((enum ir_opcode)i->op) {
    case IR_LD: {
        unsigned pair = pair_next(c, i);
        if (c->t[i->dst].last_use < 0) {
            /* Result unused: the access still happens (it may fault). */
            bounds_check(c, areg, bytes, i->a[0], pair, true);
            ra_record(c);
            x86_load(b, i->sz, RAX, guest_mem(areg));
            break;
        }
        int d = ra_def(c, i->dst, -1);
        bounds_check(c, areg, bytes, i->a[0], pair, true);
        ra_record(c);
        x86_load(b, i->sz, d, guest_mem(areg));
        break;
    }
    case IR_ST: {
        int32_t imm;
        bool vi = i->sz >= 32 && ra_imm32(c, i->a[1], &imm);
        int v = vi ? -1 : ra_reg(c, i->a[1]);
        struct jit_cold *cl = bounds_check(c, areg, bytes, i->a[0], pair_next(c, i), true);
        if (cl && cl->pair) { /* the cold path may have to store the first half */
            cl->st_sz = (uint8_t)i->sz;
            cl->val_reg = (int8_t)v;
            cl->val_imm = vi ? imm : 0;
        }
        ra_record(c);
        if (vi)
            x86_store_i32(b, i->sz, guest_mem(areg), imm);
        else
            x86_store(b, i->sz, guest_mem(areg), v);
        break;
    }
    case IR_LDV: {
        struct x86_mem vm = x86_mem(REG_CPU, (int32_t)CPU_VOFF(i->imm));
        if (c->vinplace && i->sz >= 32) {
            /* Straight into v[imm]'s cache register. Cached already: a
             * faulting load leaves it unchanged, so the record (taken
             * before) still maps its old value. Not cached: the register
             * is allocated first (an eviction's store comes before the
             * check) but counts as clean until the load is done, so the
             * record maps nothing to it and cpu->v[imm] keeps the old
             * value at a fault. movq/movd zero the upper bits. */
            unsigned r = (unsigned)i->imm;
            bool dirty = c->vx[r] >= 0 && c->vdirty[r];
            int x = vr_write(c, r);
            c->vdirty[r] = dirty;
            bounds_check(c, areg, bytes, i->a[0], 0, true);
            ra_record(c);
            if (i->sz == 128)
                x86_movdqu_load(b, x, guest_mem(areg));
            else
                x86_sse_rm(b, i->sz == 64 ? 0xf3 : 0x66, false,
                           i->sz == 64 ? "\x0f\x7e" : "\x0f\x6e", 2, x, guest_mem(areg));
            c->vdirty[r] = true;
            break;
        }
        if (c->vcache) {
            /* Into scratch xmm0 first: the fault record must not claim
             * v[imm]'s cache register before the load completes. */
            bounds_check(c, areg, bytes, i->a[0], 0, true);
            if (i->sz >= 32) {
                ra_record(c);
                if (i->sz == 128)
                    x86_movdqu_load(b, 0, guest_mem(areg));
                else
                    x86_sse_rm(b, i->sz == 64 ? 0xf3 : 0x66, false,
                               i->sz == 64 ? "\x0f\x7e" : "\x0f\x6e", 2, 0, guest_mem(areg));
            } else {
                ra_record(c);
                x86_load(b, i->sz, RAX, guest_mem(areg));
                x86_sse_rr(b, 0x66, false, "\x0f\x6e", 2, 0, RAX); /* movd */
            }
            vr_store(c, (unsigned)i->imm, 0);
            break;
        }
        struct x86_mem vm_hi = x86_mem(REG_CPU, (int32_t)CPU_VOFF(i->imm) + 8);
        bounds_check(c, areg, bytes, i->a[0], 0, true);
        ra_record(c);
        if (i->sz == 128) {
            x86_movdqu_load(b, 0, guest_mem(areg));
            x86_movdqu_store(b, vm, 0);
        } else {
            x86_load(b, i->sz, RAX, guest_mem(areg));
            x86_store(b, 64, vm, RAX);
            x86_store_i32(b, 64, vm_hi, 0);
        }
        break;
    }
    case IR_STV: {
        struct x86_mem vm = x86_mem(REG_CPU, (int32_t)CPU_VOFF(i->imm));
        bounds_check(c, areg, bytes, i->a[0], 0, true);
        int x = c->vx[i->imm];
        if (x >= 0) {
            if (i->sz == 128) {
                ra_record(c);
                x86_movdqu_store(b, guest_mem(areg), x);
            } else if (i->sz == 64) {
                ra_record(c);
                x86_sse_rm(b, 0x66, false, "\x0f\xd6", 2, x, guest_mem(areg)); /* movq */
            } else if (i->sz == 32) {
                ra_record(c);
                x86_sse_rm(b, 0x66, false, "\x0f\x7e", 2, x, guest_mem(areg)); /* movd */
            } else {
                x86_sse_rr(b, 0x66, false, "\x0f\x7e", 2, x, RDX); /* movd edx, x */
                ra_record(c);
                x86_store(b, i->sz, guest_mem(areg), RDX);
            }
            break;
        }
        if (i->sz == 128) {
            x86_movdqu_load(b, 0, vm);
            ra_record(c);
            x86_movdqu_store(b, guest_mem(areg), 0);
        } else {
            x86_load(b, i->sz, RDX, vm);
            ra_record(c);
            x86_store(b, i->sz, guest_mem(areg), RDX);
        }
        break;
    }
    default: SHOAL_ASSERT(!"lower_mem: not a memory op");
    }
}

/* SIGSEGV (raise: jit_raise_segv) or SIGBUS at cl's access (its fault
 * record's state) for address areg + off. */
static void cold_raise(struct jit_ctx *c, const struct jit_cold *cl, int32_t off,
                       void (*raise)(struct cpu *, uint64_t, uint64_t)) {
    struct x86_buf *b = c->buf;
    const struct jit_fault_rec *r = &c->recs[cl->rec];
    for (int h = 0; h < 16; h++)
        if (r->map[h]) x86_store(b, 64, ra_xmem(r->map[h] - 1u), h);
    vr_emit_stores(b, r->vmap);
    if (r->lazy_sz) loop_lazy_emit(b, r->lazy_sz);
    x86_mov_rr(b, true, RSI, cl->addr_reg);
    if (off) x86_alu_ri(b, ALU_ADD, true, RSI, off);
    x86_mov_rr(b, true, RDI, REG_CPU);
    x86_mov_ri(b, RDX, r->pc);
    x86_mov_ri(b, RAX, (uint64_t)(uintptr_t)raise);
    x86_call_r(b, RAX);
}

/* rax = guest_size - bytes; jumps to the returned rel8 (far: rel32)
 * field if that underflows, else compares areg with it. */
static uint32_t cold_limit(struct x86_buf *b, int areg, unsigned bytes, bool far) {
    x86_load(b, 64, RAX, x86_mem(REG_CPU, (int32_t)CPU_OFF(guest_size)));
    x86_alu_ri(b, ALU_SUB, true, RAX, (int32_t)bytes);
    uint32_t small = far ? x86_jcc32(b, CC_B) : x86_jcc8(b, CC_B);
    x86_alu_rr(b, ALU_CMP, true, areg, RAX);
    return small;
}

/* The bounds-check failure paths of the block. */
void lower_cold(struct jit_ctx *c) {
    struct x86_buf *b = c->buf;
    for (uint32_t k = 0; k < c->ncold; k++) {
        const struct jit_cold *cl = &c->cold[k];
        x86_patch_rel32(b, cl->jcc_field, x86_off(b));
        if (cl->align) {
            cold_raise(c, cl, 0, jit_raise_bus);
            continue;
        }
        if (!c->fast_bounds) {
            cold_raise(c, cl, 0, jit_raise_segv);
            continue;
        }
        /* The exact test: addr <= guest_size - bytes (of the whole pair)
         * goes back to the access (near the end of the region, or after
         * a growth). */
        uint32_t small = cold_limit(b, cl->addr_reg, cl->bytes + cl->pair, false);
        x86_patch_rel32(b, x86_jcc32(b, CC_BE), cl->jcc_field + 4);
        x86_patch_rel8(b, small, x86_off(b));
        if (cl->pair) {
            /* Only the second half outside: the first one happens. The
             * jumps over the store and the raise are rel32: the raise
             * writes back every dirty register (a loop's V pins make it
             * longer than a rel8 reaches, and the block was dropped). */
            uint32_t first = cold_limit(b, cl->addr_reg, cl->bytes, true);
            uint32_t out = x86_jcc32(b, CC_A);
            if (cl->st_sz) {
                struct x86_mem m = x86_mem_idx(REG_GBASE, cl->addr_reg, 0);
                if (cl->val_xmm >= 0)
                    x86_sse_rm(b, 0x66, false, "\x0f\xd6", 2, cl->val_xmm, m); /* movq */
                else if (cl->val_reg >= 0)
                    x86_store(b, cl->st_sz, m, cl->val_reg);
                else
                    x86_store_i32(b, cl->st_sz, m, cl->val_imm);
            }
            cold_raise(c, cl, cl->bytes, jit_raise_segv);
            x86_patch_rel32(b, first, x86_off(b));
            x86_patch_rel32(b, out, x86_off(b));
        }
        cold_raise(c, cl, 0, jit_raise_segv);
    }
}
