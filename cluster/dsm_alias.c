/* A node's DSM over aliased guest pages (dsm_alias.h, alias.h). */
#define _GNU_SOURCE
#include "cluster/dsm_alias.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "cluster/alias.h"
#include "cluster/dsm_node.h"
#include "common/log.h"

#define MAX_PAGES 16 /* pages of one key on the stack; more are allocated */

/* ---- page operations ---- */

static int install_at(struct dsm_node *n, uint64_t pg, const void *data, int prot) {
    int r = dsm_fault_pages_install(n, pg, data, prot);
    if (r == -EEXIST) { /* stale bytes (a file's copy read there): ours win */
        dsm_fault_pages_drop(n, pg);
        r = dsm_fault_pages_install(n, pg, data, prot);
    }
    return r;
}

static size_t pages_of(struct dsm_node *n, uint64_t key, uint64_t *buf, uint64_t **out);

static void wake_all(struct dsm_node *n, uint64_t key, uint64_t except) {
    uint64_t buf[MAX_PAGES], *pg;
    size_t k = pages_of(n, key, buf, &pg);
    for (size_t i = 0; i < k; i++)
        if (pg[i] != except) dsm_fault_pages_wake(n, pg[i]);
    if (pg != buf) free(pg);
}

int dsm_alias_install(void *node, uint64_t page, const void *data, int prot) {
    struct dsm_node *n = node;
    if (!alias_is_key(page)) return dsm_fault_pages_install(node, page, data, prot);
    uint64_t pg = alias_place(&n->alias, page);
    if (!pg) return 0;
    int r = install_at(n, pg, data, prot);
    /* threads parked on the key's other pages retry and move the bytes */
    wake_all(n, page, pg);
    return r;
}

/* A shared mapping's pages go one by one (each key finds its own place). */
long dsm_alias_install_run(void *node, uint64_t page, uint32_t n, const void *data, int prot) {
    if (alias_is_key(page) || alias_is_key(page + n - 1)) return 0;
    return dsm_fault_pages_install_run(node, page, n, data, prot);
}

/* A shared mapping's pages go one by one. */
int dsm_alias_protect_run(void *node, uint64_t page, uint32_t n, int prot) {
    if (alias_is_key(page) || alias_is_key(page + n - 1)) return -EOPNOTSUPP;
    return dsm_fault_pages_protect_run(node, page, n, prot);
}

int dsm_alias_protect(void *node, uint64_t page, int prot) {
    struct dsm_node *n = node;
    if (!alias_is_key(page)) return dsm_fault_pages_protect(node, page, prot);
    uint64_t pg = alias_active(&n->alias, page);
    return pg ? dsm_fault_pages_protect(node, pg, prot) : 0;
}

static bool resident(struct dsm_node *n, uint64_t pg);

int dsm_alias_copy_out(void *node, uint64_t page, void *buf) {
    struct dsm_node *n = node;
    if (!alias_is_key(page)) return dsm_fault_pages_copy_out(node, page, buf);
    uint64_t pg = alias_active(&n->alias, page);
    /* never a read of an absent page: the thread that would serve its
     * fault may be this one (a slave's loop thread) */
    if (pg && resident(n, pg)) return dsm_fault_pages_copy_out(node, pg, buf);
    if (pg)
        log_error("dsm: shared page 0x%llx: its bytes are gone here",
                  (unsigned long long)(pg * DSM_PAGE_SIZE));
    memset(buf, 0, DSM_PAGE_SIZE); /* else: an object unmapped here meanwhile */
    return 0;
}

int dsm_alias_drop(void *node, uint64_t page) {
    struct dsm_node *n = node;
    if (!alias_is_key(page)) return dsm_fault_pages_drop(node, page);
    uint64_t pg = alias_active(&n->alias, page);
    return pg ? dsm_fault_pages_drop(node, pg) : 0;
}

int dsm_alias_wake(void *node, uint64_t page) {
    struct dsm_node *n = node;
    if (!alias_is_key(page)) return dsm_fault_pages_wake(node, page);
    wake_all(n, page, 0);
    return 0;
}

/* ---- moving a key's bytes between its pages (page-state table held) ---- */

static bool resident(struct dsm_node *n, uint64_t pg) {
    unsigned char v = 0;
    return !mincore(n->proc->mem.base + pg * DSM_PAGE_SIZE, DSM_PAGE_SIZE, &v) && (v & 1);
}

/* Write-protect, copy, drop, install (a store racing through from faults
 * on the protection and is served after this, by moving the bytes back).
 * The mark moves first: a thread the install wakes may go on to remove
 * either page, and must find the mark where the bytes are. False (nothing
 * done) when to no longer shows key. */
