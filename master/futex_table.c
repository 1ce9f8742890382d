#include "master/futex_table.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/array.h"

struct futex_queue {
    uint64_t addr;
    struct futex_waiter *head, *tail;
    size_t n;
};

void futex_woken_fini(struct futex_woken *w) {
    free(w->v);
    memset(w, 0, sizeof *w);
}

/* Room for one more record in out. */
static int woken_reserve(struct futex_woken *out) {
    if (out->n == out->cap) {
        struct futex_waiter **v = array_grow(out->v, &out->cap, out->n + 1, sizeof *v, 16);
        if (!v) return -ENOMEM;
        out->v = v;
    }
    return 0;
}

static int woken_push(struct futex_woken *out, struct futex_waiter *w) {
    int r = woken_reserve(out);
    if (r) return r;
    out->v[out->n++] = w;
    return 0;
}

void futex_table_init(struct futex_table *t) {
    memset(t, 0, sizeof *t);
    u64map_init(&t->queues);
    u64map_init(&t->pi_blocked);
}

void futex_table_fini(struct futex_table *t) {
    size_t it = 0;
    void *v;
    while (u64map_next(&t->queues, &it, NULL, &v)) {
        struct futex_queue *q = v;
        for (struct futex_waiter *w = q->head; w; w = w->next)
            w->q = NULL;
        free(q);
    }
    u64map_fini(&t->queues);
    u64map_fini(&t->pi_blocked);
    free(t->heap);
    memset(t, 0, sizeof *t);
}

/* --- deadline heap ------------------------------------------------------ */

static void heap_set(struct futex_table *t, size_t i, struct futex_waiter *w) {
    t->heap[i] = w;
    w->heap_idx = i;
}

static void sift_up(struct futex_table *t, size_t i) {
    struct futex_waiter *w = t->heap[i];
    while (i) {
        size_t p = (i - 1) / 2;
        if (t->heap[p]->deadline <= w->deadline) break;
        heap_set(t, i, t->heap[p]);
        i = p;
    }
    heap_set(t, i, w);
}

static void sift_down(struct futex_table *t, size_t i) {
    struct futex_waiter *w = t->heap[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= t->nheap) break;
        if (c + 1 < t->nheap && t->heap[c + 1]->deadline < t->heap[c]->deadline) c++;
        if (w->deadline <= t->heap[c]->deadline) break;
        heap_set(t, i, t->heap[c]);
        i = c;
    }
    heap_set(t, i, w);
}

static int heap_add(struct futex_table *t, struct futex_waiter *w) {
    if (t->nheap == t->capheap) {
        size_t cap = t->capheap ? t->capheap * 2 : 16;
        struct futex_waiter **h = realloc(t->heap, cap * sizeof *h);
        if (!h) return -ENOMEM;
        t->heap = h;
        t->capheap = cap;
    }
    heap_set(t, t->nheap++, w);
    sift_up(t, t->nheap - 1);
    return 0;
}

static void heap_del(struct futex_table *t, struct futex_waiter *w) {
    size_t i = w->heap_idx;
    struct futex_waiter *last = t->heap[--t->nheap];
    if (i == t->nheap) return;
    heap_set(t, i, last);
    sift_up(t, i);
    sift_down(t, last->heap_idx);
}

/* --- queues ------------------------------------------------------------- */

static void q_append(struct futex_queue *q, struct futex_waiter *w) {
    w->q = q;
    w->addr = q->addr;
    w->next = NULL;
    w->prev = q->tail;
    if (q->tail)
        q->tail->next = w;
    else
        q->head = w;
    q->tail = w;
    q->n++;
}

static void q_unlink(struct futex_queue *q, struct futex_waiter *w) {
    if (w->prev)
        w->prev->next = w->next;
    else
        q->head = w->next;
    if (w->next)
        w->next->prev = w->prev;
    else
        q->tail = w->prev;
    q->n--;
    w->q = NULL;
    w->prev = w->next = NULL;
}

