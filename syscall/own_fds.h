/* The fds the emulator makes for itself share the host fd table with
 * the guest's: on a cluster's master its links' sockets, the event
 * loops' epoll and event fds, the userfaultfd; on any node a -D log. A
 * guest that closes every fd from 3 up (a daemon at its start:
 * closefrom, close_range(3, ~0U), a close loop) would cut the node off.
 * So they are closed to the guest: a call whose fd or dirfd argument
 * is one of them (the rows' '#' and 'f' letters, syscall.h) is EBADF
 * before its handler runs, close_range skips them, as if they were
 * above the guest's limit, and /proc/self/fd does not list them
 * (proc_tasks.h). A write to a link would otherwise corrupt its frames
 * (or end the run with SIGPIPE), a read of the userfaultfd take a
 * fault a thread waits for. They are
 * the fds open when the guest starts that were not open when shoal
 * started (those it inherited are the guest's), and those the emulator
 * adds later (a timer relay's, vfork's pipe on both sides). The set has
 * room for every fd the process may open (RLIMIT_NOFILE's hard limit,
 * at most 2^20) from the start and changes by atomic bit operations,
 * so reading it takes no lock. */
#ifndef SHOAL_SYSCALL_OWN_FDS_H
#define SHOAL_SYSCALL_OWN_FDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A set of fds: bit fd of w. */
struct fd_bits {
    uint64_t *w;
    size_t words;
};

/* The fds open in this process now (/proc/self/fd). 0 or -errno. */
int fd_bits_scan(struct fd_bits *b);
bool fd_bits_has(const struct fd_bits *b, int fd);
void fd_bits_free(struct fd_bits *b);

struct process;

/* Before the emulator makes its own fds for a run whose guest starts
 * later (the master of a cluster of `nodes` nodes: links, event loops,
 * the userfaultfd): fills free fds from 3 up with close-on-exec
 * placeholders, kept in h, so that the emulator's fds take the numbers
 * just above and the guest's fds get the numbers Linux (and qemu-user)
 * would give it, 3, 4, ..., up to there. Where the hard RLIMIT_NOFILE
 * leaves room for a reserve (OWN_FDS_RESERVE and 4 per node) above the
 * soft one, the placeholders fill the guest's whole range, up to its
 * soft limit, and the soft limit is raised by the reserve until
 * own_fds_unhold sets it back: the emulator's fds then lie beyond the
 * guest's limit, where Linux keeps them usable, and the guest gets
 * every number below its limit, as under qemu. Otherwise they fill up
 * to the soft limit less the reserve (at most OWN_FDS_HOLD_MAX; a
 * quarter of a range under 2 reserves; OWN_FDS_GUEST_LOW if unknown)
 * and the guest finds the emulator's numbers taken near its limit (at
 * 1024 and 2 nodes, from fd 760 on). own_fds_unhold closes the
 * placeholders, before own_fds_claim; a child forked in between calls
 * own_fds_hold_child before its exec, to get the limit it would have
 * had. 0 or -errno (then as many as could be opened are held). */
#define OWN_FDS_GUEST_LOW 256
#define OWN_FDS_RESERVE   256
#define OWN_FDS_HOLD_MAX  65536
struct own_fds_hold {
    struct fd_bits held;
    bool lifted;   /* the soft limit is raised until unhold */
    uint64_t soft; /* the soft limit to set back */
};
int own_fds_hold_low(struct own_fds_hold *h, unsigned nodes);
void own_fds_unhold(struct own_fds_hold *h);
void own_fds_hold_child(const struct own_fds_hold *h);
/* A close-on-exec copy of fd for the emulator, made before the guest
 * starts (a lone run has no placeholders): beyond the soft
 * RLIMIT_NOFILE, which is raised by one for the call where the hard
 * limit allows (and the soft one is at most OWN_FDS_HOLD_MAX), so the
 * guest keeps every number of its range; else the highest free number
 * below it. The fd, or -errno. */
int own_fds_dup_high(int fd);
/* p's own fds from now on: those open now that are not in inherited
 * (nor 0, 1, 2). 0 or -errno (then none are kept). */
int own_fds_claim(struct process *p, const struct fd_bits *inherited);
/* Whether fd is one of p's own. While one is being made (between its
 * creation and own_fds_add, which takes the lowest free number for a
 * moment, one the guest may name), it waits for that to end. */
bool own_fd(const struct process *p, int fd);
/* Around the making of an own fd while the guest runs: from before the
 * call that creates it until own_fds_add (own_fds_keep) or its close. */
void own_fds_making(struct process *p, bool begin);
/* Ends the own_fds_making around the call that just made fd (< 0: it
 * failed, errno says why): fd becomes p's own. fd, or -errno. */
int own_fds_made(struct process *p, int fd);
/* fd, which the emulator just made, is p's own from now on: false when
 * p keeps no set (no claim) or fd is beyond it. own_fds_drop before
 * closing it, so that a guest fd that takes its number is the guest's. */
bool own_fds_add(struct process *p, int fd);
void own_fds_drop(struct process *p, int fd);
/* Closes one of p's own fds: dropped, then closed (own_fds_making). */
void own_fds_close(struct process *p, int fd);
/* fd, which the emulator just opened while the guest runs, becomes p's
 * own under the highest free number below the soft RLIMIT_NOFILE (so
 * the guest's next fd is the number Linux would give it); fd itself is
 * closed. The new number, or -errno (fd closed). */
int own_fds_keep(struct process *p, int fd);
/* open(path, flags | O_CLOEXEC) as one of p's own (own_fds_keep),
 * made as own_fds_making says. The fd or -errno. */
int own_fds_open(struct process *p, const char *path, int flags);
/* guest_space's own_open and own_close hooks (guest_mem.h) for process
 * p (opaque). */
int own_fds_open_hook(void *p, const char *path, int flags);
void own_fds_close_hook(void *p, int fd);
/* None any more (a forked child of a cluster: a lone process, whose
 * copies of the links are the guest's to close); the room stays, for
 * the fds it makes itself (a vfork child's pipe). The process owns
 * p->own_fds' memory until it ends (fd_bits_free). */
void own_fds_forget(struct process *p);
/* close_range(first, last, flags) of the guest: every fd of the range
 * but p's own. 0 or -errno. */
int own_fds_close_range(const struct process *p, unsigned first, unsigned last, unsigned flags);

#endif
