/* Driving the directory: inputs from every node (remote ones from the
 * loop thread, node 0's from its fault handler and its queue thread) go
 * through dir_lock, and the actions they produce are sent before the
 * lock is dropped, so each node receives them in directory order (the
 * FIFO links dsm/DESIGN.md assumes). Here: requests (and the pages they
 * push or claim ahead), acks, writebacks and the home copies they make,
 * the start and --stats. Carrying the actions out, node 0's link among
 * them: dir_actions.c; layout changes: dir_layout.c. */
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
#include "master/dir_service_internal.h"
#include "master/master_internal.h"

/* Most pages pushed (forwarding) or claimed (first touch) per request:
 * the window's default ceiling. A stream that keeps pace with its pushes
 * is heard of only at its next miss, so this is how far apart its misses
 * are (64 made a 64 MiB forwarded walk miss 278 times, 256 about 95:
 * docs/bench.md, "Pushes in runs"). */
#define AHEAD_MAX 256

static const char borrowed_mark; /* the value of m->borrowed's entries */

/* dir_lock held. Node 0's copy of a borrowed page is about to change (the
 * directory sends node 0 an action for it): the home copy becomes a page
 * of its own, copied from node 0's while node 0 still holds the bytes;
 * not when node 0 becomes the owner (keep false: the owner's copy is the
 * page, and a fetch makes the next home copy). */
void dirsvc_unborrow(struct master *m, uint64_t page, bool keep) {
    if (!m->borrowed.n || !u64map_del(&m->borrowed, page) || !keep) return;
    m->borrow_copies++;
    void *h = page_pool_get(&m->home_pool);
    SHOAL_ASSERT(h && !dsm_pages_copy(&m->dsm.pages, page, h));
    SHOAL_ASSERT(!u64map_put(&m->home, page, h));
}

void dirsvc_check_result(int r, const char *what, uint64_t page, dsm_node_t node) {
    /* -EPROTO is expected for pages the address space forgot meanwhile */
    if (r && r != -EPROTO && r != -ENOTCONN)
        log_error("dsm: directory %s of page 0x%llx from node %u: %s", what,
                  (unsigned long long)page, node, strerror(-r));
}

/* The actions from first on are sent ahead of any request. */
static void mark_ahead(struct dir_actions *acts, size_t first) {
    for (size_t i = first; i < acts->n; i++)
        acts->v[i].ahead = 1;
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
        if (dirsvc_unsettled(m, next[k]) || dirsvc_adding_for(m, node, next[k])) break;
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
        if (dirsvc_unsettled(m, next[k]) || dirsvc_adding_for(m, node, next[k])) break;
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
    if (node == 0 && dirsvc_node0_closing(m, page)) return -EAGAIN;
    /* made on the node's layout before the change under way replaced
     * the page (above); node 0 changes with the directory */
    if (node != 0 && layout < m->closing && dirsvc_unsettled(m, page)) {
        dirsvc_send_stale(m, page, node, false);
        return 0;
    }
    /* made before the node mapped the page, so for a page it did not have
     * (dir_adding.c): it asks again, on what it has by then */
    if (dirsvc_added_after(m, node, page, layout)) {
        dirsvc_send_stale(m, page, node, true);
        return 0;
    }
    /* a shared mapping's page asked for by its address: the node has not
     * applied the mapping's LAYOUT_ALIAS yet, and asks for its key then;
     * node 0's fault came before the mapping (made with its alias under
     * dir_lock: malias_apply) and goes by key now */
    if (!alias_is_key(page) && alias_key(&m->dsm.alias, page) != page) {
        if (node == 0) return -ESTALE;
        dirsvc_send_stale(m, page, node, true);
        return 0;
    }
    /* a page being split, or split: split.c */
    if (m->msplit && msplit_defer(m, page, node, kind)) return 0;
    if (hold(m, page, node, kind, layout)) return 0;
    if (m->msplit) msplit_on_request(m, page, node, kind);
    bool untouched = m->claim_on && kind == DSM_REQ_WRITE && !dir_find(&m->dir, page);
    int r = dir_request(&m->dir, page, node, kind, &acts);
    dirsvc_check_result(r, "request", page, node);
    if (!r && untouched) claim_ahead(m, page, node, &acts);
    /* for --stats: what this node's requests cost the others */
    for (size_t i = 0; i < acts.n && m->inv_caused && node < m->cfg.nodes; i++)
        if (acts.v[i].kind == DIR_ACT_INVALIDATE || acts.v[i].kind == DIR_ACT_FETCH)
            m->inv_caused[node]++;
    if (!r && m->fwd_on && kind == DSM_REQ_READ) forward_from(m, page, node, false, &acts);
    dirsvc_run_actions(m, &acts);
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
    dirsvc_run_actions(m, &acts);
    pthread_mutex_unlock(&m->dir_lock);
    dir_actions_fini(&acts);
}

