/* Driving the directory: inputs from every node (remote ones from the
 * loop thread, node 0's from its fault handler and its queue thread) go
 * through dir_lock, and the actions they produce are sent before the
 * lock is dropped, so each node receives them in directory order (the
 * FIFO links dsm/DESIGN.md assumes). Node 0's link is an in-process
 * queue served by its own thread, so node 0 is an ordinary node. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cluster/split_node.h"
#include "common/array.h"
#include "common/config.h"
#include "common/detached_thread.h"
#include "common/log.h"
#include "master/master_internal.h"

static const uint8_t zero_page[DSM_PAGE_SIZE];

/* Most pages pushed (forwarding) or claimed (first touch) per request:
 * the window's default ceiling. A stream that keeps pace with its pushes
 * is heard of only at its next miss, so this is how far apart its misses
 * are (64 made a 64 MiB forwarded walk miss 278 times, 256 about 95:
 * docs/bench.md, "Pushes in runs"). */
#define AHEAD_MAX 256
static const char borrowed_mark; /* the value of m->borrowed's entries */

/* dir_lock held. The page's home copy: a pool page; node 0's own copy
 * when borrowed (read into buf); else zeros (never written). */
static const void *home_into(struct master *m, uint64_t page, void *buf) {
    const void *h = u64map_get(&m->home, page);
    if (h) return h;
    if (m->borrowed.n && u64map_get(&m->borrowed, page)) {
        /* node 0 holds every borrowed page in S (unborrow) */
        SHOAL_ASSERT(!dsm_pages_copy(&m->dsm.pages, page, buf));
        return buf;
    }
    return zero_page;
}

/* dir_lock held. The same; a borrowed page's bytes are good until the
 * next call. */
static const void *home_of(struct master *m, uint64_t page) {
    return home_into(m, page, m->borrow_buf);
}

/* dir_lock held. Node 0's copy of a borrowed page is about to change (the
 * directory sends node 0 an action for it): the home copy becomes a page
 * of its own, copied from node 0's while node 0 still holds the bytes;
 * not when node 0 becomes the owner (keep false: the owner's copy is the
 * page, and a fetch makes the next home copy). */
static void unborrow(struct master *m, uint64_t page, bool keep) {
    if (!m->borrowed.n || !u64map_del(&m->borrowed, page) || !keep) return;
    m->borrow_copies++;
    void *h = page_pool_get(&m->home_pool);
    SHOAL_ASSERT(h && !dsm_pages_copy(&m->dsm.pages, page, h));
    SHOAL_ASSERT(!u64map_put(&m->home, page, h));
}

static void node0_push(struct master *m, const struct dir_action *a) {
    struct node0_msg *q = calloc(1, sizeof *q);
    SHOAL_ASSERT(q);
    q->kind = a->kind;
    q->state = a->state;
    q->page = a->page;
    if (a->kind == DIR_ACT_SEND) {
        q->data = malloc(DSM_PAGE_SIZE);
        SHOAL_ASSERT(q->data);
        memcpy(q->data, home_of(m, a->page), DSM_PAGE_SIZE);
    }
    if (m->q_tail)
        m->q_tail->next = q;
    else
        m->q_head = q;
    m->q_tail = q;
    m->q_pushed++;
    pthread_cond_signal(&m->q_cond);
}

/* dir_lock held: nothing queued for node0_main, nor being applied by it
 * (it counts a message applied only once it is done with it). */
static bool node0_idle(const struct master *m) {
    return m->q_applied == m->q_pushed;
}

static Shoal__PageState wire_state(uint8_t st) {
    return st == DSM_M   ? SHOAL__PAGE_STATE__PAGE_MODIFIED
           : st == DSM_S ? SHOAL__PAGE_STATE__PAGE_SHARED
                         : SHOAL__PAGE_STATE__PAGE_INVALID;
}

static void check(int r, const char *what, uint64_t page, dsm_node_t node) {
    /* -EPROTO is expected for pages the address space forgot meanwhile */
    if (r && r != -EPROTO && r != -ENOTCONN)
        log_error("dsm: directory %s of page 0x%llx from node %u: %s", what,
                  (unsigned long long)page, node, strerror(-r));
}

static void writeback_locked(struct master *m, uint64_t page, dsm_node_t node, const void *data,
                             void **adopt, struct dir_actions *acts);
static void borrow_locked(struct master *m, uint64_t page, struct dir_actions *acts);

/* What applying a directory message to node 0 gave: -EPROTO is expected
 * for a page the address space forgot meanwhile, and -ENOENT (nothing
 * registered there to install into) for one whose mapping went away on
 * node 0 before the directory forgot it (a page pushed ahead, or fetched
 * for a request, between the host's munmap and the layout change's
 * forget: dirsvc_relayout). */
static void node0_applied(enum dir_act kind, uint64_t page, int r) {
    if (!r || r == -EPROTO) return;
    if (r == -ENOENT && kind == DIR_ACT_SEND)
        log_debug("dsm: node 0: send of page 0x%llx: its mapping went away first",
                  (unsigned long long)page);
    else
        log_error("dsm: node 0: %s of page 0x%llx: %s", dir_act_name(kind),
                  (unsigned long long)page, strerror(-r));
}

