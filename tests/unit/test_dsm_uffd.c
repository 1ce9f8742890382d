/* Fault capture on this machine, with userfaultfd and with the mprotect
 * fallback: missing faults filled from the handler thread, write-protect
 * faults, drop and refill, one VMA whatever the page states (uffd), the
 * write-protect-then-copy order under a concurrent writer, and a two-node
 * cluster in one process (directory + page tables + real faults) doing
 * atomic increments on one page without losing any. If userfaultfd is
 * unavailable its tests are reported inactive (skipped), never passed. */
#define _GNU_SOURCE
#include <CUnit/CUnit.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <poll.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "common/proc_stopped.h"
#include "common/safe_copy.h"
#include "dsm/directory.h"
#include "dsm/fault.h"
#include "dsm/page_state.h"

#define PG DSM_PAGE_SIZE

/* --- a region whose handler records faults and answers by policy ------ */

enum policy { FILL, UNPROTECT, PARK, HOLD };
struct rec {
    struct dsm_fault_region *r;
    _Atomic int faults, writes, parked;
    _Atomic bool release; /* HOLD: the callback fills once this is set */
    _Atomic uint64_t last_off;
    _Atomic int policy;
};

static void on_fault(void *opaque, uint64_t off, bool write) {
    struct rec *x = opaque;
    x->last_off = off;
    x->writes += write;
    x->faults++;
    switch (x->policy) {
    case HOLD:
        while (!x->release)
            sched_yield();
        /* fall through */
    case FILL: {
        /* page i is filled with byte i+1 */
        static _Thread_local uint8_t page[PG];
        memset(page, (int)(off / PG + 1), PG);
        int r = dsm_fault_install(x->r, off, page, PROT_READ | (write ? PROT_WRITE : 0));
        if (r == -EEXIST) dsm_fault_wake(x->r, off);
        break;
    }
    case UNPROTECT: dsm_fault_protect(x->r, off, PROT_READ | PROT_WRITE); break;
    case PARK: x->parked++; break;
    }
}

static struct rec *make(enum dsm_fault_mech mech, size_t pages) {
    struct rec *x = calloc(1, sizeof *x);
    if (dsm_fault_region_create(mech, NULL, pages * PG, on_fault, x, &x->r)) {
        free(x);
        return NULL;
    }
    return x;
}
static void unmake(struct rec *x) {
    dsm_fault_region_destroy(x->r);
    free(x);
}
static volatile uint8_t *at(struct rec *x, size_t page) {
    return (volatile uint8_t *)dsm_fault_region_base(x->r) + page * PG;
}

static void missing_and_wp(enum dsm_fault_mech mech) {
    struct rec *x = make(mech, 16);
    CU_ASSERT_PTR_NOT_NULL_FATAL(x);
    if (!x) return;
    /* a read of an absent page: filled by the handler thread, read-only */
    x->policy = FILL;
    CU_ASSERT_EQUAL(at(x, 3)[100], 4);
    CU_ASSERT_EQUAL(x->faults, 1);
    CU_ASSERT_EQUAL(x->writes, 0);
    CU_ASSERT_EQUAL(x->last_off, 3 * PG);
    CU_ASSERT_EQUAL(at(x, 3)[5], 4); /* present now: no new fault */
    CU_ASSERT_EQUAL(x->faults, 1);
    /* a write to it is a write-protect fault */
    x->policy = UNPROTECT;
    at(x, 3)[7] = 99;
    CU_ASSERT_EQUAL(x->faults, 2);
    CU_ASSERT_EQUAL(x->writes, 1);
    uint8_t buf[PG];
    CU_ASSERT_EQUAL(dsm_fault_copy_out(x->r, 3 * PG, buf), 0);
    CU_ASSERT_EQUAL(buf[7], 99);
    CU_ASSERT_EQUAL(buf[8], 4);
    /* a write to an absent page is a write miss */
    x->policy = FILL;
    at(x, 5)[0] = 1;
    CU_ASSERT_EQUAL(x->faults, 3);
    CU_ASSERT_EQUAL(x->writes, 2);
    CU_ASSERT_EQUAL(at(x, 5)[1], 6);
    /* dropped pages fault again as misses and get fresh contents */
    CU_ASSERT_EQUAL(dsm_fault_drop(x->r, 3 * PG), 0);
    CU_ASSERT_EQUAL(at(x, 3)[7], 4);
    CU_ASSERT_EQUAL(x->faults, 4);
    CU_ASSERT_EQUAL(x->writes, 2);
    /* installs from outside the handler, read-only then write-protect
     * removed without a fault */
    memset(buf, 0x5a, PG);
    CU_ASSERT_EQUAL(dsm_fault_install(x->r, 9 * PG, buf, PROT_READ), 0);
    CU_ASSERT_EQUAL(at(x, 9)[0], 0x5a);
    CU_ASSERT_EQUAL(dsm_fault_protect(x->r, 9 * PG, PROT_READ | PROT_WRITE), 0);
    at(x, 9)[0] = 1;
    CU_ASSERT_EQUAL(x->faults, 4);
    /* bad offsets */
    CU_ASSERT_EQUAL(dsm_fault_drop(x->r, 16 * PG), -EINVAL);
    CU_ASSERT_EQUAL(dsm_fault_drop(x->r, 1), -EINVAL);
    if (mech == DSM_FAULT_UFFD)
        CU_ASSERT_EQUAL(dsm_fault_install(x->r, 9 * PG, buf, PROT_READ), -EEXIST);
    unmake(x);
}

