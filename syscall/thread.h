/* Guest threads and forks created by clone(2). One host thread per guest
 * thread; the guest tid is the host tid, so futexes, tgkill and PI
 * futex owner ids need no translation. */
#ifndef SHOAL_SYSCALL_THREAD_H
#define SHOAL_SYSCALL_THREAD_H

#include <stdint.h>

#include "syscall/task.h"

/* clone with the AArch64 argument order (flags, stack, ptid, tls, ctid).
 * Returns the new tid/pid in the caller (0 in a forked child) or -errno. */
int64_t thread_clone(struct task *t, uint64_t flags, uint64_t newsp, uint64_t ptid, uint64_t tls,
                     uint64_t ctid);
/* A new thread's task, made from its creator's as clone(2) makes it
 * with these arguments: its registers (x0 = 0, the new stack and TLS),
 * signal mask, CPU affinity and CLONE_CHILD_CLEARTID word. Not started. */
struct task *thread_task_from(struct task *parent, uint64_t flags, uint64_t newsp, uint64_t tls,
                              uint64_t ctid);

#endif
