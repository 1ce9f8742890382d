/* Remote guest threads, seen from the master. Each thread running on
 * another node has a proxy here: a host thread with its own struct task,
 * whose host tid is the guest thread's global tid. The remote thread's
 * global syscalls run on its proxy, with the proxy's registers set from
 * the request: so blocking calls block only that thread's proxy (any
 * number of them at once), and buffers are read and written here
 * through the DSM. Futex waits are the exception: the proxy queues the
 * thread's record in the run's futex table (futex_svc.c) and goes back
 * to its requests; whoever ends the wait answers it.
 *
 * A guest signal for the remote thread cancels its call (the node sends
 * a cancel naming the request): a queued futex wait leaves the table;
 * a call the proxy runs is interrupted as a node-0 thread's would be
 * (its safe_syscall's word set, then a kick), and the Linux restart code
 * it returns goes back as the answer, for the node to settle. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <sched.h>
#include <semaphore.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cluster/cpu_msg.h"
#include "cluster/cpu_usage_msg.h"
#include "cluster/sc_msg.h"
#include "cluster/sched_msg.h"
#include "cluster/thread_state.h"
#include "common/detached_thread.h"
#include "common/log.h"
#include "master/master_internal.h"
#include "syscall/cpu_map.h"
#include "syscall/host_signal.h"
#include "syscall/signalfd_read.h"
#include "syscall/syscall.h"
#include "syscall/thread.h"

#define PROXY_STACK (4u << 20)

struct proxy {
    struct master *m;
    struct task *t;
    /* signals sent to the thread's node for it (task.node_signals_sent) */
    _Atomic uint64_t signals_sent;
    unsigned node;
    /* under m->lock: the host thread serving it (until the thread exits
     * or runs on node 0), its creator until the start, and each
     * proxy_get's caller; the last proxy_put frees it */
    unsigned refs;
    int tid; /* the thread's tid, for its creator */
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct net_frame req; /* env NULL when there is none */
    bool cancel;          /* a FutexCancel for cancel_req came */
    uint64_t cancel_req;
    bool running; /* the proxy runs request running_req (interruptible) */
    uint64_t running_req;
    /* a SignalsAtNode for request at_node_req that came before the proxy
     * took it: its pending set (syscall/signalfd_poll.h) */
    uint64_t at_node_req, at_node_pending;
    struct fsvc_wait fw; /* the thread's futex wait record (proxy thread only, and the table) */
    /* start */
    uint64_t flags, ptid, ctid;
    sem_t started;
    /* moving between nodes (thread_move.c): the node + 1 it goes to after
     * this call's answer (0: none), and the signals for it that wait
     * until it runs there (moving: from that answer to its spawn) */
    int move_to;
    bool moving;
    struct held_signal *held;
    size_t nheld, capheld;
};

struct held_signal {
    int sig;
    struct aarch64_siginfo info;
};

/* hint_used: a clone took the caller's hint mark (SyscallResponse). */
static void respond_outputs(struct proxy *px, uint64_t req_id, int64_t ret,
                            const struct sc_msg *out, bool hint_used, bool move) {
    Shoal__SyscallResponse r = SHOAL__SYSCALL_RESPONSE__INIT;
    r.req_id = req_id;
    r.tid = (uint32_t)px->t->tid;
    r.ret = ret;
    r.hint_used = hint_used;
    r.move = move;
    if (ret == SIGNALFD_AT_NODE) {
        r.signalfd_mask = px->t->signalfd_at_node.mask;
        r.signalfd_nonblock = px->t->signalfd_at_node.nonblock;
    }
    if (out) {
        r.n_outputs = out->n;
        r.outputs = out->ptrs;
    }
    Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
    env.msg_case = SHOAL__ENVELOPE__MSG_SYSCALL_RESPONSE;
    env.syscall_response = &r;
    master_send(px->m, px->node, &env, NULL);
}

static void respond(struct proxy *px, uint64_t req_id, int64_t ret) {
    respond_outputs(px, req_id, ret, NULL, false, false);
}

static void write_tid(struct task *t, uint64_t addr, int tid) {
    uint32_t v = (uint32_t)tid;
    gs_copy_out(&t->proc->mem, addr, &v, sizeof v);
}

