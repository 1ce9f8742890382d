/* Sockets. Guest fds are host fds, and every socket structure has the
 * same layout on AArch64 and x86-64 (sockaddr and its families, the
 * SOCK_* and MSG_* flags, SO_* numbers (both asm-generic), msghdr,
 * cmsghdr, mmsghdr, linger, ucred, timeval): the work is turning the
 * guest pointers inside msghdr and its iovecs into checked host
 * pointers. Control messages (SCM_RIGHTS fds, SCM_CREDENTIALS) pass
 * through as bytes, but for the emulator's own fds, which no message
 * sent may carry (control_checked). */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "syscall/syscall.h"

#define NET_IOV_MAX  1024 /* UIO_MAXIOV */
#define SOCKADDR_MAX SC_SOCKADDR_MAX
#define SOCKOPT_MAX  SC_SOCKOPT_MAX

/* A guest address buffer of *lenp bytes (in/out length at lenp_addr):
 * host pointers to both, or -EFAULT / -EINVAL. addr 0: none. */
static int64_t addr_out(struct task *t, uint64_t addr, uint64_t lenp_addr, void **buf,
                        socklen_t **lenp) {
    *buf = NULL;
    *lenp = NULL;
    if (!addr) return 0;
    socklen_t *lp = guest_buf(t, lenp_addr, sizeof *lp, PROT_READ | PROT_WRITE);
    socklen_t len; /* read through a copy: another thread may unmap it */
    if (!lp || guest_copy_in(t, &len, lenp_addr, sizeof len)) return -EFAULT;
    if ((int)len < 0) return -EINVAL;
    /* The kernel writes at most len bytes (and reports the full size);
     * with len 0 it writes none, but still wants a non-NULL buffer. */
    void *b = len ? GUEST_OUT(t, addr, len) : gs_host(&t->proc->mem, addr);
    if (!b) return -EFAULT;
    *buf = b;
    *lenp = lp;
    return 0;
}

SYSCALL_HANDLER(socket) {
    return host_result(socket((int)a[0], (int)a[1], (int)a[2]));
}

SYSCALL_HANDLER(socketpair) {
    int *sv = GUEST_OUT(t, a[3], 2 * sizeof(int));
    return sv ? host_result(socketpair((int)a[0], (int)a[1], (int)a[2], sv)) : -EFAULT;
}

SYSCALL_HANDLER(bind) {
    if ((int)a[2] < 0) return -EINVAL;
    const void *sa = GUEST_IN(t, a[1], a[2]);
    return sa ? host_result(bind((int)a[0], sa, (socklen_t)a[2])) : -EFAULT;
}

SYSCALL_HANDLER(listen) {
    return host_result(listen((int)a[0], (int)a[1]));
}

SYSCALL_HANDLER(accept4) {
    void *sa;
    socklen_t *len;
    int64_t e = addr_out(t, a[1], a[2], &sa, &len);
    if (e) return e;
    return blocking_syscall(t, GUEST_ERESTARTSYS, SYS_accept4, (int)a[0], sa, len, (int)a[3]);
}

SYSCALL_HANDLER(accept) {
    uint64_t b[6] = {a[0], a[1], a[2], 0};
    return sys_accept4(t, b);
}

SYSCALL_HANDLER(connect) {
    if ((int)a[2] < 0) return -EINVAL;
    const void *sa = GUEST_IN(t, a[1], a[2]);
    if (!sa) return -EFAULT;
    return blocking_syscall(t, GUEST_ERESTARTSYS, SYS_connect, (int)a[0], sa, (socklen_t)a[2]);
}

static int64_t name_of(struct task *t, const uint64_t *a, long nr) {
    void *sa;
    socklen_t *len;
    if (!a[1]) return -EFAULT;
    int64_t e = addr_out(t, a[1], a[2], &sa, &len);
    return e ? e : host_result(syscall(nr, (int)a[0], sa, len));
}

SYSCALL_HANDLER(getsockname) {
    return name_of(t, a, SYS_getsockname);
}

SYSCALL_HANDLER(getpeername) {
    return name_of(t, a, SYS_getpeername);
}