static struct futex_queue *q_get(struct futex_table *t, uint64_t addr, bool create) {
    struct futex_queue *q = u64map_get(&t->queues, addr);
    if (q || !create) return q;
    q = calloc(1, sizeof *q);
    if (!q) return NULL;
    q->addr = addr;
    if (u64map_put(&t->queues, addr, q)) {
        free(q);
        return NULL;
    }
    return q;
}

/* Queues live only while they have waiters, so the table's memory
 * follows the number of waiting threads. */
static void q_put(struct futex_table *t, struct futex_queue *q) {
    if (q->n) return;
    u64map_del(&t->queues, q->addr);
    free(q);
}

/* A PI waiter is found by its tid when a chain of owners passes
 * through its thread (futex_pi_chain). */
static int pi_index(struct futex_table *t, struct futex_waiter *w) {
    return u64map_put(&t->pi_blocked, w->tid, w) ? -ENOMEM : 0;
}

static void pi_unindex(struct futex_table *t, struct futex_waiter *w) {
    if (u64map_get(&t->pi_blocked, w->tid) == w) u64map_del(&t->pi_blocked, w->tid);
}

/* Takes w off its queue and the heap; the queue may be freed after. */
static void detach(struct futex_table *t, struct futex_waiter *w) {
    if (w->pi) pi_unindex(t, w);
    if (w->deadline != FUTEX_NO_DEADLINE) heap_del(t, w);
    q_unlink(w->q, w);
    t->nwaiters--;
}

static int finish(struct futex_table *t, struct futex_waiter *w, int result,
                  struct futex_woken *out) {
    /* record first: a failed push leaves the waiter waiting, not lost */
    int r = woken_push(out, w);
    if (r) return r;
    detach(t, w);
    w->result = result;
    return 0;
}

/* --- operations ------------------------------------------------------- */

/* Whether q's waiters are PI ones (a queue holds one kind: Linux keeps
 * PI and plain waiters of a word apart and refuses to mix them). */
static bool q_is_pi(const struct futex_queue *q) {
    return q && q->head && q->head->pi;
}

static int enqueue(struct futex_table *t, struct futex_waiter *w, uint64_t addr, uint32_t bitset,
                   uint64_t deadline, bool pi) {
    struct futex_queue *q = q_get(t, addr, true);
    if (!q) return -ENOMEM;
    if (q->head && q->head->pi != pi) {
        q_put(t, q);
        return -EINVAL;
    }
    w->bitset = bitset;
    w->deadline = deadline;
    w->pi = pi;
    w->requeue_pi = w->requeued = false;
    w->addr2 = 0;
    w->result = 0;
    if (deadline != FUTEX_NO_DEADLINE && heap_add(t, w)) {
        q_put(t, q);
        return -ENOMEM;
    }
    if (pi && pi_index(t, w)) {
        if (deadline != FUTEX_NO_DEADLINE) heap_del(t, w);
        q_put(t, q);
        return -ENOMEM;
    }
    q_append(q, w);
    t->nwaiters++;
    return 0;
}

int futex_wait(struct futex_table *t, struct futex_waiter *w, uint64_t addr, uint32_t bitset,
               uint64_t deadline, bool value_matches) {
    if (!bitset || (addr & 3) || w->q) return -EINVAL;
    if (!value_matches) return -EAGAIN;
    return enqueue(t, w, addr, bitset, deadline, false);
}

int futex_wait_requeue_pi(struct futex_table *t, struct futex_waiter *w, uint64_t addr,
                          uint64_t addr2, uint64_t deadline, bool value_matches) {
    if (addr == addr2 || (addr & 3) || (addr2 & 3) || w->q) return -EINVAL;
    if (!value_matches) return -EAGAIN;
    int r = enqueue(t, w, addr, FUTEX_BITSET_ANY, deadline, false);
    if (r) return r;
    w->requeue_pi = true;
    w->addr2 = addr2;
    return 0;
}

