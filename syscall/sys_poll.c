/* Waiting for fds and the fds that are events: ppoll, pselect6, epoll,
 * timerfd, inotify (eventfd2 is in sys_fs.c, signalfd4 in
 * sys_signal.c).
 * fd_set, timespec, itimerspec and inotify_event have
 * the same layout on both sides; struct epoll_event does not (packed,
 * 12 bytes on x86-64; 16 on AArch64: abi_translate.c). */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "common/clock_sync.h"
#include "syscall/linux_abi.h"
#include "syscall/signalfd_poll.h"
#include "syscall/syscall.h"

#define SELECT_NFDS_MAX SC_SELECT_NFDS_MAX
#define POLL_NFDS_MAX   65536
#define EPOLL_BATCH     1024 /* events per epoll_pwait (fewer is allowed) */

/* A temporary signal mask for the wait (pselect6, epoll_pwait); after
 * an interruption it stays until the handler's frame saved the old one,
 * as sys_ppoll does. mask_addr 0: none. */
static int64_t wait_mask_begin(struct task *t, uint64_t mask_addr, uint64_t size) {
    if (!mask_addr) return 0;
    uint64_t mask;
    if (size != 8) return -EINVAL;
    /* epoll_pwait's: the row's 'i' (its shipped copy); pselect6's: its 'q' */
    if (guest_copy_in(t, &mask, mask_addr, sizeof mask)) return -EFAULT;
    t->sig.saved_mask = t->sigmask;
    t->sig.saved_mask_valid = true;
    signal_set_mask(t, mask);
    return 0;
}

static void wait_mask_end(struct task *t, uint64_t mask_addr, int64_t r) {
    if (mask_addr && r != -GUEST_ERESTARTNOHAND) {
        t->sig.saved_mask_valid = false;
        signal_set_mask(t, t->sig.saved_mask);
    }
}

/* A wait's result (ppoll, pselect6, epoll_pwait) from safe_syscall_base:
 * r. One a signal kept from starting is made again with a zero timeout
 * (nr and its arguments), as Linux looks once before it would sleep: a
 * signal interrupts only a wait that found nothing ready. */
static int64_t wait_result(long r, long nr, long a1, long a2, long a3, long a4, long a5, long a6) {
    if (r != -SAFE_SYSCALL_NOT_STARTED) return restart_on_eintr(r, GUEST_ERESTARTNOHAND);
    long now = syscall(nr, a1, a2, a3, a4, a5, a6);
    return now > 0 ? now : now == 0 ? -GUEST_ERESTARTNOHAND : -errno;
}

static const struct timespec zero_timeout = {0, 0};

/* A wait that a kick interrupted, or kept from starting, that goes on:
 * a cluster proxy's, kicked by SignalsAtNode (signalfd_poll.h). */
static bool wait_goes_on(struct task *t, long r) {
    return (r == -EINTR || r == -SAFE_SYSCALL_NOT_STARTED) && signalfd_wait_again(t);
}

/* ppoll's wait on fds; on a proxy, a signalfd its thread's node has a
 * signal for is readable (signalfd_poll.h), and then none waits. */
static int64_t ppoll_wait(struct task *t, struct pollfd *fds, nfds_t n, void *tmo) {
    for (;;) {
        uint64_t pending = signalfd_node_pending(t);
        short *at_node = NULL;
        bool any = false;
        if (pending && n && (at_node = calloc(n, sizeof *at_node)))
            for (nfds_t i = 0; i < n; i++)
                if ((fds[i].events & (POLLIN | POLLRDNORM)) &&
                    signalfd_ready_for(fds[i].fd, pending)) {
                    at_node[i] = fds[i].events & (POLLIN | POLLRDNORM);
                    any = true;
                }
        long r = safe_syscall_base(&t->sig.pending, SYS_ppoll, (long)fds, (long)n,
                                   (long)(any ? &zero_timeout : tmo), 0, 8, 0);
        if (wait_goes_on(t, r)) {
            free(at_node);
            continue;
        }
        int64_t ret = wait_result(r, SYS_ppoll, (long)fds, (long)n, (long)&zero_timeout, 0, 8, 0);
        if (any && ret >= 0) {
            ret = 0;
            for (nfds_t i = 0; i < n; i++)
                ret += (fds[i].revents |= at_node[i]) != 0;
        }
        free(at_node);
        return ret;
    }
}

/* ppoll and pselect6 name fds inside their arrays, where the rows'
 * '#' letter cannot reach, so each waits on a private copy of them:
 * there the emulator's own fds (own_fds.h) are what a closed fd is to
 * Linux (POLLNVAL; select's EBADF), and another thread cannot put one
 * in between the check and the wait. */
