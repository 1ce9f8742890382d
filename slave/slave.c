/* The slave runtime: loop-thread handlers for the master's messages, a
 * layout worker, guest threads, and syscall delegation. */
#define _GNU_SOURCE
#include "slave/slave.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <netdb.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cluster/build_id.h"
#include "cluster/cpu_msg.h"
#include "cluster/cpu_usage_msg.h"
#include "cluster/dsm_alias.h"
#include "cluster/dsm_node.h"
#include "cluster/node_stats.h"
#include "cluster/sc_msg.h"
#include "cluster/sched_msg.h"
#include "cluster/thread_state.h"
#include "cluster/split_node.h"
#include "common/clock_sync.h"
#include "common/detached_thread.h"
#include "common/log.h"
#include "common/proc_stopped.h"
#include "net/transport.h"
#include "slave/futex_local.h"
#include "slave/slave_internal.h"
#include "syscall/cpu_map.h"
#include "syscall/cpu_time.h"
#include "syscall/file_eof.h"
#include "syscall/futex_args.h"
#include "syscall/host_signal.h"
#include "syscall/proc_tasks.h"
#include "syscall/sched_call.h"
#include "syscall/robust_list.h"
#include "syscall/syscall.h"

#define DEFAULT(v, d) ((v) ? (v) : (d))
#define THREAD_STACK  (4u << 20)

struct layout_item {
    struct layout_item *next;
    uint64_t req_id, addr, len;
    int op, prot, kind;
    uint64_t alias_key;
    bool past_eof;
};

struct slave {
    struct slave_config cfg;
    struct net_node *net;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct net_conn *master;
    bool failed;
    struct process *proc;
    struct dsm_node dsm;
    struct u64map waiters; /* tid -> struct waiter, one outstanding syscall per thread */
    struct u64map threads; /* tid -> struct task running here (signals find them) */
    _Atomic uint64_t next_req;
    struct layout_item *lq_head, *lq_tail;
    /* the change the layout worker is applying (its hooks begin it) */
    _Atomic uint64_t applying;
    /* signals the master holds for want of a thread that accepts them
     * (SignalWanted); cleared bit by bit as this node says it accepts */
    _Atomic uint64_t wanted;
    pthread_cond_t lq_cond;
    uint8_t fetch_buf[DSM_PAGE_SIZE]; /* loop thread only */
    /* direct transfer (ClusterSetup.direct; loop thread only): links to
     * the other slaves up so far, how many this node needs once it has
     * ClusterPeers (0 before), and whether it said so (ClusterReady
     * linked) */
    bool direct;
    unsigned links_up, links_want;
    bool linked_sent;
    /* the run is stopped (RunStop from the master): guest threads wait in
     * hold until it goes on; under lock, with stop_cond */
    bool run_stopped;
    pthread_cond_t stop_cond;
    uint64_t setup_rx_ns;      /* CLOCK_MONOTONIC when ClusterSetup arrived (common/clock_sync.h) */
    struct futex_local *futex; /* futex words lent here (from ClusterSetup on) */
};

static int send_master(struct slave *s, Shoal__Envelope *env, const void *page) {
    pthread_mutex_lock(&s->lock);
    struct net_conn *c = s->master;
    if (c) net_conn_ref(c);
    pthread_mutex_unlock(&s->lock);
    if (!c) return -ENOTCONN;
    int r = page ? net_send_page(c, env, page) : net_send(c, env);
    net_conn_unref(c);
    return r;
}

/* ---- DSM ---- */

/* reached: not a request, a thread walked into a run of pushed pages
 * (its tripwire), so the master's stream detector pushes on. */
static int send_page_request(struct slave *s, uint64_t page, enum dsm_req kind, bool reached,
                             uint64_t layout) {
    Shoal__PageRequest q = SHOAL__PAGE_REQUEST__INIT;
    q.page = page;
    q.layout = layout;
    q.access = kind == DSM_REQ_READ ? SHOAL__ACCESS__ACCESS_READ : SHOAL__ACCESS__ACCESS_WRITE;
    q.req_id = kind; /* the master tells an upgrade from a write miss by it */
    q.reached = reached;
    Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
    env.msg_case = SHOAL__ENVELOPE__MSG_PAGE_REQUEST;
    env.page_request = &q;
    return send_master(s, &env, NULL);
}

static int send_request(void *ctx, uint64_t page, enum dsm_req kind, uint64_t layout) {
    return send_page_request(ctx, page, kind, false, layout);
}

static void send_reached(void *ctx, uint64_t page) {
    send_page_request(ctx, page, DSM_REQ_READ, true, 0);
}

