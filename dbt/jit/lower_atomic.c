/* Atomics inline (switch: SHOAL_JIT_DISABLE=atomics, at translation):
 * IR_ALIGN, IR_ATOMIC, IR_CAS, IR_LDX and IR_STX as host locked
 * instructions on guest memory, with no helper call (which would cost
 * the block its register allocation and loop pinning).
 *
 *   ALIGN        test a, bytes-1; jnz cold (SIGBUS, BUS_ADRALN)
 *   ADD, SWP     lock xadd / xchg; unused result: lock add/or/and/xor
 *   CLR..UMIN    load; loop: op; lock cmpxchg; jnz loop
 *   CAS          lock cmpxchg
 *   CASP         lock cmpxchg16b (RBX taken from the allocator: ra_take)
 *   LDX          load, then the monitor fields of struct cpu
 *   STX          monitor test (size, address), cleared; lock cmpxchg from
 *                the monitor's value
 *
 * Every locked instruction is a full barrier on x86, which covers any
 * acquire/release the guest asked for. Each access has its bounds check
 * and a fault record (a DSM page in S faults for write at the locked
 * instruction and is retried there, like a plain store). RAX, RCX and
 * RDX are scratch; operands are fetched and the result register is
 * allocated before any branch, so every path leaves the register
 * allocator in the same state. */
#include "common/log.h"
#include "dbt/jit/jit_internal.h"

static struct x86_mem guest_mem(int areg) {
    return x86_mem_idx(REG_GBASE, areg, 0);
}

/* d = the low `bits` of RAX, zero-extended. */
static void zext_rax(struct x86_buf *b, unsigned bits, int d) {
    if (bits < 32)
        x86_movzx(b, bits, d, RAX);
    else
        x86_mov_rr(b, bits == 64, d, RAX);
}

/* The result register, or -1 when nothing uses the result. */
static int result_reg(struct jit_ctx *c, const struct ir_insn *i) {
    return c->t[i->dst].last_use < 0 ? -1 : ra_def(c, i->dst, -1);
}

static void lower_align(struct jit_ctx *c, const struct ir_insn *i) {
    int areg = ra_reg(c, i->a[0]);
    uint32_t rec = ra_record(c); /* the state the SIGBUS shows */
    x86_test_ri(c->buf, false, areg, (int32_t)(i->imm - 1));
    struct jit_cold *cl = jit_cold_new(c, x86_jcc32(c->buf, CC_NE));
    cl->rec = rec;
    cl->addr_reg = (int8_t)areg;
    cl->bytes = (uint8_t)i->imm;
    cl->align = true;
}

/* RCX = op(RAX, RDX) at `bits` for the compare-and-swap loop: RDX holds
 * the operand prepared by cas_operand. */
static void cas_new_value(struct x86_buf *b, enum ir_atomic op, unsigned bits) {
    bool sign = op == ATOMIC_SMAX || op == ATOMIC_SMIN;
    if ((op == ATOMIC_CLR || op == ATOMIC_EOR || op == ATOMIC_SET) || bits == 64)
        x86_mov_rr(b, true, RCX, RAX);
    else if (sign)
        x86_movsx(b, bits, RCX, RAX);
    else if (bits == 32)
        x86_mov_rr(b, false, RCX, RAX);
    else
        x86_movzx(b, bits, RCX, RAX);
    switch (op) {
    case ATOMIC_CLR: x86_alu_rr(b, ALU_AND, true, RCX, RDX); break;
    case ATOMIC_EOR: x86_alu_rr(b, ALU_XOR, true, RCX, RDX); break;
    case ATOMIC_SET: x86_alu_rr(b, ALU_OR, true, RCX, RDX); break;
    default:
        /* RCX = the operand when the old value loses */
        x86_alu_rr(b, ALU_CMP, true, RCX, RDX);
        x86_cmov(b,
                 op == ATOMIC_SMAX   ? CC_L
                 : op == ATOMIC_SMIN ? CC_G
                 : op == ATOMIC_UMAX ? CC_B
                                     : CC_A,
                 true, RCX, RDX);
        break;
    }
}

/* RDX = the operand in the form cas_new_value compares or combines:
 * inverted for CLR, sign- or zero-extended from `bits` for min/max. */
