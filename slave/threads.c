/* The guest threads on a slave and the process's cluster hooks
 * (slave_ops): threads started here (ThreadSpawn) or moved away, what
 * other nodes ask of a thread here (scheduling calls, its CPU mask, CPU
 * clocks), the run's stop, statistics and end. */
#define _GNU_SOURCE
#include <errno.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cluster/cpu_msg.h"
#include "cluster/cpu_usage_msg.h"
#include "cluster/node_stats.h"
#include "cluster/sched_msg.h"
#include "cluster/thread_state.h"
#include "common/detached_thread.h"
#include "common/log.h"
#include "net/transport.h"
#include "slave/slave_internal.h"
#include "syscall/cpu_map.h"
#include "syscall/cpu_time.h"
#include "syscall/host_signal.h"
#include "syscall/proc_tasks.h"
#include "syscall/sched_call.h"

#define THREAD_STACK (4u << 20)

struct thread_start {
    struct slave *s;
    struct task *t;
    sem_t registered;
    bool has_sched; /* the creator's scheduling attributes, for the new thread */
    Shoal__SchedAttr sched;
    const uint8_t *affinity; /* its guest CPU mask (NULL: every CPU) */
    size_t affinity_bytes;
    const Shoal__ThreadMoved *moved; /* a thread that moved here: its state; NULL: a new one */
    uint64_t layout_mark;            /* the layout worker's queue when the spawn came (lq_queued) */
};

static void *guest_thread(void *arg) {
    struct thread_start *st = arg;
    struct task *t = st->t;
    struct slave *s = st->s;
    t->host_tid = (int)gettid();
    /* its creator's CPU mask, this node's part of it (cpu_map.h) */
    if (st->affinity && cpu_map_pin(t->proc, t->host_tid, st->affinity, st->affinity_bytes))
        log_debug("thread %d: cannot take its CPU affinity", t->tid);
    /* before any guest code: its first getpriority sees its creator's */
    if (st->has_sched && sched_msg_apply(&st->sched))
        log_debug("thread %d: cannot take its creator's scheduling attributes", t->tid);
    /* a thread that moved here: its attributes and waiting signals */
    if (st->moved) thread_state_resume(t, st->moved);
    uint64_t mark = st->layout_mark;
    pthread_mutex_lock(&s->lock);
    u64map_put(&s->threads, (uint64_t)t->tid, t);
    pthread_mutex_unlock(&s->lock);
    sem_post(&st->registered); /* st is gone after this */
    /* its stack may be a change sent just before (not waited for by the
     * master): this node's before the thread runs */
    pthread_mutex_lock(&s->lock);
    slave_layout_reach(s, mark);
    pthread_mutex_unlock(&s->lock);
    task_run(t);
}

/* A thread this node could not start goes back to the master with the
 * state its spawn brought (ThreadMoved.refused): a moved thread's as it
 * came, a new one's registers, mask and attributes. Not
 * thread_state_capture: that reads the calling thread's own (this loop
 * thread's scheduling attributes and host signals). */
static void refuse_spawn(struct slave *s, struct task *t, const Shoal__ThreadSpawn *sp) {
    Shoal__ThreadMoved mv;
    if (sp->moved) {
        mv = *sp->moved;
    } else {
        shoal__thread_moved__init(&mv);
        mv.tid = sp->tid;
        mv.cpu = sp->cpu;
        mv.sigmask = sp->sigmask;
        mv.clear_child_tid = sp->clear_child_tid;
        mv.sched = sp->sched;
        mv.hint_group = t->hint_group;
        mv.hint_next_group = t->hint_next_group;
    }
    mv.refused = true;
    Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
    env.msg_case = SHOAL__ENVELOPE__MSG_THREAD_MOVED;
    env.thread_moved = &mv;
    slave_send_master_page(s, &env, NULL); /* an error: the master is gone, and the node ends */
    atomic_fetch_sub(&t->proc->live_threads, 1);
    task_free(t);
}

