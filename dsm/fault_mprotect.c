/* The fallback fault capture: mprotect on a memfd's guest view, SIGSEGV
 * to catch accesses, a read-write alias of the same memfd to fill and
 * copy pages. The signal handler does no DSM work: it passes the fault
 * to the handler thread through a pipe and parks on a futex word until
 * the page changes, then returns so the access is retried. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "common/log.h"
#include "dsm/directory.h"
#include "dsm/fault_impl.h"

struct fault_rec {
    uint64_t off; /* UINT64_MAX: stop */
    uint64_t write;
};

/* Signal handlers get no context argument, so the regions live on one
 * process-wide list; entries are only added and marked dead, never
 * unlinked, so the handler can walk it without a lock. */
static struct dsm_fault_region *_Atomic registered;
static struct sigaction previous;
static pthread_once_t handler_once = PTHREAD_ONCE_INIT;

static _Atomic uint32_t *bucket(struct dsm_fault_region *r, uint64_t off) {
    return &r->wake_seq[(off / DSM_PAGE_SIZE) % FAULT_WAKE_BUCKETS];
}

bool dsm_fault_mprotect_on_signal(const siginfo_t *si, void *ucontext) {
    uint8_t *a = si->si_addr;
    for (struct dsm_fault_region *r = registered; r; r = r->next_registered) {
        if (r->dead || a < r->base || a >= r->base + r->size) continue;
        uint64_t off = (uint64_t)(a - r->base) & ~(uint64_t)(DSM_PAGE_SIZE - 1);
        bool is_write = false;
#ifdef REG_ERR
        /* x86 page-fault error code: bit 1 = the access was a write */
        is_write = ((ucontext_t *)ucontext)->uc_mcontext.gregs[REG_ERR] & 2;
#endif
        _Atomic uint32_t *w = bucket(r, off);
        uint32_t seq = *w; /* read before asking, so no wake is missed */
        struct fault_rec rec = {off, is_write};
        int saved = errno;
        if (write(r->pipe_wr, &rec, sizeof rec) == sizeof rec)
            syscall(SYS_futex, w, FUTEX_WAIT_PRIVATE, seq, NULL, NULL, 0);
        errno = saved;
        return true;
    }
    return false;
}

static void on_sigsegv(int sig, siginfo_t *si, void *uc) {
    if (dsm_fault_mprotect_on_signal(si, uc)) return;
    if (previous.sa_flags & SA_SIGINFO) {
        previous.sa_sigaction(sig, si, uc);
    } else if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN) {
        previous.sa_handler(sig);
    } else {
        /* not ours and nobody else's: die of it when the access repeats */
        signal(SIGSEGV, SIG_DFL);
    }
}

static void install_handler(void) {
    struct sigaction sa = {0};
    sa.sa_sigaction = on_sigsegv;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &previous);
}

static void *handler(void *arg) {
    struct dsm_fault_region *r = arg;
    struct fault_rec rec;
    for (;;) {
        ssize_t got = read(r->pipe_rd, &rec, sizeof rec);
        if (got < 0 && errno == EINTR) continue;
        if (got != sizeof rec || rec.off == UINT64_MAX) return NULL;
        r->fn(r->opaque, rec.off, rec.write != 0);
    }
}

static int mp_create(struct dsm_fault_region *r, void *addr) {
    int err, p[2];
    r->memfd = memfd_create("shoal-dsm", MFD_CLOEXEC);
    if (r->memfd < 0) return -errno;
    if (ftruncate(r->memfd, (off_t)r->size)) goto fail_errno;
    void *g = mmap(addr, r->size, PROT_NONE, MAP_SHARED | (addr ? MAP_FIXED : 0), r->memfd, 0);
    if (g == MAP_FAILED) goto fail_errno;
    r->base = g;
    void *al = mmap(NULL, r->size, PROT_READ | PROT_WRITE, MAP_SHARED, r->memfd, 0);
    if (al == MAP_FAILED) goto fail_errno;
    r->alias = al;
    if (pipe2(p, O_CLOEXEC)) goto fail_errno;
    r->pipe_rd = p[0];
    r->pipe_wr = p[1];
    if ((err = -pthread_create(&r->thread, NULL, handler, r))) goto fail;
    r->thread_started = true;
    pthread_once(&handler_once, install_handler);
    /* publish: push on the lock-free list */
    struct dsm_fault_region *head = registered;
    do
        r->next_registered = head;
    while (!atomic_compare_exchange_weak(&registered, &head, r));
    return 0;
fail_errno:
    err = -errno;
fail:
    if (r->pipe_rd >= 0) close(r->pipe_rd), close(r->pipe_wr);
    if (r->alias) munmap(r->alias, r->size);
    if (r->base) munmap(r->base, r->size);
    close(r->memfd);
    return err;
}

static void mp_destroy(struct dsm_fault_region *r) {
    r->dead = true;
    struct fault_rec stop = {UINT64_MAX, 0};
    if (r->thread_started && write(r->pipe_wr, &stop, sizeof stop) == sizeof stop)
        pthread_join(r->thread, NULL);
    close(r->pipe_rd);
    close(r->pipe_wr);
    munmap(r->alias, r->size);
    munmap(r->base, r->size);
    close(r->memfd);
}

static int mp_wake(struct dsm_fault_region *r, uint64_t off) {
    _Atomic uint32_t *w = bucket(r, off);
    atomic_fetch_add(w, 1);
    syscall(SYS_futex, w, FUTEX_WAKE_PRIVATE, INT32_MAX, NULL, NULL, 0);
    return 0;
}

static int mp_protect(struct dsm_fault_region *r, uint64_t off, int prot) {
    if (mprotect(r->base + off, DSM_PAGE_SIZE, prot & (PROT_READ | PROT_WRITE))) return -errno;
    return mp_wake(r, off);
}

static int mp_install(struct dsm_fault_region *r, uint64_t off, const void *data, int prot) {
    /* the guest view is PROT_NONE while the alias is filled, so no thread
     * sees a half-written page */
    memcpy(r->alias + off, data, DSM_PAGE_SIZE);
    return mp_protect(r, off, prot);
}

static int mp_copy_out(struct dsm_fault_region *r, uint64_t off, void *buf) {
    memcpy(buf, r->alias + off, DSM_PAGE_SIZE);
    return 0;
}

static int mp_drop(struct dsm_fault_region *r, uint64_t off) {
    if (mprotect(r->base + off, DSM_PAGE_SIZE, PROT_NONE)) return -errno;
    /* give the memory back; the contents no longer matter */
    if (fallocate(r->memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off, DSM_PAGE_SIZE))
        return -errno;
    return 0;
}

const struct fault_mech_ops dsm_fault_mprotect_ops = {
    mp_create, mp_destroy, mp_install, mp_protect, mp_copy_out, mp_drop, mp_wake, NULL,
};