/* dir_lock held. Node 0's messages are applied right here, on the thread
 * that runs the directory, when that keeps its link FIFO (nothing queued
 * or being applied by node0_main) and cannot stall the directory (a page
 * that may hold translated code goes through the queue: dropping it
 * flushes translations). This saves two thread hand-offs on every miss
 * served by node 0's copy (loop thread -> node0_main -> loop thread) and
 * one on node 0's own misses. Their answers join acts, behind this one. */
static bool node0_inline(struct master *m, const struct dir_action *a, struct dir_actions *acts) {
    if (!m->node0_inline || !node0_idle(m) || dsm_node_page_in_exec(&m->dsm, a->page)) return false;
    struct dsm_pages *ps = &m->dsm.pages;
    void *buf = NULL;
    int r = 0;
    switch (a->kind) {
    case DIR_ACT_SEND: r = dsm_pages_on_data(ps, a->page, a->state, home_of(m, a->page)); break;
    case DIR_ACT_GRANT: r = dsm_pages_on_grant(ps, a->page, a->state); break;
    case DIR_ACT_INVALIDATE:
        r = dsm_pages_on_invalidate(ps, a->page);
        check(dir_inv_ack(&m->dir, a->page, 0, acts), "ack", a->page, 0);
        break;
    case DIR_ACT_FETCH:
        if (a->state == DSM_S && m->borrow_on && !alias_is_key(a->page)) {
            /* node 0 keeps the page in S: its copy is the home copy */
            r = dsm_pages_on_fetch(ps, a->page, DSM_S, NULL);
            if (!r) borrow_locked(m, a->page, acts);
            break;
        }
        /* node 0's copy is taken into a page that becomes the home copy
         * itself: one 4 KiB copy per fetch instead of two */
        buf = page_pool_get(&m->home_pool);
        SHOAL_ASSERT(buf);
        r = dsm_pages_on_fetch(ps, a->page, a->state, buf);
        if (!r) writeback_locked(m, a->page, 0, buf, &buf, acts);
        page_pool_put(&m->home_pool, buf);
        break;
    }
    if (dsm_node_fatal(&m->dsm, r, a->page)) master_abort(m, 1);
    node0_applied(a->kind, a->page, r);
    return true;
}

/* Whether b, n actions after a, continues a's run (a itself: n = 0):
 * pages the same step apart, up or down, which the second one set
 * (*step: 0 before it), at most max_step apart. */
static bool in_run(const struct dir_action *a, const struct dir_action *b, size_t n, int64_t *step,
                   int64_t max_step) {
    if (!n) return true;
    if (!*step) {
        int64_t d = (int64_t)(b->page - a->page);
        *step = d && d <= max_step && d >= -max_step ? d : 0;
    }
    return *step && b->page == a->page + (uint64_t)((int64_t)n * *step);
}

/* The lowest page of a run of n from a's page, going step. */
static uint64_t run_first(const struct dir_action *a, size_t n, int64_t step) {
    return step < 0 ? a->page - (uint64_t)(n - 1) * (uint64_t)-step : a->page;
}

/* dir_lock held. acts->v[i] is a fetch from node 0 ahead of any request
 * (a push of a page node 0 wrote): it and the same fetches of the next
 * pages, when node 0 keeps the page in S and its copy becomes the home
 * copy (borrow_home), are write-protected at once (one ioctl and one TLB
 * flush for the run, dsm_pages_on_fetch_run), as node0_inline would one
 * by one. Returns how many actions it handled; 0: the caller goes on
 * page by page. */
static size_t node0_fetch_run(struct master *m, struct dir_actions *acts, size_t i) {
    const struct dir_action a = acts->v[i];
    if (a.kind != DIR_ACT_FETCH || a.state != DSM_S || !a.ahead || !m->borrow_on ||
        !m->node0_inline || !node0_idle(m))
        return 0;
    size_t n = 0;
    int64_t step = 0;
    while (n < m->push_batch && i + n < acts->n) {
        const struct dir_action *b = &acts->v[i + n];
        /* consecutive pages: one write-protect covers them */
        if (b->node != 0 || b->kind != DIR_ACT_FETCH || b->state != DSM_S || !b->ahead ||
            !in_run(&a, b, n, &step, 1) || alias_is_key(b->page) ||
            dsm_node_page_in_exec(&m->dsm, b->page))
            break;
        n++;
    }
    if (n < 2 || dsm_pages_on_fetch_run(&m->dsm.pages, run_first(&a, n, step), (uint32_t)n))
        return 0;
    /* the sends they set off keep the stream's order (the next run) */
    for (size_t k = 0; k < n; k++)
        borrow_locked(m, a.page + (uint64_t)((int64_t)k * step), acts);
    return n;
}

