/* Guest signals across the nodes of a run. The master is the source of
 * truth for the process's signal actions: rt_sigaction runs here and the
 * new action is sent to every slave, which applies it before the syscall
 * returns. Masks and alternate stacks stay with their threads.
 *
 * Sending: a thread-directed signal (tkill, tgkill, rt_tgsigqueueinfo)
 * for a thread of another node goes to that node, which queues it on the
 * host thread running it. A process-directed one (kill, rt_sigqueueinfo,
 * or from outside: Ctrl-C, kill(1)) is the host kernel's on the master:
 * it goes to a node-0 guest thread that does not block it; when every
 * thread here blocks it (the master's own threads block everything), it
 * stays pending in the kernel, where the router thread sees it: if a
 * thread on a slave accepts it (does not block it, or waits for it in
 * sigtimedwait), the router takes it and sends it there; otherwise it
 * stays pending (a node-0 thread unblocking it takes it at once), and
 * every slave is told the set of signals held so (SignalWanted): a slave
 * thread that comes to accept one makes its node say so (SignalAccepts),
 * which wakes the router. The router sleeps until a new signal, such a
 * message or an action change; it polls (ROUTER_RETRY_MS) only while a
 * node-0 thread accepts a pending signal the kernel has not handed it
 * yet. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "common/detached_thread.h"
#include "common/log.h"
#include "master/master_internal.h"
#include "syscall/guest_signal.h"
#include "syscall/host_signal.h"

#define ROUTER_RETRY_MS 20
#define TAKEN_WAIT_MS   5000 /* a slave that does not answer is lost soon anyway */

/* Signals the router waits for: all but the unblockable ones and the
 * synchronous fault signals (host_signal.h: never blocked). */
#define ROUTED                                                                                     \
    (~0ull & ~(SIGBIT(SIGKILL) | SIGBIT(SIGSTOP) | SIGBIT(SIGSEGV) | SIGBIT(SIGBUS) |              \
               SIGBIT(SIGILL) | SIGBIT(SIGFPE) | SIGBIT(SIGTRAP)))

static void action_msg(Shoal__SigAction *a, int sig, const struct aarch64_sigaction *act) {
    shoal__sig_action__init(a);
    a->sig = (uint32_t)sig;
    a->handler = act->handler;
    a->flags = act->flags;
    a->mask = act->mask;
    a->restorer = act->restorer;
}

void msig_fill_setup(struct master *m, Shoal__ClusterSetup *s, Shoal__SigAction *store,
                     Shoal__SigAction **ptrs) {
    struct process *p = m->proc;
    pthread_mutex_lock(&p->sig_lock);
    for (int sig = 1; sig <= GUEST_NSIG; sig++) {
        action_msg(&store[sig - 1], sig, &p->sigaction[sig]);
        ptrs[sig - 1] = &store[sig - 1];
    }
    pthread_mutex_unlock(&p->sig_lock);
    s->n_actions = GUEST_NSIG;
    s->actions = ptrs;
}

/* rt_sigaction changed sig (process_cluster_ops.sigaction_changed): one
 * broadcast at a time, each carrying the action as it is when sent, so
 * the last one a node applies is the newest. */
void msig_sigaction_changed(struct process *p, int sig) {
    struct master *m = p->cluster_ctx;
    pthread_mutex_lock(&m->sig_bcast);
    struct aarch64_sigaction act;
    pthread_mutex_lock(&p->sig_lock);
    act = p->sigaction[sig];
    pthread_mutex_unlock(&p->sig_lock);
    Shoal__SigAction a;
    Shoal__SigAction *ap = &a;
    action_msg(&a, sig, &act);
    Shoal__SigactionSet set = SHOAL__SIGACTION_SET__INIT;
    set.n_actions = 1;
    set.actions = &ap;
    Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
    env.msg_case = SHOAL__ENVELOPE__MSG_SIGACTION_SET;
    env.sigaction_set = &set;
    pthread_mutex_lock(&m->lock);
    set.req_id = ++m->sig_req;
    m->sig_waiting = 0;
    for (unsigned n = 1; n < m->cfg.nodes; n++)
        if (m->peers[n] && net_send(m->peers[n], &env) == 0) m->sig_waiting++;
    /* a node lost meanwhile stops counting (master.c ends the run) */
    while (m->sig_waiting && !atomic_load(&m->exiting))
        pthread_cond_wait(&m->cond, &m->lock);
    pthread_mutex_unlock(&m->lock);
    pthread_mutex_unlock(&m->sig_bcast);
    msig_on_accepts(m); /* a held signal may be ignored now */
}

void msig_on_accepts(struct master *m) {
    uint64_t one = 1;
    ssize_t r = write(m->sig_wake_fd, &one, sizeof one);
    (void)r; /* a full counter wakes the router all the same */
}

