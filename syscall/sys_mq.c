/* POSIX message queues: host queues (mqueue fds are host fds). struct
 * mq_attr, struct sigevent and timespec have the same layout on both
 * sides; open flags are translated as openat's. mq_notify's
 * SIGEV_THREAD (glibc's, over a netlink socket) hands the kernel a
 * 32-byte cookie through sigev_value: a guest pointer, made a host one.
 * Sends and receives block like pipe I/O and restart the same way. */
#define _GNU_SOURCE
#include <limits.h>
#include <mqueue.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "syscall/syscall.h"

#define NOTIFY_COOKIE_LEN_ 32

/* The kernel's struct sigevent (64 bytes on both sides). */
struct mq_sigevent {
    uint64_t value;
    int32_t signo;
    int32_t notify;
    int32_t pad[12];
};
_Static_assert(sizeof(struct mq_sigevent) == 64, "struct sigevent is 64 bytes");
_Static_assert(sizeof(struct mq_attr) == 64, "struct mq_attr: eight longs");

SYSCALL_HANDLER(mq_open) {
    char name[NAME_MAX + 2];
    long n = guest_str(t, a[0], name, sizeof name);
    if (n == -ENAMETOOLONG) return -ENAMETOOLONG;
    if (n < 0) return n;
    const void *attr = NULL;
    if (a[3] && !(attr = GUEST_IN(t, a[3], sizeof(struct mq_attr)))) return -EFAULT;
    return blocking_syscall(t, GUEST_ERESTARTSYS, SYS_mq_open, name, open_flags_to_host(a[1]),
                            (mode_t)a[2], attr);
}

SYSCALL_HANDLER(mq_unlink) {
    char name[NAME_MAX + 2];
    long n = guest_str(t, a[0], name, sizeof name);
    if (n < 0) return n;
    return host_result(syscall(SYS_mq_unlink, name));
}

SYSCALL_HANDLER(mq_timedsend) {
    const void *msg = a[2] ? GUEST_IN(t, a[1], a[2]) : NULL;
    const void *ts = NULL;
    if ((a[2] && !msg) || (a[4] && !(ts = GUEST_IN(t, a[4], sizeof(struct timespec)))))
        return -EFAULT;
    return blocking_syscall(t, GUEST_ERESTARTSYS, SYS_mq_timedsend, (int)a[0], msg, a[2],
                            (unsigned)a[3], ts);
}

SYSCALL_HANDLER(mq_timedreceive) {
    void *msg = a[2] ? GUEST_OUT(t, a[1], a[2]) : NULL;
    void *prio = NULL;
    const void *ts = NULL;
    if ((a[2] && !msg) || (a[3] && !(prio = GUEST_OUT(t, a[3], sizeof(unsigned)))) ||
        (a[4] && !(ts = GUEST_IN(t, a[4], sizeof(struct timespec)))))
        return -EFAULT;
    return blocking_syscall(t, GUEST_ERESTARTSYS, SYS_mq_timedreceive, (int)a[0], msg, a[2], prio,
                            ts);
}

SYSCALL_HANDLER(mq_notify) {
    struct mq_sigevent ev, *evp = NULL;
    if (a[1]) {
        if (guest_copy_in(t, &ev, a[1], sizeof ev)) return -EFAULT;
        if (ev.notify == SIGEV_THREAD) {
            void *cookie = GUEST_IN(t, ev.value, NOTIFY_COOKIE_LEN_);
            if (!cookie) return -EFAULT;
            ev.value = (uint64_t)(uintptr_t)cookie;
        }
        evp = &ev;
    }
    return host_result(syscall(SYS_mq_notify, (int)a[0], evp));
}

SYSCALL_HANDLER(mq_getsetattr) {
    const void *nattr = NULL;
    void *oattr = NULL;
    if (a[1] && !(nattr = GUEST_IN(t, a[1], sizeof(struct mq_attr)))) return -EFAULT;
    if (a[2] && !(oattr = GUEST_OUT(t, a[2], sizeof(struct mq_attr)))) return -EFAULT;
    return host_result(syscall(SYS_mq_getsetattr, (int)a[0], nattr, oattr));
}

const struct syscall_row sys_mq_rows[] = {
    {180, "mq_open", sys_mq_open, "sOoa", 'd', SC_GLOBAL},
    {181, "mq_unlink", sys_mq_unlink, "s", 'd', SC_GLOBAL},
    {182, "mq_timedsend", sys_mq_timedsend, "#iuur", 'd', SC_GLOBAL},
    {183, "mq_timedreceive", sys_mq_timedreceive, "#buUr", 'd', SC_GLOBAL},
    {184, "mq_notify", sys_mq_notify, "#a", 'd', SC_GLOBAL},
    {185, "mq_getsetattr", sys_mq_getsetattr, "#aB", 'd', SC_GLOBAL},
    SYSCALL_ROWS_END,
};
