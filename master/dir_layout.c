/* The directory's side of layout changes: pages a change replaces are
 * forgotten (requests waiting for them answered stale, node 0's queue
 * applied first) and stay unsettled until every node has applied the
 * change; pages node 0 has that nobody else knows are adopted as its. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <sys/mman.h>

#include "common/array.h"
#include "common/log.h"
#include "master/dir_service_internal.h"
#include "master/master_internal.h"

/* ---- unsettled pages: requests across a layout change ----
 *
 * A layout change that replaces pages (munmap, an mmap over them, mremap,
 * brk going down) forgets them in the directory before the slaves hear of
 * it, and a slave applies it later, on its layout worker. A request a
 * slave made on its old layout can reach the directory after the forget:
 * answered as usual it would make that node the owner or a sharer of the
 * new page while the node puts the copy into the old mapping, which the
 * change then removes (the next fetch finds nothing: the page hangs). So
 * until every node has applied the change, such a request (its layout
 * stamp older than the change) gets a stale answer, recorded nowhere,
 * and the requests the forget dropped get one too (a thread waiting for
 * one may hold the guest space's read lock, which the slave's change
 * needs). dsm/DESIGN.md, "Requests across a layout change". */

static bool in_ranges(const struct page_range *v, size_t n, uint64_t page) {
    for (size_t i = 0; i < n; i++)
        if (page - v[i].first < v[i].n) return true;
    return false;
}

/* dir_lock held: page lies in the pages the change under way forgot
 * (none: closing is 0 too). */
bool dirsvc_unsettled(const struct master *m, uint64_t page) {
    return in_ranges(m->unsettled, m->nunsettled, page);
}

/* dir_lock held: node 0 applies the change of [first, first + n). */
static void n0_closed(struct master *m, uint64_t first, uint64_t n) {
    for (size_t i = 0; i < m->nn0_closing;) {
        const struct page_range *c = &m->n0_closing[i];
        if (c->first < first + n && first < c->first + c->n)
            m->n0_closing[i] = m->n0_closing[--m->nn0_closing];
        else
            i++;
    }
}

/* dir_lock held: page lies in a range node 0 has not applied the change
 * of yet. */
bool dirsvc_node0_closing(const struct master *m, uint64_t page) {
    return in_ranges(m->n0_closing, m->nn0_closing, page);
}

/* dir_lock held: the page, for a request made before the change under way
 * (retry: one that must not be taken, only asked again: a shared
 * mapping's page asked for by address, dsm/DESIGN.md, or a page asked
 * for before the node mapped it, dir_adding.c). */
void dirsvc_send_stale(struct master *m, uint64_t page, dsm_node_t node, bool retry) {
    Shoal__PageGrant g = SHOAL__PAGE_GRANT__INIT;
    g.page = page;
    g.state = SHOAL__PAGE_STATE__PAGE_MODIFIED;
    g.stale = retry ? 0 : m->closing;
    g.retry = retry;
    Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
    env.msg_case = SHOAL__ENVELOPE__MSG_PAGE_GRANT;
    env.page_grant = &g;
    m->stale_answers++;
    master_send(m, node, &env, NULL);
}

/* dir_lock held: [first, first + n) is forgotten for the next layout
 * change. */
static void unsettle(struct master *m, uint64_t first, uint64_t n) {
    if (!m->nunsettled) {
        pthread_mutex_lock(&m->lock); /* layout_req is the layout hook's, under it */
        m->closing = m->layout_req + 1;
        pthread_mutex_unlock(&m->lock);
    }
    m->unsettled =
        array_grow(m->unsettled, &m->capunsettled, m->nunsettled + 1, sizeof *m->unsettled, 4);
    SHOAL_ASSERT(m->unsettled);
    m->unsettled[m->nunsettled++] = (struct page_range){first, n};
}

void dirsvc_settled(struct master *m, uint64_t req_id) {
    pthread_mutex_lock(&m->dir_lock);
    if (m->nunsettled && m->closing <= req_id) {
        m->nunsettled = 0;
        m->closing = 0;
    }
    pthread_mutex_unlock(&m->dir_lock);
}

/* dir_lock held: a page of [first, first + n) is in a direct transfer. */
static bool direct_in_range(struct master *m, uint64_t first, uint64_t n) {
    if (n <= m->dir.pages.n) {
        for (uint64_t p = first; p < first + n; p++) {
            const struct dir_entry *e = dir_find(&m->dir, p);
            if (e && e->txn.wait == DIR_WAIT_DIRECT) return true;
        }
        return false;
    }
    size_t it = 0;
    uint64_t key;
    void *v;
    while (u64map_next(&m->dir.pages, &it, &key, &v))
        if (key - first < n && ((struct dir_entry *)v)->txn.wait == DIR_WAIT_DIRECT) return true;
    return false;
}

/* dir_lock held. A node other than node 0 may hold page (a copy, a
 * request under way or queued for it, a home copy the master keeps for
 * others). */