static bool move(struct dsm_node *n, uint64_t key, uint64_t from, uint64_t to, enum dsm_state st) {
    if (!alias_activate(&n->alias, key, to)) return false;
    if (!resident(n, from)) { /* never read an absent page here (see copy_out) */
        log_error("dsm: shared page 0x%llx: its bytes are gone here",
                  (unsigned long long)(from * DSM_PAGE_SIZE));
        dsm_fault_pages_wake(n, to); /* its retry finds nothing and asks again */
        return true;
    }
    uint8_t buf[DSM_PAGE_SIZE];
    int prot = st == DSM_M ? PROT_READ | PROT_WRITE : PROT_READ;
    int r = st == DSM_M ? dsm_fault_pages_protect(n, from, PROT_READ) : 0;
    if (!r) r = dsm_fault_pages_copy_out(n, from, buf);
    if (!r) r = dsm_fault_pages_drop(n, from);
    if (!r) r = install_at(n, to, buf, prot);
    if (r)
        log_error("dsm: moving shared page 0x%llx to 0x%llx: %s",
                  (unsigned long long)(from * DSM_PAGE_SIZE),
                  (unsigned long long)(to * DSM_PAGE_SIZE), strerror(-r));
    dsm_fault_pages_wake(n, from);
    return true;
}

struct reloc {
    struct dsm_node *n;
    uint64_t page, key;
    bool write;
    bool done; /* the thread was woken: nothing more to do */
};

static int fault_cb(void *arg, enum dsm_state st) {
    struct reloc *r = arg;
    struct dsm_node *n = r->n;
    uint64_t cur = alias_active(&n->alias, r->key);
    if (cur != r->page && (st == DSM_I || !cur)) {
        /* whatever comes is installed here; or the page stopped showing
         * the key meanwhile (munmap): the thread retries and sees */
        if (!alias_activate(&n->alias, r->key, r->page)) {
            dsm_fault_pages_wake(n, r->page);
            r->done = true;
            return DSM_RELOC_KEEP;
        }
        if (st == DSM_I) return DSM_RELOC_KEEP;
        if (st == DSM_M)
            log_error("dsm: shared page 0x%llx held writable here but nowhere in memory",
                      (unsigned long long)(r->page * DSM_PAGE_SIZE));
        return DSM_RELOC_LOST; /* ask again */
    }
    if (cur != r->page) {
        r->done = true;
        if (!move(n, r->key, cur, r->page, st)) dsm_fault_pages_wake(n, r->page);
        return DSM_RELOC_KEEP;
    }
    /* the bytes should be here: a write-protect fault in S, or a race */
    if ((st == DSM_S && r->write) || resident(n, r->page)) return DSM_RELOC_KEEP;
    if (st == DSM_M)
        log_error("dsm: shared page 0x%llx held writable here but its bytes are gone",
                  (unsigned long long)(r->page * DSM_PAGE_SIZE));
    return DSM_RELOC_LOST;
}

bool dsm_alias_fault(struct dsm_node *n, uint64_t page, bool write) {
    uint64_t key = alias_key(&n->alias, page);
    if (key == page) return false;
    struct reloc r = {n, page, key, write, false};
    dsm_pages_relocate(&n->pages, key, fault_cb, &r);
    if (r.done) return true;
    int res = dsm_pages_fault(&n->pages, key, write);
    if (res < 0)
        log_error("dsm: fault on shared guest page 0x%llx: %s",
                  (unsigned long long)(page * DSM_PAGE_SIZE), strerror(-res));
    return true;
}

void dsm_alias_add(struct dsm_node *n, uint64_t start, uint64_t len, uint64_t key) {
    /* pages held by address until now (asked for between the mapping and
     * its alias) go, as a discard: the host's and the entries' together */
    dsm_node_layout(n, GS_DISCARDED, start, len, 0);
    alias_add(&n->alias, start / DSM_PAGE_SIZE, len / DSM_PAGE_SIZE, key);
    /* threads parked on them (their requests answered "ask again", or
     * forgotten) ask again, by key */
    dsm_fault_wake_range(n->region, start, len);
}

/* ---- pages taken away ---- */

struct unmap_ctx {
    struct dsm_node *n;
    bool keep;
    void (*dead)(void *ctx, uint64_t key);
    void *ctx;
    uint64_t page, to, key;
};

/* keep: the key's bytes to u->page (the page-state table held) */
static int gather_cb(void *arg, enum dsm_state st) {
    struct unmap_ctx *u = arg;
    uint64_t cur = alias_active(&u->n->alias, u->key);
    if (st != DSM_I && cur && cur != u->page) move(u->n, u->key, cur, u->page, st);
    return DSM_RELOC_KEEP;
}

static int gone_cb(void *arg, enum dsm_state st) {
    struct unmap_ctx *u = arg;
    if (alias_active(&u->n->alias, u->key) != u->page) return DSM_RELOC_KEEP; /* moved already */
    if (st == DSM_I || !resident(u->n, u->page)) {
        alias_set_active(&u->n->alias, u->key, u->to);
        return st == DSM_S ? DSM_RELOC_LOST : DSM_RELOC_KEEP;
    }
    if (!u->keep) {
        move(u->n, u->key, u->page, u->to, st);
        return DSM_RELOC_KEEP;
    }
    /* a copy: the page keeps its bytes (mremap takes them along) */
    uint8_t buf[DSM_PAGE_SIZE];
    alias_set_active(&u->n->alias, u->key, u->to);
    int r = dsm_fault_pages_copy_out(u->n, u->page, buf);
    if (!r) r = install_at(u->n, u->to, buf, st == DSM_M ? PROT_READ | PROT_WRITE : PROT_READ);
    if (r)
        log_error("dsm: copying shared page 0x%llx: %s",
                  (unsigned long long)(u->page * DSM_PAGE_SIZE), strerror(-r));
    return DSM_RELOC_KEEP;
}

