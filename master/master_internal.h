/* What the master's files share (master.c: nodes, start and end;
 * dir_service.c, dir_actions.c, dir_layout.c: the directory; proxy.c:
 * remote threads and their syscalls; layout.c: one address space on
 * every node). */
#ifndef SHOAL_MASTER_INTERNAL_H
#define SHOAL_MASTER_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

#include "cluster/dsm_node.h"
#include "common/clock_sync.h"
#include "dsm/directory.h"
#include "dsm/false_sharing.h"
#include "dsm/forward.h"
#include "dsm/page_pool.h"
#include "master/futex_table.h"
#include "master/master.h"
#include "net/transport.h"
#include "syscall/cpu_time.h"

struct node_stats;

/* A message for node 0 from its own directory: node 0 is an ordinary
 * node, whose FIFO link is this in-process queue. */
struct node0_msg {
    struct node0_msg *next;
    uint8_t kind; /* enum dir_act */
    uint8_t state;
    uint64_t page;
    uint8_t *data; /* SEND: the page */
};

/* Another node's request that waits for a fork (dirsvc_hold_others). */
struct held_req {
    uint64_t page, layout;
    dsm_node_t node;
    uint8_t kind; /* enum dsm_req */
};

/* Pages a layout change forgot, until every node has applied it
 * (dir_layout.c, "unsettled"). */
struct page_range {
    uint64_t first, n;
};

struct master {
    struct master_config cfg;
    struct process *proc;
    struct net_node *net;
    pthread_mutex_t lock; /* peers, ready, proxies */
    pthread_cond_t cond;
    struct net_conn **peers; /* by node id, NULL when not (or no longer) up */
    /* each node's clocks against this host's (common/clock_sync.h), by
     * node id: ClusterSetup's send, then the offsets from ClusterReady
     * (under lock); ThreadSpawn carries them */
    struct clock_host clock_self;
    struct mclock {
        uint64_t setup_tx;
        struct clock_offsets off;
    } * clocks;
    unsigned ready, joined, gone, admitted;
    unsigned slave_cpus; /* online CPUs of the slaves that are ready */
    /* by node id (syscall/cpu_map.h): each node's online CPUs (under
     * lock), then where its guest CPUs start (once all are ready) */
    unsigned *node_cpus, *node_cpu_base;
    struct sched *sched;
    atomic_int exiting;

