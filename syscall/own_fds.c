#define _GNU_SOURCE
#include "syscall/own_fds.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "syscall/task.h"

/* Room for fds below 64 * need. */
static int fd_bits_grow(struct fd_bits *b, size_t need) {
    if (need <= b->words) return 0;
    uint64_t *w = realloc(b->w, need * sizeof *w);
    if (!w) return -ENOMEM;
    for (size_t i = b->words; i < need; i++)
        w[i] = 0;
    b->w = w;
    b->words = need;
    return 0;
}

static int fd_bits_add(struct fd_bits *b, int fd) {
    int r = fd_bits_grow(b, (size_t)fd / 64 + 1);
    if (!r) b->w[fd / 64] |= 1ull << (fd % 64);
    return r;
}

int fd_bits_scan(struct fd_bits *b) {
    *b = (struct fd_bits){0};
    DIR *d = opendir("/proc/self/fd");
    if (!d) return -errno;
    int self = dirfd(d), r = 0;
    for (struct dirent *e; !r && (e = readdir(d));) {
        char *end;
        long fd = strtol(e->d_name, &end, 10);
        if (e->d_name[0] != '.' && !*end && fd >= 0 && fd != self) r = fd_bits_add(b, (int)fd);
    }
    closedir(d);
    if (r) fd_bits_free(b);
    return r;
}

/* The words are read atomically: a process's own set changes under
 * its readers (own_fds_add). */
bool fd_bits_has(const struct fd_bits *b, int fd) {
    return fd >= 0 && (size_t)fd / 64 < b->words &&
           (__atomic_load_n(&b->w[fd / 64], __ATOMIC_RELAXED) >> (fd % 64) & 1);
}

void fd_bits_free(struct fd_bits *b) {
    free(b->w);
    *b = (struct fd_bits){0};
}

/* The soft limit to set back (a lift), or 0: the range is kept as it is. */
static rlim_t lift(const struct rlimit *rl, rlim_t reserve) {
    if (rl->rlim_cur == RLIM_INFINITY || rl->rlim_cur > OWN_FDS_HOLD_MAX) return 0;
    if (rl->rlim_max != RLIM_INFINITY && rl->rlim_max - rl->rlim_cur < reserve) return 0;
    struct rlimit up = {rl->rlim_cur + reserve, rl->rlim_max};
    return setrlimit(RLIMIT_NOFILE, &up) ? 0 : rl->rlim_cur;
}

int own_fds_hold_low(struct own_fds_hold *h, unsigned nodes) {
    *h = (struct own_fds_hold){0};
    struct rlimit rl;
    int below = OWN_FDS_GUEST_LOW;
    /* the emulator's numbers: a reserve, a few per node more, above the
     * guest's limit where the hard limit allows; else the top of its
     * range (of a range under two reserves, the top three quarters) */
    rlim_t reserve = OWN_FDS_RESERVE + 4 * (rlim_t)nodes;
    if (!getrlimit(RLIMIT_NOFILE, &rl)) {
        rlim_t soft = lift(&rl, reserve);
        h->lifted = soft != 0;
        h->soft = soft;
        below = h->lifted                                  ? (int)soft
                : rl.rlim_cur < 2 * reserve                ? (int)(rl.rlim_cur / 4)
                : rl.rlim_cur - reserve > OWN_FDS_HOLD_MAX ? OWN_FDS_HOLD_MAX
                                                           : (int)(rl.rlim_cur - reserve);
    }
    int first = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (first < 0) return -errno;
    /* each placeholder the lowest free number, close-on-exec (the slaves
     * a local launch forks never see them): the holes fill in order */
    for (int fd = first;; fd = fcntl(first, F_DUPFD_CLOEXEC, 0)) {
        if (fd < 0) return -errno;
        if (fd >= below) {
            close(fd);
            return 0;
        }
        int r = fd_bits_add(&h->held, fd);
        if (r) {
            close(fd);
            return r;
        }
    }
}

void own_fds_hold_child(const struct own_fds_hold *h) {
    struct rlimit rl;
    if (h->lifted && !getrlimit(RLIMIT_NOFILE, &rl)) {
        rl.rlim_cur = h->soft;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

void own_fds_unhold(struct own_fds_hold *h) {
    struct fd_bits *held = &h->held;
    for (size_t i = 0; i < held->words; i++)
        for (uint64_t w = held->w[i]; w; w &= w - 1)
            close((int)(i * 64 + (size_t)__builtin_ctzll(w)));
    fd_bits_free(held);
    /* the emulator's fds above the guest's limit stay usable */
    own_fds_hold_child(h);
    h->lifted = false;
}

/* Most fds the set covers (Linux's default fs.nr_open): 128 KiB. */
#define OWN_FDS_MAX (1u << 20)

/* A close-on-exec copy of fd under the highest free number below soft. */
static int dup_highest_free(int fd, rlim_t soft) {
    /* the lowest free number from `at` up: the highest free one, going down */
    for (int at = soft > INT_MAX ? INT_MAX - 1 : (int)soft - 1; at >= 3; at--) {
        int n = fcntl(fd, F_DUPFD_CLOEXEC, at);
        if (n >= 0) return n;
        if (errno != EMFILE) return -errno;
    }
    return -EMFILE;
}

int own_fds_dup_high(int fd) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur < 4) return -EMFILE;
    rlim_t soft = lift(&rl, 1);
    if (soft) {
        int n = fcntl(fd, F_DUPFD_CLOEXEC, (int)soft);
        setrlimit(RLIMIT_NOFILE, &rl);
        if (n >= 0) return n;
    }
    return dup_highest_free(fd, rl.rlim_cur);
}

