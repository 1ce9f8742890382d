#define _GNU_SOURCE
#include "cluster/dsm_node.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "cluster/dsm_alias.h"
#include "dbt/dbt.h"
#include "cluster/split_node.h"
#include "common/log.h"
#include "syscall/file_eof.h"

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int send_request(void *opaque, uint64_t page, enum dsm_req kind, uint64_t layout) {
    struct dsm_node *n = opaque;
    pthread_mutex_lock(&n->t0_lock);
    /* the time and the kind travel as the map's value (never 0: the kind
     * + 1 in the low two bits of a nanosecond clock) */
    u64map_put(&n->t0, page, (void *)(uintptr_t)((now_ns() & ~(uint64_t)3) | (kind + 1u)));
    pthread_mutex_unlock(&n->t0_lock);
    fault_trace_request(&n->trace, page, kind);
    int r = n->send_request(n->ctx, page, kind, layout);
    if (r) { /* nothing is on its way: no install will take the entry */
        pthread_mutex_lock(&n->t0_lock);
        u64map_del(&n->t0, page);
        pthread_mutex_unlock(&n->t0_lock);
    }
    return r;
}

static void reached(void *opaque, uint64_t page) {
    struct dsm_node *n = opaque;
    if (n->reached) n->reached(n->ctx, page);
}

void dsm_node_note_install(struct dsm_node *n, uint64_t page) {
    fault_trace_installed(&n->trace, page);
    pthread_mutex_lock(&n->t0_lock);
    void *v = u64map_del(&n->t0, page);
    pthread_mutex_unlock(&n->t0_lock);
    if (!v) return;
    uint64_t t0 = (uint64_t)(uintptr_t)v;
    unsigned kind = (unsigned)(t0 & 3) - 1;
    uint64_t ns = now_ns() - (t0 & ~(uint64_t)3);
    uint64_t us = ns / 1000;
    unsigned b = 0;
    while (b + 1 < DSM_NODE_LAT_BUCKETS && us >= (2ull << b))
        b++;
    atomic_fetch_add(&n->lat_hist[b], 1);
    if (kind < 3) {
        atomic_fetch_add(&n->lat_ns[kind], ns);
        atomic_fetch_add(&n->lat_n[kind], 1);
    }
    if (kind == DSM_REQ_READ)
        atomic_fetch_add(
            &n->read_hist[us < DSM_NODE_READ_BUCKETS - 1 ? us : DSM_NODE_READ_BUCKETS - 1], 1);
}

/* The exclusive monitor across nodes (dbt_excl_hooks): the token is the
 * page's generation, which moves whenever this node loses a right on it
 * (dsm/DESIGN.md, "No ABA across nodes"). */
static uint64_t excl_load(void *opaque, uint64_t addr) {
    struct dsm_node *n = opaque;
    return dsm_pages_generation(&n->pages, alias_key(&n->alias, addr / DSM_PAGE_SIZE));
}

static bool excl_store_begin(void *opaque, uint64_t addr, uint64_t token) {
    struct dsm_node *n = opaque;
    uint64_t page = addr / DSM_PAGE_SIZE, key = alias_key(&n->alias, page);
    if (dsm_pages_excl_begin(&n->pages, key, token)) {
        /* an aliased page's bytes may be at another of its pages here:
         * the store would fault holding the lock the move needs */
        if (key == page || alias_active(&n->alias, key) == page) return true;
        dsm_pages_excl_end(&n->pages);
    }
    atomic_fetch_add(&n->excl_lost, 1);
    return false;
}

static void excl_store_end(void *opaque, uint64_t addr) {
    struct dsm_node *n = opaque;
    dsm_pages_excl_end(&n->pages);
}

/* On the fault handler thread; the faulting thread stays parked until the
 * page changes. */
static void on_fault(void *opaque, uint64_t offset, bool write) {
    struct dsm_node *n = opaque;
    /* a split page's fault is the DBT's (split_node.h) */
    if (n->split && split_node_on_fault(n, offset / DSM_PAGE_SIZE)) return;
    /* a page of a shared file mapping: its object's page (dsm_alias.h) */
    if (atomic_load_explicit(&n->alias.live, memory_order_relaxed) &&
        dsm_alias_fault(n, offset / DSM_PAGE_SIZE, write))
        return;
    fault_trace_parked(&n->trace, offset / DSM_PAGE_SIZE, dsm_fault_tid());
    int r = dsm_pages_fault(&n->pages, offset / DSM_PAGE_SIZE, write);
    if (r <= DSM_FAULT_READY) fault_trace_unparked(&n->trace, dsm_fault_tid());
    /* node 0: a shadow page whose split stopped while this fault was on
     * its way (dirsvc_request): sealed now, the thread re-runs the access
     * through the page itself; or a page that became a shared mapping's
     * meanwhile: asked for by key */
    if (r == -ESTALE && n->split && split_node_on_fault(n, offset / DSM_PAGE_SIZE)) return;
    if (r == -ESTALE && atomic_load_explicit(&n->alias.live, memory_order_relaxed) &&
        dsm_alias_fault(n, offset / DSM_PAGE_SIZE, write))
        return;
    /* node 0: a page of a mapping being replaced; the change wakes the
     * thread */
    if (r == -EAGAIN) return;
    if (r < 0)
        log_error("dsm: fault on guest page 0x%llx: %s", (unsigned long long)offset, strerror(-r));
}