/* The guest's page faults are read on the loop thread, the one that also
 * receives the pages: the thread that sends a request reads its answer
 * (one thread hand-off less per fault than a separate handler thread),
 * and at once: the master usually answered while the request's send ran
 * (both loops share a CPU), so the page is read without a trip through
 * epoll (docs/bench.md). */
static void on_faults(void *arg) {
    struct slave *s = arg;
    dsm_fault_region_dispatch(s->dsm.region);
    pthread_mutex_lock(&s->lock);
    struct net_conn *c = s->master;
    if (c) net_conn_ref(c);
    pthread_mutex_unlock(&s->lock);
    if (!c) return;
    net_poll(c);
    net_conn_unref(c);
}

/* A page its owner sent here directly (a FETCH naming this node): once
 * installed, the master hears it, and only then lets anyone take it away
 * (dsm/DESIGN.md, "Direct transfer"). Acked even when the page was not
 * wanted any more (forgotten meanwhile): the transfer must complete. */
static void direct_installed(struct slave *s, const Shoal__PageGrant *g) {
    Shoal__PageAck a = SHOAL__PAGE_ACK__INIT;
    a.page = g->page;
    a.state = g->state;
    a.installed = true;
    Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
    env.msg_case = SHOAL__ENVELOPE__MSG_PAGE_ACK;
    env.page_ack = &a;
    send_master(s, &env, NULL);
}

/* The owner's half of a direct transfer: the page to the reader on their
 * link, before the writeback to the master (the reader waits for it; the
 * master only for both). */
static void direct_send(struct slave *s, uint32_t to, uint64_t page, enum dsm_state keep) {
    Shoal__PageGrant g = SHOAL__PAGE_GRANT__INIT;
    g.page = page;
    g.state = keep == DSM_S ? SHOAL__PAGE_STATE__PAGE_SHARED : SHOAL__PAGE_STATE__PAGE_MODIFIED;
    Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
    env.msg_case = SHOAL__ENVELOPE__MSG_PAGE_GRANT;
    env.page_grant = &g;
    struct net_conn *c = net_node_peer(s->net, to);
    int r = c ? net_send_page(c, &env, s->fetch_buf) : -ENOTCONN;
    if (c) net_conn_unref(c);
    /* a link that is gone is reported by on_peer_lost, which ends the run */
    if (r)
        log_error("dsm: page 0x%llx to node %u: %s", (unsigned long long)(page * DSM_PAGE_SIZE), to,
                  strerror(-r));
}

static void h_grant(struct net_conn *c, struct net_frame *f, void *arg) {
    struct slave *s = arg;
    if (!s->proc) return;
    const Shoal__PageGrant *g = f->env->page_grant;
    if (g->stale || g->retry) { /* a request made before a layout change */
        dsm_pages_on_stale(&s->dsm.pages, g->page, g->retry ? 0 : g->stale);
        return;
    }
    enum dsm_state st = g->state == SHOAL__PAGE_STATE__PAGE_MODIFIED ? DSM_M : DSM_S;
    /* a run of pages sent ahead: count > 1 of them, or zeros with no
     * payload (net/msg.c checked the payload against both); a shared
     * mapping's pages have no tripwire */
    bool trip = g->trip && !alias_is_key(g->page);
    uint32_t n = g->count > 1 ? g->count : 1, stride = g->stride > 1 ? g->stride : 1;
    int r = g->zero ? dsm_pages_on_data_strided(&s->dsm.pages, g->page, n, stride, st, NULL, trip)
            : !f->payload ? dsm_pages_on_grant(&s->dsm.pages, g->page, st)
            : g->count > 1
                ? dsm_pages_on_data_strided(&s->dsm.pages, g->page, n, stride, st, f->payload, trip)
                : dsm_pages_on_data(&s->dsm.pages, g->page, st, f->payload);
    uint32_t from = net_conn_peer_id(c);
    if (dsm_node_fatal(&s->dsm, r, g->page)) _exit(1);
    /* -ENOENT: nothing is mapped there now; the fault was read after
     * the change that unmapped the page (as node0_applied has it) */
    if (r == -ENOENT)
        log_debug("dsm: page 0x%llx from node %u: its mapping went away first",
                  (unsigned long long)(g->page * DSM_PAGE_SIZE), from);
    else if (r && r != -EPROTO)
        log_error("dsm: page 0x%llx from node %u: %s",
                  (unsigned long long)(g->page * DSM_PAGE_SIZE), from, strerror(-r));
    if (from != 0) direct_installed(s, g);
}

/* INVALIDATE goes to sharers, FETCH to the owner: links are FIFO, so this
 * node's state tells which one the directory sent. */
