/* The master's futex table: waiter queues keyed by guest address, with
 * no fixed size (a queue exists while it has waiters) and no blocking.
 * A waiting guest thread is a record the caller owns (struct
 * futex_waiter, typically inside its pending-request state); operations
 * that end a wait move the record to a result list, and the caller
 * answers the waiting thread's node. So no master thread ever sleeps on
 * behalf of a guest.
 *
 * Guest memory is not read here: the caller, which holds the futex word's
 * page, compares values (FUTEX_WAIT, FUTEX_CMP_REQUEUE) and performs the
 * FUTEX_WAKE_OP read-modify-write (futex_op_eval()), and passes the
 * outcome in. Timeouts are absolute deadlines in the caller's clock; the
 * caller's event loop calls futex_expire() (futex_next_deadline() says
 * when). Wake order is FIFO, like Linux for equal priorities.
 *
 * Not thread-safe: one table is driven by one thread or under one lock. */
#ifndef SHOAL_MASTER_FUTEX_TABLE_H
#define SHOAL_MASTER_FUTEX_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dsm/u64map.h"

#define FUTEX_NO_DEADLINE UINT64_MAX
#define FUTEX_BITSET_ANY  0xffffffffu

struct futex_queue;

struct futex_waiter {
    /* the caller's: who is waiting (free for its use but tid: a
     * requeue-PI waiter that owns the PI lock is not requeued onto it) */
    uint64_t id;
    uint32_t node;
    uint32_t tid;
    /* the table's */
    uint64_t addr;     /* the futex word it waits on (changes on requeue) */
    uint32_t bitset;   /* FUTEX_BITSET_ANY for plain FUTEX_WAIT */
    uint64_t deadline; /* absolute, or FUTEX_NO_DEADLINE */
    bool pi;           /* waits for a PI lock (futex_lock_pi_wait, or requeued to one) */
    bool requeue_pi;   /* FUTEX_WAIT_REQUEUE_PI: waits on addr for a requeue to addr2 */
    bool requeued;     /* ... and was moved to the PI lock at addr2 (pi is set now) */
    uint64_t addr2;    /* requeue_pi: the PI lock it may be requeued to */
    int result;        /* once off the table: 0 woken (a PI waiter: owns the lock), -ETIMEDOUT */
    struct futex_waiter *prev, *next;
    struct futex_queue *q; /* NULL when not waiting */
    size_t heap_idx;       /* position in the deadline heap */
};

/* Waiters whose wait ended, in wake order; the caller clears n. */
struct futex_woken {
    struct futex_waiter **v;
    size_t n, cap;
};
void futex_woken_fini(struct futex_woken *w);

struct futex_table {
    struct u64map queues;       /* addr -> struct futex_queue * */
    struct u64map pi_blocked;   /* tid -> its PI waiter (a thread waits once): the owner chains */
    struct futex_waiter **heap; /* min-heap on deadline, timed waiters only */
    size_t nheap, capheap;
    size_t nwaiters;
};

void futex_table_init(struct futex_table *t);
/* Frees the queues; waiter records stay the caller's. */
void futex_table_fini(struct futex_table *t);

/* FUTEX_WAIT / FUTEX_WAIT_BITSET: value_matches is the caller's "*addr ==
 * val" under the page. Returns 0 (w is queued), -EAGAIN (value differs),
 * -EINVAL (bitset 0, addr not 4-aligned, w already waiting), -ENOMEM. */
int futex_wait(struct futex_table *t, struct futex_waiter *w, uint64_t addr, uint32_t bitset,
               uint64_t deadline, bool value_matches);

/* FUTEX_WAKE / FUTEX_WAKE_BITSET: wakes up to nr waiters on addr whose
 * bitset intersects bitset; like Linux, nr <= 0 still wakes one. Returns
 * the number woken or -EINVAL (bitset 0, misaligned, or a PI lock's
 * waiter met: Linux refuses to wake those; or a requeue-PI waiter met
 * before nr were woken: those woken so far stay woken, as in Linux). */
int futex_wake(struct futex_table *t, uint64_t addr, int nr, uint32_t bitset,
               struct futex_woken *out);