/* A run of pages installed at once (a message of pages sent ahead):
 * each page gets its own bytes and the protection asked for, no fault is
 * taken, and a present page stops the run there (the rest is the
 * caller's, page by page). */
static void install_run(enum dsm_fault_mech mech) {
    struct rec *x = make(mech, 16);
    CU_ASSERT_PTR_NOT_NULL_FATAL(x);
    if (!x) return;
    x->policy = FILL;
    static uint8_t run[6 * PG];
    for (int i = 0; i < 6; i++)
        memset(run + i * PG, 0x40 + i, PG);
    CU_ASSERT_EQUAL(dsm_fault_install_run(x->r, 2 * PG, 4, run, PROT_READ), 4);
    for (int i = 0; i < 4; i++) {
        CU_ASSERT_EQUAL(at(x, 2 + i)[0], 0x40 + i);
        CU_ASSERT_EQUAL(at(x, 2 + i)[PG - 1], 0x40 + i);
    }
    CU_ASSERT_EQUAL(x->faults, 0);
    /* read-only: a write is a write-protect fault */
    x->policy = UNPROTECT;
    at(x, 4)[1] = 7;
    CU_ASSERT_EQUAL(x->faults, 1);
    CU_ASSERT_EQUAL(x->writes, 1);
    /* writable when asked: no fault */
    CU_ASSERT_EQUAL(dsm_fault_install_run(x->r, 8 * PG, 2, run, PROT_READ | PROT_WRITE), 2);
    at(x, 9)[3] = 9;
    CU_ASSERT_EQUAL(x->faults, 1);
    CU_ASSERT_EQUAL(at(x, 9)[3], 9);
    CU_ASSERT_EQUAL(at(x, 9)[4], 0x41);
    if (mech == DSM_FAULT_UFFD) {
        /* page 12 present: pages 10 and 11 go in, and the run stops there */
        CU_ASSERT_EQUAL(dsm_fault_install(x->r, 12 * PG, run, PROT_READ), 0);
        CU_ASSERT_EQUAL(dsm_fault_install_run(x->r, 10 * PG, 4, run + PG, PROT_READ), 2);
        CU_ASSERT_EQUAL(at(x, 10)[0], 0x41);
        CU_ASSERT_EQUAL(at(x, 11)[0], 0x42);
        CU_ASSERT_EQUAL(at(x, 12)[0], 0x40);
        CU_ASSERT_EQUAL(x->faults, 1);
    }
    /* past the region's end: nothing */
    CU_ASSERT_EQUAL(dsm_fault_install_run(x->r, 14 * PG, 3, run, PROT_READ), 0);
    /* zeros: writable ones mapped without a copy, written without a
     * fault; read-only ones fault on a write; a zero page write-protected
     * afterwards (a fetch of a claimed page nobody wrote) faults too */
    CU_ASSERT_EQUAL(dsm_fault_install_run(x->r, 0, 2, NULL, PROT_READ | PROT_WRITE), 2);
    CU_ASSERT_EQUAL(at(x, 0)[100], 0);
    CU_ASSERT_EQUAL(at(x, 1)[PG - 1], 0);
    at(x, 0)[5] = 5;
    CU_ASSERT_EQUAL(at(x, 0)[5], 5);
    CU_ASSERT_EQUAL(at(x, 0)[6], 0);
    CU_ASSERT_EQUAL(x->faults, 1);
    int before = x->faults;
    CU_ASSERT_EQUAL(dsm_fault_protect_range(x->r, PG, PG, PROT_READ), 0);
    at(x, 1)[9] = 9; /* still the zero page: the protection holds */
    CU_ASSERT_EQUAL(x->faults, before + 1);
    CU_ASSERT_EQUAL(at(x, 1)[9], 9);
    CU_ASSERT_EQUAL(dsm_fault_install_run(x->r, 6 * PG, 2, NULL, PROT_READ), 2);
    CU_ASSERT_EQUAL(at(x, 7)[1], 0);
    at(x, 7)[1] = 3;
    CU_ASSERT_EQUAL(x->faults, before + 2);
    /* a range write-protected at once: each page's write faults, once */
    before = x->faults;
    int writes = x->writes;
    CU_ASSERT_EQUAL(dsm_fault_protect_range(x->r, 8 * PG, 2 * PG, PROT_READ), 0);
    at(x, 8)[0] = 1;
    at(x, 9)[0] = 2;
    CU_ASSERT_EQUAL(x->faults, before + 2);
    CU_ASSERT_EQUAL(x->writes, writes + 2);
    CU_ASSERT_EQUAL(at(x, 8)[0], 1);
    CU_ASSERT_EQUAL(at(x, 9)[0], 2);
    CU_ASSERT_EQUAL(dsm_fault_protect_range(x->r, 15 * PG, 2 * PG, PROT_READ), -EINVAL);
    unmake(x);
}

/* The guest's atomics are host lock-prefixed instructions on guest
 * memory (LDADD: lock xadd, CAS/STXR: lock cmpxchg, CASP/STXP: lock
 * cmpxchg16b). Each one faulting on an absent or read-only page must be
 * reported as a write (so the DSM brings the page in M, not S and then
 * again), be parked and then complete once, on the new contents. */