    /* the DSM: node 0's side and the directory */
    struct dsm_node dsm;
    pthread_mutex_t dir_lock; /* the directory, the home copies, the node-0 queue */
    struct directory dir;
    struct u64map home;         /* page -> DSM_PAGE_SIZE bytes; absent: zeros */
    struct page_pool home_pool; /* where home copies live (dsm/page_pool.h) */
    /* [dsm] borrow_home (dir_service.c): pages whose home copy is node
     * 0's own copy, held in S (no entry in home); a page of node 0's
     * size where home_of puts such a copy for a send */
    bool borrow_on;
    struct u64map borrowed;
    void *borrow_buf;
    uint64_t borrows, borrow_copies; /* for --stats: marks made, copies made when one went */
    struct node0_msg *q_head, *q_tail;
    pthread_cond_t q_cond;
    pthread_t node0_thread;
    bool node0_inline; /* node 0's messages applied by the directory's thread when FIFO allows */
    /* messages queued for dirsvc_node0_main and applied by it, and its
     * signal that one was (dir_lock): equal when it is idle (node0_inline
     * may run then); a layout change waits for those queued before it
     * (dirsvc_relayout), a fork for all (dirsvc_node0_drain) */
    uint64_t q_pushed, q_applied;
    pthread_cond_t q_applied_cond;
    /* dirsvc_hold_others (dir_lock): while a fork gathers every page into
     * node 0, other nodes' requests wait here */
    unsigned holding; /* forks holding them */
    struct held_req *held;
    size_t nheld, capheld;
    /* (dir_lock) the pages the layout change under way forgot, and its id
     * (closing: the next LayoutChange sent, whose acks settle them; 0:
     * none): another node's request for one, made on its layout before
     * that change, gets a stale answer (dsm/DESIGN.md, "Requests across
     * a layout change"), and nothing is sent ahead into them */
    struct page_range *unsettled;
    size_t nunsettled, capunsettled;
    /* ranges a change forgot ahead (dirsvc_forget_ahead) that node 0 has
     * not applied yet: its faults there wait for the change */
    struct page_range *n0_closing;
    size_t nn0_closing, capn0_closing;
    uint64_t closing;
    uint64_t stale_answers; /* for --stats */
    /* (dir_lock) changes that only add, until every node has acked them
     * (dir_adding.c), and the newest change each node acked: nothing is
     * pushed, claimed or split into one for a node that has not */
    struct adding_range {
        uint64_t first, n, id;
        bool maps; /* an mmap (else an mprotect) */
    } * adding;
    size_t nadding, capadding;
    uint64_t *acked;
    /* [dsm] push_batch (dir_actions.c, send_ahead; dir_lock): most pages
     * per message sent ahead of any request, pages where borrowed ones'
     * bytes go for such a message, and how many messages carried them
     * (strided: runs whose pages lie apart, a strided stream's) */
    uint32_t push_batch;
    bool tripwire; /* [dsm] push_tripwire: a run's first page tells when it is reached */
    void *ahead_bufs[NET_PAGES_MAX];
    uint64_t ahead_msgs, ahead_strided;
    bool fwd_on;    /* [dsm] forwarding */
    struct fwd fwd; /* the stream detector (dir_lock) */
    /* [dsm] first_touch_ahead (dir_service.c; dir_lock): write streams over
     * untouched pages, the private writable anonymous ranges where pages
     * may be claimed ahead, and how many were */
    bool claim_on;
    struct fwd claim;
    struct claim_range {
        uint64_t start, end; /* guest addresses */
    } * claimable;
    size_t nclaimable, capclaimable;
    uint64_t claimed;
    bool split_on;         /* [dsm] split */
    struct fs_detector fs; /* false-sharing detector (dir_lock; false_sharing.c) */
    struct msplit *msplit; /* page splitting (split.c); NULL: off */
    /* [dsm] direct_transfer (links.c): where each slave listens (by node
     * id, under lock), how many have linked to every other, and whether
     * the directory may name readers in its fetches (every link is up) */
    bool direct_on;
    char **link_hosts;
    uint32_t *link_ports;
    unsigned linked;
    atomic_bool links_up;
    pthread_cond_t direct_cond; /* a direct transfer completed (dir_lock) */

    /* remote threads: tid -> struct proxy */
    struct u64map proxies;
    _Atomic uint64_t next_req;

    /* layout broadcast (under the guest space's write lock: one at a time) */
    uint64_t layout_req;
    unsigned layout_waiting;
    /* [dsm] async_adds (master/DESIGN.md, "Changes that only add") */
    bool async_adds;
    uint64_t layout_adds;          /* of them, changes not waited for */
    _Atomic uint64_t layout_syncs; /* LayoutSync answered */
    /* objects of shared mappings (alias.c; guest space's write lock):
     * (dev, ino) -> id, an id reused only while the object is mapped */
    struct malias_obj {
        uint64_t dev, ino, obj;
    } * aobj;
    size_t naobj, capaobj;
    uint64_t next_obj;
    /* shared mappings announced for the next GS_MAPPED (malias_map) */
    struct malias_next {
        uint64_t start, len, key;
    } * alias_next;
    size_t nalias_next, capalias_next;

    /* the end */
    pid_t *children;
    size_t nchildren;
    /* signals (signals.c): one sigaction broadcast at a time; the
     * router's outstanding probe (taken: -1 waiting, else the tid that
     * accepts, 0 none) */
    pthread_mutex_t sig_bcast;
    uint64_t sig_req;
    unsigned sig_waiting;
    uint64_t taken_req;
    int taken;
    int sig_wake_fd; /* eventfd: the router looks at pending signals again */
    /* the program's CPU time (cpu_usage.c): one query at a time, its
     * answers summed under lock */
    pthread_mutex_t cpu_query;
    uint64_t cpu_req;
    unsigned cpu_waiting, cpu_found;
    /* scheduling calls for remote threads (thread_call.c): one at a time;
     * the call in flight under lock */
    pthread_mutex_t tcall_query;
    uint64_t tcall_req;
    unsigned tcall_node, tcall_pending; /* 1: the answer is awaited */
    int64_t tcall_ret;
    uint8_t *tcall_out; /* NULL: none in flight */
    size_t tcall_outlen;
    bool *cpu_answered; /* by node id */
    struct cpu_usage cpu_sum;
    struct proc_thread_view *cpu_view; /* the asker's, for a thread's view; NULL: none */
    int64_t *cpu_by_node;       /* each answer's sched_ns by node (mcpu_by_node); NULL: none */
    int64_t *cpu_insns_by_node; /* and its guest_insns */

