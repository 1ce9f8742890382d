/* The guest's threads as /proc shows them. The host process holds more
 * threads than the guest has: a cluster's master its service threads
 * (transport loop, fault handler, directory, futex and signal services),
 * any node its timer relays. The guest sees only its own: the tasks on
 * the process's live list (a node's threads and, on the master, the
 * proxies of remote ones, whose host tids are the guest tids):
 *   /proc/self/task                listed without the other host threads
 *   /proc/self/task/TID/...        ENOENT for a TID that is not the guest's
 *   /proc/self/{fd,fdinfo}         listed without the emulator's own fds
 *                                  (own_fds.h)
 *   {status,stat} of the process or a thread: Threads: and num_threads
 *                                  count the guest's threads; in a
 *                                  cluster stat's utime and stime count
 *                                  every node's (cpu_time.h), and a
 *                                  remote thread's state, pending
 *                                  signals and mask are its own;
 *                                  SigIgn: and SigCgt: the guest's
 * /proc/self, /proc/thread-self and /proc/<pid or guest tid> alike. */
#ifndef SHOAL_SYSCALL_PROC_TASKS_H
#define SHOAL_SYSCALL_PROC_TASKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "syscall/task.h"

/* An fd for a rewritten status/stat, -ENOENT, or PROC_NOT_EMULATED
 * (proc_files.h) when path is none of the above. */
int proc_task_open(struct task *t, const char *path, int host_flags);

/* getdents64 of fd into buf: a task directory of this process without
 * the host threads that are not the guest's, an fd or fdinfo directory
 * without the emulator's own fds; any other directory as the host's.
 * The host's result, or -errno. */
long proc_task_getdents(struct task *t, int fd, void *buf, unsigned size);

/* What /proc shows of a thread that only its node knows, for a master
 * whose proxy of it only waits for its calls. */
struct proc_thread_view {
    bool known;           /* its node answered */
    char state;           /* stat's field 3 ('R', 'S', ...); 0: unknown */
    uint64_t sig_pending; /* status's SigPnd: its own, not the process's */
    uint64_t sig_blocked; /* status's SigBlk: its mask */
    int cpu;              /* stat's field 39, the guest CPU it last ran on; -1: unknown */
};

/* The view of guest thread tid running on this node: its host thread's
 * state, pending signals and last CPU (in the guest's numbers), and its
 * guest mask. false: no such thread here. */
bool proc_local_thread_view(struct process *p, int tid, struct proc_thread_view *v);

/* Whether tid is one of the guest's threads, and how many they are. */
bool proc_guest_tid(struct process *p, long tid);
size_t proc_guest_threads(struct process *p);

#endif