SYSCALL_HANDLER(sendto) {
    const void *buf = GUEST_IN(t, a[1], a[2]);
    const void *sa = NULL;
    if (!buf) return -EFAULT;
    if (a[4]) {
        if ((int)a[5] < 0) return -EINVAL;
        if (!(sa = GUEST_IN(t, a[4], a[5]))) return -EFAULT;
    }
    return blocking_syscall(t, GUEST_ERESTARTSYS, SYS_sendto, (int)a[0], buf, a[2], (int)a[3], sa,
                            sa ? (socklen_t)a[5] : 0);
}

SYSCALL_HANDLER(recvfrom) {
    void *buf = GUEST_OUT(t, a[1], a[2]);
    void *sa;
    socklen_t *len;
    if (!buf) return -EFAULT;
    int64_t e = addr_out(t, a[4], a[5], &sa, &len);
    if (e) return e;
    return blocking_syscall(t, GUEST_ERESTARTSYS, SYS_recvfrom, (int)a[0], buf, a[2], (int)a[3], sa,
                            len);
}

SYSCALL_HANDLER(setsockopt) {
    if ((int)a[4] < 0 || a[4] > SOCKOPT_MAX) return -EINVAL;
    const void *v = NULL;
    if (a[4] && !(v = GUEST_IN(t, a[3], a[4]))) return -EFAULT;
    return host_result(setsockopt((int)a[0], (int)a[1], (int)a[2], v, (socklen_t)a[4]));
}

SYSCALL_HANDLER(getsockopt) {
    socklen_t *lp = guest_buf(t, a[4], sizeof *lp, PROT_READ | PROT_WRITE);
    socklen_t len; /* read through a copy: another thread may unmap it */
    if (!lp || guest_copy_in(t, &len, a[4], sizeof len)) return -EFAULT;
    if ((int)len < 0) return -EINVAL;
    void *v = NULL;
    if (len && !(v = GUEST_OUT(t, a[3], len))) return -EFAULT;
    return host_result(getsockopt((int)a[0], (int)a[1], (int)a[2], v, lp));
}

SYSCALL_HANDLER(shutdown) {
    return host_result(shutdown((int)a[0], (int)a[1]));
}

/* A guest msghdr at addr (same layout as the host's) with host pointers;
 * iov has NET_IOV_MAX entries. prot: what the kernel does to the data
 * (PROT_READ to send, PROT_WRITE to receive). */
static int64_t load_msghdr(struct task *t, uint64_t addr, struct msghdr *m, struct iovec *iov,
                           int prot) {
    if (guest_copy_in(t, m, addr, sizeof *m)) return -EFAULT;
    if (m->msg_iovlen > NET_IOV_MAX) return -EMSGSIZE;
    if (m->msg_name) {
        if (m->msg_namelen > SOCKADDR_MAX) m->msg_namelen = SOCKADDR_MAX;
        void *n = guest_buf(t, (uint64_t)(uintptr_t)m->msg_name, m->msg_namelen, prot);
        if (!n && m->msg_namelen) return -EFAULT;
        m->msg_name = m->msg_namelen ? n : NULL;
    }
    if (m->msg_iovlen) {
        uint64_t ia = (uint64_t)(uintptr_t)m->msg_iov;
        if (guest_copy_in(t, iov, ia, m->msg_iovlen * sizeof *iov)) return -EFAULT;
        for (size_t i = 0; i < m->msg_iovlen; i++) {
            if ((ssize_t)iov[i].iov_len < 0) return -EINVAL;
            void *h = guest_buf(t, (uint64_t)(uintptr_t)iov[i].iov_base, iov[i].iov_len, prot);
            if (!h && iov[i].iov_len) return -EFAULT;
            iov[i].iov_base = h;
        }
    }
    m->msg_iov = iov;
    if (m->msg_control && m->msg_controllen) {
        if (m->msg_controllen > INT32_MAX) return -ENOBUFS;
        void *c = guest_buf(t, (uint64_t)(uintptr_t)m->msg_control, m->msg_controllen, prot);
        if (!c) return -EFAULT;
        m->msg_control = c;
    } else {
        m->msg_control = NULL;
        m->msg_controllen = 0;
    }
    return 0;
}

