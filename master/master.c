/* The master: bring-up (listen, admit slaves, send each the set-up),
 * message handlers, and the end of the run on every node. */
#define _GNU_SOURCE
#include "master/master.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cluster/build_id.h"
#include "common/detached_thread.h"
#include "common/log.h"
#include "common/proc_stopped.h"
#include "master/master_internal.h"
#include "syscall/cpu_timer.h"
#include "syscall/host_signal.h"
#include "syscall/own_fds.h"
#include "syscall/timer_relay.h"

#define DEFAULT(v, d) ((v) ? (v) : (d))

int master_send_pages(struct master *m, unsigned node, Shoal__Envelope *env,
                      const void *const *pages, uint32_t n) {
    pthread_mutex_lock(&m->lock);
    struct net_conn *c = node < m->cfg.nodes ? m->peers[node] : NULL;
    if (c) net_conn_ref(c);
    pthread_mutex_unlock(&m->lock);
    if (!c) return -ENOTCONN;
    int r = n ? net_send_pages(c, env, pages, n) : net_send(c, env);
    net_conn_unref(c);
    return r;
}

int master_send(struct master *m, unsigned node, Shoal__Envelope *env, const void *page) {
    return master_send_pages(m, node, env, &page, page ? 1 : 0);
}

struct timespec master_deadline(unsigned ms) {
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (long)(ms % 1000) * 1000000;
    if (until.tv_nsec >= 1000000000) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000;
    }
    return until;
}

unsigned master_await(struct master *m, const unsigned *pending, unsigned ms) {
    struct timespec until = master_deadline(ms);
    while (*pending && !atomic_load(&m->exiting))
        if (pthread_cond_timedwait(&m->cond, &m->lock, &until) == ETIMEDOUT) break;
    return *pending;
}

unsigned master_send_slaves(struct master *m, Shoal__Envelope *env) {
    unsigned sent = 0;
    for (unsigned n = 1; n < m->cfg.nodes; n++)
        sent += master_send(m, n, env, NULL) == 0;
    return sent;
}

static void cleanup_files(struct master *m) {
    if (m->keyfile) unlink(m->keyfile);
    if (m->tmpdir) rmdir(m->tmpdir);
}

static void reap_children(struct master *m, unsigned wait_ms) {
    struct timespec step = {0, 10 * 1000 * 1000};
    for (unsigned waited = 0;; waited += 10) {
        bool all = true;
        for (size_t i = 0; i < m->nchildren; i++) {
            if (m->children[i] <= 0) continue;
            if (waitpid(m->children[i], NULL, WNOHANG) == m->children[i])
                m->children[i] = 0;
            else
                all = false;
        }
        if (all) return;
        if (waited >= wait_ms) break;
        nanosleep(&step, NULL);
    }
    for (size_t i = 0; i < m->nchildren; i++)
        if (m->children[i] > 0) {
            kill(m->children[i], SIGKILL);
            waitpid(m->children[i], NULL, 0);
        }
}

_Noreturn void master_abort(struct master *m, int status) {
    atomic_store(&m->exiting, 1);
    fflush(NULL);
    for (size_t i = 0; i < m->nchildren; i++)
        if (m->children[i] > 0) kill(m->children[i], SIGKILL);
    reap_children(m, 0);
    cleanup_files(m);
    _exit(status);
}

static void send_exit(struct master *m, int status, int sig);

_Noreturn void master_end_lost(struct master *m) {
    send_exit(m, 1, 0);
    master_abort(m, 1);
}

static void send_exit(struct master *m, int status, int sig) {
    Shoal__Exit ex = SHOAL__EXIT__INIT;
    ex.group = 1;
    ex.status = status;
    ex.signal = sig;
    Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
    env.msg_case = SHOAL__ENVELOPE__MSG_EXIT;
    env.exit = &ex;
    master_send_slaves(m, &env);
}

static void print_summary(struct master *m);

/* Every slave is told the run ends, given exit_ms to go, and reaped. */
static void end_slaves(struct master *m, int status, int sig) {
    send_exit(m, status, sig);
    unsigned ms = DEFAULT(m->cfg.timeouts.exit_ms, 2000);
    struct timespec until = master_deadline(ms);
    pthread_mutex_lock(&m->lock);
    while (m->gone < m->joined)
        if (pthread_cond_timedwait(&m->cond, &m->lock, &until) == ETIMEDOUT) break;
    pthread_mutex_unlock(&m->lock);
    reap_children(m, ms);
    cleanup_files(m);
}