void dirsvc_request_locked(struct master *m, uint64_t page, dsm_node_t node, enum dsm_req kind) {
    struct dir_actions acts = {0};
    dirsvc_check_result(dir_request(&m->dir, page, node, kind, &acts), "request", page, node);
    dirsvc_run_actions(m, &acts);
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
    dirsvc_check_result(dir_install_ack(&m->dir, page, node, &acts), "install ack", page, node);
    direct_wake(m);
    if (m->msplit) msplit_wake(m);
    dirsvc_run_actions(m, &acts);
    pthread_mutex_unlock(&m->dir_lock);
    dir_actions_fini(&acts);
}

void dirsvc_inv_ack(struct master *m, uint64_t page, dsm_node_t node) {
    struct dir_actions acts = {0};
    pthread_mutex_lock(&m->dir_lock);
    dirsvc_check_result(dir_inv_ack(&m->dir, page, node, &acts), "ack", page, node);
    if (m->msplit) msplit_wake(m);
    dirsvc_run_actions(m, &acts);
    pthread_mutex_unlock(&m->dir_lock);
    dir_actions_fini(&acts);
}

/* dir_lock held. The directory's part of node's writeback of page, once
 * the home copy is settled. */
static void writeback_to_dir(struct master *m, uint64_t page, dsm_node_t node,
                             struct dir_actions *acts) {
    dirsvc_check_result(dir_writeback(&m->dir, page, node, acts), "writeback", page, node);
    direct_wake(m);
    if (m->msplit) msplit_wake(m);
}

/* dir_lock held. adopt: NULL, or where data's pool page is; then the page
 * itself becomes the home copy (no copy) and *adopt is set to the page to
 * give back to the pool (the old home copy, or NULL). */
void dirsvc_writeback_locked(struct master *m, uint64_t page, dsm_node_t node, const void *data,
                             void **adopt, struct dir_actions *acts) {
    const struct dir_entry *e = dir_find(&m->dir, page);
    /* only the owner's data of a known page may become the home copy */
    if (e && e->state == DSM_M && e->owner == node) {
        dirsvc_unborrow(m, page, false); /* never borrowed while another node owns it */
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
 * directory sends node 0 something for the page (dirsvc_unborrow), is the home
 * copy; the master keeps no second copy of the page, unless the mark
 * cannot be recorded (then node 0's bytes are copied). */
void dirsvc_borrow_locked(struct master *m, uint64_t page, struct dir_actions *acts) {
    const struct dir_entry *e = dir_find(&m->dir, page);
    if (!e || e->state != DSM_M || e->owner != 0 ||
        u64map_put(&m->borrowed, page, (void *)&borrowed_mark)) {
        SHOAL_ASSERT(!dsm_pages_copy(&m->dsm.pages, page, m->borrow_buf));
        dirsvc_writeback_locked(m, page, 0, m->borrow_buf, NULL, acts);
        return;
    }
    page_pool_put(&m->home_pool, u64map_del(&m->home, page));
    m->borrows++;
    writeback_to_dir(m, page, 0, acts);
}

void dirsvc_writeback(struct master *m, uint64_t page, dsm_node_t node, const void *data) {
    struct dir_actions acts = {0};
    pthread_mutex_lock(&m->dir_lock);
    dirsvc_writeback_locked(m, page, node, data, NULL, &acts);
    dirsvc_run_actions(m, &acts);
    pthread_mutex_unlock(&m->dir_lock);
    dir_actions_fini(&acts);
}

void dirsvc_node_lost(struct master *m, dsm_node_t node) {
    struct dir_actions acts = {0};
    pthread_mutex_lock(&m->dir_lock);
    dir_node_lost(&m->dir, node, &acts);
    direct_wake(m);
    dirsvc_run_actions(m, &acts);
    pthread_mutex_unlock(&m->dir_lock);
    dir_actions_fini(&acts);
}

int dirsvc_node0_send_request(void *ctx, uint64_t page, enum dsm_req kind, uint64_t layout) {
    return request(ctx, page, 0, kind, layout);
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
    m->async_adds = c && c->dsm.async_adds;
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
    /* SHOAL_NODE0_QUEUE=1 sends every node-0 message through dirsvc_node0_main
     * (the old path), for comparison */
    const char *q = getenv("SHOAL_NODE0_QUEUE");
    m->node0_inline = !(q && *q == '1');
    return -thread_start_detached(&m->node0_thread, 0, dirsvc_node0_main, m);
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
    /* changes that only add are not waited for; a node that missed one
     * asked for the changes sent before (master/DESIGN.md) */
    pthread_mutex_lock(&m->lock);
    uint64_t changes = m->layout_req, adds = m->layout_adds;
    pthread_mutex_unlock(&m->lock);
    fprintf(f,
            "  \"layout_changes\": {\"async_adds\": %s, \"sent\": %llu, \"not_waited\": %llu, "
            "\"syncs\": %llu},\n",
            m->async_adds ? "true" : "false", (unsigned long long)changes, (unsigned long long)adds,
            (unsigned long long)atomic_load(&m->layout_syncs));
}
