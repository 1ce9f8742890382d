/* Scheduling calls for a thread of another node (process_cluster_ops.
 * thread_call, syscall/sched_call.h): a ThreadCall to the node that runs
 * it, answered by a ThreadCallResult. One at a time (they are rare); a
 * node that does not answer in CALL_WAIT_MS (a node lost meanwhile ends
 * the run) makes the call fail with EAGAIN. */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>

#include "master/master_internal.h"

#define CALL_WAIT_MS 5000

int mthread_call(struct process *p, int tid, int nr, const uint64_t *a, const uint8_t *in,
                 size_t inlen, uint8_t *out, size_t outlen, int64_t *ret) {
    struct master *m = p->cluster_ctx;
    int node = proxy_node_of(m, tid);
    if (node <= 0) return -ESRCH;
    Shoal__ThreadCall q = SHOAL__THREAD_CALL__INIT;
    q.tid = (uint32_t)tid;
    q.nr = (uint32_t)nr;
    q.n_args = 6;
    q.args = (uint64_t *)a;
    q.in.data = (uint8_t *)in;
    q.in.len = inlen;
    Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
    env.msg_case = SHOAL__ENVELOPE__MSG_THREAD_CALL;
    env.thread_call = &q;
    pthread_mutex_lock(&m->tcall_query);
    pthread_mutex_lock(&m->lock);
    q.req_id = ++m->tcall_req;
    m->tcall_node = (unsigned)node;
    m->tcall_pending = 0;
    m->tcall_out = out;
    m->tcall_outlen = outlen;
    if (m->peers[node] && net_send(m->peers[node], &env) == 0) m->tcall_pending = 1;
    *ret = m->tcall_pending && !master_await(m, &m->tcall_pending, CALL_WAIT_MS) ? m->tcall_ret
                                                                                 : -EAGAIN;
    m->tcall_pending = 0;
    m->tcall_out = NULL;
    pthread_mutex_unlock(&m->lock);
    pthread_mutex_unlock(&m->tcall_query);
    return 0;
}

void mthread_call_on_result(struct master *m, unsigned node, const Shoal__ThreadCallResult *r) {
    pthread_mutex_lock(&m->lock);
    /* the answer to the call in flight, from its node: any other is dropped */
    if (r->req_id == m->tcall_req && node == m->tcall_node && m->tcall_out && m->tcall_pending) {
        size_t n = r->out.len < m->tcall_outlen ? r->out.len : m->tcall_outlen;
        if (n) memcpy(m->tcall_out, r->out.data, n);
        m->tcall_ret = r->ret;
        m->tcall_pending = 0;
        pthread_cond_broadcast(&m->cond);
    }
    pthread_mutex_unlock(&m->lock);
}