/* The run ends here: another thread that tries too waits for the
 * process to go. */
static void claim_end(struct master *m) {
    if (atomic_exchange(&m->exiting, 1)) {
        for (;;)
            pause();
    }
    /* slaves closing their connections now is the plan, not news */
    log_set_level(LOG_ERROR);
}

/* process_exit / process_die_of_signal on the master, from any thread:
 * every slave is told, and given exit_ms to go. */
static void master_on_exit(struct process *p, int status, int sig) {
    struct master *m = p->cluster_ctx;
    claim_end(m);
    /* statistics first: after the Exit the slaves are gone */
    if (m->cfg.verbose || p->stats.path) mstats_collect(m, DEFAULT(m->cfg.timeouts.exit_ms, 2000));
    end_slaves(m, status, sig);
    if (m->cfg.verbose) print_summary(m);
}

/* execve on the master (a node-0 thread, or a proxy for a remote one):
 * the new program runs here alone, so the slaves end first, as at an
 * exit: the new program must not find them among its children (its
 * wait4(-1) would reap one), and their threads die with the old image
 * as Linux's exec kills every other thread. */
static void master_on_exec(struct process *p) {
    struct master *m = p->cluster_ctx;
    claim_end(m);
    end_slaves(m, 0, 0);
}

/* process_cluster_ops.hint_group: a node-0 thread's own mark. */
static void master_hint_group(struct task *t, int64_t group) {
    struct master *m = t->proc->cluster_ctx;
    sched_group_seen(m->sched, group, 0);
}

/* process_cluster_ops.timer_taken, and a node's TimerTaken: the
 * timer's timer_getoverrun reports `overrun` from now. A host timer of
 * node 0 (the kernel keeps its own) is neither. */
static void timer_taken(struct process *p, int id, int overrun) {
    if (!timer_relay_taken(p, id, overrun)) cpu_timer_taken(p, id, overrun);
}

static void master_timer_taken(struct task *t, int id, int overrun) {
    timer_taken(t->proc, id, overrun);
}

static void send_run_stop(struct master *m, bool stopped) {
    Shoal__RunStop r = SHOAL__RUN_STOP__INIT;
    r.stopped = stopped;
    Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
    env.msg_case = SHOAL__ENVELOPE__MSG_RUN_STOP;
    env.run_stop = &r;
    master_send_slaves(m, &env);
}

/* process_cluster_ops.stop_run, and a node's RunStop: the run stops as
 * one process would. The nodes hold their silence timeouts for the
 * master, which stops itself; continued (SIGCONT: the shell's fg goes to
 * the master), it tells them. Never on the loop thread: its frames go
 * out only at the end of its iteration, after the stop. */
static void master_stop_run(struct process *p) {
    struct master *m = p->cluster_ctx;
    send_run_stop(m, true);
    kill(getpid(), SIGSTOP);
    send_run_stop(m, false);
}

static void *stopper(void *arg) {
    struct master *m = arg;
    master_stop_run(m->proc);
    return NULL;
}

/* A thread of node 0 ends (a remote one's proxy says so for its node):
 * its PI locks pass on, and node 0 has one thread less to place by. */
static void master_thread_exit(struct task *t) {
    struct master *m = t->proc->cluster_ctx;
    fsvc_thread_exit(t);
    if (!t->proxy && m->sched) sched_thread_exit(m->sched, 0);
}

static const struct process_cluster_ops master_ops = {
    .delegate = NULL,
    .clone_thread = proxy_clone_thread,
    .on_exit = master_on_exit,
    .on_exec = master_on_exec,
    .thread_exit = master_thread_exit,
    .sigaction_changed = msig_sigaction_changed,
    .signal_remote = msig_signal_remote,
    .futex = fsvc_futex,
    .fork_prepare = mfork_prepare,
    .fork_done = mfork_done,
    .has_children = mfork_has_children,
    .hint_group = master_hint_group,
    .timer_taken = master_timer_taken,
    .stop_run = master_stop_run,
    .cpu_usage = mcpu_usage,
    .cpu_usage_thread = mcpu_thread,
    .cpu_usage_process = mcpu_process,
    .affinity_changed = proxy_affinity_changed,
    .thread_call = mthread_call,
    .move_check = master_move_check,
    .move_out = master_move_out,
};