/* The futex ops a thread may wait in (a record in the master's table). */
static bool is_wait(int op) {
    int cmd = op & FUTEX_CMD_MASK;
    return cmd == FUTEX_WAIT || cmd == FUTEX_WAIT_BITSET || cmd == FUTEX_LOCK_PI ||
           cmd == FUTEX_LOCK_PI2 || cmd == FUTEX_WAIT_REQUEUE_PI;
}

/* Starts thread t on px->node (ThreadSpawn): a new thread, or one that
 * moved (its state in moved). 0 or -errno. */
static int spawn_on(struct proxy *px, const Shoal__ThreadMoved *moved) {
    struct master *m = px->m;
    struct task *t = px->t;
    struct cpu_msg_buf cb;
    cpu_msg_from_cpu(&cb, &t->cpu);
    Shoal__ThreadSpawn sp = SHOAL__THREAD_SPAWN__INIT;
    sp.tid = (uint32_t)t->tid;
    sp.cpu = &cb.msg;
    sp.clear_child_tid = t->clear_child_tid;
    sp.sigmask = t->sigmask; /* a new thread starts with its creator's mask */
    sp.moved = (Shoal__ThreadMoved *)moved;
    pthread_mutex_lock(&m->lock);
    sp.monotonic_offset_ns = m->clocks[px->node].off.monotonic_ns;
    sp.boottime_offset_ns = m->clocks[px->node].off.boottime_ns;
    sp.cpu_base = m->node_cpu_base[px->node];
    sp.cpu_count = m->node_cpus[px->node];
    pthread_mutex_unlock(&m->lock);
    sp.guest_cpus = m->proc->guest_cpus;
    sp.cpu_node = px->node;
    /* its CPU mask, which another thread may be setting (stats lock) */
    uint8_t *affinity = NULL;
    pthread_mutex_lock(&m->proc->stats.lock);
    if (t->affinity && (affinity = malloc(t->affinity_bytes))) {
        memcpy(affinity, t->affinity, t->affinity_bytes);
        sp.affinity.data = affinity;
        sp.affinity.len = t->affinity_bytes;
    }
    pthread_mutex_unlock(&m->proc->stats.lock);
    /* and a new thread's nice value and policy: this host thread was made
     * by its creator's (or by the proxy that took the creator's, below); a
     * moved thread carries its own */
    Shoal__SchedAttr sa;
    if (!moved && sched_msg_get(&sa)) sp.sched = &sa;
    Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
    env.msg_case = SHOAL__ENVELOPE__MSG_THREAD_SPAWN;
    env.thread_spawn = &sp;
    int r = master_send(m, px->node, &env, NULL);
    free(affinity);
    return r;
}

static void serve(struct proxy *px);
static void proxy_put(struct master *m, struct proxy *px);

static void *proxy_main(void *arg) {
    struct proxy *px = arg;
    struct master *m = px->m;
    struct task *t = px->t;
    /* signals for the guest go to node-0 threads; a proxy takes none */
    host_signal_block_all();
    t->tid = px->tid = gettid();
    if (px->flags & CLONE_PARENT_SETTID) write_tid(t, px->ptid, t->tid);
    if (px->flags & CLONE_CHILD_SETTID) write_tid(t, px->ctid, t->tid);
    pthread_mutex_lock(&m->lock);
    SHOAL_ASSERT(!u64map_put(&m->proxies, (uint64_t)t->tid, px));
    pthread_mutex_unlock(&m->lock);
    int r = spawn_on(px, NULL);
    sem_post(&px->started); /* px->flags & co are not read after this */
    if (r) log_error("cannot start thread %d on node %u: %s", t->tid, px->node, strerror(-r));
    serve(px);
    proxy_put(m, px);
    task_run(t); /* it moved to node 0 */
}

static void move_on_if_forbidden(struct proxy *px);

/* Its held signals go to where it runs now (px->node; under no lock),
 * and a mask another thread gave it while it travelled takes effect. */