int futex_pi_attach(const struct futex_table *t, uint64_t addr, uint32_t owner,
                    const struct futex_pi_env *env) {
    /* with PI waiters queued, Linux attaches to the lock's PI state,
     * whose owner was checked by the first of them */
    if (q_is_pi(u64map_get(&t->queues, addr))) return 0;
    return env->alive(env->ctx, owner) ? 0 : -ESRCH;
}

int futex_pi_chain(const struct futex_table *t, uint32_t waiter, uint64_t addr, uint32_t owner,
                   const struct futex_pi_env *env) {
    uint32_t task = owner;
    for (int depth = 1; task; depth++) {
        if (task == waiter || depth > FUTEX_PI_MAX_DEPTH) return -EDEADLK;
        const struct futex_waiter *blocked = u64map_get(&t->pi_blocked, task);
        if (!blocked) return 0; /* task runs: the chain ends */
        /* a cycle through addr that waiter is not on: Linux reports it too */
        if (blocked->addr == addr) return -EDEADLK;
        task = env->owner(env->ctx, blocked->addr);
    }
    return 0;
}

int futex_lock_pi_wait(struct futex_table *t, struct futex_waiter *w, uint64_t addr, uint32_t owner,
                       uint64_t deadline, const struct futex_pi_env *env) {
    if ((addr & 3) || w->q) return -EINVAL;
    /* Linux finds no PI state behind plain waiters: -EINVAL first */
    const struct futex_queue *q = u64map_get(&t->queues, addr);
    if (q && q->head && !q->head->pi) return -EINVAL;
    int r = futex_pi_attach(t, addr, owner, env);
    if (!r) r = futex_pi_chain(t, w->tid, addr, owner, env);
    if (r) return r;
    return enqueue(t, w, addr, FUTEX_BITSET_ANY, deadline, true);
}

struct futex_waiter *futex_unlock_pi(struct futex_table *t, uint64_t addr, struct futex_woken *out,
                                     bool *more) {
    struct futex_queue *q = q_get(t, addr, false);
    *more = false;
    if (!q_is_pi(q)) return NULL;
    struct futex_waiter *w = q->head;
    if (finish(t, w, 0, out)) return NULL;
    *more = q->n > 0;
    q_put(t, q);
    return w;
}

/* Wakes matching waiters of one queue; Linux counts ++woken >= nr, so a
 * non-positive nr still wakes one. */
static int wake_queue(struct futex_table *t, uint64_t addr, int nr, uint32_t bitset,
                      struct futex_woken *out) {
    struct futex_queue *q = q_get(t, addr, false);
    if (!q) return 0;
    if (q_is_pi(q)) return -EINVAL;
    int woken = 0;
    for (struct futex_waiter *w = q->head, *next; w; w = next) {
        next = w->next;
        if (w->requeue_pi) {
            /* Linux: only CMP_REQUEUE_PI may end that wait */
            q_put(t, q);
            return -EINVAL;
        }
        if (!(w->bitset & bitset)) continue;
        int r = finish(t, w, 0, out);
        if (r) {
            q_put(t, q);
            return r;
        }
        if (++woken >= nr) break;
    }
    q_put(t, q);
    return woken;
}

size_t futex_pi_words(const struct futex_table *t, uint64_t *out, size_t max) {
    size_t n = 0, it = 0;
    void *v;
    while (u64map_next(&t->queues, &it, NULL, &v)) {
        const struct futex_queue *q = v;
        if (!q_is_pi(q)) continue;
        if (n < max) out[n] = q->addr;
        n++;
    }
    return n;
}

int futex_wake(struct futex_table *t, uint64_t addr, int nr, uint32_t bitset,
               struct futex_woken *out) {
    if (!bitset || (addr & 3)) return -EINVAL;
    return wake_queue(t, addr, nr, bitset, out);
}

