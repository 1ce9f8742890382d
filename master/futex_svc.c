/* The futexes of a multi-node run (master/DESIGN.md, "Futexes in a
 * cluster"): every futex op of every node is decided here, by one
 * futex table under one lock, on words read through node 0's coherent
 * view of guest memory. A waiter is a record: node-0 threads sleep on a
 * private word of their own record (interruptible like any blocking
 * call); a remote thread's record lives in its proxy, which goes back to
 * its requests as soon as the record is queued, and the answer is sent
 * when a wake, the timer thread or a cancel takes the record off. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "common/clock_sync.h"
#include "common/config.h"
#include "common/detached_thread.h"
#include "common/log.h"
#include "master/futex_lend.h"
#include "master/futex_table.h"
#include "master/master_internal.h"
#include "syscall/futex_args.h"
#include "syscall/syscall.h"

struct fsvc {
    struct master *m;
    pthread_mutex_t lock; /* the table; never held by the net loop thread */
    struct futex_table tab;
    pthread_cond_t timer_cond; /* CLOCK_MONOTONIC: the earliest deadline moved */
    uint64_t timer_at;         /* the deadline the timer thread sleeps until */
    struct futex_lend *lend;   /* [futex] local: words lent to slaves; NULL: off */
};

/* Who to tell, copied under the lock: a remote record may be reused as
 * soon as its answer is sent, a node-0 record as soon as `done` is set. */
struct answer {
    unsigned node;
    uint32_t tid;
    uint64_t req_id;
    int result;
    _Atomic uint32_t *word; /* node 0: the sleeper's word (only woken, never read) */
};

struct answers {
    struct answer *v;
    size_t n;
};

/* The table's key for word addr of a plain (not PI) op. Linux keys a
 * shared futex apart from a private one at the same address, so a
 * private wake never ends a shared wait (glibc's join waits shared, its
 * mutexes and condition variables private) and a requeue moves waiters
 * between words of the op's own kind. Guest addresses lie far below bit
 * 63, and the table's alignment checks see the address's own low bits.
 * PI ops keep the address alone: the table reads their words through
 * it. */
#define SHARED_KEY (1ull << 63)
static uint64_t plain_key(const struct futex_args *o, uint64_t addr) {
    return o->priv ? addr : addr | SHARED_KEY;
}

/* Under the lock: the records the table ended, made answers; node-0
 * sleepers get their result and `done` here, so a sleeper that fails to
 * cancel (it was woken first) finds them set. */
static void collect(struct futex_woken *w, struct answers *out) {
    out->v = w->n ? calloc(w->n, sizeof *out->v) : NULL;
    out->n = 0;
    for (size_t i = 0; i < w->n; i++) {
        struct fsvc_wait *r = (struct fsvc_wait *)w->v[i];
        struct answer a = {r->w.node, r->w.tid, r->w.id, r->w.result, NULL};
        if (r->w.node == 0) {
            a.word = &r->done;
            atomic_store_explicit(&r->done, 1, memory_order_release);
        }
        /* calloc failing loses no node-0 wake (done is set; the sleeper
         * polls it when its host wait ends) but would a remote one */
        SHOAL_ASSERT(out->v);
        out->v[out->n++] = a;
    }
    w->n = 0;
}