static void cas_operand(struct jit_ctx *c, enum ir_atomic op, unsigned bits, ir_temp v) {
    struct x86_buf *b = c->buf;
    ra_load_to(c, RDX, v);
    if (op == ATOMIC_CLR) {
        x86_unary(b, UN_NOT, true, RDX);
    } else if (bits < 64 && (op == ATOMIC_SMAX || op == ATOMIC_SMIN)) {
        x86_movsx(b, bits, RDX, RDX);
    } else if (bits < 64 && (op == ATOMIC_UMAX || op == ATOMIC_UMIN)) {
        if (bits == 32)
            x86_mov_rr(b, false, RDX, RDX);
        else
            x86_movzx(b, bits, RDX, RDX);
    }
}

static void lower_rmw(struct jit_ctx *c, const struct ir_insn *i) {
    struct x86_buf *b = c->buf;
    enum ir_atomic op = (enum ir_atomic)i->imm;
    unsigned bits = i->sz;
    int areg = ra_reg(c, i->a[0]);
    int d = result_reg(c, i);
    jit_bounds_check(c, areg, bits / 8, i->a[0], true);
    struct x86_mem m = guest_mem(areg);
    if (op == ATOMIC_ADD || op == ATOMIC_SWP) {
        ra_load_to(c, RAX, i->a[1]);
        ra_record(c);
        x86_locked_rm(b, op == ATOMIC_SWP ? LK_XCHG : LK_XADD, bits, m, RAX);
        if (d >= 0) zext_rax(b, bits, d);
        return;
    }
    if (d < 0 && (op == ATOMIC_CLR || op == ATOMIC_EOR || op == ATOMIC_SET)) {
        /* STCLR, STEOR, STSET: nothing reads the old value */
        cas_operand(c, op, bits, i->a[1]);
        ra_record(c);
        x86_locked_rm(b,
                      op == ATOMIC_CLR   ? LK_AND
                      : op == ATOMIC_EOR ? LK_XOR
                                         : LK_OR,
                      bits, m, RDX);
        return;
    }
    cas_operand(c, op, bits, i->a[1]);
    ra_record(c);
    x86_load(b, bits, RAX, m);
    uint32_t loop = x86_off(b);
    cas_new_value(b, op, bits);
    ra_record(c);
    x86_locked_rm(b, LK_CMPXCHG, bits, m, RCX);
    x86_patch_rel8(b, x86_jcc8(b, CC_NE), loop);
    if (d >= 0) zext_rax(b, bits, d);
}

static void lower_cas(struct jit_ctx *c, const struct ir_insn *i) {
    int areg = ra_reg(c, i->a[0]);
    int d = result_reg(c, i);
    jit_bounds_check(c, areg, i->sz / 8, i->a[0], true);
    ra_load_to(c, RAX, i->a[1]);
    ra_load_to(c, RCX, i->a[2]);
    ra_record(c);
    x86_locked_rm(c->buf, LK_CMPXCHG, i->sz, guest_mem(areg), RCX);
    if (d >= 0) zext_rax(c->buf, i->sz, d);
}

static struct x86_mem cpu_field(uint32_t off) {
    return x86_mem(REG_CPU, (int32_t)off);
}

/* The monitor's size is stored last: a fault in between clears it
 * anyway (dbt_run), so a half-written monitor is never used. */
static void lower_ldx(struct jit_ctx *c, const struct ir_insn *i) {
    struct x86_buf *b = c->buf;
    int areg = ra_reg(c, i->a[0]);
    int d = result_reg(c, i);
    int v = d >= 0 ? d : RAX;
    jit_bounds_check(c, areg, i->sz / 8, i->a[0], true);
    ra_record(c);
    x86_load(b, i->sz == 128 ? 64 : i->sz, v, guest_mem(areg));
    x86_store(b, 64, cpu_field(CPU_OFF(excl_val[0])), v);
    if (i->sz == 128) {
        ra_record(c);
        x86_load(b, 64, RAX, x86_mem_idx(REG_GBASE, areg, 8));
        x86_store(b, 64, cpu_field(CPU_OFF(excl_val[1])), RAX);
    } else {
        x86_store_i32(b, 64, cpu_field(CPU_OFF(excl_val[1])), 0);
    }
    x86_store(b, 64, cpu_field(CPU_OFF(excl_addr)), areg);
    x86_store_i32(b, 32, cpu_field(CPU_OFF(excl_size)), (int32_t)(i->sz / 8));
}