/* What recvmsg changed in the guest's msghdr: the lengths and flags. */
static int64_t store_msghdr(struct task *t, uint64_t addr, const struct msghdr *m) {
    struct msghdr g;
    if (guest_copy_in(t, &g, addr, sizeof g)) return -EFAULT;
    g.msg_namelen = m->msg_name ? m->msg_namelen : g.msg_namelen;
    if (g.msg_control) g.msg_controllen = m->msg_controllen;
    g.msg_flags = m->msg_flags;
    return guest_copy_out(t, addr, &g, sizeof g) ? -EFAULT : 0;
}

/* Most control bytes a message sent may carry while the emulator has
 * fds of its own; Linux refuses far fewer (net.core.optmem_max). */
#define CONTROL_MAX (1u << 20)

/* A message to send may not pass one of the emulator's own fds
 * (own_fds.h) to another process with SCM_RIGHTS: its control bytes
 * are checked in a copy (*copy, to free), which is what the kernel then
 * reads, so another thread cannot change them after the check. 0,
 * -EBADF as Linux's for an fd that is not open, or -ENOBUFS. */
static int64_t control_checked(struct task *t, struct msghdr *m, void **copy) {
    *copy = NULL;
    if (!m->msg_control || !t->proc->own_fds.words) return 0;
    if (m->msg_controllen > CONTROL_MAX) return -ENOBUFS;
    if (!(*copy = malloc(m->msg_controllen))) return -ENOMEM;
    if (guest_buf_read(t, *copy, m->msg_control, m->msg_controllen)) return -EFAULT;
    m->msg_control = *copy;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS || c->cmsg_len < CMSG_LEN(0))
            continue;
        size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < n; i++) {
            int fd;
            memcpy(&fd, CMSG_DATA(c) + i * sizeof fd, sizeof fd);
            if (own_fd(t->proc, fd)) return -EBADF;
        }
    }
    return 0;
}

/* sendmsg's or recvmsg's message made host pointers, and a message to
 * send checked (control_checked). */
static int64_t load_message(struct task *t, uint64_t addr, struct msghdr *m, struct iovec *iov,
                            bool recv, void **copy) {
    *copy = NULL;
    int64_t r = load_msghdr(t, addr, m, iov, recv ? PROT_WRITE : PROT_READ);
    return r || recv ? r : control_checked(t, m, copy);
}

SYSCALL_HANDLER(sendmsg) {
    struct msghdr m;
    void *control;
    struct iovec *iov = malloc(NET_IOV_MAX * sizeof *iov);
    if (!iov) return -ENOMEM;
    int64_t r = load_message(t, a[1], &m, iov, false, &control);
    if (!r) r = blocking_syscall(t, GUEST_ERESTARTSYS, SYS_sendmsg, (int)a[0], &m, (int)a[2]);
    free(control);
    free(iov);
    return r;
}

SYSCALL_HANDLER(recvmsg) {
    struct msghdr m;
    struct iovec *iov = malloc(NET_IOV_MAX * sizeof *iov);
    if (!iov) return -ENOMEM;
    int64_t r = load_msghdr(t, a[1], &m, iov, PROT_WRITE);
    if (!r) r = blocking_syscall(t, GUEST_ERESTARTSYS, SYS_recvmsg, (int)a[0], &m, (int)a[2]);
    if (r >= 0) {
        int64_t e = store_msghdr(t, a[1], &m);
        if (e) r = e;
    }
    free(iov);
    return r;
}

/* recvmmsg's timeout: the time left until deadline (zero once past);
 * false when it is past or now. */
static bool time_left(const struct timespec *deadline, struct timespec *left) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    int64_t ns =
        (int64_t)(deadline->tv_sec - now.tv_sec) * 1000000000 + (deadline->tv_nsec - now.tv_nsec);
    if (ns < 0) ns = 0;
    left->tv_sec = ns / 1000000000;
    left->tv_nsec = ns % 1000000000;
    return ns > 0;
}

/* sendmmsg/recvmmsg one message at a time (the same results for a
 * stream or datagram socket, minus the kernel's batching). recvmmsg's
 * timeout is Linux's: checked after each datagram (the first may wait
 * for ever), the time left written back when any arrived. */