    char *tmpdir, *keyfile;

    /* stats */
    _Atomic uint64_t delegated[512]; /* by syscall number (AArch64 numbers < 512) */
    _Atomic uint64_t placed[64];     /* threads placed per node (first 64 nodes) */
    _Atomic uint64_t moves;          /* threads moved between nodes (thread_move.c) */
    /* --stats / -v (stats.c): every node's statistics, gathered at the end */
    struct node_stats **node_stats; /* by node id (under lock) */
    unsigned stats_got;
    size_t stats_dir_pages;
    uint64_t *inv_caused; /* by node: invalidations + fetches its requests caused (dir_lock) */

    /* the run's futexes (futex_svc.c) */
    struct fsvc *futex;
};

/* futex_svc.c: one waiting thread of the run, a record of the futex
 * table (node-0 threads: on their stack; remote ones: in their proxy). */
struct fsvc_wait {
    struct futex_waiter w; /* w.id: the request to answer, w.node: the waiter's node, w.tid */
    _Atomic uint32_t done; /* node 0: set (under the table lock) once it has a result */
};
int fsvc_start(struct master *m);
/* process_cluster_ops.futex: node-0 threads (waits sleep here) and the
 * proxies' non-waiting ops. */
bool fsvc_futex(struct task *t, const uint64_t *a, int64_t *ret);
/* A remote thread's wait (FUTEX_WAIT, WAIT_BITSET, LOCK_PI, LOCK_PI2,
 * WAIT_REQUEUE_PI) made by its proxy t: true with
 * *ret when answered at once; false: rec is queued and the answer (a
 * SyscallResponse for req_id) is sent when it is woken, times out
 * (timeout_ns from now; -1 none) or is cancelled. */
bool fsvc_wait_remote(struct master *m, struct task *t, struct fsvc_wait *rec, unsigned node,
                      uint64_t req_id, const uint64_t *a, int64_t timeout_ns, uint64_t moved,
                      int64_t *ret);
/* FutexReturned from node (the net loop; futex_lend.h). */
void fsvc_on_returned(struct master *m, unsigned node, uint64_t addr, uint64_t seq, uint32_t moved);
/* "futex_loans" of --stats. */
void fsvc_stats_json(struct master *m, FILE *f);
/* Takes rec off the table (a signal for its thread); false if it had
 * already ended. *answer: -EINTR (the node restarts the wait), or
 * -EAGAIN for a FUTEX_WAIT_REQUEUE_PI already requeued to its PI lock
 * (Linux returns EWOULDBLOCK then rather than restart). */
bool fsvc_cancel(struct master *m, struct fsvc_wait *rec, int64_t *answer);
/* process_cluster_ops.thread_exit: the PI locks t holds with waiters
 * queued go to the first waiter of each, and from then on no new
 * waiter takes t for a lock's live owner (-ESRCH). */
void fsvc_thread_exit(struct task *t);

/* dir_service.c; the layout changes' part (dirsvc_forget_keys,
 * dirsvc_relayout, dirsvc_forget_ahead, dirsvc_adopt_present,
 * dirsvc_mapped, dirsvc_settled, dirsvc_node0_drain): dir_layout.c */
int dirsvc_start(struct master *m);
/* layout: the node's PageRequest.layout */
void dirsvc_request(struct master *m, uint64_t page, dsm_node_t node, enum dsm_req kind,
                    uint64_t layout);