SYSCALL_HANDLER(ppoll) {
    nfds_t n = a[1];
    if (n > POLL_NFDS_MAX) return -EINVAL;
    void *tmo = NULL;
    if (a[2] && !(tmo = guest_buf(t, a[2], sizeof(struct timespec), PROT_READ | PROT_WRITE)))
        return -EFAULT;
    if (n && !guest_buf(t, a[0], n * sizeof(struct pollfd), PROT_READ | PROT_WRITE)) return -EFAULT;
    /* fds, then the guest's fd of each (to tell its own fds, -1 here) */
    struct pollfd *fds = malloc(n * (sizeof *fds + sizeof(int)) + 1);
    if (!fds) return -ENOMEM;
    int *guest_fd = (int *)(fds + n);
    int64_t r = guest_copy_in(t, fds, a[0], n * sizeof *fds) ? -EFAULT : 0;
    nfds_t own = 0;
    for (nfds_t i = 0; i < n && !r; i++) {
        guest_fd[i] = fds[i].fd;
        if (fds[i].fd >= 0 && own_fd(t->proc, fds[i].fd)) {
            fds[i].fd = -1;
            own++;
        }
    }
    if (!r && own) {
        /* Linux does not wait when an fd is bad, nor take the mask */
        r = a[3] && a[4] != 8 ? -EINVAL
                              : host_result(syscall(SYS_ppoll, fds, n, &zero_timeout, NULL, 8));
    } else if (!r && !(r = wait_mask_begin(t, a[3], a[4]))) { /* the mask: the row's 'i' */
        r = ppoll_wait(t, fds, n, tmo);
        wait_mask_end(t, a[3], r);
    }
    /* Linux writes back revents alone, after an interruption too */
    bool written = r >= 0 || r == -GUEST_ERESTARTNOHAND;
    for (nfds_t i = 0; i < n && written; i++) {
        if (guest_fd[i] != fds[i].fd) fds[i].revents = POLLNVAL;
        if (guest_copy_out(t, a[0] + i * sizeof *fds + offsetof(struct pollfd, revents),
                           &fds[i].revents, sizeof fds[i].revents)) {
            r = -EFAULT; /* unmapped meanwhile by another thread */
            break;
        }
    }
    free(fds);
    return r < 0 ? r : r + (int64_t)own;
}

/* Whether a set bit of set names one of p's own fds. */
static bool fdset_names_own(const struct process *p, const uint64_t *set, int nfds) {
    for (int w = 0; w * 64 < nfds; w++)
        for (uint64_t bits = set[w]; bits; bits &= bits - 1) {
            int fd = w * 64 + __builtin_ctzll(bits);
            if (fd < nfds && own_fd(p, fd)) return true;
        }
    return false;
}

/* pselect6's wait on the sets (words each); on a proxy, a signalfd in
 * the read set that its thread's node has a signal for is readable
 * (signalfd_poll.h), and then none waits. */
static int64_t pselect_wait(struct task *t, int nfds, void *set[3], size_t words, void *tmo) {
    for (;;) {
        uint64_t pending = signalfd_node_pending(t);
        uint64_t *at_node = NULL;
        bool any = false;
        if (pending && set[0] && (at_node = calloc(words, 8))) {
            const uint64_t *rd = set[0];
            for (int fd = 0; fd < nfds; fd++)
                if ((rd[fd / 64] >> (fd % 64) & 1) && signalfd_ready_for(fd, pending)) {
                    at_node[fd / 64] |= 1ull << (fd % 64);
                    any = true;
                }
        }
        long r = safe_syscall_base(&t->sig.pending, SYS_pselect6, nfds, (long)set[0], (long)set[1],
                                   (long)set[2], (long)(any ? &zero_timeout : tmo), 0);
        if (wait_goes_on(t, r)) {
            free(at_node);
            continue;
        }
        int64_t ret = wait_result(r, SYS_pselect6, nfds, (long)set[0], (long)set[1], (long)set[2],
                                  (long)&zero_timeout, 0);
        if (any && ret >= 0) {
            uint64_t *rd = set[0];
            ret = 0;
            for (size_t w = 0; w < words; w++) {
                rd[w] |= at_node[w];
                for (int i = 0; i < 3; i++)
                    if (set[i]) ret += __builtin_popcountll(((uint64_t *)set[i])[w]);
            }
        }
        free(at_node);
        return ret;
    }
}