static void h_invalidate(struct net_conn *c, struct net_frame *f, void *arg) {
    struct slave *s = arg;
    if (!s->proc) return;
    const Shoal__PageInvalidate *inv = f->env->page_invalidate;
    Shoal__PageAck a = SHOAL__PAGE_ACK__INIT;
    a.page = inv->page;
    a.req_id = inv->req_id;
    Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
    env.msg_case = SHOAL__ENVELOPE__MSG_PAGE_ACK;
    env.page_ack = &a;
    const void *data = NULL;
    if (dsm_pages_state(&s->dsm.pages, inv->page) == DSM_M) {
        enum dsm_state keep = inv->state == SHOAL__PAGE_STATE__PAGE_SHARED ? DSM_S : DSM_I;
        int r = dsm_pages_on_fetch(&s->dsm.pages, inv->page, keep, s->fetch_buf);
        if (dsm_node_fatal(&s->dsm, r, inv->page)) _exit(1);
        if (r) {
            /* the page left M after the check (a layout change forgot
             * it): the buffer holds an earlier page's bytes, never to be
             * sent as this one's */
            memset(s->fetch_buf, 0, DSM_PAGE_SIZE);
            log_error("dsm: fetch of page 0x%llx: %s", (unsigned long long)inv->page, strerror(-r));
        }
        a.state = keep == DSM_S ? SHOAL__PAGE_STATE__PAGE_SHARED : SHOAL__PAGE_STATE__PAGE_INVALID;
        data = s->fetch_buf;
        if (inv->to) direct_send(s, inv->to, inv->page, keep);
        atomic_fetch_add(&s->dsm.pages_tx, 1);
    } else {
        if (dsm_node_fatal(&s->dsm, dsm_pages_on_invalidate(&s->dsm.pages, inv->page), inv->page))
            _exit(1);
        a.state = SHOAL__PAGE_STATE__PAGE_INVALID;
    }
    send_master(s, &env, data);
}

/* ---- page splitting (cluster/split_node.h) ---- */

static void split_release(void *ctx, uint64_t page) {
    Shoal__PageSplitReply r = SHOAL__PAGE_SPLIT_REPLY__INIT;
    r.page = page;
    r.release = true;
    Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
    env.msg_case = SHOAL__ENVELOPE__MSG_PAGE_SPLIT_REPLY;
    env.page_split_reply = &r;
    send_master(ctx, &env, NULL);
}

static void h_split(struct net_conn *c, struct net_frame *f, void *arg) {
    struct slave *s = arg;
    if (!s->proc) return;
    const Shoal__PageSplit *ps = f->env->page_split;
    if (!ps->unsplit) {
        split_node_apply(&s->dsm, ps->page, ps->shadow, ps->grain);
    } else if (ps->done) {
        split_node_done(&s->dsm, ps->page);
    } else {
        split_node_stop(&s->dsm, ps->page);
        Shoal__PageSplitReply r = SHOAL__PAGE_SPLIT_REPLY__INIT;
        r.page = ps->page;
        r.req_id = ps->req_id;
        Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
        env.msg_case = SHOAL__ENVELOPE__MSG_PAGE_SPLIT_REPLY;
        env.page_split_reply = &r;
        send_master(s, &env, NULL);
    }
}

/* ---- the address space ---- */

static void layout_hook(void *opaque, enum gs_change what, uint64_t start, uint64_t len, int prot,
                        enum gvma_kind kind) {
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
    send_master(s, &env, NULL);
}

/* Layout changes are applied off the loop thread: taking the guest
 * space's write lock may wait for a guest thread that holds the read
 * lock while it faults on a page, which only the loop thread can bring. */
static void *layout_worker(void *arg) {
    struct slave *s = arg;
    for (;;) {
        pthread_mutex_lock(&s->lock);
        while (!s->lq_head)
            pthread_cond_wait(&s->lq_cond, &s->lock);
        struct layout_item *it = s->lq_head;
        s->lq_head = it->next;
        if (!s->lq_head) s->lq_tail = NULL;
        pthread_mutex_unlock(&s->lock);
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
    }
    return NULL;
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
    pthread_mutex_lock(&s->lock);
    if (s->lq_tail)
        s->lq_tail->next = it;
    else
        s->lq_head = it;
    s->lq_tail = it;
    pthread_cond_signal(&s->lq_cond);
    pthread_mutex_unlock(&s->lock);
}

/* ---- syscalls and threads ---- */

static void send_cancel(struct slave *s, uint32_t tid, uint64_t req_id) {
    Shoal__FutexCancel fc = SHOAL__FUTEX_CANCEL__INIT;
    fc.req_id = req_id;
    fc.tid = tid;
    Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
    env.msg_case = SHOAL__ENVELOPE__MSG_FUTEX_CANCEL;
    env.futex_cancel = &fc;
    send_master(s, &env, NULL);
}

