/* The address space on a slave: the master's layout changes, applied in
 * its order by a worker thread off the loop thread (a discard by the loop
 * thread itself), each acked once applied, and the guest space's hook
 * that tells the DSM of every change (master/DESIGN.md, "Layout
 * changes"). The master does not wait for a change that only adds, so a
 * thread here may meet an address the worker has not mapped or opened
 * yet: it catches up (slave_layout_catch_up), and a thread the master
 * answers or starts first takes up every change queued before
 * (slave_layout_reach). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/dsm_alias.h"
#include "cluster/dsm_node.h"
#include "common/log.h"
#include "net/transport.h"
#include "slave/slave_internal.h"
#include "syscall/file_eof.h"

/* op LAYOUT_SYNCED: no change, the master's answer to LayoutSync seq
 * (req_id), which every change sent before it precedes in the queue */
#define LAYOUT_SYNCED (-1)

struct layout_item {
    struct layout_item *next;
    uint64_t req_id, addr, len;
    int op, prot, kind;
    uint64_t alias_key;
    bool past_eof;
};

void slave_layout_hook(void *opaque, enum gs_change what, uint64_t start, uint64_t len, int prot,
                       enum gvma_kind kind, bool adds) {
    (void)adds; /* the master's to tell: this node applies every change alike */
    struct slave *s = opaque;
    /* the change begins here, under the guest space's write lock: no
     * thread that waits for a page holds the read lock now, so none is
     * kept waiting by the stale answers refused from now on */
    if (what != GS_PROTECTED && what != GS_PAST_EOF && what != GS_WITHIN_EOF)
        dsm_pages_layout_begin(&s->dsm.pages, atomic_load(&s->applying));
    dsm_node_layout(&s->dsm, what, start, len, prot);
    if (what == GS_MAPPED) dsm_node_drop_strays(&s->dsm, start, len);
}

static void send_layout_ack(struct slave *s, uint64_t req_id) {
    Shoal__LayoutAck a = SHOAL__LAYOUT_ACK__INIT;
    a.req_id = req_id;
    Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
    env.msg_case = SHOAL__ENVELOPE__MSG_LAYOUT_ACK;
    env.layout_ack = &a;
    slave_send_master_page(s, &env, NULL);
}

/* Layout changes are applied off the loop thread: taking the guest
 * space's write lock may wait for a guest thread that holds the read
 * lock while it faults on a page, which only the loop thread can bring. */
void *slave_layout_worker(void *arg) {
    struct slave *s = arg;
    for (;;) {
        pthread_mutex_lock(&s->lock);
        while (!s->lq_head)
            pthread_cond_wait(&s->lq_cond, &s->lock);
        struct layout_item *it = s->lq_head;
        s->lq_head = it->next;
        if (!s->lq_head) s->lq_tail = NULL;
        pthread_mutex_unlock(&s->lock);
        if (it->op == LAYOUT_SYNCED) {
            pthread_mutex_lock(&s->lock);
            if (it->req_id > s->sync_applied) s->sync_applied = it->req_id;
            s->lq_applied++;
            pthread_cond_broadcast(&s->lq_done);
            pthread_mutex_unlock(&s->lock);
            free(it);
            continue;
        }
        struct guest_space *gs = &s->proc->mem;
        int r = 0;
        atomic_store(&s->applying, it->req_id);
        switch (it->op) {
        case SHOAL__LAYOUT_OP__LAYOUT_MAP:
            r = gs_map_fixed(gs, it->addr, it->len, it->prot, (enum gvma_kind)it->kind);
            break;
        case SHOAL__LAYOUT_OP__LAYOUT_UNMAP: r = gs_munmap(gs, it->addr, it->len); break;
        case SHOAL__LAYOUT_OP__LAYOUT_PROTECT:
            r = gs_mprotect(gs, it->addr, it->len, it->prot);
            break;
        case SHOAL__LAYOUT_OP__LAYOUT_ALIAS: /* right after its LAYOUT_MAP */
            dsm_alias_add(&s->dsm, it->addr, it->len, it->alias_key);
            break;
        case SHOAL__LAYOUT_OP__LAYOUT_PAST_EOF:
            gs_set_past_eof(gs, it->addr, it->len, it->past_eof);
            break;
        default: break;
        }
        if (r)
            log_error("layout change %d at 0x%llx: %s", it->op, (unsigned long long)it->addr,
                      strerror(-r));
        /* requests made from here on carry this change's id: the master
         * takes them as made on the new layout */
        dsm_pages_layout_done(&s->dsm.pages, it->req_id);
        send_layout_ack(s, it->req_id);
        free(it);
        pthread_mutex_lock(&s->lock);
        s->lq_applied++;
        pthread_cond_broadcast(&s->lq_done);
        pthread_mutex_unlock(&s->lock);
    }
    return NULL;
}

