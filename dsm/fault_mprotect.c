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

/* a page's byte in prot_map; the MP_GUEST bits only in adopted regions */
#define MP_STATE_R     0x01 /* the DSM gave it: present, readable */
#define MP_STATE_W     0x02 /* present, writable (M) */
#define MP_GUEST_R     0x10 /* the guest's own protection allows reads */
#define MP_GUEST_W     0x20
#define MP_GUEST_SHIFT 4

static _Atomic uint8_t *page_byte(struct dsm_fault_region *r, uint64_t off) {
    return &r->prot_map[off / DSM_PAGE_SIZE];
}

/* What a fault in an adopted region is: the guest's own (its protection
 * forbids the access: the embedder raises SIGSEGV), already served (the
 * page changed since: retry), or the DSM's to serve. */
enum mp_fault { MP_GUEST, MP_RETRY, MP_SERVE };
static enum mp_fault classify(struct dsm_fault_region *r, uint64_t off, bool is_write) {
    uint8_t b = atomic_load_explicit(page_byte(r, off), memory_order_acquire);
    uint8_t need = is_write ? MP_STATE_W : MP_STATE_R;
    if (r->adopted && !((b >> MP_GUEST_SHIFT) & need)) return MP_GUEST;
    return (b & need) ? MP_RETRY : MP_SERVE;
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
        enum mp_fault kind = classify(r, off, is_write);
        if (kind == MP_GUEST) return false;
        if (kind == MP_RETRY) return true;
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
    /* SA_NODEFER as the DBT's own: the handler it chains to may leave by
     * siglongjmp, and a fault inside that handler must still be caught */
    sa.sa_flags = SA_SIGINFO | SA_RESTART | SA_NODEFER;
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
        /* A parked thread woken by another page's wake (buckets are
         * shared) that faults again leaves a second record; by the time
         * it is read the page may be present, and serving it anyway would
         * act on a page that moved on (a shared file page being unmapped
         * is no longer the object's, but still holds its bytes). The
         * thread itself saw the page absent, and whatever made it present
         * woke it. */
        if (classify(r, rec.off, rec.write != 0) == MP_RETRY) continue;
        r->fn(r->opaque, rec.off, rec.write != 0);
    }
}

static int start_handler(struct dsm_fault_region *r) {
    int p[2];
    if (pipe2(p, O_CLOEXEC)) return -errno;
    r->pipe_rd = p[0];
    r->pipe_wr = p[1];
    int err = -pthread_create(&r->thread, NULL, handler, r);
    if (err) return err;
    r->thread_started = true;
    pthread_once(&handler_once, install_handler);
    /* publish: push on the lock-free list */
    struct dsm_fault_region *head = registered;
    do
        r->next_registered = head;
    while (!atomic_compare_exchange_weak(&registered, &head, r));
    return 0;
}

/* one byte per page, NORESERVE: it grows with the pages touched */
static int map_create(struct dsm_fault_region *r) {
    void *m = mmap(NULL, r->size / DSM_PAGE_SIZE, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED) return -errno;
    r->prot_map = m;
    return 0;
}

static void map_free(struct dsm_fault_region *r) {
    munmap((void *)r->prot_map, r->size / DSM_PAGE_SIZE);
    r->prot_map = NULL;
}

/* The embedder's private anonymous memory: every page starts absent
 * (PROT_NONE) with no guest protection until dsm_fault_guest_protect
 * says which; contents go in and out through /proc/self/mem, which
 * reaches a page whatever its protection. */
static int mp_adopt(struct dsm_fault_region *r, void *addr) {
    int err;
    r->base = addr;
    pthread_mutex_init(&r->prot_lock, NULL);
    if ((err = map_create(r))) return err;
    if ((r->procmem = open("/proc/self/mem", O_RDWR | O_CLOEXEC)) < 0) goto fail_errno;
    if (mprotect(r->base, r->size, PROT_NONE)) goto fail_errno;
    if ((err = start_handler(r))) goto fail;
    return 0;
fail_errno:
    err = -errno;
fail:
    if (r->pipe_rd >= 0) close(r->pipe_rd), close(r->pipe_wr);
    if (r->procmem >= 0) close(r->procmem);
    map_free(r);
    return err;
}

static int mp_create(struct dsm_fault_region *r, void *addr) {
    int err;
    if (r->adopted) return mp_adopt(r, addr);
    if ((err = map_create(r))) return err;
    r->memfd = memfd_create("shoal-dsm", MFD_CLOEXEC);
    if (r->memfd < 0) {
        err = -errno;
        map_free(r);
        return err;
    }
    if (ftruncate(r->memfd, (off_t)r->size)) goto fail_errno;
    void *g = mmap(addr, r->size, PROT_NONE, MAP_SHARED | (addr ? MAP_FIXED : 0), r->memfd, 0);
    if (g == MAP_FAILED) goto fail_errno;
    r->base = g;
    void *al = mmap(NULL, r->size, PROT_READ | PROT_WRITE, MAP_SHARED, r->memfd, 0);
    if (al == MAP_FAILED) goto fail_errno;
    r->alias = al;
    if ((err = start_handler(r))) goto fail;
    return 0;
fail_errno:
    err = -errno;
fail:
    if (r->pipe_rd >= 0) close(r->pipe_rd), close(r->pipe_wr);
    if (r->alias) munmap(r->alias, r->size);
    if (r->base) munmap(r->base, r->size);
    close(r->memfd);
    map_free(r);
    return err;
}