/* dir_lock held. acts->v[i] is a SEND ahead of any request: it and the
 * SENDs after it of the next pages, to the same node in the same state
 * (a stream's pushes, strided or not, a write stream's claims), travel in
 * one message of at most push_batch pages, which the node installs at
 * once: one frame, one receive (and, for consecutive pages, one install)
 * for the run instead of one per page. Returns how many actions it sent. */
static size_t send_ahead(struct master *m, struct dir_actions *acts, size_t i) {
    const struct dir_action a = acts->v[i];
    size_t n = 1;
    int64_t step = 0;
    while (n < m->push_batch && i + n < acts->n) {
        const struct dir_action *b = &acts->v[i + n];
        if (b->kind != DIR_ACT_SEND || !b->ahead || b->node != a.node || b->state != a.state ||
            !in_run(&a, b, n, &step, NET_RUN_STRIDE_MAX))
            break;
        n++;
    }
    /* on the wire a run goes up from its lowest page, whichever way the
     * stream goes */
    uint64_t first = run_first(&a, n, step);
    uint64_t stride = step < 0 ? (uint64_t)-step : step > 0 ? (uint64_t)step : 1;
    const void *pages[NET_PAGES_MAX];
    bool zeros = true;
    for (size_t k = 0; k < n; k++) {
        if (!m->ahead_bufs[k]) SHOAL_ASSERT((m->ahead_bufs[k] = page_pool_get(&m->home_pool)));
        pages[k] = home_into(m, first + k * stride, m->ahead_bufs[k]);
        zeros = zeros && pages[k] == zero_page;
    }
    atomic_fetch_add(&m->dsm.pages_tx, n);
    m->ahead_msgs++;
    m->ahead_strided += stride > 1;
    Shoal__PageGrant g = SHOAL__PAGE_GRANT__INIT;
    g.page = first;
    g.state = wire_state(a.state);
    g.count = n > 1 ? (uint32_t)n : 0;
    g.stride = stride > 1 ? (uint32_t)stride : 0;
    /* a stream's pushes: the node tells when a thread gets into the run
     * (at its first page: a stream going up) */
    g.trip = n > 1 && a.state == DSM_S && m->tripwire && step > 0;
    /* pages nobody wrote (first-touch claims): no bytes on the wire */
    g.zero = zeros;
    Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
    env.msg_case = SHOAL__ENVELOPE__MSG_PAGE_GRANT;
    env.page_grant = &g;
    /* a node that is gone is the directory's business (node lost) */
    master_send_pages(m, a.node, &env, pages, zeros ? 0 : (uint32_t)n);
    return n;
}

/* dir_lock held. Carries out acts->v[i] (and, for a run, the actions
 * after it); returns how many it took. */
static size_t run_action(struct master *m, struct dir_actions *acts, size_t i) {
    struct dir_action a = acts->v[i];
    if (a.node >= m->cfg.nodes) return 1; /* the splitter's own (split.c) */
    if (a.kind == DIR_ACT_LOST) {
        log_error("node %u died holding the only copy of guest page 0x%llx", a.node,
                  (unsigned long long)(a.page * DSM_PAGE_SIZE));
        return 1;
    }
    if (a.kind == DIR_ACT_INVALIDATE && m->fwd_on) fwd_on_invalidate(&m->fwd, a.node, a.page);
    if (a.node == 0) {
        size_t before = acts->n, k = node0_fetch_run(m, acts, i);
        if (!k) {
            unborrow(m, a.page, !(a.kind == DIR_ACT_GRANT && a.state == DSM_M));
            if (!node0_inline(m, &a, acts)) node0_push(m, &a);
        }
        /* what node 0's answer set off goes ahead when its cause did
         * (a push of a page node 0 owned: the fetch, then the send) */
        for (size_t j = before; j < acts->n; j++)
            acts->v[j].ahead = a.ahead;
        return k ? k : 1;
    }
    if (a.kind == DIR_ACT_SEND && a.ahead && m->push_batch > 1) return send_ahead(m, acts, i);
    Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
    Shoal__PageGrant g = SHOAL__PAGE_GRANT__INIT;
    Shoal__PageInvalidate inv = SHOAL__PAGE_INVALIDATE__INIT;
    const void *data = NULL;
    switch (a.kind) {
    case DIR_ACT_SEND:
        data = home_of(m, a.page);
        atomic_fetch_add(&m->dsm.pages_tx, 1);
        /* fall through */
    case DIR_ACT_GRANT:
        g.page = a.page;
        g.state = wire_state(a.state);
        env.msg_case = SHOAL__ENVELOPE__MSG_PAGE_GRANT;
        env.page_grant = &g;
        break;
    case DIR_ACT_INVALIDATE:
    case DIR_ACT_FETCH:
        inv.page = a.page;
        inv.state = a.kind == DIR_ACT_FETCH ? wire_state(a.state) : SHOAL__PAGE_STATE__PAGE_INVALID;
        /* direct transfer: the owner sends the page to this reader
         * (never node 0, so 0 means nobody on the wire) */
        if (a.kind == DIR_ACT_FETCH && a.to != DIR_NODE_NONE) inv.to = a.to;
        env.msg_case = SHOAL__ENVELOPE__MSG_PAGE_INVALIDATE;
        env.page_invalidate = &inv;
        break;
    }
    /* a node that is gone is the directory's business (node lost) */
    master_send(m, a.node, &env, data);
    return 1;
}

