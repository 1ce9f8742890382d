#include "dsm/directory.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/array.h"

void dir_actions_fini(struct dir_actions *a) {
    free(a->v);
    memset(a, 0, sizeof *a);
}

static int emit_to(struct dir_actions *out, uint64_t page, dsm_node_t node, enum dir_act kind,
                   enum dsm_state state, dsm_node_t to) {
    if (out->n == out->cap) {
        struct dir_action *v = array_grow(out->v, &out->cap, out->n + 1, sizeof *v, 16);
        if (!v) return -ENOMEM;
        out->v = v;
    }
    out->v[out->n++] = (struct dir_action){page, node, (uint8_t)kind, (uint8_t)state, to, 0};
    return 0;
}

static int emit(struct dir_actions *out, uint64_t page, dsm_node_t node, enum dir_act kind,
                enum dsm_state state) {
    return emit_to(out, page, node, kind, state, DIR_NODE_NONE);
}

void dir_init(struct directory *d) {
    memset(d, 0, sizeof *d);
    u64map_init(&d->pages);
    node_set_init(&d->lost);
}

static void entry_free(struct dir_entry *e) {
    node_set_fini(&e->sharers);
    node_set_fini(&e->txn.acks);
    node_set_fini(&e->writers);
    node_set_fini(&e->pushed);
    free(e->q);
    free(e);
}

void dir_fini(struct directory *d) {
    size_t it = 0;
    void *v;
    while (u64map_next(&d->pages, &it, NULL, &v))
        entry_free(v);
    u64map_fini(&d->pages);
    node_set_fini(&d->lost);
}

const struct dir_entry *dir_find(const struct directory *d, uint64_t page) {
    return u64map_get(&d->pages, page);
}

/* Entries are created on first request, so memory follows pages touched. */
static struct dir_entry *entry_get(struct directory *d, uint64_t page) {
    struct dir_entry *e = u64map_get(&d->pages, page);
    if (e) return e;
    e = calloc(1, sizeof *e);
    if (!e) return NULL;
    e->page = page;
    e->state = DSM_I;
    if (u64map_put(&d->pages, page, e)) {
        free(e);
        return NULL;
    }
    return e;
}

/* Counters are bumped in the page and in the directory total at once. */
#define COUNT(d, e, field)                                                                         \
    do {                                                                                           \
        (e)->stats.field++;                                                                        \
        (d)->total.field++;                                                                        \
    } while (0)

/* --- queue ------------------------------------------------------------ */

static struct dir_req *q_at(struct dir_entry *e, uint32_t i) {
    return &e->q[(e->qhead + i) % e->qcap];
}

static int q_push(struct dir_entry *e, dsm_node_t node, enum dsm_req kind) {
    if (e->qlen == e->qcap) {
        uint32_t cap = e->qcap ? e->qcap * 2 : 4;
        struct dir_req *q = malloc(cap * sizeof *q);
        if (!q) return -ENOMEM;
        for (uint32_t i = 0; i < e->qlen; i++)
            q[i] = *q_at(e, i);
        free(e->q);
        e->q = q;
        e->qcap = cap;
        e->qhead = 0;
    }
    *q_at(e, e->qlen++) = (struct dir_req){node, (uint8_t)kind};
    return 0;
}

static struct dir_req q_pop(struct dir_entry *e) {
    struct dir_req r = e->q[e->qhead];
    e->qhead = (e->qhead + 1) % e->qcap;
    e->qlen--;
    return r;
}

/* Drops every queued request of node, keeping the order of the rest. */
static void q_purge(struct dir_entry *e, dsm_node_t node) {
    uint32_t keep = 0;
    for (uint32_t i = 0; i < e->qlen; i++) {
        struct dir_req r = *q_at(e, i);
        if (r.node != node) *q_at(e, keep++) = r;
    }
    e->qlen = keep;
}

static bool is_write(enum dsm_req k) {
    return k != DSM_REQ_READ;
}

