/* File-system and file-descriptor syscalls. Guest fds are host fds; the
 * work is checking guest buffers and translating the few layouts and
 * flags that differ (struct stat, open flags). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "syscall/ioctl_rows.h"
#include "syscall/proc_files.h"
#include "syscall/proc_tasks.h"
#include "syscall/signalfd_read.h"
#include "syscall/syscall.h"
#include "syscall/sysroot.h"

/* "/proc/self/exe" and its spellings name the guest program, not shoal. */
static bool is_proc_exe(const char *path) {
    return proc_self_path(path, "exe");
}

/* The host file a guest path names where qemu-user translates paths:
 * /proc/self/exe is the program; absolute paths look in the sysroot
 * first (-L, sysroot.h). buf has PATH_MAX bytes. */
static const char *host_path(struct task *t, const char *path, char *buf) {
    if (is_proc_exe(path)) return t->proc->exe_path;
    return sysroot_path(t->proc->sysroot, path, buf, PATH_MAX);
}

#define GET_PATH(buf, addr)                                                                        \
    char buf[PATH_MAX];                                                                            \
    do {                                                                                           \
        int e_ = guest_path(t, addr, buf);                                                         \
        if (e_) return e_;                                                                         \
    } while (0)

SYSCALL_HANDLER(openat) {
    GET_PATH(rel, a[1]);
    int flags = open_flags_to_host(a[2]);
    char pbuf[PATH_MAX];
    const char *abs = proc_path_at(t->proc, (int)a[0], rel, pbuf);
    int fd = proc_file_open(t, abs, flags);
    if (fd != PROC_NOT_EMULATED) return fd;
    char hbuf[PATH_MAX];
    const char *p = host_path(t, is_proc_exe(abs) ? abs : rel, hbuf);
    /* Opening a FIFO blocks until the other end opens. */
    return blocking_syscall(t, GUEST_ERESTARTSYS, SYS_openat, (int)a[0], p, flags, (mode_t)a[3]);
}

SYSCALL_HANDLER(close) {
    return host_result(close((int)a[0]));
}

SYSCALL_HANDLER(read) {
    void *buf = GUEST_OUT(t, a[1], a[2]);
    if (!buf) return -EFAULT;
    struct iovec one = {buf, a[2]};
    int64_t r;
    if (signalfd_proxy_read(t, (int)a[0], &one, 1, &r)) return r;
    return blocking_syscall(t, GUEST_ERESTARTSYS, SYS_read, (int)a[0], buf, a[2]);
}

SYSCALL_HANDLER(write) {
    void *buf = GUEST_IN(t, a[1], a[2]);
    return buf ? blocking_syscall(t, GUEST_ERESTARTSYS, SYS_write, (int)a[0], buf, a[2]) : -EFAULT;
}

SYSCALL_HANDLER(pread64) {
    void *buf = GUEST_OUT(t, a[1], a[2]);
    return buf ? blocking_syscall(t, GUEST_ERESTARTSYS, SYS_pread64, (int)a[0], buf, a[2], a[3])
               : -EFAULT;
}

SYSCALL_HANDLER(pwrite64) {
    void *buf = GUEST_IN(t, a[1], a[2]);
    return buf ? blocking_syscall(t, GUEST_ERESTARTSYS, SYS_pwrite64, (int)a[0], buf, a[2], a[3])
               : -EFAULT;
}

SYSCALL_HANDLER(readv) {
    struct iovec iov[GUEST_IOV_MAX];
    int64_t e = guest_iovs(t, a[1], a[2], iov, PROT_WRITE), r;
    if (e) return e;
    if (signalfd_proxy_read(t, (int)a[0], iov, (int)a[2], &r)) return r;
    return blocking_syscall(t, GUEST_ERESTARTSYS, SYS_readv, (int)a[0], iov, a[2]);
}

SYSCALL_HANDLER(writev) {
    struct iovec iov[GUEST_IOV_MAX];
    int64_t e = guest_iovs(t, a[1], a[2], iov, PROT_READ);
    return e ? e : blocking_syscall(t, GUEST_ERESTARTSYS, SYS_writev, (int)a[0], iov, a[2]);
}