void msig_reset_hand(struct master *m, const uint64_t *a) {
    struct process *p = m->proc;
    int sig = (int)a[0];
    if (sig < 1 || sig > GUEST_NSIG || sig == SIGKILL || sig == SIGSTOP) return;
    pthread_mutex_lock(&p->sig_lock);
    struct aarch64_sigaction *cur = &p->sigaction[sig];
    /* an rt_sigaction since the delivery wins, as if the reset came
     * first (a handler that reinstalls itself runs after this returns) */
    bool same =
        cur->handler == a[1] && cur->flags == a[2] && cur->mask == a[3] && cur->restorer == a[4];
    if (same) {
        cur->handler = GUEST_SIG_DFL;
        host_signal_apply_action(sig, cur);
    }
    pthread_mutex_unlock(&p->sig_lock);
    if (same) msig_sigaction_changed(p, sig);
}

void msig_on_ack(struct master *m, uint64_t req_id) {
    pthread_mutex_lock(&m->lock);
    if (req_id == m->sig_req && m->sig_waiting) {
        m->sig_waiting--;
        pthread_cond_broadcast(&m->cond);
    }
    pthread_mutex_unlock(&m->lock);
}

static int send_signal(struct master *m, unsigned node, uint64_t req_id, int tid, int sig,
                       const struct aarch64_siginfo *info) {
    Shoal__SignalSend ss = SHOAL__SIGNAL_SEND__INIT;
    ss.req_id = req_id;
    ss.tid = (uint32_t)tid;
    ss.sig = (uint32_t)sig;
    ss.info.data = (uint8_t *)info;
    ss.info.len = sizeof *info;
    Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
    env.msg_case = SHOAL__ENVELOPE__MSG_SIGNAL_SEND;
    env.signal_send = &ss;
    int r = master_send(m, node, &env, NULL);
    if (!r && tid > 0) proxy_signal_sent(m, tid);
    return r;
}

int msig_send(struct master *m, unsigned node, int tid, int sig,
              const struct aarch64_siginfo *info) {
    return send_signal(m, node, 0, tid, sig, info);
}

/* process_cluster_ops.signal_remote. */
int msig_signal_remote(struct process *p, int tid, int sig, const struct aarch64_siginfo *info) {
    struct master *m = p->cluster_ctx;
    if (sig == 0) return proxy_node_of(m, tid) > 0 ? 0 : 1; /* does the thread exist? */
    int node = proxy_signal_node(m, tid, sig, info);
    if (node < 0) return 1;
    if (node == 0) return 0; /* held for it while it moves */
    return send_signal(m, (unsigned)node, 0, tid, sig, info) ? -ESRCH : 0;
}

void msig_on_bounce(struct master *m, struct net_conn *c, const Shoal__SignalSend *ss) {
    int tid = (int)ss->tid, sig = (int)ss->sig;
    struct aarch64_siginfo info;
    memcpy(&info, ss->info.data, sizeof info); /* 128 bytes: net/msg.c */
    int node = proxy_signal_node(m, tid, sig, &info);
    if (node == 0) return; /* held */
    if (node > 0) {
        if ((unsigned)node != net_conn_peer_id(c))
            send_signal(m, (unsigned)node, 0, tid, sig, &info);
        return; /* the node it is gone from again: it has ended there */
    }
    signal_queue_local(m->proc, tid, sig, &info); /* a thread of node 0 now, if it lives */
}

void msig_call_signals(struct task *t, int64_t ret) {
    int sig = ret == -EPIPE ? SIGPIPE : ret == -EFBIG ? SIGXFSZ : 0;
    /* the proxy's own queue (rare, so its status file is read) */
    if (!sig || !(host_signal_thread_pending(0) & SIGBIT(sig))) return;
    uint64_t one = SIGBIT(sig);
    struct aarch64_siginfo info;
    const struct timespec now = {0, 0};
    /* the thread's own instance comes before the process's */
    if (syscall(SYS_rt_sigtimedwait, &one, &info, &now, 8) != sig) return;
    signal_to_cluster_thread(t->proc, t->tid, sig, &info);
}

void msig_on_taken(struct master *m, uint64_t req_id, uint32_t tid) {
    pthread_mutex_lock(&m->lock);
    if (req_id == m->taken_req && m->taken < 0) {
        m->taken = (int)(tid & 0x7fffffff);
        pthread_cond_broadcast(&m->cond);
    }
    pthread_mutex_unlock(&m->lock);
}

static bool accepts(struct task *t, int sig) {
    uint64_t bit = SIGBIT(sig);
    return !(__atomic_load_n(&t->sigmask, __ATOMIC_RELAXED) & bit) ||
           (atomic_load(&t->sigwait_set) & bit);
}

/* Whether a node-0 guest thread accepts sig now: the host kernel then
 * gives it one (a thread that unblocks takes the process's pending
 * signals on its way back to user mode). */
static bool node0_accepts(struct master *m, int sig) {
    struct run_stats *st = &m->proc->stats;
    bool yes = false;
    pthread_mutex_lock(&st->lock); /* a task on the list cannot go away */
    for (struct task *t = st->live; t && !yes; t = t->stats_next)
        yes = !t->proxy && t->host_tid && accepts(t, sig);
    pthread_mutex_unlock(&st->lock);
    return yes;
}