int futex_requeue(struct futex_table *t, uint64_t addr, uint64_t addr2, int nr_wake, int nr_requeue,
                  bool cmp_ok, struct futex_woken *out) {
    if (nr_wake < 0 || nr_requeue < 0 || (addr & 3) || (addr2 & 3)) return -EINVAL;
    if (!cmp_ok) return -EAGAIN;
    struct futex_queue *q = q_get(t, addr, false);
    if (!q) return 0;
    if (q_is_pi(q) || q_is_pi(q_get(t, addr2, false))) return -EINVAL;
    struct futex_queue *q2 = NULL;
    int count = 0, r = 0;
    for (struct futex_waiter *w = q->head, *next; w; w = next) {
        next = w->next;
        if (count - nr_wake >= nr_requeue) break;
        if (w->requeue_pi) {
            r = -EINVAL; /* Linux: CMP_REQUEUE_PI's waiter, not ours */
            break;
        }
        if (++count <= nr_wake) {
            if ((r = finish(t, w, 0, out))) break;
            continue;
        }
        if (addr2 == addr) continue; /* Linux leaves it in place */
        if (!q2 && !(q2 = q_get(t, addr2, true))) {
            r = -ENOMEM;
            break;
        }
        /* keeps its bitset and deadline, waits on addr2 now */
        q_unlink(q, w);
        q_append(q2, w);
    }
    q_put(t, q);
    return r ? r : count;
}

int futex_requeue_pi_top(const struct futex_table *t, uint64_t addr, uint64_t addr2, int nr_wake,
                         int nr_requeue, bool cmp_ok, struct futex_waiter **top,
                         struct futex_woken *out) {
    *top = NULL;
    if (nr_wake != 1 || nr_requeue < 0 || addr == addr2 || (addr & 3) || (addr2 & 3))
        return -EINVAL;
    if (!cmp_ok) return -EAGAIN;
    const struct futex_queue *q = u64map_get(&t->queues, addr);
    if (!q || !q->head) return 0;
    const struct futex_waiter *w = q->head;
    if (!w->requeue_pi || w->addr2 != addr2) return -EINVAL;
    const struct futex_queue *q2 = u64map_get(&t->queues, addr2);
    if (q2 && q2->head && !q2->head->pi) return -EINVAL;
    if (woken_reserve(out)) return -ENOMEM;
    *top = q->head;
    return 0;
}

int futex_requeue_pi(struct futex_table *t, uint64_t addr, uint64_t addr2, int nr_requeue,
                     bool top_locked, uint32_t owner, const struct futex_pi_env *env,
                     struct futex_woken *out) {
    struct futex_queue *q = q_get(t, addr, false);
    if (!q || !q->head) return 0;
    int count = 0, r = 0;
    if (top_locked) {
        /* room made by futex_requeue_pi_top */
        if ((r = finish(t, q->head, 0, out))) {
            q_put(t, q);
            return r;
        }
        count = 1;
    }
    struct futex_queue *q2 = NULL;
    for (struct futex_waiter *w = q->head, *next; w; w = next) {
        next = w->next;
        /* nr_wake is 1: the one woken, or one more requeued instead */
        if (count - 1 >= nr_requeue) break;
        if (!w->requeue_pi || w->addr2 != addr2) {
            r = -EINVAL;
            break;
        }
        if ((r = futex_pi_chain(t, w->tid, addr2, owner, env))) break;
        if (!q2 && !(q2 = q_get(t, addr2, true))) {
            r = -ENOMEM;
            break;
        }
        if ((r = pi_index(t, w))) break;
        /* a PI waiter of addr2 now, its deadline kept */
        q_unlink(q, w);
        w->requeue_pi = false;
        w->requeued = w->pi = true;
        q_append(q2, w);
        count++;
    }
    if (q2) q_put(t, q2); /* made for a waiter that did not come */
    q_put(t, q);
    return r ? r : count;
}

