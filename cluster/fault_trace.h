/* What one node's fault path tells --stats beyond counters
 * (docs/bench.md): how long each guest thread stayed parked on DSM
 * faults (added to its clock in run_stats), and, when [stats]
 * page_events is on, a log of the remote faults (time, page, kind).
 * Both are off unless the run keeps statistics; every call is then a
 * test of a flag. */
#ifndef SHOAL_CLUSTER_FAULT_TRACE_H
#define SHOAL_CLUSTER_FAULT_TRACE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "dsm/u64map.h"
#include "syscall/stats.h"

struct fault_wait; /* a parked thread: tid, page, since when */

struct page_event {
    uint64_t t_ns; /* CLOCK_MONOTONIC of this node when the request left */
    uint64_t page; /* guest address / 4096 */
    uint32_t kind; /* enum dsm_req: read, write, upgrade */
};

struct fault_trace {
    struct run_stats *stats; /* thread times go here; NULL: not kept */
    uint64_t events_max;     /* 0: no event log */
    pthread_mutex_t lock;
    struct u64map by_page; /* page -> list of struct fault_wait parked on it */
    struct u64map by_tid;  /* host tid -> its struct fault_wait (at most one) */
    struct page_event *ev;
    size_t nev, capev;
    uint64_t dropped; /* events beyond events_max */
};

/* stats: where fault time goes (NULL: nowhere); events_max: 0 for no log. */
void fault_trace_init(struct fault_trace *ft, struct run_stats *stats, uint64_t events_max);
void fault_trace_fini(struct fault_trace *ft);

/* The fault handler saw thread tid (host tid; 0: unknown) fault on page;
 * call before deciding what to do about it. A thread waits on one fault
 * at a time: an older wait of tid still open is dropped uncounted. */
void fault_trace_parked(struct fault_trace *ft, uint64_t page, int tid);
/* The fault needed nothing (the page already allowed it) or failed: the
 * thread is woken now, its wait ends. */
void fault_trace_unparked(struct fault_trace *ft, int tid);
/* Page was installed or its upgrade granted: every thread parked on it
 * is woken; their waits end and count. */
void fault_trace_installed(struct fault_trace *ft, uint64_t page);
/* A request for page (enum dsm_req kind) left for the directory. */
void fault_trace_request(struct fault_trace *ft, uint64_t page, unsigned kind);
/* Copies the event log (malloc'd, *n events; NULL when empty or out of
 * memory) and the number dropped. */
struct page_event *fault_trace_events(struct fault_trace *ft, size_t *n, uint64_t *dropped);

#endif
