/* One node's side of the DSM over its guest address space: fault capture
 * on the whole reservation (userfaultfd), the page-state table, and what
 * a page change means for translated code. The directory and the
 * messages belong to the master/slave runtime, which plugs in through
 * send_request and the dsm_pages_on_* calls. */
#ifndef SHOAL_CLUSTER_DSM_NODE_H
#define SHOAL_CLUSTER_DSM_NODE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "cluster/alias.h"
#include "cluster/fault_trace.h"
#include "dsm/fault.h"
#include "dsm/page_state.h"
#include "syscall/task.h"

/* Fault latency histogram buckets: < 2^(i+1) microseconds, last: more. */
#define DSM_NODE_LAT_BUCKETS 16
/* Read misses alone at 1 us resolution, for percentiles (a mean on a busy
 * machine is its tail): bucket i holds [i, i+1) us, the last one more. */
#define DSM_NODE_READ_BUCKETS 257

struct split_node;

/* Sends a request for page to the directory (master: a local call);
 * layout as dsm_page_ops.send_request has it. */
typedef int (*dsm_node_send_fn)(void *ctx, uint64_t page, enum dsm_req kind, uint64_t layout);

struct dsm_node {
    struct dsm_fault_pages fp; /* first: the page ops' opaque is the node */
    struct process *proc;
    struct dsm_pages pages;
    struct dsm_page_ops ops;
    struct dsm_fault_region *region;
    dsm_node_send_fn send_request;
    /* optional: a thread reached a tripwire page (forwarding's progress,
     * dsm/page_state.h), told to the directory; set after init */
    void (*reached)(void *ctx, uint64_t page);
    void *ctx;
    /* executable guest ranges, kept by the layout hook: a page dropped
     * there may hold translated code (data pages never cost a flush) */
    pthread_mutex_t exec_lock;
    struct {
        uint64_t start, end;
    } * exec;
    size_t nexec, capexec;
    /* stats */
    _Atomic uint64_t code_flushes;
    _Atomic uint64_t pages_rx, pages_tx;
    _Atomic uint64_t lat_hist[DSM_NODE_LAT_BUCKETS];
    _Atomic uint64_t lat_ns[3], lat_n[3]; /* request to answer, by enum dsm_req */
    _Atomic uint64_t read_hist[DSM_NODE_READ_BUCKETS];
    _Atomic uint64_t excl_lost; /* store-exclusives failed: the page left since the load */
    pthread_mutex_t t0_lock;    /* fault start times by page, for the histogram */
    struct u64map t0;
    struct fault_trace trace; /* --stats: thread fault times, page events */
    struct split_node *split; /* page splitting (split_node.h); NULL: off */
    struct alias_table alias; /* guest pages that show one object's pages (alias.h) */
};

/* Captures faults on proc's whole guest space (every present page stays
 * as it is). 0 or -errno (logged). */
int dsm_node_init(struct dsm_node *n, struct process *proc, enum dsm_fault_mech mech,
                  dsm_node_send_fn send_request, void *ctx);
/* The same with userfaultfd read by the caller's event loop instead of a
 * handler thread (dsm_fault_region_adopt_polled): it watches
 * dsm_fault_region_fd(n->region) and calls dsm_fault_region_dispatch. */
int dsm_node_init_polled(struct dsm_node *n, struct process *proc, enum dsm_fault_mech mech,
                         dsm_node_send_fn send_request, void *ctx);
void dsm_node_fini(struct dsm_node *n);

/* A node whose new mappings are all the directory's to fill (a slave),
 * after its layout change mapped [start, start + len): a page a racing
 * guest store made present between the host's mmap and the rearm of fault
 * capture, unknown to the DSM, is dropped, as if the store had reached
 * the old mapping (userfaultfd; the mprotect fallback maps new memory
 * closed). */
void dsm_node_drop_strays(struct dsm_node *n, uint64_t start, uint64_t len);
/* fn(arg, page) for each page of [start, start + len) present in this
 * node's host memory (mincore), lowest first. */
void dsm_node_each_resident(struct dsm_node *n, uint64_t start, uint64_t len,
                            void (*fn)(void *arg, uint64_t page), void *arg);

/* This node's part of a layout change (guest_mem's hook, write lock
 * held): forget the pages of the range, capture faults on a new
 * mapping, track executable ranges, make the host's discard of a
 * discarded range. */
void dsm_node_layout(struct dsm_node *n, enum gs_change what, uint64_t start, uint64_t len,
                     int prot);

/* Whether addr lies in an executable mapping (a page there may hold
 * translated code: changing it flushes translations). */
bool dsm_node_in_exec(struct dsm_node *n, uint64_t addr);
/* The same for a DSM page: a guest page, or a key (cluster/alias.h) with
 * any of its pages in an executable mapping. */
bool dsm_node_page_in_exec(struct dsm_node *n, uint64_t page);

/* In the child of a host fork (master/fork.c), which leaves the cluster:
 * its memory becomes plain memory with the guest's protection (the
 * mprotect fallback's absent and read-only pages open: node 0 held every
 * page the child can read). Write lock of the guest space or its read
 * lock held by the caller, the child's only thread. */
void dsm_node_fork_child(struct dsm_node *n);

/* Whether r, the result of a page change here, is one this node cannot
 * go on from (-ENOMEM: the host refused memory or, with the mprotect
 * fallback, another mapping: vm.max_map_count): the guest thread waiting
 * for the page would wait forever. Then it says so on stderr, and the
 * caller ends the node (a slave: the master reports it lost and ends the
 * run). */
bool dsm_node_fatal(const struct dsm_node *n, int r, uint64_t page);

/* Page data arrived for a request: latency bookkeeping. */
void dsm_node_note_install(struct dsm_node *n, uint64_t page);

#endif