/* ---- handlers (loop thread) ---- */

static void send_setup(struct master *m, struct net_conn *c) {
    struct process *p = m->proc;
    struct guest_space *gs = &p->mem;
    Shoal__ClusterSetup s = SHOAL__CLUSTER_SETUP__INIT;
    pthread_rwlock_rdlock(&gs->lock);
    Shoal__Mapping *maps = calloc(gs_vma_count(gs) + 1, sizeof *maps);
    Shoal__Mapping **mp = calloc(gs_vma_count(gs) + 1, sizeof *mp);
    SHOAL_ASSERT(maps && mp);
    for (size_t i = 0; i < gs_vma_count(gs); i++) {
        shoal__mapping__init(&maps[i]);
        const struct guest_vma *v = gs_vma(gs, i);
        maps[i].start = v->start;
        maps[i].len = v->end - v->start;
        maps[i].prot = v->prot;
        maps[i].kind = v->kind;
        mp[i] = &maps[i];
    }
    s.n_maps = gs_vma_count(gs);
    s.maps = mp;
    s.space_size = gs->size;
    s.brk_start = gs->brk_start;
    s.brk_cur = gs->brk_cur;
    s.mmap_base = gs->mmap_base;
    s.stack_top = p->stack_top;
    s.stack_size = p->stack_size;
    s.sigtramp = p->sigtramp;
    s.pid = (uint32_t)getpid();
    s.fault_mech = m->cfg.mech;
    s.nodes = m->cfg.nodes;
    s.dbt_flags = m->cfg.dbt_flags;
    s.stats_flags = stats_timing(&p->stats) ? 1u : 0u;
    s.page_events_max = stats_page_events_max(&p->stats);
    s.split = m->msplit != NULL;
    s.direct = mlinks_wanted(m);
    s.async_adds = m->async_adds;
    s.code_size = m->cfg.code_size;
    s.log_items = m->cfg.log_items;
    s.log_path = (char *)(m->cfg.log_path ? m->cfg.log_path : "");
    s.auxv.data = (uint8_t *)p->auxv;
    s.auxv.len = p->auxv_bytes;
    Shoal__SigAction acts[GUEST_NSIG], *actp[GUEST_NSIG];
    msig_fill_setup(m, &s, acts, actp);
    Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
    env.msg_case = SHOAL__ENVELOPE__MSG_CLUSTER_SETUP;
    env.cluster_setup = &s;
    /* under the read lock: no layout change can slip between this
     * snapshot and the broadcasts that follow it */
    uint32_t id = net_conn_peer_id(c);
    pthread_mutex_lock(&m->lock);
    if (id < m->cfg.nodes) m->clocks[id].setup_tx = clock_mono_ns();
    pthread_mutex_unlock(&m->lock);
    int r = net_send(c, &env);
    pthread_rwlock_unlock(&gs->lock);
    free(maps);
    free(mp);
    if (r) log_error("%s: cannot send the set-up: %s", net_conn_name(c), strerror(-r));
}

static void on_peer_up(struct net_node *n, struct net_conn *c, uint32_t id, void *arg) {
    struct master *m = arg;
    pthread_mutex_lock(&m->lock);
    if (id == 0 || id >= m->cfg.nodes || m->peers[id]) {
        pthread_mutex_unlock(&m->lock);
        net_close(c);
        return;
    }
    net_conn_ref(c);
    m->peers[id] = c;
    m->joined++;
    pthread_mutex_unlock(&m->lock);
    if (m->cfg.verbose) log_info("node %u joined: %s", id, net_conn_name(c));
    send_setup(m, c);
}

/* A silent slave that this process launched and that is stopped (kill
 * -STOP, a debugger at a breakpoint) is waited for, not lost. Which child
 * is which node is not known here: any stopped child holds every silent
 * slave, while a child that died closes its connection and is lost at
 * once. Slaves launched elsewhere are never taken for stopped. */