static void release_held(struct proxy *px) {
    pthread_mutex_lock(&px->lock);
    struct held_signal *held = px->held;
    size_t n = px->nheld;
    px->held = NULL;
    px->nheld = px->capheld = 0;
    px->moving = false;
    px->move_to = 0;
    pthread_mutex_unlock(&px->lock);
    for (size_t i = 0; i < n; i++)
        if (px->node == 0)
            signal_queue_task(px->t, px->t->tid, held[i].sig, &held[i].info);
        else
            msig_send(px->m, px->node, px->t->tid, held[i].sig, &held[i].info);
    free(held);
    move_on_if_forbidden(px);
}

/* A mask set while the thread travelled (master_move_check leaves a
 * moving thread alone) may name none of the CPUs of the node it reached:
 * it moves on, as from a mask set now. */
static void move_on_if_forbidden(struct proxy *px) {
    struct process *p = px->m->proc;
    struct task *t = px->t;
    uint8_t *mask = NULL;
    size_t bytes = 0;
    pthread_mutex_lock(&p->stats.lock);
    if (t->affinity && (mask = malloc(t->affinity_bytes))) {
        master_move_check(t); /* a node-0 thread: at its first instruction */
        memcpy(mask, t->affinity, t->affinity_bytes);
        bytes = t->affinity_bytes;
    }
    pthread_mutex_unlock(&p->stats.lock);
    /* a remote one: its node asks for the move (ThreadAffinity.leave) */
    if (mask && t->proxy) proxy_affinity_changed(p, t->tid, mask, bytes);
    free(mask);
}

/* The thread's state came from the node it left (ThreadMoved, frame f):
 * it starts on the node chosen for it. Node 0: true, this host thread
 * runs it from now on; another slave: a spawn there. */
static bool moved_in(struct proxy *px, struct net_frame *f) {
    struct master *m = px->m;
    struct task *t = px->t;
    const Shoal__ThreadMoved *mv = f->env->thread_moved;
    /* a refused start comes back to node 0 whatever move_to says now: the
     * release_held after that start may have cleared it */
    unsigned from = px->node, to = mv->refused ? 0 : (unsigned)(px->move_to - 1);
    cpu_msg_to_cpu(mv->cpu, &t->cpu);
    t->cpu.attention = 0;
    t->cpu.excl_size = 0;                     /* a system call clears the exclusive monitor */
    if (to == 0) t->host_tid = (int)gettid(); /* this host thread runs it next */
    thread_state_restore(t, mv);
    if (m->sched) sched_thread_moved(m->sched, from, to);
    if (to == 0) {
        /* a thread of node 0 again: signals reach it through this host
         * (one that finds the proxy still is held, then queued here) */
        pthread_mutex_lock(&m->proc->stats.lock);
        t->proxy = false;
        t->node_signals_sent = NULL;
        pthread_mutex_unlock(&m->proc->stats.lock);
        pthread_mutex_lock(&m->lock);
        u64map_del(&m->proxies, (uint64_t)t->tid);
        px->node = 0;
        pthread_mutex_unlock(&m->lock);
        thread_state_resume(t, mv);
        release_held(px);
        if (t->affinity) cpu_map_pin(m->proc, t->tid, t->affinity, t->affinity_bytes);
        atomic_fetch_add(&m->moves, 1);
        return true; /* serve's caller drops its reference */
    }
    pthread_mutex_lock(&m->lock);
    px->node = to;
    pthread_mutex_unlock(&m->lock);
    int r = spawn_on(px, mv);
    if (r) log_error("cannot move thread %d to node %u: %s", t->tid, to, strerror(-r));
    atomic_fetch_add(&m->moves, 1);
    release_held(px);
    return false;
}

/* Whether the answer being sent moves the thread: its mask named none
 * of its node's CPUs (thread_move.c); its signals wait from now on. */
static bool take_move(struct proxy *px) {
    pthread_mutex_lock(&px->lock);
    bool move = px->move_to != 0 && !px->moving;
    if (move) px->moving = true;
    pthread_mutex_unlock(&px->lock);
    return move;
}

/* The proxy's loop: the thread's delegated calls, until it exits or
 * moves to node 0 (then it returns, and this host thread runs it). */
