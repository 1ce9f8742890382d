/* The IR: a straight-line list of operations on 64-bit temps, ending in one
 * explicit terminator. Frontends build it with the ir_* helpers below;
 * backends (dbt/interp.c, later the x86-64 JIT) consume it. */
#ifndef SHOAL_DBT_IR_H
#define SHOAL_DBT_IR_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "dbt/cpu.h"

enum ir_opcode {
#define IR_OP(name, nargs, has_dst, doc) IR_##name,
#include "dbt/ir_ops.def"
#undef IR_OP
    IR_NUM_OPS
};

struct ir_op_info {
    const char *name;
    uint8_t nargs;
    uint8_t has_dst;
    const char *doc;
};
extern const struct ir_op_info ir_op_info[IR_NUM_OPS];

typedef uint16_t ir_temp;
#define IR_ZERO ((ir_temp)0) /* temp 0 always holds 0 */

/* A helper called by IR_CALL. One signature for every helper keeps the
 * interpreter and the JIT's call sequence uniform. */
typedef uint64_t (*ir_helper_fn)(struct cpu *cpu, uint64_t a, uint64_t b, uint64_t c, uint64_t d);

enum ir_fence { FENCE_FULL, FENCE_LOAD, FENCE_STORE, FENCE_ISB };

/* IR_ATOMIC's operation (imm): the A64 LSE order (o3:opc of LDADD..SWP).
 * CLR stores old & ~b; the min/max compare at the access size. */
enum ir_atomic {
    ATOMIC_ADD,
    ATOMIC_CLR,
    ATOMIC_EOR,
    ATOMIC_SET,
    ATOMIC_SMAX,
    ATOMIC_SMIN,
    ATOMIC_UMAX,
    ATOMIC_UMIN,
    ATOMIC_SWP,
};

struct ir_insn {
    uint8_t op;
    uint8_t sz;
    uint16_t dst;
    uint16_t a[4];
    uint64_t imm;
    ir_helper_fn fn;
};

enum ir_term_kind {
    TERM_NONE,     /* block not finished yet */
    TERM_GOTO,     /* jump to target */
    TERM_GOTO_IND, /* jump to the value of temp */
    TERM_BRCOND,   /* temp != 0 ? target : next */
    TERM_SVC,      /* supervisor call #imm, then continue at next */
    TERM_EXCP,     /* synchronous signal signo/code, faulting pc = target, si_addr = addr */
};

enum ir_branch_hint { HINT_NONE, HINT_CALL, HINT_RET };

struct ir_term {
    uint8_t kind;
    uint8_t hint;
    ir_temp temp;
    uint32_t imm;
    int signo, code;
    uint64_t target, next, addr;
};

struct ir_block {
    uint64_t pc;          /* guest pc of the first instruction */
    uint32_t guest_insns; /* guest instructions covered */
    uint32_t n, cap;      /* IR instructions */
    uint32_t ntemps;
    struct ir_insn *insns;
    struct ir_term term;
};

/* Limits that keep one block's temps addressable with 16 bits. */
#define IR_MAX_TEMPS    8192
#define IR_TEMP_RESERVE 512 /* a frontend may use this many temps per guest insn */

void ir_block_init(struct ir_block *b, uint64_t pc);
void ir_block_free(struct ir_block *b);
void ir_block_dump(const struct ir_block *b, FILE *f);
struct ir_insn *ir_emit(struct ir_block *b, enum ir_opcode op, unsigned sz);

static inline ir_temp ir_new_temp(struct ir_block *b) {
    return (ir_temp)b->ntemps++;
}

static inline ir_temp ir_const(struct ir_block *b, uint64_t v) {
    if (v == 0) return IR_ZERO;
    struct ir_insn *i = ir_emit(b, IR_CONST, 64);
    i->imm = v;
    return i->dst = ir_new_temp(b);
}

static inline ir_temp ir_op1(struct ir_block *b, enum ir_opcode op, unsigned sz, ir_temp a) {
    struct ir_insn *i = ir_emit(b, op, sz);
    i->a[0] = a;
    return i->dst = ir_new_temp(b);
}

