#include "cluster/cpu_msg.h"

#include <string.h>

void cpu_msg_from_cpu(struct cpu_msg_buf *b, const struct cpu *cpu) {
    shoal__cpu_state__init(&b->msg);
    memcpy(b->x, cpu->x, sizeof b->x);
    b->msg.n_x = 31;
    b->msg.x = b->x;
    b->msg.sp = cpu->x[31];
    b->msg.pc = cpu->pc;
    b->msg.nzcv = cpu->nzcv & 0xf0000000u;
    b->msg.fpcr = cpu->fpcr;
    b->msg.fpsr = cpu->fpsr;
    b->msg.tpidr = cpu->tpidr_el0;
    for (int i = 0; i < 32; i++)
        b->v[i] = (ProtobufCBinaryData){16, (uint8_t *)&cpu->v[i]};
    b->msg.n_v = 32;
    b->msg.v = b->v;
}

void cpu_msg_to_cpu(const Shoal__CpuState *m, struct cpu *cpu) {
    memcpy(cpu->x, m->x, 31 * sizeof cpu->x[0]);
    cpu->x[31] = m->sp;
    cpu->pc = m->pc;
    cpu->nzcv = m->nzcv;
    cpu->fpcr = m->fpcr;
    cpu->fpsr = m->fpsr;
    cpu->tpidr_el0 = m->tpidr;
    for (int i = 0; i < 32; i++)
        memcpy(&cpu->v[i], m->v[i].data, 16);
    cpu->excl_size = 0;
}
