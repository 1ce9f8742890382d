/* One address space on every node. The master decides every change
 * (mmap family, brk, madvise DONTNEED, all global syscalls that run here)
 * and guest_mem calls layout_hook with its write lock held, so changes
 * are applied everywhere in the order the master made them: here first
 * (directory entries and home copies of discarded pages forgotten, node
 * 0's fault capture and page states), then on every slave, whose acks
 * the hook waits for before the syscall returns, unless the change only
 * adds (master/DESIGN.md, "Changes that only add"). */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "master/master_internal.h"

static Shoal__LayoutOp op_of(enum gs_change what) {
    switch (what) {
    case GS_MAPPED: return SHOAL__LAYOUT_OP__LAYOUT_MAP;
    case GS_UNMAPPED: return SHOAL__LAYOUT_OP__LAYOUT_UNMAP;
    case GS_PROTECTED: return SHOAL__LAYOUT_OP__LAYOUT_PROTECT;
    case GS_PAST_EOF:
    case GS_WITHIN_EOF: return SHOAL__LAYOUT_OP__LAYOUT_PAST_EOF;
    default: return SHOAL__LAYOUT_OP__LAYOUT_DISCARD;
    }
}

/* Pages about to move: node 0 gathers the newest copy of each (S is
 * enough: after the move they are node 0's, in M, at the new place). */
static void gather(struct master *m, uint64_t start, uint64_t len) {
    for (uint64_t a = start; a < start + len; a += DSM_PAGE_SIZE) {
        uint64_t page = a / DSM_PAGE_SIZE;
        pthread_mutex_lock(&m->dir_lock);
        const struct dir_entry *e = dir_find(&m->dir, page);
        bool remote = e && !(e->state == DSM_M && e->owner == 0);
        bool home = u64map_get(&m->home, page) != NULL;
        pthread_mutex_unlock(&m->dir_lock);
        if (remote || home) {
            int r = dsm_pages_acquire(&m->dsm.pages, page, false);
            if (r)
                log_error("dsm: mremap: cannot gather page 0x%llx: %s", (unsigned long long)a,
                          strerror(-r));
        }
    }
}

/* Sends the change to every slave (the wait is layout_wait's). */
static void send_change(struct master *m, Shoal__LayoutChange *lc) {
    Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
    env.msg_case = SHOAL__ENVELOPE__MSG_LAYOUT_CHANGE;
    env.layout_change = lc;
    pthread_mutex_lock(&m->lock);
    lc->req_id = ++m->layout_req;
    m->layout_waiting = 0;
    for (unsigned n = 1; n < m->cfg.nodes; n++)
        if (m->peers[n] && net_send(m->peers[n], &env) == 0) m->layout_waiting++;
    pthread_mutex_unlock(&m->lock);
}

/* Until every slave has acked the change sent last; then the pages the
 * change replaced are settled (dir_layout.c). */
static void layout_wait(struct master *m) {
    pthread_mutex_lock(&m->lock);
    /* a node lost meanwhile stops counting (master.c ends the run) */
    while (m->layout_waiting && !atomic_load(&m->exiting))
        pthread_cond_wait(&m->cond, &m->lock);
    uint64_t id = m->layout_req;
    pthread_mutex_unlock(&m->lock);
    dirsvc_settled(m, id);
}

static void send_wait(struct master *m, Shoal__LayoutChange *lc) {
    send_change(m, lc);
    layout_wait(m);
}

static void change_of(Shoal__LayoutChange *lc, enum gs_change what, uint64_t start, uint64_t len,
                      int prot, enum gvma_kind kind) {
    lc->op = op_of(what);
    lc->addr = start;
    lc->len = len;
    lc->prot = prot;
    lc->kind = kind;
    lc->past_eof = what == GS_PAST_EOF;
}

static void broadcast(struct master *m, enum gs_change what, uint64_t start, uint64_t len, int prot,
                      enum gvma_kind kind) {
    Shoal__LayoutChange lc = SHOAL__LAYOUT_CHANGE__INIT;
    change_of(&lc, what, start, len, prot, kind);
    send_wait(m, &lc);
}

/* dir_lock held (dirsvc_relayout): a discard goes to the slaves right
 * after the directory forgot its pages, before any message it sends
 * for them from then on (a slave applies a discard where it comes among
 * them). Not at all when no node but node 0 holds or asks for them: no
 * other node has anything to zero. */
