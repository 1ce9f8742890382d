/* Scheduling attributes across nodes (sched_msg.h), through the host's
 * sched_getattr/sched_setattr, which carry nice, policy, priority and
 * the reset-on-fork flag together, as Linux copies them at clone. */
#define _GNU_SOURCE
#include "cluster/sched_msg.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The kernel's struct sched_attr, first version (48 bytes). */
struct host_sched_attr {
    uint32_t size, policy;
    uint64_t flags;
    int32_t nice;
    uint32_t priority;
    uint64_t runtime, deadline, period;
};

#define SCHED_FLAG_RESET_ON_FORK_ 1u
#define SCHED_DEADLINE_           6u

bool sched_msg_get(Shoal__SchedAttr *m) {
    shoal__sched_attr__init(m);
    struct host_sched_attr a;
    memset(&a, 0, sizeof a);
    if (syscall(SYS_sched_getattr, 0, &a, (unsigned)sizeof a, 0) != 0) return false;
    /* a deadline thread's reservation is not inherited (Linux refuses
     * to clone one): the new thread is an ordinary one */
    if (a.policy == SCHED_DEADLINE_) return false;
    m->nice = a.nice;
    m->policy = a.policy;
    m->priority = a.priority;
    m->reset_on_fork = (a.flags & SCHED_FLAG_RESET_ON_FORK_) != 0;
    return true;
}

int sched_msg_apply(const Shoal__SchedAttr *m) {
    /* the nice value on its own first: sched_setattr sets it only for
     * SCHED_OTHER and SCHED_BATCH, but an idle thread has one too */
    int r = syscall(SYS_setpriority, PRIO_PROCESS, 0, m->nice) == 0 ? 0 : -errno;
    struct host_sched_attr a;
    memset(&a, 0, sizeof a);
    a.size = sizeof a;
    a.policy = m->policy;
    a.flags = m->reset_on_fork ? SCHED_FLAG_RESET_ON_FORK_ : 0;
    a.nice = m->nice;
    a.priority = m->priority;
    if (syscall(SYS_sched_setattr, 0, &a, 0) != 0) return -errno;
    return r;
}
