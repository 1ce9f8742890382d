/* futex(2): guest memory is ordinary host memory of this process, so
 * the host kernel's futex on guest_base + addr has the exact semantics,
 * including PI futexes (guest tids are host tids). */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "syscall/syscall.h"

SYSCALL_HANDLER(futex) {
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
