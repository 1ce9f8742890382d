/* Robust futex lists at thread death (see robust_list.h). */
#define _GNU_SOURCE
#include "syscall/robust_list.h"

#include <linux/futex.h>
#include <stdatomic.h>

#include "syscall/syscall.h"

#define LIST_LIMIT 2048 /* Linux's ROBUST_LIST_LIMIT */

/* The list's words hold guest pointers whose bit 0 says the lock is a PI
 * one (no wake: the kernel's PI state hands it over, here the host's; in
 * a cluster the master's futex table, through a FUTEX_UNLOCK_PI). */
static int fetch_entry(struct task *t, uint64_t at, uint64_t *entry, bool *pi) {
    uint64_t v;
    if (gs_copy_in(&t->proc->mem, &v, at, sizeof v)) return -EFAULT;
    *entry = v & ~1ull;
    *pi = v & 1;
    return 0;
}

/* FUTEX_WAKE of one waiter, or FUTEX_UNLOCK_PI, made as the thread's own
 * call would be: on a slave delegated to the master, on node 0 of a
 * cluster into its futex table, else a host futex. Shared ops, as
 * Linux's: glibc's robust mutexes use shared futex ops. */
static void futex_call(struct task *t, uint64_t uaddr, int op) {
    const struct syscall_row *row = syscall_lookup(98);
    if (!row) return;
    const uint64_t a[6] = {uaddr, (uint64_t)op, 1, 0, 0, 0};
    const struct process_cluster_ops *cl = t->proc->cluster;
    if (cl && cl->delegate && syscall_delegated(row, a))
        cl->delegate(t, row, a);
    else
        row->fn(t, a);
}

/* Linux's handle_futex_death for the word at uaddr. The compare-and-swap
 * is a host atomic on this node's copy (the DSM brings the page in M for
 * it), under the space's read lock so no munmap races it. */
static void futex_death(struct task *t, uint64_t uaddr, bool pi, bool pending_op) {
    if (uaddr & 3) return;
    struct guest_space *gs = &t->proc->mem;
    gs_unsplit(gs, uaddr, 4);
    bool wake = false, hand_over = false;
    /* a cluster's PI waiters are in the master's table, not in a host
     * kernel PI state: the dying owner hands the lock over itself */
    bool table_pi = pi && t->proc->cluster;
    pthread_rwlock_rdlock(&gs->lock);
    if (gs_check_locked(gs, uaddr, 4, PROT_READ | PROT_WRITE)) {
        _Atomic uint32_t *w = (_Atomic uint32_t *)gs_host(gs, uaddr);
        uint32_t old = atomic_load(w);
        for (;;) {
            uint32_t owner = old & FUTEX_TID_MASK;
            if (pending_op && !pi && !owner) {
                /* died between the unlock and its wake: a waiter may
                 * sleep with nobody left to wake it */
                wake = true;
                break;
            }
            if (owner != (uint32_t)t->tid) break;
            /* handed over: still ours until the unlock gives it (with
             * OWNER_DIED) to the first waiter */
            hand_over = table_pi && (old & FUTEX_WAITERS);
            uint32_t nv =
                hand_over ? old | FUTEX_OWNER_DIED : (old & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
            if (atomic_compare_exchange_weak(w, &old, nv)) {
                wake = !pi && (old & FUTEX_WAITERS);
                break;
            }
        }
    }
    pthread_rwlock_unlock(&gs->lock);
    if (wake) futex_call(t, uaddr, FUTEX_WAKE);
    if (hand_over) futex_call(t, uaddr, FUTEX_UNLOCK_PI);
}

void robust_list_exit(struct task *t) {
    uint64_t head = t->robust_list;
    t->robust_list = 0;
    if (!head) return;
    /* struct robust_list_head { list.next; futex_offset; list_op_pending } */
    uint64_t entry, pending;
    int64_t offset;
    bool pi, pending_pi;
    if (fetch_entry(t, head, &entry, &pi)) return;
    if (gs_copy_in(&t->proc->mem, &offset, head + 8, sizeof offset)) return;
    if (fetch_entry(t, head + 16, &pending, &pending_pi)) return;
    for (int limit = LIST_LIMIT; entry != head && limit > 0; limit--) {
        uint64_t next;
        bool next_pi;
        /* the next pointer first: the death may let another thread
         * take (and reuse) this entry */
        int r = fetch_entry(t, entry, &next, &next_pi);
        if (entry != pending) futex_death(t, entry + (uint64_t)offset, pi, false);
        if (r) return;
        entry = next;
        pi = next_pi;
    }
    if (pending) futex_death(t, pending + (uint64_t)offset, pending_pi, true);
}
