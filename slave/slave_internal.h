/* What the slave's parts share: struct slave, the link to the master, a
 * thread's wait for the answer to its delegated call, and what each part
 * gives slave.c (set-up, connection, links to the other slaves) for the
 * set-up and the loop thread's handlers (its slave_*_register):
 * dsm_client.c (pages, splitting), layout.c (the address space),
 * delegate.c (syscall delegation), threads.c (guest threads, slave_ops),
 * signals.c (signals) and futex_local.c (futex words lent here). */
#ifndef SHOAL_SLAVE_SLAVE_INTERNAL_H
#define SHOAL_SLAVE_SLAVE_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "cluster/dsm_node.h"
#include "dsm/directory.h"
#include "dsm/u64map.h"
#include "net/frame.h"
#include "slave/slave.h"
#include "syscall/guest_mem.h"
#include "syscall/task.h"

struct layout_item;

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
    /* (s->lock) items queued for the layout worker so far and applied
     * so far (lq_done tells), LayoutSync asked and answered (the answer
     * applied: every change before it is), slave/layout.c */
    uint64_t lq_queued, lq_applied, sync_asked, sync_applied;
    pthread_cond_t lq_done;
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
    /* thread starts still to refuse, as a host out of threads would
     * (SHOAL_REFUSE_SPAWNS=N, for tests; loop thread only) */
    unsigned long refuse_spawns;
};

/* A thread waiting for the answer to its one delegated call. */
struct waiter {
    pthread_cond_t cond;
    bool done;
    int64_t ret;
    /* the thread sleeps on this word instead, interruptibly: every call
     * but those a signal must not cut short */
    bool on_word;
    _Atomic uint32_t word;
    struct net_frame resp;  /* a response with outputs, for the thread to store (env NULL: none) */
    uint64_t layout_mark;   /* the layout worker's queue when the answer came (lq_queued) */
    bool hint_used;         /* a clone took the caller's hint mark */
    bool move;              /* the thread moves to another node (SyscallResponse.move) */
    uint64_t signalfd_mask; /* SIGNALFD_AT_NODE's (SyscallResponse) */
    bool signalfd_nonblock;
    /* a wait on fds (ppoll, pselect6, epoll_pwait(2)): a signal queued
     * here for the thread, which it blocks, makes it send SignalsAtNode
     * (at_node set, the word 2: syscall/signalfd_poll.h) */
    bool watch_signals, at_node;
};

/* slave.c */
/* env to the master, with a page's bytes unless page is NULL; -ENOTCONN
 * before the master's link is up */
int slave_send_master_page(struct slave *s, Shoal__Envelope *env, const void *page);
int slave_send_master(struct slave *s, Shoal__Envelope *env);
uint64_t slave_next_req(struct slave *s);
struct process *slave_proc(struct slave *s);

/* delegate.c */
/* w (its cond initialised) takes the answer for thread tid's call. */
void slave_waiter_add(struct slave *s, uint32_t tid, struct waiter *w);
/* Thread t waits for the answer to request req_id that w was added for
 * (interruptibly when w->on_word: a signal cancels it), then w leaves;
 * its result. */
int64_t slave_await(struct slave *s, struct task *t, struct waiter *w, uint64_t req_id);
/* Under s->lock: a signal that thread tid blocks was queued for it
 * here; if it waits on fds, it tells the master (SignalsAtNode). */
void slave_waiter_signalled(struct slave *s, uint32_t tid);
/* process_cluster_ops.delegate, .reset_hand, .process_pending and .move_ask */
int64_t slave_delegate_call(struct task *t, const struct syscall_row *row, const uint64_t *a);
void slave_delegate_reset_hand(struct task *t, int sig, const struct aarch64_sigaction *act);
int slave_delegate_process_pending(struct task *t, const uint64_t *a, uint64_t *set);
void slave_move_ask(struct task *t);
void slave_delegate_register(struct slave *s);

/* dsm_client.c: the DSM's hooks (dsm_node_init_polled, its reached, the
 * fault fd's watch, split_node_enable) */
int slave_dsm_send_request(void *ctx, uint64_t page, enum dsm_req kind, uint64_t layout);
void slave_dsm_send_reached(void *ctx, uint64_t page);
void slave_dsm_on_faults(void *arg);
void slave_dsm_split_release(void *ctx, uint64_t page);
void slave_dsm_register(struct slave *s);

/* layout.c: the guest space's layout hook, and the worker thread that
 * applies the master's changes */
void slave_layout_hook(void *opaque, enum gs_change what, uint64_t start, uint64_t len, int prot,
                       enum gvma_kind kind, bool adds);
void *slave_layout_worker(void *arg);
void slave_layout_register(struct slave *s);
/* Under s->lock: until the layout worker has applied the items queued
 * up to mark (lq_queued then): a thread that heard from the master
 * takes up the layout the master had when it answered. */
void slave_layout_reach(struct slave *s, uint64_t mark);
/* guest_space.catch_up */
void slave_layout_catch_up(void *opaque, bool ask_master);

/* signals.c: one of the master's signal actions, for the process;
 * process_cluster_ops.mask_opened and timer_taken */
void slave_signals_set_action(struct process *p, const Shoal__SigAction *a);
void slave_signals_mask_opened(struct task *t);
void slave_signals_timer_taken(struct task *t, int timer_id, int overrun);
void slave_signals_register(struct slave *s);

/* threads.c: the process's cluster hooks on a slave */
extern const struct process_cluster_ops slave_ops;
void slave_threads_register(struct slave *s);

#endif
