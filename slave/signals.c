/* Signals on a slave: the process's actions as the master sets them,
 * signals the master routes to a thread here (or asks which thread here
 * would take now), and the signals it holds for want of a thread that
 * accepts them (SignalWanted, SignalAccepts). */
#define _GNU_SOURCE
#include <signal.h>
#include <string.h>

#include "net/transport.h"
#include "slave/slave_internal.h"
#include "syscall/guest_signal.h"
#include "syscall/host_signal.h"

void slave_signals_set_action(struct process *p, const Shoal__SigAction *a) {
    if (a->sig < 1 || a->sig > GUEST_NSIG || a->sig == SIGKILL || a->sig == SIGSTOP) return;
    struct aarch64_sigaction act = {
        .handler = a->handler, .flags = a->flags, .restorer = a->restorer, .mask = a->mask};
    pthread_mutex_lock(&p->sig_lock);
    p->sigaction[a->sig] = act;
    host_signal_apply_action((int)a->sig, &act);
    pthread_mutex_unlock(&p->sig_lock);
}

/* The master changed the process's signal actions: applied here before
 * the ack, so the rt_sigaction that caused it returns after every node
 * has the new action. */
static void h_sigaction_set(struct net_conn *c, struct net_frame *f, void *arg) {
    struct slave *s = arg;
    const Shoal__SigactionSet *m = f->env->sigaction_set;
    /* no process yet: the set-up carries the actions (acked all the
     * same, so the master never waits for this node) */
    for (size_t i = 0; s->proc && i < m->n_actions; i++)
        slave_signals_set_action(s->proc, m->actions[i]);
    Shoal__SigactionAck a = SHOAL__SIGACTION_ACK__INIT;
    a.req_id = m->req_id;
    Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
    env.msg_case = SHOAL__ENVELOPE__MSG_SIGACTION_ACK;
    env.sigaction_ack = &a;
    slave_send_master_page(s, &env, NULL);
}

/* process_cluster_ops.timer_taken: the master keeps what the timer's
 * timer_getoverrun reports. Sent before any later delegated call of t,
 * on the same link. */
void slave_signals_timer_taken(struct task *t, int timer_id, int overrun) {
    Shoal__TimerTaken m = SHOAL__TIMER_TAKEN__INIT;
    m.timer_id = timer_id;
    m.overrun = overrun < 0 ? 0 : overrun;
    Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
    env.msg_case = SHOAL__ENVELOPE__MSG_TIMER_TAKEN;
    env.timer_taken = &m;
    /* an error: the master is gone, and on_peer_lost ends this node */
    slave_send_master_page(t->proc->cluster_ctx, &env, NULL);
}

/* The signals of set that t would take now: not blocked, or waited for.
 * The mask is the thread's own; reading it from here is a snapshot, as
 * the kernel's own choice of a thread is. */
static uint64_t accepted(struct task *t, uint64_t set) {
    uint64_t mask = __atomic_load_n(&t->sigmask, __ATOMIC_SEQ_CST);
    return set & (~mask | atomic_load(&t->sigwait_set));
}

static bool accepts(struct task *t, int sig) {
    return accepted(t, SIGBIT(sig)) != 0;
}

/* Tells the master a thread here accepts signals of acc that it holds
 * (once per SignalWanted: the bits are cleared here, and the master
 * sends the set again after it looked). */
static void say_accepts(struct slave *s, uint64_t acc) {
    acc &= atomic_fetch_and(&s->wanted, ~acc);
    if (!acc) return;
    Shoal__SignalAccepts a = SHOAL__SIGNAL_ACCEPTS__INIT;
    a.set = acc;
    Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
    env.msg_case = SHOAL__ENVELOPE__MSG_SIGNAL_ACCEPTS;
    env.signal_accepts = &a;
    slave_send_master_page(s, &env, NULL);
}

/* process_cluster_ops.mask_opened: t stored its new mask (or sigwait
 * set) before this load of `wanted`, and h_signal_wanted stores `wanted`
 * before it reads the masks (sequentially consistent both), so one of
 * the two sees the other: no lost wake-up. */
void slave_signals_mask_opened(struct task *t) {
    struct slave *s = t->proc->cluster_ctx;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    uint64_t w = atomic_load(&s->wanted);
    if (w) say_accepts(s, accepted(t, w));
}

static void h_signal_wanted(struct net_conn *c, struct net_frame *f, void *arg) {
    struct slave *s = arg;
    uint64_t set = f->env->signal_wanted->set;
    atomic_store(&s->wanted, set);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    uint64_t acc = 0;
    pthread_mutex_lock(&s->lock);
    uint64_t key;
    void *v;
    for (size_t i = 0; set && s->proc && u64map_next(&s->threads, &i, &key, &v);)
        acc |= accepted(v, set);
    pthread_mutex_unlock(&s->lock);
    if (acc) say_accepts(s, acc);
}

/* A signal routed here by the master, for the thread named: sent to its
 * host thread with its siginfo, so the recorder (and the kernel's
 * masking and queueing) treat it as any other signal. tid 0: a probe,
 * answered with a thread that accepts the signal now. */
static void h_signal_send(struct net_conn *c, struct net_frame *f, void *arg) {
    struct slave *s = arg;
    const Shoal__SignalSend *m = f->env->signal_send;
    int sig = (int)m->sig;
    uint32_t found = 0;
    pthread_mutex_lock(&s->lock);
    if (m->tid) {
        struct task *t = s->proc ? u64map_get(&s->threads, m->tid) : NULL;
        struct aarch64_siginfo info;
        memcpy(&info, m->info.data, sizeof info);
        /* under the lock: the thread cannot exit (and its host tid be
         * reused) in between */
        if (t) signal_queue_task(t, t->host_tid, sig, &info);
        /* one it blocks may be what its wait on a signalfd waits for */
        if (t && sig >= 1 && sig <= 64 && (t->sigmask >> (sig - 1) & 1))
            slave_waiter_signalled(s, m->tid);
        pthread_mutex_unlock(&s->lock);
        /* the thread left this node: the master sends it on */
        if (!t && s->proc) slave_send_master_page(s, f->env, NULL);
        return;
    }
    uint64_t key;
    void *v;
    for (size_t i = 0; !found && u64map_next(&s->threads, &i, &key, &v);)
        if (accepts(v, sig)) found = (uint32_t)key;
    pthread_mutex_unlock(&s->lock);
    Shoal__SignalTaken tk = SHOAL__SIGNAL_TAKEN__INIT;
    tk.req_id = m->req_id;
    tk.tid = found;
    Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
    env.msg_case = SHOAL__ENVELOPE__MSG_SIGNAL_TAKEN;
    env.signal_taken = &tk;
    slave_send_master_page(s, &env, NULL);
}

void slave_signals_register(struct slave *s) {
    net_node_on(s->net, SHOAL__ENVELOPE__MSG_SIGACTION_SET, h_sigaction_set, s);
    net_node_on(s->net, SHOAL__ENVELOPE__MSG_SIGNAL_SEND, h_signal_send, s);
    net_node_on(s->net, SHOAL__ENVELOPE__MSG_SIGNAL_WANTED, h_signal_wanted, s);
}
