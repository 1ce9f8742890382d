/* Syscall delegation on a slave: a guest thread's global call (or a note
 * that is not a call) sent to the master with its input buffers, the
 * thread's wait for the answer (interruptible by a guest signal, which
 * cancels the request), and the answer handed to it by the loop thread
 * with the outputs it stores itself. Futex words lent here are decided
 * in futex_local.c first. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cluster/cpu_msg.h"
#include "cluster/cpu_usage_msg.h"
#include "cluster/sc_msg.h"
#include "cluster/sched_msg.h"
#include "common/log.h"
#include "net/transport.h"
#include "slave/futex_local.h"
#include "slave/slave_internal.h"
#include "syscall/cpu_time.h"
#include "syscall/futex_args.h"
#include "syscall/host_signal.h"
#include "syscall/robust_list.h"
#include "syscall/signalfd_read.h"
#include "syscall/syscall.h"

static void send_cancel(struct slave *s, uint32_t tid, uint64_t req_id) {
    Shoal__FutexCancel fc = SHOAL__FUTEX_CANCEL__INIT;
    fc.req_id = req_id;
    fc.tid = tid;
    Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
    env.msg_case = SHOAL__ENVELOPE__MSG_FUTEX_CANCEL;
    env.futex_cancel = &fc;
    slave_send_master_page(s, &env, NULL);
}

/* The signals queued here for thread t (its own: recorded, or waiting
 * in its host thread's queue), as the thread itself reads them. */
static uint64_t own_pending(struct task *t) {
    return t->sig.recorded | host_signal_pending();
}

static void send_signals_at_node(struct slave *s, struct task *t, uint64_t req_id) {
    Shoal__SignalsAtNode m = SHOAL__SIGNALS_AT_NODE__INIT;
    m.req_id = req_id;
    m.tid = (uint32_t)t->tid;
    m.pending = own_pending(t);
    Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
    env.msg_case = SHOAL__ENVELOPE__MSG_SIGNALS_AT_NODE;
    env.signals_at_node = &m;
    slave_send_master_page(s, &env, NULL);
}