void dirsvc_inv_ack(struct master *m, uint64_t page, dsm_node_t node);
/* Direct transfer: node installed the page its owner sent it. */
void dirsvc_install_ack(struct master *m, uint64_t page, dsm_node_t node);
void dirsvc_writeback(struct master *m, uint64_t page, dsm_node_t node, const void *data);
void dirsvc_node_lost(struct master *m, dsm_node_t node);
/* A layout change that takes away the last mapping of shared mappings'
 * keys [first, first + n) (cluster/alias.h): they are forgotten as the
 * change's replaced pages are (dirsvc_forget_ahead): a slave's request
 * for one, made before it applied the change, gets a stale answer; taken
 * as a new page it left the key owned by a node that then forgot it,
 * and the next mapping of the object fetched it from there in vain. */
void dirsvc_forget_keys(struct master *m, uint64_t first, uint64_t n);
/* A layout change on node 0 (GS_MAPPED, GS_UNMAPPED, GS_DISCARDED): the
 * range forgotten, then node 0's own page states, in the order a slave's
 * link gives them; then, still under dir_lock, announce(m, elsewhere,
 * arg) if given (elsewhere: whether a node other than node 0 may have
 * held a page of it: a copy, a request under way, a home copy), whose
 * answer it returns (without one: elsewhere). */
bool dirsvc_relayout(struct master *m, enum gs_change what, uint64_t start, uint64_t len, int prot,
                     bool (*announce)(struct master *m, bool elsewhere, void *arg), void *arg);
/* Before a host change that removes or replaces pages (GS_UNMAPPING): the
 * directory forgets them and node 0 applies what was queued for it, so
 * that nothing sent for the old pages lands on what comes after (a
 * fresh mapping over them, which the mprotect fallback would then adopt
 * as node 0's). */
void dirsvc_forget_ahead(struct master *m, uint64_t start, uint64_t len);
/* The layout hook's part for [dsm] first_touch_ahead: which ranges are
 * private writable anonymous memory, where untouched pages may be
 * claimed ahead of a write stream. */
void dirsvc_claimable(struct master *m, enum gs_change what, uint64_t start, uint64_t len, int prot,
                      enum gvma_kind kind);
/* Node 0's pages present in [start, start + len) that nobody else knows
 * are node 0's, in M (the loader's, at the start). */
void dirsvc_adopt_present(struct master *m, uint64_t start, uint64_t len);
/* dirsvc_relayout's announce for GS_MAPPED of the gs_range arg, under
 * dir_lock with the range forgotten and node 0's capture armed anew: the
 * shared mappings announced for it (malias_apply), then node 0's present
 * pages adopted. No request for a page of it comes between: a page moved
 * or read in is never served from a stale home copy, nor asked for by
 * address once a shared mapping's. */
bool dirsvc_mapped(struct master *m, bool elsewhere, void *arg);
int dirsvc_node0_send_request(void *ctx, uint64_t page, enum dsm_req kind, uint64_t layout);
/* GS_MAPPED of free space (a change that only adds, layout.c): node 0's
 * capture armed and its present pages adopted as dirsvc_mapped does, and
 * true; or false, with nothing done, when the directory holds a page of
 * the range after all: a request for it came while it was unmapped (a
 * fault read after the change that freed it), which only a change that
 * forgets it and is waited for makes right. */
bool dirsvc_map_free(struct master *m, uint64_t start, uint64_t len, int prot);
/* Pages a change forgot are unsettled (dir_layout.c): a change sent now
 * must be waited for, since only acks settle them (and a later change's
 * pages, forgotten while some are, are settled with them). */
bool dirsvc_unsettling(struct master *m);
/* dir_adding.c: change id, which only adds [start, start + len) (maps
 * it, or widens its protection), is about to be sent; until node has
 * acked it, page lies in it for node (dirsvc_adding_for, dir_lock held;
 * DIR_NODE_NONE: for some node) and nothing goes there unasked. A
 * request node made on a layout before a mapping it adds
 * (dirsvc_added_after, dir_lock held) was made for a page it did not
 * have mapped. */
void dirsvc_adding(struct master *m, uint64_t start, uint64_t len, uint64_t id, bool maps);
void dirsvc_acked(struct master *m, dsm_node_t node, uint64_t id);
bool dirsvc_adding_for(const struct master *m, dsm_node_t node, uint64_t page);
bool dirsvc_added_after(const struct master *m, dsm_node_t node, uint64_t page, uint64_t layout);
/* Every node has acked LayoutChange req_id: the pages a change up to it
 * forgot are settled. */
