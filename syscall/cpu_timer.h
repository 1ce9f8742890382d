/* Timers on CPU-time clocks in a cluster: POSIX timers on a process or
 * thread CPU clock (CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID,
 * clock_getcpuclockid, pthread_getcpuclockid) and the itimers
 * ITIMER_VIRTUAL and ITIMER_PROF. A host timer would count the master's
 * host process or thread: not the threads on the other nodes, nor a
 * thread that moved away (its host thread became its proxy). So the
 * master keeps these timers itself and reads the clock they name the way
 * clock_gettime does in a cluster (cpu_time.h: the program's time over
 * every node, or one thread's where it runs), from a sampler thread that
 * wakes when the timer could expire at the earliest: the time left
 * divided by the CPUs that could be spending it (one for a thread; every
 * guest CPU of the run for the process), at least CPU_TIMER_MIN_NS apart;
 * while the clock stands still (its threads sleep), less and less often,
 * down to every CPU_TIMER_IDLE_NS.
 * A timer that expired is seen at its next reading (Linux's own CPU
 * timers fire at a tick). Expirations are signals: SI_TIMER with
 * si_timerid, si_overrun and si_value for POSIX timers, to the thread
 * named (wherever it runs now) or to the process; SIGVTALRM / SIGPROF
 * (SI_KERNEL) to the process for the itimers. Ids are the host kernel's
 * (a placeholder timer per POSIX timer), so they never collide with the
 * master's other timers. A lone process (one node, or a forked child)
 * keeps the host's timers. */
#ifndef SHOAL_SYSCALL_CPU_TIMER_H
#define SHOAL_SYSCALL_CPU_TIMER_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "syscall/task.h"

/* A reading at most this often per timer (ns). */
#define CPU_TIMER_MIN_NS 1000000
/* and at least this often while its clock stands still (ns) */
#define CPU_TIMER_IDLE_NS 32000000

/* Whether timers on clock are kept here (a cluster's master, a CPU clock
 * of this process or of one of its threads), for task t's call. */
bool cpu_timer_clock(struct task *t, clockid_t clock);
/* timer_create on such a clock. notify: SIGEV_SIGNAL, SIGEV_NONE or
 * SIGEV_THREAD_ID (tid); signo, value as in the sigevent;
 * CPU_TIMER_NO_SIGEVENT: none given, which is SIGEV_SIGNAL with SIGALRM
 * and the id as value. Stores the id at *id (host pointer). 0 or
 * -errno. */
#define CPU_TIMER_NO_SIGEVENT (-1)
int cpu_timer_create(struct task *t, clockid_t clock, int notify, int signo, int tid,
                     uint64_t value, int *id);
/* Whether timer id is one of these (the family then asks here). */
bool cpu_timer_has(struct process *p, int id);
/* timer_settime / timer_gettime / timer_getoverrun / timer_delete
 * (struct itimerspec: host pointers, the same on both sides). */
int cpu_timer_settime(struct process *p, int id, int flags, const struct itimerspec *nv,
                      struct itimerspec *ov);
int cpu_timer_gettime(struct process *p, int id, struct itimerspec *cur);
int cpu_timer_getoverrun(struct process *p, int id);
/* The signal of timer id was taken with si_overrun `overrun`, which
 * timer_getoverrun reports from now (process_cluster_ops.timer_taken):
 * false if id is not one of these. */
bool cpu_timer_taken(struct process *p, int id, int overrun);
int cpu_timer_delete(struct process *p, int id);

/* clock_nanosleep on such a clock (req, rem: host pointers; rem may be
 * NULL): a thread's clock is EINVAL, as on Linux; the program's is
 * slept in steps on CLOCK_MONOTONIC, each the time left spent by every
 * guest CPU (at least CPU_TIMER_MIN_NS, at most CPU_TIMER_IDLE_NS),
 * until a reading over every node reaches the deadline. 0, -EINVAL, or
 * a restart code when a signal comes (rem then says what is left of a
 * relative sleep). */
int64_t cpu_timer_nanosleep(struct task *t, clockid_t clock, int flags, const struct timespec *req,
                            struct timespec *rem);

/* Whether itimer `which` is kept here (ITIMER_VIRTUAL or ITIMER_PROF on a
 * cluster's master). */
bool cpu_timer_itimer(struct process *p, int which);
/* setitimer / getitimer of such an itimer (struct itimerval: host
 * pointers; nv NULL disarms, as Linux takes it). 0 or -errno. */
int cpu_timer_setitimer(struct process *p, int which, const void *nv, void *ov);
int cpu_timer_getitimer(struct process *p, int which, void *cur);

/* RLIMIT_CPU of a cluster's master (cpu_timer_rlimit): the program's
 * CPU time over every node against it, read as these timers read their
 * clock; SIGXCPU (SI_KERNEL, to the process) at the soft limit, which
 * then rises by a second, and SIGKILL at the hard one, as Linux does.
 * The master takes over a limit the run was started with (ulimit -t)
 * as if the program had set it. The host's soft limit is set to the
 * hard one, which the host kernel keeps (EPERM to raise it) and
 * enforces on the master's own time. */
struct rlimit;
bool cpu_timer_rlimit(struct process *p);
int cpu_timer_getrlimit(struct process *p, struct rlimit *cur);
/* nv: the new limits; *old (may be NULL): those before. 0 or -errno. */
int cpu_timer_setrlimit(struct process *p, const struct rlimit *nv, struct rlimit *old);
/* The child of a fork (a lone process) gets the limit the program set
 * as its host's. */
void cpu_timer_forked(struct process *p);

#endif
