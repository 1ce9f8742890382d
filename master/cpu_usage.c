/* The program's CPU time across the run (syscall/cpu_time.h): node 0's
 * guest threads and proxies plus every slave's answer to a CpuUsageQuery
 * (process_cluster_ops.cpu_usage), or one thread's wherever it runs
 * (cpu_usage_thread). One query at a time; a slave that does not answer
 * within CPU_WAIT_MS (a node lost meanwhile ends the run) is left out
 * with a warning. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>

#include "cluster/cpu_usage_msg.h"
#include "common/log.h"
#include "master/master_internal.h"
#include "syscall/cpu_time.h"

#define CPU_WAIT_MS 5000

/* Asks node `only` (0: every slave but `skip`) for its guest threads' CPU
 * time, or for thread tid's (tid != 0), and adds what comes back to *u.
 * Returns how many nodes answered with a figure (not "no such thread"). */
static unsigned ask(struct master *m, unsigned only, unsigned skip, uint32_t tid, bool split,
                    struct proc_thread_view *view, struct cpu_usage *u, int64_t *by_node,
                    int64_t *insns_by_node) {
    unsigned nodes = m->cfg.nodes;
    bool *answered = calloc(nodes, sizeof *answered);
    if (!answered) {
        log_warn("CPU time: no memory to ask the other nodes");
        return 0;
    }
    Shoal__CpuUsageQuery q = SHOAL__CPU_USAGE_QUERY__INIT;
    q.tid = tid;
    q.split = split;
    q.view = view != NULL;
    Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
    env.msg_case = SHOAL__ENVELOPE__MSG_CPU_USAGE_QUERY;
    env.cpu_usage_query = &q;
    pthread_mutex_lock(&m->cpu_query);
    pthread_mutex_lock(&m->lock);
    q.req_id = ++m->cpu_req;
    m->cpu_sum = (struct cpu_usage){0};
    m->cpu_answered = answered;
    m->cpu_waiting = m->cpu_found = 0;
    m->cpu_view = view;
    m->cpu_by_node = by_node;
    m->cpu_insns_by_node = insns_by_node;
    unsigned lo = only ? only : 1, hi = only && only < nodes ? only + 1 : nodes;
    for (unsigned n = lo; n < hi; n++)
        if (n != skip && m->peers[n] && net_send(m->peers[n], &env) == 0) m->cpu_waiting++;
    if (master_await(m, &m->cpu_waiting, CPU_WAIT_MS) && !atomic_load(&m->exiting))
        log_warn("CPU time without %u node(s) that did not answer in %d ms", m->cpu_waiting,
                 CPU_WAIT_MS);
    cpu_usage_merge(u, &m->cpu_sum);
    unsigned found = m->cpu_found;
    m->cpu_answered = NULL;
    m->cpu_view = NULL;
    m->cpu_by_node = NULL;
    m->cpu_insns_by_node = NULL;
    m->cpu_waiting = 0;
    pthread_mutex_unlock(&m->lock);
    pthread_mutex_unlock(&m->cpu_query);
    free(answered);
    return found;
}

void mcpu_usage(struct task *t, struct cpu_usage *u, bool split) {
    struct master *m = t->proc->cluster_ctx;
    cpu_usage_node(t->proc, u, split);
    /* a remote caller's node sent its part along: that node is not asked */
    unsigned skip = 0;
    if (t->proxy && t->caller_cpu) {
        int node = proxy_node_of(m, t->tid);
        if (node > 0) {
            skip = (unsigned)node;
            cpu_usage_merge(u, t->caller_cpu);
        }
    }
    if (m->cfg.nodes > 1 + (skip != 0)) ask(m, 0, skip, 0, split, NULL, u, NULL, NULL);
}

void mcpu_process(struct process *p, struct cpu_usage *u, bool split) {
    struct master *m = p->cluster_ctx;
    cpu_usage_node(p, u, split);
    if (m->cfg.nodes > 1) ask(m, 0, 0, 0, split, NULL, u, NULL, NULL);
}

int mcpu_thread(struct process *p, int tid, struct cpu_usage *u, struct proc_thread_view *view) {
    struct master *m = p->cluster_ctx;
    if (cpu_usage_local_thread(p, tid, u) == 0) return 0;
    int node = proxy_node_of(m, tid); /* a remote thread's node; else -1 */
    if (node <= 0) return -ESRCH;
    return ask(m, (unsigned)node, 0, (uint32_t)tid, true, view, u, NULL, NULL) ? 0 : -ESRCH;
}

void mcpu_by_node(struct master *m, int64_t *ns, int64_t *insns) {
    struct cpu_usage u = {0};
    cpu_usage_node(m->proc, &u, false);
    ns[0] = u.sched_ns;
    insns[0] = (int64_t)(stats_insns(&m->proc->stats) & INT64_MAX);
    for (unsigned n = 1; n < m->cfg.nodes; n++)
        ns[n] = insns[n] = -1;
    if (m->cfg.nodes > 1) ask(m, 0, 0, 0, false, NULL, &u, ns, insns);
}

void mcpu_on_answer(struct master *m, unsigned node, const Shoal__CpuUsage *r) {
    pthread_mutex_lock(&m->lock);
    /* one answer per node and query: a repeat or a late one is dropped */
    if (r->req_id == m->cpu_req && m->cpu_answered && m->cpu_waiting && node > 0 &&
        node < m->cfg.nodes && !m->cpu_answered[node]) {
        m->cpu_answered[node] = true;
        if (!r->missing) {
            struct cpu_usage b;
            cpu_usage_from_msg(r, &b);
            cpu_usage_merge(&m->cpu_sum, &b);
            if (m->cpu_view) m->cpu_view->known = thread_view_from_msg(r, m->cpu_view);
            if (m->cpu_by_node) m->cpu_by_node[node] = b.sched_ns;
            if (m->cpu_insns_by_node)
                m->cpu_insns_by_node[node] = (int64_t)(r->guest_insns & INT64_MAX);
            m->cpu_found++;
        }
        m->cpu_waiting--;
        pthread_cond_broadcast(&m->cond);
    }
    pthread_mutex_unlock(&m->lock);
}