static bool peer_stopped(struct net_node *n, uint32_t id, void *arg) {
    struct master *m = arg;
    (void)n;
    (void)id;
    bool stopped = false;
    pthread_mutex_lock(&m->lock);
    for (size_t i = 0; i < m->nchildren && !stopped; i++)
        stopped = m->children[i] > 0 && proc_stopped(m->children[i]);
    pthread_mutex_unlock(&m->lock);
    return stopped;
}

static void on_peer_lost(struct net_node *n, uint32_t id, const char *reason, void *arg) {
    struct master *m = arg;
    pthread_mutex_lock(&m->lock);
    struct net_conn *c = id < m->cfg.nodes ? m->peers[id] : NULL;
    if (c) {
        m->peers[id] = NULL;
        m->gone++;
    }
    m->layout_waiting = 0;
    m->sig_waiting = 0;
    pthread_cond_broadcast(&m->cond);
    pthread_mutex_unlock(&m->lock);
    if (c) net_conn_unref(c);
    if (atomic_load(&m->exiting)) return;
    fprintf(stderr, "shoal: node %u lost (%s): ending the run\n", id, reason);
    master_end_lost(m);
}

/* Node ids are handed out in the order slaves prove the key. */
static int admit(void *arg, uint32_t requested, uint32_t *assigned, char *why, size_t len) {
    struct master *m = arg;
    pthread_mutex_lock(&m->lock);
    uint32_t id = m->admitted + 1;
    bool ok = id < m->cfg.nodes && !atomic_load(&m->exiting) &&
              (requested == NET_NODE_ANY || requested == id);
    if (ok) m->admitted = id;
    pthread_mutex_unlock(&m->lock);
    if (!ok) {
        if (id >= m->cfg.nodes)
            snprintf(why, len, "this run has all its %u nodes", m->cfg.nodes);
        else
            snprintf(why, len, "node id %u refused: the master assigns ids", requested);
        return -1;
    }
    *assigned = id;
    return 0;
}

/* The node's clocks against this host's, from the set-up round trip (a
 * node that sends no stamps reads its own clocks, as before). */
static void clock_on_ready(struct master *m, uint32_t id, const Shoal__ClusterReady *r) {
    uint64_t rx = clock_mono_ns();
    if (id == 0 || id >= m->cfg.nodes || !r->ready_tx_ns) return;
    struct clock_host node = {.timens_mono = r->timens_monotonic_ns,
                              .timens_boot = r->timens_boottime_ns,
                              .suspended_ns = r->suspended_ns};
    snprintf(node.boot_id, sizeof node.boot_id, "%s", r->boot_id ? r->boot_id : "");
    pthread_mutex_lock(&m->lock);
    struct clock_stamps st = {m->clocks[id].setup_tx, r->setup_rx_ns, r->ready_tx_ns, rx};
    clock_sync_offsets(&m->clock_self, &node, &st, &m->clocks[id].off);
    struct clock_offsets o = m->clocks[id].off;
    pthread_mutex_unlock(&m->lock);
    if (m->cfg.verbose)
        fprintf(stderr,
                "shoal: node %u's clocks: the master's CLOCK_MONOTONIC is its own %+.6f s, "
                "CLOCK_BOOTTIME %+.6f s (%s, +-%.1f us)\n",
                id, (double)o.monotonic_ns / 1e9, (double)o.boottime_ns / 1e9,
                o.exact ? "exact: the same kernel" : "estimated from the set-up round trip",
                (double)o.error_ns / 1e3);
}

static void h_ready(struct net_conn *c, struct net_frame *f, void *arg) {
    struct master *m = arg;
    const Shoal__ClusterReady *r = f->env->cluster_ready;
    if (r->linked) {
        mlinks_on_linked(m, c, r->ok, r->reason);
        return;
    }
    if (!r->ok) {
        fprintf(stderr, "shoal: %s could not set up: %s\n", net_conn_name(c), r->reason);
        master_abort(m, 1);
    }
    mlinks_on_ready(m, net_conn_peer_id(c), r->listen_host, r->listen_port);
    clock_on_ready(m, net_conn_peer_id(c), r);
    pthread_mutex_lock(&m->lock);
    m->ready++;
    unsigned cpus = r->cpus ? r->cpus : 1; /* 0: a slave that does not say */
    m->slave_cpus += cpus;
    if (net_conn_peer_id(c) < m->cfg.nodes) m->node_cpus[net_conn_peer_id(c)] = cpus;
    pthread_cond_broadcast(&m->cond);
    pthread_mutex_unlock(&m->lock);
}

