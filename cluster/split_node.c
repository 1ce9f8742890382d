/* Page splitting on one node (split_node.h): the lock-free table of split
 * pages, the DBT's redirect hooks, the emulator's way back (unsplit), and
 * the host steps of a split and an unsplit. */
#define _GNU_SOURCE
#include "cluster/split_node.h"

#include <errno.h>
#include <linux/futex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <fcntl.h>
#include <unistd.h>

#include "cluster/dsm_node.h"
#include "common/detached_thread.h"
#include "common/log.h"
#include "dbt/redirect.h"

/* The node whose table the host-fault hook reads (a signal handler gets
 * no context; one guest process per host process). */
static struct split_node *_Atomic g_split;

static unsigned hash(uint64_t page) {
    return (unsigned)((page * 0x9e3779b97f4a7c15ull) >> 32);
}

static struct split_tab *tab(struct split_node *sn) {
    return atomic_load_explicit(&sn->tab, memory_order_acquire);
}

/* Lock-free: the entry of page in t, or -1. Async-signal-safe. */
static int find(const struct split_tab *t, uint64_t page) {
    unsigned mask = t->cap - 1;
    for (unsigned i = hash(page) & mask, n = 0; n < t->cap; i = (i + 1) & mask, n++) {
        uint64_t k = atomic_load_explicit(&t->key[i], memory_order_acquire);
        if (k == page + 1) return (int)i;
        if (!k) return -1;
    }
    return -1;
}

/* Lock-free: page's state here (ORDINARY when never split). Async-signal-safe. */
static enum split_state state_of(struct split_node *sn, uint64_t page) {
    const struct split_tab *t = tab(sn);
    int i = find(t, page);
    return i < 0 ? SPLIT_ORDINARY
                 : (enum split_state)atomic_load_explicit(&t->state[i], memory_order_acquire);
}

static struct split_tab *tab_new(unsigned cap) {
    struct split_tab *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->cap = cap;
    t->key = calloc(cap, sizeof *t->key);
    t->shadow = calloc(cap, sizeof *t->shadow);
    t->state = calloc(cap, sizeof *t->state);
    if (t->key && t->shadow && t->state) return t;
    free(t->key);
    free(t->shadow);
    free(t->state);
    free(t);
    return NULL;
}

/* sn->lock held: a table twice as large replaces the current one, which
 * is kept (a lock-free reader may still be in it). */
static bool grow(struct split_node *sn) {
    struct split_tab *old = tab(sn), *t = tab_new(old->cap * 2);
    if (!t) return false;
    unsigned mask = t->cap - 1;
    for (unsigned i = 0; i < old->cap; i++) {
        uint64_t k = atomic_load_explicit(&old->key[i], memory_order_relaxed);
        if (!k) continue;
        unsigned j = hash(k - 1) & mask;
        while (atomic_load_explicit(&t->key[j], memory_order_relaxed))
            j = (j + 1) & mask;
        atomic_store_explicit(&t->shadow[j], atomic_load(&old->shadow[i]), memory_order_relaxed);
        atomic_store_explicit(&t->state[j], atomic_load(&old->state[i]), memory_order_relaxed);
        atomic_store_explicit(&t->key[j], k, memory_order_relaxed);
    }
    t->older = old;
    atomic_store_explicit(&sn->tab, t, memory_order_release);
    return true;
}

/* sn->lock held: the entry of page, made if needed (state ORDINARY), in
 * the table *tp (the current one, after a growth); -1: out of memory. */
static int find_or_add(struct split_node *sn, uint64_t page, struct split_tab **tp) {
    int i = find(tab(sn), page);
    if (i < 0 && (sn->used + 1) * 2 > tab(sn)->cap && !grow(sn)) return -1;
    struct split_tab *t = *tp = tab(sn);
    if (i >= 0) return i;
    unsigned mask = t->cap - 1, j = hash(page) & mask;
    while (atomic_load_explicit(&t->key[j], memory_order_relaxed))
        j = (j + 1) & mask;
    atomic_store_explicit(&t->key[j], page + 1, memory_order_release);
    sn->used++;
    return (int)j;
}

static bool in_area(const struct split_node *sn, uint64_t addr) {
    return addr >= sn->lo && addr < atomic_load_explicit(&sn->hi, memory_order_acquire);
}

/* sn->lock held: is shadow page s in a slot a split page uses now? */
static bool slot_live(struct split_node *sn, uint64_t s) {
    unsigned g = atomic_load(&sn->grain);
    if (!g) return false;
    uint64_t lo = sn->lo / DSM_PAGE_SIZE, per = split_slot_pages(g);
    return u64map_get(&sn->live, lo + (s - lo) / per * per) != NULL;
}