static void locked_rmw(enum dsm_fault_mech mech) {
    struct rec *x = make(mech, 8);
    CU_ASSERT_PTR_NOT_NULL_FATAL(x);
    if (!x) return;
    x->policy = FILL;
    /* absent pages */
    uint64_t *p1 = (uint64_t *)at(x, 1), *p2 = (uint64_t *)at(x, 2);
    unsigned __int128 *p3 = (unsigned __int128 *)at(x, 3);
    uint64_t old = __atomic_fetch_add(p1, 1, __ATOMIC_SEQ_CST);
    CU_ASSERT_EQUAL(old, 0x0202020202020202ull);
    CU_ASSERT_EQUAL(*p1, 0x0202020202020203ull);
    uint64_t want = 7; /* fails: memory holds the fill pattern */
    CU_ASSERT_FALSE(
        __atomic_compare_exchange_n(p2, &want, 1, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
    CU_ASSERT_EQUAL(want, 0x0303030303030303ull);
    uint64_t lo = 0x0404040404040404ull, hi = lo;
    bool ok;
    __asm__ __volatile__("lock cmpxchg16b %1"
                         : "=@ccz"(ok), "+m"(*p3), "+a"(lo), "+d"(hi)
                         : "b"(1ull), "c"(2ull)
                         : "memory");
    CU_ASSERT(ok);
    CU_ASSERT_EQUAL(((uint64_t *)p3)[0], 1);
    CU_ASSERT_EQUAL(((uint64_t *)p3)[1], 2);
    CU_ASSERT_EQUAL(x->faults, 3);
    CU_ASSERT_EQUAL(x->writes, 3);
    /* read-only pages: write-protect faults, then the operation completes */
    uint8_t buf[PG];
    memset(buf, 0, PG);
    for (int pg = 4; pg < 7; pg++)
        CU_ASSERT_EQUAL(dsm_fault_install(x->r, (uint64_t)pg * PG, buf, PROT_READ), 0);
    x->policy = UNPROTECT;
    CU_ASSERT_EQUAL(__atomic_fetch_add((uint64_t *)at(x, 4), 5, __ATOMIC_SEQ_CST), 0);
    want = 0;
    CU_ASSERT(__atomic_compare_exchange_n((uint64_t *)at(x, 5), &want, 9, false, __ATOMIC_SEQ_CST,
                                          __ATOMIC_SEQ_CST));
    lo = hi = 0;
    __asm__ __volatile__("lock cmpxchg16b %1"
                         : "=@ccz"(ok), "+m"(*(unsigned __int128 *)at(x, 6)), "+a"(lo), "+d"(hi)
                         : "b"(3ull), "c"(4ull)
                         : "memory");
    CU_ASSERT(ok);
    CU_ASSERT_EQUAL(*(uint64_t *)at(x, 4), 5);
    CU_ASSERT_EQUAL(*(uint64_t *)at(x, 5), 9);
    CU_ASSERT_EQUAL(((uint64_t *)at(x, 6))[1], 4);
    CU_ASSERT_EQUAL(x->faults, 6);
    CU_ASSERT_EQUAL(x->writes, 6);
    unmake(x);
}

/* Lines of /proc/self/maps overlapping [base, base+len). */
static int vmas_in(const void *base, size_t len) {
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f) return -1;
    unsigned long lo, hi, b = (unsigned long)base, e = b + len;
    int n = 0;
    char line[512];
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 && lo < e && hi > b) n++;
    fclose(f);
    return n;
}

static void vma_count(enum dsm_fault_mech mech) {
    enum { N = 512 };
    struct rec *x = make(mech, N);
    CU_ASSERT_PTR_NOT_NULL_FATAL(x);
    if (!x) return;
    uint8_t buf[PG] = {1};
    for (size_t i = 0; i < N; i++)
        CU_ASSERT_EQUAL(dsm_fault_install(x->r, i * PG, buf, PROT_READ | PROT_WRITE), 0);
    for (size_t i = 0; i < N; i += 2)
        CU_ASSERT_EQUAL(dsm_fault_protect(x->r, i * PG, PROT_READ), 0);
    int n = vmas_in(dsm_fault_region_base(x->r), N * PG);
    /* uffd: one VMA whatever the page states; mprotect: one per page,
     * the reason it is only a fallback */
    CU_ASSERT_EQUAL(n, mech == DSM_FAULT_UFFD ? 1 : N);
    unmake(x);
}

/* A writer stores 1, 2, 3... into a page while the page is write-
 * protected and copied: the copy holds exactly the last store that
 * completed, and the next store waits (parked) instead of being lost. */
struct writer {
    struct rec *x;
    _Atomic uint64_t done;
    _Atomic int stop;
};
static void *writer_main(void *p) {
    struct writer *w = p;
    volatile uint64_t *word = (volatile uint64_t *)at(w->x, 0);
    for (uint64_t v = 1; !w->stop; v++) {
        *word = v;
        w->done = v;
    }
    return NULL;
}

static void wp_then_copy(enum dsm_fault_mech mech) {
    struct writer w = {make(mech, 1), 0, 0};
    CU_ASSERT_PTR_NOT_NULL_FATAL(w.x);
    if (!w.x) return;
    uint8_t buf[PG] = {0};
    dsm_fault_install(w.x->r, 0, buf, PROT_READ | PROT_WRITE);
    w.x->policy = PARK;
    pthread_t t;
    pthread_create(&t, NULL, writer_main, &w);
    for (int round = 0; round < 20; round++) {
        uint64_t start = w.done;
        while (w.done < start + 1000)
            sched_yield();
        int parked = w.x->parked;
        CU_ASSERT_EQUAL(dsm_fault_protect(w.x->r, 0, PROT_READ), 0);
        while (w.x->parked == parked)
            sched_yield(); /* the writer hit the protection */
        CU_ASSERT_EQUAL(dsm_fault_copy_out(w.x->r, 0, buf), 0);
        uint64_t copied;
        memcpy(&copied, buf, sizeof copied);
        CU_ASSERT_EQUAL(copied, w.done);
        if (round == 19) w.stop = 1;
        CU_ASSERT_EQUAL(dsm_fault_protect(w.x->r, 0, PROT_READ | PROT_WRITE), 0);
    }
    pthread_join(t, NULL);
    CU_ASSERT_EQUAL(w.x->parked, 20);
    unmake(w.x);
}

