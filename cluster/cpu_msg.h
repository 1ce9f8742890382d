/* A vCPU's user-visible registers as the wire's CpuState and back: what a
 * thread spawned on another node, or a clone delegated to the master,
 * starts from. */
#ifndef SHOAL_CLUSTER_CPU_MSG_H
#define SHOAL_CLUSTER_CPU_MSG_H

#include "dbt/cpu.h"
#include "net/msg.h"

/* Storage the message points into (no allocation). */
struct cpu_msg_buf {
    Shoal__CpuState msg;
    uint64_t x[31];
    ProtobufCBinaryData v[32];
};

/* Fills buf from cpu; buf->msg points into buf and cpu (the vector
 * registers): both must outlive the send. */
void cpu_msg_from_cpu(struct cpu_msg_buf *buf, const struct cpu *cpu);
/* Copies a validated CpuState (net_msg_validate) into cpu's registers. */
void cpu_msg_to_cpu(const Shoal__CpuState *m, struct cpu *cpu);

#endif