int futex_wake_op(struct futex_table *t, uint64_t addr, uint64_t addr2, int nr_wake, int nr_wake2,
                  bool cmp_true, struct futex_woken *out) {
    if ((addr & 3) || (addr2 & 3)) return -EINVAL;
    int a = wake_queue(t, addr, nr_wake, FUTEX_BITSET_ANY, out);
    if (a < 0 || !cmp_true) return a;
    int b = wake_queue(t, addr2, nr_wake2, FUTEX_BITSET_ANY, out);
    return b < 0 ? b : a + b;
}

int futex_op_eval(uint32_t encoded, uint32_t oldval, uint32_t *newval, bool *cmp_true) {
    unsigned op = (encoded >> 28) & 7, cmp = (encoded >> 24) & 15;
    /* 12-bit signed fields, as the kernel's sign_extend32(x, 11) */
    int32_t oparg = (int32_t)(((encoded >> 12) & 0xfff) << 20) >> 20;
    int32_t cmparg = (int32_t)((encoded & 0xfff) << 20) >> 20;
    if (encoded & (8u << 28)) oparg = (int32_t)(1u << (oparg & 31));
    uint32_t arg = (uint32_t)oparg;
    switch (op) {
    case 0: *newval = arg; break;           /* FUTEX_OP_SET */
    case 1: *newval = oldval + arg; break;  /* FUTEX_OP_ADD */
    case 2: *newval = oldval | arg; break;  /* FUTEX_OP_OR */
    case 3: *newval = oldval & ~arg; break; /* FUTEX_OP_ANDN */
    case 4: *newval = oldval ^ arg; break;  /* FUTEX_OP_XOR */
    default: return -ENOSYS;
    }
    int32_t old = (int32_t)oldval;
    switch (cmp) {
    case 0: *cmp_true = old == cmparg; break; /* FUTEX_OP_CMP_EQ */
    case 1: *cmp_true = old != cmparg; break; /* FUTEX_OP_CMP_NE */
    case 2: *cmp_true = old < cmparg; break;  /* FUTEX_OP_CMP_LT */
    case 3: *cmp_true = old <= cmparg; break; /* FUTEX_OP_CMP_LE */
    case 4: *cmp_true = old > cmparg; break;  /* FUTEX_OP_CMP_GT */
    case 5: *cmp_true = old >= cmparg; break; /* FUTEX_OP_CMP_GE */
    default: return -ENOSYS;
    }
    return 0;
}

size_t futex_expire(struct futex_table *t, uint64_t now, struct futex_woken *out) {
    size_t n = 0;
    while (t->nheap && t->heap[0]->deadline <= now) {
        struct futex_waiter *w = t->heap[0];
        struct futex_queue *q = w->q;
        if (finish(t, w, -ETIMEDOUT, out)) {
            q_put(t, q);
            break;
        }
        q_put(t, q);
        n++;
    }
    return n;
}

uint64_t futex_next_deadline(const struct futex_table *t) {
    return t->nheap ? t->heap[0]->deadline : FUTEX_NO_DEADLINE;
}

bool futex_cancel(struct futex_table *t, struct futex_waiter *w) {
    struct futex_queue *q = w->q;
    if (!q) return false;
    detach(t, w);
    q_put(t, q);
    return true;
}

size_t futex_cancel_node(struct futex_table *t, uint32_t node, struct futex_woken *out) {
    /* collect first: freeing emptied queues while walking the map would
     * reshuffle it */
    size_t start = out->n, it = 0;
    void *v;
    while (u64map_next(&t->queues, &it, NULL, &v))
        for (struct futex_waiter *w = ((struct futex_queue *)v)->head; w; w = w->next)
            if (w->node == node && woken_push(out, w)) goto done;
done:
    for (size_t i = start; i < out->n; i++) {
        struct futex_waiter *w = out->v[i];
        struct futex_queue *q = w->q;
        detach(t, w);
        w->result = -ECONNRESET;
        q_put(t, q);
    }
    return out->n - start;
}

size_t futex_waiters(const struct futex_table *t, uint64_t addr) {
    struct futex_queue *q = u64map_get(&t->queues, addr);
    return q ? q->n : 0;
}