static void serve(struct proxy *px) {
    struct master *m = px->m;
    struct task *t = px->t;
    for (;;) {
        /* page splitting: the previous request's pinned buffers go */
        gs_syscall_end(&m->proc->mem);
        pthread_mutex_lock(&px->lock);
        while (!px->req.env && !px->cancel)
            pthread_cond_wait(&px->cond, &px->lock);
        if (!px->req.env) {
            /* the request it names came first (FIFO link, and requests
             * are taken first): its record is queued, or already ended */
            uint64_t id = px->cancel_req;
            px->cancel = false;
            pthread_mutex_unlock(&px->lock);
            int64_t answer;
            if (px->fw.w.id == id && fsvc_cancel(m, &px->fw, &answer)) respond(px, id, answer);
            continue;
        }
        struct net_frame f = px->req;
        px->req.env = NULL;
        if (f.env->msg_case == SHOAL__ENVELOPE__MSG_THREAD_MOVED) {
            pthread_mutex_unlock(&px->lock);
            bool here = moved_in(px, &f);
            net_frame_fini(&f);
            if (here) return;
            continue;
        }
        const Shoal__SyscallRequest *q = f.env->syscall_request;
        bool table_wait = q->nr == 98 && m->futex && is_wait((int)q->args[1]);
        if (!table_wait && q->nr != 93 && q->nr != 94) {
            /* a cancel for it may have come before it was taken (exits
             * are never cancelled: their host thread ends) */
            px->running = true;
            px->running_req = q->req_id;
            /* a wait's signals queued on the thread's node (signalfd_poll.h) */
            atomic_store(&t->node_pending,
                         q->node_pending |
                             (px->at_node_req == q->req_id ? px->at_node_pending : 0));
            if (px->cancel && px->cancel_req == q->req_id) {
                px->cancel = false;
                atomic_store(&t->node_cancelled, true);
                __atomic_store_n(&t->sig.pending, 1, __ATOMIC_SEQ_CST);
            }
        }
        pthread_mutex_unlock(&px->lock);
        if (table_wait) {
            atomic_fetch_add(&m->delegated[98], 1);
            int64_t ret;
            if (fsvc_wait_remote(m, t, &px->fw, px->node, q->req_id, q->args, q->timeout_ns,
                                 q->futex_moved, &ret))
                respond(px, q->req_id, ret);
            net_frame_fini(&f);
            continue;
        }
        if (q->cpu) {
            /* a clone: its child starts from the caller's registers and
             * mask as they are now */
            cpu_msg_to_cpu(q->cpu, &t->cpu);
            t->sigmask = q->sigmask;
            /* and the caller's nice value and policy, which the host
             * thread made here (a node-0 thread, or the proxy of one on
             * another node) inherits */
            if (q->sched && sched_msg_apply(q->sched))
                log_debug("thread %d: cannot take its scheduling attributes", t->tid);
            /* and its SHOAL_HINT_NEXT_GROUP mark, which the clone reads
             * and clears as a node-0 thread's (proxy_clone_thread) */
            t->hint_next_group = q->hint_next ? q->hint_next->group : -1;
        }
        bool hint_sent = q->cpu && t->hint_next_group >= 0;
        for (int i = 0; i < 6; i++)
            t->cpu.x[i] = q->args[i];
        t->cpu.x[8] = q->nr;
        uint64_t req_id = q->req_id;
        if (q->move_ask) { /* not a call: its node asks whether it moves */
            pthread_mutex_lock(&px->lock);
            px->running = false;
            pthread_mutex_unlock(&px->lock);
            respond_outputs(px, req_id, 0, NULL, false, take_move(px));
            net_frame_fini(&f);
            continue;
        }
        if (q->reset_hand && q->n_args == 6) {
            msig_reset_hand(m, q->args);
            pthread_mutex_lock(&px->lock);
            px->running = false;
            pthread_mutex_unlock(&px->lock);
            respond(px, req_id, 0);
            net_frame_fini(&f);
            continue;
        }
        if (q->nr < 512) atomic_fetch_add(&m->delegated[q->nr], 1);
        if (q->nr == 93) { /* exit: the caller ends its own host thread */
            respond(px, req_id, 0);
            pthread_mutex_lock(&m->lock);
            u64map_del(&m->proxies, (uint64_t)t->tid);
            pthread_mutex_unlock(&m->lock);
            if (m->sched) sched_thread_exit(m->sched, px->node);
            /* a late request for this tid finds no proxy; one that found
             * it holds its own reference */
            proxy_put(m, px);
        }
        if (q->nr == 93 || q->nr == 94) {
            net_frame_fini(&f);
            syscall_dispatch(t); /* exit and exit_group do not return */
        }
        /* the buffers the node shipped, and copies for those the call
         * writes (cluster/sc_msg.h) */
        struct sc_bufs bufs = {0};
        const struct syscall_row *row = syscall_lookup((int)q->nr);
        if (row) sc_msg_overlay(t, row, q, &bufs);
        t->bufs = &bufs;
        /* the caller's node's own part of the program's CPU time */
        struct cpu_usage caller_cpu;
        if (q->caller_cpu) {
            cpu_usage_from_msg(q->caller_cpu, &caller_cpu);
            t->caller_cpu = &caller_cpu;
        }
        syscall_dispatch(t);
        t->caller_cpu = NULL;
        t->bufs = NULL;
        if (!t->proc->cluster) {
            /* the child of a fork the remote thread made: a lone process
             * here, with the master's fds, pids and memory (fork.c) */
            sc_bufs_fini(&bufs);
            net_frame_fini(&f);
            t->proxy = false;
            task_run(t);
        }
        pthread_mutex_lock(&px->lock);
        px->running = false;
        t->sig.pending = 0;
        atomic_store(&t->node_pending, 0);
        atomic_store(&t->node_recheck, false);
        atomic_store(&t->node_cancelled, false);
        pthread_mutex_unlock(&px->lock);
        /* a wait's temporary mask (ppoll...) stays after an interruption
         * on a node-0 thread until its handler runs; the node keeps its
         * own copy, so the proxy's goes now */
        if (t->sig.saved_mask_valid) {
            t->sig.saved_mask_valid = false;
            t->sigmask = t->sig.saved_mask;
        }
        /* interrupted: the restart code itself, which syscall_dispatch
         * turned into -EINTR; the node decides as arm64's do_signal */
        if (t->sig.restart) t->cpu.x[0] = (uint64_t)t->sig.restart;
        t->sig.restart = 0;
        int64_t ret = (int64_t)t->cpu.x[0];
        struct sc_msg out;
        sc_msg_outputs(&bufs, ret, &out);
        /* the caller keeps its mark where the clone did not take it (a
         * fork, a refused clone), as on one node */
        /* sched_setaffinity named none of its node's CPUs: it moves
         * (thread_move.c), and its signals wait from now on */
        msig_call_signals(t, ret);
        respond_outputs(px, req_id, ret, &out, hint_sent && t->hint_next_group < 0, take_move(px));
        sc_msg_fini(&out);
        sc_bufs_fini(&bufs);
        net_frame_fini(&f);
    }
}

