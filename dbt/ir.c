#include "dbt/ir.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

const struct ir_op_info ir_op_info[IR_NUM_OPS] = {
#define IR_OP(name, nargs, has_dst, doc) [IR_##name] = {#name, nargs, has_dst, doc},
#include "dbt/ir_ops.def"
#undef IR_OP
};

void ir_block_init(struct ir_block *b, uint64_t pc) {
    memset(b, 0, sizeof *b);
    b->pc = pc;
    b->ntemps = 1; /* IR_ZERO */
}

void ir_block_free(struct ir_block *b) {
    free(b->insns);
    b->insns = NULL;
    b->n = b->cap = 0;
}

struct ir_insn *ir_emit(struct ir_block *b, enum ir_opcode op, unsigned sz) {
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 64;
        b->insns = realloc(b->insns, b->cap * sizeof *b->insns);
        SHOAL_ASSERT(b->insns);
    }
    SHOAL_ASSERT(b->ntemps < IR_MAX_TEMPS);
    struct ir_insn *i = &b->insns[b->n++];
    memset(i, 0, sizeof *i);
    i->op = (uint8_t)op;
    i->sz = (uint8_t)sz;
    return i;
}

void ir_block_dump(const struct ir_block *b, FILE *f) {
    fprintf(f, "IR block 0x%" PRIx64 " (%u guest insns, %u ops, %u temps)\n", b->pc, b->guest_insns,
            b->n, b->ntemps);
    for (uint32_t k = 0; k < b->n; k++) {
        const struct ir_insn *i = &b->insns[k];
        const struct ir_op_info *info = &ir_op_info[i->op];
        if (i->op == IR_INSN_START) {
            fprintf(f, "  ---- 0x%" PRIx64 "\n", i->imm);
            continue;
        }
        fprintf(f, "  ");
        if (info->has_dst) fprintf(f, "t%u = ", i->dst);
        fprintf(f, "%s.%u", info->name, i->sz);
        for (int a = 0; a < info->nargs; a++)
            fprintf(f, "%s t%u", a ? "," : "", i->a[a]);
        if (i->imm || i->op == IR_CONST || i->op == IR_GETX || i->op == IR_SETX)
            fprintf(f, " #0x%" PRIx64, i->imm);
        if (i->fn) fprintf(f, " fn=%p", (void *)i->fn);
        fprintf(f, "\n");
    }
    const struct ir_term *t = &b->term;
    static const char *const kinds[] = {"none", "goto", "goto_ind", "brcond", "svc", "excp"};
    fprintf(f, "  term %s t%u target=0x%" PRIx64 " next=0x%" PRIx64 " imm=%u signo=%d\n",
            kinds[t->kind], t->temp, t->target, t->next, t->imm, t->signo);
}
