/* Futex words lent to a slave: the loans, the use counts that decide
 * them, and their recall (futex_lend.h, master/DESIGN.md "Futex
 * loans"). */
#include "master/futex_lend.h"

#include <stdlib.h>

#include "common/log.h"
#include "dsm/u64map.h"
#include "master/master_internal.h"

/* Recalls of one word double the ops it takes to lend it again, up to
 * this many doublings. */
#define LEND_BACKOFF_MAX 10

/* The use map is swept when it has doubled since the last sweep (and
 * holds at least this many words): a sweep drops the words nobody named
 * since the sweep before, so the map follows the words in use, not
 * every word a long run ever named. */
#define USE_SWEEP_MIN 4096

struct loan {
    unsigned node;
    uint64_t seq;
    bool recalling; /* FutexRecall sent */
    bool returned;  /* FutexReturned came */
    uint32_t moved_total, moved_done;
};

/* How a word has been used lately: ops in a row from one node. */
struct word_use {
    unsigned node;
    uint64_t streak;
    unsigned recalls;
    uint64_t sweep; /* futex_lend.sweeps when last named */
};

struct futex_lend {
    struct master *m;
    uint64_t after;
    pthread_mutex_t lock; /* leaf */
    pthread_cond_t cond;  /* a loan ended */
    struct u64map loans;  /* addr -> struct loan * */
    struct u64map use;    /* addr -> struct word_use *: words a slave's plain op named */
    uint64_t sweeps;      /* sweeps of `use` so far */
    size_t sweep_at;      /* sweep `use` when it holds this many */
    uint64_t next_seq;
    struct futex_lend_stats stats;
};

struct futex_lend *futex_lend_new(struct master *m, uint64_t after) {
    struct futex_lend *l = calloc(1, sizeof *l);
    if (!l) return NULL;
    l->m = m;
    l->after = after ? after : 1;
    pthread_mutex_init(&l->lock, NULL);
    pthread_cond_init(&l->cond, NULL);
    u64map_init(&l->loans);
    u64map_init(&l->use);
    l->sweep_at = USE_SWEEP_MIN;
    return l;
}

void futex_lend_free(struct futex_lend *l) {
    if (!l) return;
    uint64_t k;
    void *v;
    for (size_t i = 0; u64map_next(&l->loans, &i, &k, &v);)
        free(v);
    for (size_t i = 0; u64map_next(&l->use, &i, &k, &v);)
        free(v);
    u64map_fini(&l->loans);
    u64map_fini(&l->use);
    pthread_cond_destroy(&l->cond);
    pthread_mutex_destroy(&l->lock);
    free(l);
}

/* Under l->lock: drops the words not named since the last sweep. A
 * dropped word only starts its count again (and forgets its recalls);
 * a lent word keeps its entry. */
static void sweep_use(struct futex_lend *l) {
    uint64_t *old = malloc(l->use.n * sizeof *old);
    size_t n_old = 0;
    if (old) {
        uint64_t k;
        void *v;
        for (size_t i = 0; u64map_next(&l->use, &i, &k, &v);) {
            const struct word_use *u = v;
            if (u->sweep < l->sweeps && !u64map_get(&l->loans, k)) old[n_old++] = k;
        }
        for (size_t i = 0; i < n_old; i++)
            free(u64map_del(&l->use, old[i]));
        free(old);
    }
    l->sweeps++;
    l->sweep_at = l->use.n * 2 > USE_SWEEP_MIN ? l->use.n * 2 : USE_SWEEP_MIN;
}

/* FutexRecall (recall) or FutexLend of loan seq to node; a lost node
 * ends the run, so nobody waits for its answer then. */
static void send_loan(struct futex_lend *l, unsigned node, uint64_t addr, uint64_t seq,
                      bool recall) {
    Shoal__FutexLend lend = SHOAL__FUTEX_LEND__INIT;
    Shoal__FutexRecall back = SHOAL__FUTEX_RECALL__INIT;
    Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
    if (recall) {
        back.addr = addr;
        back.seq = seq;
        env.msg_case = SHOAL__ENVELOPE__MSG_FUTEX_RECALL;
        env.futex_recall = &back;
    } else {
        lend.addr = addr;
        lend.seq = seq;
        env.msg_case = SHOAL__ENVELOPE__MSG_FUTEX_LEND;
        env.futex_lend = &lend;
    }
    master_send(l->m, node, &env, NULL);
}