void slave_waiter_signalled(struct slave *s, uint32_t tid) {
    struct waiter *w = u64map_get(&s->waiters, tid);
    if (!w || !w->watch_signals || w->done) return;
    w->at_node = true;
    atomic_store(&w->word, 2);
    syscall(SYS_futex, &w->word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/* A delegated call's wait: the thread sleeps on its own word, so a guest
 * signal interrupts it; it then asks the master to cancel the request
 * (a futex wait's record leaves the table, a call the proxy runs is
 * interrupted, one it has not begun is not made) and takes the one
 * answer that comes: the cancel's, or the result that came first. A
 * signal it blocks, queued meanwhile, goes to a wait on fds as its
 * SignalsAtNode. Under s->lock on return. */
static void interruptible_sleep(struct slave *s, struct task *t, struct waiter *w,
                                uint64_t req_id) {
    bool cancelled = false;
    while (!w->done) {
        if (w->at_node && !cancelled) {
            w->at_node = false;
            atomic_store(&w->word, 0); /* not done: under the lock */
            pthread_mutex_unlock(&s->lock);
            send_signals_at_node(s, t, req_id);
            pthread_mutex_lock(&s->lock);
            continue;
        }
        pthread_mutex_unlock(&s->lock);
        int64_t e = cancelled ? 0
                              : safe_syscall(&t->sig.pending, SYS_futex, &w->word,
                                             FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
        if (e == -EINTR && !cancelled) {
            send_cancel(s, (uint32_t)t->tid, req_id);
            cancelled = true;
        }
        pthread_mutex_lock(&s->lock);
        while (cancelled && !w->done)
            pthread_cond_wait(&w->cond, &s->lock);
    }
}

void slave_waiter_add(struct slave *s, uint32_t tid, struct waiter *w) {
    pthread_mutex_lock(&s->lock);
    SHOAL_ASSERT(!u64map_put(&s->waiters, (uint64_t)tid, w));
    pthread_mutex_unlock(&s->lock);
}

int64_t slave_await(struct slave *s, struct task *t, struct waiter *w, uint64_t req_id) {
    pthread_mutex_lock(&s->lock);
    if (w->on_word) interruptible_sleep(s, t, w, req_id);
    while (!w->done)
        pthread_cond_wait(&w->cond, &s->lock);
    /* the answer may name memory a change sent before it made (an mmap's
     * address): it is this node's before the thread goes on */
    slave_layout_reach(s, w->layout_mark);
    u64map_del(&s->waiters, (uint64_t)t->tid);
    pthread_mutex_unlock(&s->lock);
    pthread_cond_destroy(&w->cond);
    return w->ret;
}

/* Calls a signal must not cut short on the master: they make or end
 * threads and processes, whose proxy state a kick would leak into. */
static bool uninterruptible(int nr) {
    switch (nr) {
    case 93:  /* exit */
    case 94:  /* exit_group */
    case 220: /* clone */
    case 221: /* execve */
    case 281: /* execveat */
    case 435: /* clone3 */
    case 136: /* rt_sigpending, for process_pending: never blocks there */ return true;
    default: return false;
    }
}

/* What a request is: a call, or one of two notes that are not calls
 * and that no signal cuts short. */
enum req_kind {
    REQ_CALL,
    REQ_RESET_HAND, /* SA_RESETHAND fired (SyscallRequest.reset_hand) */
    REQ_MOVE_ASK,   /* does the thread move? (SyscallRequest.move_ask) */
};

/* Sends the request and waits for its answer. */
static int64_t delegate_req(struct task *t, const struct syscall_row *row, const uint64_t *a,
                            enum req_kind kind) {
    struct slave *s = t->proc->cluster_ctx;
    struct waiter w = {.done = false};
    struct futex_args fa = {.wait = false};
    int64_t timeout_ns = -1;
    /* the list is in this thread's memory, its wakes go to the master */
    if (row->nr == 93) robust_list_exit(t);
    bool table_wait = false;
    if (row->nr == 98) {
        /* the timeout is read here (it is this thread's memory) and sent
         * as the time left, so the master applies it on its own clock */
        int r = futex_args_parse(t, a, true, &fa);
        if (r) return r;
        timeout_ns = futex_args_left_ns(&fa, &t->proc->clock);
        table_wait = fa.wait && fa.table;
    }
    w.on_word = !uninterruptible(row->nr) && kind == REQ_CALL;
    w.watch_signals = w.on_word && (row->nr == 72 || row->nr == 73 || row->nr == 22 ||
                                    row->nr == 441); /* pselect6, ppoll, epoll_pwait(2) */
    pthread_cond_init(&w.cond, NULL);
    slave_waiter_add(s, (uint32_t)t->tid, &w);

    Shoal__SyscallRequest q = SHOAL__SYSCALL_REQUEST__INIT;
    q.req_id = slave_next_req(s);
    q.tid = (uint32_t)t->tid;
    q.nr = (uint32_t)row->nr;
    q.n_args = 6;
    q.args = (uint64_t *)a;
    q.timeout_ns = timeout_ns;
    q.reset_hand = kind == REQ_RESET_HAND;
    q.move_ask = kind == REQ_MOVE_ASK;
    /* read after the waiter is in place: one queued later is sent on */
    if (w.watch_signals) q.node_pending = own_pending(t);
    /* the buffers the call reads travel with it (cluster/sc_msg.h); a
     * note's arguments are values, not buffers */
    struct sc_msg in = {0};
    if (kind == REQ_CALL) sc_msg_gather(t, row, a, &in);
    q.n_inputs = in.n;
    q.inputs = in.ptrs;
    /* the program's CPU time: this node's part goes along (cpu_time.h) */
    Shoal__CpuUsage own = SHOAL__CPU_USAGE__INIT;
    bool split;
    if (cpu_time_call(row->nr, a, &split)) {
        struct cpu_usage u;
        cpu_usage_node(t->proc, &u, split);
        cpu_usage_to_msg(&u, &own);
        q.caller_cpu = &own;
    }
    struct cpu_msg_buf cb;
    Shoal__SchedAttr sa;
    Shoal__HintGroup mark = SHOAL__HINT_GROUP__INIT;
    if (row->nr == 220 || row->nr == 435) { /* clone: the child starts from these */
        cpu_msg_from_cpu(&cb, &t->cpu);
        q.cpu = &cb.msg;
        q.sigmask = t->sigmask;
        /* and with this thread's nice value and policy, as on Linux */
        if (sched_msg_get(&sa)) q.sched = &sa;
        /* and the SHOAL_HINT_NEXT_GROUP mark that places it */
        mark.group = t->hint_next_group;
        if (mark.group >= 0) q.hint_next = &mark;
    }
    Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
    env.msg_case = SHOAL__ENVELOPE__MSG_SYSCALL_REQUEST;
    env.syscall_request = &q;
    int r = slave_send_master_page(s, &env, NULL);
    sc_msg_fini(&in);
    if (r) {
        /* the master is gone: on_peer_lost ends this node */
        for (;;)
            pause();
    }
    slave_await(s, t, &w, q.req_id);
    if (row->nr == 93) { /* exit: the master cleared the tid; this thread ends */
        pthread_mutex_lock(&s->lock);
        u64map_del(&s->threads, (uint64_t)t->tid);
        pthread_mutex_unlock(&s->lock);
        host_signal_block_all();
        host_signal_set_current(NULL);
        task_free(t);
        pthread_exit(NULL);
    }
    /* used by this clone, as thread.c clears it on one node */
    if (w.hint_used) t->hint_next_group = -1;
    t->signalfd_at_node.mask = w.signalfd_mask;
    t->signalfd_at_node.nonblock = w.signalfd_nonblock;
    /* its new CPU mask names none of this node's CPUs: it leaves once the
     * call has returned (slave_move_out) */
    if (w.move) {
        t->move_to = 1;
        t->cpu.attention = 1;
    }
    if (w.resp.env) {
        sc_msg_store(t, w.resp.env->syscall_response);
        net_frame_fini(&w.resp);
    }
    /* the master cancelled the futex wait; other calls come back with
     * their own restart code */
    if (table_wait && w.ret == -EINTR) return -fa.restart;
    return w.ret;
}

/* The temporary signal mask a waiting call names (ppoll, pselect6,
 * epoll_pwait(2)); false: none, or one the master will refuse. */
static bool wait_mask_of(struct task *t, int nr, const uint64_t *a, uint64_t *mask) {
    uint64_t addr, size;
    switch (nr) {
    case 73: /* ppoll */
        addr = a[3];
        size = a[4];
        break;
    case 22:  /* epoll_pwait */
    case 441: /* epoll_pwait2 */
        addr = a[4];
        size = a[5];
        break;
    case 72: { /* pselect6: a[5] points at {sigset pointer, size} */
        uint64_t d[2];
        if (!a[5] || gs_copy_in(&t->proc->mem, d, a[5], sizeof d)) return false;
        addr = d[0];
        size = d[1];
        break;
    }
    default: return false;
    }
    return addr && size == 8 && gs_copy_in(&t->proc->mem, mask, addr, sizeof *mask) == 0;
}

int64_t slave_delegate_call(struct task *t, const struct syscall_row *row, const uint64_t *a) {
    /* a futex word lent to this node: decided here (futex_local.h); the
     * master says so too of an op that left before the loan came */
    if (row->nr == 98) {
        struct slave *s = t->proc->cluster_ctx;
        int64_t ret;
        do {
            if (futex_local_op(s->futex, t, a, &ret)) {
                t->decided_here = true;
                return ret;
            }
            ret = delegate_req(t, row, a, REQ_CALL);
        } while (ret == FUTEX_AT_NODE);
        return ret;
    }
    /* A wait's temporary mask is this thread's while its proxy waits, so
     * a signal it unblocks interrupts the wait here; after an
     * interruption it stays until the handler's frame saved the old one,
     * as a node-0 thread's does (sys_ppoll). */
    uint64_t mask;
    bool masked = wait_mask_of(t, row->nr, a, &mask);
    if (masked) {
        t->sig.saved_mask = t->sigmask;
        t->sig.saved_mask_valid = true;
        signal_set_mask(t, mask);
    }
    int64_t r = delegate_req(t, row, a, REQ_CALL);
    /* a signalfd whose process had nothing for it: this thread's own */
    t->decided_here = r == SIGNALFD_AT_NODE && (row->nr == 63 || row->nr == 65);
    if (t->decided_here)
        return signalfd_read_here(t, row->nr, a, t->signalfd_at_node.mask,
                                  t->signalfd_at_node.nonblock);
    if (masked && r != -GUEST_ERESTARTNOHAND) {
        t->sig.saved_mask_valid = false;
        signal_set_mask(t, t->sig.saved_mask);
    }
    return r;
}

int slave_delegate_process_pending(struct task *t, const uint64_t *a, uint64_t *set) {
    const struct syscall_row *row = syscall_lookup(136);
    int64_t r = row ? delegate_req(t, row, a, REQ_CALL) : -ENOSYS;
    if (r) return (int)r;
    *set = 0;
    return gs_copy_in(&t->proc->mem, set, a[0], a[1]) ? -EFAULT : 0;
}

/* SA_RESETHAND reset sig here: the master resets it on every node (if
 * act is still the action) before this thread runs the handler. */
void slave_delegate_reset_hand(struct task *t, int sig, const struct aarch64_sigaction *act) {
    const struct syscall_row *row = syscall_lookup(134);
    const uint64_t a[6] = {(uint64_t)sig, act->handler, act->flags, act->mask, act->restorer, 0};
    if (row) delegate_req(t, row, a, REQ_RESET_HAND);
}

static void h_futex_lend(struct net_conn *c, struct net_frame *f, void *arg) {
    (void)c;
    struct slave *s = arg;
    if (s->futex) futex_local_on_lend(s->futex, f->env->futex_lend->addr, f->env->futex_lend->seq);
}

static void h_futex_recall(struct net_conn *c, struct net_frame *f, void *arg) {
    (void)c;
    struct slave *s = arg;
    const Shoal__FutexRecall *r = f->env->futex_recall;
    /* none before ClusterSetup: no loan was made then */
    if (s->futex) futex_local_on_recall(s->futex, r->addr, r->seq);
}

static void h_response(struct net_conn *c, struct net_frame *f, void *arg) {
    struct slave *s = arg;
    const Shoal__SyscallResponse *r = f->env->syscall_response;
    pthread_mutex_lock(&s->lock);
    struct waiter *w = u64map_get(&s->waiters, r->tid);
    if (w) {
        w->ret = r->ret;
        w->hint_used = r->hint_used;
        w->move = r->move;
        w->signalfd_mask = r->signalfd_mask;
        w->signalfd_nonblock = r->signalfd_nonblock;
        w->layout_mark = s->lq_queued;
        w->done = true;
        if (r->n_outputs) {
            /* stored by the thread itself: a store may fault, and only
             * this loop thread brings pages */
            w->resp = *f;
            f->env = NULL;
            f->payload = NULL;
        }
        pthread_cond_signal(&w->cond);
        if (w->on_word) {
            atomic_store(&w->word, 1);
            syscall(SYS_futex, &w->word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
        }
    }
    pthread_mutex_unlock(&s->lock);
}

/* process_cluster_ops.move_ask: the master asked thread t to leave this
 * node (h_thread_affinity); unless the answer of the call it just made
 * moves it already, it asks whether it still moves, and the answer sets
 * move_to if so. */
void slave_move_ask(struct task *t) {
    static const struct syscall_row ask_row = {0, "move_ask", NULL, "", 'd', SC_GLOBAL};
    static const uint64_t none[6] = {0};
    if (__atomic_exchange_n(&t->move_ask, 0, __ATOMIC_ACQ_REL) && !t->move_to)
        delegate_req(t, &ask_row, none, REQ_MOVE_ASK);
}

void slave_delegate_register(struct slave *s) {
    net_node_on(s->net, SHOAL__ENVELOPE__MSG_SYSCALL_RESPONSE, h_response, s);
    net_node_on(s->net, SHOAL__ENVELOPE__MSG_FUTEX_LEND, h_futex_lend, s);
    net_node_on(s->net, SHOAL__ENVELOPE__MSG_FUTEX_RECALL, h_futex_recall, s);
}