static void h_page_request(struct net_conn *c, struct net_frame *f, void *arg) {
    const Shoal__PageRequest *q = f->env->page_request;
    if (q->reached) {
        dirsvc_reached(arg, q->page, net_conn_peer_id(c));
        return;
    }
    enum dsm_req kind = q->access == SHOAL__ACCESS__ACCESS_READ ? DSM_REQ_READ
                        : q->req_id == DSM_REQ_UPGRADE          ? DSM_REQ_UPGRADE
                                                                : DSM_REQ_WRITE;
    dirsvc_request(arg, q->page, net_conn_peer_id(c), kind, q->layout);
}

static void h_page_ack(struct net_conn *c, struct net_frame *f, void *arg) {
    struct master *m = arg;
    const Shoal__PageAck *a = f->env->page_ack;
    if (a->installed) {
        dirsvc_install_ack(m, a->page, net_conn_peer_id(c));
    } else if (f->payload) {
        atomic_fetch_add(&m->dsm.pages_rx, 1);
        dirsvc_writeback(m, a->page, net_conn_peer_id(c), f->payload);
    } else {
        dirsvc_inv_ack(m, a->page, net_conn_peer_id(c));
    }
}

static void h_syscall(struct net_conn *c, struct net_frame *f, void *arg) {
    proxy_on_syscall(arg, c, f);
}

static void h_futex_returned(struct net_conn *c, struct net_frame *f, void *arg) {
    const Shoal__FutexReturned *r = f->env->futex_returned;
    fsvc_on_returned(arg, net_conn_peer_id(c), r->addr, r->seq, r->moved);
}

static void h_futex_cancel(struct net_conn *c, struct net_frame *f, void *arg) {
    proxy_on_futex_cancel(arg, c, f->env->futex_cancel->tid, f->env->futex_cancel->req_id);
}

static void h_signals_at_node(struct net_conn *c, struct net_frame *f, void *arg) {
    const Shoal__SignalsAtNode *a = f->env->signals_at_node;
    proxy_on_signals_at_node(arg, c, a->tid, a->req_id, a->pending);
}

/* A thread on the sender's node marked itself (SHOAL_HINT_GROUP). The
 * link is FIFO and this loop thread hands out the sender's clones in
 * order, so a clone the thread makes after its mark finds the group
 * bound. A group sched/ refuses (no memory) only stays unbound. */
static void h_hint_group(struct net_conn *c, struct net_frame *f, void *arg) {
    struct master *m = arg;
    sched_group_seen(m->sched, f->env->hint_group->group, net_conn_peer_id(c));
}

/* On the loop thread, which hands the sender's delegated calls to their
 * proxies in order: the thread's timer_getoverrun after it finds this. */
static void h_timer_taken(struct net_conn *c, struct net_frame *f, void *arg) {
    (void)c;
    struct master *m = arg;
    if (m->proc) timer_taken(m->proc, f->env->timer_taken->timer_id, f->env->timer_taken->overrun);
}

/* A thread on the sender's node took a stop signal's default action. */
static void h_run_stop(struct net_conn *c, struct net_frame *f, void *arg) {
    (void)c;
    if (f->env->run_stop->stopped && thread_start_detached(NULL, 0, stopper, arg))
        log_error("cannot stop the run: no thread");
}

static void h_layout_ack(struct net_conn *c, struct net_frame *f, void *arg) {
    layout_on_ack(arg, net_conn_peer_id(c), f->env->layout_ack->req_id);
}

/* The answer goes behind every LayoutChange sent before it (one FIFO
 * link): the node waits until it has applied them (slave/layout.c). */
static void h_layout_sync(struct net_conn *c, struct net_frame *f, void *arg) {
    struct master *m = arg;
    atomic_fetch_add(&m->layout_syncs, 1);
    Shoal__LayoutSync ls = SHOAL__LAYOUT_SYNC__INIT;
    ls.seq = f->env->layout_sync->seq;
    Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
    env.msg_case = SHOAL__ENVELOPE__MSG_LAYOUT_SYNC;
    env.layout_sync = &ls;
    net_send(c, &env); /* a node that is gone is on_peer_lost's */
}