static bool held_elsewhere(const struct master *m, uint64_t page) {
    const struct dir_entry *e = dir_find(&m->dir, page);
    if (!e) return u64map_get(&m->home, page) != NULL;
    if (e->txn.wait != DIR_WAIT_NONE || e->qlen) return true;
    if (e->state == DSM_M && e->owner != 0) return true;
    uint32_t own = node_set_has(&e->sharers, 0);
    if (e->state == DSM_S && node_set_count(&e->sharers) > own) return true;
    return node_set_count(&e->pushed) > (uint32_t)node_set_has(&e->pushed, 0);
}

/* What a forget does with the requests of other nodes that wait for the
 * page: nothing, or a stale answer (a layout change replaces it). */
enum forget_answer { FORGET_QUIET, FORGET_STALE };

/* dir_lock held: page is forgotten; the requests of other nodes waiting
 * for it are answered (above), those a split on its way in kept among
 * them (split.c: the split is called off; dropped, they would wait
 * forever, and a request for the page mapped next would join them). */
static void forget_page(struct master *m, uint64_t page, enum forget_answer how) {
    struct node_set askers;
    node_set_init(&askers);
    if (how != FORGET_QUIET) SHOAL_ASSERT(!dir_askers(&m->dir, page, &askers));
    dir_forget(&m->dir, page);
    if (m->msplit) msplit_forgotten(m, page, how != FORGET_QUIET ? &askers : NULL);
    /* node 0 changes with the directory; ids past the nodes are the
     * splitter's own (split.c) */
    for (int64_t k = node_set_next(&askers, 1); k >= 0 && k < m->cfg.nodes;
         k = node_set_next(&askers, (uint64_t)k + 1))
        dirsvc_send_stale(m, page, (dsm_node_t)k, false);
    node_set_fini(&askers);
}

/* dir_lock held. */
static bool forget_locked(struct master *m, uint64_t first, uint64_t n, enum forget_answer how) {
    bool elsewhere = false;
    /* A page on its way from its owner to a reader travels on a link the
     * layout change does not follow: forgotten now, it could reach the
     * reader after the change, and be taken there as the answer to a
     * request for the new page. The transfer completes first (both
     * halves arrive on the master's loop thread, never this one). */
    while (m->dir.hooks.direct && direct_in_range(m, first, n))
        pthread_cond_wait(&m->direct_cond, &m->dir_lock);
    mfs_forget(m, first, n);
    if (n <= m->dir.pages.n + m->home.n) {
        for (uint64_t p = first; p < first + n; p++) {
            elsewhere = elsewhere || held_elsewhere(m, p);
            forget_page(m, p, how);
            page_pool_put(&m->home_pool, u64map_del(&m->home, p));
            u64map_del(&m->borrowed, p);
        }
    } else {
        /* a range larger than what was touched: walk what was touched */
        size_t it = 0, k = 0, cap = m->dir.pages.n + m->home.n;
        uint64_t key, *keys = malloc((cap + 1) * sizeof *keys);
        SHOAL_ASSERT(keys);
        while (u64map_next(&m->dir.pages, &it, &key, NULL))
            if (key - first < n) keys[k++] = key;
        it = 0;
        while (u64map_next(&m->home, &it, &key, NULL))
            if (key - first < n) keys[k++] = key;
        for (size_t i = 0; i < k; i++) {
            elsewhere = elsewhere || held_elsewhere(m, keys[i]);
            forget_page(m, keys[i], how);
            page_pool_put(&m->home_pool, u64map_del(&m->home, keys[i]));
            u64map_del(&m->borrowed, keys[i]);
        }
        free(keys);
    }
    return elsewhere;
}

/* dir_lock held: waits until dirsvc_node0_main has applied every message queued
 * so far. */
static void node0_catch_up(struct master *m) {
    uint64_t queued = m->q_pushed;
    while (m->q_applied < queued)
        pthread_cond_wait(&m->q_applied_cond, &m->dir_lock);
}

/* dir_lock held: forgets the range, until nothing is queued for node 0
 * with the range forgotten (a wait lets requests in); returns whether a
 * node but node 0 may have held a page of it. replaces: the change
 * replaces the pages on every node (not a discard, which slaves apply
 * in order with the directory's messages): they are unsettled until it
 * is applied everywhere. */
static bool forget_caught_up(struct master *m, uint64_t first, uint64_t n, enum forget_answer how) {
    bool elsewhere = false;
    if (how == FORGET_STALE) unsettle(m, first, n);
    for (;;) {
        elsewhere = forget_locked(m, first, n, how) || elsewhere;
        if (dirsvc_node0_idle(m)) return elsewhere;
        node0_catch_up(m);
    }
}

void dirsvc_node0_drain(struct master *m) {
    while (!dirsvc_node0_idle(m))
        pthread_cond_wait(&m->q_applied_cond, &m->dir_lock); /* dirsvc_node0_main: one applied */
}

void dirsvc_forget_keys(struct master *m, uint64_t first, uint64_t n) {
    pthread_mutex_lock(&m->dir_lock);
    forget_caught_up(m, first, n, FORGET_STALE);
    pthread_mutex_unlock(&m->dir_lock);
}