void futex_lend_reclaim(struct futex_lend *l, uint64_t addr) {
    pthread_mutex_lock(&l->lock);
    struct loan *ln;
    while ((ln = u64map_get(&l->loans, addr))) {
        if (ln->recalling) {
            pthread_cond_wait(&l->cond, &l->lock);
            continue;
        }
        ln->recalling = true;
        unsigned node = ln->node;
        uint64_t seq = ln->seq;
        pthread_mutex_unlock(&l->lock);
        send_loan(l, node, addr, seq, true);
        pthread_mutex_lock(&l->lock);
    }
    pthread_mutex_unlock(&l->lock);
}

bool futex_lend_held_by(struct futex_lend *l, uint64_t addr, unsigned node) {
    pthread_mutex_lock(&l->lock);
    struct loan *ln = u64map_get(&l->loans, addr);
    bool held = ln && ln->node == node && !ln->recalling;
    pthread_mutex_unlock(&l->lock);
    return held;
}

bool futex_lend_out(struct futex_lend *l, uint64_t addr) {
    pthread_mutex_lock(&l->lock);
    bool out = u64map_get(&l->loans, addr) != NULL;
    pthread_mutex_unlock(&l->lock);
    return out;
}

uint64_t futex_lend_use(struct futex_lend *l, uint64_t addr, unsigned node, bool may_lend,
                        size_t waiters) {
    uint64_t seq = 0;
    pthread_mutex_lock(&l->lock);
    struct word_use *u = u64map_get(&l->use, addr);
    if (!u && may_lend) {
        if (l->use.n >= l->sweep_at) sweep_use(l);
        if ((u = calloc(1, sizeof *u)) && u64map_put(&l->use, addr, u)) {
            free(u);
            u = NULL;
        }
    }
    if (u) {
        u->sweep = l->sweeps;
        if (u->node != node) {
            u->node = node;
            u->streak = 0;
        }
        u->streak++;
        unsigned shift = u->recalls < LEND_BACKOFF_MAX ? u->recalls : LEND_BACKOFF_MAX;
        struct loan *ln;
        if (may_lend && node > 0 && !waiters && u->streak >= l->after << shift &&
            !u64map_get(&l->loans, addr) && (ln = calloc(1, sizeof *ln))) {
            ln->node = node;
            ln->seq = ++l->next_seq;
            if (u64map_put(&l->loans, addr, ln)) {
                free(ln);
            } else {
                seq = ln->seq;
                u->streak = 0;
                l->stats.lent++;
            }
        }
    }
    pthread_mutex_unlock(&l->lock);
    return seq;
}

void futex_lend_send(struct futex_lend *l, unsigned node, uint64_t addr, uint64_t seq) {
    send_loan(l, node, addr, seq, false);
}

/* Under l->lock: a recalled loan whose waits are all queued here is over. */
static void maybe_over(struct futex_lend *l, uint64_t addr, struct loan *ln) {
    if (!ln->returned || ln->moved_done < ln->moved_total) return;
    u64map_del(&l->loans, addr);
    struct word_use *u = u64map_get(&l->use, addr);
    if (u) {
        u->recalls++;
        u->streak = 0;
    }
    l->stats.recalled++;
    l->stats.moved += ln->moved_total;
    free(ln);
    pthread_cond_broadcast(&l->cond);
}

void futex_lend_moved(struct futex_lend *l, uint64_t addr, uint64_t seq) {
    pthread_mutex_lock(&l->lock);
    struct loan *ln = u64map_get(&l->loans, addr);
    if (ln && ln->seq == seq) {
        ln->moved_done++;
        maybe_over(l, addr, ln);
    }
    pthread_mutex_unlock(&l->lock);
}

void futex_lend_returned(struct futex_lend *l, unsigned node, uint64_t addr, uint64_t seq,
                         uint32_t moved) {
    pthread_mutex_lock(&l->lock);
    struct loan *ln = u64map_get(&l->loans, addr);
    if (ln && ln->seq == seq && ln->node == node && ln->recalling && !ln->returned) {
        ln->returned = true;
        ln->moved_total = moved;
        maybe_over(l, addr, ln);
    } else {
        log_warn("node %u returned futex loan %llu it did not hold; ignored", node,
                 (unsigned long long)seq);
    }
    pthread_mutex_unlock(&l->lock);
}

void futex_lend_stats(struct futex_lend *l, struct futex_lend_stats *out) {
    pthread_mutex_lock(&l->lock);
    *out = l->stats;
    out->words = l->use.n;
    pthread_mutex_unlock(&l->lock);
}