SYSCALL_HANDLER(preadv) {
    struct iovec iov[GUEST_IOV_MAX];
    int64_t e = guest_iovs(t, a[1], a[2], iov, PROT_WRITE);
    /* x86-64 takes the offset whole in pos_l; pos_h is unused. */
    return e ? e
             : blocking_syscall(t, GUEST_ERESTARTSYS, SYS_preadv, (int)a[0], iov, a[2], a[3], 0);
}

SYSCALL_HANDLER(pwritev) {
    struct iovec iov[GUEST_IOV_MAX];
    int64_t e = guest_iovs(t, a[1], a[2], iov, PROT_READ);
    return e ? e
             : blocking_syscall(t, GUEST_ERESTARTSYS, SYS_pwritev, (int)a[0], iov, a[2], a[3], 0);
}

/* preadv2/pwritev2: as preadv/pwritev, plus RWF_* flags (the same bits on
 * both sides); an offset of -1 means the file position, as on Linux. */
SYSCALL_HANDLER(preadv2) {
    struct iovec iov[GUEST_IOV_MAX];
    int64_t e = guest_iovs(t, a[1], a[2], iov, PROT_WRITE);
    return e ? e
             : blocking_syscall(t, GUEST_ERESTARTSYS, SYS_preadv2, (int)a[0], iov, a[2], a[3], 0,
                                (int)a[5]);
}

SYSCALL_HANDLER(pwritev2) {
    struct iovec iov[GUEST_IOV_MAX];
    int64_t e = guest_iovs(t, a[1], a[2], iov, PROT_READ);
    return e ? e
             : blocking_syscall(t, GUEST_ERESTARTSYS, SYS_pwritev2, (int)a[0], iov, a[2], a[3], 0,
                                (int)a[5]);
}

SYSCALL_HANDLER(lseek) {
    return host_result(lseek((int)a[0], (off_t)a[1], (int)a[2]));
}

static int64_t stat_out(struct task *t, uint64_t addr, const struct stat *st) {
    struct aarch64_stat g;
    stat_to_guest(&g, st);
    return guest_copy_out(t, addr, &g, sizeof g);
}

SYSCALL_HANDLER(fstat) {
    struct stat st;
    if (fstat((int)a[0], &st) != 0) return -errno;
    return stat_out(t, a[1], &st);
}

SYSCALL_HANDLER(newfstatat) {
    GET_PATH(path, a[1]);
    struct stat st;
    char hbuf[PATH_MAX];
    const char *p = host_path(t, path, hbuf);
    if (fstatat((int)a[0], p, &st, (int)a[3]) != 0) return -errno;
    return stat_out(t, a[2], &st);
}

SYSCALL_HANDLER(statx) {
    GET_PATH(path, a[1]);
    void *buf = GUEST_OUT(t, a[4], 256); /* struct statx: same on every architecture */
    if (!buf) return -EFAULT;
    char hbuf[PATH_MAX];
    const char *p = host_path(t, path, hbuf);
    return host_result(syscall(SYS_statx, (int)a[0], p, (int)a[2], (unsigned)a[3], buf));
}

SYSCALL_HANDLER(statfs) {
    GET_PATH(path, a[0]);
    void *buf = GUEST_OUT(t, a[1], sizeof(struct statfs)); /* same layout on both */
    char hbuf[PATH_MAX];
    return buf ? host_result(statfs(host_path(t, path, hbuf), buf)) : -EFAULT;
}

SYSCALL_HANDLER(fstatfs) {
    void *buf = GUEST_OUT(t, a[1], sizeof(struct statfs));
    return buf ? host_result(fstatfs((int)a[0], buf)) : -EFAULT;
}

SYSCALL_HANDLER(getdents64) {
    void *buf = GUEST_OUT(t, a[1], a[2]); /* struct linux_dirent64 is generic */
    return buf ? proc_task_getdents(t, (int)a[0], buf, (unsigned)a[2]) : -EFAULT;
}