static void deliver(struct fsvc *fs, struct answers *as) {
    for (size_t i = 0; i < as->n; i++) {
        struct answer *a = &as->v[i];
        if (a->word) {
            /* the sleeper may already have returned: a stray wake of a
             * dead stack word is harmless, futex sleepers re-check */
            syscall(SYS_futex, a->word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
            continue;
        }
        Shoal__SyscallResponse r = SHOAL__SYSCALL_RESPONSE__INIT;
        r.req_id = a->req_id;
        r.tid = a->tid;
        r.ret = a->result;
        Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
        env.msg_case = SHOAL__ENVELOPE__MSG_SYSCALL_RESPONSE;
        env.syscall_response = &r;
        master_send(fs->m, a->node, &env, NULL);
    }
    free(as->v);
    as->v = NULL;
    as->n = 0;
}

/* The guest word at addr through node 0's view (a DSM fault brings the
 * newest copy). */
static int read_word(struct process *p, uint64_t addr, uint32_t *v) {
    if (addr & 3) return -EINVAL;
    return gs_copy_in(&p->mem, v, addr, sizeof *v);
}

/* FUTEX_WAKE_OP's read-modify-write of *addr: a host atomic on node 0's
 * copy, which the DSM holds in M for the instruction (a write-protected
 * or missing page faults and is retried), under the space's read lock so
 * no munmap races it. */
static int rmw_word(struct process *p, uint64_t addr, uint32_t encoded, bool *cmp_true) {
    if (addr & 3) return -EINVAL;
    struct guest_space *gs = &p->mem;
    pthread_rwlock_rdlock(&gs->lock);
    int r = -EFAULT;
    if (gs_check_locked(gs, addr, 4, PROT_READ | PROT_WRITE)) {
        _Atomic uint32_t *w = (_Atomic uint32_t *)gs_host(gs, addr);
        uint32_t old = atomic_load(w), nv;
        do {
            r = futex_op_eval(encoded, old, &nv, cmp_true);
            if (r && ((encoded >> 28) & 7) > 4) break; /* unknown op: nothing stored */
        } while (!atomic_compare_exchange_weak(w, &old, nv));
    }
    pthread_rwlock_unlock(&gs->lock);
    return r;
}

/* Arms the timer thread if the earliest deadline moved earlier. */
static void timer_kick(struct fsvc *fs) {
    if (futex_next_deadline(&fs->tab) < fs->timer_at) pthread_cond_signal(&fs->timer_cond);
}

/* op_locked: the caller's record waits in the table now. */
#define FSVC_QUEUED 1

/* A PI lock's word as a host atomic on node 0's copy (as WAKE_OP's):
 * the space's read lock held until pi_word_done, so no munmap races it;
 * NULL if the guest may not write it (Linux's -EFAULT). */
static _Atomic uint32_t *pi_word(struct process *p, uint64_t addr) {
    struct guest_space *gs = &p->mem;
    pthread_rwlock_rdlock(&gs->lock);
    if (gs_check_locked(gs, addr, 4, PROT_READ | PROT_WRITE))
        return (_Atomic uint32_t *)gs_host(gs, addr);
    pthread_rwlock_unlock(&gs->lock);
    return NULL;
}

static void pi_word_done(struct process *p) {
    pthread_rwlock_unlock(&p->mem.lock);
}

/* Whether tid is a live thread of the guest, as Linux's
 * attach_to_pi_owner wants a PI lock's owner: a remote thread while its
 * proxy is registered (its exit unregisters it first), a node-0 thread
 * until its exit gives up its PI locks (fsvc_thread_exit, under the
 * lock: a waiter queued before is handed the lock, one after is
 * -ESRCH). Each exit walks its robust list before this, as Linux's
 * does before its futex state is dead. */
static bool thread_alive(struct master *m, struct process *p, uint32_t tid) {
    if (!tid) return false; /* tid: a word's FUTEX_TID_MASK bits */
    if (proxy_node_of(m, (int)tid) > 0) return true;
    struct run_stats *st = &p->stats;
    bool yes = false;
    pthread_mutex_lock(&st->lock); /* a task on the list cannot go away */
    for (struct task *t = st->live; t && !yes; t = t->stats_next) {
        /* a new thread writes its own tid before its clone returns it */
        int t_tid = __atomic_load_n(&t->tid, __ATOMIC_RELAXED);
        yes = !t->proxy && t_tid == (int)tid && !t->futex_exited;
    }
    pthread_mutex_unlock(&st->lock);
    return yes;
}

/* What the table asks about PI locks (struct futex_pi_env), under the
 * lock: words read through node 0's view, as the ops' own. */
struct pi_ctx {
    struct master *m;
    struct process *p;
};

static uint32_t pi_owner_of(void *ctx, uint64_t addr) {
    const struct pi_ctx *c = ctx;
    uint32_t v;
    return read_word(c->p, addr, &v) ? 0 : v & FUTEX_TID_MASK;
}

static bool pi_owner_alive(void *ctx, uint32_t tid) {
    const struct pi_ctx *c = ctx;
    return thread_alive(c->m, c->p, tid);
}

static struct futex_pi_env pi_env(struct pi_ctx *c) {
    return (struct futex_pi_env){.owner = pi_owner_of, .alive = pi_owner_alive, .ctx = c};
}

/* pi_take_or_mark: the lock is held, FUTEX_WAITERS set. */
#define PI_HELD 1

/* The word's part of Linux's futex_lock_pi_atomic for thread tid, under
 * the lock. A free lock (tid 0 in the word) is taken with a
 * compare-and-swap, OWNER_DIED kept and FUTEX_WAITERS set if
 * waiters_after (so that the taker's unlock comes here): 0. A held one
 * gets FUTEX_WAITERS, so that its owner's unlock comes here (glibc's
 * unlock tries tid -> 0 first), and *owner is set: PI_HELD. -EDEADLK
 * (tid owns it), -EFAULT. A userspace unlock racing the setting of the
 * bit makes the swap fail, and the loop finds the lock free. */
static int pi_take_or_mark(struct process *p, uint64_t addr, uint32_t tid, bool waiters_after,
                           uint32_t *owner) {
    _Atomic uint32_t *w = pi_word(p, addr);
    if (!w) return -EFAULT;
    int r;
    uint32_t old = atomic_load(w);
    for (;;) {
        *owner = old & FUTEX_TID_MASK;
        if (*owner == tid) {
            r = -EDEADLK;
            break;
        }
        if (!*owner) {
            uint32_t nv = tid | (old & FUTEX_OWNER_DIED) | (waiters_after ? FUTEX_WAITERS : 0);
            if (!atomic_compare_exchange_weak(w, &old, nv)) continue;
            r = 0;
            break;
        }
        if ((old & FUTEX_WAITERS) || atomic_compare_exchange_weak(w, &old, old | FUTEX_WAITERS)) {
            r = PI_HELD;
            break;
        }
    }
    pi_word_done(p);
    return r;
}

/* FUTEX_LOCK_PI, LOCK_PI2, TRYLOCK_PI for thread tid, under the lock:
 * takes a free lock; on a held one, the owner must be a live thread
 * (-ESRCH) and, but for TRYLOCK_PI (-EWOULDBLOCK), rec waits unless
 * that would close a cycle of owners (-EDEADLK), as Linux's. 0 (tid
 * owns it), FSVC_QUEUED, -EDEADLK, -ESRCH, -EWOULDBLOCK, -EFAULT,
 * -EINVAL, -ENOMEM. Waiters still queued (timed out ones leave none)
 * make the taker's unlock come here. */
static int64_t lock_pi(struct fsvc *fs, struct process *p, const struct futex_args *o, uint32_t tid,
                       struct fsvc_wait *rec, uint64_t deadline) {
    if (o->uaddr & 3) return -EINVAL;
    uint32_t owner;
    int64_t r = pi_take_or_mark(p, o->uaddr, tid, futex_waiters(&fs->tab, o->uaddr) > 0, &owner);
    if (r != PI_HELD) return r;
    struct pi_ctx c = {fs->m, p};
    struct futex_pi_env env = pi_env(&c);
    if (o->cmd == FUTEX_TRYLOCK_PI) {
        r = futex_pi_attach(&fs->tab, o->uaddr, owner, &env);
        return r ? r : -EWOULDBLOCK;
    }
    r = futex_lock_pi_wait(&fs->tab, &rec->w, o->uaddr, owner, deadline, &env);
    if (r) return r;
    timer_kick(fs);
    return FSVC_QUEUED;
}

/* FUTEX_UNLOCK_PI by thread tid, under the lock: the first waiter owns
 * the lock now (its tid in the word, FUTEX_WAITERS kept while others
 * wait, so the next unlock comes here too), or the word is 0. Both keep
 * FUTEX_OWNER_DIED: a robust lock's dying owner unlocks so
 * (robust_list.c), and the next owner must learn it (EOWNERDEAD); glibc
 * clears the bit itself before any ordinary unlock. 0, -EPERM (tid does
 * not own it), -EFAULT, -EINVAL. */
static int64_t unlock_pi(struct fsvc *fs, struct process *p, const struct futex_args *o,
                         uint32_t tid, struct futex_woken *out) {
    if (o->uaddr & 3) return -EINVAL;
    _Atomic uint32_t *w = pi_word(p, o->uaddr);
    if (!w) return -EFAULT;
    int64_t r = -EPERM;
    /* only the owner changes a held word (others need this lock or a
     * free word), so the value read stays until the store */
    uint32_t old = atomic_load(w);
    if ((old & FUTEX_TID_MASK) == tid) {
        bool more;
        struct futex_waiter *next = futex_unlock_pi(&fs->tab, o->uaddr, out, &more);
        uint32_t nv = old & FUTEX_OWNER_DIED;
        if (next) nv |= next->tid | (more ? FUTEX_WAITERS : 0);
        atomic_store(w, nv);
        r = 0;
    }
    pi_word_done(p);
    return r;
}

/* FUTEX_CMP_REQUEUE_PI, under the lock: the first waiter of uaddr takes
 * the PI lock at uaddr2 if it is free, as Linux's
 * futex_proxy_trylock_atomic does for it (its tid in the word, owner
 * died kept, FUTEX_WAITERS forced when more may be requeued, so that
 * its unlock comes here), and is woken owning it; else the word gets
 * FUTEX_WAITERS, its owner must be a live thread, and the first waiter
 * is requeued with the others (nr_requeue + 1 in all) while that closes
 * no cycle of owners. Returns woken + requeued, -EINVAL, -EAGAIN
 * (*uaddr != val3), -EDEADLK (the waiter owns the lock, or waits for
 * it through others), -ESRCH, -EFAULT, -ENOMEM. */
static int64_t cmp_requeue_pi(struct fsvc *fs, struct process *p, const struct futex_args *o,
                              struct futex_woken *out) {
    int nr_wake = (int)o->val, nr_requeue = (int)o->val2;
    if (nr_wake != 1 || nr_requeue < 0 || o->uaddr == o->uaddr2 || (o->uaddr2 & 3)) return -EINVAL;
    uint32_t cur;
    int r = read_word(p, o->uaddr, &cur);
    if (r) return r;
    struct futex_waiter *top;
    r = futex_requeue_pi_top(&fs->tab, o->uaddr, o->uaddr2, nr_wake, nr_requeue, cur == o->val3,
                             &top, out);
    if (r || !top) return r;
    uint32_t owner;
    bool waiters_after = nr_requeue || futex_waiters(&fs->tab, o->uaddr2);
    r = pi_take_or_mark(p, o->uaddr2, top->tid, waiters_after, &owner);
    if (r < 0) return r;
    bool locked = r == 0;
    if (locked) owner = top->tid;
    struct pi_ctx c = {fs->m, p};
    struct futex_pi_env env = pi_env(&c);
    if (!locked && (r = futex_pi_attach(&fs->tab, o->uaddr2, owner, &env))) return r;
    r = futex_requeue_pi(&fs->tab, o->uaddr, o->uaddr2, nr_requeue, locked, owner, &env, out);
    if (r > 0) timer_kick(fs); /* requeued waiters keep their deadlines */
    return r;
}

/* The waking ops and a wait's queueing, under the lock. Values are read
 * again under the lock (the caller touched them before, so this is
 * usually no fault): the compare and the queueing are one step for every
 * other futex op of the run. */
static int64_t op_locked(struct fsvc *fs, struct process *p, const struct futex_args *o,
                         uint32_t tid, struct fsvc_wait *rec, uint64_t deadline, bool moved,
                         struct futex_woken *out) {
    uint32_t cur;
    int r;
    switch (o->cmd) {
    case FUTEX_WAIT:
    case FUTEX_WAIT_BITSET:
        /* a wait moved from the node it was lent to has waited since its
         * compare there: no wake-up came between (futex_lend.h) */
        if (moved) {
            r = futex_wait(&fs->tab, &rec->w, plain_key(o, o->uaddr), o->val3, deadline, true);
        } else {
            if ((r = read_word(p, o->uaddr, &cur))) return r;
            r = futex_wait(&fs->tab, &rec->w, plain_key(o, o->uaddr), o->val3, deadline,
                           cur == o->val);
        }
        if (r) return r;
        timer_kick(fs);
        return FSVC_QUEUED;
    case FUTEX_WAIT_REQUEUE_PI:
        /* Linux checks uaddr2 (its key) before it compares *uaddr */
        if (o->uaddr == o->uaddr2 || (o->uaddr2 & 3)) return -EINVAL;
        if ((r = read_word(p, o->uaddr, &cur))) return r;
        r = futex_wait_requeue_pi(&fs->tab, &rec->w, o->uaddr, o->uaddr2, deadline, cur == o->val);
        if (r) return r;
        timer_kick(fs);
        return FSVC_QUEUED;
    case FUTEX_CMP_REQUEUE_PI: return cmp_requeue_pi(fs, p, o, out);
    case FUTEX_LOCK_PI:
    case FUTEX_LOCK_PI2:
    case FUTEX_TRYLOCK_PI: return lock_pi(fs, p, o, tid, rec, deadline);
    case FUTEX_UNLOCK_PI: return unlock_pi(fs, p, o, tid, out);
    case FUTEX_WAKE:
        if (o->uaddr & 3) return -EINVAL;
        return futex_wake(&fs->tab, plain_key(o, o->uaddr), (int)o->val, FUTEX_BITSET_ANY, out);
    case FUTEX_WAKE_BITSET:
        if (o->uaddr & 3) return -EINVAL;
        return futex_wake(&fs->tab, plain_key(o, o->uaddr), (int)o->val, o->val3, out);
    case FUTEX_REQUEUE:
        return futex_requeue(&fs->tab, plain_key(o, o->uaddr), plain_key(o, o->uaddr2), (int)o->val,
                             (int)o->val2, true, out);
    case FUTEX_CMP_REQUEUE:
        if ((int)o->val < 0 || (int)o->val2 < 0) return -EINVAL;
        if ((r = read_word(p, o->uaddr, &cur))) return r;
        return futex_requeue(&fs->tab, plain_key(o, o->uaddr), plain_key(o, o->uaddr2), (int)o->val,
                             (int)o->val2, cur == o->val3, out);
    case FUTEX_WAKE_OP: {
        bool cmp = false;
        if (o->uaddr & 3) return -EINVAL;
        if ((r = rmw_word(p, o->uaddr2, o->val3, &cmp))) return r;
        return futex_wake_op(&fs->tab, plain_key(o, o->uaddr), plain_key(o, o->uaddr2), (int)o->val,
                             (int)o->val2, cmp, out);
    }
    default: return -ENOSYS;
    }
}

/* Brings the words the op reads into node 0's memory before the lock is
 * taken, so faults are rarely taken under it. */
static void touch(struct fsvc *fs, struct process *p, const struct futex_args *o) {
    uint32_t v;
    switch (o->cmd) {
    case FUTEX_WAIT:
    case FUTEX_WAIT_BITSET:
    case FUTEX_WAIT_REQUEUE_PI:
    case FUTEX_CMP_REQUEUE: read_word(p, o->uaddr, &v); break;
    case FUTEX_CMP_REQUEUE_PI: {
        read_word(p, o->uaddr, &v);
        /* the PI lock's word is swapped only for a waiter: bring it
         * writable then (a signal with nobody waiting leaves the lock's
         * page where it is, on its holder's node) */
        pthread_mutex_lock(&fs->lock);
        bool waiters = futex_waiters(&fs->tab, o->uaddr) > 0;
        pthread_mutex_unlock(&fs->lock);
        if (waiters && !(o->uaddr2 & 3)) {
            _Atomic uint32_t *w = pi_word(p, o->uaddr2);
            if (w) {
                atomic_fetch_or(w, 0);
                pi_word_done(p);
            }
        }
        break;
    }
    default:
        if (o->pi && !(o->uaddr & 3)) {
            /* a PI word is swapped under the lock: bring it writable
             * (a no-op read-modify-write leaves the value as it is) */
            _Atomic uint32_t *w = pi_word(p, o->uaddr);
            if (w) {
                atomic_fetch_or(w, 0);
                pi_word_done(p);
            }
        }
        break;
    }
}

/* Whether the op names a second word (uaddr2). */
static bool two_words(const struct futex_args *o) {
    switch (o->cmd) {
    case FUTEX_REQUEUE:
    case FUTEX_CMP_REQUEUE:
    case FUTEX_WAKE_OP:
    case FUTEX_CMP_REQUEUE_PI:
    case FUTEX_WAIT_REQUEUE_PI: return true;
    default: return false;
    }
}

/* Takes fs->lock with the op's words at home: none lent to a node
 * (futex_lend.h). Loans are made under fs->lock, so none is made
 * before the op is decided. */
static void lock_at_home(struct fsvc *fs, const struct futex_args *o) {
    for (;;) {
        if (fs->lend) {
            futex_lend_reclaim(fs->lend, o->uaddr);
            if (two_words(o)) futex_lend_reclaim(fs->lend, o->uaddr2);
        }
        pthread_mutex_lock(&fs->lock);
        if (!fs->lend || (!futex_lend_out(fs->lend, o->uaddr) &&
                          !(two_words(o) && futex_lend_out(fs->lend, o->uaddr2))))
            return;
        pthread_mutex_unlock(&fs->lock);
    }
}

/* The ops a node decides on a word lent to it. */
static bool lendable(const struct futex_args *o) {
    return o->priv && (o->cmd == FUTEX_WAIT || o->cmd == FUTEX_WAIT_BITSET ||
                       o->cmd == FUTEX_WAKE || o->cmd == FUTEX_WAKE_BITSET);
}

/* One op of thread tid on node, start to answers; rec and deadline only
 * for waits (FSVC_QUEUED: rec is queued). moved: the number of the loan
 * a wait moves back with (SyscallRequest.futex_moved), else 0. */
static int64_t run_op(struct fsvc *fs, struct process *p, const struct futex_args *o, uint32_t tid,
                      struct fsvc_wait *rec, uint64_t deadline, unsigned node, uint64_t moved) {
    struct futex_woken out = {0};
    struct answers as;
    /* the node's own op, sent before its loan came: decided there */
    if (fs->lend && !moved && node > 0 && lendable(o) &&
        futex_lend_held_by(fs->lend, o->uaddr, node))
        return FUTEX_AT_NODE;
    touch(fs, p, o);
    /* a moved wait's word is on its way home: its recall waits for it */
    if (moved)
        pthread_mutex_lock(&fs->lock);
    else
        lock_at_home(fs, o);
    int64_t r = op_locked(fs, p, o, tid, rec, deadline, moved != 0, &out);
    uint64_t lent = 0;
    if (fs->lend && moved) {
        futex_lend_moved(fs->lend, o->uaddr, moved);
    } else if (fs->lend) {
        bool may = lendable(o) && (r >= 0 || r == -EAGAIN) && r != FSVC_QUEUED;
        lent = futex_lend_use(fs->lend, o->uaddr, node, may, futex_waiters(&fs->tab, o->uaddr));
    }
    collect(&out, &as);
    pthread_mutex_unlock(&fs->lock);
    deliver(fs, &as);
    futex_woken_fini(&out);
    /* before the op's own answer (the proxy sends it after this), so the
     * node has the loan when its thread goes on */
    if (lent) futex_lend_send(fs->lend, node, o->uaddr, lent);
    return r;
}

/* A node-0 thread's wait: its record on its stack, its sleep on the
 * record's word with the guest's own timeout on the host clock it named,
 * interruptible by guest signals like any blocking call. */
static int64_t wait_local(struct fsvc *fs, struct task *t, const struct futex_args *o) {
    struct fsvc_wait rec;
    memset(&rec, 0, sizeof rec);
    rec.w.tid = (uint32_t)t->tid;
    struct timespec until;
    int clock = o->realtime ? FUTEX_CLOCK_REALTIME : 0;
    if (o->has_timeout && o->cmd == FUTEX_WAIT) {
        /* relative: made absolute once, so wake-ups that find the word
         * unchanged do not extend it */
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += o->ts.tv_sec;
        until.tv_nsec += o->ts.tv_nsec;
        if (until.tv_nsec >= 1000000000) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000;
        }
        clock = 0;
    } else if (o->has_timeout) {
        until = o->ts;
    }
    int64_t r = run_op(fs, t->proc, o, rec.w.tid, &rec, FUTEX_NO_DEADLINE, 0, 0);
    if (r != FSVC_QUEUED) return r;
    for (;;) {
        if (atomic_load_explicit(&rec.done, memory_order_acquire)) return rec.w.result;
        int64_t e = blocking_syscall(t, o->restart, SYS_futex, &rec.done,
                                     FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG | clock, 0,
                                     o->has_timeout ? &until : NULL, NULL, FUTEX_BITSET_MATCH_ANY);
        if (e == 0 || e == -EAGAIN) continue; /* woken, or done already set */
        pthread_mutex_lock(&fs->lock);
        bool requeued = rec.w.requeued;
        bool cancelled = futex_cancel(&fs->tab, &rec.w);
        pthread_mutex_unlock(&fs->lock);
        /* not cancelled: a wake came first, and set done under the lock */
        if (!cancelled) return rec.w.result;
        /* a signal for a WAIT_REQUEUE_PI already on its PI lock: Linux
         * returns EWOULDBLOCK rather than restart (futex_wait_requeue_pi) */
        if (requeued && e != -ETIMEDOUT) return -EAGAIN;
        return e;
    }
}