/* The proxy of remote thread tid, or NULL; the caller proxy_puts it. */
static struct proxy *proxy_get(struct master *m, int tid, unsigned *node) {
    pthread_mutex_lock(&m->lock);
    struct proxy *px = tid > 0 ? u64map_get(&m->proxies, (uint64_t)tid) : NULL;
    if (px) {
        px->refs++;
        if (node) *node = px->node;
    }
    pthread_mutex_unlock(&m->lock);
    return px;
}

static void proxy_put(struct master *m, struct proxy *px) {
    pthread_mutex_lock(&m->lock);
    SHOAL_ASSERT(px->refs > 0);
    bool last = --px->refs == 0;
    pthread_mutex_unlock(&m->lock);
    if (!last) return;
    /* a request handed over after its thread ended is dropped with it */
    if (px->req.env) net_frame_fini(&px->req);
    free(px->held);
    pthread_cond_destroy(&px->cond);
    pthread_mutex_destroy(&px->lock);
    free(px);
}

void proxy_signal_sent(struct master *m, int tid) {
    struct proxy *px = proxy_get(m, tid, NULL);
    if (!px) return;
    atomic_fetch_add(&px->signals_sent, 1);
    proxy_put(m, px);
}

int proxy_node_of(struct master *m, int tid) {
    unsigned node;
    struct proxy *px = proxy_get(m, tid, &node);
    if (!px) return -1;
    proxy_put(m, px);
    return (int)node;
}

