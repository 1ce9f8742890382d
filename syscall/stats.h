/* Run statistics of one guest process, written as JSON by --stats FILE
 * when the process ends (exit, exit_group or a fatal signal). */
#ifndef SHOAL_SYSCALL_STATS_H
#define SHOAL_SYSCALL_STATS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct task;
struct process;
struct shoal_config;

#define STATS_NR_MAX 512 /* AArch64 (asm-generic) syscall numbers are below this */

/* A thread of this process: its tid and the guest instructions it ran. */
struct stats_thread {
    int tid;
    uint64_t insns;
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
    struct stats_thread *ended; /* tasks that ended (under lock) */
    size_t nended, capended;
    stats_writer_fn writer;
    void *writer_ctx;
};

void stats_init(struct run_stats *s, const char *path);
void stats_task_start(struct run_stats *s, struct task *t);
void stats_task_end(struct run_stats *s, struct task *t);
/* A known syscall nr was dispatched here; delegated: to the master. */
void stats_syscall(struct run_stats *s, unsigned nr, bool delegated);
/* Every thread, ended or live, with its instruction count (a snapshot:
 * live ones are still counting). Returns a malloc'd array (count in *n),
 * NULL when empty or out of memory. */
struct stats_thread *stats_threads(struct run_stats *s, size_t *n);
/* Writes the JSON file (if asked for); how the process ended is given as
 * an exit status or a signal number (the other one 0). */
void stats_write(struct process *p, int exit_status, int signo);

#endif