static void h_spawn(struct net_conn *c, struct net_frame *f, void *arg) {
    struct slave *s = arg;
    if (!s->proc) return;
    const Shoal__ThreadSpawn *sp = f->env->thread_spawn;
    /* the master's clocks, before any guest code of this node reads one */
    process_set_clock(s->proc, sp->monotonic_offset_ns, sp->boottime_offset_ns);
    /* the guest's CPUs and this node's (syscall/cpu_map.h): the same in
     * every spawn, read by this node's threads' getcpu */
    if (sp->guest_cpus && sp->cpu_count && sp->cpu_count <= 1u << 16 &&
        sp->cpu_base < sp->guest_cpus) {
        s->proc->cpu_base = sp->cpu_base;
        s->proc->cpu_count = sp->cpu_count;
        s->proc->cpu_node = sp->cpu_node;
        s->proc->guest_cpus = sp->guest_cpus;
    }
    struct task *t = task_new(s->proc);
    cpu_msg_to_cpu(sp->cpu, &t->cpu);
    t->tid = (int)sp->tid;
    t->clear_child_tid = sp->clear_child_tid;
    /* as on Linux, the creator's mask: glibc blocks every signal around
     * clone, and one arriving before the thread sets its own must wait */
    t->sigmask = sp->sigmask;
    if (sp->moved) thread_state_restore(t, sp->moved);
    atomic_fetch_add(&s->proc->live_threads, 1);
    struct thread_start st = {.s = s,
                              .t = t,
                              .has_sched = sp->sched != NULL,
                              .affinity = sp->affinity.len ? sp->affinity.data : NULL,
                              .affinity_bytes = sp->affinity.len,
                              .moved = sp->moved};
    pthread_mutex_lock(&s->lock);
    st.layout_mark = s->lq_queued;
    pthread_mutex_unlock(&s->lock);
    if (sp->sched) st.sched = *sp->sched;
    sem_init(&st.registered, 0, 0);
    /* the loop thread blocks every host signal, and the new thread
     * inherits that until task_run sets its guest mask */
    int e = s->refuse_spawns ? (s->refuse_spawns--, EAGAIN)
                             : thread_start_detached(NULL, THREAD_STACK, guest_thread, &st);
    if (e) {
        /* its proxy's host thread on the master runs it instead */
        log_warn("node %u: cannot start thread %u (%s): it runs on node 0", net_conn_local_id(c),
                 sp->tid, strerror(e));
        refuse_spawn(s, t, sp);
        sem_destroy(&st.registered);
        return;
    }
    /* a signal for the new thread may be the next message (its creator
     * can signal it as soon as clone returns): it must find the thread */
    while (sem_wait(&st.registered) != 0)
        continue;
    sem_destroy(&st.registered);
}

/* a scheduling call's struct fits its messages, and what net/msg.c lets
 * through fits the buffers below */
_Static_assert(SCHED_IO_MAX == NET_CALL_BYTES, "scheduling call and message sizes");

/* A scheduling call for a thread of this node, named by another node's
 * thread (syscall/sched_call.h): run for its host thread. */
static void h_thread_call(struct net_conn *c, struct net_frame *f, void *arg) {
    struct slave *s = arg;
    const Shoal__ThreadCall *q = f->env->thread_call;
    uint64_t a[6];
    memcpy(a, q->args, sizeof a);
    uint8_t in[SCHED_IO_MAX] = {0}, out[SCHED_IO_MAX] = {0};
    if (q->in.len) memcpy(in, q->in.data, q->in.len); /* at most SCHED_IO_MAX: net/msg.c */
    size_t inlen, outlen;
    sched_io_sizes((int)q->nr, &inlen, &outlen);
    int i = sched_target_arg((int)q->nr, a);
    Shoal__ThreadCallResult r = SHOAL__THREAD_CALL_RESULT__INIT;
    r.req_id = q->req_id;
    r.ret = -ESRCH;
    pthread_mutex_lock(&s->lock);
    struct task *t = s->proc && i >= 0 ? u64map_get(&s->threads, q->tid) : NULL;
    if (t && t->host_tid) {
        /* under the lock: the thread cannot exit (and its host tid be reused) */
        a[i] = (uint64_t)t->host_tid;
        r.ret = sched_host_call((int)q->nr, a, in, out);
    }
    pthread_mutex_unlock(&s->lock);
    if (r.ret >= 0 && outlen) {
        r.out.data = out;
        r.out.len = outlen;
    }
    Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
    env.msg_case = SHOAL__ENVELOPE__MSG_THREAD_CALL_RESULT;
    env.thread_call_result = &r;
    slave_send_master_page(s, &env, NULL);
}