/* process_cluster_ops.affinity_changed: the node of remote thread tid
 * pins it (ahead of the call's answer on the same link), and if the mask
 * sends it away (master_move_check ran first), asks it to come for its
 * move at its next instruction boundary: a thread that makes no call
 * would otherwise keep running where its mask forbids. For a thread in
 * a call (its own sched_setaffinity, a blocking read) the answer moves
 * it first and the ask is dropped there. */
void proxy_affinity_changed(struct process *p, int tid, const uint8_t *mask, size_t bytes) {
    struct master *m = p->cluster_ctx;
    unsigned node;
    struct proxy *px = proxy_get(m, tid, &node);
    if (!px) return;
    Shoal__ThreadAffinity ta = SHOAL__THREAD_AFFINITY__INIT;
    ta.tid = (uint32_t)tid;
    ta.mask.data = (uint8_t *)mask;
    ta.mask.len = bytes;
    pthread_mutex_lock(&px->lock);
    ta.leave = px->move_to != 0 && !px->moving;
    pthread_mutex_unlock(&px->lock);
    proxy_put(m, px);
    if (node == 0) return;
    Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
    env.msg_case = SHOAL__ENVELOPE__MSG_THREAD_AFFINITY;
    env.thread_affinity = &ta;
    master_send(m, (unsigned)node, &env, NULL);
}

/* Hands frame f (a request, or the state of a thread that moved) to the
 * proxy's loop; false when it has one already. */
static bool hand_over(struct proxy *px, struct net_frame *f, bool moved) {
    pthread_mutex_lock(&px->lock);
    bool ok = !px->req.env && (!moved || px->moving);
    if (ok) {
        px->req = *f; /* taken: the loop thread frees nothing */
        f->env = NULL;
        f->payload = NULL;
        pthread_cond_signal(&px->cond);
    }
    pthread_mutex_unlock(&px->lock);
    return ok;
}

void proxy_on_syscall(struct master *m, struct net_conn *c, struct net_frame *f) {
    uint32_t tid = f->env->syscall_request->tid;
    unsigned node;
    struct proxy *px = proxy_get(m, (int)tid, &node);
    if (!px || node != net_conn_peer_id(c))
        log_warn("%s: syscall for unknown thread %u dropped", net_conn_name(c), tid);
    else if (!hand_over(px, f, false))
        log_warn("%s: thread %u sent a second syscall at once; dropped", net_conn_name(c), tid);
    if (px) proxy_put(m, px);
}

int proxy_signal_node(struct master *m, int tid, int sig, const struct aarch64_siginfo *info) {
    unsigned where;
    struct proxy *px = proxy_get(m, tid, &where);
    if (!px) return -1;
    int node = (int)where;
    pthread_mutex_lock(&px->lock);
    if (px->moving) {
        if (px->nheld == px->capheld) {
            size_t cap = px->capheld ? 2 * px->capheld : 4;
            struct held_signal *v = realloc(px->held, cap * sizeof *v);
            if (v) {
                px->held = v;
                px->capheld = cap;
            }
        }
        if (px->nheld < px->capheld)
            px->held[px->nheld++] = (struct held_signal){sig, *info};
        else
            log_warn("thread %d: no memory to hold signal %d while it moves", tid, sig);
        node = 0;
    }
    pthread_mutex_unlock(&px->lock);
    proxy_put(m, px);
    return node;
}

void proxy_on_moved(struct master *m, struct net_conn *c, struct net_frame *f) {
    uint32_t tid = f->env->thread_moved->tid;
    unsigned node;
    struct proxy *px = proxy_get(m, (int)tid, &node);
    if (px && node == net_conn_peer_id(c) && f->env->thread_moved->refused) {
        /* the node could not start it: a move to node 0, unasked (its
         * signals are held from now on, as a moving thread's) */
        pthread_mutex_lock(&px->lock);
        px->moving = true;
        px->move_to = 1;
        pthread_mutex_unlock(&px->lock);
    }
    if (!px || node != net_conn_peer_id(c))
        log_warn("%s: move of unknown thread %u dropped", net_conn_name(c), tid);
    else if (!hand_over(px, f, true)) /* its proxy starts it where it goes */
        log_warn("%s: thread %u moved unasked; dropped", net_conn_name(c), tid);
    if (px) proxy_put(m, px);
}