/* --- two nodes and a directory in one process ------------------------- */

enum { NODES = 2, PAGES = 4 };
struct tnode {
    struct dsm_fault_pages fp; /* first: it is the page ops' opaque */
    struct dsm_pages ps;
    struct dsm_page_ops ops;
    struct cluster *c;
    dsm_node_t id;
};
struct cluster {
    pthread_mutex_t lock;
    struct directory dir;
    struct dir_actions acts;
    uint8_t home[PAGES][PG];
    struct tnode node[NODES];
    _Atomic int errors;
};

/* Delivers the directory's actions in order, feeding answers back. */
static void deliver(struct cluster *c) {
    uint8_t buf[PG];
    for (size_t i = 0; i < c->acts.n; i++) {
        struct dir_action a = c->acts.v[i];
        struct dsm_pages *ps = &c->node[a.node].ps;
        int r = 0;
        switch (a.kind) {
        case DIR_ACT_SEND: r = dsm_pages_on_data(ps, a.page, a.state, c->home[a.page]); break;
        case DIR_ACT_GRANT: r = dsm_pages_on_grant(ps, a.page, a.state); break;
        case DIR_ACT_INVALIDATE:
            if (!(r = dsm_pages_on_invalidate(ps, a.page)))
                r = dir_inv_ack(&c->dir, a.page, a.node, &c->acts);
            break;
        case DIR_ACT_FETCH:
            if (!(r = dsm_pages_on_fetch(ps, a.page, a.state, buf))) {
                memcpy(c->home[a.page], buf, PG);
                r = dir_writeback(&c->dir, a.page, a.node, &c->acts);
            }
            break;
        default: r = -EPROTO;
        }
        if (r) c->errors++;
    }
    c->acts.n = 0;
}

static int t_send(void *opaque, uint64_t page, enum dsm_req kind, uint64_t layout) {
    (void)layout;
    struct tnode *n = opaque;
    struct cluster *c = n->c;
    pthread_mutex_lock(&c->lock);
    int r = dir_request(&c->dir, page, n->id, kind, &c->acts);
    if (r) c->errors++;
    deliver(c);
    pthread_mutex_unlock(&c->lock);
    return 0;
}

static void t_fault(void *opaque, uint64_t off, bool write) {
    struct tnode *n = opaque;
    int r = dsm_pages_fault(&n->ps, off / PG, write);
    if (r < 0) n->c->errors++;
}

static struct cluster *cluster_new(enum dsm_fault_mech mech) {
    struct cluster *c = calloc(1, sizeof *c);
    pthread_mutex_init(&c->lock, NULL);
    dir_init(&c->dir);
    for (dsm_node_t i = 0; i < NODES; i++) {
        struct tnode *n = &c->node[i];
        n->c = c;
        n->id = i;
        n->ops = (struct dsm_page_ops){dsm_fault_pages_install,     dsm_fault_pages_protect,
                                       dsm_fault_pages_copy_out,    dsm_fault_pages_drop,
                                       dsm_fault_pages_wake,        t_send,
                                       dsm_fault_pages_install_run, NULL,
                                       dsm_fault_pages_protect_run};
        dsm_pages_init(&n->ps, &n->ops, n);
        if (dsm_fault_region_create(mech, NULL, PAGES * PG, t_fault, n, &n->fp.region)) return NULL;
    }
    return c;
}

static void cluster_free(struct cluster *c) {
    for (int i = 0; i < NODES; i++) {
        dsm_fault_region_destroy(c->node[i].fp.region);
        dsm_pages_fini(&c->node[i].ps);
    }
    dir_fini(&c->dir);
    dir_actions_fini(&c->acts);
    free(c);
}

struct worker {
    struct cluster *c;
    int node, iters;
    uint64_t backwards;
};
enum { ITERS = 2000 };

/* Free-running increments on page 1, then strict alternation on page 0:
 * node k adds one only when the counter's parity is k, so every step
 * moves the page (read miss, upgrade or fetch, invalidation). */
static void *incr_main(void *p) {
    struct worker *w = p;
    uint8_t *base = dsm_fault_region_base(w->c->node[w->node].fp.region);
    _Atomic uint64_t *free_ctr = (_Atomic uint64_t *)(base + PG);
    for (int i = 0; i < w->iters; i++)
        atomic_fetch_add(free_ctr, 1);
    _Atomic uint64_t *turn = (_Atomic uint64_t *)base;
    for (int i = 0; i < w->iters; i++) {
        while (atomic_load(turn) % NODES != (uint64_t)w->node)
            sched_yield();
        atomic_fetch_add(turn, 1);
    }
    return NULL;
}

static void *reader_main(void *p) {
    struct worker *w = p;
    volatile uint64_t *ctr = dsm_fault_region_base(w->c->node[w->node].fp.region);
    uint64_t last = 0;
    for (int i = 0; i < w->iters; i++) {
        uint64_t v = ctr[0];
        if (v < last) w->backwards++; /* a node must never see time go back */
        last = v;
        if (v >= 2 * ITERS) break;
    }
    return NULL;
}