/* dir_lock held. What any request waits for goes first, what is sent
 * ahead of requests (pushes, claims) after it: the answer to a miss is
 * not held up by the fetches and sends of the pushes its request set
 * off. Each node still gets its actions in their order within each
 * group; the groups concern different pages (nothing is pushed or
 * claimed that a request of this batch waits on). */
static void run_actions(struct master *m, struct dir_actions *acts) {
    for (uint8_t ahead = 0; ahead < 2; ahead++)
        for (size_t i = 0; i < acts->n;)
            i += acts->v[i].ahead == ahead ? run_action(m, acts, i) : 1;
    acts->n = 0;
}

/* The actions from first on are sent ahead of any request. */
static void mark_ahead(struct dir_actions *acts, size_t first) {
    for (size_t i = first; i < acts->n; i++)
        acts->v[i].ahead = 1;
}

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
static bool unsettled(const struct master *m, uint64_t page) {
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
static bool n0_closing(const struct master *m, uint64_t page) {
    return in_ranges(m->n0_closing, m->nn0_closing, page);
}

/* dir_lock held: the page, for a request made before the change under way
 * (retry: one that must not be taken, only asked again: a shared
 * mapping's page asked for by address, dsm/DESIGN.md). */
static void send_stale(struct master *m, uint64_t page, dsm_node_t node, bool retry) {
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

/* dir_lock held. Forwarding (dsm/forward.h): the next pages of a stream
 * the read continues go to the node in S right behind the answer, on the
 * same FIFO link. A page that cannot be pushed without delaying someone
 * (a transaction in flight, never touched) ends the batch; the stream
 * asks for it and the detector tries again from there. reached: not a
 * read request, node got to a tripwire (dsm/forward.h). */
static void forward_from(struct master *m, uint64_t page, dsm_node_t node, bool reached,
                         struct dir_actions *acts) {
    size_t first = acts->n;
    uint64_t next[AHEAD_MAX];
    size_t n = fwd_on_read(&m->fwd, node, page, reached, next, sizeof next / sizeof next[0]), k = 0;
    for (; k < n; k++) {
        /* a page the splitter holds (M at its own id while it splits the
         * page, split.c) cannot be fetched: nobody would answer */
        const struct dir_entry *e = dir_find(&m->dir, next[k]);
        if (e && e->state == DSM_M && e->owner >= m->cfg.nodes) break;
        if (unsettled(m, next[k])) break;
        int r = dir_push(&m->dir, next[k], node, acts);
        if (r && r != -EEXIST) break;
    }
    mark_ahead(acts, first);
    fwd_pushed(&m->fwd, node, k);
}

/* dir_lock held. The claimable range that holds page, or NULL. Ranges
 * are sorted and disjoint. */
static const struct claim_range *claim_range_of(const struct master *m, uint64_t page) {
    uint64_t a = page * DSM_PAGE_SIZE;
    size_t lo = 0, hi = m->nclaimable;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->claimable[mid].end <= a)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < m->nclaimable && m->claimable[lo].start <= a ? &m->claimable[lo] : NULL;
}

/* dir_lock held. [dsm] first_touch_ahead: node wrote page, untouched
 * until now. When that continues a stream of such writes (dsm/forward.h,
 * an instance of its own), the stream's next pages go to the node in M
 * too, as long as nobody ever touched them and they lie in the same
 * private writable anonymous range: zero pages, one SEND each behind the
 * answer on the node's FIFO link, instead of a fault and a round trip
 * each. A request the node makes meanwhile for one of them finds it the
 * owner and gets a GRANT, which changes nothing there. */
static void claim_ahead(struct master *m, uint64_t page, dsm_node_t node,
                        struct dir_actions *acts) {
    const struct claim_range *r = claim_range_of(m, page);
    size_t first = acts->n;
    uint64_t next[AHEAD_MAX];
    size_t n = r ? fwd_on_read(&m->claim, node, page, false, next, sizeof next / sizeof next[0])
                 : 0,
           k = 0;
    for (; k < n; k++) {
        uint64_t a = next[k] * DSM_PAGE_SIZE;
        if (a < r->start || a >= r->end || dir_find(&m->dir, next[k])) break;
        if (unsettled(m, next[k])) break;
        if (dir_request(&m->dir, next[k], node, DSM_REQ_WRITE, acts)) break;
    }
    mark_ahead(acts, first);
    m->claimed += k;
    fwd_pushed(&m->claim, node, k);
}

void dirsvc_claimable(struct master *m, enum gs_change what, uint64_t start, uint64_t len, int prot,
                      enum gvma_kind kind) {
    if (!m->claim_on || (what != GS_MAPPED && what != GS_UNMAPPED && what != GS_PROTECTED)) return;
    uint64_t end = start + len;
    pthread_mutex_lock(&m->dir_lock);
    /* cut [start, end) out of every range (a protection change keeps it
     * out: its kind is not known here) */
    size_t k = 0;
    struct claim_range tail = {0, 0};
    for (size_t i = 0; i < m->nclaimable; i++) {
        struct claim_range c = m->claimable[i];
        if (c.end <= start || c.start >= end) {
            m->claimable[k++] = c;
            continue;
        }
        if (c.start < start) m->claimable[k++] = (struct claim_range){c.start, start};
        if (c.end > end) tail = (struct claim_range){end, c.end}; /* at most one range */
    }
    m->nclaimable = k;
    struct claim_range add[2] = {tail, {0, 0}};
    if (what == GS_MAPPED && (kind == GVMA_ANON || kind == GVMA_BRK) && (prot & PROT_WRITE) &&
        !(prot & PROT_EXEC))
        add[1] = (struct claim_range){start, end};
    for (int j = 0; j < 2; j++) {
        if (add[j].start >= add[j].end) continue;
        if (m->nclaimable == m->capclaimable) {
            size_t cap = m->capclaimable ? 2 * m->capclaimable : 16;
            void *v = realloc(m->claimable, cap * sizeof *m->claimable);
            if (!v) break; /* not claimable: first touches fault as before */
            m->claimable = v;
            m->capclaimable = cap;
        }
        size_t i = m->nclaimable;
        while (i > 0 && m->claimable[i - 1].start > add[j].start) {
            m->claimable[i] = m->claimable[i - 1];
            i--;
        }
        m->claimable[i] = add[j];
        m->nclaimable++;
    }
    pthread_mutex_unlock(&m->dir_lock);
}

/* dir_lock held: while a fork gathers, another node's request waits. */
static bool hold(struct master *m, uint64_t page, dsm_node_t node, enum dsm_req kind,
                 uint64_t layout) {
    if (!m->holding || node == 0) return false;
    m->held = array_grow(m->held, &m->capheld, m->nheld + 1, sizeof *m->held, 16);
    SHOAL_ASSERT(m->held);
    m->held[m->nheld++] = (struct held_req){page, layout, node, (uint8_t)kind};
    return true;
}

/* dir_lock held. 0, or -ESTALE: node 0 asked for a shadow page whose
 * split is being undone, or by address for a shared mapping's page;
 * -EAGAIN: for a page of a mapping being replaced (below). */
static int request_locked(struct master *m, uint64_t page, dsm_node_t node, enum dsm_req kind,
                          uint64_t layout) {
    struct dir_actions acts = {0};
    /* Node 0's fault handler checked the slot live, then asked; the
     * splitter may have stopped the split in between (node 0's stop is
     * made under dir_lock), and then gathered and dropped the page: a
     * grant now would hand node 0 a dead slot's page to write. A slave
     * cannot: its faults and its stop are read on one thread, in order. */
    if (node == 0 && m->msplit && split_node_shadow_dead(&m->dsm, page)) return -ESTALE;
    /* Node 0 asks for a page of a mapping being replaced, between the
     * forget ahead and the change: served, its copy would land on the
     * old mapping's host page (or on the new one, as node 0's), which
     * the change then replaces. The change wakes the thread, which
     * faults again on what it made (dsm_node_layout). */
    if (node == 0 && n0_closing(m, page)) return -EAGAIN;
    /* made on the node's layout before the change under way replaced
     * the page (above); node 0 changes with the directory */
    if (node != 0 && layout < m->closing && unsettled(m, page)) {
        send_stale(m, page, node, false);
        return 0;
    }
    /* a shared mapping's page asked for by its address: the node has not
     * applied the mapping's LAYOUT_ALIAS yet, and asks for its key then;
     * node 0's fault came before the mapping (made with its alias under
     * dir_lock: malias_apply) and goes by key now */
    if (!alias_is_key(page) && alias_key(&m->dsm.alias, page) != page) {
        if (node == 0) return -ESTALE;
        send_stale(m, page, node, true);
        return 0;
    }
    /* a page being split, or split: split.c */
    if (m->msplit && msplit_defer(m, page, node, kind)) return 0;
    if (hold(m, page, node, kind, layout)) return 0;
    if (m->msplit) msplit_on_request(m, page, node, kind);
    bool untouched = m->claim_on && kind == DSM_REQ_WRITE && !dir_find(&m->dir, page);
    int r = dir_request(&m->dir, page, node, kind, &acts);
    check(r, "request", page, node);
    if (!r && untouched) claim_ahead(m, page, node, &acts);
    /* for --stats: what this node's requests cost the others */
    for (size_t i = 0; i < acts.n && m->inv_caused && node < m->cfg.nodes; i++)
        if (acts.v[i].kind == DIR_ACT_INVALIDATE || acts.v[i].kind == DIR_ACT_FETCH)
            m->inv_caused[node]++;
    if (!r && m->fwd_on && kind == DSM_REQ_READ) forward_from(m, page, node, false, &acts);
    run_actions(m, &acts);
    dir_actions_fini(&acts);
    return 0;
}

static int request(struct master *m, uint64_t page, dsm_node_t node, enum dsm_req kind,
                   uint64_t layout) {
    pthread_mutex_lock(&m->dir_lock);
    int r = request_locked(m, page, node, kind, layout);
    pthread_mutex_unlock(&m->dir_lock);
    return r;
}

void dirsvc_request(struct master *m, uint64_t page, dsm_node_t node, enum dsm_req kind,
                    uint64_t layout) {
    request(m, page, node, kind, layout);
}

void dirsvc_hold_others(struct master *m, bool on) {
    /* forks of two threads at once: held until both are made */
    if (on || !m->holding) {
        m->holding += on;
        return;
    }
    if (--m->holding) return;
    /* made in their order; a request made now is not held again */
    for (size_t i = 0; i < m->nheld; i++)
        request_locked(m, m->held[i].page, m->held[i].node, (enum dsm_req)m->held[i].kind,
                       m->held[i].layout);
    m->nheld = 0;
}

void dirsvc_reached(struct master *m, uint64_t page, dsm_node_t node) {
    if (!m->fwd_on || node >= m->cfg.nodes) return;
    struct dir_actions acts = {0};
    pthread_mutex_lock(&m->dir_lock);
    forward_from(m, page, node, true, &acts);
    run_actions(m, &acts);
    pthread_mutex_unlock(&m->dir_lock);
    dir_actions_fini(&acts);
}

void dirsvc_request_locked(struct master *m, uint64_t page, dsm_node_t node, enum dsm_req kind) {
    struct dir_actions acts = {0};
    check(dir_request(&m->dir, page, node, kind, &acts), "request", page, node);
    run_actions(m, &acts);
    dir_actions_fini(&acts);
}

/* dir_lock held: a direct transfer may have completed (forget_locked
 * waits for them). */
static void direct_wake(struct master *m) {
    if (m->dir.hooks.direct) pthread_cond_broadcast(&m->direct_cond);
}

void dirsvc_install_ack(struct master *m, uint64_t page, dsm_node_t node) {
    struct dir_actions acts = {0};
    pthread_mutex_lock(&m->dir_lock);
    check(dir_install_ack(&m->dir, page, node, &acts), "install ack", page, node);
    direct_wake(m);
    if (m->msplit) msplit_wake(m);
    run_actions(m, &acts);
    pthread_mutex_unlock(&m->dir_lock);
    dir_actions_fini(&acts);
}

void dirsvc_inv_ack(struct master *m, uint64_t page, dsm_node_t node) {
    struct dir_actions acts = {0};
    pthread_mutex_lock(&m->dir_lock);
    check(dir_inv_ack(&m->dir, page, node, &acts), "ack", page, node);
    if (m->msplit) msplit_wake(m);
    run_actions(m, &acts);
    pthread_mutex_unlock(&m->dir_lock);
    dir_actions_fini(&acts);
}

/* dir_lock held. The directory's part of node's writeback of page, once
 * the home copy is settled. */
static void writeback_to_dir(struct master *m, uint64_t page, dsm_node_t node,
                             struct dir_actions *acts) {
    check(dir_writeback(&m->dir, page, node, acts), "writeback", page, node);
    direct_wake(m);
    if (m->msplit) msplit_wake(m);
}

/* dir_lock held. adopt: NULL, or where data's pool page is; then the page
 * itself becomes the home copy (no copy) and *adopt is set to the page to
 * give back to the pool (the old home copy, or NULL). */
static void writeback_locked(struct master *m, uint64_t page, dsm_node_t node, const void *data,
                             void **adopt, struct dir_actions *acts) {
    const struct dir_entry *e = dir_find(&m->dir, page);
    /* only the owner's data of a known page may become the home copy */
    if (e && e->state == DSM_M && e->owner == node) {
        unborrow(m, page, false); /* never borrowed while another node owns it */
        void *h = u64map_get(&m->home, page);
        /* a shared mapping's page (cluster/alias.h) has no one address to split */
        if (m->split_on && !alias_is_key(page)) mfs_on_writeback(m, e, node, h, data);
        if (adopt) {
            SHOAL_ASSERT(!u64map_put(&m->home, page, *adopt));
            *adopt = h;
        } else {
            if (!h) {
                h = page_pool_get(&m->home_pool);
                SHOAL_ASSERT(h && !u64map_put(&m->home, page, h));
            }
            memcpy(h, data, DSM_PAGE_SIZE);
        }
    }
    writeback_to_dir(m, page, node, acts);
}

/* dir_lock held. Node 0 was fetched from and keeps page in S ([dsm]
 * borrow_home): its copy, write-protected and unchanged until the
 * directory sends node 0 something for the page (unborrow), is the home
 * copy; the master keeps no second copy of the page, unless the mark
 * cannot be recorded (then node 0's bytes are copied). */
static void borrow_locked(struct master *m, uint64_t page, struct dir_actions *acts) {
    const struct dir_entry *e = dir_find(&m->dir, page);
    if (!e || e->state != DSM_M || e->owner != 0 ||
        u64map_put(&m->borrowed, page, (void *)&borrowed_mark)) {
        SHOAL_ASSERT(!dsm_pages_copy(&m->dsm.pages, page, m->borrow_buf));
        writeback_locked(m, page, 0, m->borrow_buf, NULL, acts);
        return;
    }
    page_pool_put(&m->home_pool, u64map_del(&m->home, page));
    m->borrows++;
    writeback_to_dir(m, page, 0, acts);
}

void dirsvc_writeback(struct master *m, uint64_t page, dsm_node_t node, const void *data) {
    struct dir_actions acts = {0};
    pthread_mutex_lock(&m->dir_lock);
    writeback_locked(m, page, node, data, NULL, &acts);
    run_actions(m, &acts);
    pthread_mutex_unlock(&m->dir_lock);
    dir_actions_fini(&acts);
}

void dirsvc_node_lost(struct master *m, dsm_node_t node) {
    struct dir_actions acts = {0};
    pthread_mutex_lock(&m->dir_lock);
    dir_node_lost(&m->dir, node, &acts);
    direct_wake(m);
    run_actions(m, &acts);
    pthread_mutex_unlock(&m->dir_lock);
    dir_actions_fini(&acts);
}

int dirsvc_node0_send_request(void *ctx, uint64_t page, enum dsm_req kind, uint64_t layout) {
    return request(ctx, page, 0, kind, layout);
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
        send_stale(m, page, (dsm_node_t)k, false);
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

/* dir_lock held: waits until node0_main has applied every message queued
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
        if (node0_idle(m)) return elsewhere;
        node0_catch_up(m);
    }
}

void dirsvc_node0_drain(struct master *m) {
    while (!node0_idle(m))
        pthread_cond_wait(&m->q_applied_cond, &m->dir_lock); /* node0_main: one applied */
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
 * it before (one FIFO link). Node 0's queue (node0_main) may still hold
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

bool dirsvc_mapped(struct master *m, bool elsewhere, void *arg) {
    const struct gs_range *r = arg;
    malias_apply(m);
    dsm_node_each_resident(&m->dsm, r->start, r->end - r->start, adopt_present, m);
    return elsewhere;
}

/* Node 0's link: applies the directory's messages in order, answers. */
static void *node0_main(void *arg) {
    struct master *m = arg;
    uint8_t *buf = malloc(DSM_PAGE_SIZE);
    SHOAL_ASSERT(buf);
    for (;;) {
        pthread_mutex_lock(&m->dir_lock);
        while (!m->q_head)
            pthread_cond_wait(&m->q_cond, &m->dir_lock);
        struct node0_msg *q = m->q_head;
        m->q_head = q->next;
        if (!m->q_head) m->q_tail = NULL;
        /* q is not counted applied yet: node0_inline waits its turn behind it */
        pthread_mutex_unlock(&m->dir_lock);
        struct dsm_pages *ps = &m->dsm.pages;
        int r = 0;
        switch (q->kind) {
        case DIR_ACT_SEND: r = dsm_pages_on_data(ps, q->page, q->state, q->data); break;
        case DIR_ACT_GRANT: r = dsm_pages_on_grant(ps, q->page, q->state); break;
        case DIR_ACT_INVALIDATE:
            r = dsm_pages_on_invalidate(ps, q->page);
            dirsvc_inv_ack(m, q->page, 0);
            break;
        case DIR_ACT_FETCH:
            r = dsm_pages_on_fetch(ps, q->page, q->state, buf);
            if (!r) dirsvc_writeback(m, q->page, 0, buf);
            break;
        }
        if (dsm_node_fatal(&m->dsm, r, q->page)) master_abort(m, 1);
        node0_applied(q->kind, q->page, r);
        free(q->data);
        free(q);
        pthread_mutex_lock(&m->dir_lock);
        m->q_applied++;
        pthread_cond_broadcast(&m->q_applied_cond);
        pthread_mutex_unlock(&m->dir_lock);
    }
    return NULL;
}

int dirsvc_start(struct master *m) {
    pthread_mutex_init(&m->dir_lock, NULL);
    pthread_cond_init(&m->q_cond, NULL);
    pthread_cond_init(&m->direct_cond, NULL);
    pthread_cond_init(&m->q_applied_cond, NULL);
    dir_init(&m->dir);
    u64map_init(&m->home);
    page_pool_init(&m->home_pool, 0);
    u64map_init(&m->borrowed);
    m->borrow_buf = page_pool_get(&m->home_pool);
    SHOAL_ASSERT(m->borrow_buf);
    m->inv_caused = calloc(m->cfg.nodes, sizeof *m->inv_caused);
    /* [dsm] forwarding: the run's configuration (documented defaults
     * when the embedder gave none) */
    const struct shoal_config *c = m->proc->stats.config;
    m->fwd_on = c ? c->dsm.forwarding : true;
    struct fwd_config fc = {.trigger = c ? (unsigned)c->dsm.forward_trigger : 3,
                            .window = c ? (unsigned)c->dsm.forward_window : 256};
    fwd_init(&m->fwd, &fc);
    /* [dsm] first_touch_ahead: two first touches in a row make a stream;
     * not with split = on (the shadow area is anonymous memory the
     * splitter hands out itself) */
    m->claim_on = (c ? c->dsm.first_touch_ahead : true) && !(c && c->dsm.split);
    /* [dsm] borrow_home: not with split = on (false-sharing detection
     * compares each writeback with the home copy before it) */
    m->borrow_on = (c ? c->dsm.borrow_home : true) && !(c && c->dsm.split);
    /* [dsm] push_batch: pages sent ahead per message */
    m->push_batch = c ? (uint32_t)c->dsm.push_batch : 16;
    m->tripwire = c && c->dsm.push_tripwire;
    SHOAL_ASSERT(m->push_batch >= 1 && m->push_batch <= NET_PAGES_MAX);
    struct fwd_config cc = {.trigger = 2, .window = 256};
    fwd_init(&m->claim, &cc);
    /* [dsm] direct_transfer: the directory names readers once every
     * slave-to-slave link is up (links.c) */
    m->direct_on = c && c->dsm.direct_transfer;
    m->link_hosts = calloc(m->cfg.nodes, sizeof *m->link_hosts);
    m->link_ports = calloc(m->cfg.nodes, sizeof *m->link_ports);
    SHOAL_ASSERT(m->link_hosts && m->link_ports);
    if (mlinks_wanted(m)) {
        m->dir.hooks.direct = mlinks_direct;
        m->dir.hooks.opaque = m;
    }
    mfs_start(m);
    /* SHOAL_NODE0_QUEUE=1 sends every node-0 message through node0_main
     * (the old path), for comparison */
    const char *q = getenv("SHOAL_NODE0_QUEUE");
    m->node0_inline = !(q && *q == '1');
    return -thread_start_detached(&m->node0_thread, 0, node0_main, m);
}

void dirsvc_home_counts(struct master *m, uint64_t *own, uint64_t *borrowed) {
    pthread_mutex_lock(&m->dir_lock);
    *own = m->home.n;
    *borrowed = m->borrowed.n;
    pthread_mutex_unlock(&m->dir_lock);
}

void dirsvc_stats_json(struct master *m, FILE *f) {
    pthread_mutex_lock(&m->dir_lock);
    struct fwd_stats s = m->fwd.stats;
    uint64_t pushes = m->dir.total.pushes, direct = m->dir.total.direct;
    pthread_mutex_unlock(&m->dir_lock);
    fprintf(f, "  \"direct_transfer\": {\"on\": %s, \"fetches\": %llu},\n",
            mlinks_wanted(m) ? "true" : "false", (unsigned long long)direct);
    fprintf(f,
            "  \"forwarding\": {\"on\": %s, \"trigger\": %u, \"window\": %u, \"streams\": %llu, "
            "\"pushed\": %llu, \"hits\": %llu, \"late\": %llu, \"reached\": %llu, "
            "\"mispredicted\": %llu, \"invalidated\": %llu, \"abandoned\": %llu},\n",
            m->fwd_on ? "true" : "false", m->fwd.cfg.trigger, m->fwd.cfg.window,
            (unsigned long long)s.streams, (unsigned long long)pushes, (unsigned long long)s.hits,
            (unsigned long long)s.late, (unsigned long long)s.reached,
            (unsigned long long)(s.invalidated + s.abandoned), (unsigned long long)s.invalidated,
            (unsigned long long)s.abandoned);
    pthread_mutex_lock(&m->dir_lock);
    uint64_t claimed = m->claimed, streams = m->claim.stats.streams;
    uint64_t borrows = m->borrows, copies = m->borrow_copies, ahead_msgs = m->ahead_msgs;
    uint64_t strided = m->ahead_strided, stale = m->stale_answers;
    pthread_mutex_unlock(&m->dir_lock);
    uint64_t homes, borrowed;
    dirsvc_home_counts(m, &homes, &borrowed);
    fprintf(f,
            "  \"home_copies\": {\"borrow_home\": %s, \"pages\": %llu, \"borrowed\": %llu, "
            "\"borrows\": %llu, \"copied_back\": %llu},\n",
            m->borrow_on ? "true" : "false", (unsigned long long)homes,
            (unsigned long long)borrowed, (unsigned long long)borrows, (unsigned long long)copies);
    fprintf(f, "  \"first_touch_ahead\": {\"on\": %s, \"streams\": %llu, \"claimed\": %llu},\n",
            m->claim_on ? "true" : "false", (unsigned long long)streams,
            (unsigned long long)claimed);
    fprintf(f,
            "  \"sent_ahead\": {\"push_batch\": %u, \"push_tripwire\": %s, \"messages\": %llu, "
            "\"strided\": %llu},\n",
            m->push_batch, m->tripwire ? "true" : "false", (unsigned long long)ahead_msgs,
            (unsigned long long)strided);
    /* requests made on a layout a change then replaced (dsm/DESIGN.md) */
    fprintf(f, "  \"stale_answers\": %llu,\n", (unsigned long long)stale);
}
