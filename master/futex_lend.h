/* Futex words lent to a slave (master/DESIGN.md, "Futex loans";
 * `[futex] local`). A word that one slave's threads use alone is lent to
 * that node, which then decides their private WAIT, WAIT_BITSET, WAKE and
 * WAKE_BITSET on it. Every op the master's table decides first takes the
 * words it names back (futex_lend_reclaim): the node hands its queued
 * waits over (SyscallRequest.futex_moved), then says FutexReturned.
 *
 * Locking: the loans have their own lock, a leaf that is never held
 * across a fault or a send, so the net loop thread takes it
 * (futex_lend_returned). Loans are made only under the futex table's
 * lock (futex_lend_use), so an op that found a word at home under that
 * lock decides it before any node can have it. */
#ifndef SHOAL_MASTER_FUTEX_LEND_H
#define SHOAL_MASTER_FUTEX_LEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct master;
struct futex_lend;

struct futex_lend_stats {
    uint64_t lent;     /* loans made */
    uint64_t recalled; /* loans taken back */
    uint64_t moved;    /* waits that moved to the master's table with a recall */
    uint64_t words;    /* words whose use is counted now */
};

/* after: ops in a row from one node on a word before it is lent there.
 * NULL on allocation failure (no loans are made then). */
struct futex_lend *futex_lend_new(struct master *m, uint64_t after);
void futex_lend_free(struct futex_lend *l);

/* Waits until no node holds addr on loan, recalling it if one does.
 * No lock held. */
void futex_lend_reclaim(struct futex_lend *l, uint64_t addr);
/* Whether addr is lent to node and not being recalled: an op of that
 * node's is answered FUTEX_AT_NODE instead (its loan was on the way). */
bool futex_lend_held_by(struct futex_lend *l, uint64_t addr, unsigned node);
/* Under the table's lock: whether addr is on loan (a loan made since
 * the caller's reclaim: reclaim again). */
bool futex_lend_out(struct futex_lend *l, uint64_t addr);

/* Under the table's lock, after an op on addr from node (0: node 0)
 * that left `waiters` queued on it: counts the use and, when `may_lend`
 * (a slave's private WAIT, WAIT_BITSET, WAKE or WAKE_BITSET that
 * queued nothing) and the word has been that node's alone for long
 * enough, lends it: returns the loan's number (0: not lent), for
 * futex_lend_send once the lock is dropped. */
uint64_t futex_lend_use(struct futex_lend *l, uint64_t addr, unsigned node, bool may_lend,
                        size_t waiters);
/* Tells node of loan seq (FutexLend). */
void futex_lend_send(struct futex_lend *l, unsigned node, uint64_t addr, uint64_t seq);

/* Under the table's lock: a wait moved with the recall of loan seq is
 * queued (or failed): the recall may be over. */
void futex_lend_moved(struct futex_lend *l, uint64_t addr, uint64_t seq);
/* The net loop: node says FutexReturned. */
void futex_lend_returned(struct futex_lend *l, unsigned node, uint64_t addr, uint64_t seq,
                         uint32_t moved);

void futex_lend_stats(struct futex_lend *l, struct futex_lend_stats *out);

#endif
