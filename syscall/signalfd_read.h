/* read(2) of a signalfd by a thread of a cluster's slave. The fd is the
 * master's, a host signalfd there, whose kernel holds the process's
 * signals and node 0's threads' but not those queued for a thread of
 * another node. So the master's proxy reads what the process has,
 * through a non-blocking signalfd of the same mask, and finding nothing
 * answers SIGNALFD_AT_NODE with the fd's mask and O_NONBLOCK; the
 * thread's node then takes its own signals of that mask, and waits for
 * one there unless the fd is non-blocking, the mask being the thread's
 * sigwait set meanwhile so the master's router sends it those of the
 * process too. read and readv; poll, select and epoll in
 * signalfd_poll.h. */
#ifndef SHOAL_SYSCALL_SIGNALFD_READ_H
#define SHOAL_SYSCALL_SIGNALFD_READ_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "syscall/task.h"

/* The master's answer: the node reads (never a guest's result, outside
 * -4095..-1). */
#define SIGNALFD_AT_NODE (-5001)

/* fd's mask and O_NONBLOCK if it is a signalfd of this process. */
bool signalfd_mask_of(int fd, uint64_t *mask, bool *nonblock);

/* The master's proxy running read or readv of fd into the host buffers
 * iov (n of them) for a remote thread t: false if fd is no signalfd (the
 * call goes on as any other); else true with *ret its result, or
 * SIGNALFD_AT_NODE with t->signalfd_at_node set. */
bool signalfd_proxy_read(struct task *t, int fd, const struct iovec *iov, int n, int64_t *ret);

/* The node, after SIGNALFD_AT_NODE for read (nr 63: buf a[1], count
 * a[2]) or readv (65: guest iovecs a[1], a[2] of them): t reads its own
 * signals of mask: the bytes read, -EAGAIN, -EINVAL, -EFAULT, or a
 * restart code (a handler runs first). */
int64_t signalfd_read_here(struct task *t, int nr, const uint64_t *a, uint64_t mask, bool nonblock);

#endif