static void wait_ordinary(struct split_node *sn, uint64_t page) {
    pthread_mutex_lock(&sn->lock);
    while (state_of(sn, page) != SPLIT_ORDINARY)
        pthread_cond_wait(&sn->cond, &sn->lock);
    pthread_mutex_unlock(&sn->lock);
}

/* An access that cannot be redirected needs page whole: ask, then wait. */
static void unsplit_wait(struct split_node *sn, uint64_t page) {
    if (state_of(sn, page) == SPLIT_ON) {
        atomic_fetch_add(&sn->stats.releases, 1);
        sn->release(sn->ctx, page);
    }
    wait_ordinary(sn, page);
}

/* ---- the DBT's hooks (dbt/redirect.h) ---- */

static bool covers(void *opaque, uint64_t addr) {
    struct split_node *sn = opaque;
    return in_area(sn, addr) || find(tab(sn), addr / DSM_PAGE_SIZE) >= 0;
}

#define SPLIT_COUNT_BATCH 64
static __thread unsigned redirected_here;

static uint64_t map(void *opaque, uint64_t addr, unsigned size, bool write) {
    (void)write;
    struct split_node *sn = opaque;
    const struct split_tab *t = tab(sn);
    int i = find(t, addr / DSM_PAGE_SIZE);
    if (i < 0 || atomic_load_explicit(&t->state[i], memory_order_acquire) != SPLIT_ON) return addr;
    unsigned g = atomic_load_explicit(&sn->grain, memory_order_relaxed);
    uint64_t off = addr % DSM_PAGE_SIZE;
    /* straddling a grain (or the page): not redirected, it faults and
     * `release` unsplits */
    if (!size || off / g != (off + size - 1) / g) return addr;
    /* counted per thread, added in batches: one shared counter written on
     * every access would bounce between the cores */
    if (++redirected_here == SPLIT_COUNT_BATCH) {
        atomic_fetch_add_explicit(&sn->stats.redirected, SPLIT_COUNT_BATCH, memory_order_relaxed);
        redirected_here = 0;
    }
    return (atomic_load_explicit(&t->shadow[i], memory_order_relaxed) + off / g) * DSM_PAGE_SIZE +
           off;
}

/* The pages split now, for inline redirection (dbt/redirect.h); false
 * when there are more than it takes. Lock-free: a page that changes state
 * meanwhile is caught by the generation (read first) at the next fault. */
static bool snapshot(void *opaque, struct dbt_redirect_inline *out) {
    struct split_node *sn = opaque;
    out->gen = atomic_load_explicit(&sn->gen, memory_order_acquire);
    out->n = 0;
    out->grain_shift = (unsigned)__builtin_ctz(atomic_load(&sn->grain) | DSM_PAGE_SIZE);
    const struct split_tab *t = tab(sn);
    for (unsigned i = 0; i < t->cap; i++) {
        uint64_t k = atomic_load_explicit(&t->key[i], memory_order_acquire);
        if (!k || atomic_load_explicit(&t->state[i], memory_order_acquire) != SPLIT_ON) continue;
        if (out->n == REDIRECT_INLINE_MAX) return false;
        out->page[out->n] = k - 1;
        out->shadow[out->n++] = atomic_load_explicit(&t->shadow[i], memory_order_relaxed);
    }
    return true;
}

/* The page a marked instruction keeps faulting on when it became ordinary
 * meanwhile: retried once, then the fault is the guest's. */
static __thread uint64_t retried_page = UINT64_MAX;

static bool release(void *opaque, uint64_t addr) {
    struct split_node *sn = opaque;
    /* a shadow page of a page unsplit meanwhile: the instruction maps to
     * the page itself now */
    if (in_area(sn, addr)) return true;
    uint64_t page = addr / DSM_PAGE_SIZE;
    if (find(tab(sn), page) < 0) return false;
    if (state_of(sn, page) == SPLIT_ORDINARY) {
        bool again = retried_page != page;
        retried_page = page;
        return again;
    }
    retried_page = UINT64_MAX;
    unsplit_wait(sn, page);
    return true;
}

/* ---- the emulator's accesses ---- */

/* The pins this thread holds in sn->pins (split_pins.h). */
static __thread struct split_pin_list my_pins;

static void syscall_end_hook(void *opaque) {
    struct split_node *sn = opaque;
    if (!my_pins.n) return;
    pthread_mutex_lock(&sn->lock);
    split_pins_drop(&sn->pins, &my_pins);
    pthread_mutex_unlock(&sn->lock);
}

