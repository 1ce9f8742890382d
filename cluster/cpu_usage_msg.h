/* struct cpu_usage (syscall/cpu_time.h) as the CpuUsage message: a
 * slave's answer to CpuUsageQuery, or its own node's part carried by a
 * delegated call that reads the program's CPU time. */
#ifndef SHOAL_CLUSTER_CPU_USAGE_MSG_H
#define SHOAL_CLUSTER_CPU_USAGE_MSG_H

#include <stdbool.h>

#include "net/proto/shoal.pb-c.h"
#include "syscall/cpu_time.h"
#include "syscall/proc_tasks.h"

/* Fills m (initialized, req_id and missing left alone) from u. */
void cpu_usage_to_msg(const struct cpu_usage *u, Shoal__CpuUsage *m);
/* u from m, each figure capped (a node's figures are untrusted: the
 * master's sums cannot overflow). */
void cpu_usage_from_msg(const Shoal__CpuUsage *m, struct cpu_usage *u);

/* A thread's view (syscall/proc_tasks.h) in the same message, and back:
 * false if m holds none; the state only a printable letter or 0. */
void thread_view_to_msg(const struct proc_thread_view *v, Shoal__CpuUsage *m);
bool thread_view_from_msg(const Shoal__CpuUsage *m, struct proc_thread_view *v);

#endif