/* FUTEX_REQUEUE / FUTEX_CMP_REQUEUE: wakes up to nr_wake waiters of addr
 * and moves up to nr_requeue of the rest to addr2 (bitsets ignored, as in
 * Linux). cmp_ok: the caller's "*addr == val3" (true for plain REQUEUE).
 * Returns woken + requeued, -EAGAIN, or -EINVAL (negative counts,
 * misaligned, PI waiters on either word, or a requeue-PI waiter met:
 * what was done before stays done, as in Linux). */
int futex_requeue(struct futex_table *t, uint64_t addr, uint64_t addr2, int nr_wake, int nr_requeue,
                  bool cmp_ok, struct futex_woken *out);

/* FUTEX_WAKE_OP after the caller applied the operation to *addr2 (with
 * futex_op_eval()): wakes up to nr_wake on addr and, if cmp_true, up to
 * nr_wake2 on addr2 (each at least one, as in Linux). Returns the total
 * woken or -EINVAL. */
int futex_wake_op(struct futex_table *t, uint64_t addr, uint64_t addr2, int nr_wake, int nr_wake2,
                  bool cmp_true, struct futex_woken *out);

/* Priority-inheritance futexes (FUTEX_LOCK_PI, LOCK_PI2, UNLOCK_PI,
 * TRYLOCK_PI): the word is the owner's tid | FUTEX_WAITERS | ...; the
 * caller reads and changes it under the page (taking a free lock,
 * setting FUTEX_WAITERS before queueing, writing the new owner at a
 * hand-off). The table keeps who waits, in FIFO order (Linux orders by
 * priority; nothing here boosts one), and checks a held lock's owner as
 * Linux does, through what the caller knows: */
struct futex_pi_env {
    /* the owner tid in the PI word at addr; 0: none, or unreadable */
    uint32_t (*owner)(void *ctx, uint64_t addr);
    /* whether tid is a live thread of the guest, not on its way out */
    bool (*alive)(void *ctx, uint32_t tid);
    void *ctx;
};
/* Linux's max_lock_depth: a longer chain of owners is -EDEADLK. */
#define FUTEX_PI_MAX_DEPTH 1024
/* Linux's attach_to_pi_owner: the first waiter of a held lock (no PI
 * waiter on addr yet) needs owner to be a live thread. 0 or -ESRCH. */
int futex_pi_attach(const struct futex_table *t, uint64_t addr, uint32_t owner,
                    const struct futex_pi_env *env);
/* Linux's deadlock detection (rt_mutex's full chain walk) for thread
 * waiter about to wait for the lock at addr that owner holds: follows
 * owner, the owner of the lock it waits for, and so on. -EDEADLK if the
 * chain comes back to waiter or to addr, or is longer than
 * FUTEX_PI_MAX_DEPTH (so any input ends); 0 if it ends. */
int futex_pi_chain(const struct futex_table *t, uint32_t waiter, uint64_t addr, uint32_t owner,
                   const struct futex_pi_env *env);
/* FUTEX_LOCK_PI that found the lock held by owner: w (w->tid: its
 * thread) waits for it on addr. 0 (queued), -EINVAL (misaligned,
 * already waiting, or plain waiters on addr), -ESRCH (futex_pi_attach),
 * -EDEADLK (futex_pi_chain), -ENOMEM. */
int futex_lock_pi_wait(struct futex_table *t, struct futex_waiter *w, uint64_t addr, uint32_t owner,
                       uint64_t deadline, const struct futex_pi_env *env);
/* FUTEX_UNLOCK_PI's hand-off: the first PI waiter of addr leaves the
 * table with result 0 (into out: it owns the lock now; the caller writes
 * its tid into the word); NULL if none waits. *more: others still wait. */
struct futex_waiter *futex_unlock_pi(struct futex_table *t, uint64_t addr, struct futex_woken *out,
                                     bool *more);
/* The requeue-PI pair (FUTEX_WAIT_REQUEUE_PI, FUTEX_CMP_REQUEUE_PI): a
 * waiter waits on the plain word addr for a requeue to the PI lock
 * addr2; CMP_REQUEUE_PI gives the first such waiter the lock if it is
 * free (the caller takes it in the word for that waiter's tid) and moves
 * the others to addr2 as PI waiters, so that UNLOCK_PI hands them the
 * lock in turn (and a dead owner's lock goes to them: futex_pi_words). */
