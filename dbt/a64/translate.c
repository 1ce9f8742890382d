/* Shared pieces of the A64 frontend: register access and terminators. */
#include <signal.h>

#include "dbt/a64/a64.h"

void a64_translate_insn(struct a64_ctx *c, uint32_t insn) {
    c->insn = insn;
    c->row = a64_decode(insn);
    struct ir_insn *start = ir_emit(c->b, IR_INSN_START, 64);
    start->imm = c->pc;
    c->insn_first_op = c->b->n;
    if (!c->row) {
        a64_unallocated(c);
        return;
    }
    c->row->trans(c, insn);
}

ir_temp a64_read_x(struct a64_ctx *c, unsigned r) {
    return r == 31 ? IR_ZERO : ir_getx(c->b, r);
}
ir_temp a64_read_xsp(struct a64_ctx *c, unsigned r) {
    return ir_getx(c->b, r);
}

void a64_write_xsp(struct a64_ctx *c, unsigned r, ir_temp v, bool sf) {
    if (!sf) v = ir_op1(c->b, IR_ZEXT, 32, v);
    ir_setx(c->b, r, v);
}

void a64_write_x(struct a64_ctx *c, unsigned r, ir_temp v, bool sf) {
    if (r != 31) a64_write_xsp(c, r, v, sf);
}

ir_temp a64_read_nzcv(struct a64_ctx *c) {
    return ir_ldcpu(c->b, 32, CPU_OFF(nzcv));
}
void a64_write_nzcv(struct a64_ctx *c, ir_temp nzcv) {
    ir_stcpu(c->b, 32, CPU_OFF(nzcv), nzcv);
}

ir_temp a64_read_vlo(struct a64_ctx *c, unsigned r) {
    return ir_ldcpu(c->b, 64, CPU_VOFF(r));
}
ir_temp a64_read_vhi(struct a64_ctx *c, unsigned r) {
    return ir_ldcpu(c->b, 64, CPU_VOFF(r) + 8);
}

void a64_write_v128(struct a64_ctx *c, unsigned r, ir_temp lo, ir_temp hi) {
    ir_stcpu(c->b, 64, CPU_VOFF(r), lo);
    ir_stcpu(c->b, 64, CPU_VOFF(r) + 8, hi);
}

void a64_write_vscalar(struct a64_ctx *c, unsigned r, ir_temp v) {
    a64_write_v128(c, r, v, IR_ZERO);
}

void a64_goto(struct a64_ctx *c, uint64_t target, enum ir_branch_hint hint) {
    /* next: the return address of a call (return-address prediction) */
    c->b->term = (struct ir_term){.kind = TERM_GOTO,
                                  .hint = (uint8_t)hint,
                                  .target = target,
                                  .next = hint == HINT_CALL ? c->pc + 4 : 0};
    c->done = true;
}

void a64_goto_ind(struct a64_ctx *c, ir_temp target, enum ir_branch_hint hint) {
    c->b->term = (struct ir_term){.kind = TERM_GOTO_IND,
                                  .hint = (uint8_t)hint,
                                  .temp = target,
                                  .next = hint == HINT_CALL ? c->pc + 4 : 0};
    c->done = true;
}

void a64_brcond(struct a64_ctx *c, ir_temp cond, uint64_t target) {
    c->b->term =
        (struct ir_term){.kind = TERM_BRCOND, .temp = cond, .target = target, .next = c->pc + 4};
    c->done = true;
}

void a64_raise(struct a64_ctx *c, int signo, int code, uint64_t addr) {
    c->b->term = (struct ir_term){
        .kind = TERM_EXCP, .signo = signo, .code = code, .target = c->pc, .addr = addr};
    c->done = true;
}

void a64_unallocated(struct a64_ctx *c) {
    /* Drop whatever the handler emitted before it noticed: the insn has no effect. */
    c->b->n = c->insn_first_op;
    a64_raise(c, SIGILL, ILL_ILLOPC, c->pc);
}

ir_temp a64_call_insn(struct a64_ctx *c, ir_helper_fn fn, ir_temp a1, ir_temp a2, ir_temp a3) {
    return ir_call(c->b, fn, ir_const(c->b, c->insn), a1, a2, a3);
}

void a64_svc(struct a64_ctx *c, uint32_t imm) {
    c->b->term = (struct ir_term){.kind = TERM_SVC, .imm = imm, .next = c->pc + 4};
    c->done = true;
}
