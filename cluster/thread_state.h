/* A guest thread moving between nodes (docs/cluster.md, "One machine's
 * CPUs"): what it takes along besides its registers, as the wire's
 * ThreadMoved. A thread moves at a system call boundary, from its own
 * host thread, so nothing of it runs meanwhile: its mask, alternate
 * stack, robust list, clear_child_tid, scheduling attributes, hint marks
 * and every signal still waiting for it (recorded by shoal, or held by
 * the host kernel for that host thread) go with it. */
#ifndef SHOAL_CLUSTER_THREAD_STATE_H
#define SHOAL_CLUSTER_THREAD_STATE_H

#include <stddef.h>

#include "cluster/cpu_msg.h"
#include "net/msg.h"
#include "syscall/task.h"

/* Signals a moving thread carries at most: the wire's limit. */
#define THREAD_STATE_SIGNALS_MAX NET_MOVED_SIGNALS_MAX

/* Storage the message points into (thread_state_buf_free). */
struct thread_state_buf {
    Shoal__ThreadMoved msg;
    struct cpu_msg_buf cpu;
    Shoal__SchedAttr sched;
    size_t n, cap;
    struct aarch64_siginfo *info; /* its signals, numbered by si_signo */
    Shoal__PendingSignal *pend;
    Shoal__PendingSignal **pendp;
};

/* On t's own host thread, with host signals blocked
 * (host_signal_block_all): b describes t as it is now, and every signal
 * waiting for this thread is taken (from shoal's record and from the
 * host kernel) into b. b->msg points into b and t (the registers). */
void thread_state_capture(struct thread_state_buf *b, struct task *t);
/* What capture allocated (b itself is the caller's). */
void thread_state_buf_free(struct thread_state_buf *b);
/* Gives t (a task that runs no guest code yet) the state of m but the
 * registers, the scheduling attributes and the signals. */
void thread_state_restore(struct task *t, const Shoal__ThreadMoved *m);
/* On the host thread that runs t next, host signals blocked, before
 * task_run: its scheduling attributes, and its signals queued to
 * itself, where the host kernel keeps them as for any thread. */
void thread_state_resume(struct task *t, const Shoal__ThreadMoved *m);

#endif
