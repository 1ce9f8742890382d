/* See signalfd_read.h. */
#define _GNU_SOURCE
#include "syscall/signalfd_read.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "syscall/guest_signal.h"
#include "syscall/own_fds.h"
#include "syscall/safe_syscall.h"
#include "syscall/signalfd_info.h"
#include "syscall/syscall.h"

#define RECORD sizeof(struct signalfd_siginfo)

/* An anonymous inode (no file type bits; a file or pipe is known by
 * fstat alone) named so, whose fdinfo has a sigmask line. */
bool signalfd_mask_of(int fd, uint64_t *mask, bool *nonblock) {
    struct stat st;
    if (fstat(fd, &st) || (st.st_mode & S_IFMT)) return false;
    static const char name[] = "anon_inode:[signalfd]";
    char path[64], link[sizeof name];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(path, link, sizeof link);
    if (n != (ssize_t)sizeof name - 1 || memcmp(link, name, sizeof name - 1)) return false;
    snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
    FILE *f = fopen(path, "re");
    if (!f) return false;
    char line[128];
    unsigned long long m = 0, flags = 0;
    bool has_mask = false;
    while (fgets(line, sizeof line, f)) {
        if (sscanf(line, "flags: %llo", &flags) == 1) continue;
        if (sscanf(line, "sigmask: %llx", &m) == 1) has_mask = true;
    }
    fclose(f);
    *mask = m;
    *nonblock = flags & O_NONBLOCK;
    return has_mask;
}

bool signalfd_proxy_read(struct task *t, int fd, const struct iovec *iov, int n, int64_t *ret) {
    if (!t->proxy || !atomic_load(&t->proc->signalfds)) return false;
    uint64_t mask;
    bool nonblock;
    if (!signalfd_mask_of(fd, &mask, &nonblock)) return false;
    /* the process's signals (the proxy's host thread has none of its
     * own): the kernel formats them and says EINVAL to a short buffer */
    own_fds_making(t->proc, true);
    int own = own_fds_made(t->proc,
                           (int)syscall(SYS_signalfd4, -1, &mask, 8, SFD_NONBLOCK | SFD_CLOEXEC));
    if (own < 0) {
        *ret = own;
        return true;
    }
    long r = readv(own, iov, n);
    int e = errno;
    own_fds_close(t->proc, own);
    if (r >= 0 || e != EAGAIN) {
        *ret = r >= 0 ? r : -e;
        return true;
    }
    t->signalfd_at_node.mask = mask;
    t->signalfd_at_node.nonblock = nonblock;
    *ret = SIGNALFD_AT_NODE;
    return true;
}

/* The guest buffers of the call: read's one, or readv's iovecs (as
 * guest addresses), writable; their total in *count. 0 or -errno. */
static int guest_iov(struct task *t, int nr, const uint64_t *a, struct iovec *v, size_t *n,
                     uint64_t *count) {
    if (nr == 63) {
        v[0] = (struct iovec){(void *)(uintptr_t)a[1], a[2]};
        *n = 1;
    } else {
        int64_t e = guest_iovs(t, a[1], a[2], v, 0);
        if (e) return (int)e;
        *n = a[2];
    }
    *count = 0;
    for (size_t i = 0; i < *n; i++) {
        if ((int64_t)v[i].iov_len < 0 || *count + v[i].iov_len < *count) return -EINVAL;
        if (!gs_check(&t->proc->mem, (uint64_t)(uintptr_t)v[i].iov_base, v[i].iov_len, PROT_WRITE))
            return -EFAULT;
        *count += v[i].iov_len;
    }
    return 0;
}

/* Copies len bytes of src to the guest buffers v, from byte `at` of them
 * on. 0 or -EFAULT. */
static int put(struct task *t, const struct iovec *v, size_t n, uint64_t at, const void *src,
               size_t len) {
    const char *p = src;
    for (size_t i = 0; i < n && len; i++) {
        if (at >= v[i].iov_len) {
            at -= v[i].iov_len;
            continue;
        }
        size_t k = v[i].iov_len - at < len ? v[i].iov_len - at : len;
        if (gs_copy_out(&t->proc->mem, (uint64_t)(uintptr_t)v[i].iov_base + at, p, k))
            return -EFAULT;
        p += k;
        len -= k;
        at = 0;
    }
    return 0;
}

int64_t signalfd_read_here(struct task *t, int nr, const uint64_t *a, uint64_t mask,
                           bool nonblock) {
    struct iovec v[GUEST_IOV_MAX];
    size_t nv = 0;
    uint64_t count = 0;
    int e = guest_iov(t, nr, a, v, &nv, &count);
    if (e) return e;
    if (count < RECORD) return -EINVAL;
    mask &= ~GUEST_UNBLOCKABLE;
    static const struct timespec now = {0, 0};
    uint64_t n = 0;
    for (; n < count / RECORD; n++) {
        struct aarch64_siginfo info;
        /* only the first may wait */
        int64_t sig = signal_wait_take(t, mask, n || nonblock ? &now : NULL, &info);
        if (sig <= 0 && n) break;
        if (sig <= 0) return restart_on_eintr(sig, GUEST_ERESTARTSYS); /* -EAGAIN too */
        struct signalfd_siginfo rec;
        signalfd_info_from(&rec, &info);
        if (put(t, v, nv, n * RECORD, &rec, RECORD)) return n ? (int64_t)(n * RECORD) : -EFAULT;
    }
    return (int64_t)(n * RECORD);
}