SYSCALL_HANDLER(pselect6) {
    if ((int64_t)(int)a[0] < 0) return -EINVAL;
    int nfds = (int)a[0] > SELECT_NFDS_MAX ? SELECT_NFDS_MAX : (int)a[0];
    size_t bytes = sc_fdset_bytes(nfds);
    for (int i = 0; i < 3; i++)
        if (a[1 + i] && !guest_buf(t, a[1 + i], bytes, PROT_READ | PROT_WRITE)) return -EFAULT;
    void *tmo = NULL;
    if (a[4] && !(tmo = guest_buf(t, a[4], sizeof(struct timespec), PROT_READ | PROT_WRITE)))
        return -EFAULT;
    /* the sixth argument: {const sigset_t *ss; size_t ss_len} ('q': both
     * levels shipped) */
    uint64_t ss[2] = {0, 0};
    if (a[5] && guest_copy_in(t, ss, a[5], sizeof ss)) return -EFAULT;
    /* the three sets, whole words (sc_fdset_bytes) */
    size_t words = bytes / 8 + 1; /* one more: never calloc(0) */
    uint64_t *sets = calloc(3 * words, 8);
    if (!sets) return -ENOMEM;
    void *set[3] = {NULL, NULL, NULL};
    int64_t r = 0;
    for (int i = 0; i < 3 && !r; i++) {
        if (!a[1 + i]) continue;
        set[i] = sets + i * words;
        if (guest_copy_in(t, set[i], a[1 + i], bytes))
            r = -EFAULT;
        else if (fdset_names_own(t->proc, set[i], nfds))
            r = -EBADF;
    }
    if (!r) r = wait_mask_begin(t, ss[0], ss[1]);
    if (!r) {
        r = pselect_wait(t, nfds, set, words, tmo);
        wait_mask_end(t, ss[0], r);
    }
    for (int i = 0; i < 3 && r >= 0; i++)
        if (set[i] && guest_copy_out(t, a[1 + i], set[i], bytes)) r = -EFAULT;
    free(sets);
    return r;
}

SYSCALL_HANDLER(epoll_create1) {
    return host_result(epoll_create1((int)a[0]));
}

SYSCALL_HANDLER(epoll_ctl) {
    struct epoll_event ev, *evp = NULL;
    if (a[3]) {
        struct aarch64_epoll_event g;
        if (guest_copy_in(t, &g, a[3], sizeof g)) {
            /* EPOLL_CTL_DEL ignores the event (NULL allowed since 2.6.9) */
            if ((int)a[1] != EPOLL_CTL_DEL) return -EFAULT;
        } else {
            epoll_event_to_host(&ev, &g);
            evp = &ev;
        }
    }
    return host_result(epoll_ctl((int)a[0], (int)a[1], (int)a[2], evp));
}

/* epoll_pwait(2)'s wait on epfd for up to n events into ev, timeout tmo
 * (NULL: none); on a proxy, a signalfd in the set that its thread's node
 * has a signal for gives an event (signalfd_poll.h), and then none
 * waits. ms: epoll_pwait's form, else epoll_pwait2's. */
static int64_t epoll_wait_on(struct task *t, int epfd, struct epoll_event *ev, int n,
                             const struct timespec *tmo, bool ms) {
    uint64_t start = tmo && t->proxy ? clock_mono_ns() : 0;
    for (bool again = false;; again = true) {
        int k = signalfd_epoll_ready(t, epfd, signalfd_node_pending(t), ev, n);
        const struct timespec *wait = k ? &zero_timeout : tmo;
        struct timespec left;
        if (!k && tmo && again) { /* looking again: what is left of tmo */
            int64_t ns =
                tmo->tv_sec * 1000000000 + tmo->tv_nsec - (int64_t)(clock_mono_ns() - start);
            ns = ns < 0 ? 0 : ns;
            left = (struct timespec){ns / 1000000000, ns % 1000000000};
            wait = &left;
        }
        /* the timeout in ms, rounded up as Linux does */
        long w_ms = !wait ? -1 : wait->tv_sec * 1000 + (wait->tv_nsec + 999999) / 1000000;
        long r = k == n ? 0
                 : ms   ? safe_syscall_base(&t->sig.pending, SYS_epoll_pwait, epfd, (long)(ev + k),
                                            n - k, w_ms, 0, 8)
                        : safe_syscall_base(&t->sig.pending, SYS_epoll_pwait2, epfd, (long)(ev + k),
                                            n - k, (long)wait, 0, 8);
        if (wait_goes_on(t, r)) continue;
        int64_t ret = wait_result(r, ms ? SYS_epoll_pwait : SYS_epoll_pwait2, epfd, (long)(ev + k),
                                  n - k, ms ? 0 : (long)&zero_timeout, 0, 8);
        if (!k || ret < 0) return ret;
        /* a signalfd the master's kernel found ready too comes once */
        int64_t out = k;
        for (int64_t i = k; i < k + ret; i++) {
            bool dup = false;
            for (int j = 0; j < k && !dup; j++)
                dup = ev[i].data.u64 == ev[j].data.u64;
            if (!dup) ev[out++] = ev[i];
        }
        return out;
    }
}

