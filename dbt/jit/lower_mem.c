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

static void bounds_check(struct jit_ctx *c, int areg, unsigned bytes) {
    struct x86_buf *b = c->buf;
    x86_load(b, 64, RAX, x86_mem(REG_CPU, (int32_t)CPU_OFF(guest_size)));
    x86_alu_ri(b, ALU_SUB, true, RAX, (int32_t)bytes);
    x86_alu_rr(b, ALU_CMP, true, areg, RAX);
    uint32_t field = x86_jcc32(b, CC_A);
    if (c->ncold == c->cap_cold) {
        c->cap_cold = c->cap_cold ? 2 * c->cap_cold : 32;
        c->cold = realloc(c->cold, c->cap_cold * sizeof *c->cold);
        SHOAL_ASSERT(c->cold);
    }
    /* The record is taken by the caller right before the access, with the
     * same register state as here. */
    c->cold[c->ncold++] = (struct jit_cold){field, c->nrecs, (int8_t)areg};
}

static struct x86_mem guest_mem(int areg) {
    return x86_mem_idx(REG_GBASE, areg, 0);
}

void lower_mem(struct jit_ctx *c, const struct ir_insn *i) {
    struct x86_buf *b = c->buf;
    unsigned bytes = i->sz / 8;
    int areg = ra_reg(c, i->a[0]);
    switch ((enum ir_opcode)i->op) {
    case IR_LD: {
        if (c->t[i->dst].last_use < 0) {
            /* Result unused: the access still happens (it may fault). */
            bounds_check(c, areg, bytes);
            ra_record(c);
            x86_load(b, i->sz, RAX, guest_mem(areg));
            break;
        }
        int d = ra_def(c, i->dst, -1);
        bounds_check(c, areg, bytes);
        ra_record(c);
        x86_load(b, i->sz, d, guest_mem(areg));
        break;
    }
    case IR_ST: {
        int32_t imm;
        bool vi = i->sz >= 32 && ra_imm32(c, i->a[1], &imm);
        int v = vi ? -1 : ra_reg(c, i->a[1]);
        bounds_check(c, areg, bytes);
        ra_record(c);
        if (vi)
            x86_store_i32(b, i->sz, guest_mem(areg), imm);
        else
            x86_store(b, i->sz, guest_mem(areg), v);
        break;
    }
    case IR_LDV: {
        struct x86_mem vm = x86_mem(REG_CPU, (int32_t)CPU_VOFF(i->imm));
        struct x86_mem vm_hi = x86_mem(REG_CPU, (int32_t)CPU_VOFF(i->imm) + 8);
        bounds_check(c, areg, bytes);
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
        bounds_check(c, areg, bytes);
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

/* The bounds-check failure paths of the block. */
void lower_cold(struct jit_ctx *c) {
    struct x86_buf *b = c->buf;
    for (uint32_t k = 0; k < c->ncold; k++) {
        const struct jit_cold *cl = &c->cold[k];
        const struct jit_fault_rec *r = &c->recs[cl->rec];
        x86_patch_rel32(b, cl->jcc_field, x86_off(b));
        for (int h = 0; h < 16; h++)
            if (r->map[h]) x86_store(b, 64, ra_xmem(r->map[h] - 1u), h);
        x86_mov_rr(b, true, RSI, cl->addr_reg);
        x86_mov_rr(b, true, RDI, REG_CPU);
        x86_mov_ri(b, RDX, r->pc);
        x86_mov_ri(b, RAX, (uint64_t)(uintptr_t)jit_raise_segv);
        x86_call_r(b, RAX);
    }
}