void slave_layout_reach(struct slave *s, uint64_t mark) {
    while (s->lq_applied < mark)
        pthread_cond_wait(&s->lq_done, &s->lock);
}

void slave_layout_catch_up(void *opaque, bool ask_master) {
    struct slave *s = opaque;
    pthread_mutex_lock(&s->lock);
    if (!ask_master) {
        slave_layout_reach(s, s->lq_queued);
        pthread_mutex_unlock(&s->lock);
        return;
    }
    /* a change not queued here yet is on its way from the master (an
     * address heard of through another slave's link, direct transfer):
     * its answer comes behind it */
    uint64_t seq = ++s->sync_asked;
    pthread_mutex_unlock(&s->lock);
    Shoal__LayoutSync ls = SHOAL__LAYOUT_SYNC__INIT;
    ls.seq = seq;
    Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
    env.msg_case = SHOAL__ENVELOPE__MSG_LAYOUT_SYNC;
    env.layout_sync = &ls;
    if (slave_send_master_page(s, &env, NULL)) return; /* the master is gone: the node ends */
    pthread_mutex_lock(&s->lock);
    while (s->sync_applied < seq)
        pthread_cond_wait(&s->lq_done, &s->lock);
    pthread_mutex_unlock(&s->lock);
}

static void enqueue(struct slave *s, struct layout_item *it) {
    pthread_mutex_lock(&s->lock);
    if (s->lq_tail)
        s->lq_tail->next = it;
    else
        s->lq_head = it;
    s->lq_tail = it;
    s->lq_queued++;
    pthread_cond_signal(&s->lq_cond);
    pthread_mutex_unlock(&s->lock);
}

/* A discard is applied here, between the directory's messages before it
 * and after it, as the master ordered them: one applied later by the
 * worker would remove a page granted after it (the directory then holds
 * this node for the page's owner while it has nothing: a request of its
 * own gets a grant without data, a fetch finds nothing to send, and the
 * faulting thread waits forever). It needs no guest-space lock: the
 * master sends one private mapping's pages at a time, and the host
 * discard and the page states' forget are dsm_node_layout's. */
static bool discard_now(struct slave *s, const Shoal__LayoutChange *l) {
    const struct guest_space *gs = &s->proc->mem;
    if (l->op != SHOAL__LAYOUT_OP__LAYOUT_DISCARD) return false;
    if (l->addr % DSM_PAGE_SIZE || l->len % DSM_PAGE_SIZE || l->addr > gs->size ||
        l->len > gs->size - l->addr)
        log_error("layout change %d at 0x%llx: %s", l->op, (unsigned long long)l->addr,
                  strerror(EINVAL));
    else
        dsm_node_layout(&s->dsm, GS_DISCARDED, l->addr, l->len, 0);
    send_layout_ack(s, l->req_id);
    return true;
}

static void h_layout(struct net_conn *c, struct net_frame *f, void *arg) {
    struct slave *s = arg;
    const Shoal__LayoutChange *l = f->env->layout_change;
    if (!s->proc || discard_now(s, l)) return;
    struct layout_item *it = calloc(1, sizeof *it);
    SHOAL_ASSERT(it);
    *it = (struct layout_item){NULL,    l->req_id,    l->addr,      l->len,     l->op,
                               l->prot, (int)l->kind, l->alias_key, l->past_eof};
    enqueue(s, it);
}

static void h_layout_sync(struct net_conn *c, struct net_frame *f, void *arg) {
    struct slave *s = arg;
    struct layout_item *it = calloc(1, sizeof *it);
    SHOAL_ASSERT(it);
    it->op = LAYOUT_SYNCED;
    it->req_id = f->env->layout_sync->seq;
    enqueue(s, it);
}

void slave_layout_register(struct slave *s) {
    net_node_on(s->net, SHOAL__ENVELOPE__MSG_LAYOUT_CHANGE, h_layout, s);
    net_node_on(s->net, SHOAL__ENVELOPE__MSG_LAYOUT_SYNC, h_layout_sync, s);
}