/* A delegated call's wait: the thread sleeps on its own word, so a guest
 * signal interrupts it; it then asks the master to cancel the request
 * (a futex wait's record leaves the table, a call the proxy runs is
 * interrupted) and takes the one answer that comes: the cancel's, or
 * the result that came first. `restart` only tells the interruption
 * from other results here. Under s->lock on return. */
static void interruptible_sleep(struct slave *s, struct task *t, struct waiter *w, uint64_t req_id,
                                int restart) {
    bool cancelled = false;
    while (!w->done) {
        pthread_mutex_unlock(&s->lock);
        int64_t e = cancelled ? 0
                              : blocking_syscall(t, restart, SYS_futex, &w->word,
                                                 FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
        if (e == -restart && !cancelled) {
            send_cancel(s, (uint32_t)t->tid, req_id);
            cancelled = true;
        }
        pthread_mutex_lock(&s->lock);
        while (cancelled && !w->done)
            pthread_cond_wait(&w->cond, &s->lock);
    }
}

int slave_send_master(struct slave *s, Shoal__Envelope *env) {
    return send_master(s, env, NULL);
}

uint64_t slave_next_req(struct slave *s) {
    return atomic_fetch_add(&s->next_req, 1);
}

struct process *slave_proc(struct slave *s) {
    return s->proc;
}

void slave_waiter_add(struct slave *s, uint32_t tid, struct waiter *w) {
    pthread_mutex_lock(&s->lock);
    SHOAL_ASSERT(!u64map_put(&s->waiters, (uint64_t)tid, w));
    pthread_mutex_unlock(&s->lock);
}

int64_t slave_await(struct slave *s, struct task *t, struct waiter *w, uint64_t req_id,
                    int restart) {
    pthread_mutex_lock(&s->lock);
    if (w->on_word) interruptible_sleep(s, t, w, req_id, restart);
    while (!w->done)
        pthread_cond_wait(&w->cond, &s->lock);
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
    case 435: /* clone3 */ return true;
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
    int restart = GUEST_ERESTARTSYS;
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
        if (table_wait) restart = fa.restart;
    }
    w.on_word = !uninterruptible(row->nr) && kind == REQ_CALL;
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
    int r = send_master(s, &env, NULL);
    sc_msg_fini(&in);
    if (r) {
        /* the master is gone: on_peer_lost ends this node */
        for (;;)
            pause();
    }
    slave_await(s, t, &w, q.req_id, restart);
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

static int64_t delegate(struct task *t, const struct syscall_row *row, const uint64_t *a) {
    /* a futex word lent to this node: decided here (futex_local.h); the
     * master says so too of an op that left before the loan came */
    if (row->nr == 98) {
        struct slave *s = t->proc->cluster_ctx;
        int64_t ret;
        do {
            if (futex_local_op(s->futex, t, a, &ret)) return ret;
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
    if (masked && r != -GUEST_ERESTARTNOHAND) {
        t->sig.saved_mask_valid = false;
        signal_set_mask(t, t->sig.saved_mask);
    }
    return r;
}

/* SA_RESETHAND reset sig here: the master resets it on every node (if
 * act is still the action) before this thread runs the handler. */
static void reset_hand(struct task *t, int sig, const struct aarch64_sigaction *act) {
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

struct thread_start {
    struct slave *s;
    struct task *t;
    sem_t registered;
    bool has_sched; /* the creator's scheduling attributes, for the new thread */
    Shoal__SchedAttr sched;
    const uint8_t *affinity; /* its guest CPU mask (NULL: every CPU) */
    size_t affinity_bytes;
    const Shoal__ThreadMoved *moved; /* a thread that moved here: its state; NULL: a new one */
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
    pthread_mutex_lock(&s->lock);
    u64map_put(&s->threads, (uint64_t)t->tid, t);
    pthread_mutex_unlock(&s->lock);
    sem_post(&st->registered); /* st is gone after this */
    task_run(t);
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
    if (sp->sched) st.sched = *sp->sched;
    sem_init(&st.registered, 0, 0);
    /* the loop thread blocks every host signal, and the new thread
     * inherits that until task_run sets its guest mask */
    int e = thread_start_detached(NULL, THREAD_STACK, guest_thread, &st);
    if (e) {
        fprintf(stderr, "shoal: node %u: cannot start thread %u: %s\n", net_conn_local_id(c),
                sp->tid, strerror(e));
        _exit(1);
    }
    /* a signal for the new thread may be the next message (its creator
     * can signal it as soon as clone returns): it must find the thread */
    while (sem_wait(&st.registered) != 0)
        continue;
    sem_destroy(&st.registered);
}

/* ---- signals ---- */

static void set_action(struct process *p, const Shoal__SigAction *a) {
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
        set_action(s->proc, m->actions[i]);
    Shoal__SigactionAck a = SHOAL__SIGACTION_ACK__INIT;
    a.req_id = m->req_id;
    Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
    env.msg_case = SHOAL__ENVELOPE__MSG_SIGACTION_ACK;
    env.sigaction_ack = &a;
    send_master(s, &env, NULL);
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
    send_master(s, &env, NULL);
}

/* process_cluster_ops.mask_opened: t stored its new mask (or sigwait
 * set) before this load of `wanted`, and h_signal_wanted stores `wanted`
 * before it reads the masks (sequentially consistent both), so one of
 * the two sees the other: no lost wake-up. */
static void mask_opened(struct task *t) {
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
        if (t) signal_queue_routed(t->host_tid, sig, &info);
        pthread_mutex_unlock(&s->lock);
        /* the thread left this node: the master sends it on */
        if (!t && s->proc) send_master(s, f->env, NULL);
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
    send_master(s, &env, NULL);
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
    send_master(s, &env, NULL);
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
    send_master(s, &env, NULL);
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
    send_master(s, &env, NULL); /* an error: the master is gone, and the node ends */
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
    send_master(s, &env, NULL);
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
    send_master(t->proc->cluster_ctx, &env, NULL);
}

/* A stop signal's default action here: the master stops the run. */
static void slave_stop_run(struct process *p) {
    Shoal__RunStop r = SHOAL__RUN_STOP__INIT;
    r.stopped = true;
    Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
    env.msg_case = SHOAL__ENVELOPE__MSG_RUN_STOP;
    env.run_stop = &r;
    send_master(p->cluster_ctx, &env, NULL);
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

/* process_cluster_ops.move_ask: the master asked thread t to leave this
 * node (h_thread_affinity); unless the answer of the call it just made
 * moves it already, it asks whether it still moves, and the answer sets
 * move_to if so. */
static void slave_move_ask(struct task *t) {
    static const struct syscall_row ask_row = {0, "move_ask", NULL, "", 'd', SC_GLOBAL};
    static const uint64_t none[6] = {0};
    if (__atomic_exchange_n(&t->move_ask, 0, __ATOMIC_ACQ_REL) && !t->move_to)
        delegate_req(t, &ask_row, none, REQ_MOVE_ASK);
}

static const struct process_cluster_ops slave_ops = {
    .delegate = delegate,
    .reset_hand = reset_hand,
    .mask_opened = mask_opened,
    .clone_thread = NULL,
    .on_exit = slave_on_exit,
    .hint_group = send_hint_group,
    .stop_run = slave_stop_run,
    .hold = slave_hold,
    .move_ask = slave_move_ask,
    .move_out = slave_move_out,
};

/* ---- links to the other slaves (direct transfer) ---- */

/* The address this node reaches the master from, which the other slaves
 * (on the master's network) can reach too: a UDP socket connected to the
 * master sends nothing, and getsockname says which local address routes
 * there ("127.0.0.1" for a local run). */
static int local_addr_toward(const char *host, uint16_t port, char *out, size_t len) {
    char service[8];
    snprintf(service, sizeof service, "%u", port);
    struct addrinfo hints = {.ai_socktype = SOCK_DGRAM, .ai_flags = AI_NUMERICSERV}, *res;
    int r = getaddrinfo(host, service, &hints, &res);
    if (r) return -EHOSTUNREACH;
    int fd = socket(res->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    r = fd < 0 || connect(fd, res->ai_addr, res->ai_addrlen) ||
                getsockname(fd, (struct sockaddr *)&ss, &sl) ||
                getnameinfo((struct sockaddr *)&ss, sl, out, (socklen_t)len, NULL, 0,
                            NI_NUMERICHOST)
            ? -errno
            : 0;
    if (fd >= 0) close(fd);
    freeaddrinfo(res);
    return r ? r : 0;
}

static void send_linked(struct slave *s, bool ok, const char *reason) {
    if (s->linked_sent) return;
    s->linked_sent = true;
    Shoal__ClusterReady r = SHOAL__CLUSTER_READY__INIT;
    r.ok = ok;
    r.reason = (char *)reason;
    r.linked = true;
    Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
    env.msg_case = SHOAL__ENVELOPE__MSG_CLUSTER_READY;
    env.cluster_ready = &r;
    send_master(s, &env, NULL);
}

/* Loop thread: once the list came and every link is up, say so. */
static void links_check(struct slave *s) {
    if (s->links_want && s->links_up >= s->links_want) send_linked(s, true, "");
}

/* Master -> every slave, once all are set up: connect to each slave with
 * a higher id; the lower ones connect here (one link per pair). */
static void h_peers(struct net_conn *c, struct net_frame *f, void *arg) {
    struct slave *s = arg;
    const Shoal__ClusterPeers *p = f->env->cluster_peers;
    uint32_t self = net_node_id(s->net);
    if (!s->direct || net_conn_peer_id(c) != 0 || s->links_want || p->n_hosts < 3 ||
        self >= p->n_hosts) {
        send_linked(s, false, "unexpected list of slaves");
        return;
    }
    s->links_want = (unsigned)p->n_hosts - 2;
    for (size_t j = self + 1; j < p->n_hosts; j++)
        if (net_node_connect(s->net, p->hosts[j], (uint16_t)p->ports[j])) {
            char why[NET_HOST_MAX + 64];
            snprintf(why, sizeof why, "cannot resolve node %zu's address %s", j, p->hosts[j]);
            send_linked(s, false, why);
            return;
        }
    links_check(s);
}

static void ready(struct slave *s, bool ok, const char *reason, const char *host, uint16_t port) {
    Shoal__ClusterReady r = SHOAL__CLUSTER_READY__INIT;
    r.ok = ok;
    r.reason = (char *)reason;
    r.listen_host = (char *)host;
    r.listen_port = port;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    r.cpus = cpus > 0 ? (uint32_t)cpus : 1;
    /* this host's clocks, for the master to measure them against its own */
    struct clock_host h;
    clock_host_read(&h);
    r.boot_id = h.boot_id;
    r.timens_monotonic_ns = h.timens_mono;
    r.timens_boottime_ns = h.timens_boot;
    r.suspended_ns = h.suspended_ns;
    r.setup_rx_ns = s->setup_rx_ns;
    r.ready_tx_ns = clock_mono_ns();
    Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
    env.msg_case = SHOAL__ENVELOPE__MSG_CLUSTER_READY;
    env.cluster_ready = &r;
    send_master(s, &env, NULL);
}

/* -d and -D of the run (ClusterSetup.log_items, log_path): this node's
 * translations go to log_path.nodeN on its own file system, or to its
 * stderr. A log that cannot be opened is said and not kept. */
static void open_log(struct dbt_options *o, const Shoal__ClusterSetup *m, uint32_t node) {
    o->log_in_asm = m->log_items & 1;
    o->log_ir = m->log_items & 2;
    o->log_exec = m->log_items & 4;
    if (m->log_items & 8) log_set_level(LOG_DEBUG); /* -d cluster: to this node's stderr */
    if (!(m->log_items & 7) || !m->log_path || !*m->log_path) return;
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s.node%u", m->log_path, node);
    if (!(o->log = fopen(path, "w"))) {
        log_warn("node %u: cannot write its log %s: %s", node, path, strerror(errno));
        o->log_in_asm = o->log_ir = o->log_exec = false;
    }
}

static void h_setup(struct net_conn *c, struct net_frame *f, void *arg) {
    struct slave *s = arg;
    const Shoal__ClusterSetup *m = f->env->cluster_setup;
    if (s->proc) return;
    s->setup_rx_ns = clock_mono_ns();
    char why[160];
    struct process_config pc = {.path = "", .dbt = s->cfg.dbt};
    if (m->dbt_flags & 1) pc.dbt.interp_only = true;
    if (m->dbt_flags & 2) pc.dbt.no_regalloc = true;
    if (m->dbt_flags & 4) pc.dbt.no_chain = true;
    if (m->dbt_flags & 8) pc.dbt.count_insns = true;
    if (m->code_size) pc.dbt.code_size = m->code_size;
    open_log(&pc.dbt, m, net_conn_local_id(c));
    struct process *p;
    /* a default action that kills must end the whole run, through the
     * run loop (process_die_of_signal), not just this process */
    host_signal_record_defaults(true);
    host_signal_record_stops(NULL, true); /* the whole run stops, not this node */
    int r = process_create_blank(&pc, m->space_size, &p);
    if (r) {
        snprintf(why, sizeof why, "cannot reserve %llu bytes of guest space: %s",
                 (unsigned long long)m->space_size, strerror(-r));
        ready(s, false, why, "", 0);
        return;
    }
    for (size_t i = 0; i < m->n_maps && !r; i++)
        r = gs_map_fixed(&p->mem, m->maps[i]->start, m->maps[i]->len, m->maps[i]->prot,
                         (enum gvma_kind)m->maps[i]->kind);
    if (r) {
        snprintf(why, sizeof why, "cannot map the guest layout: %s", strerror(-r));
        ready(s, false, why, "", 0);
        return;
    }
    p->mem.brk_start = m->brk_start;
    p->mem.brk_cur = m->brk_cur;
    p->mem.mmap_base = m->mmap_base;
    p->mem.mmap_min = GS_MMAP_MIN;
    p->stack_top = m->stack_top;
    p->stack_size = m->stack_size;
    p->sigtramp = m->sigtramp;
    memcpy(p->auxv, m->auxv.data, m->auxv.len);
    p->auxv_bytes = m->auxv.len;
    for (size_t i = 0; i < m->n_actions; i++)
        set_action(p, m->actions[i]);
    p->cluster_ctx = s;
    p->cluster = &slave_ops;
    p->stats.timing = m->stats_flags & 1;
    p->stats.page_events_max = m->page_events_max;
    r = dsm_node_init_polled(&s->dsm, p, (enum dsm_fault_mech)m->fault_mech, send_request, s);
    s->dsm.reached = send_reached;
    int fd = r ? -1 : dsm_fault_region_fd(s->dsm.region);
    if (!r && fd >= 0) r = net_node_watch_fd(s->net, fd, on_faults, s);
    if (r) {
        snprintf(why, sizeof why, "cannot capture faults on guest memory: %s", strerror(-r));
        ready(s, false, why, "", 0);
        return;
    }
    if (m->split && (r = split_node_enable(&s->dsm, split_release, s, false))) {
        snprintf(why, sizeof why, "cannot set up page splitting: %s", strerror(-r));
        ready(s, false, why, "", 0);
        return;
    }
    p->mem.copy_files = true;
    p->mem.layout_opaque = s;
    p->mem.layout = layout_hook;
    if (thread_start_detached(NULL, 0, layout_worker, s)) {
        ready(s, false, "cannot start the layout thread", "", 0);
        return;
    }
    if (!(s->futex = futex_local_new(s))) {
        ready(s, false, "cannot start the futex recall thread", "", 0);
        return;
    }
    /* direct transfer: the other slaves connect here (ClusterPeers) */
    char host[NET_HOST_MAX + 1] = "";
    uint16_t port = 0;
    if (m->direct) {
        if ((r = local_addr_toward(s->cfg.host, s->cfg.port, host, sizeof host)) ||
            (r = net_node_listen(s->net, host, 0, &port))) {
            snprintf(why, sizeof why, "cannot listen for the other slaves: %s", strerror(-r));
            ready(s, false, why, "", 0);
            return;
        }
        s->direct = true;
    }
    s->proc = p;
    if (s->cfg.verbose) log_info("node %u set up", net_conn_local_id(c));
    ready(s, true, "", host, port);
}

/* ---- connection ---- */

static void on_peer_up(struct net_node *n, struct net_conn *c, uint32_t id, void *arg) {
    struct slave *s = arg;
    if (id != 0) {
        /* another slave (direct transfer); anything else is refused */
        if (!s->direct) {
            net_close(c);
            return;
        }
        s->links_up++;
        links_check(s);
        return;
    }
    net_conn_ref(c);
    pthread_mutex_lock(&s->lock);
    s->master = c;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

/* A silent master that launched this slave (our parent, running our
 * executable) and is stopped (kill -STOP, a debugger at a breakpoint) is
 * waited for, not lost; so is a silent slave (direct_transfer's links)
 * while any other slave the same master launched is stopped, as the
 * master itself waits. Nodes on other hosts are never taken for
 * stopped. */
static bool peer_stopped(struct net_node *n, uint32_t id, void *arg) {
    (void)n;
    (void)arg;
    if (!proc_parent_is_same_exe()) return false;
    return id == 0 ? proc_stopped(getppid()) : proc_sibling_stopped();
}

static void on_peer_lost(struct net_node *n, uint32_t id, const char *reason, void *arg) {
    struct slave *s = arg;
    if (id != 0) {
        /* a link to another slave: the master ends the run (unless it is
         * ending already: slaves leave one by one) */
        Shoal__LinkLost l = SHOAL__LINK_LOST__INIT;
        l.node = id;
        l.reason = (char *)reason;
        Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
        env.msg_case = SHOAL__ENVELOPE__MSG_LINK_LOST;
        env.link_lost = &l;
        send_master(s, &env, NULL);
        return;
    }
    fprintf(stderr, "shoal: slave lost the master (%s): ending\n", reason);
    _exit(s->proc ? 1 : 1);
}

static void on_connect_failed(struct net_node *n, const char *addr, const char *reason, void *arg) {
    struct slave *s = arg;
    pthread_mutex_lock(&s->lock);
    bool joined = s->master != NULL;
    pthread_mutex_unlock(&s->lock);
    if (joined) {
        /* a link to another slave */
        char why[NET_ERROR_MAX];
        snprintf(why, sizeof why, "cannot connect to %s: %s", addr, reason);
        send_linked(s, false, why);
        return;
    }
    fprintf(stderr, "shoal: slave cannot join %s: %s\n", addr, reason);
    pthread_mutex_lock(&s->lock);
    s->failed = true;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
}

int slave_run_once(const struct slave_config *cfg) {
    struct slave *s = calloc(1, sizeof *s);
    SHOAL_ASSERT(s);
    s->cfg = *cfg;
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->cond, NULL);
    pthread_cond_init(&s->lq_cond, NULL);
    pthread_cond_init(&s->stop_cond, NULL);
    u64map_init(&s->waiters);
    u64map_init(&s->threads);
    /* The guest's signals reach this node through the master only: a
     * terminal's Ctrl-C goes to the master's process group, not here too
     * (a handler would run once per node). */
    setpgid(0, 0);
    struct net_config nc;
    net_config_defaults(&nc);
    nc.node_id = NET_NODE_ANY;
    char build[96];
    nc.build = cluster_build_id(build, sizeof build); /* copied by the node */
    nc.key = cfg->key;
    nc.connect_timeout_ms = DEFAULT(cfg->connect_timeout_ms, 30000);
    nc.heartbeat_interval_ms = cfg->heartbeat_ms;
    nc.peer_timeout_ms = cfg->peer_ms;
    nc.handshake_timeout_ms = DEFAULT(cfg->handshake_ms, nc.handshake_timeout_ms);
    nc.max_queue_bytes = net_queue_cap(cfg->max_queue_bytes);
    nc.busy_poll_us = cfg->busy_poll_us;
    nc.emul = cfg->emul;
    nc.on_peer_up = on_peer_up;
    nc.on_peer_lost = on_peer_lost;
    nc.peer_stopped = peer_stopped;
    nc.on_connect_failed = on_connect_failed;
    nc.arg = s;
    if (!(s->net = net_node_create(&nc))) return 1;
    net_node_on(s->net, SHOAL__ENVELOPE__MSG_CLUSTER_SETUP, h_setup, s);
    /* h_grant is done with the page when it returns: no copy of it */
    net_node_on_borrowed(s->net, SHOAL__ENVELOPE__MSG_PAGE_GRANT, h_grant, s);
    net_node_on(s->net, SHOAL__ENVELOPE__MSG_PAGE_INVALIDATE, h_invalidate, s);
    net_node_on(s->net, SHOAL__ENVELOPE__MSG_PAGE_SPLIT, h_split, s);
    net_node_on(s->net, SHOAL__ENVELOPE__MSG_SYSCALL_RESPONSE, h_response, s);
    net_node_on(s->net, SHOAL__ENVELOPE__MSG_FUTEX_LEND, h_futex_lend, s);
    net_node_on(s->net, SHOAL__ENVELOPE__MSG_FUTEX_RECALL, h_futex_recall, s);
    net_node_on(s->net, SHOAL__ENVELOPE__MSG_THREAD_SPAWN, h_spawn, s);
    net_node_on(s->net, SHOAL__ENVELOPE__MSG_LAYOUT_CHANGE, h_layout, s);
    net_node_on(s->net, SHOAL__ENVELOPE__MSG_EXIT, h_exit, s);
    net_node_on(s->net, SHOAL__ENVELOPE__MSG_RUN_STOP, h_run_stop, s);
    net_node_on(s->net, SHOAL__ENVELOPE__MSG_STATS_REQUEST, h_stats, s);
    net_node_on(s->net, SHOAL__ENVELOPE__MSG_SIGACTION_SET, h_sigaction_set, s);
    net_node_on(s->net, SHOAL__ENVELOPE__MSG_SIGNAL_SEND, h_signal_send, s);
    net_node_on(s->net, SHOAL__ENVELOPE__MSG_CPU_USAGE_QUERY, h_cpu_usage_query, s);
    net_node_on(s->net, SHOAL__ENVELOPE__MSG_THREAD_AFFINITY, h_thread_affinity, s);
    net_node_on(s->net, SHOAL__ENVELOPE__MSG_THREAD_CALL, h_thread_call, s);
    net_node_on(s->net, SHOAL__ENVELOPE__MSG_SIGNAL_WANTED, h_signal_wanted, s);
    net_node_on(s->net, SHOAL__ENVELOPE__MSG_CLUSTER_PEERS, h_peers, s);
    if (net_node_start(s->net) || net_node_connect(s->net, cfg->host, cfg->port)) return 1;
    pthread_mutex_lock(&s->lock);
    while (!s->failed)
        pthread_cond_wait(&s->cond, &s->lock); /* the run ends this process from the loop */
    pthread_mutex_unlock(&s->lock);
    return 1;
}
