/* The guest process's CPU time when its threads run on several nodes. A
 * cluster is one process to its program, so getrusage(RUSAGE_SELF),
 * times() and the process CPU clocks (CLOCK_PROCESS_CPUTIME_ID, clock(),
 * clock_getcpuclockid of the process) count the CPU time of every guest
 * thread on every node, ended ones included: each node sums its own
 * (cpu_usage_node), the master adds the slaves' answers
 * (process_cluster_ops.cpu_usage). A node's service threads (event
 * loops, the directory) are not the program's and are not counted; a
 * remote thread's proxy on the master (its delegated calls) is. A lone
 * process answers from the host, as before. */
#ifndef SHOAL_SYSCALL_CPU_TIME_H
#define SHOAL_SYSCALL_CPU_TIME_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <time.h>

struct process;
struct task;

struct cpu_usage {
    int64_t user_ns, sys_ns; /* the kernel's tick split, scaled to sched_ns */
    int64_t sched_ns;        /* the scheduler's total (CLOCK_*_CPUTIME_ID) */
    /* the node processes' rusage counters: summed, maxrss the largest */
    int64_t maxrss_kb, minflt, majflt, inblock, oublock, nvcsw, nivcsw;
};

/* Adds host thread tid's CPU time (a thread of this host process; nothing
 * if it is gone); split: also user and system apart (two more reads),
 * else sched_ns alone. */
void cpu_usage_add_thread(struct cpu_usage *u, int tid, bool split);
/* Adds task t's own CPU time (its host thread's, user and system apart,
 * and what it brought from the nodes it moved from): its CPU clock. */
void cpu_usage_add_task(struct cpu_usage *u, const struct task *t);
/* Adds b to a: times and counters summed, maxrss the larger. */
void cpu_usage_merge(struct cpu_usage *a, const struct cpu_usage *b);
/* This node's part: its guest threads (live, and the ended ones
 * run_stats kept) and its host process's counters; split as above (the
 * ended ones' always). */
void cpu_usage_node(struct process *p, struct cpu_usage *u, bool split);
/* Task t ends (run_stats_end, under the stats lock, on t's thread): in a
 * cluster its CPU time goes to the ended tasks' sums. */
struct run_stats;
void cpu_usage_ended(struct run_stats *s, const struct task *t);
/* Whether syscall nr with args a reads the program's CPU time (a slave
 * then sends its own node's part along: SyscallRequest.caller_cpu), and
 * whether it needs user and system time apart. */
bool cpu_time_call(int nr, const uint64_t *a, bool *split);
/* u as the guest's struct rusage (the generic layout, the same on both). */
void cpu_usage_to_rusage(const struct cpu_usage *u, struct rusage *r);
/* u's user and system time in clock ticks, as times() and /proc's stat
 * count them. */
void cpu_usage_to_ticks(const struct cpu_usage *u, uint64_t *user, uint64_t *sys);

/* A CPU clock id decoded (Linux's encoding): whose (pid or tid, 0: the
 * caller's process or thread), per-thread or not, and which reading. */
enum cpu_clock_which { CPU_CLOCK_PROF, CPU_CLOCK_VIRT, CPU_CLOCK_SCHED };
struct cpu_clock {
    int id; /* pid or tid; 0: the caller's */
    bool thread;
    enum cpu_clock_which which;
};
/* Whether clock id is a CPU clock (*c: what it names). */
bool cpu_clock_decode(clockid_t id, struct cpu_clock *c);
/* u's reading for `which` (sched; user; user + system). */
int64_t cpu_usage_reading(const struct cpu_usage *u, enum cpu_clock_which which);
/* The resolution of a thread CPU clock of kind `which` (the calling
 * thread's, which the host knows). */
void cpu_clock_resolution(enum cpu_clock_which which, struct timespec *ts);
/* Adds guest thread tid's CPU time if it runs on this node (0), else
 * -ESRCH. A remote thread's proxy is not it. */
int cpu_usage_local_thread(struct process *p, int tid, struct cpu_usage *u);

/* Whether clock id is a CPU clock of the whole process: the process
 * clock (CLOCK_PROCESS_CPUTIME_ID), or a process clock of pid 0 or of
 * `self` (clock_getcpuclockid); *ns then gets the clock's reading of u
 * when u is not NULL. */
bool cpu_clock_of_process(clockid_t id, int self, const struct cpu_usage *u, int64_t *ns);
/* Whether clock id is a CPU clock of a whole process, of any pid: a
 * slave delegates those (the program's counts every node; pids are the
 * master's). */
bool cpu_clock_per_process(clockid_t id);

#endif