static void h_sigaction_ack(struct net_conn *c, struct net_frame *f, void *arg) {
    msig_on_ack(arg, f->env->sigaction_ack->req_id);
}

static void h_signal_taken(struct net_conn *c, struct net_frame *f, void *arg) {
    msig_on_taken(arg, f->env->signal_taken->req_id, f->env->signal_taken->tid);
}

/* a signal routed to a node whose thread had moved on */
static void h_signal_send(struct net_conn *c, struct net_frame *f, void *arg) {
    if (f->env->signal_send->tid) msig_on_bounce(arg, c, f->env->signal_send);
}

static void h_thread_moved(struct net_conn *c, struct net_frame *f, void *arg) {
    proxy_on_moved(arg, c, f);
}

static void h_thread_call_result(struct net_conn *c, struct net_frame *f, void *arg) {
    mthread_call_on_result(arg, net_conn_peer_id(c), f->env->thread_call_result);
}

static void h_cpu_usage(struct net_conn *c, struct net_frame *f, void *arg) {
    mcpu_on_answer(arg, net_conn_peer_id(c), f->env->cpu_usage);
}

static void h_signal_accepts(struct net_conn *c, struct net_frame *f, void *arg) {
    msig_on_accepts(arg);
}

struct remote_death {
    struct master *m;
    int status, sig;
};

static void *die_thread(void *arg) {
    struct remote_death *d = arg;
    if (d->sig) process_die_of_signal(d->m->proc, d->sig);
    process_exit(d->m->proc, d->status);
}

/* A slave's guest died of a signal (or asked for the end): the whole run
 * ends the same way, from a thread that may wait for the slaves. */
static void h_exit(struct net_conn *c, struct net_frame *f, void *arg) {
    struct master *m = arg;
    const Shoal__Exit *e = f->env->exit;
    if (atomic_load(&m->exiting)) return;
    struct remote_death *d = malloc(sizeof *d);
    SHOAL_ASSERT(d);
    *d =
        (struct remote_death){m, e->status & 0xff, e->signal > 0 && e->signal < 65 ? e->signal : 0};
    if (thread_start_detached(NULL, 0, die_thread, d)) master_abort(m, 1);
}

/* ---- start ---- */

static int create(const struct master_config *cfg, struct process *proc, struct master **out,
                  uint16_t *bound);

/* The threads created here (directory, fault handler, transport, signal
 * router) inherit a mask that blocks every signal, so the host kernel
 * gives process-directed signals only to guest threads, or leaves them
 * to the router (signals.c). */
int master_create(const struct master_config *cfg, struct process *proc, struct master **out,
                  uint16_t *bound) {
    uint64_t old = host_signal_block_all();
    int r = create(cfg, proc, out, bound);
    host_signal_restore(old);
    return r;
}