static bool announce_discard(struct master *m, bool elsewhere, void *arg) {
    if (!elsewhere) return false;
    send_change(m, arg);
    return true;
}

void layout_alias(struct master *m, uint64_t start, uint64_t len, uint64_t key) {
    Shoal__LayoutChange lc = SHOAL__LAYOUT_CHANGE__INIT;
    lc.op = SHOAL__LAYOUT_OP__LAYOUT_ALIAS;
    lc.addr = start;
    lc.len = len;
    lc.alias_key = key;
    send_wait(m, &lc);
}

void layout_on_ack(struct master *m, dsm_node_t node, uint64_t req_id) {
    pthread_mutex_lock(&m->lock);
    if (req_id == m->layout_req && m->layout_waiting) {
        m->layout_waiting--;
        pthread_cond_broadcast(&m->cond);
    }
    pthread_mutex_unlock(&m->lock);
    dirsvc_acked(m, node, req_id);
}

/* A change that only adds (gs_layout_fn): made here, sent, and not
 * waited for. A slave that meets an address it lacks or protects too
 * narrowly catches up first (slave/layout.c); until it acks, nothing
 * goes there unasked (dir_adding.c). False, with nothing done: an mmap
 * whose range the directory holds pages of (dirsvc_map_free), to be
 * made as any other. */
static bool layout_adds(struct master *m, enum gs_change what, uint64_t start, uint64_t len,
                        int prot, enum gvma_kind kind) {
    if (what == GS_MAPPED) {
        if (!dirsvc_map_free(m, start, len, prot)) return false;
    } else {
        dsm_node_layout(&m->dsm, what, start, len, prot);
    }
    dirsvc_claimable(m, what, start, len, prot, kind);
    Shoal__LayoutChange lc = SHOAL__LAYOUT_CHANGE__INIT;
    change_of(&lc, what, start, len, prot, kind);
    /* recorded before any node can have it: a node that applies it at
     * once may ask for a page of it, whose pushes must skip the others */
    pthread_mutex_lock(&m->lock);
    uint64_t id = m->layout_req + 1; /* send_change's: hooks run one at a time */
    m->layout_adds++;
    pthread_mutex_unlock(&m->lock);
    dirsvc_adding(m, start, len, id, what == GS_MAPPED);
    send_change(m, &lc);
    SHOAL_ASSERT(lc.req_id == id);
    return true;
}

void layout_hook(void *opaque, enum gs_change what, uint64_t start, uint64_t len, int prot,
                 enum gvma_kind kind, bool adds) {
    struct master *m = opaque;
    if (adds && m->async_adds && (what == GS_MAPPED || what == GS_PROTECTED) &&
        !dirsvc_unsettling(m) && layout_adds(m, what, start, len, prot, kind))
        return;
    if (what == GS_MOVING) {
        gather(m, start, len);
        malias_unmapping(m, start, len, true); /* the moved copy keeps the bytes */
        return;
    }
    if (what == GS_UNMAPPING) { /* shared mappings' bytes move or go first (alias.c) */
        dirsvc_forget_ahead(m, start, len);
        malias_unmapping(m, start, len, false);
        return;
    }
    if (what == GS_PAST_EOF || what == GS_WITHIN_EOF) { /* contents kept */
        broadcast(m, what, start, len, prot, kind);
        return;
    }
    if (what == GS_DISCARDED) {
        /* Discarded pages that no node but node 0 holds or asks for (a
         * thread's stack guard, the untouched rest of its stack, the
         * whole stack of a thread that ran here): a request for one of
         * them from now on gets a zero page, and the mapping stays, so
         * the other nodes' layouts are unchanged. */
        Shoal__LayoutChange lc = SHOAL__LAYOUT_CHANGE__INIT;
        change_of(&lc, what, start, len, prot, kind);
        if (dirsvc_relayout(m, what, start, len, prot, announce_discard, &lc)) layout_wait(m);
        return;
    }
    struct gs_range r = {start, start + len};
    if (what == GS_PROTECTED)
        dsm_node_layout(&m->dsm, what, start, len, prot);
    else
        dirsvc_relayout(m, what, start, len, prot, what == GS_MAPPED ? dirsvc_mapped : NULL, &r);
    dirsvc_claimable(m, what, start, len, prot, kind);
    broadcast(m, what, start, len, prot, kind);
    if (what == GS_MAPPED) malias_announce(m);
}