/* The first page of [first, last] that is not ordinary: false when none. */
static bool first_split(struct split_node *sn, uint64_t first, uint64_t last, uint64_t *page) {
    if (last - first < 64) {
        for (uint64_t p = first; p <= last; p++)
            if (state_of(sn, p) != SPLIT_ORDINARY) {
                *page = p;
                return true;
            }
        return false;
    }
    const struct split_tab *t = tab(sn);
    for (unsigned i = 0; i < t->cap; i++) {
        uint64_t k = atomic_load_explicit(&t->key[i], memory_order_acquire);
        if (k && k - 1 >= first && k - 1 <= last && atomic_load(&t->state[i]) != SPLIT_ORDINARY) {
            *page = k - 1;
            return true;
        }
    }
    return false;
}

/* guest_space's unsplit hook: every split page of [addr, addr + len) is
 * made whole before a syscall, the futex service or a signal frame
 * touches it; a range for the kernel is pinned (the master's node),
 * atomically with the check, so a split cannot slip in between. */
static void gs_unsplit_hook(void *opaque, uint64_t addr, uint64_t len, bool pin) {
    struct split_node *sn = opaque;
    if (!len) return;
    uint64_t first = addr / DSM_PAGE_SIZE, last = (addr + len - 1) / DSM_PAGE_SIZE;
    if (last < first) last = UINT64_MAX / DSM_PAGE_SIZE;
    for (;;) {
        uint64_t p;
        while (first_split(sn, first, last, &p)) {
            atomic_fetch_add(&sn->stats.emulator_waits, 1);
            unsplit_wait(sn, p);
        }
        if (!pin || !sn->pinning) return;
        pthread_mutex_lock(&sn->lock);
        bool clear = !first_split(sn, first, last, &p);
        if (clear) split_pins_add(&sn->pins, &my_pins, first, last);
        pthread_mutex_unlock(&sn->lock);
        if (clear) return;
    }
}

static void futex_wait(_Atomic uint32_t *w, uint32_t v) {
    syscall(SYS_futex, w, FUTEX_WAIT_PRIVATE, v, NULL, NULL, 0);
}

/* In the SIGSEGV handler, for a host fault outside guest code on a sealed
 * page: an emulator access that raced with a split (its check saw the
 * page whole). Async-signal-safe: the page goes down a pipe to a thread
 * that asks for the unsplit; this thread sleeps on the epoch until the
 * page is whole, then the access is retried. */
static __thread uint64_t host_retried = UINT64_MAX;
static bool host_fault_hook(uintptr_t host) {
    struct split_node *sn = atomic_load(&g_split);
    if (!sn) return false;
    const struct guest_space *gs = &sn->dsm->proc->mem;
    if (host < (uintptr_t)gs->base || host - (uintptr_t)gs->base >= gs->size) return false;
    uint64_t page = (host - (uintptr_t)gs->base) / DSM_PAGE_SIZE;
    if (find(tab(sn), page) < 0) return false;
    if (state_of(sn, page) == SPLIT_ON) {
        ssize_t w = write(sn->pipe_wr, &page, sizeof page);
        (void)w;
    }
    bool waited = false;
    for (;;) {
        uint32_t e = atomic_load(&sn->epoch);
        if (state_of(sn, page) == SPLIT_ORDINARY) break;
        waited = true;
        futex_wait(&sn->epoch, e);
    }
    if (waited) {
        host_retried = UINT64_MAX;
        return true;
    }
    /* whole already: retry once (it was unsealed after the fault) */
    bool again = host_retried != page;
    host_retried = page;
    return again;
}

static void *release_thread(void *arg) {
    struct split_node *sn = arg;
    uint64_t page;
    while (read(sn->pipe_rd, &page, sizeof page) == (ssize_t)sizeof page) {
        atomic_fetch_add(&sn->stats.releases, 1);
        sn->release(sn->ctx, page);
    }
    return NULL;
}

