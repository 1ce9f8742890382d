/* futex(2): guest memory is ordinary host memory of this process, so
 * the host kernel's futex on guest_base + addr has the exact semantics,
 * including PI futexes (guest tids are host tids). On the master of a
 * multi-node run every op is decided by the cluster's futex table
 * instead (process_cluster_ops.futex,
 * master/futex_svc.c), so that threads of every node meet on the same
 * words (the host kernel could not take a PI lock's word on its own: it
 * would fault on pages the DSM holds elsewhere and give up). */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "syscall/futex_args.h"
#include "syscall/syscall.h"

int futex_args_parse(struct task *t, const uint64_t *a, bool read_timeout, struct futex_args *o) {
    int op = (int)a[1];
    *o = (struct futex_args){.cmd = op & FUTEX_CMD_MASK,
                             .realtime = (op & FUTEX_CLOCK_REALTIME) != 0,
                             .priv = (op & FUTEX_PRIVATE_FLAG) != 0,
                             .uaddr = a[0],
                             .uaddr2 = a[4],
                             .val = (uint32_t)a[2],
                             .val2 = (uint32_t)a[3],
                             .val3 = (uint32_t)a[5],
                             .restart = GUEST_ERESTARTSYS};
    bool may_time = false;
    switch (o->cmd) {
    case FUTEX_WAIT:
    case FUTEX_WAIT_BITSET: o->wait = o->table = may_time = true; break;
    case FUTEX_WAKE:
    case FUTEX_WAKE_BITSET:
    case FUTEX_REQUEUE:
    case FUTEX_CMP_REQUEUE:
    case FUTEX_WAKE_OP: o->table = true; break;
    case FUTEX_LOCK_PI:
    case FUTEX_LOCK_PI2:
        o->wait = o->table = o->pi = may_time = true;
        o->restart = GUEST_ERESTARTNOINTR; /* Linux restarts a PI lock after a handler */
        break;
    case FUTEX_WAIT_REQUEUE_PI:
        o->wait = o->table = may_time = true;
        /* Linux restarts it when a signal comes before the requeue */
        o->restart = GUEST_ERESTARTNOINTR;
        break;
    case FUTEX_UNLOCK_PI:
    case FUTEX_TRYLOCK_PI: o->table = o->pi = true; break;
    case FUTEX_CMP_REQUEUE_PI: o->table = true; break;
    default: return -ENOSYS;
    }
    /* Linux takes the flag only where a timeout is absolute or measured,
     * and not for LOCK_PI, whose clock is always CLOCK_REALTIME */
    if (o->realtime && (!may_time || o->cmd == FUTEX_LOCK_PI)) return -ENOSYS;
    if (o->cmd == FUTEX_LOCK_PI) o->realtime = true;
    if (may_time && a[3]) {
        o->has_timeout = true;
        if (!read_timeout) goto done;
        if (gs_copy_in(&t->proc->mem, &o->ts, a[3], sizeof o->ts)) return -EFAULT;
        if (o->ts.tv_sec < 0 || o->ts.tv_nsec < 0 || o->ts.tv_nsec >= 1000000000) return -EINVAL;
    }
done:
    if ((o->cmd == FUTEX_WAIT || o->cmd == FUTEX_WAIT_BITSET) && o->has_timeout)
        o->restart = GUEST_ERESTART_RESTARTBLOCK;
    if (o->cmd == FUTEX_WAIT) o->val3 = FUTEX_BITSET_MATCH_ANY;
    return 0;
}

int64_t futex_args_left_ns(const struct futex_args *o, const struct guest_clock *clock) {
    if (!o->has_timeout) return -1;
    int64_t ns = (int64_t)o->ts.tv_sec * 1000000000 + o->ts.tv_nsec;
    if (ns < 0) ns = INT64_MAX;          /* overflow: as good as forever */
    if (o->cmd == FUTEX_WAIT) return ns; /* relative; the others absolute */
    int64_t left = ns - guest_clock_ns(clock, o->realtime ? CLOCK_REALTIME : CLOCK_MONOTONIC);
    return left > 0 ? left : 0;
}

SYSCALL_HANDLER(futex) {
    const struct process_cluster_ops *cl = t->proc->cluster;
    int64_t ret;
    if (cl && cl->futex && cl->futex(t, a, &ret)) return ret;
    int op = (int)a[1];
    int cmd = op & FUTEX_CMD_MASK;
    void *uaddr = guest_buf(t, a[0], 4, 0);
    if (!uaddr) return -EFAULT;
    void *uaddr2 = NULL;
    uint64_t arg4 = a[3]; /* timeout pointer or val2, by command */
    void *timeout = NULL;
    switch (cmd) {
    case FUTEX_WAIT:
    case FUTEX_WAIT_BITSET:
    case FUTEX_LOCK_PI:
    case FUTEX_LOCK_PI2:
    case FUTEX_WAIT_REQUEUE_PI:
        if (a[3] && !(timeout = GUEST_IN(t, a[3], sizeof(struct timespec)))) return -EFAULT;
        break;
    case FUTEX_WAKE:
    case FUTEX_WAKE_BITSET:
    case FUTEX_UNLOCK_PI:
    case FUTEX_TRYLOCK_PI:
    case FUTEX_REQUEUE:
    case FUTEX_CMP_REQUEUE:
    case FUTEX_WAKE_OP:
    case FUTEX_CMP_REQUEUE_PI: break;
    default: return -ENOSYS;
    }
    switch (cmd) {
    case FUTEX_REQUEUE:
    case FUTEX_CMP_REQUEUE:
    case FUTEX_WAKE_OP:
    case FUTEX_CMP_REQUEUE_PI:
    case FUTEX_WAIT_REQUEUE_PI:
        if (!(uaddr2 = guest_buf(t, a[4], 4, 0))) return -EFAULT;
        break;
    }
    /* How Linux restarts each blocking command after a signal. */
    int restart = GUEST_ERESTARTSYS;
    switch (cmd) {
    case FUTEX_WAIT:
    case FUTEX_WAIT_BITSET:
        if (timeout) restart = GUEST_ERESTART_RESTARTBLOCK;
        break;
    case FUTEX_LOCK_PI:
    case FUTEX_LOCK_PI2:
    case FUTEX_WAIT_REQUEUE_PI: restart = GUEST_ERESTARTNOINTR; break;
    }
    return blocking_syscall(t, restart, SYS_futex, uaddr, op, (uint32_t)a[2],
                            timeout ? timeout : (void *)(uintptr_t)arg4, uaddr2, (uint32_t)a[5]);
}

const struct syscall_row sys_futex_rows[] = {
    {98, "futex", sys_futex, "pxdppx", 'd', SC_GLOBAL},
    SYSCALL_ROWS_END,
};