static void cluster_increments(enum dsm_fault_mech mech) {
    struct cluster *c = cluster_new(mech);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    if (!c) return;
    struct worker w[3] = {{c, 0, ITERS, 0}, {c, 1, ITERS, 0}, {c, 1, 50 * ITERS, 0}};
    pthread_t t[3];
    pthread_create(&t[0], NULL, incr_main, &w[0]);
    pthread_create(&t[1], NULL, incr_main, &w[1]);
    pthread_create(&t[2], NULL, reader_main, &w[2]);
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    /* node 0 reads the final values through the protocol */
    volatile uint64_t *ctr = dsm_fault_region_base(c->node[0].fp.region);
    CU_ASSERT_EQUAL(ctr[0], 2 * ITERS);
    CU_ASSERT_EQUAL(ctr[PG / sizeof *ctr], 2 * ITERS);
    CU_ASSERT_EQUAL(w[2].backwards, 0);
    CU_ASSERT_EQUAL(c->errors, 0);
    /* the page really moved between the nodes (the directory is written by
     * handler threads under its lock) */
    pthread_mutex_lock(&c->lock);
    struct dir_stats st = c->dir.total;
    pthread_mutex_unlock(&c->lock);
    CU_ASSERT(st.fetches + st.invalidations >= 2 * ITERS - 1);
    printf(" [%s: %lu fetches, %lu invalidations, %lu upgrades]",
           mech == DSM_FAULT_UFFD ? "uffd" : "mprotect", (unsigned long)st.fetches,
           (unsigned long)st.invalidations, (unsigned long)st.upgrades);
    cluster_free(c);
}

/* The process's SIGSEGV handler, as dbt/exec.c's: safe_copy first. */
static void segv_to_safe_copy(int sig, siginfo_t *si, void *uc) {
    (void)sig;
    (void)si;
    safe_copy_on_fault(uc);
    abort(); /* a fault outside safe_copy: a bug in this test */
}

/* A page the node holds, then made PROT_NONE by the guest (a gap between
 * a shared library's segments): the directory may still fetch it
 * (forwarding, fork, unsplit), and the bytes come out whole. */
static void test_uffd_copy_out_prot_none(void) {
    struct rec *x = make(DSM_FAULT_UFFD, 4);
    CU_ASSERT_PTR_NOT_NULL_FATAL(x);
    if (!x) return;
    struct sigaction sa = {.sa_sigaction = segv_to_safe_copy, .sa_flags = SA_SIGINFO | SA_NODEFER},
                     old;
    sigaction(SIGSEGV, &sa, &old);
    uint8_t buf[PG];
    memset(buf, 0x3c, PG);
    CU_ASSERT_EQUAL(dsm_fault_install(x->r, 2 * PG, buf, PROT_READ | PROT_WRITE), 0);
    at(x, 2)[10] = 0x77;
    CU_ASSERT_EQUAL_FATAL(mprotect((void *)at(x, 2), PG, PROT_NONE), 0);
    memset(buf, 0, PG);
    CU_ASSERT_EQUAL(dsm_fault_copy_out(x->r, 2 * PG, buf), 0);
    CU_ASSERT_EQUAL(buf[10], 0x77);
    CU_ASSERT_EQUAL(buf[11], 0x3c);
    CU_ASSERT_EQUAL(buf[PG - 1], 0x3c);
    /* and safe_copy itself reports the fault */
    CU_ASSERT_EQUAL(safe_copy(buf, (const void *)at(x, 2), 16), -EFAULT);
    CU_ASSERT_EQUAL(mprotect((void *)at(x, 2), PG, PROT_READ | PROT_WRITE), 0);
    CU_ASSERT_EQUAL(safe_copy(buf, (const void *)at(x, 2), 16), 0);
    CU_ASSERT_EQUAL(buf[10], 0x77);
    sigaction(SIGSEGV, &old, NULL);
    unmake(x);
}

static void test_uffd_missing_wp(void) {
    missing_and_wp(DSM_FAULT_UFFD);
}
static void test_uffd_install_run(void) {
    install_run(DSM_FAULT_UFFD);
}
static void test_mp_install_run(void) {
    install_run(DSM_FAULT_MPROTECT);
}
static void test_uffd_vmas(void) {
    vma_count(DSM_FAULT_UFFD);
}
static void test_uffd_wp_copy(void) {
    wp_then_copy(DSM_FAULT_UFFD);
}
static void test_uffd_cluster(void) {
    cluster_increments(DSM_FAULT_UFFD);
}
static void test_uffd_locked(void) {
    locked_rmw(DSM_FAULT_UFFD);
}
static void test_mp_locked(void) {
    locked_rmw(DSM_FAULT_MPROTECT);
}
static void test_mp_missing_wp(void) {
    missing_and_wp(DSM_FAULT_MPROTECT);
}
static void test_mp_vmas(void) {
    vma_count(DSM_FAULT_MPROTECT);
}
/* A polled region: no handler thread; this thread watches the fd and
 * dispatches, and the callback (FILL) runs here while a reader thread is
 * parked on the fault. */
static void *read_page5(void *arg) {
    struct rec *x = arg;
    return (void *)(uintptr_t)at(x, 5)[7];
}