/* --- transitions ------------------------------------------------------ */

/* The requester becomes the single writer; the sharer set is empty.
 * out NULL: the node already has the page (a direct transfer). */
static int become_owner(struct directory *d, struct dir_entry *e, dsm_node_t node, bool has_copy,
                        struct dir_actions *out) {
    int r = out ? emit(out, e->page, node, has_copy ? DIR_ACT_GRANT : DIR_ACT_SEND, DSM_M) : 0;
    if (r) return r;
    if (!node_set_count(&e->writers) || e->last_writer != node) COUNT(d, e, transfers);
    if ((r = node_set_add(&e->writers, node))) return r;
    e->last_writer = node;
    e->state = DSM_M;
    e->owner = node;
    node_set_clear(&e->sharers);
    return 0;
}

static void txn_begin(struct dir_entry *e, enum dir_wait wait, dsm_node_t node, enum dsm_req kind) {
    e->txn.wait = (uint8_t)wait;
    e->txn.kind = (uint8_t)kind;
    e->txn.node = node;
    e->txn.requester_lost = false;
    e->txn.wb_in = false;
    e->txn.installed = false;
}

/* Processes one request on a page with no transaction in flight. Either
 * completes it at once or starts a transaction. may_direct: a fetch may
 * send the owner's copy straight to the requester (not for pushes: the
 * node is not waiting, and the extra ack would only hold the page). */
static int start(struct directory *d, struct dir_entry *e, dsm_node_t node, enum dsm_req kind,
                 bool may_direct, struct dir_actions *out) {
    int r;
    /* any request (or push) ends what a push promised */
    bool was_pushed = node_set_has(&e->pushed, node);
    node_set_del(&e->pushed, node);
    switch (e->state) {
    case DSM_I:
        if (!is_write(kind)) {
            if ((r = emit(out, e->page, node, DIR_ACT_SEND, DSM_S))) return r;
            if ((r = node_set_add(&e->sharers, node))) return r;
            e->state = DSM_S;
            return 0;
        }
        return become_owner(d, e, node, false, out);
    case DSM_S: {
        if (!is_write(kind)) {
            /* a sharer asking again gets the (valid, identical) copy again:
             * resending is always safe, trusting its claim never is. Except
             * right after a push: the pushed copy is on the node's FIFO
             * link ahead of any answer and serves the request (a stream
             * that caught up with its pushes would otherwise get every
             * such page twice); a second request gets the copy again. */
            if (node_set_has(&e->sharers, node)) {
                COUNT(d, e, coalesced);
                if (was_pushed) return 0;
            }
            if ((r = emit(out, e->page, node, DIR_ACT_SEND, DSM_S))) return r;
            return node_set_add(&e->sharers, node);
        }
        bool others = node_set_count(&e->sharers) > (node_set_has(&e->sharers, node) ? 1u : 0u);
        if (!others)
            return become_owner(d, e, node,
                                kind == DSM_REQ_UPGRADE && node_set_has(&e->sharers, node), out);
        /* single writer: every other sharer drops its copy first */
        node_set_clear(&e->txn.acks);
        for (int64_t n = node_set_next(&e->sharers, 0); n >= 0;
             n = node_set_next(&e->sharers, (uint64_t)n + 1)) {
            if ((dsm_node_t)n == node) continue;
            if ((r = node_set_add(&e->txn.acks, (dsm_node_t)n))) return r;
            if ((r = emit(out, e->page, (dsm_node_t)n, DIR_ACT_INVALIDATE, DSM_I))) return r;
            COUNT(d, e, invalidations);
        }
        txn_begin(e, DIR_WAIT_ACKS, node, kind);
        return 0;
    }
    case DSM_M:
        if (e->owner == node) {
            /* the owner already has every right; tell it so again */
            COUNT(d, e, coalesced);
            return emit(out, e->page, node, DIR_ACT_GRANT, DSM_M);
        }
        /* the owner's copy is the only valid one: get it back first, or
         * have the owner send it to the requester directly */
        bool direct =
            may_direct && d->hooks.direct && d->hooks.direct(d->hooks.opaque, e->owner, node);
        if ((r = emit_to(out, e->page, e->owner, DIR_ACT_FETCH, is_write(kind) ? DSM_I : DSM_S,
                         direct ? node : DIR_NODE_NONE)))
            return r;
        COUNT(d, e, fetches);
        if (direct) COUNT(d, e, direct);
        txn_begin(e, direct ? DIR_WAIT_DIRECT : DIR_WAIT_WRITEBACK, node, kind);
        return 0;
    }
    return -EINVAL;
}

