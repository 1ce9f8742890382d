/* The guest's threads as /proc shows them. The host process holds more
 * threads than the guest has: a cluster's master its service threads
 * (transport loop, fault handler, directory, futex and signal services),
 * any node its timer relays. The guest sees only its own: the tasks on
 * the process's live list (a node's threads and, on the master, the
 * proxies of remote ones, whose host tids are the guest tids):
 *   /proc/self/task                listed without the other host threads
 *   /proc/self/task/TID/...        ENOENT for a TID that is not the guest's
 *   {status,stat} of the process or a thread: Threads: and num_threads
 *                                  count the guest's threads; in a
 *                                  cluster stat's utime and stime count
 *                                  every node's (cpu_time.h), and a
 *                                  remote thread's state is its own
 * /proc/self, /proc/thread-self and /proc/<pid or guest tid> alike. */
#ifndef SHOAL_SYSCALL_PROC_TASKS_H
#define SHOAL_SYSCALL_PROC_TASKS_H

#include <stdbool.h>
#include <stddef.h>

#include "syscall/task.h"

/* An fd for a rewritten status/stat, -ENOENT, or PROC_NOT_EMULATED
 * (proc_files.h) when path is none of the above. */
int proc_task_open(struct task *t, const char *path, int host_flags);

/* getdents64 of fd into buf: a task directory of this process without
 * the host threads that are not the guest's; any other directory as the
 * host's. The host's result, or -errno. */
long proc_task_getdents(struct task *t, int fd, void *buf, unsigned size);

/* The state letter of stat (field 3) of guest thread tid running on
 * this node ('R', 'S', ...), which the master shows for it; 0: none. */
char proc_local_thread_state(struct process *p, int tid);

/* Whether tid is one of the guest's threads, and how many they are. */
bool proc_guest_tid(struct process *p, long tid);
size_t proc_guest_threads(struct process *p);

#endif