/* Asks node which of its threads accepts sig: its tid, or 0. */
static int probe(struct master *m, unsigned node, int sig) {
    pthread_mutex_lock(&m->lock);
    uint64_t req = ++m->taken_req;
    m->taken = -1;
    pthread_mutex_unlock(&m->lock);
    struct aarch64_siginfo none;
    memset(&none, 0, sizeof none);
    if (send_signal(m, node, req, 0, sig, &none)) return 0;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += TAKEN_WAIT_MS / 1000;
    pthread_mutex_lock(&m->lock);
    int r = 0;
    while (m->taken < 0 && !atomic_load(&m->exiting) && r != ETIMEDOUT)
        r = pthread_cond_timedwait(&m->cond, &m->lock, &until);
    int tid = m->taken > 0 ? m->taken : 0;
    m->taken = 0;
    pthread_mutex_unlock(&m->lock);
    return tid;
}

/* Takes one pending instance of sig from the process (0 timeout). */
static bool dequeue(int sig, struct aarch64_siginfo *info) {
    uint64_t one = SIGBIT(sig);
    struct timespec zero = {0, 0};
    memset(info, 0, sizeof *info);
    return syscall(SYS_rt_sigtimedwait, &one, info, &zero, 8) == sig;
}

struct pass {
    bool moved;     /* an instance was sent to a slave or dropped */
    uint64_t held;  /* pending, and no thread accepts them */
    uint64_t node0; /* pending, and a node-0 thread accepts them */
};

/* One pass over the process's pending signals, which every master
 * thread blocks (else the kernel would have delivered them). A signal a
 * slave thread accepts goes there (one instance per pass: the order of
 * queued real-time instances is kept); the others stay pending in the
 * kernel, so a node-0 thread that unblocks one takes it at once. */
static struct pass route_pending(struct master *m) {
    uint64_t pending = host_signal_pending() & ROUTED;
    struct pass r = {false, 0, 0};
    for (int sig = 1; sig <= GUEST_NSIG; sig++) {
        if (!(pending & SIGBIT(sig))) continue;
        struct aarch64_siginfo info;
        /* An ignored signal is routed like any other: the thread that
         * accepts it drops it, and while every thread blocks it it stays
         * pending, as on Linux (a SIGCHLD the guest blocks to take it with
         * sigwaitinfo, or to see it in sigpending). */
        if (node0_accepts(m, sig)) {
            r.node0 |= SIGBIT(sig);
            continue;
        }
        r.held |= SIGBIT(sig);
        for (unsigned n = 1; n < m->cfg.nodes && !atomic_load(&m->exiting); n++) {
            int tid = probe(m, n, sig);
            if (!tid) continue;
            if (dequeue(sig, &info)) {
                info.si_signo = sig;
                send_signal(m, n, 0, tid, sig, &info);
                r.moved = true;
            }
            r.held &= ~SIGBIT(sig);
            break;
        }
    }
    return r;
}

/* Tells every slave which signals are held for want of a thread. */
static void send_wanted(struct master *m, uint64_t set) {
    Shoal__SignalWanted w = SHOAL__SIGNAL_WANTED__INIT;
    w.set = set;
    Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
    env.msg_case = SHOAL__ENVELOPE__MSG_SIGNAL_WANTED;
    env.signal_wanted = &w;
    master_send_slaves(m, &env); /* a node not up yet has no thread */
}

static void *router_main(void *arg) {
    struct master *m = arg;
    host_signal_block_all(); /* inherited already: the watched set must stay blocked */
    uint64_t set = ROUTED;
    int fd = (int)syscall(SYS_signalfd4, -1, &set, 8, SFD_CLOEXEC | SFD_NONBLOCK);
    if (fd < 0) {
        log_error("signal router: signalfd: %s", strerror(errno));
        return NULL;
    }
    struct pollfd pfd[2] = {{.fd = fd, .events = POLLIN}, {.fd = m->sig_wake_fd, .events = POLLIN}};
    uint64_t told = 0;
    for (;;) {
        if (atomic_load(&m->exiting)) return NULL;
        struct pass r = route_pending(m);
        if (r.moved) continue; /* more instances may go the same way */
        /* after every pass (an accept the slave made may have been for
         * a set it then cleared): no lost wake-up */
        if (r.held || told) send_wanted(m, r.held);
        told = r.held;
        /* the signalfd is readable while a watched signal is pending:
         * it watches only the others, for new arrivals (reading it is
         * never needed: route_pending dequeues) */
        uint64_t watch = ROUTED & ~r.held & ~r.node0;
        syscall(SYS_signalfd4, fd, &watch, 8, SFD_CLOEXEC | SFD_NONBLOCK);
        int n = poll(pfd, 2, r.node0 ? ROUTER_RETRY_MS : -1);
        if (n > 0 && (pfd[1].revents & POLLIN)) {
            uint64_t v;
            ssize_t rd = read(m->sig_wake_fd, &v, sizeof v);
            (void)rd;
        }
    }
}

int msig_start(struct master *m) {
    pthread_mutex_init(&m->sig_bcast, NULL);
    m->sig_wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (m->sig_wake_fd < 0) return -errno;
    return -thread_start_detached(NULL, 0, router_main, m);
}
