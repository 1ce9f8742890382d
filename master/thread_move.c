/* Threads moving between nodes: a thread whose CPU mask
 * (sched_setaffinity) names no CPU of the node it runs on moves to a
 * node that owns some of them, as Linux migrates a thread off CPUs it may
 * no longer use. It moves from its own host thread, at its next
 * instruction boundary or when the call it is in returns (so one that
 * set its own mask, at that call's end). A remote one moves with the
 * answer to a call; one that is not in a call is asked to make one
 * (ThreadAffinity.leave, proxy_affinity_changed), a move_ask that does
 * nothing but take that answer. A remote one takes the
 * answer, sends its state (ThreadMoved) and ends its host thread; its
 * proxy here starts it on the new node (a spawn carrying that state), or
 * runs it itself when the new node is node 0. A node-0 thread's host
 * thread becomes its proxy. Signals for it wait in the proxy from the
 * answer until it runs again (proxy_signal_node); one that reached the
 * node it left comes back (msig_on_bounce). */
#include <stdlib.h>

#include "master/master_internal.h"

/* The least loaded node of allowed (ties: the lowest). */
static unsigned pick(struct master *m, const uint8_t *allowed) {
    unsigned best = 0, best_load = 0;
    bool found = false;
    for (unsigned n = 0; n < m->cfg.nodes; n++) {
        if (!(allowed[n / 8] >> (n % 8) & 1)) continue;
        unsigned load = m->sched ? sched_node_load(m->sched, n) : 0;
        if (!found || load < best_load) {
            best = n;
            best_load = load;
            found = true;
        }
    }
    return best;
}

void master_move_check(struct task *t) {
    struct master *m = t->proc->cluster_ctx;
    int from = t->proxy ? proxy_node_of(m, t->tid) : 0;
    if (from < 0) return;
    uint8_t *allowed = proxy_allowed_nodes_locked(m, t); /* NULL: every CPU */
    bool stays = !allowed || (allowed[from / 8] >> (from % 8) & 1);
    int to = stays ? -1 : (int)pick(m, allowed);
    free(allowed);
    /* a move asked for by an earlier mask is off when this one stays */
    if (t->proxy) {
        proxy_move_after_call(m, t->tid, to);
        return;
    }
    /* a node-0 thread, maybe not the caller: it moves at its next
     * instruction boundary, or when the call it is in returns */
    __atomic_store_n(&t->move_to, to + 1, __ATOMIC_RELEASE);
    if (!stays) __atomic_store_n(&t->cpu.attention, 1, __ATOMIC_RELEASE);
}

void master_move_out(struct task *t) {
    proxy_move_out(t, (unsigned)(t->move_to - 1));
}