void proxy_move_after_call(struct master *m, int tid, int to) {
    struct proxy *px = proxy_get(m, tid, NULL);
    if (!px) return;
    pthread_mutex_lock(&px->lock);
    if (!px->moving) px->move_to = (int)to + 1;
    pthread_mutex_unlock(&px->lock);
    proxy_put(m, px);
}

static struct proxy *proxy_new(struct master *m, struct task *t, unsigned node) {
    struct proxy *px = calloc(1, sizeof *px);
    SHOAL_ASSERT(px);
    px->m = m;
    px->t = t;
    t->node_signals_sent = &px->signals_sent;
    px->node = node;
    px->refs = 1; /* the host thread that serves it */
    pthread_mutex_init(&px->lock, NULL);
    pthread_cond_init(&px->cond, NULL);
    return px;
}

void proxy_move_out(struct task *t, unsigned to) {
    struct master *m = t->proc->cluster_ctx;
    /* a proxy takes no signal: from here the recorder cannot run, and
     * what comes for this thread waits in its proxy or in the kernel */
    host_signal_block_all();
    struct proxy *px = proxy_new(m, t, to);
    px->moving = true;
    px->move_to = (int)to + 1;
    pthread_mutex_lock(&m->proc->stats.lock);
    t->proxy = true;
    pthread_mutex_unlock(&m->proc->stats.lock);
    pthread_mutex_lock(&m->lock);
    SHOAL_ASSERT(!u64map_put(&m->proxies, (uint64_t)t->tid, px));
    pthread_mutex_unlock(&m->lock);
    t->move_to = 0;
    struct thread_state_buf *b = calloc(1, sizeof *b);
    SHOAL_ASSERT(b);
    thread_state_capture(b, t);
    host_signal_set_current(NULL);
    stats_task_moved(&m->proc->stats, t); /* its times here end */
    if (m->sched) sched_thread_moved(m->sched, 0, to);
    int r = spawn_on(px, &b->msg);
    if (r) log_error("cannot move thread %d to node %u: %s", t->tid, to, strerror(-r));
    thread_state_buf_free(b);
    free(b);
    atomic_fetch_add(&m->moves, 1);
    release_held(px);
    serve(px); /* until it comes back */
    proxy_put(m, px);
}

/* Thread tid's proxy, with px->lock held, if the node on c runs the
 * thread (a message about a thread comes from its node); else NULL.
 * sender_done lets it go. */
static struct proxy *sender_proxy(struct master *m, struct net_conn *c, uint32_t tid) {
    unsigned node;
    struct proxy *px = proxy_get(m, (int)tid, &node);
    if (!px) return NULL;
    if (node != net_conn_peer_id(c)) {
        proxy_put(m, px);
        return NULL;
    }
    pthread_mutex_lock(&px->lock);
    return px;
}

static void sender_done(struct master *m, struct proxy *px) {
    pthread_mutex_unlock(&px->lock);
    proxy_put(m, px);
}

/* Under px->lock, its request running: interrupts the host call (the
 * lock keeps the call from ending, and the next starting, in between). */
static void kick_running(struct proxy *px) {
    __atomic_store_n(&px->t->sig.pending, 1, __ATOMIC_SEQ_CST);
    host_signal_kick(px->t->tid);
}

void proxy_on_futex_cancel(struct master *m, struct net_conn *c, uint32_t tid, uint64_t req_id) {
    struct proxy *px = sender_proxy(m, c, tid);
    if (!px) return;
    if (px->running && px->running_req == req_id) {
        /* node_cancelled first, so a wait kicked by SignalsAtNode as
         * well sees it (signalfd_poll.h) */
        atomic_store(&px->t->node_cancelled, true);
        kick_running(px);
    } else {
        px->cancel = true;
        px->cancel_req = req_id;
        pthread_cond_signal(&px->cond);
    }
    sender_done(m, px);
}