SYSCALL_HANDLER(fcntl) {
    int fd = (int)a[0], cmd = (int)a[1];
    switch (cmd) {
    case F_GETFL: {
        long r = fcntl(fd, F_GETFL);
        return r < 0 ? -errno : (int64_t)open_flags_to_guest((int)r);
    }
    case F_SETFL: return host_result(fcntl(fd, F_SETFL, open_flags_to_host(a[2])));
    case F_DUPFD:
    case F_DUPFD_CLOEXEC:
    case F_GETFD:
    case F_SETFD:
    case F_GETOWN:
    case F_SETOWN:
    case F_GETSIG:
    case F_SETSIG:
    case F_GETLEASE:
    case F_SETLEASE:
    case F_NOTIFY:
    case F_GETPIPE_SZ:
    case F_SETPIPE_SZ:
    case F_ADD_SEALS:
    case F_GET_SEALS: return host_result(fcntl(fd, cmd, (int)a[2]));
    case F_GETLK:
    case F_SETLK:
    case F_SETLKW:
    case F_OFD_GETLK:
    case F_OFD_SETLK:
    case F_OFD_SETLKW: {
        void *fl = guest_buf(t, a[2], sizeof(struct flock), PROT_READ | PROT_WRITE);
        return fl ? blocking_syscall(t, GUEST_ERESTARTSYS, SYS_fcntl, fd, cmd, fl) : -EFAULT;
    }
    case F_GETOWN_EX:
    case F_SETOWN_EX: {
        void *o = guest_buf(t, a[2], sizeof(struct f_owner_ex), PROT_READ | PROT_WRITE);
        return o ? host_result(fcntl(fd, cmd, o)) : -EFAULT;
    }
    default: return -EINVAL;
    }
}

SYSCALL_HANDLER(ioctl) {
    const struct ioctl_row *r = ioctl_row_of(a[1]);
    if (r) {
        /* TCSETSW/TCSBRK wait for the terminal: interruptible. */
        if (!r->size)
            return blocking_syscall(t, GUEST_ERESTARTSYS, SYS_ioctl, (int)a[0], r->req, a[2]);
        void *arg = guest_buf(t, a[2], r->size, r->prot);
        return arg ? blocking_syscall(t, GUEST_ERESTARTSYS, SYS_ioctl, (int)a[0], r->req, arg)
                   : -EFAULT;
    }
    if (t->proc->strace)
        fprintf(stderr, "shoal: unsupported ioctl %#llx\n", (unsigned long long)a[1]);
    return -ENOTTY;
}

SYSCALL_HANDLER(pipe2) {
    int fds[2];
    if (pipe2(fds, open_flags_to_host(a[1])) != 0) return -errno;
    if (guest_copy_out(t, a[0], fds, sizeof fds)) {
        close(fds[0]);
        close(fds[1]);
        return -EFAULT;
    }
    return 0;
}

SYSCALL_HANDLER(dup) {
    return host_result(dup((int)a[0]));
}
SYSCALL_HANDLER(dup3) {
    return host_result(dup3((int)a[0], (int)a[1], open_flags_to_host(a[2])));
}

SYSCALL_HANDLER(unlinkat) {
    GET_PATH(path, a[1]);
    return host_result(unlinkat((int)a[0], path, (int)a[2]));
}

SYSCALL_HANDLER(mkdirat) {
    GET_PATH(path, a[1]);
    return host_result(mkdirat((int)a[0], path, (mode_t)a[2]));
}

SYSCALL_HANDLER(mknodat) {
    GET_PATH(path, a[1]);
    return host_result(mknodat((int)a[0], path, (mode_t)a[2], (dev_t)a[3]));
}

SYSCALL_HANDLER(renameat) {
    GET_PATH(from, a[1]);
    GET_PATH(to, a[3]);
    return host_result(renameat((int)a[0], from, (int)a[2], to));
}

SYSCALL_HANDLER(renameat2) {
    GET_PATH(from, a[1]);
    GET_PATH(to, a[3]);
    return host_result(syscall(SYS_renameat2, (int)a[0], from, (int)a[2], to, (unsigned)a[4]));
}

