/* Run statistics of one guest process, written as JSON by --stats FILE
 * when the process ends (exit, exit_group or a fatal signal). */
#ifndef SHOAL_SYSCALL_STATS_H
#define SHOAL_SYSCALL_STATS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct task;
struct process;
struct shoal_config;

#define STATS_NR_MAX 512 /* AArch64 (asm-generic) syscall numbers are below this */

/* A thread of this process: its tid, the guest instructions it ran, and
 * where its time went (docs/bench.md, "thread_times"; all 0 when the run
 * keeps no thread times). */
struct stats_thread {
    int tid;
    uint64_t insns;
    uint64_t exec_ns;    /* running guest code (and the run loop between calls) */
    uint64_t fault_ns;   /* parked on DSM faults: fault seen until page installed */
    uint64_t syscall_ns; /* in system calls other than futex waits, delegation included */
    uint64_t wait_ns;    /* in futex waits */
};

/* What a thread is doing, for its time breakdown. */
enum stats_phase { STATS_EXEC, STATS_SYSCALL, STATS_WAIT, STATS_PHASES };

/* One thread's clock: the segment open now and the closed ones. Written
 * by the thread itself at its run loop's transitions (no lock: relaxed
 * atomics, so a snapshot from another thread is approximate but never a
 * data race), except fault_ns, which the fault path adds to from the
 * handler thread. Closed segments exclude the fault time inside them. */
struct stats_clock {
    int host_tid;
    _Atomic int64_t ns[STATS_PHASES];
    _Atomic uint64_t fault_ns;
    _Atomic uint64_t seg_start; /* CLOCK_MONOTONIC ns the open segment began */
    _Atomic int seg_phase;      /* enum stats_phase of the open segment */
    _Atomic uint64_t seg_fault; /* fault_ns when it began */
};

/* host tid -> clock of a running thread, for the fault path */
struct stats_clock_ref {
    int host_tid;
    struct stats_clock *c;
};

/* Writes the statistics instead of the single-node JSON (the cluster's
 * master, which adds every node's). */
typedef void (*stats_writer_fn)(void *ctx, struct process *p, int exit_status, int signo);

struct run_stats {
    const char *path;                  /* --stats FILE, or NULL */
    const struct shoal_config *config; /* the effective configuration, or NULL */
    uint64_t start_ns;                 /* CLOCK_MONOTONIC at process creation */
    pthread_mutex_t lock;              /* guards the live-task list */
    struct task *live;                 /* tasks running now */
    atomic_uint_fast64_t insns_done;   /* guest instructions of tasks that ended */
    atomic_uint_fast64_t threads;      /* tasks ever created */
    atomic_uint_fast64_t syscalls;     /* system calls dispatched */
    /* by number: run on this node, and sent to the master (a slave's
     * SC_GLOBAL rows) */
    _Atomic uint64_t by_nr[STATS_NR_MAX], delegated_nr[STATS_NR_MAX];
    /* a slave's futex ops decided on words lent to it, and its waits
     * moved to the master with a recall (slave/futex_local.h) */
    _Atomic uint64_t futex_local, futex_moved;
    struct stats_thread *ended; /* tasks that ended, when timing (under lock) */
    size_t nended, capended;
    stats_writer_fn writer;
    void *writer_ctx;
    /* Thread times ([stats], docs/bench.md): kept when path is set or
     * timing is (a slave, told by the master). Page-fault events: at most
     * page_events_max per node, 0: none (a slave's, from the master;
     * elsewhere stats_page_events_max() reads the configuration). */
    bool timing;
    uint64_t page_events_max;
    struct stats_clock_ref *clocks; /* sorted by host_tid (under lock) */
    /* CPU time of the tasks that ended (under lock; cpu_time.h) */
    int64_t ended_user_ns, ended_sys_ns, ended_sched_ns;
    size_t nclocks, capclocks;
};

void stats_init(struct run_stats *s, const char *path);
void stats_task_start(struct run_stats *s, struct task *t);
void stats_task_end(struct run_stats *s, struct task *t);
/* In the child of a fork: t, the forking thread, is the only task (the
 * others stayed in the parent); the lock starts afresh, as another
 * thread may have held it at the fork. */
void stats_forked_child(struct run_stats *s, struct task *t);
/* Task t leaves this node for another, its task kept (a node-0 thread's
 * host thread becomes its proxy): its times here are recorded as an
 * ended thread's, and its clock goes. */
void stats_task_moved(struct run_stats *s, struct task *t);
/* A known syscall nr was dispatched here; delegated: to the master. */
void stats_syscall(struct run_stats *s, unsigned nr, bool delegated);
/* The calling thread (t) starts running guest code: its clock starts
 * (in STATS_EXEC) and the fault path can find it by host tid. Returns
 * the clock, or NULL when the run keeps no thread times. */
struct stats_clock *stats_thread_running(struct run_stats *s, struct task *t);
/* The thread owning c now does `to` (c may be NULL: nothing). */
void stats_clock_switch(struct stats_clock *c, enum stats_phase to);
/* What system call nr with second argument a1 (futex: op) is for the time
 * breakdown: a futex wait (FUTEX_WAIT, _BITSET, LOCK_PI, ...,
 * futex_waitv) is STATS_WAIT, anything else STATS_SYSCALL. */
enum stats_phase stats_syscall_phase(uint64_t nr, uint64_t a1);
/* The fault path: the thread host_tid was parked ns on a page fault
 * (nothing if it is not a running guest thread). */
void stats_add_fault_ns(struct run_stats *s, int host_tid, uint64_t ns);
/* Whether thread times are kept, and the cap on page-fault events. */
bool stats_timing(const struct run_stats *s);
uint64_t stats_page_events_max(const struct run_stats *s);
/* "thread_times": one object per thread, on one line each, at indent;
 * node is written in each (no newline after the closing bracket). */
void stats_thread_times_json(FILE *f, const struct stats_thread *v, size_t n, unsigned node,
                             int indent);

/* Every thread, ended (kept only when stats_timing) or live, with its
 * instruction count (a snapshot:
 * live ones are still counting), one entry per tid in tid order (the
 * stays of a thread that moved away and back summed). Returns a malloc'd
 * array (count in *n), NULL when empty or out of memory. */
struct stats_thread *stats_threads(struct run_stats *s, size_t *n);
/* Writes the JSON file (if asked for); how the process ended is given as
 * an exit status or a signal number (the other one 0). */
void stats_write(struct process *p, int exit_status, int signo);
/* The guest instructions this node's threads ran so far, ended and live
 * (exact only when the JIT counts them: dbt_options.count_insns). */
uint64_t stats_insns(struct run_stats *s);

#endif