bool fsvc_futex(struct task *t, const uint64_t *a, int64_t *ret) {
    struct master *m = t->proc->cluster_ctx;
    struct fsvc *fs = m->futex;
    if (!fs) return false;
    struct futex_args o;
    int r = futex_args_parse(t, a, true, &o);
    if (r) {
        *ret = r;
        return true;
    }
    if (!o.table) return false;
    if (o.wait && t->proxy) {
        /* a proxy's waits come through fsvc_wait_remote; never park it */
        *ret = -EINVAL;
        return true;
    }
    /* a proxy's op is its node's */
    unsigned node = 0;
    if (t->proxy) {
        int n = proxy_node_of(m, t->tid);
        node = n > 0 ? (unsigned)n : 0;
    }
    *ret = o.wait ? wait_local(fs, t, &o)
                  : run_op(fs, t->proc, &o, (uint32_t)t->tid, NULL, 0, node, 0);
    return true;
}

bool fsvc_wait_remote(struct master *m, struct task *t, struct fsvc_wait *rec, unsigned node,
                      uint64_t req_id, const uint64_t *a, int64_t timeout_ns, uint64_t moved,
                      int64_t *ret) {
    struct fsvc *fs = m->futex;
    struct futex_args o;
    /* the node checked and measured the timeout (its memory, its clock) */
    int r = futex_args_parse(t, a, false, &o);
    if (r || !o.table || !o.wait) {
        *ret = r ? r : -EINVAL;
        return true;
    }
    uint64_t deadline = FUTEX_NO_DEADLINE;
    if (timeout_ns >= 0) deadline = clock_mono_ns() + (uint64_t)timeout_ns;
    memset(rec, 0, sizeof *rec);
    rec->w.id = req_id;
    rec->w.node = node;
    rec->w.tid = (uint32_t)t->tid;
    /* only a plain wait was lent (lendable) */
    if (moved && o.cmd != FUTEX_WAIT && o.cmd != FUTEX_WAIT_BITSET) moved = 0;
    r = (int)run_op(fs, t->proc, &o, rec->w.tid, rec, deadline, node, moved);
    *ret = r;
    return r != FSVC_QUEUED;
}

