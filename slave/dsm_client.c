/* The DSM's client on a slave: page requests to the master's directory,
 * its grants, invalidations and fetches, the owner's and the reader's
 * halves of a direct transfer, and page splitting (cluster/split_node.h).
 * All of it runs on the loop thread (slave/DESIGN.md). */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "cluster/dsm_node.h"
#include "cluster/split_node.h"
#include "common/log.h"
#include "net/transport.h"
#include "slave/slave_internal.h"

/* ---- DSM ---- */

/* reached: not a request, a thread walked into a run of pushed pages
 * (its tripwire), so the master's stream detector pushes on. */
static int send_page_request(struct slave *s, uint64_t page, enum dsm_req kind, bool reached,
                             uint64_t layout) {
    Shoal__PageRequest q = SHOAL__PAGE_REQUEST__INIT;
    q.page = page;
    q.layout = layout;
    q.access = kind == DSM_REQ_READ ? SHOAL__ACCESS__ACCESS_READ : SHOAL__ACCESS__ACCESS_WRITE;
    q.req_id = kind; /* the master tells an upgrade from a write miss by it */
    q.reached = reached;
    Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
    env.msg_case = SHOAL__ENVELOPE__MSG_PAGE_REQUEST;
    env.page_request = &q;
    return slave_send_master_page(s, &env, NULL);
}

int slave_dsm_send_request(void *ctx, uint64_t page, enum dsm_req kind, uint64_t layout) {
    return send_page_request(ctx, page, kind, false, layout);
}

void slave_dsm_send_reached(void *ctx, uint64_t page) {
    send_page_request(ctx, page, DSM_REQ_READ, true, 0);
}

/* The guest's page faults are read on the loop thread, the one that also
 * receives the pages: the thread that sends a request reads its answer
 * (one thread hand-off less per fault than a separate handler thread),
 * and at once: the master usually answered while the request's send ran
 * (both loops share a CPU), so the page is read without a trip through
 * epoll (docs/bench.md). */
void slave_dsm_on_faults(void *arg) {
    struct slave *s = arg;
    dsm_fault_region_dispatch(s->dsm.region);
    pthread_mutex_lock(&s->lock);
    struct net_conn *c = s->master;
    if (c) net_conn_ref(c);
    pthread_mutex_unlock(&s->lock);
    if (!c) return;
    net_poll(c);
    net_conn_unref(c);
}

/* A page its owner sent here directly (a FETCH naming this node): once
 * installed, the master hears it, and only then lets anyone take it away
 * (dsm/DESIGN.md, "Direct transfer"). Acked even when the page was not
 * wanted any more (forgotten meanwhile): the transfer must complete. */
static void direct_installed(struct slave *s, const Shoal__PageGrant *g) {
    Shoal__PageAck a = SHOAL__PAGE_ACK__INIT;
    a.page = g->page;
    a.state = g->state;
    a.installed = true;
    Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
    env.msg_case = SHOAL__ENVELOPE__MSG_PAGE_ACK;
    env.page_ack = &a;
    slave_send_master_page(s, &env, NULL);
}

/* The owner's half of a direct transfer: the page to the reader on their
 * link, before the writeback to the master (the reader waits for it; the
 * master only for both). */
static void direct_send(struct slave *s, uint32_t to, uint64_t page, enum dsm_state keep) {
    Shoal__PageGrant g = SHOAL__PAGE_GRANT__INIT;
    g.page = page;
    g.state = keep == DSM_S ? SHOAL__PAGE_STATE__PAGE_SHARED : SHOAL__PAGE_STATE__PAGE_MODIFIED;
    Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
    env.msg_case = SHOAL__ENVELOPE__MSG_PAGE_GRANT;
    env.page_grant = &g;
    struct net_conn *c = net_node_peer(s->net, to);
    int r = c ? net_send_page(c, &env, s->fetch_buf) : -ENOTCONN;
    if (c) net_conn_unref(c);
    /* a link that is gone is reported by on_peer_lost, which ends the run */
    if (r)
        log_error("dsm: page 0x%llx to node %u: %s", (unsigned long long)(page * DSM_PAGE_SIZE), to,
                  strerror(-r));
}

