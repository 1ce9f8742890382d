/* Scheduling priorities and policies: nice values (getpriority/
 * setpriority), the sched_* policy and parameter calls (sched_setattr/
 * getattr too) and I/O priorities (ioprio). Guest threads are host
 * threads and pids/tids are the host's, so each is the host call; struct
 * sched_param (one int), sched_attr and timespec have the same layout on
 * both sides. getpriority returns the kernel's
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
/* struct sched_attr (linux/sched/types.h, which clashes with sched.h):
 * its first version, and Linux's own since 5.3 (util_min/util_max) */
#define SCHED_ATTR_SIZE_VER0 48
#define SCHED_ATTR_SIZE_VER1 56

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
    case 274:           /* sched_setattr */
    case 275:           /* sched_getattr */
    case 127: return 0; /* sched_rr_get_interval */
    default: return -1;
    }
}

void sched_io_sizes(int nr, size_t *in, size_t *out) {
    *in = nr == 118 || nr == 119 ? sizeof(struct sched_param) : nr == 274 ? SCHED_IO_MAX : 0;
    *out = nr == 121   ? sizeof(struct sched_param)
           : nr == 127 ? sizeof(struct timespec)
           : nr == 275 ? SCHED_IO_MAX
                       : 0;
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
    case 274: return host_result(syscall(SYS_sched_setattr, (pid_t)a[0], in, (unsigned)a[2]));
    case 275: /* size: at most SCHED_IO_MAX (sched_call) */
        return host_result(
            syscall(SYS_sched_getattr, (pid_t)a[0], out, (unsigned)a[2], (unsigned)a[3]));
    case 30: return host_result(syscall(SYS_ioprio_set, (int)a[0], (int)a[1], (int)a[2]));
    case 31: return host_result(syscall(SYS_ioprio_get, (int)a[0], (int)a[1]));
    default: return -ENOSYS;
    }
}

/* sched_setattr's struct sched_attr into in[SCHED_IO_MAX]: its size
 * field says how long the caller's is (0: the first version's); Linux
 * takes what is past its own struct only when it is zero, else it
 * writes its size into the field and says E2BIG. So the bytes past
 * SCHED_IO_MAX are checked here and the host sees at most that many.
 * 0 or -errno. */
static int64_t sched_attr_in(struct task *t, uint64_t addr, uint8_t *in) {
    uint32_t size, n;
    if (guest_copy_in(t, &size, addr, sizeof size)) return -EFAULT;
    if (!size) size = SCHED_ATTR_SIZE_VER0;
    bool fits = size >= SCHED_ATTR_SIZE_VER0; /* no upper bound since Linux 5.4 */
    n = size < SCHED_IO_MAX ? size : SCHED_IO_MAX;
    if (fits && guest_copy_in(t, in, addr, n)) return -EFAULT;
    uint64_t rest[512];
    for (uint64_t off = SCHED_IO_MAX; fits && off < size; off += sizeof rest) {
        size_t len = size - off < sizeof rest ? size - off : sizeof rest;
        if (guest_copy_in(t, rest, addr + off, len)) return -EFAULT;
        for (size_t i = 0; i < len; i++)
            fits &= !((const uint8_t *)rest)[i];
    }
    if (!fits) {
        uint32_t own = SCHED_ATTR_SIZE_VER1;
        guest_copy_out(t, addr, &own, sizeof own); /* as Linux: its failure unsaid */
        return -E2BIG;
    }
    memcpy(in, &n, sizeof n);
    return 0;
}

/* One of the calls above for guest thread t, its struct read from or
 * written to guest memory, its target resolved (the file comment). */
static int64_t sched_call(struct task *t, int nr, const uint64_t *args) {
    uint64_t a[6];
    memcpy(a, args, sizeof a);
    size_t inlen, outlen;
    sched_io_sizes(nr, &inlen, &outlen);
    uint64_t inaddr = nr == 119 ? a[2] : a[1], outaddr = a[1];
    uint8_t in[SCHED_IO_MAX] = {0}, out[SCHED_IO_MAX] = {0};
    if (nr == 274 || nr == 275) {
        /* what Linux refuses before it reads or looks for the thread */
        if (!a[1] || (int)a[0] < 0 || (unsigned)a[nr == 274 ? 2 : 3]) return -EINVAL;
        if (nr == 275 && (unsigned)a[2] < SCHED_ATTR_SIZE_VER0) return -EINVAL;
    }
    if (nr == 274) {
        int64_t e = sched_attr_in(t, a[1], in);
        if (e) return e;
    } else if (inlen && guest_copy_in(t, in, inaddr, inlen)) {
        return -EFAULT;
    }
    if (nr == 275 && a[2] > SCHED_IO_MAX) a[2] = SCHED_IO_MAX;
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
    if (nr == 275 && ret >= 0) {
        uint32_t n; /* what the host wrote: its struct, or less as asked */
        memcpy(&n, out, sizeof n);
        outlen = n < SCHED_IO_MAX ? n : SCHED_IO_MAX;
    }
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
SCHED_HANDLER(sched_setattr, 274)
SCHED_HANDLER(sched_getattr, 275)

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
    {274, "sched_setattr", sys_sched_setattr, "dpx", 'd', SC_LOCAL},
    {275, "sched_getattr", sys_sched_getattr, "dpux", 'd', SC_LOCAL},
    SYSCALL_ROWS_END,
};
