/* vfork and clone(CLONE_VM | CLONE_VFORK) (glibc's and musl's
 * posix_spawn): the child is a host fork of the emulator (thread.c), the
 * parent waits until the child execs or ends, and the stores the child
 * made to guest memory that was the parent's are written back into the
 * parent before it goes on (syscall/DESIGN.md says why and what is
 * approximate).
 *
 * The handshake is a CLOEXEC pipe: the child keeps the write end, so the
 * parent sees end-of-file when the child's host execve succeeds or the
 * child ends; before either, the child writes the byte runs it changed
 * since the fork (address, length, bytes), which the parent copies into
 * its guest memory while it reads. */
#ifndef SHOAL_SYSCALL_VFORK_H
#define SHOAL_SYSCALL_VFORK_H

#include <stdbool.h>

struct process;

struct vfork_pipe {
    int rfd, wfd;
};

/* Before the host fork: the pipe (0 or -errno). */
int vfork_open(struct process *p, struct vfork_pipe *vp);
/* In every child of a fork: closes the pipe ends of vforks other
 * threads had in flight (keep: this fork's own, or NULL), so their
 * parents do not wait for this child too. */
void vfork_close_others(struct process *p, const struct vfork_pipe *keep);
/* In the child right after the fork: keeps the write end; with
 * share_mem (CLONE_VM), remembers the writable guest memory as it is
 * now so vfork_report can tell what the child changed. */
void vfork_child_start(struct process *p, struct vfork_pipe *vp, bool share_mem);
/* In the parent after the fork (pid: its result): waits for the child's
 * exec or end, applying its stores; closes the pipe. */
void vfork_parent_wait(struct process *p, struct vfork_pipe *vp, int pid);
/* In a vfork child about to exec or end (no-op otherwise): sends what
 * it changed since the last report. */
void vfork_report(struct process *p);
/* A fork made by a vfork child: the new process is nobody's vfork child
 * (its parent must not wait for it). */
void vfork_forget(struct process *p);

#endif