void dirsvc_settled(struct master *m, uint64_t req_id);
/* Node reached page, the tripwire of a run pushed to it: forwarding
 * pushes on (dsm/forward.h). */
void dirsvc_reached(struct master *m, uint64_t page, dsm_node_t node);
/* dir_lock held: a request made and its actions sent (the splitter's, as
 * node `nodes`, whose own actions are not sent). */
void dirsvc_request_locked(struct master *m, uint64_t page, dsm_node_t node, enum dsm_req kind);
/* dir_lock held: waits until node 0 has applied every directory message
 * queued for it (none queued, none being applied). */
void dirsvc_node0_drain(struct master *m);
/* dir_lock held. on: requests from nodes other than node 0 wait (a
 * fork gathering every page into node 0: none takes one away again);
 * off: they are made, in their order, once every on has had its off
 * (forks by two threads at once). The caller holds the guest space's
 * read lock across the hold: a layout change whose slave ack needs a
 * held request cannot be under way (master/DESIGN.md, "fork"). */
void dirsvc_hold_others(struct master *m, bool on);
/* --stats: the "forwarding" object (a line of the top-level JSON). */
void dirsvc_stats_json(struct master *m, FILE *f);
/* Home copies now: pages of their own, and node 0's copies serving as
 * such ([dsm] borrow_home). */
void dirsvc_home_counts(struct master *m, uint64_t *own, uint64_t *borrowed);

/* false_sharing.c ([dsm] split): set-up, a writeback of e's page by
 * node (dir_lock held, before `home` is overwritten; NULL: none yet), the
 * address space forgetting pages (dir_lock held), the --stats line. */
void mfs_start(struct master *m);
void mfs_on_writeback(struct master *m, const struct dir_entry *e, dsm_node_t node,
                      const void *home, const void *data);
void mfs_forget(struct master *m, uint64_t first, uint64_t n);
void mfs_stats_json(struct master *m, FILE *f);

/* split.c ([dsm] split): the splitter (started by mfs_start: maps the
 * shadow area), node 0's side (after dsm_node_init), a page detected
 * (dir_lock held), whether a request for page is taken (dir_lock held:
 * the page is split or on its way in or out: dropped, or kept to be made
 * again if the split is abandoned), a directory change the
 * splitter may wait for (dir_lock held), a node's PageSplitReply (loop
 * thread), node 0's unsplit requests, the --stats line. */
int msplit_start(struct master *m);
int msplit_node_start(struct master *m);
void msplit_detected(struct master *m, uint64_t page);
bool msplit_defer(struct master *m, uint64_t page, dsm_node_t node, enum dsm_req kind);
/* dir_lock held: the directory forgot page; a split on its way in is
 * called off and the requests it kept join askers (NULL: dropped) */
void msplit_forgotten(struct master *m, uint64_t page, struct node_set *askers);
/* dir_lock held: node asks for page (any page; kind READ counts for nothing) */
void msplit_on_request(struct master *m, uint64_t page, dsm_node_t node, enum dsm_req kind);
void msplit_wake(struct master *m);
void msplit_on_reply(struct net_conn *c, struct net_frame *f, void *arg);
void msplit_release(void *ctx, uint64_t page);
void msplit_stats_json(struct master *m, FILE *f);
/* fork.c: every page made whole and splits held off before the host fork
 * (no lock held), and after it (dir_lock held; child: in the child) */
void msplit_fork_prepare(struct master *m);
void msplit_fork_done(struct master *m, bool child);

/* proxy.c */
void proxy_on_syscall(struct master *m, struct net_conn *c, struct net_frame *f);
int64_t proxy_clone_thread(struct task *t, uint64_t flags, uint64_t newsp, uint64_t ptid,
                           uint64_t tls, uint64_t ctid);

/* layout.c */
void layout_hook(void *opaque, enum gs_change what, uint64_t start, uint64_t len, int prot,
                 enum gvma_kind kind, bool adds);