/* Runs queued requests until one starts a transaction or none is left. */
static int drain(struct directory *d, struct dir_entry *e, struct dir_actions *out) {
    while (e->txn.wait == DIR_WAIT_NONE && e->qlen) {
        struct dir_req q = q_pop(e);
        int r = start(d, e, q.node, (enum dsm_req)q.kind, true, out);
        if (r) return r;
    }
    return 0;
}

/* All invalidate-acks are in: the requester becomes the writer. */
static int complete_acks(struct directory *d, struct dir_entry *e, struct dir_actions *out) {
    dsm_node_t node = e->txn.node;
    e->txn.wait = DIR_WAIT_NONE;
    int r;
    if (e->txn.requester_lost) {
        node_set_del(&e->sharers, node);
        if (!node_set_count(&e->sharers)) e->state = DSM_I;
    } else {
        bool has_copy = e->txn.kind == DSM_REQ_UPGRADE && node_set_has(&e->sharers, node);
        if ((r = become_owner(d, e, node, has_copy, out))) return r;
    }
    return drain(d, e, out);
}

/* The owner's data is the home copy now. owner_kept: the owner stays a
 * sharer (a read fetch from a live owner). has_page: the requester
 * installed the owner's copy itself (direct transfer): nothing to send. */
static int complete_fetch(struct directory *d, struct dir_entry *e, bool owner_kept, bool has_page,
                          struct dir_actions *out) {
    dsm_node_t owner = e->owner, node = e->txn.node;
    e->txn.wait = DIR_WAIT_NONE;
    node_set_clear(&e->sharers);
    e->state = DSM_I;
    int r;
    if (owner_kept) {
        if ((r = node_set_add(&e->sharers, owner))) return r;
        e->state = DSM_S;
    }
    if (!e->txn.requester_lost) {
        if (is_write(e->txn.kind)) {
            if ((r = become_owner(d, e, node, false, has_page ? NULL : out))) return r;
        } else {
            if (!has_page && (r = emit(out, e->page, node, DIR_ACT_SEND, DSM_S))) return r;
            if ((r = node_set_add(&e->sharers, node))) return r;
            e->state = DSM_S;
        }
    }
    return drain(d, e, out);
}

/* A direct transfer completes when the home copy is valid again (the
 * owner's writeback) and the requester holds the page (its install ack),
 * or will never need it (it died). */
static int direct_maybe_complete(struct directory *d, struct dir_entry *e,
                                 struct dir_actions *out) {
    if (!e->txn.wb_in || !(e->txn.installed || e->txn.requester_lost)) return 0;
    return complete_fetch(d, e, !is_write(e->txn.kind), true, out);
}

/* --- inputs ----------------------------------------------------------- */

