/* ppoll, pselect6 and epoll_pwait(2) of a signalfd by a thread of a
 * cluster's slave. The fds are the master's, and its proxy waits on
 * them in its host kernel, where a signalfd is readable for the
 * process's signals but not for those queued for the thread on its own
 * node. So the node sends that set with the call
 * (SyscallRequest.node_pending), and again whenever a signal the waiting
 * thread blocks is queued there (SignalsAtNode); the proxy counts a
 * signalfd whose mask names one of them as readable (POLLIN, a bit of
 * the read set, an EPOLLIN event with the data it was added with) and
 * a SignalsAtNode's kick makes it look again in the same call, the
 * time left unchanged. An epoll set holding such a signalfd (nested up
 * to Linux's 4 levels) is readable too. An EPOLLONESHOT entry reported
 * so waits for nothing more until EPOLL_CTL_MOD, as on Linux; an EPOLLET
 * one once per signal the master sent the node for the thread (each a
 * wake-up of its signalfds, as on Linux), not again while it waits. */
#ifndef SHOAL_SYSCALL_SIGNALFD_POLL_H
#define SHOAL_SYSCALL_SIGNALFD_POLL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>

#include "syscall/task.h"

/* The signals of t's node that t's signalfds count now: t->node_pending
 * for a proxy of a process that made a signalfd, else 0. */
uint64_t signalfd_node_pending(struct task *t);

/* Whether fd is a signalfd whose mask names a signal of pending, or an
 * epoll set that holds one (for EPOLLIN). */
bool signalfd_ready_for(int fd, uint64_t pending);

/* Up to max EPOLLIN events, into ev, of the fds in epoll set epfd that
 * wait for EPOLLIN and are ready for pending as signalfd_ready_for
 * says (an EPOLLET one once per edge: t remembers); their number. */
int signalfd_epoll_ready(struct task *t, int epfd, uint64_t pending, struct epoll_event *ev,
                         int max);

/* A proxy's wait that its kick interrupted (or kept from starting):
 * true when only a SignalsAtNode kicked it, which is then consumed and
 * the wait goes on; false for a cancel (the call ends as interrupted). */
bool signalfd_wait_again(struct task *t);

#endif