bool dsm_node_page_in_exec(struct dsm_node *n, uint64_t page) {
    return alias_is_key(page) ? dsm_alias_in_exec(n, page)
                              : dsm_node_in_exec(n, page * DSM_PAGE_SIZE);
}

bool dsm_node_in_exec(struct dsm_node *n, uint64_t addr) {
    bool hit = false;
    pthread_mutex_lock(&n->exec_lock);
    for (size_t i = 0; i < n->nexec && !hit; i++)
        hit = addr >= n->exec[i].start && addr < n->exec[i].end;
    pthread_mutex_unlock(&n->exec_lock);
    return hit;
}

/* Another node may now change the page: translations of it are stale.
 * Only pages of executable mappings can hold code, so data pages moving
 * between nodes never touch the translation cache. */
static void on_page_event(void *opaque, uint64_t page, enum dsm_page_event ev) {
    struct dsm_node *n = opaque;
    if (ev == DSM_EV_INSTALLED) {
        atomic_fetch_add(&n->pages_rx, 1);
        dsm_node_note_install(n, page);
        return;
    }
    if (ev == DSM_EV_GRANTED) { /* an upgrade answered: no data, no stale code */
        dsm_node_note_install(n, page);
        return;
    }
    if (alias_is_key(page)) { /* a shared mapping's page: each of its executable pages */
        dsm_alias_code_gone(n, page);
        return;
    }
    uint64_t addr = page * DSM_PAGE_SIZE;
    if (dsm_node_in_exec(n, addr)) {
        atomic_fetch_add(&n->code_flushes, 1);
        dbt_invalidate(n->proc->dbt, addr, DSM_PAGE_SIZE);
    }
}

static void exec_track(struct dsm_node *n, uint64_t start, uint64_t end, bool exec) {
    pthread_mutex_lock(&n->exec_lock);
    /* cut [start, end) out of every range, then add it back if exec */
    for (size_t i = 0; i < n->nexec;) {
        uint64_t s = n->exec[i].start, e = n->exec[i].end;
        if (e <= start || s >= end) {
            i++;
            continue;
        }
        memmove(&n->exec[i], &n->exec[i + 1], (n->nexec - i - 1) * sizeof n->exec[0]);
        n->nexec--;
        if (s < start || e > end) {
            if (n->nexec + 2 > n->capexec) {
                size_t cap = n->capexec ? n->capexec * 2 : 8;
                void *v = realloc(n->exec, cap * sizeof n->exec[0]);
                SHOAL_ASSERT(v);
                n->exec = v;
                n->capexec = cap;
            }
            if (s < start) {
                n->exec[n->nexec].start = s;
                n->exec[n->nexec++].end = start;
            }
            if (e > end) {
                n->exec[n->nexec].start = end;
                n->exec[n->nexec++].end = e;
            }
        }
    }
    if (exec) {
        if (n->nexec + 1 > n->capexec) {
            size_t cap = n->capexec ? n->capexec * 2 : 8;
            void *v = realloc(n->exec, cap * sizeof n->exec[0]);
            SHOAL_ASSERT(v);
            n->exec = v;
            n->capexec = cap;
        }
        n->exec[n->nexec].start = start;
        n->exec[n->nexec++].end = end;
    }
    pthread_mutex_unlock(&n->exec_lock);
}

/* The mprotect fallback keeps page states in the host protection: every
 * change of the guest's goes through the region, which applies both. */
static int host_protect(void *opaque, uint64_t start, uint64_t len, int hprot) {
    struct dsm_node *n = opaque;
    return dsm_fault_guest_protect(n->region, start, len, hprot);
}

static bool by_signal(const struct dsm_node *n) {
    return dsm_fault_region_mech(n->region) == DSM_FAULT_MPROTECT;
}

/* [start, start + len) holds other memory now: every page absent; with
 * the mprotect fallback, or a guest space whose new mappings wait for it
 * (new_closed), hprot is the guest's protection there (< 0: unchanged),
 * applied once the capture is armed. */