static inline ir_temp ir_op2(struct ir_block *b, enum ir_opcode op, unsigned sz, ir_temp a,
                             ir_temp c) {
    struct ir_insn *i = ir_emit(b, op, sz);
    i->a[0] = a;
    i->a[1] = c;
    return i->dst = ir_new_temp(b);
}

static inline ir_temp ir_op3(struct ir_block *b, enum ir_opcode op, unsigned sz, ir_temp a,
                             ir_temp c, ir_temp d) {
    struct ir_insn *i = ir_emit(b, op, sz);
    i->a[0] = a;
    i->a[1] = c;
    i->a[2] = d;
    return i->dst = ir_new_temp(b);
}

/* Op with an immediate and a result (GETX, LDCPU, COND). */
static inline ir_temp ir_op1i(struct ir_block *b, enum ir_opcode op, unsigned sz, ir_temp a,
                              uint64_t imm) {
    struct ir_insn *i = ir_emit(b, op, sz);
    i->a[0] = a;
    i->imm = imm;
    return i->dst = ir_new_temp(b);
}

static inline ir_temp ir_getx(struct ir_block *b, unsigned r) {
    return ir_op1i(b, IR_GETX, 64, IR_ZERO, r);
}
static inline void ir_setx(struct ir_block *b, unsigned r, ir_temp v) {
    struct ir_insn *i = ir_emit(b, IR_SETX, 64);
    i->a[0] = v;
    i->imm = r;
}
static inline ir_temp ir_ldcpu(struct ir_block *b, unsigned sz, uint32_t off) {
    return ir_op1i(b, IR_LDCPU, sz, IR_ZERO, off);
}
static inline void ir_stcpu(struct ir_block *b, unsigned sz, uint32_t off, ir_temp v) {
    struct ir_insn *i = ir_emit(b, IR_STCPU, sz);
    i->a[0] = v;
    i->imm = off;
}
static inline ir_temp ir_ld(struct ir_block *b, unsigned sz, ir_temp addr) {
    return ir_op1(b, IR_LD, sz, addr);
}
static inline void ir_st(struct ir_block *b, unsigned sz, ir_temp addr, ir_temp v) {
    struct ir_insn *i = ir_emit(b, IR_ST, sz);
    i->a[0] = addr;
    i->a[1] = v;
}
static inline void ir_ldv(struct ir_block *b, unsigned sz, ir_temp addr, unsigned vreg) {
    struct ir_insn *i = ir_emit(b, IR_LDV, sz);
    i->a[0] = addr;
    i->imm = vreg;
}
static inline void ir_stv(struct ir_block *b, unsigned sz, ir_temp addr, unsigned vreg) {
    struct ir_insn *i = ir_emit(b, IR_STV, sz);
    i->a[0] = addr;
    i->imm = vreg;
}
static inline void ir_align(struct ir_block *b, ir_temp addr, unsigned bytes) {
    struct ir_insn *i = ir_emit(b, IR_ALIGN, 64);
    i->a[0] = addr;
    i->imm = bytes;
}
static inline ir_temp ir_atomic(struct ir_block *b, enum ir_atomic op, unsigned sz, ir_temp addr,
                                ir_temp v) {
    ir_temp d = ir_op2(b, IR_ATOMIC, sz, addr, v);
    b->insns[b->n - 1].imm = op;
    return d;
}
static inline ir_temp ir_call(struct ir_block *b, ir_helper_fn fn, ir_temp a0, ir_temp a1,
                              ir_temp a2, ir_temp a3) {
    struct ir_insn *i = ir_emit(b, IR_CALL, 64);
    i->fn = fn;
    i->a[0] = a0;
    i->a[1] = a1;
    i->a[2] = a2;
    i->a[3] = a3;
    return i->dst = ir_new_temp(b);
}
static inline void ir_fence(struct ir_block *b, enum ir_fence kind) {
    ir_emit(b, IR_FENCE, 64)->imm = kind;
}

#endif
