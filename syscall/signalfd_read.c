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

/* fd's mask and O_NONBLOCK if it is a signalfd: an anonymous inode (no
 * file type bits; a file or pipe is known by fstat alone) named so,
 * whose fdinfo has a sigmask line. */
static bool signalfd_of(int fd, uint64_t *mask, bool *nonblock) {
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

bool signalfd_proxy_read(struct task *t, const uint64_t *a, int64_t *ret) {
    if (!t->proxy || !atomic_load(&t->proc->signalfds)) return false;
    uint64_t mask;
    bool nonblock;
    if (!signalfd_of((int)a[0], &mask, &nonblock)) return false;
    void *buf = GUEST_OUT(t, a[1], a[2]);
    if (!buf) {
        *ret = -EFAULT;
        return true;
    }
    /* the process's signals (the proxy's host thread has none of its
     * own): the kernel formats them and says EINVAL to a short buffer */
    int own = (int)syscall(SYS_signalfd4, -1, &mask, 8, SFD_NONBLOCK | SFD_CLOEXEC);
    if (own < 0) {
        *ret = -errno;
        return true;
    }
    own_fds_add(t->proc, own);
    long r = read(own, buf, a[2]);
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

int64_t signalfd_read_here(struct task *t, uint64_t buf, uint64_t count, uint64_t mask,
                           bool nonblock) {
    if (count < RECORD) return -EINVAL;
    if (!gs_check(&t->proc->mem, buf, count, PROT_WRITE)) return -EFAULT;
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
        if (gs_copy_out(&t->proc->mem, buf + n * RECORD, &rec, RECORD))
            return n ? (int64_t)(n * RECORD) : -EFAULT;
    }
    return (int64_t)(n * RECORD);
}
