/* POSIX timers aimed at a guest thread on another node of a cluster
 * (SIGEV_THREAD_ID, and so glibc's SIGEV_THREAD, whose helper thread may
 * run anywhere). Timers live on the master, where such a thread has
 * only its proxy, which takes no signals. So the master keeps, per such
 * timer, a host timer with SIGEV_NONE (its id is the guest's, and
 * settime/gettime stay the kernel's) and a timerfd armed alike; a relay
 * thread reads the timerfds and sends each expiry to the thread's node
 * as a SI_TIMER signal (si_timerid, si_overrun = expirations - 1,
 * si_value); to its host thread when it runs on node 0. The node that
 * queues it folds later expiries into it while it waits
 * (timer_signal.h), and the si_overrun the thread takes comes back here
 * (timer_relay_taken) for timer_getoverrun. Threads move between nodes (master/
 * thread_move.c), so the master's timers for node-0 threads are relayed
 * too, wherever the thread goes. timerfds have no CPU clocks: timers on
 * those are cpu_timer.h's. */
#ifndef SHOAL_SYSCALL_TIMER_RELAY_H
#define SHOAL_SYSCALL_TIMER_RELAY_H

#include <stdbool.h>
#include <stdint.h>

#include "syscall/task.h"

/* A timer for thread tid of another node: creates it, stores its id at
 * *id (a host pointer), 0 or -errno. */
int timer_relay_create(struct process *p, int clock, int tid, int signo, uint64_t value, int *id);
/* Whether timer id is relayed (the rest of the family then asks here). */
bool timer_relay_has(struct process *p, int id);
/* timer_settime of a relayed timer (new_v, old_v: host pointers). */
int timer_relay_settime(struct process *p, int id, int flags, const void *new_v, void *old_v);
/* The si_overrun of the signal the thread took last (0 after settime). */
int timer_relay_getoverrun(struct process *p, int id);
/* The thread took the signal of timer id with si_overrun `overrun`
 * (process_cluster_ops.timer_taken): false if id is not relayed. */
bool timer_relay_taken(struct process *p, int id, int overrun);
int timer_relay_delete(struct process *p, int id);

#endif