void layout_on_ack(struct master *m, dsm_node_t node, uint64_t req_id);
/* Every slave now shows the DSM pages key.. at [start, start+len). */
void layout_alias(struct master *m, uint64_t start, uint64_t len, uint64_t key);

/* alias.c: guest_space.alias (cluster/alias.h): announces a shared
 * mapping, which the GS_MAPPED that follows applies, in two steps:
 * malias_apply (dirsvc_mapped, dir_lock held) and malias_announce after
 * the GS_MAPPED broadcast (LAYOUT_ALIAS). */
void malias_map(void *opaque, uint64_t start, uint64_t len, uint64_t dev, uint64_t ino,
                uint64_t off);
void malias_apply(struct master *m);
void malias_announce(struct master *m);
/* The master's part of GS_UNMAPPING and (keep) GS_MOVING (layout_hook). */
void malias_unmapping(struct master *m, uint64_t start, uint64_t len, bool keep);

/* fork.c: process_cluster_ops.fork_prepare / fork_done */
int mfork_prepare(struct task *t);
void mfork_done(struct task *t, bool child);
bool mfork_has_children(struct process *p);

/* A FutexCancel from a node (loop thread): handed to the thread's proxy. */
void proxy_on_futex_cancel(struct master *m, struct net_conn *c, uint32_t tid, uint64_t req_id);
/* SignalsAtNode: tid's wait req_id looks at its fds again with the
 * signals pending on its node (syscall/signalfd_poll.h). */
void proxy_on_signals_at_node(struct master *m, struct net_conn *c, uint32_t tid, uint64_t req_id,
                              uint64_t pending);

/* The node running remote thread tid, or -1 if tid is not one. */
int proxy_node_of(struct master *m, int tid);
/* A signal for remote thread tid went to its node (signalfd_poll.c's
 * edges count them). */
void proxy_signal_sent(struct master *m, int tid);
/* Where a signal for guest thread tid goes: its node (> 0); 0 when it is
 * held for the thread, which is moving (sent once it runs again); -1:
 * tid is no remote thread. */
int proxy_signal_node(struct master *m, int tid, int sig, const struct aarch64_siginfo *info);
/* A ThreadMoved from a node (loop thread): handed to the thread's proxy. */
void proxy_on_moved(struct master *m, struct net_conn *c, struct net_frame *f);
/* The nodes whose CPUs t's mask names (a bit per node), or NULL: every
 * node (no mask, or no memory). Free it. */
uint8_t *proxy_allowed_nodes(struct master *m, const struct task *t);
/* The same with the stats lock (which guards masks) held. */
uint8_t *proxy_allowed_nodes_locked(struct master *m, const struct task *t);
/* Remote thread tid moves to node `to` once its current call (or, when it
 * has none, its next one) is answered; to -1: it stays after all. */
void proxy_move_after_call(struct master *m, int tid, int to);
/* Node-0 thread t (its own host thread, between guest instructions)
 * moves to node `to`: this host thread becomes its proxy, until the
 * thread comes back to node 0 (then this returns and it runs it). */
void proxy_move_out(struct task *t, unsigned to);

/* thread_move.c: process_cluster_ops.move_check and .move_out */
void master_move_check(struct task *t);
void master_move_out(struct task *t);
void proxy_affinity_changed(struct process *p, int tid, const uint8_t *mask, size_t bytes);

/* signals.c */
int msig_start(struct master *m);
void msig_fill_setup(struct master *m, Shoal__ClusterSetup *s, Shoal__SigAction *store,
                     Shoal__SigAction **ptrs);
void msig_sigaction_changed(struct process *p, int sig);
/* A slave's SA_RESETHAND (SyscallRequest.reset_hand, args as there):
 * resets the signal everywhere if its action is still the one named. */
void msig_reset_hand(struct master *m, const uint64_t *args);
/* A slave's SignalAccepts: the router looks again. */
void msig_on_accepts(struct master *m);
int msig_signal_remote(struct process *p, int tid, int sig, const struct aarch64_siginfo *info);
/* Sends sig (info) for guest thread tid to node. 0 or -errno. */
int msig_send(struct master *m, unsigned node, int tid, int sig,
              const struct aarch64_siginfo *info);
