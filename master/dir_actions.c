/* The directory's actions carried out (dir_lock held): to a slave on
 * its link, pages sent ahead in runs of one message each; to node 0
 * applied inline or queued for dirsvc_node0_main, the thread that is its
 * in-process FIFO link, so node 0 is an ordinary node. A SEND carries the
 * page's home copy, read here (a pool page, node 0's own copy when
 * borrowed, or zeros). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "master/dir_service_internal.h"
#include "master/master_internal.h"

static const uint8_t zero_page[DSM_PAGE_SIZE];

/* dir_lock held. The page's home copy: a pool page; node 0's own copy
 * when borrowed (read into buf); else zeros (never written). */
static const void *home_into(struct master *m, uint64_t page, void *buf) {
    const void *h = u64map_get(&m->home, page);
    if (h) return h;
    if (m->borrowed.n && u64map_get(&m->borrowed, page)) {
        /* node 0 holds every borrowed page in S (dirsvc_unborrow) */
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

/* dir_lock held: nothing queued for dirsvc_node0_main, nor being applied by it
 * (it counts a message applied only once it is done with it). */
bool dirsvc_node0_idle(const struct master *m) {
    return m->q_applied == m->q_pushed;
}

static Shoal__PageState wire_state(uint8_t st) {
    return st == DSM_M   ? SHOAL__PAGE_STATE__PAGE_MODIFIED
           : st == DSM_S ? SHOAL__PAGE_STATE__PAGE_SHARED
                         : SHOAL__PAGE_STATE__PAGE_INVALID;
}

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
 * or being applied by dirsvc_node0_main) and cannot stall the directory (a page
 * that may hold translated code goes through the queue: dropping it
 * flushes translations). This saves two thread hand-offs on every miss
 * served by node 0's copy (loop thread -> dirsvc_node0_main -> loop thread) and
 * one on node 0's own misses. Their answers join acts, behind this one. */
static bool node0_inline(struct master *m, const struct dir_action *a, struct dir_actions *acts) {
    if (!m->node0_inline || !dirsvc_node0_idle(m) || dsm_node_page_in_exec(&m->dsm, a->page))
        return false;
    struct dsm_pages *ps = &m->dsm.pages;
    void *buf = NULL;
    int r = 0;
    switch (a->kind) {
    case DIR_ACT_SEND: r = dsm_pages_on_data(ps, a->page, a->state, home_of(m, a->page)); break;
    case DIR_ACT_GRANT: r = dsm_pages_on_grant(ps, a->page, a->state); break;
    case DIR_ACT_INVALIDATE:
        r = dsm_pages_on_invalidate(ps, a->page);
        dirsvc_check_result(dir_inv_ack(&m->dir, a->page, 0, acts), "ack", a->page, 0);
        break;
    case DIR_ACT_FETCH:
        if (a->state == DSM_S && m->borrow_on && !alias_is_key(a->page)) {
            /* node 0 keeps the page in S: its copy is the home copy */
            r = dsm_pages_on_fetch(ps, a->page, DSM_S, NULL);
            if (!r) dirsvc_borrow_locked(m, a->page, acts);
            break;
        }
        /* node 0's copy is taken into a page that becomes the home copy
         * itself: one 4 KiB copy per fetch instead of two */
        buf = page_pool_get(&m->home_pool);
        SHOAL_ASSERT(buf);
        r = dsm_pages_on_fetch(ps, a->page, a->state, buf);
        if (!r) dirsvc_writeback_locked(m, a->page, 0, buf, &buf, acts);
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
        !m->node0_inline || !dirsvc_node0_idle(m))
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
        dirsvc_borrow_locked(m, a.page + (uint64_t)((int64_t)k * step), acts);
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
            dirsvc_unborrow(m, a.page, !(a.kind == DIR_ACT_GRANT && a.state == DSM_M));
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
void dirsvc_run_actions(struct master *m, struct dir_actions *acts) {
    for (uint8_t ahead = 0; ahead < 2; ahead++)
        for (size_t i = 0; i < acts->n;)
            i += acts->v[i].ahead == ahead ? run_action(m, acts, i) : 1;
    acts->n = 0;
}

/* Node 0's link: applies the directory's messages in order, answers. */
void *dirsvc_node0_main(void *arg) {
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