static void capture_anew(struct dsm_node *n, uint64_t start, uint64_t len, int hprot) {
    int r = dsm_fault_rearm(n->region, start, len);
    if (!r && by_signal(n) && hprot >= 0) r = dsm_fault_guest_protect(n->region, start, len, hprot);
    if (!r && !by_signal(n) && hprot >= 0 && n->proc->mem.new_closed &&
        mprotect(n->proc->mem.base + start, len, hprot))
        r = -errno;
    if (r) log_error("dsm: cannot capture faults on a new mapping: %s", strerror(-r));
}

struct discard {
    struct dsm_node *n;
    uint64_t start, len;
};

static void discard_host(void *arg) {
    const struct discard *d = arg;
    if (madvise(d->n->proc->mem.base + d->start, d->len, MADV_DONTNEED))
        log_error("dsm: cannot discard pages: %s", strerror(errno));
}

void dsm_node_layout(struct dsm_node *n, enum gs_change what, uint64_t start, uint64_t len,
                     int prot) {
    uint64_t first = start / DSM_PAGE_SIZE, np = len / DSM_PAGE_SIZE;
    switch (what) {
    case GS_MAPPED: {
        dsm_pages_forget(&n->pages, first, np);
        capture_anew(n, start, len, gs_host_prot(prot));
        exec_track(n, start, start + len, prot & PROT_EXEC);
        break;
    }
    case GS_UNMAPPED:
        dsm_pages_forget(&n->pages, first, np);
        /* a thread parked on a page of the range (its request forgotten)
         * faults again, on nothing: the guest's SIGSEGV */
        if (by_signal(n))
            capture_anew(n, start, len, PROT_NONE);
        else
            dsm_fault_wake_range(n->region, start, len);
        exec_track(n, start, start + len, false);
        break;
    case GS_DISCARDED: {
        /* the host's discard is this node's to make, in the order its
         * layout changes come (syscall/guest_mem.h) and with the page
         * table's lock held, so that no page arriving meanwhile stays
         * present with its entry forgotten: userfaultfd's private pages
         * are missing again, the fallback's are zero-filled by
         * capture_anew */
        struct discard d = {n, start, len};
        dsm_pages_forget_with(&n->pages, first, np, by_signal(n) ? NULL : discard_host, &d);
        /* and a thread parked on a page whose request the change forgot
         * faults again and asks anew */
        capture_anew(n, start, len, -1);
        break;
    }
    case GS_PROTECTED: exec_track(n, start, start + len, prot & PROT_EXEC); break;
    case GS_MOVING: break;
    case GS_UNMAPPING: dsm_alias_unmapping(n, start, len, false, NULL, NULL); break;
    case GS_PAST_EOF: /* the guest's protection only: pages stay as they are */
    case GS_WITHIN_EOF: break;
    }
}

void dsm_node_each_resident(struct dsm_node *n, uint64_t start, uint64_t len,
                            void (*fn)(void *arg, uint64_t page), void *arg) {
    unsigned char vec[4096];
    for (uint64_t done = 0; done < len;) {
        uint64_t chunk =
            len - done < sizeof vec * DSM_PAGE_SIZE ? len - done : sizeof vec * DSM_PAGE_SIZE;
        if (!mincore(n->proc->mem.base + start + done, chunk, vec))
            for (uint64_t i = 0; i < chunk / DSM_PAGE_SIZE; i++)
                if (vec[i] & 1) fn(arg, (start + done) / DSM_PAGE_SIZE + i);
        done += chunk;
    }
}

static void drop_stray(void *arg, uint64_t page) {
    struct dsm_node *n = arg;
    int r = dsm_pages_drop_stray(&n->pages, page);
    if (r)
        log_error("dsm: cannot drop page 0x%llx: %s", (unsigned long long)(page * DSM_PAGE_SIZE),
                  strerror(-r));
}

void dsm_node_drop_strays(struct dsm_node *n, uint64_t start, uint64_t len) {
    if (by_signal(n)) return; /* its new mappings stay closed until the hook opens them */
    dsm_node_each_resident(n, start, len, drop_stray, n);
}

