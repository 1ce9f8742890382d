/* Helper calls (SysV ABI), cpu-field accesses and fences. */
#include "common/log.h"
#include "dbt/jit/jit_internal.h"

/* d = fn(cpu, a, b, c, e). The allocator first empties the caller-saved
 * registers and writes the guest state back (helpers may read or write
 * any of it, or fault), so argument registers are free to fill. */
void lower_call(struct jit_ctx *c, const struct ir_insn *i) {
    static const int args[4] = {RSI, RDX, RCX, R8};
    struct x86_buf *b = c->buf;
    ra_before_call(c);
    for (int k = 0; k < 4; k++)
        ra_load_to(c, args[k], i->a[k]);
    x86_mov_rr(b, true, RDI, REG_CPU);
    x86_mov_ri(b, RAX, (uint64_t)(uintptr_t)i->fn);
    /* A helper may use host FP (fpu_estimate's sqrt): the flags the
     * guest's inline FP ops accumulated in MXCSR must survive it
     * unpolluted. */
    struct x86_mem mx = x86_mem(RSP, JIT_MXCSR_SLOT);
    x86_stmxcsr(b, mx);
    x86_call_r(b, RAX);
    x86_ldmxcsr(b, mx);
    ra_after_call(c);
    if (c->t[i->dst].last_use >= 0) {
        int d = ra_def(c, i->dst, -1);
        x86_mov_rr(b, true, d, RAX);
    }
}

/* Guest registers x0..x31 are the first 256 bytes of struct cpu; an
 * LDCPU/STCPU there must see / replace the cached copies. */
static void sync_x_range(struct jit_ctx *c, uint64_t off, unsigned bytes, bool drop) {
    if (off >= CPU_OFF(x[32])) return;
    for (uint64_t g = off / 8; g < 32 && g * 8 < off + bytes; g++)
        ra_guest_sync(c, (unsigned)g, drop);
}

/* MRS/MSR FPSR: cpu->fpsr must include (before a read) or drop (before
 * a write) the flags inline FP ops left in MXCSR. */
static void sync_fpsr(struct jit_ctx *c, const struct ir_insn *i, unsigned bytes) {
    if (i->imm < CPU_OFF(fpsr) + 4 && i->imm + bytes > CPU_OFF(fpsr)) {
        vr_sync_all(c, true); /* a C function may clobber every xmm */
        emit_preserved_call(c->buf, vop_live_volatile(c, -1), jit_fpsr_sync, 0, -1, 0, -1);
    }
}

void lower_cpu_field(struct jit_ctx *c, const struct ir_insn *i) {
    struct x86_buf *b = c->buf;
    struct x86_mem m = x86_mem(REG_CPU, (int32_t)i->imm);
    unsigned bytes = i->sz / 8;
    if (i->op == IR_LDCPU || i->op == IR_STCPU) sync_fpsr(c, i, bytes);
    switch ((enum ir_opcode)i->op) {
    case IR_LDCPU: {
        if (vr_ldcpu(c, i)) break;
        sync_x_range(c, i->imm, bytes, false);
        vr_sync_range(c, i->imm, bytes, false);
        if (i->imm < CPU_OFF(pc) + 8 && i->imm + bytes > CPU_OFF(pc)) ra_store_pc(c);
        if (c->t[i->dst].last_use < 0) break;
        int d = ra_def(c, i->dst, -1);
        x86_load(b, i->sz, d, m);
        break;
    }
    case IR_STCPU: {
        int32_t imm;
        if (vr_stcpu(c, i)) break;
        sync_x_range(c, i->imm, bytes, true);
        vr_sync_range(c, i->imm, bytes, true);
        if (i->sz >= 32 && ra_imm32(c, i->a[0], &imm))
            x86_store_i32(b, i->sz, m, imm);
        else
            x86_store(b, i->sz, m, ra_reg(c, i->a[0]));
        break;
    }
    case IR_FENCE:
        /* x86-TSO already orders load-load, load-store and store-store;
         * only a full barrier needs store-load ordering. ISB: nothing. */
        if (i->imm == FENCE_FULL) x86_mfence(b);
        break;
    case IR_INSN_START:
        c->pc = i->imm;
        c->pc_stored = false;
        break;
    default: SHOAL_ASSERT(!"lower_cpu_field: unexpected op");
    }
}
