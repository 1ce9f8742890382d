/* System administration calls that qemu-user passes to the host: mounts,
 * the root directory, host and domain names, the kernel log, process
 * accounting, the terminal's hangup, namespaces, kcmp. Each is global:
 * in a cluster it acts on the master's host, where the run's files, fds
 * and processes live. The kernel decides privilege; what differs is only
 * where qemu answers before the kernel (a string it cannot read is
 * EFAULT, a syslog action it does not know is EINVAL), so the guest sees
 * the same errno whether or not the run is privileged. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "syscall/own_fds.h"
#include "syscall/syscall.h"

/* An optional guest string (NULL stays NULL) into buf[PATH_MAX]; 0 or
 * -EFAULT / -ENAMETOOLONG. */
static int optional_str(struct task *t, uint64_t addr, char *buf, const char **out) {
    *out = NULL;
    if (!addr) return 0;
    long n = guest_str(t, addr, buf, PATH_MAX);
    if (n < 0) return (int)n;
    *out = buf;
    return 0;
}

SYSCALL_HANDLER(mount) {
    char src[PATH_MAX], dst[PATH_MAX], type[PATH_MAX], data[PATH_MAX];
    const char *s, *ty, *d;
    int e = optional_str(t, a[0], src, &s);
    if (!e) e = guest_path(t, a[1], dst); /* the target is required */
    if (!e) e = optional_str(t, a[2], type, &ty);
    /* file systems take their options as a string (the kernel reads up
     * to a page of it) */
    if (!e) e = optional_str(t, a[4], data, &d);
    if (e) return e;
    return host_result(mount(s, dst, ty, (unsigned long)a[3], d));
}

SYSCALL_HANDLER(umount2) {
    char path[PATH_MAX];
    int e = guest_path(t, a[0], path);
    return e ? e : host_result(umount2(path, (int)a[1]));
}

SYSCALL_HANDLER(pivot_root) {
    char new_root[PATH_MAX], put_old[PATH_MAX];
    int e = guest_path(t, a[0], new_root);
    if (!e) e = guest_path(t, a[1], put_old);
    return e ? e : host_result(syscall(SYS_pivot_root, new_root, put_old));
}

SYSCALL_HANDLER(chroot) {
    char path[PATH_MAX];
    int e = guest_path(t, a[0], path);
    return e ? e : host_result(chroot(path));
}

/* Process accounting to a file, or off (NULL). */
SYSCALL_HANDLER(acct) {
    char path[PATH_MAX];
    if (!a[0]) return host_result(acct(NULL));
    int e = guest_path(t, a[0], path);
    return e ? e : host_result(acct(path));
}

SYSCALL_HANDLER(vhangup) {
    return host_result(vhangup());
}

/* The name is read as bytes of the given length (no terminator), as
 * Linux does; one qemu cannot read is EFAULT, whatever the length. */
static int64_t set_name(struct task *t, const uint64_t *a, int nr) {
    const void *name = GUEST_IN(t, a[0], a[1]);
    if (!name) return -EFAULT;
    return host_result(syscall(nr, name, (size_t)a[1]));
}

SYSCALL_HANDLER(sethostname) {
    return set_name(t, a, SYS_sethostname);
}

SYSCALL_HANDLER(setdomainname) {
    return set_name(t, a, SYS_setdomainname);
}

/* syslog(2)'s actions (include/linux/syslog.h) */
enum {
    LOG_ACT_CLOSE,
    LOG_ACT_OPEN,
    LOG_ACT_READ,
    LOG_ACT_READ_ALL,
    LOG_ACT_READ_CLEAR,
    LOG_ACT_CLEAR,
    LOG_ACT_CONSOLE_OFF,
    LOG_ACT_CONSOLE_ON,
    LOG_ACT_CONSOLE_LEVEL,
    LOG_ACT_SIZE_UNREAD,
    LOG_ACT_SIZE_BUFFER,
};

/* Only the three reads use the buffer; an action qemu does not know is
 * EINVAL before the kernel's permission check, as are reads of a
 * negative length, and a read of none is 0. */
SYSCALL_HANDLER(syslog) {
    int type = (int)a[0], len = (int)a[2];
    switch (type) {
    case LOG_ACT_READ:
    case LOG_ACT_READ_ALL:
    case LOG_ACT_READ_CLEAR: {
        if (len < 0) return -EINVAL;
        if (len == 0) return 0;
        void *buf = GUEST_OUT(t, a[1], (uint64_t)len);
        if (!buf) return -EFAULT;
        return host_result(syscall(SYS_syslog, type, buf, len));
    }
    case LOG_ACT_CLOSE:
    case LOG_ACT_OPEN:
    case LOG_ACT_CLEAR:
    case LOG_ACT_CONSOLE_OFF:
    case LOG_ACT_CONSOLE_ON:
    case LOG_ACT_CONSOLE_LEVEL:
    case LOG_ACT_SIZE_UNREAD:
    case LOG_ACT_SIZE_BUFFER: return host_result(syscall(SYS_syslog, type, NULL, len));
    default: return -EINVAL;
    }
}

/* The calling host thread's (a slave's thread: its proxy's, which makes
 * its later calls): what Linux unshares for the calling thread. */
SYSCALL_HANDLER(unshare) {
    return host_result(unshare((int)a[0]));
}

SYSCALL_HANDLER(setns) {
    return host_result(setns((int)a[0], (int)a[1]));
}

#define KCMP_FILE_      0
#define KCMP_EPOLL_TFD_ 7

/* KCMP_FILE's indices are fds (the emulator's own are not the guest's);
 * KCMP_EPOLL_TFD's second is a guest struct kcmp_epoll_slot (three u32s,
 * the same on both). The kernel checks the rest in its order. */
SYSCALL_HANDLER(kcmp) {
    int type = (int)a[2];
    uint64_t idx2 = a[4];
    if (type == KCMP_FILE_ && (own_fd(t->proc, (int)a[3]) || own_fd(t->proc, (int)a[4])))
        return -EBADF;
    if (type == KCMP_EPOLL_TFD_) {
        const void *slot = GUEST_IN(t, a[4], 12);
        idx2 = (uint64_t)(uintptr_t)(slot ? slot : GUEST_BAD_PTR);
    }
    return host_result(syscall(SYS_kcmp, (pid_t)a[0], (pid_t)a[1], type, (unsigned long)a[3],
                               (unsigned long)idx2));
}

const struct syscall_row sys_admin_rows[] = {
    {39, "umount2", sys_umount2, "sx", 'd', SC_GLOBAL},
    {40, "mount", sys_mount, "sssxs", 'd', SC_GLOBAL},
    {41, "pivot_root", sys_pivot_root, "ss", 'd', SC_GLOBAL},
    {51, "chroot", sys_chroot, "s", 'd', SC_GLOBAL},
    {58, "vhangup", sys_vhangup, "", 'd', SC_GLOBAL},
    {89, "acct", sys_acct, "s", 'd', SC_GLOBAL},
    {97, "unshare", sys_unshare, "x", 'd', SC_GLOBAL},
    {116, "syslog", sys_syslog, "dpd", 'd', SC_GLOBAL},
    {161, "sethostname", sys_sethostname, "pd", 'd', SC_GLOBAL},
    {162, "setdomainname", sys_setdomainname, "pd", 'd', SC_GLOBAL},
    {268, "setns", sys_setns, "#x", 'd', SC_GLOBAL},
    {272, "kcmp", sys_kcmp, "dddxx", 'd', SC_GLOBAL},
    SYSCALL_ROWS_END,
};
