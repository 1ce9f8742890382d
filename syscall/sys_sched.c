/* Scheduling priorities and policies: nice values (getpriority/
 * setpriority), the sched_* policy and parameter calls and I/O priorities
 * (ioprio). Guest threads are host threads and pids/tids are the host's,
 * so each is the host call; struct sched_param (one int) and timespec
 * have the same layout on both sides. getpriority returns the kernel's
 * 20 - nice, which guest libc converts as it would on Linux.
 *
 * The rows are SC_LOCAL: with who/pid 0 Linux acts on the calling thread
 * (nice and policies are per thread), so the call must run on the host
 * thread that runs the guest thread, never on a cluster master's proxy.
 * In a cluster a thread named by its guest tid is not the host's tid of
 * that number: the caller's own is the caller (0), another of this
 * node's is its host thread, and one of another node is acted on there
 * (a slave asks the master, the master asks the thread's node:
 * process_cluster_ops.thread_call, ThreadCall). Any other id is a
 * process, the host's. */
#define _GNU_SOURCE
#include <sched.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "syscall/sched_call.h"
#include "syscall/syscall.h"

#define IOPRIO_WHO_PROCESS 1

int sched_target_arg(int nr, const uint64_t *a) {
    switch (nr) {
    case 140: /* setpriority */
    case 141: return (int)a[0] == PRIO_PROCESS ? 1 : -1;
    case 30: /* ioprio_set */
    case 31: return (int)a[0] == IOPRIO_WHO_PROCESS ? 1 : -1;
    case 118:           /* sched_setparam */
    case 119:           /* sched_setscheduler */
    case 120:           /* sched_getscheduler */
    case 121:           /* sched_getparam */
    case 127: return 0; /* sched_rr_get_interval */
    default: return -1;
    }
}

void sched_io_sizes(int nr, size_t *in, size_t *out) {
    *in = nr == 118 || nr == 119 ? sizeof(struct sched_param) : 0;
    *out = nr == 121 ? sizeof(struct sched_param) : nr == 127 ? sizeof(struct timespec) : 0;
}

int64_t sched_host_call(int nr, const uint64_t *a, const void *in, void *out) {
    switch (nr) {
    case 141: return host_result(syscall(SYS_getpriority, (int)a[0], (int)a[1]));
    case 140: return host_result(syscall(SYS_setpriority, (int)a[0], (int)a[1], (int)a[2]));
    case 118: return host_result(syscall(SYS_sched_setparam, (pid_t)a[0], in));
    case 119: return host_result(syscall(SYS_sched_setscheduler, (pid_t)a[0], (int)a[1], in));
    case 120: return host_result(syscall(SYS_sched_getscheduler, (pid_t)a[0]));
    case 121: return host_result(syscall(SYS_sched_getparam, (pid_t)a[0], out));
    case 127: return host_result(syscall(SYS_sched_rr_get_interval, (pid_t)a[0], out));
    case 30: return host_result(syscall(SYS_ioprio_set, (int)a[0], (int)a[1], (int)a[2]));
    case 31: return host_result(syscall(SYS_ioprio_get, (int)a[0], (int)a[1]));
    default: return -ENOSYS;
    }
}

/* One of the calls above for guest thread t, its struct read from or
 * written to guest memory, its target resolved (the file comment). */
static int64_t sched_call(struct task *t, int nr, const uint64_t *args) {
    uint64_t a[6];
    memcpy(a, args, sizeof a);
    size_t inlen, outlen;
    sched_io_sizes(nr, &inlen, &outlen);
    uint64_t inaddr = nr == 119 ? a[2] : a[1], outaddr = a[1];
    uint8_t in[16] = {0}, out[16] = {0};
    if (inlen && guest_copy_in(t, in, inaddr, inlen)) return -EFAULT;
    int i = sched_target_arg(nr, a);
    int id = i >= 0 ? (int)a[i] : 0;
    const struct process_cluster_ops *cl = t->proc->cluster;
    int64_t ret;
    if (i >= 0 && id == t->tid) {
        a[i] = 0; /* the caller: its host tid may be another number */
    } else if (i >= 0 && id > 0 && cl) {
        int host = process_host_tid(t->proc, id);
        if (host > 0) {
            a[i] = (uint64_t)host;
        } else if (cl->delegate) { /* a slave: the master knows where it runs */
            return cl->delegate(t, syscall_lookup(nr), args);
        } else if (cl->thread_call &&
                   cl->thread_call(t->proc, id, nr, a, in, inlen, out, outlen, &ret) == 0) {
            goto done;
        }
    }
    ret = sched_host_call(nr, a, in, out);
done:
    if (ret >= 0 && outlen && guest_copy_out(t, outaddr, out, outlen)) return -EFAULT;
    return ret;
}

#define SCHED_HANDLER(name, nr)                                                                    \
    SYSCALL_HANDLER(name) {                                                                        \
        return sched_call(t, nr, a);                                                               \
    }

SCHED_HANDLER(getpriority, 141)
SCHED_HANDLER(setpriority, 140)
SCHED_HANDLER(sched_setparam, 118)
SCHED_HANDLER(sched_getparam, 121)
SCHED_HANDLER(sched_setscheduler, 119)
SCHED_HANDLER(sched_getscheduler, 120)
SCHED_HANDLER(sched_rr_get_interval, 127)
SCHED_HANDLER(ioprio_set, 30)
SCHED_HANDLER(ioprio_get, 31)

SYSCALL_HANDLER(sched_get_priority_max) {
    return host_result(syscall(SYS_sched_get_priority_max, (int)a[0]));
}

SYSCALL_HANDLER(sched_get_priority_min) {
    return host_result(syscall(SYS_sched_get_priority_min, (int)a[0]));
}

const struct syscall_row sys_sched_rows[] = {
    {30, "ioprio_set", sys_ioprio_set, "ddd", 'd', SC_LOCAL},
    {31, "ioprio_get", sys_ioprio_get, "dd", 'd', SC_LOCAL},
    {118, "sched_setparam", sys_sched_setparam, "dp", 'd', SC_LOCAL},
    {119, "sched_setscheduler", sys_sched_setscheduler, "ddp", 'd', SC_LOCAL},
    {120, "sched_getscheduler", sys_sched_getscheduler, "d", 'd', SC_LOCAL},
    {121, "sched_getparam", sys_sched_getparam, "dp", 'd', SC_LOCAL},
    {125, "sched_get_priority_max", sys_sched_get_priority_max, "d", 'd', SC_LOCAL},
    {126, "sched_get_priority_min", sys_sched_get_priority_min, "d", 'd', SC_LOCAL},
    {127, "sched_rr_get_interval", sys_sched_rr_get_interval, "dp", 'd', SC_LOCAL},
    {140, "setpriority", sys_setpriority, "ddd", 'd', SC_LOCAL},
    {141, "getpriority", sys_getpriority, "dd", 'd', SC_LOCAL},
    SYSCALL_ROWS_END,
};