static void test_uffd_polled(void) {
    struct rec *x = calloc(1, sizeof *x);
    CU_ASSERT_PTR_NOT_NULL_FATAL(x);
    size_t size = 8 * PG;
    void *mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CU_ASSERT_FATAL(mem != MAP_FAILED);
    CU_ASSERT_EQUAL_FATAL(dsm_fault_region_adopt_polled(mem, size, on_fault, x, &x->r), 0);
    int fd = dsm_fault_region_fd(x->r);
    CU_ASSERT(fd >= 0);
    x->policy = FILL;
    pthread_t t;
    pthread_create(&t, NULL, read_page5, x);
    /* the reader stays parked until this thread reads its fault */
    struct pollfd pfd = {fd, POLLIN, 0};
    while (poll(&pfd, 1, -1) < 0)
        ;
    CU_ASSERT_EQUAL(x->faults, 0); /* nobody else read it */
    CU_ASSERT_EQUAL(dsm_fault_region_dispatch(x->r), 0);
    CU_ASSERT_EQUAL(x->faults, 1);
    CU_ASSERT_EQUAL(x->last_off, 5 * PG);
    void *got;
    pthread_join(t, &got);
    CU_ASSERT_EQUAL((uintptr_t)got, 6);                  /* page 5 filled with 6 */
    CU_ASSERT_EQUAL(dsm_fault_region_dispatch(x->r), 0); /* nothing queued: returns */
    CU_ASSERT_EQUAL(x->faults, 1);
    dsm_fault_region_destroy(x->r);
    munmap(mem, size);
    free(x);
    /* a region with a handler thread has no fd to poll */
    struct rec *y = make(DSM_FAULT_UFFD, 2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(y);
    CU_ASSERT_EQUAL(dsm_fault_region_fd(y->r), -1);
    CU_ASSERT_EQUAL(dsm_fault_region_dispatch(y->r), -EINVAL);
    unmake(y);
}

/* A fabricated fault at page `page` of x's region, as the signal handler
 * sees one: whether the DSM takes it (it must not park here: only call
 * this for faults the guest's protection explains or the DSM already
 * served). */
static bool mp_fault_is_dsm(struct rec *x, size_t page, bool write) {
    siginfo_t si = {0};
    ucontext_t uc = {0};
    si.si_addr = (void *)(at(x, page) + 8);
    uc.uc_mcontext.gregs[REG_ERR] = write ? 2 : 0;
    return dsm_fault_mprotect_on_signal(&si, &uc);
}

struct toucher {
    struct rec *x;
    size_t page;
    _Atomic pid_t tid;
};

static void *touch(void *arg) {
    struct toucher *t = arg;
    t->tid = gettid();
    return (void *)(uintptr_t)at(t->x, t->page)[0];
}

/* A fault record that went stale before the handler thread read it (the
 * page was installed meanwhile and its thread woken) is not served: the
 * page may belong to something else by then. Pages 10-12 of an adopted
 * region, read-only for the guest. */
static void stale_fault_record(struct rec *x) {
    CU_ASSERT_EQUAL_FATAL(dsm_fault_guest_protect(x->r, 10 * PG, 3 * PG, PROT_READ), 0);
    int before = x->faults;
    x->release = false;
    x->policy = HOLD;
    struct toucher a = {x, 10, 0}, b = {x, 11, 0};
    pthread_t ta, tb;
    CU_ASSERT_EQUAL_FATAL(pthread_create(&ta, NULL, touch, &a), 0);
    while (x->faults == before) /* the handler thread holds page 10's fault */
        sched_yield();
    CU_ASSERT_EQUAL_FATAL(pthread_create(&tb, NULL, touch, &b), 0);
    while (!b.tid || proc_state(b.tid) != 'S') /* parked: its record is queued behind */
        sched_yield();
    uint8_t buf[PG];
    memset(buf, 0x77, PG);
    CU_ASSERT_EQUAL(dsm_fault_install(x->r, 11 * PG, buf, PROT_READ), 0);
    void *got;
    pthread_join(tb, &got);
    CU_ASSERT_EQUAL((uintptr_t)got, 0x77);
    x->release = true;
    pthread_join(ta, &got);
    CU_ASSERT_EQUAL((uintptr_t)got, 11); /* FILL: page 10 holds 11 */
    /* a fault behind the stale record: once served, that record was read */
    x->policy = FILL;
    CU_ASSERT_EQUAL(at(x, 12)[0], 13);
    CU_ASSERT_EQUAL(x->faults, before + 2); /* pages 10 and 12, not 11 */
    CU_ASSERT_EQUAL(at(x, 11)[0], 0x77);
}

/* The mprotect fallback over the embedder's own private memory (a guest
 * space): every page starts absent, the host protection is the guest's
 * and the DSM's intersection whichever changes, and a fault the guest's
 * protection explains is left to the embedder (a guest SIGSEGV). */
static void test_mp_adopted(void) {
    struct rec *x = calloc(1, sizeof *x);
    CU_ASSERT_PTR_NOT_NULL_FATAL(x);
    size_t size = 16 * PG;
    uint8_t *mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CU_ASSERT_FATAL(mem != MAP_FAILED);
    memset(mem, 0xee, PG); /* present before: stays until marked present */
    CU_ASSERT_EQUAL_FATAL(dsm_fault_region_adopt(DSM_FAULT_MPROTECT, mem, size, on_fault, x, &x->r),
                          0);
    /* no guest protection yet: any access is the guest's own fault */
    CU_ASSERT_FALSE(mp_fault_is_dsm(x, 3, false));
    CU_ASSERT_EQUAL(dsm_fault_guest_protect(x->r, 0, 8 * PG, PROT_READ | PROT_WRITE), 0);
    CU_ASSERT_EQUAL(dsm_fault_guest_protect(x->r, 8 * PG, 4 * PG, PROT_READ), 0);
    CU_ASSERT_EQUAL(dsm_fault_guest_protect(x->r, 3, PG, PROT_READ), -EINVAL);
    /* the page written before the adoption is the DSM's to mark present */
    CU_ASSERT_EQUAL(dsm_fault_protect(x->r, 0, PROT_READ | PROT_WRITE), 0);
    CU_ASSERT_EQUAL(at(x, 0)[100], 0xee);
    at(x, 0)[100] = 0x42;
    CU_ASSERT_EQUAL(x->faults, 0);
    /* a read miss, filled read-only; then a write-protect fault */
    x->policy = FILL;
    CU_ASSERT_EQUAL(at(x, 3)[5], 4);
    CU_ASSERT_EQUAL(x->faults, 1);
    CU_ASSERT_EQUAL(x->writes, 0);
    CU_ASSERT_TRUE(mp_fault_is_dsm(x, 3, false)); /* served: a retry */
    x->policy = UNPROTECT;
    at(x, 3)[5] = 9;
    CU_ASSERT_EQUAL(x->faults, 2);
    CU_ASSERT_EQUAL(x->writes, 1);
    /* the guest's protection changes never open what the DSM holds:
     * page 4 absent stays a miss, page 3 read-only under the guest */
    CU_ASSERT_EQUAL(dsm_fault_guest_protect(x->r, 0, 8 * PG, PROT_READ | PROT_WRITE), 0);
    x->policy = FILL;
    CU_ASSERT_EQUAL(at(x, 4)[0], 5);
    CU_ASSERT_EQUAL(x->faults, 3);
    CU_ASSERT_EQUAL(dsm_fault_guest_protect(x->r, 3 * PG, PG, PROT_READ), 0);
    CU_ASSERT_EQUAL(at(x, 3)[5], 9); /* still present: no fault */
    CU_ASSERT_EQUAL(x->faults, 3);
    CU_ASSERT_FALSE(mp_fault_is_dsm(x, 3, true)); /* a write: the guest's SIGSEGV */
    /* a page read-only for the guest and in S: a write is the guest's
     * fault, not an upgrade */
    CU_ASSERT_EQUAL(at(x, 9)[0], 10);
    CU_ASSERT_EQUAL(x->faults, 4);
    CU_ASSERT_FALSE(mp_fault_is_dsm(x, 9, true));
    /* made PROT_NONE by the guest, the page still copies out whole */
    CU_ASSERT_EQUAL(dsm_fault_guest_protect(x->r, 3 * PG, PG, 0), 0);
    uint8_t buf[PG];
    CU_ASSERT_EQUAL(dsm_fault_copy_out(x->r, 3 * PG, buf), 0);
    CU_ASSERT_EQUAL(buf[5], 9);
    CU_ASSERT_EQUAL(buf[6], 4);
    CU_ASSERT_FALSE(mp_fault_is_dsm(x, 3, false));
    CU_ASSERT_EQUAL(dsm_fault_guest_protect(x->r, 3 * PG, PG, PROT_READ | PROT_WRITE), 0);
    CU_ASSERT_EQUAL(at(x, 3)[6], 4);
    /* install from outside the handler, through the page's PROT_NONE */
    memset(buf, 0x5a, PG);
    CU_ASSERT_EQUAL(dsm_fault_install(x->r, 6 * PG, buf, PROT_READ | PROT_WRITE), 0);
    at(x, 6)[1] = 0x11;
    CU_ASSERT_EQUAL(at(x, 6)[0], 0x5a);
    CU_ASSERT_EQUAL(x->faults, 4);
    /* dropped: absent again, and its memory given back (zeros inside) */
    CU_ASSERT_EQUAL(dsm_fault_drop(x->r, 6 * PG), 0);
    CU_ASSERT_EQUAL(dsm_fault_copy_out(x->r, 6 * PG, buf), 0);
    CU_ASSERT_EQUAL(buf[1], 0);
    CU_ASSERT_EQUAL(at(x, 6)[1], 7);
    CU_ASSERT_EQUAL(x->faults, 5);
    /* mapped anew: every page of the range absent, the guest's
     * protection kept */
    CU_ASSERT_EQUAL(dsm_fault_rearm(x->r, 0, 8 * PG), 0);
    CU_ASSERT_EQUAL(at(x, 0)[100], 1);
    CU_ASSERT_EQUAL(x->faults, 6);
    CU_ASSERT_FALSE(mp_fault_is_dsm(x, 12, false)); /* never given a protection */
    /* a present page is never overwritten by an install (as UFFDIO_COPY) */
    memset(buf, 0x33, PG);
    CU_ASSERT_EQUAL(dsm_fault_install(x->r, 3 * PG, buf, PROT_READ), 0);
    memset(buf, 0x44, PG);
    CU_ASSERT_EQUAL(dsm_fault_install(x->r, 3 * PG, buf, PROT_READ), -EEXIST);
    CU_ASSERT_EQUAL(at(x, 3)[0], 0x33);
    stale_fault_record(x);
    dsm_fault_region_destroy(x->r);
    munmap(mem, size);
    free(x);
}

/* A guest mremap leaves a hole where the mapping was until it reserves
 * the range again (syscall/guest_mem_mremap.c, host_move), and a node's network
 * thread may apply a directory message for a page there meanwhile: the
 * page is absent, not an error that ends the run. Page 5 of an adopted
 * region is unmapped; its neighbours work on. */
static void hole_is_absent(enum dsm_fault_mech mech) {
    struct rec *x = calloc(1, sizeof *x);
    CU_ASSERT_PTR_NOT_NULL_FATAL(x);
    size_t size = 8 * PG;
    uint8_t *mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CU_ASSERT_FATAL(mem != MAP_FAILED);
    CU_ASSERT_EQUAL_FATAL(dsm_fault_region_adopt(mech, mem, size, on_fault, x, &x->r), 0);
    if (mech == DSM_FAULT_MPROTECT)
        CU_ASSERT_EQUAL(dsm_fault_guest_protect(x->r, 0, size, PROT_READ | PROT_WRITE), 0);
    uint8_t buf[PG];
    memset(buf, 0x21, PG);
    CU_ASSERT_EQUAL(dsm_fault_install(x->r, 4 * PG, buf, PROT_READ | PROT_WRITE), 0);
    CU_ASSERT_EQUAL(dsm_fault_install(x->r, 6 * PG, buf, PROT_READ | PROT_WRITE), 0);
    CU_ASSERT_EQUAL_FATAL(munmap(mem + 5 * PG, PG), 0);
    CU_ASSERT_EQUAL(dsm_fault_install(x->r, 5 * PG, buf, PROT_READ), -ENOENT);
    CU_ASSERT_EQUAL(dsm_fault_protect(x->r, 5 * PG, PROT_READ), -ENOENT);
    CU_ASSERT_EQUAL(dsm_fault_drop(x->r, 5 * PG), 0);
    memset(buf, 0x99, PG);
    /* userfaultfd's copy tries the page first (safe_copy) */
    struct sigaction sa = {.sa_sigaction = segv_to_safe_copy, .sa_flags = SA_SIGINFO | SA_NODEFER},
                     old;
    if (mech == DSM_FAULT_UFFD) sigaction(SIGSEGV, &sa, &old);
    CU_ASSERT_EQUAL(dsm_fault_copy_out(x->r, 5 * PG, buf), 0);
    if (mech == DSM_FAULT_UFFD) sigaction(SIGSEGV, &old, NULL);
    CU_ASSERT_EQUAL(buf[0], 0);
    CU_ASSERT_EQUAL(buf[PG - 1], 0);
    /* the neighbours: write-protected, still readable, dropped */
    CU_ASSERT_EQUAL(dsm_fault_protect(x->r, 6 * PG, PROT_READ), 0);
    CU_ASSERT_EQUAL(at(x, 6)[7], 0x21);
    CU_ASSERT_EQUAL(dsm_fault_drop(x->r, 4 * PG), 0);
    CU_ASSERT_EQUAL(x->faults, 0);
    /* reserved again, as the move does: installed as any absent page */
    CU_ASSERT_FATAL(mmap(mem + 5 * PG, PG, PROT_NONE, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1,
                         0) == mem + 5 * PG);
    if (mech == DSM_FAULT_MPROTECT)
        CU_ASSERT_EQUAL(dsm_fault_install(x->r, 5 * PG, buf, PROT_READ), 0);
    dsm_fault_region_destroy(x->r);
    munmap(mem, size);
    free(x);
}
static void test_uffd_hole(void) {
    hole_is_absent(DSM_FAULT_UFFD);
}
static void test_mp_hole(void) {
    hole_is_absent(DSM_FAULT_MPROTECT);
}

static void test_mp_wp_copy(void) {
    wp_then_copy(DSM_FAULT_MPROTECT);
}
static void test_mp_cluster(void) {
    cluster_increments(DSM_FAULT_MPROTECT);
}

void test_register(void) {
    char why[160] = "";
    int avail = dsm_uffd_probe(why, sizeof why) == 0;
    if (getenv("SHOAL_TEST_NO_UFFD")) { /* exercises the skip path */
        avail = 0;
        snprintf(why, sizeof why, "SHOAL_TEST_NO_UFFD is set");
    }
    CU_pSuite s = CU_add_suite("dsm_fault_uffd", NULL, NULL);
    CU_pTest t[] = {
        CU_add_test(s, "uffd: missing fault + UFFDIO_COPY, write-protect fault, drop",
                    test_uffd_missing_wp),
        CU_add_test(s, "uffd: one VMA for alternating page states", test_uffd_vmas),
        CU_add_test(s, "uffd: a run of pages in one UFFDIO_COPY", test_uffd_install_run),
        CU_add_test(s, "uffd: write-protect then copy under a writer", test_uffd_wp_copy),
        CU_add_test(s, "uffd: two nodes, atomic increments on one page", test_uffd_cluster),
        CU_add_test(s, "uffd: locked RMW and cmpxchg16b fault as writes", test_uffd_locked),
        CU_add_test(s, "uffd: polled by the embedder, no handler thread", test_uffd_polled),
        CU_add_test(s, "uffd: a page made PROT_NONE copies out whole",
                    test_uffd_copy_out_prot_none),
        CU_add_test(s, "uffd: a page in a hole (a move's) is absent", test_uffd_hole),
    };
    if (!avail) {
        /* reported as inactive (skipped) in the run summary, not passed */
        printf("SKIPPED: userfaultfd unavailable here: %s\n", why);
        CU_set_fail_on_inactive(CU_FALSE);
        for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
            CU_set_test_active(t[i], CU_FALSE);
    }
    CU_pSuite m = CU_add_suite("dsm_fault_mprotect", NULL, NULL);
    CU_add_test(m, "mprotect: missing fault + fill, write-protect fault, drop", test_mp_missing_wp);
    CU_add_test(m, "mprotect: a VMA per page for alternating states", test_mp_vmas);
    CU_add_test(m, "mprotect: a run of pages, page by page", test_mp_install_run);
    CU_add_test(m, "mprotect: write-protect then copy under a writer", test_mp_wp_copy);
    CU_add_test(m, "mprotect: two nodes, atomic increments on one page", test_mp_cluster);
    CU_add_test(m, "mprotect: locked RMW and cmpxchg16b fault as writes", test_mp_locked);
    CU_add_test(m, "mprotect: adopted memory, guest and DSM protections apart", test_mp_adopted);
    CU_add_test(m, "mprotect: a page in a hole (a move's) is absent", test_mp_hole);
}