static int create(const struct master_config *cfg, struct process *proc, struct master **out,
                  uint16_t *bound) {
    struct master *m = calloc(1, sizeof *m);
    SHOAL_ASSERT(m);
    m->cfg = *cfg;
    m->proc = proc;
    pthread_mutex_init(&m->lock, NULL);
    pthread_cond_init(&m->cond, NULL);
    pthread_mutex_init(&m->cpu_query, NULL);
    pthread_mutex_init(&m->tcall_query, NULL);
    m->peers = calloc(cfg->nodes, sizeof *m->peers);
    m->clocks = calloc(cfg->nodes, sizeof *m->clocks);
    m->node_cpus = calloc(cfg->nodes, sizeof *m->node_cpus);
    m->node_cpu_base = calloc(cfg->nodes, sizeof *m->node_cpu_base);
    m->acked = calloc(cfg->nodes, sizeof *m->acked);
    SHOAL_ASSERT(m->peers && m->clocks && m->node_cpus && m->node_cpu_base && m->acked);
    clock_host_read(&m->clock_self);
    u64map_init(&m->proxies);
    struct sched_config sc = {
        .policy = cfg->policy, .nodes = cfg->nodes, .group_size = DEFAULT(cfg->group_size, 1)};
    int r = sched_create(&sc, &m->sched);
    if (r) {
        log_error("placement: %s", strerror(-r));
        return r;
    }
    if ((r = dirsvc_start(m))) return r;
    if ((r = msig_start(m))) return r;
    if ((r = fsvc_start(m))) return r;
    if ((r = dsm_node_init(&m->dsm, proc, cfg->mech, dirsvc_node0_send_request, m))) return r;
    if ((r = msplit_node_start(m))) return r;
    /* every page the loader wrote is node 0's */
    pthread_rwlock_rdlock(&proc->mem.lock);
    size_t nv = gs_vma_count(&proc->mem);
    struct guest_vma *v = malloc((nv + 1) * sizeof *v);
    SHOAL_ASSERT(v);
    vl_copy(&proc->mem.vmas, v);
    pthread_rwlock_unlock(&proc->mem.lock);
    for (size_t i = 0; i < nv; i++)
        dirsvc_adopt_present(m, v[i].start, v[i].end - v[i].start);
    free(v);
    proc->mem.copy_files = true;
    proc->mem.own_open = own_fds_open_hook;
    proc->mem.own_close = own_fds_close_hook;
    proc->mem.own_fd_opaque = proc;
    proc->mem.layout_opaque = m;
    proc->mem.layout = layout_hook;
    proc->mem.alias = malias_map;
    proc->cluster_ctx = m;
    proc->cluster = &master_ops;
    host_signal_record_stops(proc, true); /* the whole run stops, not node 0 */
    /* a CPU limit the run inherited (ulimit -t) counts every node too */
    struct rlimit cpu_limit;
    if (!getrlimit(RLIMIT_CPU, &cpu_limit) && cpu_limit.rlim_cur != RLIM_INFINITY &&
        (r = cpu_timer_setrlimit(proc, &cpu_limit, NULL)))
        return r;

    struct net_config nc;
    net_config_defaults(&nc);
    nc.node_id = 0;
    char build[96];
    nc.build = cluster_build_id(build, sizeof build); /* copied by the node */
    nc.key = cfg->key;
    nc.heartbeat_interval_ms = cfg->timeouts.heartbeat_ms;
    nc.peer_timeout_ms = cfg->timeouts.peer_ms;
    nc.handshake_timeout_ms = DEFAULT(cfg->timeouts.handshake_ms, nc.handshake_timeout_ms);
    nc.max_queue_bytes = net_queue_cap(cfg->timeouts.max_queue_bytes);
    nc.busy_poll_us = cfg->timeouts.busy_poll_us;
    nc.emul = cfg->emul;
    nc.on_peer_up = on_peer_up;
    nc.on_peer_lost = on_peer_lost;
    nc.peer_stopped = peer_stopped;
    nc.admit = admit;
    nc.arg = m;
    if (!(m->net = net_node_create(&nc))) return -ENOMEM;
    net_node_on(m->net, SHOAL__ENVELOPE__MSG_CLUSTER_READY, h_ready, m);
    net_node_on(m->net, SHOAL__ENVELOPE__MSG_PAGE_REQUEST, h_page_request, m);
    /* h_page_ack is done with the page when it returns: no copy of it */
    net_node_on_borrowed(m->net, SHOAL__ENVELOPE__MSG_PAGE_ACK, h_page_ack, m);
    net_node_on(m->net, SHOAL__ENVELOPE__MSG_SYSCALL_REQUEST, h_syscall, m);
    net_node_on(m->net, SHOAL__ENVELOPE__MSG_LAYOUT_ACK, h_layout_ack, m);
    net_node_on(m->net, SHOAL__ENVELOPE__MSG_LAYOUT_SYNC, h_layout_sync, m);
    net_node_on(m->net, SHOAL__ENVELOPE__MSG_FUTEX_CANCEL, h_futex_cancel, m);
    net_node_on(m->net, SHOAL__ENVELOPE__MSG_SIGNALS_AT_NODE, h_signals_at_node, m);
    net_node_on(m->net, SHOAL__ENVELOPE__MSG_FUTEX_RETURNED, h_futex_returned, m);
    net_node_on(m->net, SHOAL__ENVELOPE__MSG_HINT_GROUP, h_hint_group, m);
    net_node_on(m->net, SHOAL__ENVELOPE__MSG_TIMER_TAKEN, h_timer_taken, m);
    net_node_on(m->net, SHOAL__ENVELOPE__MSG_RUN_STOP, h_run_stop, m);
    net_node_on(m->net, SHOAL__ENVELOPE__MSG_EXIT, h_exit, m);
    net_node_on(m->net, SHOAL__ENVELOPE__MSG_PAGE_SPLIT_REPLY, msplit_on_reply, m);
    net_node_on(m->net, SHOAL__ENVELOPE__MSG_LINK_LOST, mlinks_on_link_lost, m);
    if ((r = mstats_init(m))) return r;
    net_node_on(m->net, SHOAL__ENVELOPE__MSG_SIGACTION_ACK, h_sigaction_ack, m);
    net_node_on(m->net, SHOAL__ENVELOPE__MSG_SIGNAL_TAKEN, h_signal_taken, m);
    net_node_on(m->net, SHOAL__ENVELOPE__MSG_SIGNAL_SEND, h_signal_send, m);
    net_node_on(m->net, SHOAL__ENVELOPE__MSG_THREAD_MOVED, h_thread_moved, m);
    net_node_on(m->net, SHOAL__ENVELOPE__MSG_CPU_USAGE, h_cpu_usage, m);
    net_node_on(m->net, SHOAL__ENVELOPE__MSG_THREAD_CALL_RESULT, h_thread_call_result, m);
    net_node_on(m->net, SHOAL__ENVELOPE__MSG_SIGNAL_ACCEPTS, h_signal_accepts, m);
    if ((r = net_node_listen(m->net, cfg->listen_host, cfg->listen_port, bound))) return r;
    if ((r = net_node_start(m->net))) return r;
    *out = m;
    return 0;
}