int split_node_enable(struct dsm_node *n, void (*rel)(void *ctx, uint64_t page), void *ctx,
                      bool pinning) {
    struct split_node *sn = calloc(1, sizeof *sn);
    if (!sn) return -ENOMEM;
    sn->dsm = n;
    sn->lo = split_area_lo(n->proc->mem.size);
    atomic_store(&sn->hi, sn->lo);
    u64map_init(&sn->live);
    sn->tab = tab_new(64);
    if (!sn->tab) {
        free(sn);
        return -ENOMEM;
    }
    sn->release = rel;
    sn->ctx = ctx;
    sn->pinning = pinning;
    pthread_mutex_init(&sn->lock, NULL);
    pthread_cond_init(&sn->cond, NULL);
    int fds[2];
    if (pipe2(fds, O_CLOEXEC)) {
        free(sn);
        return -errno;
    }
    sn->pipe_rd = fds[0];
    sn->pipe_wr = fds[1];
    int e = thread_start_detached(NULL, 0, release_thread, sn);
    if (e) return -e;
    struct dbt_redirect_hooks h = {covers, map, release, sn, snapshot};
    int r = dbt_set_redirect_hooks(n->proc->dbt, &h);
    if (r) return r;
    n->split = sn;
    atomic_store(&g_split, sn);
    dbt_set_host_fault_hook(host_fault_hook);
    /* the guest cannot touch the area, on any node (the master decides
     * the layout; a node's own checks of guest buffers and its
     * /proc/self/maps see the same) */
    gs_reserve(&n->proc->mem, sn->lo, split_area_size(n->proc->mem.size));
    n->proc->mem.unsplit_opaque = sn;
    n->proc->mem.unsplit = gs_unsplit_hook;
    n->proc->mem.syscall_end = syscall_end_hook;
    /* pinning: the hooks run from the start, split pages or not (a
     * count that never drops to 0) */
    if (pinning) atomic_fetch_add(&n->proc->mem.split_live, 1);
    return 0;
}

bool split_node_apply(struct dsm_node *n, uint64_t page, uint64_t shadow, unsigned grain) {
    struct split_node *sn = n->split;
    if (!sn || !grain || grain > DSM_PAGE_SIZE / 2 || (grain & (grain - 1))) return false;
    uint64_t end = (shadow + split_slot_pages(grain)) * DSM_PAGE_SIZE;
    if (page * DSM_PAGE_SIZE >= n->proc->mem.size || shadow * DSM_PAGE_SIZE < sn->lo ||
        end > sn->lo + split_area_size(n->proc->mem.size))
        return false;
    atomic_store(&sn->grain, grain);
    pthread_mutex_lock(&sn->lock);
    if (sn->pinning && split_pins_cover(&sn->pins, page)) {
        pthread_mutex_unlock(&sn->lock);
        return false;
    }
    struct split_tab *t;
    int i = find_or_add(sn, page, &t);
    if (i >= 0 && atomic_load(&t->state[i]) != SPLIT_ORDINARY) { /* split already */
        pthread_mutex_unlock(&sn->lock);
        return false;
    }
    if (i < 0 || u64map_put(&sn->live, shadow, (void *)(uintptr_t)(page + 1))) {
        pthread_mutex_unlock(&sn->lock);
        log_error("dsm: split: out of memory, page 0x%llx not split here",
                  (unsigned long long)page * DSM_PAGE_SIZE);
        return false;
    }
    atomic_store(&t->shadow[i], shadow);
    /* the area covers the slot before anything can redirect there */
    if (end > atomic_load(&sn->hi)) atomic_store_explicit(&sn->hi, end, memory_order_release);
    atomic_store_explicit(&t->state[i], SPLIT_ON, memory_order_release);
    atomic_fetch_add(&sn->gen, 1);
    uint64_t off = page * DSM_PAGE_SIZE;
    /* sealed first: from here a guest access is the DBT's, never a miss */
    int r = dsm_fault_seal(n->region, off, true);
    if (!r) r = dsm_fault_drop(n->region, off);
    pthread_mutex_unlock(&sn->lock);
    if (r) log_error("dsm: split: sealing page 0x%llx: %s", (unsigned long long)off, strerror(-r));
    dsm_pages_forget(&n->pages, page, 1);
    atomic_fetch_add(&n->proc->mem.split_live, 1);
    atomic_fetch_add(&sn->stats.splits, 1);
    return true;
}

void split_node_stop(struct dsm_node *n, uint64_t page) {
    struct split_node *sn = n->split;
    if (!sn) return;
    pthread_mutex_lock(&sn->lock);
    struct split_tab *t = tab(sn);
    int i = find(t, page);
    if (i >= 0 && atomic_load(&t->state[i]) == SPLIT_ON) {
        u64map_del(&sn->live, atomic_load(&t->shadow[i]));
        atomic_store(&t->state[i], SPLIT_STOPPING);
    }
    pthread_mutex_unlock(&sn->lock);
}

