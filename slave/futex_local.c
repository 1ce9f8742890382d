/* Futex words lent to this node: their ops decided here, their recall
 * (futex_local.h). */
#define _GNU_SOURCE
#include "slave/futex_local.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "common/clock_sync.h"
#include "common/detached_thread.h"
#include "common/log.h"
#include "dsm/u64map.h"
#include "master/futex_table.h"
#include "slave/slave_internal.h"
#include "syscall/futex_args.h"
#include "syscall/syscall.h"

/* A waiting thread's record, on its stack. */
enum { LW_WAITING, LW_WOKEN, LW_MOVED };
struct lwait {
    struct futex_waiter w;  /* first: the table hands these back */
    _Atomic uint32_t state; /* LW_*: the sleeper's word */
    uint64_t a[6];          /* the call, for its move to the master */
    uint64_t until_ns;      /* CLOCK_MONOTONIC deadline; 0: none */
    uint64_t req_id;        /* moved: the request it became */
    struct waiter answer;   /* moved: the master's answer */
};

struct recall {
    struct recall *next;
    uint64_t addr, seq;
};

struct futex_local {
    struct slave *s;
    /* the table; held across a fault of a word's page (a wait's compare),
     * so never taken by the net loop thread */
    pthread_mutex_t lock;
    struct futex_table tab;
    /* leaf: the loans (addr -> seq) and the recalls that came before
     * their loan (seq -> 1), which the loop thread changes */
    pthread_mutex_t loan_lock;
    struct u64map loans, voided;
    /* recalls for the recall thread, FIFO */
    pthread_mutex_t q_lock;
    pthread_cond_t q_cond;
    struct recall *q_head, *q_tail;
};

static bool lent(struct futex_local *fl, uint64_t addr) {
    pthread_mutex_lock(&fl->loan_lock);
    bool yes = u64map_get(&fl->loans, addr) != NULL;
    pthread_mutex_unlock(&fl->loan_lock);
    return yes;
}