static void h_grant(struct net_conn *c, struct net_frame *f, void *arg) {
    struct slave *s = arg;
    if (!s->proc) return;
    const Shoal__PageGrant *g = f->env->page_grant;
    if (g->stale || g->retry) { /* a request made before a layout change */
        dsm_pages_on_stale(&s->dsm.pages, g->page, g->retry ? 0 : g->stale);
        return;
    }
    enum dsm_state st = g->state == SHOAL__PAGE_STATE__PAGE_MODIFIED ? DSM_M : DSM_S;
    /* a run of pages sent ahead: count > 1 of them, or zeros with no
     * payload (net/msg.c checked the payload against both); a shared
     * mapping's pages have no tripwire */
    bool trip = g->trip && !alias_is_key(g->page);
    uint32_t n = g->count > 1 ? g->count : 1, stride = g->stride > 1 ? g->stride : 1;
    int r = g->zero ? dsm_pages_on_data_strided(&s->dsm.pages, g->page, n, stride, st, NULL, trip)
            : !f->payload ? dsm_pages_on_grant(&s->dsm.pages, g->page, st)
            : g->count > 1
                ? dsm_pages_on_data_strided(&s->dsm.pages, g->page, n, stride, st, f->payload, trip)
                : dsm_pages_on_data(&s->dsm.pages, g->page, st, f->payload);
    uint32_t from = net_conn_peer_id(c);
    if (dsm_node_fatal(&s->dsm, r, g->page)) _exit(1);
    /* -ENOENT: nothing is mapped there now; the fault was read after
     * the change that unmapped the page (as node0_applied has it) */
    if (r == -ENOENT)
        log_debug("dsm: page 0x%llx from node %u: its mapping went away first",
                  (unsigned long long)(g->page * DSM_PAGE_SIZE), from);
    else if (r && r != -EPROTO)
        log_error("dsm: page 0x%llx from node %u: %s",
                  (unsigned long long)(g->page * DSM_PAGE_SIZE), from, strerror(-r));
    if (from != 0) direct_installed(s, g);
}

/* INVALIDATE goes to sharers, FETCH to the owner: links are FIFO, so this
 * node's state tells which one the directory sent. */
static void h_invalidate(struct net_conn *c, struct net_frame *f, void *arg) {
    struct slave *s = arg;
    if (!s->proc) return;
    const Shoal__PageInvalidate *inv = f->env->page_invalidate;
    Shoal__PageAck a = SHOAL__PAGE_ACK__INIT;
    a.page = inv->page;
    a.req_id = inv->req_id;
    Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
    env.msg_case = SHOAL__ENVELOPE__MSG_PAGE_ACK;
    env.page_ack = &a;
    const void *data = NULL;
    if (dsm_pages_state(&s->dsm.pages, inv->page) == DSM_M) {
        enum dsm_state keep = inv->state == SHOAL__PAGE_STATE__PAGE_SHARED ? DSM_S : DSM_I;
        int r = dsm_pages_on_fetch(&s->dsm.pages, inv->page, keep, s->fetch_buf);
        if (dsm_node_fatal(&s->dsm, r, inv->page)) _exit(1);
        if (r) {
            /* the page left M after the check (a layout change forgot
             * it): the buffer holds an earlier page's bytes, never to be
             * sent as this one's */
            memset(s->fetch_buf, 0, DSM_PAGE_SIZE);
            log_error("dsm: fetch of page 0x%llx: %s", (unsigned long long)inv->page, strerror(-r));
        }
        a.state = keep == DSM_S ? SHOAL__PAGE_STATE__PAGE_SHARED : SHOAL__PAGE_STATE__PAGE_INVALID;
        data = s->fetch_buf;
        if (inv->to) direct_send(s, inv->to, inv->page, keep);
        atomic_fetch_add(&s->dsm.pages_tx, 1);
    } else {
        if (dsm_node_fatal(&s->dsm, dsm_pages_on_invalidate(&s->dsm.pages, inv->page), inv->page))
            _exit(1);
        a.state = SHOAL__PAGE_STATE__PAGE_INVALID;
    }
    slave_send_master_page(s, &env, data);
}

/* ---- page splitting (cluster/split_node.h) ---- */

/* A release of page (release), or the answer to unsplit request req_id. */
static void send_split_reply(struct slave *s, uint64_t page, uint64_t req_id, bool release) {
    Shoal__PageSplitReply r = SHOAL__PAGE_SPLIT_REPLY__INIT;
    r.page = page;
    r.req_id = req_id;
    r.release = release;
    Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
    env.msg_case = SHOAL__ENVELOPE__MSG_PAGE_SPLIT_REPLY;
    env.page_split_reply = &r;
    slave_send_master_page(s, &env, NULL);
}

void slave_dsm_split_release(void *ctx, uint64_t page) {
    send_split_reply(ctx, page, 0, true);
}

static void h_split(struct net_conn *c, struct net_frame *f, void *arg) {
    struct slave *s = arg;
    if (!s->proc) return;
    const Shoal__PageSplit *ps = f->env->page_split;
    if (!ps->unsplit) {
        split_node_apply(&s->dsm, ps->page, ps->shadow, ps->grain);
    } else if (ps->done) {
        split_node_done(&s->dsm, ps->page);
    } else {
        split_node_stop(&s->dsm, ps->page);
        send_split_reply(s, ps->page, ps->req_id, false);
    }
}

void slave_dsm_register(struct slave *s) {
    /* h_grant is done with the page when it returns: no copy of it */
    net_node_on_borrowed(s->net, SHOAL__ENVELOPE__MSG_PAGE_GRANT, h_grant, s);
    net_node_on(s->net, SHOAL__ENVELOPE__MSG_PAGE_INVALIDATE, h_invalidate, s);
    net_node_on(s->net, SHOAL__ENVELOPE__MSG_PAGE_SPLIT, h_split, s);
}