SYSCALL_HANDLER(linkat) {
    GET_PATH(from, a[1]);
    GET_PATH(to, a[3]);
    return host_result(linkat((int)a[0], from, (int)a[2], to, (int)a[4]));
}

SYSCALL_HANDLER(symlinkat) {
    GET_PATH(target, a[0]);
    GET_PATH(path, a[2]);
    return host_result(symlinkat(target, (int)a[1], path));
}

SYSCALL_HANDLER(readlinkat) {
    GET_PATH(path, a[1]);
    if ((int64_t)a[3] <= 0) return -EINVAL;
    void *buf = GUEST_OUT(t, a[2], a[3]);
    if (!buf) return -EFAULT;
    char pbuf[PATH_MAX];
    if (is_proc_exe(proc_path_at(t->proc, (int)a[0], path, pbuf))) {
        size_t n = strlen(t->proc->exe_path);
        if (n > a[3]) n = a[3];
        return guest_copy_out(t, a[2], t->proc->exe_path, n) ? -EFAULT : (int64_t)n;
    }
    char hbuf[PATH_MAX];
    return host_result(readlinkat((int)a[0], host_path(t, path, hbuf), buf, a[3]));
}

SYSCALL_HANDLER(faccessat) {
    GET_PATH(path, a[1]);
    char hbuf[PATH_MAX];
    return host_result(syscall(SYS_faccessat, (int)a[0], host_path(t, path, hbuf), (int)a[2]));
}

SYSCALL_HANDLER(faccessat2) {
    GET_PATH(path, a[1]);
    char hbuf[PATH_MAX];
    return host_result(
        syscall(SYS_faccessat2, (int)a[0], host_path(t, path, hbuf), (int)a[2], (int)a[3]));
}

SYSCALL_HANDLER(getcwd) {
    void *buf = GUEST_OUT(t, a[0], a[1]);
    return buf ? host_result(syscall(SYS_getcwd, buf, a[1])) : -EFAULT;
}

SYSCALL_HANDLER(chdir) {
    GET_PATH(path, a[0]);
    int64_t r = host_result(chdir(path));
    if (!r) proc_note_cwd(t->proc);
    return r;
}

SYSCALL_HANDLER(fchdir) {
    int64_t r = host_result(fchdir((int)a[0]));
    if (!r) proc_note_cwd(t->proc);
    return r;
}

SYSCALL_HANDLER(ftruncate) {
    return host_result(ftruncate((int)a[0], (off_t)a[1]));
}

SYSCALL_HANDLER(truncate) {
    GET_PATH(path, a[0]);
    return host_result(truncate(path, (off_t)a[1]));
}

SYSCALL_HANDLER(fallocate) {
    return host_result(fallocate((int)a[0], (int)a[1], (off_t)a[2], (off_t)a[3]));
}

SYSCALL_HANDLER(fadvise64) {
    /* the advice values are the same on both (asm-generic) */
    return host_result(syscall(SYS_fadvise64, (int)a[0], (off_t)a[1], (off_t)a[2], (int)a[3]));
}

SYSCALL_HANDLER(fsync) {
    return host_result(fsync((int)a[0]));
}
SYSCALL_HANDLER(fdatasync) {
    return host_result(fdatasync((int)a[0]));
}
SYSCALL_HANDLER(sync) {
    sync();
    return 0;
}
SYSCALL_HANDLER(syncfs) {
    return host_result(syscall(SYS_syncfs, (int)a[0]));
}
/* arm64 has the (fd, offset, nbytes, flags) order, as x86-64. */
SYSCALL_HANDLER(sync_file_range) {
    return host_result(
        syscall(SYS_sync_file_range, (int)a[0], (int64_t)a[1], (int64_t)a[2], (unsigned)a[3]));
}
SYSCALL_HANDLER(readahead) {
    return host_result(syscall(SYS_readahead, (int)a[0], (int64_t)a[1], (size_t)a[2]));
}
SYSCALL_HANDLER(flock) {
    return blocking_syscall(t, GUEST_ERESTARTSYS, SYS_flock, (int)a[0], (int)a[1]);
}
SYSCALL_HANDLER(umask) {
    return umask((mode_t)a[0]);
}
SYSCALL_HANDLER(fchmod) {
    return host_result(fchmod((int)a[0], (mode_t)a[1]));
}
SYSCALL_HANDLER(fchown) {
    return host_result(fchown((int)a[0], (uid_t)a[1], (gid_t)a[2]));
}

