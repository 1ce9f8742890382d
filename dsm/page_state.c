#define _GNU_SOURCE
#include "dsm/page_state.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

int dsm_pages_init(struct dsm_pages *ps, const struct dsm_page_ops *ops, void *opaque) {
    memset(ps, 0, sizeof *ps);
    ps->ops = ops;
    ps->opaque = opaque;
    u64map_init(&ps->pages);
    if (pthread_mutex_init(&ps->lock, NULL)) return -ENOMEM;
    if (pthread_cond_init(&ps->changed, NULL)) {
        pthread_mutex_destroy(&ps->lock);
        return -ENOMEM;
    }
    /* writers first: a steady stream of store-exclusives on this node
     * must not starve the fetch another node waits for */
    pthread_rwlockattr_t ra;
    pthread_rwlockattr_init(&ra);
    pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    int e = pthread_rwlock_init(&ps->excl_lock, &ra);
    pthread_rwlockattr_destroy(&ra);
    if (e) {
        pthread_cond_destroy(&ps->changed);
        pthread_mutex_destroy(&ps->lock);
        return -ENOMEM;
    }
    return 0;
}

void dsm_pages_fini(struct dsm_pages *ps) {
    size_t it = 0;
    void *v;
    while (u64map_next(&ps->pages, &it, NULL, &v))
        free(v);
    u64map_fini(&ps->pages);
    free(ps->subs);
    pthread_rwlock_destroy(&ps->excl_lock);
    pthread_cond_destroy(&ps->changed);
    pthread_mutex_destroy(&ps->lock);
}

int dsm_pages_subscribe(struct dsm_pages *ps, dsm_page_event_fn fn, void *opaque) {
    pthread_mutex_lock(&ps->lock);
    struct dsm_page_sub *s = realloc(ps->subs, (ps->nsubs + 1) * sizeof *s);
    if (s) {
        s[ps->nsubs++] = (struct dsm_page_sub){fn, opaque};
        ps->subs = s;
    }
    pthread_mutex_unlock(&ps->lock);
    return s ? 0 : -ENOMEM;
}

/* Subscribers are only added at start-up, before messages flow, so the
 * array is stable while callbacks run outside the lock. */
static void notify(struct dsm_pages *ps, uint64_t page, enum dsm_page_event ev) {
    for (size_t i = 0; i < ps->nsubs; i++)
        ps->subs[i].fn(ps->subs[i].opaque, page, ev);
}

/* Entries are created on first touch: memory follows pages touched. */
static struct dsm_page *get(struct dsm_pages *ps, uint64_t page, bool create) {
    struct dsm_page *e = u64map_get(&ps->pages, page);
    if (e || !create) return e;
    e = calloc(1, sizeof *e);
    if (!e) return NULL;
    e->state = DSM_I;
    e->pending = -1;
    e->gen = ps->gen_floor;
    if (u64map_put(&ps->pages, page, e)) {
        free(e);
        return NULL;
    }
    return e;
}

static bool covers(enum dsm_state st, bool write) {
    return write ? st == DSM_M : st != DSM_I;
}

/* Under the lock: decides what a fault needs. On DSM_FAULT_SENT, *kind
 * is the request to send once the lock is dropped (already recorded as
 * pending, so a second faulting thread waits instead of asking again). */
static int fault_locked(struct dsm_pages *ps, uint64_t page, bool write, enum dsm_req *kind) {
    struct dsm_page *e = get(ps, page, true);
    if (!e) return -ENOMEM;
    if (covers(e->state, write)) {
        ps->stats.spurious++;
        return DSM_FAULT_READY;
    }
    if (e->pending >= 0) {
        /* one request per page per node: any request in flight will
         * change the state; the thread retries after it, and a read that
         * was not enough for a write becomes an upgrade then */
        ps->stats.dedup++;
        return DSM_FAULT_WAIT;
    }
    *kind = !write ? DSM_REQ_READ : e->state == DSM_S ? DSM_REQ_UPGRADE : DSM_REQ_WRITE;
    e->pending = (int8_t)*kind;
    switch (*kind) {
    case DSM_REQ_READ: ps->stats.read_miss++; break;
    case DSM_REQ_WRITE: ps->stats.write_miss++; break;
    case DSM_REQ_UPGRADE: ps->stats.upgrades++; break;
    }
    return DSM_FAULT_SENT;
}

static int send(struct dsm_pages *ps, uint64_t page, enum dsm_req kind) {
    int r = ps->ops->send_request(ps->opaque, page, kind);
    if (r) {
        /* nothing is on its way: let a later fault ask again */
        pthread_mutex_lock(&ps->lock);
        struct dsm_page *e = get(ps, page, false);
        if (e) e->pending = -1;
        pthread_cond_broadcast(&ps->changed);
        pthread_mutex_unlock(&ps->lock);
    }
    return r;
}