static void on_gone(void *arg, uint64_t page, uint64_t key) {
    struct unmap_ctx *u = arg;
    uint64_t to;
    if (!alias_pages(&u->n->alias, key, &to, 1)) return; /* the key is dead: on_dead */
    u->page = page;
    u->to = to;
    u->key = key;
    dsm_pages_relocate(&u->n->pages, key, gone_cb, u);
}

static void on_dead(void *arg, uint64_t key) {
    struct unmap_ctx *u = arg;
    dsm_pages_forget(&u->n->pages, key, 1);
    if (u->dead) u->dead(u->ctx, key);
}

/* The pages showing key, into *out (buf, or allocated when more): how many. */
static size_t pages_of(struct dsm_node *n, uint64_t key, uint64_t *buf, uint64_t **out) {
    size_t k = alias_pages(&n->alias, key, buf, MAX_PAGES);
    *out = buf;
    if (k > MAX_PAGES) {
        uint64_t *v = malloc(k * sizeof *v);
        SHOAL_ASSERT(v);
        /* a layout change may have added pages since: those are fresh */
        size_t k2 = alias_pages(&n->alias, key, v, k);
        if (k2 < k) k = k2;
        *out = v;
    }
    return k;
}

bool dsm_alias_in_exec(struct dsm_node *n, uint64_t key) {
    uint64_t buf[MAX_PAGES], *pg;
    size_t k = pages_of(n, key, buf, &pg);
    bool hit = false;
    for (size_t i = 0; i < k && !hit; i++)
        hit = dsm_node_in_exec(n, pg[i] * DSM_PAGE_SIZE);
    if (pg != buf) free(pg);
    return hit;
}

void dsm_alias_code_gone(struct dsm_node *n, uint64_t key) {
    uint64_t buf[MAX_PAGES], *pg;
    size_t k = pages_of(n, key, buf, &pg);
    for (size_t i = 0; i < k; i++)
        if (dsm_node_in_exec(n, pg[i] * DSM_PAGE_SIZE)) {
            atomic_fetch_add(&n->code_flushes, 1);
            dbt_invalidate(n->proc->dbt, pg[i] * DSM_PAGE_SIZE, DSM_PAGE_SIZE);
        }
    if (pg != buf) free(pg);
}

void dsm_alias_fork_child(struct dsm_node *n) {
    struct alias_table *t = &n->alias;
    if (!t->n) return;
    /* /proc/self/mem writes whatever the page's protection */
    int fd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
    if (fd < 0) return;
    uint8_t *base = n->proc->mem.base;
    for (size_t i = 0; i < t->n; i++)
        for (uint64_t k = 0; k < t->v[i].n; k++) {
            void *v = u64map_get(&t->active, t->v[i].key + k);
            uint64_t pg = t->v[i].first + k, act = v ? (uint64_t)(uintptr_t)v - 1 : 0;
            if (!act || act == pg) continue;
            if (pwrite(fd, base + act * DSM_PAGE_SIZE, DSM_PAGE_SIZE,
                       (off_t)(uintptr_t)(base + pg * DSM_PAGE_SIZE)) != DSM_PAGE_SIZE)
                log_error("fork: shared page 0x%llx: %s", (unsigned long long)(pg * DSM_PAGE_SIZE),
                          strerror(errno));
        }
    close(fd);
}

void dsm_alias_unmapping(struct dsm_node *n, uint64_t start, uint64_t len, bool keep,
                         void (*dead)(void *ctx, uint64_t key), void *ctx) {
    struct unmap_ctx u = {n, keep, dead, ctx, 0, 0, 0};
    if (!atomic_load_explicit(&n->alias.live, memory_order_relaxed)) return;
    for (uint64_t pg = start / DSM_PAGE_SIZE; keep && pg < (start + len) / DSM_PAGE_SIZE; pg++) {
        uint64_t key = alias_key(&n->alias, pg);
        if (key == pg) continue;
        int r = dsm_pages_acquire(&n->pages, key, false);
        if (r)
            log_error("dsm: mremap: cannot gather shared page 0x%llx: %s",
                      (unsigned long long)(pg * DSM_PAGE_SIZE), strerror(-r));
        u.page = pg;
        u.key = key;
        dsm_pages_relocate(&n->pages, key, gather_cb, &u);
    }
    alias_remove(&n->alias, start / DSM_PAGE_SIZE, len / DSM_PAGE_SIZE, on_gone, on_dead, &u);
    /* a move whose mark left the range before the removal looked may
     * still be copying its bytes out of it: the host change waits */
    dsm_pages_relocations_drain(&n->pages);
}
