/* Other processes by pid: pidfd_open/pidfd_send_signal/pidfd_getfd and
 * process_vm_readv/writev. Pids, signal numbers, siginfo and fds are
 * the host's (syscall/DESIGN.md), so the pidfd calls pass through.
 *
 * process_vm_readv/writev name guest addresses of the target process.
 * For this process they are copied here through the guest space
 * (checked, and coherent in a cluster: a slave ships both iovec arrays,
 * the data read, and takes back the bytes written, as readv's and
 * writev's, syscall/sc_bufs.h); another process's guest
 * addresses mean nothing to this emulator (another shoal's reservation
 * may sit elsewhere), so those are -EPERM, as for a process one may not
 * access. Like Linux, a copy stops at the first remote page that cannot
 * be accessed and returns the bytes moved until then (-EFAULT if none). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "syscall/syscall.h"

SYSCALL_HANDLER(pidfd_open) {
    return host_result(syscall(SYS_pidfd_open, (int)a[0], (unsigned)a[1]));
}

SYSCALL_HANDLER(pidfd_send_signal) {
    const void *info = NULL; /* siginfo_t: the same 128 bytes on both sides */
    if (a[2] && !(info = GUEST_IN(t, a[2], sizeof(struct aarch64_siginfo)))) return -EFAULT;
    return host_result(syscall(SYS_pidfd_send_signal, (int)a[0], (int)a[1], info, (unsigned)a[3]));
}

/* The pid a pidfd refers to (its fdinfo's "Pid:"), or -1. */
static long pidfd_pid(int pidfd) {
    char path[48], buf[1024];
    snprintf(path, sizeof path, "/proc/self/fdinfo/%d", pidfd);
    FILE *f = fopen(path, "re");
    long pid = -1;
    while (f && pid < 0 && fgets(buf, sizeof buf, f))
        if (!strncmp(buf, "Pid:", 4)) pid = strtol(buf + 4, NULL, 10);
    if (f) fclose(f);
    return pid;
}

/* A copy of one of the emulator's own fds (own_fds.h) is not the
 * guest's to take from this very process: not open, as far as it can
 * tell. */
SYSCALL_HANDLER(pidfd_getfd) {
    if (own_fd(t->proc, (int)a[1]) && pidfd_pid((int)a[0]) == getpid()) return -EBADF;
    return host_result(syscall(SYS_pidfd_getfd, (int)a[0], (int)a[1], (unsigned)a[2]));
}

static int64_t process_vm(struct task *t, const uint64_t *a, bool write) {
    if (a[5]) return -EINVAL;                        /* no flags are defined */
    struct iovec l[GUEST_IOV_MAX], r[GUEST_IOV_MAX]; /* 32 KiB of a 4 MiB host stack */
    int64_t e = guest_iovs(t, a[1], a[2], l, write ? PROT_READ : PROT_WRITE);
    if (!e) e = guest_iovs(t, a[3], a[4], r, 0);
    if (e) return e;
    if ((pid_t)a[0] != getpid()) return -EPERM;
    uint64_t done = 0, li = 0, loff = 0;
    for (uint64_t ri = 0; ri < a[4]; ri++) {
        uint64_t ga = (uint64_t)(uintptr_t)r[ri].iov_base, left = r[ri].iov_len;
        while (left) {
            while (li < a[2] && loff == l[li].iov_len) {
                li++;
                loff = 0;
            }
            if (li == a[2]) return (int64_t)done;
            uint64_t n = GUEST_PAGE_SIZE - (ga & (GUEST_PAGE_SIZE - 1));
            if (n > left) n = left;
            if (n > l[li].iov_len - loff) n = l[li].iov_len - loff;
            char *hp = (char *)l[li].iov_base + loff;
            int err = write ? guest_copy_out(t, ga, hp, n) : guest_copy_in(t, hp, ga, n);
            if (err) return done ? (int64_t)done : -EFAULT;
            done += n;
            ga += n;
            left -= n;
            loff += n;
        }
    }
    return (int64_t)done;
}

SYSCALL_HANDLER(process_vm_readv) {
    return process_vm(t, a, false);
}

SYSCALL_HANDLER(process_vm_writev) {
    return process_vm(t, a, true);
}

/* Global: pids and fds are the master's in a cluster. */
const struct syscall_row sys_pidfd_rows[] = {
    {270, "process_vm_readv", sys_process_vm_readv, "dVuvux", 'd', SC_GLOBAL},
    {271, "process_vm_writev", sys_process_vm_writev, "dvuVux", 'd', SC_GLOBAL},
    {424, "pidfd_send_signal", sys_pidfd_send_signal, "#Syx", 'd', SC_GLOBAL},
    {434, "pidfd_open", sys_pidfd_open, "dx", 'd', SC_GLOBAL},
    {438, "pidfd_getfd", sys_pidfd_getfd, "#dx", 'd', SC_GLOBAL},
    SYSCALL_ROWS_END,
};