int dsm_pages_fault(struct dsm_pages *ps, uint64_t page, bool write) {
    enum dsm_req kind = DSM_REQ_READ;
    pthread_mutex_lock(&ps->lock);
    int out = fault_locked(ps, page, write, &kind);
    pthread_mutex_unlock(&ps->lock);
    if (out == DSM_FAULT_SENT) {
        int r = send(ps, page, kind);
        if (r) return r;
    } else if (out == DSM_FAULT_READY && ps->ops->wake) {
        ps->ops->wake(ps->opaque, page);
    }
    return out;
}

int dsm_pages_acquire(struct dsm_pages *ps, uint64_t page, bool write) {
    pthread_mutex_lock(&ps->lock);
    for (;;) {
        enum dsm_req kind = DSM_REQ_READ;
        int out = fault_locked(ps, page, write, &kind);
        if (out < 0 || out == DSM_FAULT_READY) {
            pthread_mutex_unlock(&ps->lock);
            return out < 0 ? out : 0;
        }
        if (out == DSM_FAULT_SENT) {
            pthread_mutex_unlock(&ps->lock);
            int r = send(ps, page, kind);
            if (r) return r;
            pthread_mutex_lock(&ps->lock);
        }
        /* wait for this page's request to be answered, then look again */
        struct dsm_page *e = get(ps, page, false);
        while (e->pending >= 0 && !covers(e->state, write))
            pthread_cond_wait(&ps->changed, &ps->lock);
    }
}

/* A request is answered when the state covers it. */
static void settle(struct dsm_pages *ps, struct dsm_page *e) {
    if (e->pending >= 0 && covers(e->state, e->pending != DSM_REQ_READ)) e->pending = -1;
    pthread_cond_broadcast(&ps->changed);
}

int dsm_pages_on_data(struct dsm_pages *ps, uint64_t page, enum dsm_state st, const void *data) {
    if (st != DSM_S && st != DSM_M) return -EINVAL;
    pthread_mutex_lock(&ps->lock);
    struct dsm_page *e = get(ps, page, true);
    int r = -ENOMEM;
    if (!e) goto out;
    r = -EPROTO;
    if (e->state == DSM_M) goto out; /* the directory never sends data to the owner */
    if (e->state == DSM_S) {
        /* a read-only copy being replaced (a repeated or pushed send):
         * nobody can have written it, so dropping loses nothing */
        if ((r = ps->ops->drop(ps->opaque, page))) goto out;
        e->state = DSM_I;
    }
    r = ps->ops->install(ps->opaque, page, data, st == DSM_M ? PROT_READ | PROT_WRITE : PROT_READ);
    if (r) goto out;
    e->state = (uint8_t)st;
    ps->stats.installs++;
    settle(ps, e);
out:
    pthread_mutex_unlock(&ps->lock);
    if (!r) notify(ps, page, DSM_EV_INSTALLED);
    return r;
}

int dsm_pages_on_grant(struct dsm_pages *ps, uint64_t page, enum dsm_state st) {
    if (st != DSM_M) return -EINVAL;
    pthread_mutex_lock(&ps->lock);
    struct dsm_page *e = get(ps, page, false);
    int r = -EPROTO;
    if (!e || e->state == DSM_I) goto out; /* a grant needs a copy to keep */
    r = 0;
    if (e->state == DSM_S) r = ps->ops->protect(ps->opaque, page, PROT_READ | PROT_WRITE);
    if (r) goto out;
    e->state = DSM_M;
    ps->stats.grants++;
    settle(ps, e);
out:
    pthread_mutex_unlock(&ps->lock);
    if (!r) notify(ps, page, DSM_EV_GRANTED);
    return r;
}

int dsm_pages_on_invalidate(struct dsm_pages *ps, uint64_t page) {
    pthread_mutex_lock(&ps->lock);
    struct dsm_page *e = get(ps, page, false);
    int r = 0;
    bool dropped = false;
    if (!e || e->state == DSM_I) goto out; /* nothing to drop: just ack */
    r = -EPROTO;
    if (e->state == DSM_M) goto out; /* an owner is fetched, never invalidated */
    /* S is read-only: no write can be lost by dropping at once */
    if ((r = ps->ops->drop(ps->opaque, page))) goto out;
    e->state = DSM_I;
    e->gen++;
    ps->stats.invalidations++;
    dropped = true;
    settle(ps, e);
out:
    pthread_mutex_unlock(&ps->lock);
    if (dropped) notify(ps, page, DSM_EV_DROPPED);
    return r;
}