void dirsvc_forget_ahead(struct master *m, uint64_t start, uint64_t len) {
    pthread_mutex_lock(&m->dir_lock);
    forget_caught_up(m, start / DSM_PAGE_SIZE, len / DSM_PAGE_SIZE, FORGET_STALE);
    m->n0_closing =
        array_grow(m->n0_closing, &m->capn0_closing, m->nn0_closing + 1, sizeof *m->n0_closing, 4);
    SHOAL_ASSERT(m->n0_closing);
    m->n0_closing[m->nn0_closing++] =
        (struct page_range){start / DSM_PAGE_SIZE, len / DSM_PAGE_SIZE};
    pthread_mutex_unlock(&m->dir_lock);
}

/* A slave applies a layout change after every directory message sent to
 * it before (one FIFO link). Node 0's queue (dirsvc_node0_main) may still hold
 * messages for the pages: a SEND applied after the change would put back
 * bytes it removed (a discarded page reading as its old contents,
 * unknown to the directory). So node 0 applies what was queued, and its
 * part of the change (dsm_node_layout: a discard's host discard too)
 * follows under dir_lock, with the directory's view of the range gone:
 * no message for it can come between, and the directory never reads node
 * 0's copy of a page that is being discarded (a borrowed home copy: the
 * read would wait forever on the fault it takes). */
bool dirsvc_relayout(struct master *m, enum gs_change what, uint64_t start, uint64_t len, int prot,
                     bool (*announce)(struct master *m, bool elsewhere, void *arg), void *arg) {
    uint64_t first = start / DSM_PAGE_SIZE, n = len / DSM_PAGE_SIZE;
    pthread_mutex_lock(&m->dir_lock);
    bool elsewhere = forget_caught_up(
        m, first, n, what == GS_MAPPED || what == GS_UNMAPPED ? FORGET_STALE : FORGET_QUIET);
    dsm_node_layout(&m->dsm, what, start, len, prot);
    if (what == GS_MAPPED || what == GS_UNMAPPED) n0_closed(m, first, n);
    if (announce) elsewhere = announce(m, elsewhere, arg);
    pthread_mutex_unlock(&m->dir_lock);
    return elsewhere;
}

/* dir_lock held. Pages present in node 0's memory that nobody else
 * knows (the loader wrote them, a file was read into them, mremap moved
 * them here) are node 0's, in M. */
static void adopt_present(void *arg, uint64_t page) {
    struct master *m = arg;
    /* a shared mapping's page is its object's (malias_apply) */
    if (alias_key(&m->dsm.alias, page) != page) return;
    if (!dir_adopt(&m->dir, page, 0)) {
        dsm_pages_adopt(&m->dsm.pages, page, DSM_M);
        /* a page moved by mremap may carry a write-protect mark */
        dsm_fault_pages_protect(&m->dsm, page, PROT_READ | PROT_WRITE);
    }
}

void dirsvc_adopt_present(struct master *m, uint64_t start, uint64_t len) {
    pthread_mutex_lock(&m->dir_lock);
    dsm_node_each_resident(&m->dsm, start, len, adopt_present, m);
    pthread_mutex_unlock(&m->dir_lock);
}

bool dirsvc_unsettling(struct master *m) {
    pthread_mutex_lock(&m->dir_lock);
    bool some = m->nunsettled != 0;
    pthread_mutex_unlock(&m->dir_lock);
    return some;
}

/* dir_lock held: the directory or the home copies hold a page of
 * [first, first + n). */
static bool range_held(const struct master *m, uint64_t first, uint64_t n) {
    if (n <= m->dir.pages.n + m->home.n) {
        for (uint64_t p = first; p < first + n; p++)
            if (dir_find(&m->dir, p) || u64map_get(&m->home, p)) return true;
        return false;
    }
    const struct u64map *maps[2] = {&m->dir.pages, &m->home};
    for (int i = 0; i < 2; i++) {
        size_t it = 0;
        uint64_t key;
        while (u64map_next(maps[i], &it, &key, NULL))
            if (key - first < n) return true;
    }
    return false;
}

bool dirsvc_map_free(struct master *m, uint64_t start, uint64_t len, int prot) {
    struct gs_range r = {start, start + len};
    pthread_mutex_lock(&m->dir_lock);
    if (range_held(m, start / DSM_PAGE_SIZE, len / DSM_PAGE_SIZE)) {
        pthread_mutex_unlock(&m->dir_lock);
        return false;
    }
    dsm_node_layout(&m->dsm, GS_MAPPED, start, len, prot);
    /* a forget ahead whose change never came (an mmap that failed after
     * it) ends here: node 0's faults in the range are served */
    n0_closed(m, start / DSM_PAGE_SIZE, len / DSM_PAGE_SIZE);
    dirsvc_mapped(m, false, &r);
    pthread_mutex_unlock(&m->dir_lock);
    return true;
}

bool dirsvc_mapped(struct master *m, bool elsewhere, void *arg) {
    const struct gs_range *r = arg;
    malias_apply(m);
    dsm_node_each_resident(&m->dsm, r->start, r->end - r->start, adopt_present, m);
    return elsewhere;
}
