/* splice, tee, vmsplice: pipes are host pipes, so the kernel moves the
 * data; offsets (loff_t) and iovecs have the same layout on both sides.
 * All three may block on a pipe, so they are interruptible like read. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "syscall/syscall.h"

SYSCALL_HANDLER(splice) {
    void *off_in = NULL, *off_out = NULL;
    if (a[1] && !(off_in = guest_buf(t, a[1], 8, PROT_READ | PROT_WRITE))) return -EFAULT;
    if (a[3] && !(off_out = guest_buf(t, a[3], 8, PROT_READ | PROT_WRITE))) return -EFAULT;
    return blocking_syscall(t, GUEST_ERESTARTSYS, SYS_splice, (int)a[0], off_in, (int)a[2], off_out,
                            a[4], (unsigned)a[5]);
}

SYSCALL_HANDLER(tee) {
    return blocking_syscall(t, GUEST_ERESTARTSYS, SYS_tee, (int)a[0], (int)a[1], a[2],
                            (unsigned)a[3]);
}

/* vmsplice maps user memory into a pipe (its write end) or copies pipe
 * data into user memory (its read end): the guest buffers must allow
 * reading or writing accordingly. */
SYSCALL_HANDLER(vmsplice) {
    if (a[2] > GUEST_IOV_MAX) return -EINVAL;
    int fl = fcntl((int)a[0], F_GETFL);
    if (fl < 0) return -EBADF;
    int prot = (fl & O_ACCMODE) == O_RDONLY ? PROT_WRITE : PROT_READ;
    struct iovec iov[GUEST_IOV_MAX];
    int64_t e = guest_iovs(t, a[1], a[2], iov, 0);
    if (e) return e;
    for (uint64_t i = 0; i < a[2]; i++) {
        uint64_t ga = (uint64_t)(uintptr_t)iov[i].iov_base;
        /* into a pipe the kernel keeps references to the pages, read
         * later: the guest's own, never a copy that is freed on return */
        void *h = prot == PROT_READ ? guest_pages(t, ga, iov[i].iov_len, prot)
                                    : guest_buf(t, ga, iov[i].iov_len, prot);
        if (!h) return -EFAULT;
        iov[i].iov_base = h;
    }
    return blocking_syscall(t, GUEST_ERESTARTSYS, SYS_vmsplice, (int)a[0], iov, a[2],
                            (unsigned)a[3]);
}

const struct syscall_row sys_splice_rows[] = {
    {75, "vmsplice", sys_vmsplice, "#pux", 'd', SC_GLOBAL},
    {76, "splice", sys_splice, "#w#wux", 'd', SC_GLOBAL},
    {77, "tee", sys_tee, "##ux", 'd', SC_GLOBAL},
    SYSCALL_ROWS_END,
};