/* FUTEX_WAIT_REQUEUE_PI: value_matches is the caller's "*addr == val".
 * 0 (queued), -EINVAL (addr == addr2, misaligned, w already waiting, PI
 * waiters on addr), -EAGAIN (value differs), -ENOMEM. */
int futex_wait_requeue_pi(struct futex_table *t, struct futex_waiter *w, uint64_t addr,
                          uint64_t addr2, uint64_t deadline, bool value_matches);
/* FUTEX_CMP_REQUEUE_PI, first step: checks the call as Linux does and
 * sets *top to the waiter the caller tries to take the lock at addr2 for
 * (NULL: nobody waits on addr; the call returns 0). cmp_ok: the
 * caller's "*addr == val3". 0, -EINVAL (nr_wake not 1, nr_requeue < 0,
 * addr == addr2, misaligned, the first waiter of addr a plain one or one
 * waiting for another PI lock, PI waiters on addr, plain waiters on
 * addr2), -EAGAIN (cmp_ok false), -ENOMEM (out has room for top made
 * here, so the second step cannot fail to wake it). */
int futex_requeue_pi_top(const struct futex_table *t, uint64_t addr, uint64_t addr2, int nr_wake,
                         int nr_requeue, bool cmp_ok, struct futex_waiter **top,
                         struct futex_woken *out);
/* Second step, after the caller tried the lock at addr2 for top (and
 * checked its owner: futex_pi_attach): top_locked: top has it (it
 * leaves the table woken, result 0: it owns the lock); else top is
 * requeued like the others. Then up to nr_requeue more waiters
 * (nr_requeue + 1 in all when top was not woken) move to addr2 as PI
 * waiters (requeued set; deadlines kept), in order. owner: the tid
 * owning the lock now; a waiter whose wait would close a cycle of
 * owners (futex_pi_chain: the owner itself, or one it waits for) stops
 * the requeue with -EDEADLK, as Linux's; it stays on addr. Returns
 * woken + requeued, or -EINVAL (a waiter met that is a plain one or
 * waits for another PI lock: what was done stays done, as in Linux),
 * -EDEADLK, -ENOMEM. */
int futex_requeue_pi(struct futex_table *t, uint64_t addr, uint64_t addr2, int nr_requeue,
                     bool top_locked, uint32_t owner, const struct futex_pi_env *env,
                     struct futex_woken *out);
/* The words PI waiters wait on: how many, the first max of them into
 * out (a thread's exit looks for the locks it held among them). */
size_t futex_pi_words(const struct futex_table *t, uint64_t *out, size_t max);

/* The FUTEX_WAKE_OP encoding of Linux: val3 = op<<28 | cmp<<24 |
 * oparg<<12 | cmparg, op in SET ADD OR ANDN XOR (| FUTEX_OP_OPARG_SHIFT:
 * oparg = 1 << (oparg & 31)), cmp in EQ NE LT LE GT GE on signed values,
 * oparg and cmparg sign-extended 12-bit fields. Given the old value of
 * the word, sets *newval (to store) and *cmp_true. 0 or -ENOSYS. */
int futex_op_eval(uint32_t encoded, uint32_t oldval, uint32_t *newval, bool *cmp_true);

/* Ends every wait whose deadline is <= now with -ETIMEDOUT; returns how
 * many. */
size_t futex_expire(struct futex_table *t, uint64_t now, struct futex_woken *out);
/* The earliest deadline, or FUTEX_NO_DEADLINE. */
uint64_t futex_next_deadline(const struct futex_table *t);

/* Takes w off the table without a result (a signal interrupted it, its
 * thread exited); false if it was not waiting. */
bool futex_cancel(struct futex_table *t, struct futex_waiter *w);
/* Cancels every waiter of a lost node into out (result -ECONNRESET). */
size_t futex_cancel_node(struct futex_table *t, uint32_t node, struct futex_woken *out);

/* Waiters queued on addr. */
size_t futex_waiters(const struct futex_table *t, uint64_t addr);

#endif