int dir_request(struct directory *d, uint64_t page, dsm_node_t node, enum dsm_req kind,
                struct dir_actions *out) {
    if (kind != DSM_REQ_READ && kind != DSM_REQ_WRITE && kind != DSM_REQ_UPGRADE) return -EINVAL;
    if (node_set_has(&d->lost, node)) return -ENOTCONN;
    struct dir_entry *e = entry_get(d, page);
    if (!e) return -ENOMEM;
    switch (kind) {
    case DSM_REQ_READ: COUNT(d, e, reads); break;
    case DSM_REQ_WRITE: COUNT(d, e, writes); break;
    case DSM_REQ_UPGRADE: COUNT(d, e, upgrades); break;
    }
    if (d->hooks.on_request) d->hooks.on_request(d->hooks.opaque, e, node, kind);
    if (e->txn.wait == DIR_WAIT_NONE) return start(d, e, node, kind, true, out);

    /* a transaction is in flight: coalesce with what the node already
     * asked for, else wait in line */
    if (e->txn.node == node && !e->txn.requester_lost &&
        (is_write(e->txn.kind) || !is_write(kind))) {
        COUNT(d, e, coalesced);
        return 0;
    }
    for (uint32_t i = 0; i < e->qlen; i++) {
        struct dir_req *q = q_at(e, i);
        if (q->node != node) continue;
        COUNT(d, e, coalesced);
        if (is_write(kind) && q->kind != kind)
            /* an upgrade is only valid for a node with a copy: mixing it with
             * anything else asks for data, which is always correct */
            q->kind = q->kind == kind ? kind : DSM_REQ_WRITE;
        return 0;
    }
    COUNT(d, e, queued);
    return q_push(e, node, kind);
}

int dir_push(struct directory *d, uint64_t page, dsm_node_t node, struct dir_actions *out) {
    if (node_set_has(&d->lost, node)) return -ENOTCONN;
    struct dir_entry *e = u64map_get(&d->pages, page);
    if (!e) return -ENOENT;
    if (e->txn.wait != DIR_WAIT_NONE || e->qlen) return -EBUSY;
    if ((e->state == DSM_S && node_set_has(&e->sharers, node)) ||
        (e->state == DSM_M && e->owner == node))
        return -EEXIST;
    COUNT(d, e, pushes);
    int r = start(d, e, node, DSM_REQ_READ, false, out);
    return r ? r : node_set_add(&e->pushed, node);
}

int dir_inv_ack(struct directory *d, uint64_t page, dsm_node_t node, struct dir_actions *out) {
    struct dir_entry *e = u64map_get(&d->pages, page);
    if (!e || e->txn.wait != DIR_WAIT_ACKS || !node_set_has(&e->txn.acks, node)) return -EPROTO;
    node_set_del(&e->txn.acks, node);
    node_set_del(&e->sharers, node);
    if (node_set_count(&e->txn.acks)) return 0;
    return complete_acks(d, e, out);
}

int dir_install_ack(struct directory *d, uint64_t page, dsm_node_t node, struct dir_actions *out) {
    struct dir_entry *e = u64map_get(&d->pages, page);
    if (!e || e->txn.wait != DIR_WAIT_DIRECT || e->txn.node != node || e->txn.requester_lost ||
        e->txn.installed)
        return -EPROTO;
    e->txn.installed = true;
    return direct_maybe_complete(d, e, out);
}

int dir_writeback(struct directory *d, uint64_t page, dsm_node_t node, struct dir_actions *out) {
    struct dir_entry *e = u64map_get(&d->pages, page);
    if (!e || e->owner != node) return -EPROTO;
    if (e->txn.wait == DIR_WAIT_DIRECT && !e->txn.wb_in) {
        e->txn.wb_in = true;
        return direct_maybe_complete(d, e, out);
    }
    if (e->txn.wait != DIR_WAIT_WRITEBACK) return -EPROTO;
    return complete_fetch(d, e, !is_write(e->txn.kind), false, out);
}