SYSCALL_HANDLER(fchmodat) {
    GET_PATH(path, a[1]);
    return host_result(syscall(SYS_fchmodat, (int)a[0], path, (mode_t)a[2]));
}

SYSCALL_HANDLER(fchownat) {
    GET_PATH(path, a[1]);
    return host_result(fchownat((int)a[0], path, (uid_t)a[2], (gid_t)a[3], (int)a[4]));
}

SYSCALL_HANDLER(utimensat) {
    char path[PATH_MAX];
    const char *p = NULL; /* NULL path: futimens() on the fd */
    if (a[1]) {
        int e = guest_path(t, a[1], path);
        if (e) return e;
        p = path;
    }
    const void *times = NULL;
    if (a[2] && !(times = GUEST_IN(t, a[2], 2 * sizeof(struct timespec)))) return -EFAULT;
    return host_result(syscall(SYS_utimensat, (int)a[0], p, times, (int)a[3]));
}

SYSCALL_HANDLER(sendfile) {
    off_t *off = NULL;
    if (a[2] && !(off = guest_buf(t, a[2], sizeof *off, PROT_READ | PROT_WRITE))) return -EFAULT;
    return host_result(sendfile((int)a[0], (int)a[1], off, a[3]));
}

SYSCALL_HANDLER(copy_file_range) {
    off_t *in = NULL, *out = NULL;
    if (a[1] && !(in = guest_buf(t, a[1], sizeof *in, PROT_READ | PROT_WRITE))) return -EFAULT;
    if (a[3] && !(out = guest_buf(t, a[3], sizeof *out, PROT_READ | PROT_WRITE))) return -EFAULT;
    return host_result(copy_file_range((int)a[0], in, (int)a[2], out, a[4], (unsigned)a[5]));
}

SYSCALL_HANDLER(close_range) {
    return own_fds_close_range(t->proc, (unsigned)a[0], (unsigned)a[1], (unsigned)a[2]);
}

SYSCALL_HANDLER(memfd_create) {
    GET_PATH(name, a[0]);
    return host_result(syscall(SYS_memfd_create, name, (unsigned)a[1]));
}

SYSCALL_HANDLER(eventfd2) {
    return host_result(syscall(SYS_eventfd2, (unsigned)a[0], open_flags_to_host(a[1])));
}

