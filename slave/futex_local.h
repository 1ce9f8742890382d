/* Futex words the master lent to this node (master/DESIGN.md, "Futex
 * loans"): this node's threads' private WAIT, WAIT_BITSET, WAKE and
 * WAKE_BITSET on them are decided here, in a table of this node's own,
 * until the master recalls the word. A recall hands the waits queued
 * here to the master, in their order, still waiting: each becomes the
 * thread's delegated wait (SyscallRequest.futex_moved), so no wake-up
 * is lost or invented.
 *
 * Threads: guest threads run the ops (a wait's compare reads the word
 * under the table's lock and may fault); the net loop thread installs
 * loans and queues recalls, taking only a leaf lock; a thread of this
 * module carries recalls out (it takes the table's lock, which the loop
 * thread must never wait for: a fault under it needs the loop). */
#ifndef SHOAL_SLAVE_FUTEX_LOCAL_H
#define SHOAL_SLAVE_FUTEX_LOCAL_H

#include <stdbool.h>
#include <stdint.h>

struct slave;
struct task;
struct futex_local;

/* NULL when its recall thread cannot start. */
struct futex_local *futex_local_new(struct slave *s);

/* futex(2) with args a by guest thread t: true with *ret when decided
 * here (a lendable op on a word lent to this node), false to delegate. */
bool futex_local_op(struct futex_local *fl, struct task *t, const uint64_t *a, int64_t *ret);

/* The net loop: FutexLend, FutexRecall. */
void futex_local_on_lend(struct futex_local *fl, uint64_t addr, uint64_t seq);
void futex_local_on_recall(struct futex_local *fl, uint64_t addr, uint64_t seq);

#endif