/* A node had no thread tid for a signal routed to it (the thread moved
 * meanwhile): it goes where the thread is now, if it still lives. */
void msig_on_bounce(struct master *m, struct net_conn *c, const Shoal__SignalSend *ss);
void msig_on_ack(struct master *m, uint64_t req_id);
void msig_on_taken(struct master *m, uint64_t req_id, uint32_t tid);
/* A remote thread's call that its proxy t made returned ret: a signal
 * the host kernel sent the proxy's thread with that result (SIGPIPE with
 * EPIPE, SIGXFSZ with EFBIG) is the remote thread's, sent to it ahead of
 * the answer, so it comes as the call returns, as on Linux. */
void msig_call_signals(struct task *t, int64_t ret);

/* cpu_usage.c */
/* process_cluster_ops.cpu_usage: node 0's part and every slave's. */
void mcpu_usage(struct task *t, struct cpu_usage *u, bool split);
/* process_cluster_ops.cpu_usage_thread: here, or asked of its node. */
int mcpu_thread(struct process *p, int tid, struct cpu_usage *u, struct proc_thread_view *view);
/* process_cluster_ops.cpu_usage_process: node 0's part and every slave's. */
void mcpu_process(struct process *p, struct cpu_usage *u, bool split);
/* The program's CPU time so far by node (ns[nodes]; progress.c): node
 * 0's guest threads and proxies (the calls it runs for other nodes),
 * each slave's guest threads; and the guest instructions each node's
 * threads ran (insns[nodes]; syscall/stats.h stats_insns); -1 for a
 * slave that did not answer. */
void mcpu_by_node(struct master *m, int64_t *ns, int64_t *insns);
/* A slave's CpuUsage. */
void mcpu_on_answer(struct master *m, unsigned node, const Shoal__CpuUsage *r);

/* thread_call.c */
/* process_cluster_ops.thread_call. */
int mthread_call(struct process *p, int tid, int nr, const uint64_t *a, const uint8_t *in,
                 size_t inlen, uint8_t *out, size_t outlen, int64_t *ret);
/* A node's ThreadCallResult. */
void mthread_call_on_result(struct master *m, unsigned node, const Shoal__ThreadCallResult *r);

/* stats.c */
int mstats_init(struct master *m);
/* Asks every slave for its statistics (waiting up to wait_ms), then takes
 * node 0's: before the slaves are told to exit. */
void mstats_collect(struct master *m, unsigned wait_ms);
void mstats_summary(struct master *m, FILE *out);

/* master.c */
int master_send(struct master *m, unsigned node, Shoal__Envelope *env, const void *page);
/* The same with n pages after the message (net_send_pages). */
int master_send_pages(struct master *m, unsigned node, Shoal__Envelope *env,
                      const void *const *pages, uint32_t n);
/* env to every slave that is up; returns how many took it. */
unsigned master_send_slaves(struct master *m, Shoal__Envelope *env);
/* CLOCK_REALTIME ms from now: a deadline for waits on m->cond. */
struct timespec master_deadline(unsigned ms);
/* With m->lock held: waits on m->cond while *pending is not 0 (answers
 * the loop thread counts down), until the run ends or ms pass. Returns
 * *pending then (0: every answer came). */
unsigned master_await(struct master *m, const unsigned *pending, unsigned ms);
/* A node (or a link between two) is lost: every node is told, the run
 * ends with status 1. The caller has said which. */
_Noreturn void master_end_lost(struct master *m);

/* links.c: slave-to-slave links for direct transfer */
bool mlinks_wanted(const struct master *m);
bool mlinks_direct(void *opaque, dsm_node_t owner, dsm_node_t reader);
/* ClusterReady (first): where the slave listens. */
void mlinks_on_ready(struct master *m, uint32_t node, const char *host, uint32_t port);
/* ClusterReady{linked}: the slave's links are up, or could not be made. */
void mlinks_on_linked(struct master *m, struct net_conn *c, bool ok, const char *reason);
void mlinks_on_link_lost(struct net_conn *c, struct net_frame *f, void *arg);
/* Every slave is ready: sends ClusterPeers and waits (timeouts.join_ms)
 * for every slave's links. 0 at once when direct transfer is off. */
int mlinks_connect(struct master *m);

#endif