int dsm_pages_on_fetch(struct dsm_pages *ps, uint64_t page, enum dsm_state keep, void *buf) {
    if ((keep != DSM_S && keep != DSM_I) || (!buf && keep != DSM_S)) return -EINVAL;
    /* no store-exclusive between its check and its store (excl_begin) */
    pthread_rwlock_wrlock(&ps->excl_lock);
    pthread_mutex_lock(&ps->lock);
    struct dsm_page *e = get(ps, page, false);
    int r = -EPROTO;
    if (!e || e->state != DSM_M) goto out;
    /* write-protect, then copy, then drop. A store racing with us either
     * lands before the protection (and the copy has it) or faults on it
     * and becomes a new request after this one; copying first could miss
     * a store, dropping first would lose the data. */
    if ((r = ps->ops->protect(ps->opaque, page, PROT_READ))) goto out;
    e->state = DSM_S;
    e->gen++;
    if (buf && (r = ps->ops->copy_out(ps->opaque, page, buf))) goto out;
    if (keep == DSM_I) {
        if ((r = ps->ops->drop(ps->opaque, page))) goto out;
        e->state = DSM_I;
    }
    ps->stats.fetches++;
    settle(ps, e);
out:
    pthread_mutex_unlock(&ps->lock);
    pthread_rwlock_unlock(&ps->excl_lock);
    if (!r) notify(ps, page, DSM_EV_DROPPED);
    return r;
}

int dsm_pages_relocate(struct dsm_pages *ps, uint64_t page, int (*fn)(void *arg, enum dsm_state st),
                       void *arg) {
    pthread_rwlock_wrlock(&ps->excl_lock);
    pthread_mutex_lock(&ps->lock);
    struct dsm_page *e = get(ps, page, false);
    int r = fn(arg, e ? (enum dsm_state)e->state : DSM_I);
    if (r == DSM_RELOC_LOST && e && e->state != DSM_I) {
        e->state = DSM_I;
        e->gen++;
        settle(ps, e);
    }
    pthread_mutex_unlock(&ps->lock);
    pthread_rwlock_unlock(&ps->excl_lock);
    return r;
}

enum dsm_state dsm_pages_state(struct dsm_pages *ps, uint64_t page) {
    pthread_mutex_lock(&ps->lock);
    struct dsm_page *e = get(ps, page, false);
    enum dsm_state st = e ? (enum dsm_state)e->state : DSM_I;
    pthread_mutex_unlock(&ps->lock);
    return st;
}

int dsm_pages_copy(struct dsm_pages *ps, uint64_t page, void *buf) {
    pthread_mutex_lock(&ps->lock);
    struct dsm_page *e = get(ps, page, false);
    int r = e && e->state != DSM_I ? ps->ops->copy_out(ps->opaque, page, buf) : -EPROTO;
    pthread_mutex_unlock(&ps->lock);
    return r;
}

uint64_t dsm_pages_generation(struct dsm_pages *ps, uint64_t page) {
    pthread_mutex_lock(&ps->lock);
    struct dsm_page *e = get(ps, page, false);
    uint64_t g = e ? e->gen : 0;
    pthread_mutex_unlock(&ps->lock);
    return g;
}

bool dsm_pages_excl_valid(struct dsm_pages *ps, uint64_t page, uint64_t gen) {
    pthread_mutex_lock(&ps->lock);
    struct dsm_page *e = get(ps, page, false);
    bool ok = e && e->state == DSM_M && e->gen == gen;
    pthread_mutex_unlock(&ps->lock);
    return ok;
}

bool dsm_pages_excl_begin(struct dsm_pages *ps, uint64_t page, uint64_t gen) {
    pthread_rwlock_rdlock(&ps->excl_lock);
    if (dsm_pages_excl_valid(ps, page, gen)) return true;
    pthread_rwlock_unlock(&ps->excl_lock);
    return false;
}

void dsm_pages_excl_end(struct dsm_pages *ps) {
    pthread_rwlock_unlock(&ps->excl_lock);
}

int dsm_pages_adopt(struct dsm_pages *ps, uint64_t page, enum dsm_state st) {
    pthread_mutex_lock(&ps->lock);
    struct dsm_page *e = get(ps, page, true);
    int r = -ENOMEM;
    if (e) {
        e->state = (uint8_t)st;
        settle(ps, e);
        r = 0;
    }
    pthread_mutex_unlock(&ps->lock);
    return r;
}

/* ps->lock held: an entry leaves the table. */
static void drop_entry(struct dsm_pages *ps, struct dsm_page *e) {
    if (e && e->gen >= ps->gen_floor) ps->gen_floor = e->gen + 1;
    free(e);
}

void dsm_pages_forget(struct dsm_pages *ps, uint64_t first, uint64_t n) {
    pthread_mutex_lock(&ps->lock);
    if (n <= ps->pages.n) {
        for (uint64_t p = first; p < first + n; p++)
            drop_entry(ps, u64map_del(&ps->pages, p));
    } else {
        /* a range larger than what was touched: collect the keys, then
         * delete (deleting while iterating may move entries) */
        size_t it = 0, k = 0;
        uint64_t key, *keys = malloc(ps->pages.n * sizeof *keys);
        while (keys && u64map_next(&ps->pages, &it, &key, NULL))
            if (key >= first && key - first < n) keys[k++] = key;
        for (size_t i = 0; i < k; i++)
            drop_entry(ps, u64map_del(&ps->pages, keys[i]));
        free(keys);
    }
    pthread_cond_broadcast(&ps->changed);
    pthread_mutex_unlock(&ps->lock);
}