/* Under the lock: the PI lock at addr, if tid still owns it, goes to its
 * first waiter (its tid in the word, FUTEX_WAITERS while others wait)
 * with FUTEX_OWNER_DIED, as Linux's fix-up of a dead owner's PI state
 * writes it: glibc returns EOWNERDEAD for a robust mutex, and stops on
 * an assertion for another (its owner died holding it). */
static void pi_owner_gone(struct fsvc *fs, struct process *p, uint64_t addr, uint32_t tid,
                          struct futex_woken *out) {
    _Atomic uint32_t *w = pi_word(p, addr);
    if (!w) return;
    uint32_t old = atomic_load(w);
    if ((old & FUTEX_TID_MASK) == tid) {
        bool more;
        struct futex_waiter *next = futex_unlock_pi(&fs->tab, addr, out, &more);
        if (next) atomic_store(w, FUTEX_OWNER_DIED | next->tid | (more ? FUTEX_WAITERS : 0));
    }
    pi_word_done(p);
}

void fsvc_thread_exit(struct task *t) {
    struct master *m = t->proc->cluster_ctx;
    struct fsvc *fs = m->futex;
    if (!fs) return;
    struct futex_woken out = {0};
    struct answers as;
    pthread_mutex_lock(&fs->lock);
    t->futex_exited = true; /* no new waiter attaches to it (thread_alive) */
    size_t n = futex_pi_words(&fs->tab, NULL, 0);
    uint64_t *addrs = n ? malloc(n * sizeof *addrs) : NULL;
    /* collected first: a hand-over may free its word's queue */
    if (addrs) futex_pi_words(&fs->tab, addrs, n);
    for (size_t i = 0; addrs && i < n; i++)
        pi_owner_gone(fs, t->proc, addrs[i], (uint32_t)t->tid, &out);
    free(addrs);
    collect(&out, &as);
    pthread_mutex_unlock(&fs->lock);
    deliver(fs, &as);
    futex_woken_fini(&out);
}