static void mp_destroy(struct dsm_fault_region *r) {
    r->dead = true;
    struct fault_rec stop = {UINT64_MAX, 0};
    if (r->thread_started && write(r->pipe_wr, &stop, sizeof stop) == sizeof stop)
        pthread_join(r->thread, NULL);
    close(r->pipe_rd);
    close(r->pipe_wr);
    /* the map stays for signal handlers that may still walk the list */
    if (r->adopted) {
        close(r->procmem); /* the memory is the embedder's */
        return;
    }
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

static uint8_t state_bits(int prot) {
    return (prot & PROT_READ ? MP_STATE_R : 0) | (prot & PROT_WRITE ? MP_STATE_W | MP_STATE_R : 0);
}

static int host_prot_of(uint8_t b) {
    uint8_t both = b & (b >> MP_GUEST_SHIFT);
    return (both & MP_STATE_R ? PROT_READ : 0) | (both & MP_STATE_W ? PROT_WRITE : 0);
}

/* Nothing is mapped at page addr: a guest mremap moved its mapping away
 * and the hole is not reserved again yet (syscall/guest_mem_mremap.c,
 * host_move), while this node's network thread applies a directory
 * message for a page there. Tells that ENOMEM apart from a map count
 * exhausted. */
static bool hole_at(uint8_t *addr) {
    unsigned char v;
    return mincore(addr, DSM_PAGE_SIZE, &v) && errno == ENOMEM;
}

/* mprotect of one page; -ENOENT: a hole (above). A call that met the
 * hole just before the move reserved it again finds it mapped: tried
 * again then. */
static int protect_page(uint8_t *addr, int prot) {
    for (int tries = 0;; tries++) {
        if (!mprotect(addr, DSM_PAGE_SIZE, prot)) return 0;
        if (errno != ENOMEM) return -errno;
        if (hole_at(addr)) return -ENOENT;
        if (tries) return -ENOMEM;
    }
}

/* mprotect of [addr, addr + len), pages in a hole left out (they are
 * absent already, and the layout change forgets them next): -ENOENT
 * then, as userfaultfd answers for a page with no mapping. */
static int protect_present(uint8_t *addr, size_t len, int prot) {
    if (!mprotect(addr, len, prot)) return 0;
    if (errno != ENOMEM) return -errno;
    int r = 0;
    for (size_t o = 0; o < len; o += DSM_PAGE_SIZE) {
        int e = protect_page(addr + o, prot);
        if (e && e != -ENOENT) return e;
        r = r ? r : e;
    }
    return r;
}

/* Sets the bits under mask of every page of [off, off + len) to bits and
 * applies the intersection, one mprotect per run of equal protection.
 * prot_lock held (adopted_set takes it). */
static int adopted_set_locked(struct dsm_fault_region *r, uint64_t off, uint64_t len, uint8_t mask,
                              uint8_t bits) {
    uint64_t end = off + len, run = off;
    int run_prot = -1;
    bool gone = false;
    for (uint64_t o = off; o <= end; o += DSM_PAGE_SIZE) {
        int prot = -1;
        if (o < end) {
            _Atomic uint8_t *p = page_byte(r, o);
            uint8_t b = (uint8_t)((atomic_load_explicit(p, memory_order_relaxed) & ~mask) | bits);
            atomic_store_explicit(p, b, memory_order_release);
            prot = host_prot_of(b);
        }
        if (prot == run_prot) continue;
        if (run_prot >= 0) {
            int e = protect_present(r->base + run, o - run, run_prot);
            if (e && e != -ENOENT) return e;
            gone = gone || e;
        }
        run = o;
        run_prot = prot;
    }
    return gone ? -ENOENT : 0;
}

static int adopted_set(struct dsm_fault_region *r, uint64_t off, uint64_t len, uint8_t mask,
                       uint8_t bits) {
    pthread_mutex_lock(&r->prot_lock);
    int e = adopted_set_locked(r, off, len, mask, bits);
    pthread_mutex_unlock(&r->prot_lock);
    return e;
}

/* In an adopted region every change wakes the threads parked on the
 * page: one parked on a page whose mapping went (the DSM drops it, the
 * guest's protection closes it) must fault again to take its SIGSEGV.
 * A memfd region has no guest protection, and its threads park only for
 * access the page lacks, so only a grant wakes them: a writer woken by
 * a downgrade would fault again and leave a second record for one miss.
 * There the byte loses the taken access before the mprotect and gains
 * the granted after it, so a fault it calls served (MP_RETRY) has the
 * access at its retry. */
static int mp_protect(struct dsm_fault_region *r, uint64_t off, int prot) {
    uint8_t now = state_bits(prot);
    if (r->adopted) {
        int e = adopted_set(r, off, DSM_PAGE_SIZE, MP_STATE_R | MP_STATE_W, now);
        return e ? e : mp_wake(r, off);
    }
    _Atomic uint8_t *p = page_byte(r, off);
    uint8_t was = atomic_fetch_and(p, now);
    if (mprotect(r->base + off, DSM_PAGE_SIZE, prot & (PROT_READ | PROT_WRITE))) return -errno;
    atomic_store_explicit(p, now, memory_order_release);
    return now & ~was ? mp_wake(r, off) : 0;
}

/* adopted regions: the DSM holds the page present */
static bool adopted_present(struct dsm_fault_region *r, uint64_t off) {
    uint8_t b = atomic_load_explicit(page_byte(r, off), memory_order_acquire);
    return b & (MP_STATE_R | MP_STATE_W);
}

static int mp_install(struct dsm_fault_region *r, uint64_t off, const void *data, int prot) {
    if (r->adopted) {
        /* as UFFDIO_COPY: a present page's bytes are never overwritten
         * (they may be another page's, e.g. a shared file's being moved) */
        if (adopted_present(r, off)) return -EEXIST;
        /* absent, so PROT_NONE while it is written: no thread sees half */
        for (int tries = 0; pwrite(r->procmem, data, DSM_PAGE_SIZE,
                                   (off_t)(uintptr_t)(r->base + off)) != DSM_PAGE_SIZE;
             tries++) {
            int e = errno ? errno : EIO;
            if (hole_at(r->base + off)) return -ENOENT;
            if (tries) return -e; /* else reserved again just now (above) */
        }
        return mp_protect(r, off, prot);
    }
    /* the guest view is PROT_NONE while the alias is filled, so no thread
     * sees a half-written page */
    memcpy(r->alias + off, data, DSM_PAGE_SIZE);
    return mp_protect(r, off, prot);
}

static int mp_copy_out(struct dsm_fault_region *r, uint64_t off, void *buf) {
    if (r->adopted) {
        /* a page the guest unmapped meanwhile reads as zeros, as with
         * userfaultfd */
        if (pread(r->procmem, buf, DSM_PAGE_SIZE, (off_t)(uintptr_t)(r->base + off)) !=
            DSM_PAGE_SIZE)
            memset(buf, 0, DSM_PAGE_SIZE);
        return 0;
    }
    memcpy(buf, r->alias + off, DSM_PAGE_SIZE);
    return 0;
}

static int mp_drop(struct dsm_fault_region *r, uint64_t off) {
    if (r->adopted) {
        /* a page in a hole is absent already */
        int e = adopted_set(r, off, DSM_PAGE_SIZE, MP_STATE_R | MP_STATE_W, 0);
        if (e) return e == -ENOENT ? 0 : e;
        /* give the memory back: the next install writes all of it */
        return madvise(r->base + off, DSM_PAGE_SIZE, MADV_DONTNEED) && errno != ENOMEM ? -errno : 0;
    }
    atomic_store(page_byte(r, off), 0);
    if (mprotect(r->base + off, DSM_PAGE_SIZE, PROT_NONE)) return -errno;
    /* give the memory back; the contents no longer matter */
    if (fallocate(r->memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off, DSM_PAGE_SIZE))
        return -errno;
    return 0;
}

/* The embedder mapped [off, off + len) anew: every page there is absent;
 * threads parked on what was there retry (and fault on the new pages). */
static int mp_rearm(struct dsm_fault_region *r, uint64_t off, uint64_t len) {
    if (!r->adopted) return -EOPNOTSUPP;
    int e = adopted_set(r, off, len, MP_STATE_R | MP_STATE_W, 0);
    for (uint64_t o = off; !e && o < off + len && o < off + FAULT_WAKE_BUCKETS * DSM_PAGE_SIZE;
         o += DSM_PAGE_SIZE)
        mp_wake(r, o);
    return e;
}

int dsm_fault_mprotect_guest(struct dsm_fault_region *r, uint64_t off, uint64_t len, int prot) {
    if (!r->adopted) return -EOPNOTSUPP;
    uint8_t bits = (uint8_t)(state_bits(prot & (PROT_READ | PROT_WRITE)) << MP_GUEST_SHIFT);
    int e = adopted_set(r, off, len, MP_GUEST_R | MP_GUEST_W, bits);
    return e;
}

const struct fault_mech_ops dsm_fault_mprotect_ops = {
    .create = mp_create,
    .destroy = mp_destroy,
    .install = mp_install,
    .protect = mp_protect,
    .copy_out = mp_copy_out,
    .drop = mp_drop,
    .wake = mp_wake,
    .rearm = mp_rearm,
};
