/* Run statistics of one guest process, written as JSON by --stats FILE
 * when the process ends (exit, exit_group or a fatal signal). */
#ifndef SHOAL_SYSCALL_STATS_H
#define SHOAL_SYSCALL_STATS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

struct task;
struct process;
struct shoal_config;

struct run_stats {
    const char *path;          /* --stats FILE, or NULL */
    const struct shoal_config *config; /* the effective configuration, or NULL */
    uint64_t start_ns;         /* CLOCK_MONOTONIC at process creation */
    pthread_mutex_t lock;      /* guards the live-task list */
    struct task *live;         /* tasks running now */
    atomic_uint_fast64_t insns_done; /* guest instructions of tasks that ended */
    atomic_uint_fast64_t threads;    /* tasks ever created */
    atomic_uint_fast64_t syscalls;   /* system calls dispatched */
};

void stats_init(struct run_stats *s, const char *path);
void stats_task_start(struct run_stats *s, struct task *t);
void stats_task_end(struct run_stats *s, struct task *t);
/* Writes the JSON file (if asked for); how the process ended is given as
 * an exit status or a signal number (the other one 0). */
void stats_write(struct process *p, int exit_status, int signo);

#endif