const struct syscall_row sys_fs_rows[] = {
    {17, "getcwd", sys_getcwd, "bu", 'd', SC_GLOBAL},
    {19, "eventfd2", sys_eventfd2, "ux", 'd', SC_GLOBAL},
    {23, "dup", sys_dup, "#", 'd', SC_GLOBAL},
    {24, "dup3", sys_dup3, "##O", 'd', SC_GLOBAL},
    {25, "fcntl", sys_fcntl, "#dx", 'd', SC_GLOBAL},
    {29, "ioctl", sys_ioctl, "#xY", 'd', SC_GLOBAL},
    {32, "flock", sys_flock, "#d", 'd', SC_GLOBAL},
    {33, "mknodat", sys_mknodat, "fsox", 'd', SC_GLOBAL},
    {34, "mkdirat", sys_mkdirat, "fso", 'd', SC_GLOBAL},
    {35, "unlinkat", sys_unlinkat, "fsx", 'd', SC_GLOBAL},
    {36, "symlinkat", sys_symlinkat, "sfs", 'd', SC_GLOBAL},
    {37, "linkat", sys_linkat, "fsfsx", 'd', SC_GLOBAL},
    {38, "renameat", sys_renameat, "fsfs", 'd', SC_GLOBAL},
    {43, "statfs", sys_statfs, "sF", 'd', SC_GLOBAL},
    {44, "fstatfs", sys_fstatfs, "#F", 'd', SC_GLOBAL},
    {45, "truncate", sys_truncate, "sl", 'd', SC_GLOBAL},
    {46, "ftruncate", sys_ftruncate, "#l", 'd', SC_GLOBAL},
    {47, "fallocate", sys_fallocate, "#xll", 'd', SC_GLOBAL},
    {48, "faccessat", sys_faccessat, "fsx", 'd', SC_GLOBAL},
    {49, "chdir", sys_chdir, "s", 'd', SC_GLOBAL},
    {50, "fchdir", sys_fchdir, "#", 'd', SC_GLOBAL},
    {52, "fchmod", sys_fchmod, "#o", 'd', SC_GLOBAL},
    {53, "fchmodat", sys_fchmodat, "fso", 'd', SC_GLOBAL},
    {54, "fchownat", sys_fchownat, "fsddx", 'd', SC_GLOBAL},
    {55, "fchown", sys_fchown, "#dd", 'd', SC_GLOBAL},
    {56, "openat", sys_openat, "fsOo", 'd', SC_GLOBAL},
    {57, "close", sys_close, "#", 'd', SC_GLOBAL},
    {59, "pipe2", sys_pipe2, "IO", 'd', SC_GLOBAL},
    {61, "getdents64", sys_getdents64, "#bu", 'd', SC_GLOBAL},
    {62, "lseek", sys_lseek, "#ld", 'd', SC_GLOBAL},
    {63, "read", sys_read, "#bu", 'd', SC_GLOBAL},
    {64, "write", sys_write, "#iu", 'd', SC_GLOBAL},
    {65, "readv", sys_readv, "#Vu", 'd', SC_GLOBAL},
    {66, "writev", sys_writev, "#vu", 'd', SC_GLOBAL},
    {67, "pread64", sys_pread64, "#bul", 'd', SC_GLOBAL},
    {68, "pwrite64", sys_pwrite64, "#iul", 'd', SC_GLOBAL},
    {69, "preadv", sys_preadv, "#Vul", 'd', SC_GLOBAL},
    {70, "pwritev", sys_pwritev, "#vul", 'd', SC_GLOBAL},
    {71, "sendfile", sys_sendfile, "##wu", 'd', SC_GLOBAL},
    {78, "readlinkat", sys_readlinkat, "fsbu", 'd', SC_GLOBAL},
    {79, "newfstatat", sys_newfstatat, "fsTx", 'd', SC_GLOBAL},
    {80, "fstat", sys_fstat, "#T", 'd', SC_GLOBAL},
    {81, "sync", sys_sync, "", 'd', SC_GLOBAL},
    {82, "fsync", sys_fsync, "#", 'd', SC_GLOBAL},
    {83, "fdatasync", sys_fdatasync, "#", 'd', SC_GLOBAL},
    {84, "sync_file_range", sys_sync_file_range, "#llx", 'd', SC_GLOBAL},
    {88, "utimensat", sys_utimensat, "fscx", 'd', SC_GLOBAL},
    {166, "umask", sys_umask, "o", 'd', SC_GLOBAL},
    {213, "readahead", sys_readahead, "#lu", 'd', SC_GLOBAL},
    {223, "fadvise64", sys_fadvise64, "#lld", 'd', SC_GLOBAL},
    {267, "syncfs", sys_syncfs, "#", 'd', SC_GLOBAL},
    {276, "renameat2", sys_renameat2, "fsfsx", 'd', SC_GLOBAL},
    {279, "memfd_create", sys_memfd_create, "sx", 'd', SC_GLOBAL},
    {285, "copy_file_range", sys_copy_file_range, "#w#wux", 'd', SC_GLOBAL},
    {286, "preadv2", sys_preadv2, "#Vulxx", 'd', SC_GLOBAL},
    {287, "pwritev2", sys_pwritev2, "#vulxx", 'd', SC_GLOBAL},
    {291, "statx", sys_statx, "fsxxX", 'd', SC_GLOBAL},
    {436, "close_range", sys_close_range, "uux", 'd', SC_GLOBAL},
    {439, "faccessat2", sys_faccessat2, "fsxx", 'd', SC_GLOBAL},
    SYSCALL_ROWS_END,
};