int own_fds_claim(struct process *p, const struct fd_bits *inherited) {
    struct fd_bits now;
    int r = fd_bits_scan(&now);
    if (r) return r;
    for (size_t i = 0; i < now.words; i++)
        now.w[i] &= ~(i < inherited->words ? inherited->w[i] : 0);
    if (now.words) now.w[0] &= ~7ull; /* stdin, stdout, stderr are the guest's */
    /* room for every fd this process may open, so that own_fds_add never
     * reallocates under a reader */
    struct rlimit rl;
    uint64_t most =
        getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_max > OWN_FDS_MAX ? OWN_FDS_MAX : rl.rlim_max;
    if ((r = fd_bits_grow(&now, (most + 63) / 64))) {
        fd_bits_free(&now);
        return r;
    }
    fd_bits_free(&p->own_fds);
    p->own_fds = now;
    return 0;
}

bool own_fd(const struct process *p, int fd) {
    if (fd_bits_has(&p->own_fds, fd)) return true;
    if (!atomic_load(&p->own_fds_making)) return false;
    /* fd may be one being made: short, and never waits on the guest */
    while (atomic_load(&p->own_fds_making))
        sched_yield();
    return fd_bits_has(&p->own_fds, fd);
}

void own_fds_making(struct process *p, bool begin) {
    if (begin)
        atomic_fetch_add(&p->own_fds_making, 1);
    else
        atomic_fetch_sub(&p->own_fds_making, 1);
}

int own_fds_made(struct process *p, int fd) {
    int r = fd < 0 ? -errno : fd;
    if (fd >= 0) own_fds_add(p, fd);
    own_fds_making(p, false);
    return r;
}

bool own_fds_add(struct process *p, int fd) {
    struct fd_bits *b = &p->own_fds;
    if (fd < 0 || (size_t)fd / 64 >= b->words) return false;
    __atomic_fetch_or(&b->w[fd / 64], 1ull << (fd % 64), __ATOMIC_RELAXED);
    return true;
}

void own_fds_drop(struct process *p, int fd) {
    struct fd_bits *b = &p->own_fds;
    if (fd >= 0 && (size_t)fd / 64 < b->words)
        __atomic_fetch_and(&b->w[fd / 64], ~(1ull << (fd % 64)), __ATOMIC_RELAXED);
}

void own_fds_close(struct process *p, int fd) {
    /* neither the guest's nor gone for a moment: a look then waits */
    own_fds_making(p, true);
    own_fds_drop(p, fd);
    close(fd);
    own_fds_making(p, false);
}

int own_fds_keep(struct process *p, int fd) {
    struct rlimit rl;
    int n = getrlimit(RLIMIT_NOFILE, &rl) ? -errno : dup_highest_free(fd, rl.rlim_cur);
    close(fd);
    if (n >= 0) own_fds_add(p, n);
    return n;
}

int own_fds_open(struct process *p, const char *path, int flags) {
    own_fds_making(p, true);
    int fd = open(path, flags | O_CLOEXEC);
    int r = fd < 0 ? -errno : own_fds_keep(p, fd);
    own_fds_making(p, false);
    return r;
}

int own_fds_open_hook(void *p, const char *path, int flags) {
    return own_fds_open(p, path, flags);
}

void own_fds_close_hook(void *p, int fd) {
    own_fds_close(p, fd);
}

void own_fds_forget(struct process *p) {
    for (size_t i = 0; i < p->own_fds.words; i++)
        p->own_fds.w[i] = 0;
}

int own_fds_close_range(const struct process *p, unsigned first, unsigned last, unsigned flags) {
    if (first > last) return -EINVAL;
    unsigned lo = first;
    for (size_t i = 0; i < p->own_fds.words; i++)
        for (uint64_t w = __atomic_load_n(&p->own_fds.w[i], __ATOMIC_RELAXED); w; w &= w - 1) {
            unsigned fd = (unsigned)(i * 64 + (size_t)__builtin_ctzll(w));
            if (fd < lo || fd > last) continue;
            if (fd > lo && syscall(SYS_close_range, lo, fd - 1, flags)) return -errno;
            lo = fd + 1;
        }
    /* lo > last: the range ended with own fds (lo cannot wrap: fds < INT_MAX) */
    if (lo <= last && syscall(SYS_close_range, lo, last, flags)) return -errno;
    return 0;
}
