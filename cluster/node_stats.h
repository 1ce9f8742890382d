/* One node's statistics of a cluster run, for --stats FILE and -v: what
 * its DSM did (faults by kind, invalidations, pages moved, fault
 * latency), what its transport carried (messages by type, bytes), the
 * syscalls its threads made (run here or delegated to the master), and
 * its threads with their guest instructions. Gathered on each node,
 * shipped to the master in a NodeStats message at the end of the run,
 * written there as one JSON document. */
#ifndef SHOAL_CLUSTER_NODE_STATS_H
#define SHOAL_CLUSTER_NODE_STATS_H

#include <stdint.h>
#include <stdio.h>

#include "cluster/dsm_node.h"
#include "net/msg.h"
#include "net/transport.h"
#include "syscall/stats.h"

/* Counters in NodeStats.dsm order: append only (the wire keeps the order). */
enum node_stats_counter {
    NS_READ_MISS,      /* faults that sent a read request */
    NS_WRITE_MISS,     /* faults that sent a write request (no copy here) */
    NS_UPGRADE,        /* faults that sent an upgrade (S copy here) */
    NS_DEDUP,          /* faults that waited for a request already out */
    NS_SPURIOUS,       /* faults the state already covered */
    NS_INSTALLS,       /* pages installed from the master */
    NS_GRANTS,         /* upgrades granted */
    NS_INVALIDATIONS,  /* S copies dropped on the directory's order */
    NS_FETCHES,        /* M copies written back on the directory's order */
    NS_PAGES_RX,       /* pages received (4 KiB each) */
    NS_PAGES_TX,       /* pages sent */
    NS_CODE_FLUSHES,   /* pages whose translations were dropped */
    NS_EXCL_LOST,      /* store-exclusives failed: the page left since the load */
    NS_INV_CAUSED,     /* invalidations and fetches this node's requests caused (master) */
    NS_SPLIT_PAGES,    /* pages split here ([dsm] split; cluster/split_node.h) */
    NS_SPLIT_ACCESSES, /* guest accesses redirected to a shadow page (batches of 64 per thread) */
    NS_SPLIT_INSNS,    /* guest instructions re-translated with a redirection */
    NS_SPLIT_RELEASES, /* unsplits this node asked for */
    NS_TRIPPED,        /* pushed pages kept as tripwires that a thread walked into */
    NS_STALE_TAKEN,    /* stale answers given to a waiting thread (dsm_pages_on_stale) */
    NS_STALE_REFUSED,  /* stale answers that came after the change had begun */
    NS_FUTEX_LOCAL,    /* futex ops decided here on words lent to this node */
    NS_FUTEX_MOVED,    /* waits moved to the master when a loan was recalled */
    NS_COUNTERS
};

#define NODE_STATS_MAX_THREADS 4096 /* per node in one message; more are summed, not listed */
/* page-fault events in one message (about 13 bytes each on the wire, far
 * below the frame limit); more count as dropped */
#define NODE_STATS_MAX_EVENTS 2000000u

struct node_stats {
    unsigned node;
    uint64_t c[NS_COUNTERS];
    uint64_t lat_hist[DSM_NODE_LAT_BUCKETS];
    uint64_t lat_ns[3], lat_n[3];              /* by enum dsm_req */
    uint64_t read_hist[DSM_NODE_READ_BUCKETS]; /* read misses, 1 us buckets */
    uint64_t msgs_tx[NET_MSG_TYPES], msgs_rx[NET_MSG_TYPES];
    uint64_t bytes_tx, bytes_rx;
    uint64_t busy_polled; /* net_stats.busy_polled */
    uint64_t syscalls[STATS_NR_MAX], delegated[STATS_NR_MAX];
    struct stats_thread *threads; /* malloc'd */
    size_t nthreads;
    uint64_t guest_insns;      /* of every thread, listed or not */
    bool times_on;             /* threads[] carry their time breakdown */
    bool events_on;            /* [stats] page_events */
    struct page_event *events; /* malloc'd; times on this node's clock */
    size_t nevents;
    uint64_t events_dropped;
    /* Events on the master's timeline: master time = node time - offset;
     * t_us is counted from run_start_ns (the master's clock). */
    int64_t clock_offset_ns;
    uint64_t run_start_ns;
    /* wire only: this node's clock when the StatsRequest came and when
     * the answer left, and the master's send time it echoes */
    uint64_t clock_rx_ns, clock_tx_ns, clock_req_ns;
};

/* Snapshot of this node (net may be NULL). 0 or -ENOMEM. */
int node_stats_collect(struct node_stats *ns, unsigned node, struct dsm_node *dsm,
                       const struct net_stats *net, struct process *proc);
void node_stats_fini(struct node_stats *ns);

/* The NodeStats message: fill (arrays point into ns and *buf; free buf
 * after sending) and read back. from_msg returns 0 or -EINVAL for a
 * message with counts this build cannot take. */
void node_stats_to_msg(const struct node_stats *ns, Shoal__NodeStats *m, uint64_t **buf);
int node_stats_from_msg(const Shoal__NodeStats *m, unsigned node, struct node_stats *ns);

/* Collects this node's statistics and sends them on c (a slave's answer
 * to the StatsRequest q; on its loop thread). */
void node_stats_send(struct net_conn *c, const Shoal__StatsRequest *q, unsigned node,
                     struct dsm_node *dsm, struct net_node *net, struct process *proc);

/* Page events and the offsets are on CLOCK_MONOTONIC: clock_mono_ns()
 * (common/clock_sync.h). */
/* The master, on receiving ns at master_rx_ns: the node's clock offset
 * from the master's (NTP's formula over the StatsRequest round trip:
 * exact to half the difference of the two one-way delays), and the run
 * start its event times count from. */
void node_stats_timeline(struct node_stats *ns, uint64_t master_rx_ns, uint64_t run_start_ns);

/* "page_faults" of ns: {"page_size", "events_dropped", "events": [[t_us,
 * node, page, "r"|"w"|"u"], ...]}, t_us on the master's timeline. */
void node_stats_events_json(FILE *f, const struct node_stats *ns, int indent);

/* Writes ns as one JSON object at the given indentation (no newline
 * after the closing brace). */
void node_stats_json(FILE *f, const struct node_stats *ns, int indent);

#endif