/* A thread of this node has a new guest CPU mask: its part here. */
static void h_thread_affinity(struct net_conn *c, struct net_frame *f, void *arg) {
    struct slave *s = arg;
    const Shoal__ThreadAffinity *ta = f->env->thread_affinity;
    pthread_mutex_lock(&s->lock);
    struct task *t = s->proc ? u64map_get(&s->threads, ta->tid) : NULL;
    /* under the lock: the thread cannot exit (and its host tid be reused) */
    if (t) cpu_map_pin(s->proc, t->host_tid, ta->mask.data, ta->mask.len);
    /* it may run here no more: it asks for its move (slave_move_ask; the
     * flag before the attention, which signal_handle clears first) */
    if (t && ta->leave) {
        __atomic_store_n(&t->move_ask, 1, __ATOMIC_RELEASE);
        __atomic_store_n(&t->cpu.attention, 1, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&s->lock);
}

/* The master sums the program's CPU time (this node's guest threads'),
 * or reads a thread's CPU clock (that thread's). */
static void h_cpu_usage_query(struct net_conn *c, struct net_frame *f, void *arg) {
    struct slave *s = arg;
    const Shoal__CpuUsageQuery *q = f->env->cpu_usage_query;
    struct cpu_usage u = {0};
    Shoal__CpuUsage r = SHOAL__CPU_USAGE__INIT;
    if (!s->proc)
        r.missing = q->tid != 0;
    else if (q->tid) {
        r.missing = cpu_usage_local_thread(s->proc, (int)q->tid, &u) != 0;
        struct proc_thread_view v;
        if (!r.missing && q->view && proc_local_thread_view(s->proc, (int)q->tid, &v))
            thread_view_to_msg(&v, &r);
    } else {
        cpu_usage_node(s->proc, &u, q->split);
        r.guest_insns = stats_insns(&s->proc->stats);
    }
    r.req_id = q->req_id;
    cpu_usage_to_msg(&u, &r);
    Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
    env.msg_case = SHOAL__ENVELOPE__MSG_CPU_USAGE;
    env.cpu_usage = &r;
    slave_send_master_page(s, &env, NULL);
}

/* process_cluster_ops.move_out: t's new CPU mask names none of this
 * node's CPUs; the master starts it on another node from the state sent
 * here, and this host thread ends. */
static void slave_move_out(struct task *t) {
    struct slave *s = t->proc->cluster_ctx;
    host_signal_block_all();
    pthread_mutex_lock(&s->lock);
    u64map_del(&s->threads, (uint64_t)t->tid); /* from now on its signals go back */
    pthread_mutex_unlock(&s->lock);
    t->move_to = 0;
    struct thread_state_buf *b = calloc(1, sizeof *b);
    SHOAL_ASSERT(b);
    thread_state_capture(b, t);
    Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
    env.msg_case = SHOAL__ENVELOPE__MSG_THREAD_MOVED;
    env.thread_moved = &b->msg;
    slave_send_master_page(s, &env, NULL); /* an error: the master is gone, and the node ends */
    thread_state_buf_free(b);
    free(b);
    host_signal_set_current(NULL);
    atomic_fetch_sub(&t->proc->live_threads, 1);
    task_free(t);
    pthread_exit(NULL);
}

/* The end of the run is near: this node's statistics for the master. */
static void h_stats(struct net_conn *c, struct net_frame *f, void *arg) {
    struct slave *s = arg;
    if (!s->proc) return;
    node_stats_send(c, f->env->stats_request, net_conn_local_id(c), &s->dsm, s->net, s->proc);
}

static void h_exit(struct net_conn *c, struct net_frame *f, void *arg) {
    /* the run is over: nothing here writes the run's output */
    _exit(0);
}

/* This node's guest died of a signal: the master ends the run (and this
 * node) the same way. */
static void slave_on_exit(struct process *p, int status, int sig) {
    struct slave *s = p->cluster_ctx;
    Shoal__Exit ex = SHOAL__EXIT__INIT;
    ex.group = 1;
    ex.status = status;
    ex.signal = sig;
    Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
    env.msg_case = SHOAL__ENVELOPE__MSG_EXIT;
    env.exit = &ex;
    slave_send_master_page(s, &env, NULL);
    struct timespec t = {10, 0};
    nanosleep(&t, NULL); /* the master's Exit ends this process first */
    _exit(1);
}

/* process_cluster_ops.hint_group: the group goes to the master's
 * placement, on the link the thread's later clones take after it. */
static void send_hint_group(struct task *t, int64_t group) {
    Shoal__HintGroup h = SHOAL__HINT_GROUP__INIT;
    h.group = group;
    Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
    env.msg_case = SHOAL__ENVELOPE__MSG_HINT_GROUP;
    env.hint_group = &h;
    /* an error: the master is gone, and on_peer_lost ends this node */
    slave_send_master_page(t->proc->cluster_ctx, &env, NULL);
}

/* A stop signal's default action here: the master stops the run. */
static void slave_stop_run(struct process *p) {
    Shoal__RunStop r = SHOAL__RUN_STOP__INIT;
    r.stopped = true;
    Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
    env.msg_case = SHOAL__ENVELOPE__MSG_RUN_STOP;
    env.run_stop = &r;
    slave_send_master_page(p->cluster_ctx, &env, NULL);
}

/* The master stops (its silence is no loss, and this node's guest
 * threads stop at their next instruction boundary, as a stopped
 * process's do) or was continued. */
static void h_run_stop(struct net_conn *c, struct net_frame *f, void *arg) {
    struct slave *s = arg;
    bool stopped = f->env->run_stop->stopped;
    net_hold_timeout(c, stopped);
    pthread_mutex_lock(&s->lock);
    s->run_stopped = stopped;
    uint64_t key;
    void *v;
    for (size_t i = 0; stopped && s->proc && u64map_next(&s->threads, &i, &key, &v);)
        ((struct task *)v)->cpu.attention = 1;
    if (!stopped) pthread_cond_broadcast(&s->stop_cond);
    pthread_mutex_unlock(&s->lock);
}

/* process_cluster_ops.hold: a guest thread while the run is stopped. */
static void slave_hold(struct task *t) {
    struct slave *s = t->proc->cluster_ctx;
    pthread_mutex_lock(&s->lock);
    while (s->run_stopped)
        pthread_cond_wait(&s->stop_cond, &s->lock);
    pthread_mutex_unlock(&s->lock);
}

const struct process_cluster_ops slave_ops = {
    .delegate = slave_delegate_call,
    .reset_hand = slave_delegate_reset_hand,
    .mask_opened = slave_signals_mask_opened,
    .timer_taken = slave_signals_timer_taken,
    .process_pending = slave_delegate_process_pending,
    .clone_thread = NULL,
    .on_exit = slave_on_exit,
    .hint_group = send_hint_group,
    .stop_run = slave_stop_run,
    .hold = slave_hold,
    .move_ask = slave_move_ask,
    .move_out = slave_move_out,
};

void slave_threads_register(struct slave *s) {
    net_node_on(s->net, SHOAL__ENVELOPE__MSG_THREAD_SPAWN, h_spawn, s);
    net_node_on(s->net, SHOAL__ENVELOPE__MSG_EXIT, h_exit, s);
    net_node_on(s->net, SHOAL__ENVELOPE__MSG_RUN_STOP, h_run_stop, s);
    net_node_on(s->net, SHOAL__ENVELOPE__MSG_STATS_REQUEST, h_stats, s);
    net_node_on(s->net, SHOAL__ENVELOPE__MSG_CPU_USAGE_QUERY, h_cpu_usage_query, s);
    net_node_on(s->net, SHOAL__ENVELOPE__MSG_THREAD_AFFINITY, h_thread_affinity, s);
    net_node_on(s->net, SHOAL__ENVELOPE__MSG_THREAD_CALL, h_thread_call, s);
}
