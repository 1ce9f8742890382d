/* futex(2) arguments decoded once, as the cluster's futex table takes
 * them (master/futex_svc.c on the master, the delegation of waits on a
 * slave). Defined in sys_futex.c. */
#ifndef SHOAL_SYSCALL_FUTEX_ARGS_H
#define SHOAL_SYSCALL_FUTEX_ARGS_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct task;

/* The master's answer to a slave's futex op on a word lent to that very
 * node (its FutexLend was still on the way): decide it there. Never a
 * guest's result (outside -4095..-1). */
#define FUTEX_AT_NODE (-5000)

struct futex_args {
    int cmd;       /* op & FUTEX_CMD_MASK */
    bool realtime; /* FUTEX_CLOCK_REALTIME (waits only) */
    bool table;    /* one of the ops the master's table decides (every op parsed) */
    bool wait;     /* may block: FUTEX_WAIT, WAIT_BITSET, LOCK_PI, LOCK_PI2, WAIT_REQUEUE_PI */
    bool pi;       /* LOCK_PI, LOCK_PI2, UNLOCK_PI, TRYLOCK_PI */
    bool priv;     /* FUTEX_PRIVATE_FLAG */
    uint64_t uaddr, uaddr2;
    uint32_t val, val2, val3; /* val2: a[3] as a count (requeue, wake_op) */
    bool has_timeout;
    struct timespec ts; /* as the guest gave it: relative (WAIT) or absolute;
                         * LOCK_PI's is on CLOCK_REALTIME (realtime set),
                         * WAIT_REQUEUE_PI's as WAIT_BITSET's */
    int restart;        /* the GUEST_ERESTART* code of an interrupted wait */
};

/* Decodes a[0..5], the timeout read from guest memory if read_timeout
 * (else has_timeout says only whether there is one). 0, -EFAULT,
 * -EINVAL (bad timespec) or -ENOSYS (unknown command, or
 * FUTEX_CLOCK_REALTIME where Linux refuses it). */
int futex_args_parse(struct task *t, const uint64_t *a, bool read_timeout, struct futex_args *o);

/* A wait's timeout as nanoseconds left from now (0 if already past), or
 * -1 without one: absolute timeouts are measured on the guest's clock of
 * this node (clock: its offsets, guest_clock.h), so the master can apply
 * it on its own clock. */
struct guest_clock;
int64_t futex_args_left_ns(const struct futex_args *o, const struct guest_clock *clock);

#endif