void proxy_on_signals_at_node(struct master *m, struct net_conn *c, uint32_t tid, uint64_t req_id,
                              uint64_t pending) {
    struct proxy *px = sender_proxy(m, c, tid);
    if (!px) return;
    if (px->running && px->running_req == req_id) {
        /* the wait looks at its fds again, with these */
        atomic_store(&px->t->node_pending, pending);
        atomic_store(&px->t->node_recheck, true);
        kick_running(px);
    } else {
        px->at_node_req = req_id; /* not taken yet, or ended */
        px->at_node_pending = pending;
    }
    sender_done(m, px);
}

uint8_t *proxy_allowed_nodes(struct master *m, const struct task *t) {
    struct process *p = m->proc;
    pthread_mutex_lock(&p->stats.lock); /* another thread may be setting it */
    uint8_t *allowed = proxy_allowed_nodes_locked(m, t);
    pthread_mutex_unlock(&p->stats.lock);
    return allowed;
}

uint8_t *proxy_allowed_nodes_locked(struct master *m, const struct task *t) {
    unsigned nodes = m->cfg.nodes;
    uint8_t *allowed = NULL;
    if (t->affinity && (allowed = calloc((nodes + 7) / 8, 1))) {
        pthread_mutex_lock(&m->lock);
        for (unsigned n = 0; n < nodes; n++)
            for (unsigned c = m->node_cpu_base[n]; c < m->node_cpu_base[n] + m->node_cpus[n]; c++)
                if (c / 8 < t->affinity_bytes && (t->affinity[c / 8] >> (c % 8) & 1)) {
                    allowed[n / 8] |= (uint8_t)(1u << (n % 8));
                    break;
                }
        pthread_mutex_unlock(&m->lock);
    }
    return allowed;
}

int64_t proxy_clone_thread(struct task *parent, uint64_t flags, uint64_t newsp, uint64_t ptid,
                           uint64_t tls, uint64_t ctid) {
    struct process *p = parent->proc;
    struct master *m = p->cluster_ctx;
    /* a remote thread has a proxy here, a node-0 one is a thread here:
     * either maps a host stack (and every slave's threads are fewer) */
    if (!gs_thread_room(&p->mem)) return -EAGAIN;
    /* the creator's SHOAL_HINT_NEXT_GROUP mark (include/shoal/hint.h): a
     * node-0 thread's own, or the one a remote creator's request brought
     * to its proxy (proxy_main) */
    int64_t group = parent->hint_next_group >= 0 ? parent->hint_next_group : SCHED_NO_GROUP;
    /* the new thread takes its creator's CPU mask: it runs on the nodes
     * that own those CPUs (syscall/cpu_map.h) */
    uint8_t *allowed = proxy_allowed_nodes(m, parent);
    struct sched_thread_info info = {
        .tid = 0, .creator_node = 0, .group = group, .allowed = allowed};
    int node = sched_place(m->sched, &info);
    free(allowed);
    if (node < 0) return node;
    if (node == 0 || (unsigned)node >= m->cfg.nodes) {
        if (node < 64) atomic_fetch_add(&m->placed[node], 1);
        return 0; /* a thread of node 0: as a lone process makes it */
    }
    parent->hint_next_group = -1; /* used by this clone (thread.c does it on node 0) */
    struct task *t = thread_task_from(parent, flags, newsp, tls, ctid);
    t->proxy = true;

    struct proxy *px = proxy_new(m, t, (unsigned)node);
    px->refs++; /* its creator's, until it has started */
    px->flags = flags;
    px->ptid = ptid;
    px->ctid = ctid;
    sem_init(&px->started, 0, 0);
    atomic_fetch_add(&p->live_threads, 1);
    int e = thread_start_detached(NULL, PROXY_STACK, proxy_main, px);
    if (e) {
        atomic_fetch_sub(&p->live_threads, 1);
        task_free(t);
        free(px);
        return -EAGAIN;
    }
    while (sem_wait(&px->started) != 0)
        continue;
    sem_destroy(&px->started);
    /* the thread may have ended already, and t with it */
    int tid = px->tid;
    proxy_put(m, px);
    if (node < 64) atomic_fetch_add(&m->placed[node], 1);
    return tid;
}