static int node_init(struct dsm_node *n, struct process *proc, enum dsm_fault_mech mech,
                     dsm_node_send_fn send_req, void *ctx, bool polled) {
    memset(n, 0, sizeof *n);
    n->proc = proc;
    n->send_request = send_req;
    n->ctx = ctx;
    pthread_mutex_init(&n->exec_lock, NULL);
    pthread_mutex_init(&n->t0_lock, NULL);
    u64map_init(&n->t0);
    alias_init(&n->alias);
    fault_trace_init(&n->trace, stats_timing(&proc->stats) ? &proc->stats : NULL,
                     stats_page_events_max(&proc->stats));
    /* guest pages as dsm/fault.h has them, aliased ones by key */
    n->ops = (struct dsm_page_ops){
        .install = dsm_alias_install,
        .install_run = dsm_alias_install_run,
        .protect = dsm_alias_protect,
        .copy_out = dsm_alias_copy_out,
        .drop = dsm_alias_drop,
        .wake = dsm_alias_wake,
        .send_request = send_request,
        .reached = reached,
        .protect_run = dsm_alias_protect_run,
    };
    /* the fault adapters see n as their struct dsm_fault_pages: it is
     * n's first member */
    int r = dsm_pages_init(&n->pages, &n->ops, n);
    if (r) return r;
    r = polled && mech == DSM_FAULT_UFFD
            ? dsm_fault_region_adopt_polled(proc->mem.base, proc->mem.size, on_fault, n, &n->region)
            : dsm_fault_region_adopt(mech, proc->mem.base, proc->mem.size, on_fault, n, &n->region);
    if (r) {
        log_error("dsm: cannot capture faults on the guest space (%s): %s",
                  mech == DSM_FAULT_UFFD ? "userfaultfd" : "mprotect", strerror(-r));
        return r;
    }
    n->fp.region = n->region;
    n->fp.first_page = 0;
    if (by_signal(n)) {
        proc->mem.host_protect = host_protect;
        proc->mem.host_protect_opaque = n;
        proc->bounce_bufs = true;
        dbt_set_page_fault_hook(dsm_fault_mprotect_on_signal);
    }
    dsm_pages_subscribe(&n->pages, on_page_event, n);
    struct dbt_excl_hooks xh = {excl_load, excl_store_begin, excl_store_end, n};
    dbt_set_excl_hooks(proc->dbt, &xh);
    /* executable mappings as they are now */
    pthread_rwlock_rdlock(&proc->mem.lock);
    for (size_t i = 0; i < gs_vma_count(&proc->mem) && !r; i++) {
        const struct guest_vma *v = gs_vma(&proc->mem, i);
        if (v->prot & PROT_EXEC) exec_track(n, v->start, v->end, true);
        /* the mprotect fallback starts with every page absent: the
         * guest's protection now, the pages present later (the master's
         * dirsvc_adopt_present) */
        if (by_signal(n))
            r = dsm_fault_guest_protect(n->region, v->start, v->end - v->start,
                                        gs_host_prot(v->prot));
    }
    pthread_rwlock_unlock(&proc->mem.lock);
    if (r) log_error("dsm: cannot protect the guest space: %s", strerror(-r));
    return r;
}

int dsm_node_init(struct dsm_node *n, struct process *proc, enum dsm_fault_mech mech,
                  dsm_node_send_fn send_req, void *ctx) {
    return node_init(n, proc, mech, send_req, ctx, false);
}

int dsm_node_init_polled(struct dsm_node *n, struct process *proc, enum dsm_fault_mech mech,
                         dsm_node_send_fn send_req, void *ctx) {
    return node_init(n, proc, mech, send_req, ctx, true);
}

bool dsm_node_fatal(const struct dsm_node *n, int r, uint64_t page) {
    if (r != -ENOMEM) return false;
    fprintf(stderr, "shoal: cannot change guest page 0x%llx here: %s%s\n",
            (unsigned long long)(page * DSM_PAGE_SIZE), strerror(-r),
            by_signal(n) ? " (dsm.fault=mprotect makes a host mapping of every run of pages in "
                           "another state; vm.max_map_count bounds them: use dsm.fault=uffd, or "
                           "raise it)"
                         : "");
    return true;
}

void dsm_node_fork_child(struct dsm_node *n) {
    dsm_fault_region_forsake(n->region);
    if (!by_signal(n)) return;
    struct process *proc = n->proc;
    proc->mem.host_protect = NULL;
    proc->bounce_bufs = false;
    dbt_set_page_fault_hook(NULL);
    for (size_t i = 0; i < gs_vma_count(&proc->mem); i++) {
        const struct guest_vma *v = gs_vma(&proc->mem, i);
        if (mprotect(proc->mem.base + v->start, v->end - v->start, gs_host_prot(v->prot)))
            log_error("fork: cannot open guest memory at 0x%llx: %s", (unsigned long long)v->start,
                      strerror(errno));
        eof_reseal(&proc->mem, v->start, v->end); /* pages past their file's end */
    }
}

void dsm_node_fini(struct dsm_node *n) {
    dbt_set_excl_hooks(n->proc->dbt, NULL);
    if (n->region && by_signal(n)) {
        n->proc->mem.host_protect = NULL;
        dbt_set_page_fault_hook(NULL);
    }
    dsm_fault_region_destroy(n->region);
    dsm_pages_fini(&n->pages);
    u64map_fini(&n->t0);
    alias_fini(&n->alias);
    fault_trace_fini(&n->trace);
    free(n->exec);
}
