/* A thread's scheduling attributes (nice value, policy, real-time
 * priority, reset-on-fork) as the wire's SchedAttr: Linux gives a new
 * thread its creator's, and in a cluster the creator and the new thread
 * may run on different nodes. Guest threads are host threads and the
 * sched_* calls are the host's on the calling thread (syscall/sys_sched.c),
 * so these read and set the calling host thread's own. */
#ifndef SHOAL_CLUSTER_SCHED_MSG_H
#define SHOAL_CLUSTER_SCHED_MSG_H

#include <stdbool.h>

#include "net/msg.h"

/* The calling host thread's attributes into m (initialised here); false
 * if the host cannot tell (then m is not to be sent). */
bool sched_msg_get(Shoal__SchedAttr *m);
/* Gives the calling host thread the attributes of m, as far as the host
 * allows (a nice value lower than this node's, or a real-time policy,
 * needs privilege; without it the thread keeps what it has); 0 or -errno. */
int sched_msg_apply(const Shoal__SchedAttr *m);

#endif