bool fsvc_cancel(struct master *m, struct fsvc_wait *rec, int64_t *answer) {
    struct fsvc *fs = m->futex;
    pthread_mutex_lock(&fs->lock);
    *answer = rec->w.requeued ? -EAGAIN : -EINTR;
    bool c = futex_cancel(&fs->tab, &rec->w);
    pthread_mutex_unlock(&fs->lock);
    return c;
}

/* Ends timed waits at their deadlines; sleeps until the earliest one
 * (a queued earlier deadline signals it). */
static void *timer_main(void *arg) {
    struct fsvc *fs = arg;
    pthread_mutex_lock(&fs->lock);
    for (;;) {
        uint64_t now = clock_mono_ns();
        struct futex_woken out = {0};
        if (futex_expire(&fs->tab, now, &out)) {
            struct answers as;
            collect(&out, &as);
            pthread_mutex_unlock(&fs->lock);
            deliver(fs, &as);
            futex_woken_fini(&out);
            pthread_mutex_lock(&fs->lock);
            continue;
        }
        futex_woken_fini(&out);
        uint64_t next = futex_next_deadline(&fs->tab);
        fs->timer_at = next;
        if (next == FUTEX_NO_DEADLINE) {
            pthread_cond_wait(&fs->timer_cond, &fs->lock);
        } else {
            struct timespec ts = {(time_t)(next / 1000000000u), (long)(next % 1000000000u)};
            pthread_cond_timedwait(&fs->timer_cond, &fs->lock, &ts);
        }
    }
    return NULL;
}