void split_node_done(struct dsm_node *n, uint64_t page) {
    struct split_node *sn = n->split;
    if (!sn) return;
    /* stale state from before the split (a request it dropped) goes */
    dsm_pages_forget(&n->pages, page, 1);
    pthread_mutex_lock(&sn->lock);
    struct split_tab *t = tab(sn);
    int i = find(t, page);
    bool was = i >= 0 && atomic_load(&t->state[i]) != SPLIT_ORDINARY;
    if (was) {
        /* this node's copies of the shadow pages go first (they left the
         * directory), and the pages are sealed: a translation that still
         * redirects to them inline faults there from now on (a SIGSEGV,
         * which the DBT answers by re-translating it) instead of reading
         * a stale copy; also in a forked child, where a dropped page
         * would read as zeros (no userfaultfd there). Adjacent sealed
         * pages share one VMA. */
        uint64_t s0 = atomic_load(&t->shadow[i]);
        unsigned nsh = DSM_PAGE_SIZE / atomic_load(&sn->grain);
        for (unsigned k = 0; k < nsh; k++) {
            dsm_fault_drop(n->region, (s0 + k) * DSM_PAGE_SIZE);
            dsm_fault_seal(n->region, (s0 + k) * DSM_PAGE_SIZE, true);
            dsm_pages_forget(&n->pages, s0 + k, 1);
        }
        uint64_t off = page * DSM_PAGE_SIZE;
        int r = dsm_fault_drop(n->region, off);
        if (!r) r = dsm_fault_seal(n->region, off, false);
        if (r)
            log_error("dsm: unsplit: unsealing page 0x%llx: %s", (unsigned long long)off,
                      strerror(-r));
        u64map_del(&sn->live, s0);
        atomic_store(&t->state[i], SPLIT_ORDINARY);
        atomic_fetch_add(&sn->gen, 1);
        pthread_cond_broadcast(&sn->cond);
    }
    pthread_mutex_unlock(&sn->lock);
    if (!was) return;
    atomic_fetch_sub(&n->proc->mem.split_live, 1);
    atomic_fetch_add(&sn->stats.unsplits, 1);
    atomic_fetch_add(&sn->epoch, 1);
    syscall(SYS_futex, &sn->epoch, FUTEX_WAKE_PRIVATE, INT32_MAX, NULL, NULL, 0);
}

bool split_node_on_fault(struct dsm_node *n, uint64_t page) {
    struct split_node *sn = n->split;
    uint64_t addr = page * DSM_PAGE_SIZE;
    if (in_area(sn, addr)) {
        /* a shadow page: the directory's, unless its page was unsplit
         * (an instruction mapped to it before): then the faulting
         * instruction must run again and map anew */
        pthread_mutex_lock(&sn->lock);
        bool live = slot_live(sn, page);
        pthread_mutex_unlock(&sn->lock);
        if (live) return false;
        /* a request sent before the unsplit is answered before the master
         * gathers the page: let the fault wait for it as usual (sealed,
         * the page could not be copied out for that gathering) */
        pthread_mutex_lock(&n->t0_lock);
        bool pending = u64map_get(&n->t0, page) != NULL;
        pthread_mutex_unlock(&n->t0_lock);
        if (pending) return false;
        dsm_fault_seal(n->region, addr, true);
        return true;
    }
    if (find(tab(sn), page) < 0) return false;
    pthread_mutex_lock(&sn->lock);
    bool mine = state_of(sn, page) != SPLIT_ORDINARY;
    if (mine) dsm_fault_seal(n->region, addr, true);
    pthread_mutex_unlock(&sn->lock);
    return mine;
}

bool split_node_shadow_dead(struct dsm_node *n, uint64_t page) {
    struct split_node *sn = n->split;
    if (!sn || !in_area(sn, page * DSM_PAGE_SIZE)) return false;
    pthread_mutex_lock(&sn->lock);
    bool live = slot_live(sn, page);
    pthread_mutex_unlock(&sn->lock);
    return !live;
}

void split_node_stats_json(struct dsm_node *n, char *buf, unsigned len) {
    struct split_node *sn = n->split;
    struct dbt_redirect_stats rs = {0};
    if (sn) dbt_get_redirect_stats(n->proc->dbt, &rs);
    snprintf(buf, len,
             "{\"pages_split\": %llu, \"pages_unsplit\": %llu, \"redirected_accesses\": %llu, "
             "\"insns_redirected\": %llu, \"inline_translations\": %llu, \"releases\": %llu, "
             "\"emulator_waits\": %llu}",
             sn ? (unsigned long long)sn->stats.splits : 0ull,
             sn ? (unsigned long long)sn->stats.unsplits : 0ull,
             sn ? (unsigned long long)sn->stats.redirected : 0ull, (unsigned long long)rs.marked,
             (unsigned long long)rs.inlined, sn ? (unsigned long long)sn->stats.releases : 0ull,
             sn ? (unsigned long long)sn->stats.emulator_waits : 0ull);
}