/* epoll_pwait and epoll_pwait2: timeout is ms (int) or a timespec. */
static int64_t epoll_wait_common(struct task *t, const uint64_t *a, bool ts) {
    int maxevents = (int)a[2];
    if (maxevents <= 0 || (uint64_t)maxevents > INT32_MAX / sizeof(struct aarch64_epoll_event))
        return -EINVAL;
    if (!GUEST_OUT(t, a[1], (uint64_t)maxevents * sizeof(struct aarch64_epoll_event)))
        return -EFAULT;
    struct timespec tmo_ms;
    const struct timespec *tmo = NULL;
    if (ts && a[3] && !(tmo = GUEST_IN(t, a[3], sizeof(struct timespec)))) return -EFAULT;
    if (!ts && (int)a[3] >= 0) {
        tmo_ms = (struct timespec){(int)a[3] / 1000, (int)a[3] % 1000 * 1000000L};
        tmo = &tmo_ms;
    }
    int n = maxevents < EPOLL_BATCH ? maxevents : EPOLL_BATCH;
    struct epoll_event *ev = malloc((size_t)n * sizeof *ev);
    if (!ev) return -ENOMEM;
    int64_t r = wait_mask_begin(t, a[4], a[5]);
    if (!r) {
        r = epoll_wait_on(t, (int)a[0], ev, n, tmo, !ts);
        wait_mask_end(t, a[4], r);
    }
    for (int64_t i = 0; i < r; i++) {
        struct aarch64_epoll_event g;
        epoll_event_to_guest(&g, &ev[i]);
        if (guest_copy_out(t, a[1] + (uint64_t)i * sizeof g, &g, sizeof g)) {
            r = -EFAULT; /* unmapped meanwhile by another thread */
            break;
        }
    }
    free(ev);
    return r;
}

SYSCALL_HANDLER(epoll_pwait) {
    return epoll_wait_common(t, a, false);
}

SYSCALL_HANDLER(epoll_pwait2) {
    return epoll_wait_common(t, a, true);
}

SYSCALL_HANDLER(timerfd_create) {
    return host_result(syscall(SYS_timerfd_create, (int)a[0], (int)a[1]));
}

SYSCALL_HANDLER(timerfd_settime) {
    const void *nv = GUEST_IN(t, a[2], sizeof(struct itimerspec));
    void *ov = NULL;
    if (!nv || (a[3] && !(ov = GUEST_OUT(t, a[3], sizeof(struct itimerspec))))) return -EFAULT;
    return host_result(syscall(SYS_timerfd_settime, (int)a[0], (int)a[1], nv, ov));
}

SYSCALL_HANDLER(timerfd_gettime) {
    void *cur = GUEST_OUT(t, a[1], sizeof(struct itimerspec));
    return cur ? host_result(syscall(SYS_timerfd_gettime, (int)a[0], cur)) : -EFAULT;
}

SYSCALL_HANDLER(inotify_init1) {
    return host_result(syscall(SYS_inotify_init1, (int)a[0]));
}

SYSCALL_HANDLER(inotify_add_watch) {
    char path[4096];
    int e = guest_path(t, a[1], path);
    return e ? e : host_result(syscall(SYS_inotify_add_watch, (int)a[0], path, (uint32_t)a[2]));
}

SYSCALL_HANDLER(inotify_rm_watch) {
    return host_result(syscall(SYS_inotify_rm_watch, (int)a[0], (int)a[1]));
}

const struct syscall_row sys_poll_rows[] = {
    {20, "epoll_create1", sys_epoll_create1, "x", 'd', SC_GLOBAL},
    {21, "epoll_ctl", sys_epoll_ctl, "#d#e", 'd', SC_GLOBAL},
    {22, "epoll_pwait", sys_epoll_pwait, "#Eddiu", 'd', SC_GLOBAL},
    {26, "inotify_init1", sys_inotify_init1, "x", 'd', SC_GLOBAL},
    {27, "inotify_add_watch", sys_inotify_add_watch, "#sx", 'd', SC_GLOBAL},
    {28, "inotify_rm_watch", sys_inotify_rm_watch, "#d", 'd', SC_GLOBAL},
    {72, "pselect6", sys_pselect6, "dzzzWq", 'd', SC_GLOBAL},
    {73, "ppoll", sys_ppoll, "QuWiu", 'd', SC_GLOBAL},
    {85, "timerfd_create", sys_timerfd_create, "dx", 'd', SC_GLOBAL},
    {86, "timerfd_settime", sys_timerfd_settime, "#xcN", 'd', SC_GLOBAL},
    {87, "timerfd_gettime", sys_timerfd_gettime, "#N", 'd', SC_GLOBAL},
    {441, "epoll_pwait2", sys_epoll_pwait2, "#Edriu", 'd', SC_GLOBAL},
    SYSCALL_ROWS_END,
};