int fsvc_start(struct master *m) {
    struct fsvc *fs = calloc(1, sizeof *fs);
    if (!fs) return -ENOMEM;
    fs->m = m;
    pthread_mutex_init(&fs->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&fs->timer_cond, &ca);
    pthread_condattr_destroy(&ca);
    futex_table_init(&fs->tab);
    fs->timer_at = FUTEX_NO_DEADLINE;
    /* [futex] local (the documented default when the embedder gave no
     * configuration) */
    const struct shoal_config *c = m->proc->stats.config;
    if (!c || c->futex.local) fs->lend = futex_lend_new(m, c ? c->futex.local_after : 4);
    int e = thread_start_detached(NULL, 0, timer_main, fs);
    if (e) {
        free(fs);
        return -e;
    }
    m->futex = fs;
    return 0;
}

void fsvc_on_returned(struct master *m, unsigned node, uint64_t addr, uint64_t seq,
                      uint32_t moved) {
    struct fsvc *fs = m->futex;
    if (fs && fs->lend) futex_lend_returned(fs->lend, node, addr, seq, moved);
}

void fsvc_stats_json(struct master *m, FILE *f) {
    struct fsvc *fs = m->futex;
    struct futex_lend_stats st = {0};
    if (fs && fs->lend) futex_lend_stats(fs->lend, &st);
    fprintf(f,
            "  \"futex_loans\": {\"on\": %s, \"lent\": %llu, \"recalled\": %llu, "
            "\"moved_waits\": %llu},\n",
            fs && fs->lend ? "true" : "false", (unsigned long long)st.lent,
            (unsigned long long)st.recalled, (unsigned long long)st.moved);
}