static int entry_node_lost(struct directory *d, struct dir_entry *e, dsm_node_t node,
                           struct dir_actions *out) {
    int r;
    q_purge(e, node);
    if (e->txn.wait != DIR_WAIT_NONE) {
        if (e->txn.node == node) e->txn.requester_lost = true;
        if (e->txn.wait == DIR_WAIT_ACKS && node_set_has(&e->txn.acks, node)) {
            node_set_del(&e->txn.acks, node);
            node_set_del(&e->sharers, node);
            if (!node_set_count(&e->txn.acks)) return complete_acks(d, e, out);
        } else if (e->txn.wait == DIR_WAIT_WRITEBACK && e->owner == node) {
            COUNT(d, e, lost);
            if ((r = emit(out, e->page, node, DIR_ACT_LOST, DSM_I))) return r;
            return complete_fetch(d, e, false, false, out);
        } else if (e->txn.wait == DIR_WAIT_DIRECT && e->owner == node) {
            /* without its writeback the home copy is older than the
             * owner's: reported. A requester still waiting gets the home
             * copy (the owner's may be lost with its link; if it comes
             * too, its ack finds no transaction) */
            if (!e->txn.wb_in) {
                COUNT(d, e, lost);
                if ((r = emit(out, e->page, node, DIR_ACT_LOST, DSM_I))) return r;
            }
            return complete_fetch(d, e, false, e->txn.installed, out);
        } else if (e->txn.wait == DIR_WAIT_DIRECT && e->txn.node == node) {
            /* the requester died: done once the owner's copy is home */
            return direct_maybe_complete(d, e, out);
        }
        /* otherwise the node is at most the requester, handled on completion */
        return 0;
    }
    if (e->state == DSM_M && e->owner == node) {
        COUNT(d, e, lost);
        if ((r = emit(out, e->page, node, DIR_ACT_LOST, DSM_I))) return r;
        e->state = DSM_I;
    } else if (e->state == DSM_S && node_set_has(&e->sharers, node)) {
        node_set_del(&e->sharers, node);
        if (!node_set_count(&e->sharers)) e->state = DSM_I;
    }
    return 0;
}

int dir_node_lost(struct directory *d, dsm_node_t node, struct dir_actions *out) {
    int r = node_set_add(&d->lost, node);
    if (r) return r;
    /* completing a transaction never creates or frees entries, so the
     * walk is stable */
    size_t it = 0;
    void *v;
    while (u64map_next(&d->pages, &it, NULL, &v))
        if ((r = entry_node_lost(d, v, node, out))) return r;
    return 0;
}

const char *dsm_state_name(enum dsm_state s) {
    static const char *const n[] = {"I", "S", "M"};
    return (unsigned)s < 3 ? n[s] : "?";
}

const char *dsm_req_name(enum dsm_req k) {
    static const char *const n[] = {"read", "write", "upgrade"};
    return (unsigned)k < 3 ? n[k] : "?";
}

const char *dir_act_name(enum dir_act k) {
    static const char *const n[] = {"send", "grant", "invalidate", "fetch", "lost"};
    return (unsigned)k < 5 ? n[k] : "?";
}

/* --- the address space changes under the directory --------------------- */

int dir_adopt(struct directory *d, uint64_t page, dsm_node_t node) {
    struct dir_entry *e = u64map_get(&d->pages, page);
    if (e && (e->txn.wait != DIR_WAIT_NONE || e->qlen || e->state != DSM_I)) return -EBUSY;
    if (!e && !(e = entry_get(d, page))) return -ENOMEM;
    int r = node_set_add(&e->writers, node);
    if (r) return r;
    e->last_writer = node;
    e->state = DSM_M;
    e->owner = node;
    return 0;
}

int dir_askers(const struct directory *d, uint64_t page, struct node_set *askers) {
    struct dir_entry *e = u64map_get(&d->pages, page);
    if (!e) return 0;
    if (e->txn.wait != DIR_WAIT_NONE && !e->txn.requester_lost && node_set_add(askers, e->txn.node))
        return -ENOMEM;
    for (uint32_t i = 0; i < e->qlen; i++)
        if (node_set_add(askers, q_at(e, i)->node)) return -ENOMEM;
    return 0;
}

bool dir_forget(struct directory *d, uint64_t page) {
    struct dir_entry *e = u64map_del(&d->pages, page);
    if (!e) return false;
    bool busy = e->txn.wait != DIR_WAIT_NONE || e->qlen;
    entry_free(e);
    return busy;
}