/* IR_CASP: lock cmpxchg16b with RDX:RAX = (b, c), RCX:RBX = (pair_hi, e). */
static void lower_casp(struct jit_ctx *c, const struct ir_insn *i) {
    struct x86_buf *b = c->buf;
    ra_take(c, RBX);
    int areg = ra_reg(c, i->a[0]);
    int d = result_reg(c, i);
    jit_bounds_check(c, areg, 16, i->a[0], true);
    ra_load_to(c, RAX, i->a[1]);
    ra_load_to(c, RDX, i->a[2]);
    ra_load_to(c, RBX, i->a[3]);
    x86_load(b, 64, RCX, cpu_field(CPU_OFF(pair_hi)));
    ra_record(c);
    x86_lock_cmpxchg16b(b, guest_mem(areg));
    x86_store(b, 64, cpu_field(CPU_OFF(pair_hi)), RDX);
    if (d >= 0) x86_mov_rr(b, true, d, RAX);
}

/* The store-exclusive. A miss touches no memory, so the access's bounds
 * check runs on the hit path only and is not noted for later accesses
 * (jit_bounds_check's cache). 128 bits: lock cmpxchg16b from the
 * monitor's two doublewords. */
static void lower_stx(struct jit_ctx *c, const struct ir_insn *i) {
    struct x86_buf *b = c->buf;
    unsigned bytes = i->sz / 8;
    if (bytes == 16) ra_take(c, RBX);
    int areg = ra_reg(c, i->a[0]);
    int32_t imm;
    bool vi = bytes < 16 && ra_imm32(c, i->a[1], &imm);
    int v = vi || bytes == 16 ? RCX : ra_reg(c, i->a[1]);
    int d = result_reg(c, i);
    x86_alu_mi(b, ALU_CMP, false, cpu_field(CPU_OFF(excl_size)), (int32_t)bytes);
    x86_store_i32(b, 32, cpu_field(CPU_OFF(excl_size)), 0); /* mov keeps the flags */
    uint32_t miss_size = x86_jcc32(b, CC_NE);
    x86_alu_rm(b, ALU_CMP, true, areg, cpu_field(CPU_OFF(excl_addr)));
    uint32_t miss_addr = x86_jcc32(b, CC_NE);
    jit_bounds_check(c, areg, bytes, i->a[0], false);
    if (vi) x86_mov_ri(b, RCX, (uint64_t)(int64_t)imm);
    x86_load(b, 64, RAX, cpu_field(CPU_OFF(excl_val[0])));
    if (bytes == 16) {
        ra_load_to(c, RBX, i->a[1]);
        ra_load_to(c, RCX, i->a[2]);
        x86_load(b, 64, RDX, cpu_field(CPU_OFF(excl_val[1])));
        ra_record(c);
        x86_lock_cmpxchg16b(b, guest_mem(areg));
    } else {
        ra_record(c);
        x86_locked_rm(b, LK_CMPXCHG, i->sz, guest_mem(areg), v);
    }
    uint32_t done = 0;
    if (d >= 0) {
        x86_setcc(b, CC_NE, RAX);
        x86_movzx(b, 8, d, RAX);
        done = x86_jmp32(b);
    }
    x86_patch_rel32(b, miss_size, x86_off(b));
    x86_patch_rel32(b, miss_addr, x86_off(b));
    if (d >= 0) {
        x86_mov_ri(b, d, 1);
        x86_patch_rel32(b, done, x86_off(b));
    }
}

void lower_atomic(struct jit_ctx *c, const struct ir_insn *i) {
    switch ((enum ir_opcode)i->op) {
    case IR_ALIGN: lower_align(c, i); break;
    case IR_ATOMIC: lower_rmw(c, i); break;
    case IR_CAS: lower_cas(c, i); break;
    case IR_CASP: lower_casp(c, i); break;
    case IR_LDX: lower_ldx(c, i); break;
    case IR_STX: lower_stx(c, i); break;
    default: SHOAL_ASSERT(!"lower_atomic: not an atomic op");
    }
}