static void wake_word(_Atomic uint32_t *word) {
    /* the sleeper may have returned already: a stray wake of a dead
     * stack word is harmless, futex sleepers re-check */
    syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/* Under fl->lock: the records a wake ended get their state; their
 * words are woken after the lock (wake_all). */
static void mark_woken(struct futex_woken *out) {
    for (size_t i = 0; i < out->n; i++) {
        struct lwait *lw = (struct lwait *)out->v[i];
        atomic_store_explicit(&lw->state, LW_WOKEN, memory_order_release);
    }
}

static void wake_all(struct futex_woken *out) {
    for (size_t i = 0; i < out->n; i++)
        wake_word(&((struct lwait *)out->v[i])->state);
    out->n = 0;
}

/* A thread's wait here after it queued: until a wake (0), its deadline
 * (-ETIMEDOUT), a signal (its restart code), or its move to the
 * master, whose answer it then takes as a delegated wait's. */
static int64_t sleep_here(struct futex_local *fl, struct task *t, const struct futex_args *o,
                          struct lwait *lw) {
    struct timespec until = {(time_t)(lw->until_ns / 1000000000u),
                             (long)(lw->until_ns % 1000000000u)};
    for (;;) {
        uint32_t st = atomic_load_explicit(&lw->state, memory_order_acquire);
        if (st == LW_WOKEN) return lw->w.result;
        if (st == LW_MOVED) {
            int64_t r = slave_await(fl->s, t, &lw->answer, lw->req_id);
            return r == -EINTR ? -(int64_t)o->restart : r;
        }
        int64_t e = blocking_syscall(t, o->restart, SYS_futex, &lw->state,
                                     FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, LW_WAITING,
                                     lw->until_ns ? &until : NULL, NULL, FUTEX_BITSET_MATCH_ANY);
        if (e == 0 || e == -EAGAIN) continue;
        pthread_mutex_lock(&fl->lock);
        bool cancelled = atomic_load(&lw->state) == LW_WAITING && futex_cancel(&fl->tab, &lw->w);
        pthread_mutex_unlock(&fl->lock);
        /* else a wake or the move came first: the loop takes it (a moved
         * one's signal is still pending, and its timeout went along) */
        if (cancelled) return e;
    }
}

static int64_t wait_here(struct futex_local *fl, struct task *t, const struct futex_args *o,
                         const uint64_t *a) {
    struct lwait lw;
    memset(&lw, 0, sizeof lw);
    lw.w.tid = (uint32_t)t->tid;
    memcpy(lw.a, a, sizeof lw.a);
    int64_t left = futex_args_left_ns(o, &t->proc->clock);
    if (left >= 0) {
        uint64_t now = clock_mono_ns();
        lw.until_ns = (uint64_t)left > UINT64_MAX - now ? UINT64_MAX : now + (uint64_t)left;
        if (!lw.until_ns) lw.until_ns = 1;
    }
    uint32_t cur = 0;
    int r = 0;
    /* the word read under the lock, so the compare and the queueing are
     * one step for every op here (a lent word is 4-aligned: check_loan) */
    if (gs_copy_in(&t->proc->mem, &cur, o->uaddr, sizeof cur)) r = -EFAULT;
    if (!r) r = futex_wait(&fl->tab, &lw.w, o->uaddr, o->val3, FUTEX_NO_DEADLINE, cur == o->val);
    pthread_mutex_unlock(&fl->lock);
    return r ? r : sleep_here(fl, t, o, &lw);
}

bool futex_local_op(struct futex_local *fl, struct task *t, const uint64_t *a, int64_t *ret) {
    int op = (int)a[1], cmd = op & FUTEX_CMD_MASK;
    if (!(op & FUTEX_PRIVATE_FLAG)) return false;
    if (cmd != FUTEX_WAIT && cmd != FUTEX_WAIT_BITSET && cmd != FUTEX_WAKE &&
        cmd != FUTEX_WAKE_BITSET)
        return false;
    if (!lent(fl, a[0])) return false;
    struct futex_args o;
    if (futex_args_parse(t, a, true, &o)) return false; /* the master says what is wrong */
    pthread_mutex_lock(&fl->lock);
    /* a recall takes this lock first: a loan seen under it stays */
    if (!lent(fl, o.uaddr)) {
        pthread_mutex_unlock(&fl->lock);
        return false;
    }
    /* counted as run here, not delegated (syscall_dispatch counted it so) */
    struct run_stats *st = &t->proc->stats;
    atomic_fetch_sub_explicit(&st->delegated_nr[98], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&st->by_nr[98], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&st->futex_local, 1, memory_order_relaxed);
    if (o.wait) {
        *ret = wait_here(fl, t, &o, a); /* unlocks */
        return true;
    }
    struct futex_woken out = {0};
    uint32_t bitset = cmd == FUTEX_WAKE ? FUTEX_BITSET_ANY : o.val3;
    *ret = futex_wake(&fl->tab, o.uaddr, (int)o.val, bitset, &out);
    mark_woken(&out);
    pthread_mutex_unlock(&fl->lock);
    wake_all(&out);
    futex_woken_fini(&out);
    return true;
}

void futex_local_on_lend(struct futex_local *fl, uint64_t addr, uint64_t seq) {
    pthread_mutex_lock(&fl->loan_lock);
    if (u64map_del(&fl->voided, seq)) {
        /* recalled before it came: never taken */
    } else if (u64map_put(&fl->loans, addr, (void *)(uintptr_t)seq)) {
        log_warn("no memory for a futex loan; its ops go to the master");
    }
    pthread_mutex_unlock(&fl->loan_lock);
}

void futex_local_on_recall(struct futex_local *fl, uint64_t addr, uint64_t seq) {
    struct recall *r = calloc(1, sizeof *r);
    SHOAL_ASSERT(r);
    r->addr = addr;
    r->seq = seq;
    pthread_mutex_lock(&fl->q_lock);
    if (fl->q_tail)
        fl->q_tail->next = r;
    else
        fl->q_head = r;
    fl->q_tail = r;
    pthread_cond_signal(&fl->q_cond);
    pthread_mutex_unlock(&fl->q_lock);
}

/* Under fl->lock: waiter lw becomes its thread's delegated wait, queued
 * at the master without a second compare (futex_moved = seq): its
 * request goes out before the sleeper can see LW_MOVED, so a cancel it
 * sends after a signal follows its request on the link. */
static void move_wait(struct futex_local *fl, struct lwait *lw, uint64_t seq) {
    struct slave *s = fl->s;
    lw->req_id = slave_next_req(s);
    pthread_cond_init(&lw->answer.cond, NULL);
    lw->answer.on_word = true;
    slave_waiter_add(s, lw->w.tid, &lw->answer);
    Shoal__SyscallRequest q = SHOAL__SYSCALL_REQUEST__INIT;
    q.req_id = lw->req_id;
    q.tid = lw->w.tid;
    q.nr = 98;
    q.n_args = 6;
    q.args = lw->a;
    q.timeout_ns = -1;
    if (lw->until_ns) {
        uint64_t now = clock_mono_ns();
        q.timeout_ns = lw->until_ns > now ? (int64_t)(lw->until_ns - now) : 0;
    }
    q.futex_moved = seq;
    Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
    env.msg_case = SHOAL__ENVELOPE__MSG_SYSCALL_REQUEST;
    env.syscall_request = &q;
    /* a lost master ends this node */
    slave_send_master(s, &env);
    atomic_fetch_add_explicit(&slave_proc(s)->stats.futex_moved, 1, memory_order_relaxed);
    atomic_store_explicit(&lw->state, LW_MOVED, memory_order_release);
    wake_word(&lw->state);
}

static void carry_out(struct futex_local *fl, const struct recall *rc) {
    pthread_mutex_lock(&fl->lock);
    pthread_mutex_lock(&fl->loan_lock);
    bool held = (uintptr_t)u64map_get(&fl->loans, rc->addr) == rc->seq;
    if (held)
        u64map_del(&fl->loans, rc->addr);
    else if (u64map_put(&fl->voided, rc->seq, (void *)1))
        log_warn("no memory to note an early futex recall");
    pthread_mutex_unlock(&fl->loan_lock);
    uint32_t moved = 0;
    if (held) {
        /* every wait on the word, in its order, leaves this table */
        struct futex_woken out = {0};
        futex_wake(&fl->tab, rc->addr, INT_MAX, FUTEX_BITSET_ANY, &out);
        for (size_t i = 0; i < out.n; i++)
            move_wait(fl, (struct lwait *)out.v[i], rc->seq);
        moved = (uint32_t)out.n;
        futex_woken_fini(&out);
    }
    pthread_mutex_unlock(&fl->lock);
    Shoal__FutexReturned r = SHOAL__FUTEX_RETURNED__INIT;
    r.addr = rc->addr;
    r.seq = rc->seq;
    r.moved = moved;
    Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
    env.msg_case = SHOAL__ENVELOPE__MSG_FUTEX_RETURNED;
    env.futex_returned = &r;
    slave_send_master(fl->s, &env);
}

static void *recall_main(void *arg) {
    struct futex_local *fl = arg;
    for (;;) {
        pthread_mutex_lock(&fl->q_lock);
        while (!fl->q_head)
            pthread_cond_wait(&fl->q_cond, &fl->q_lock);
        struct recall *r = fl->q_head;
        fl->q_head = r->next;
        if (!fl->q_head) fl->q_tail = NULL;
        pthread_mutex_unlock(&fl->q_lock);
        carry_out(fl, r);
        free(r);
    }
    return NULL;
}

struct futex_local *futex_local_new(struct slave *s) {
    struct futex_local *fl = calloc(1, sizeof *fl);
    if (!fl) return NULL;
    fl->s = s;
    pthread_mutex_init(&fl->lock, NULL);
    futex_table_init(&fl->tab);
    pthread_mutex_init(&fl->loan_lock, NULL);
    u64map_init(&fl->loans);
    u64map_init(&fl->voided);
    pthread_mutex_init(&fl->q_lock, NULL);
    pthread_cond_init(&fl->q_cond, NULL);
    if (thread_start_detached(NULL, 0, recall_main, fl)) {
        futex_table_fini(&fl->tab);
        u64map_fini(&fl->loans);
        u64map_fini(&fl->voided);
        free(fl);
        return NULL;
    }
    return fl;
}