void master_own_children(struct master *m, const pid_t *pids, size_t n, const char *tmpdir,
                         const char *keyfile) {
    pid_t *children = malloc((n + 1) * sizeof *pids);
    SHOAL_ASSERT(children);
    memcpy(children, pids, n * sizeof *pids);
    pthread_mutex_lock(&m->lock); /* peer_stopped reads them on the loop thread */
    m->children = children;
    m->nchildren = n;
    pthread_mutex_unlock(&m->lock);
    m->tmpdir = tmpdir ? strdup(tmpdir) : NULL;
    m->keyfile = keyfile ? strdup(keyfile) : NULL;
}

int master_wait_ready(struct master *m) {
    /* to the millisecond: a join timeout under 1 s is one too */
    struct timespec until = master_deadline(DEFAULT(m->cfg.timeouts.join_ms, 30000));
    int r = 0;
    pthread_mutex_lock(&m->lock);
    while (m->ready < m->cfg.nodes - 1 && !r)
        r = pthread_cond_timedwait(&m->cond, &m->lock, &until);
    unsigned ready = m->ready, slave_cpus = m->slave_cpus;
    pthread_mutex_unlock(&m->lock);
    if (ready < m->cfg.nodes - 1) {
        fprintf(stderr, "shoal: only %u of %u slave nodes joined in time\n", ready,
                m->cfg.nodes - 1);
        return -ETIMEDOUT;
    }
    /* The guest sees every node's CPUs as its own (/proc/cpuinfo,
     * /sys/devices/system/cpu/online, sched_getaffinity): set before any
     * guest code runs. */
    long own = sysconf(_SC_NPROCESSORS_ONLN);
    m->proc->guest_cpus = (own > 0 ? (unsigned)own : 1) + slave_cpus;
    /* numbered node by node, node 0's first (syscall/cpu_map.h) */
    pthread_mutex_lock(&m->lock);
    m->node_cpus[0] = own > 0 ? (unsigned)own : 1;
    for (unsigned n = 1; n < m->cfg.nodes; n++)
        m->node_cpu_base[n] = m->node_cpu_base[n - 1] + m->node_cpus[n - 1];
    pthread_mutex_unlock(&m->lock);
    m->proc->cpu_base = 0;
    m->proc->cpu_count = m->node_cpus[0];
    m->proc->cpu_node = 0;
    return mlinks_connect(m);
}

static void print_summary(struct master *m) {
    mstats_summary(m, stderr);
}