static int64_t mmsg(struct task *t, const uint64_t *a, bool recv) {
    unsigned vlen = (unsigned)a[2] > SC_MMSG_MAX ? SC_MMSG_MAX : (unsigned)a[2];
    int flags = (int)a[3];
    struct timespec deadline, left;
    if (recv && a[4]) {
        if (guest_copy_in(t, &left, a[4], sizeof left)) return -EFAULT;
        if (left.tv_sec < 0 || left.tv_nsec < 0 || left.tv_nsec >= 1000000000) return -EINVAL;
        clock_gettime(CLOCK_MONOTONIC, &deadline);
        deadline.tv_sec += left.tv_sec;
        deadline.tv_nsec += left.tv_nsec;
        if (deadline.tv_nsec >= 1000000000) {
            deadline.tv_sec++;
            deadline.tv_nsec -= 1000000000;
        }
    }
    struct iovec *iov = malloc(NET_IOV_MAX * sizeof *iov);
    if (!iov) return -ENOMEM;
    int64_t done = 0, r = 0;
    for (unsigned i = 0; i < vlen; i++) {
        uint64_t ga = a[1] + (uint64_t)i * sizeof(struct mmsghdr);
        struct msghdr m;
        void *control;
        if ((r = load_message(t, ga, &m, iov, recv, &control))) {
            free(control);
            break;
        }
        int f = flags & ~MSG_WAITFORONE;
        if (recv && done && (flags & MSG_WAITFORONE)) f |= MSG_DONTWAIT;
        r = blocking_syscall(t, GUEST_ERESTARTSYS, recv ? SYS_recvmsg : SYS_sendmsg, (int)a[0], &m,
                             f);
        free(control);
        if (r < 0) break;
        unsigned len = (unsigned)r;
        if (recv && (r = store_msghdr(t, ga, &m))) break;
        if (guest_copy_out(t, ga + offsetof(struct mmsghdr, msg_len), &len, sizeof len)) {
            r = -EFAULT;
            break;
        }
        done++;
        if (recv && a[4] && !time_left(&deadline, &left)) break;
        if (recv && (m.msg_flags & MSG_OOB)) break;
    }
    free(iov);
    if (done && recv && a[4] && guest_copy_out(t, a[4], &left, sizeof left)) return -EFAULT;
    return done ? done : r;
}

SYSCALL_HANDLER(sendmmsg) {
    uint64_t b[6] = {a[0], a[1], a[2], a[3], 0};
    return mmsg(t, b, false);
}

SYSCALL_HANDLER(recvmmsg) {
    return mmsg(t, a, true);
}

const struct syscall_row sys_net_rows[] = {
    {198, "socket", sys_socket, "ddd", 'd', SC_GLOBAL},
    {199, "socketpair", sys_socketpair, "dddI", 'd', SC_GLOBAL},
    {200, "bind", sys_bind, "#iu", 'd', SC_GLOBAL},
    {201, "listen", sys_listen, "#d", 'd', SC_GLOBAL},
    {202, "accept", sys_accept, "#Ap", 'd', SC_GLOBAL},
    {203, "connect", sys_connect, "#iu", 'd', SC_GLOBAL},
    {204, "getsockname", sys_getsockname, "#Ap", 'd', SC_GLOBAL},
    {205, "getpeername", sys_getpeername, "#Ap", 'd', SC_GLOBAL},
    {206, "sendto", sys_sendto, "#iuxiu", 'd', SC_GLOBAL},
    {207, "recvfrom", sys_recvfrom, "#buxAp", 'd', SC_GLOBAL},
    {208, "setsockopt", sys_setsockopt, "#ddiu", 'd', SC_GLOBAL},
    {209, "getsockopt", sys_getsockopt, "#ddGp", 'd', SC_GLOBAL},
    {210, "shutdown", sys_shutdown, "#d", 'd', SC_GLOBAL},
    {211, "sendmsg", sys_sendmsg, "#hx", 'd', SC_GLOBAL},
    {212, "recvmsg", sys_recvmsg, "#Hx", 'd', SC_GLOBAL},
    {242, "accept4", sys_accept4, "#Apx", 'd', SC_GLOBAL},
    {243, "recvmmsg", sys_recvmmsg, "#KuxW", 'd', SC_GLOBAL},
    {269, "sendmmsg", sys_sendmmsg, "#kux", 'd', SC_GLOBAL},
    SYSCALL_ROWS_END,
};
