/* Robust futex lists at thread death (set_robust_list(2)).
 *
 * A thread registers the head of a list of the locks it holds, in its own
 * memory (glibc's robust mutexes). When it dies, Linux walks that list
 * (exit_robust_list) and marks every lock the thread still owns
 * FUTEX_OWNER_DIED, waking one waiter, so the next locker gets
 * EOWNERDEAD instead of waiting forever. The host kernel cannot walk a
 * guest list (guest pointers), so the emulator does it, through the
 * guest space's checked accessors, on the node the thread runs on. */
#ifndef SHOAL_SYSCALL_ROBUST_LIST_H
#define SHOAL_SYSCALL_ROBUST_LIST_H

struct task;

/* Walks t's robust list as Linux does when t exits: for each entry, and
 * the one in list_op_pending, whose futex word holds t's tid, sets
 * FUTEX_OWNER_DIED (keeping FUTEX_WAITERS) and wakes one waiter if there
 * were waiters (a pending op on an unowned word wakes one too). At most
 * 2048 entries (ROBUST_LIST_LIMIT); a bad pointer ends the walk. The
 * wake goes where the thread's FUTEX_WAKE would (the cluster's futex
 * service in a multi-node run). A PI lock with waiters in a multi-node
 * run is handed to the first waiter instead, with FUTEX_OWNER_DIED (a
 * FUTEX_UNLOCK_PI by the dying owner into the master's table), as
 * Linux's PI state does at an owner's death. Unregisters the list. */
void robust_list_exit(struct task *t);

#endif
