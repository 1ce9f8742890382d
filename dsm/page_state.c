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
    while (u64map_next(&ps->pages, &it, NULL, &v)) {
        free(((struct dsm_page *)v)->stash);
        free(v);
    }
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

static int prot_of(enum dsm_state st) {
    return st == DSM_M ? PROT_READ | PROT_WRITE : PROT_READ;
}

/* Under the lock: a tripwire's bytes go to the host (an access reached
 * it, or they are needed there). If they cannot, the page is not held
 * here any more (I), so no fault takes it for present and spins. */
static int unstash(struct dsm_pages *ps, struct dsm_page *e, uint64_t page) {
    int r = ps->ops->install(ps->opaque, page, e->stash, prot_of((enum dsm_state)e->state));
    free(e->stash);
    e->stash = NULL;
    if (r) {
        e->state = DSM_I;
        e->gen++;
    }
    return r;
}

/* Under the lock: the host copy of a page in S is about to go; a
 * tripwire has none (its bytes are dropped with the stash). */
static int drop_copy(struct dsm_pages *ps, struct dsm_page *e, uint64_t page) {
    if (!e->stash) return ps->ops->drop(ps->opaque, page);
    free(e->stash);
    e->stash = NULL;
    return 0;
}

/* Under the lock: decides what a fault needs. On DSM_FAULT_SENT, *kind
 * is the request to send once the lock is dropped (already recorded as
 * pending, so a second faulting thread waits instead of asking again). */
static int fault_locked(struct dsm_pages *ps, uint64_t page, bool write, enum dsm_req *kind,
                        bool *reached) {
    struct dsm_page *e = get(ps, page, true);
    if (!e) return -ENOMEM;
    if (e->stash) {
        /* a tripwire: the walk got here; a write goes on to upgrade */
        int r = unstash(ps, e, page);
        if (r) return r;
        ps->stats.tripped++;
        *reached = true;
        if (!write) return DSM_FAULT_READY;
    }
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

static int send(struct dsm_pages *ps, uint64_t page, enum dsm_req kind, uint64_t layout) {
    int r = ps->ops->send_request(ps->opaque, page, kind, layout);
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

/* Outside the lock: a tripwire was reached. */
static void tell_reached(struct dsm_pages *ps, uint64_t page, bool reached) {
    if (reached && ps->ops->reached) ps->ops->reached(ps->opaque, page);
}

int dsm_pages_fault(struct dsm_pages *ps, uint64_t page, bool write) {
    enum dsm_req kind = DSM_REQ_READ;
    bool reached = false;
    pthread_mutex_lock(&ps->lock);
    int out = fault_locked(ps, page, write, &kind, &reached);
    uint64_t layout = ps->layout_done; /* the layout the request is made on */
    pthread_mutex_unlock(&ps->lock);
    tell_reached(ps, page, reached);
    if (out == DSM_FAULT_SENT) {
        int r = send(ps, page, kind, layout);
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
        bool reached = false;
        int out = fault_locked(ps, page, write, &kind, &reached);
        if (out < 0 || out == DSM_FAULT_READY) {
            pthread_mutex_unlock(&ps->lock);
            tell_reached(ps, page, reached);
            return out < 0 ? out : 0;
        }
        if (out == DSM_FAULT_SENT) {
            uint64_t layout = ps->layout_done;
            pthread_mutex_unlock(&ps->lock);
            tell_reached(ps, page, reached);
            int r = send(ps, page, kind, layout);
            if (r) return r;
            pthread_mutex_lock(&ps->lock);
        }
        /* wait for this page's request to be answered, then look again;
         * the entry is looked up anew after each wait: a layout change
         * may forget (free) it meanwhile */
        const struct dsm_page *e;
        while ((e = get(ps, page, false)) && e->pending >= 0 && !covers(e->state, write))
            pthread_cond_wait(&ps->changed, &ps->lock);
    }
}

/* A request is answered when the state covers it. */
static void settle(struct dsm_pages *ps, struct dsm_page *e) {
    if (e->pending >= 0 && covers(e->state, e->pending != DSM_REQ_READ)) e->pending = -1;
    pthread_cond_broadcast(&ps->changed);
}

/* Under the lock: installs one page's data in st (S or M). */
static int on_data_locked(struct dsm_pages *ps, uint64_t page, enum dsm_state st,
                          const void *data) {
    struct dsm_page *e = get(ps, page, true);
    if (!e) return -ENOMEM;
    if (e->state == DSM_M) return -EPROTO; /* the directory never sends data to the owner */
    int r;
    if (e->state == DSM_S) {
        /* a read-only copy being replaced (a repeated or pushed send):
         * nobody can have written it, so dropping loses nothing */
        if ((r = drop_copy(ps, e, page))) return r;
        e->state = DSM_I;
    }
    if ((r = ps->ops->install(ps->opaque, page, data, prot_of(st)))) return r;
    e->state = (uint8_t)st;
    ps->stats.installs++;
    settle(ps, e);
    return 0;
}

int dsm_pages_on_data(struct dsm_pages *ps, uint64_t page, enum dsm_state st, const void *data) {
    if (st != DSM_S && st != DSM_M) return -EINVAL;
    pthread_mutex_lock(&ps->lock);
    int r = on_data_locked(ps, page, st, data);
    pthread_mutex_unlock(&ps->lock);
    if (!r) notify(ps, page, DSM_EV_INSTALLED);
    return r;
}

/* Zeros for a run sent as zero pages (data NULL), page by page. */
static const uint8_t zero_page[DSM_PAGE_SIZE];

/* Page i of a run's data (NULL: zeros). */
static const uint8_t *run_page(const uint8_t *bytes, uint32_t i) {
    return bytes ? bytes + (size_t)i * DSM_PAGE_SIZE : zero_page;
}

int dsm_pages_on_data_run(struct dsm_pages *ps, uint64_t first, uint32_t n, enum dsm_state st,
                          const void *data, bool trip) {
    return dsm_pages_on_data_strided(ps, first, n, 1, st, data, trip);
}

int dsm_pages_on_data_strided(struct dsm_pages *ps, uint64_t first, uint32_t n, uint32_t stride,
                              enum dsm_state st, const void *data, bool trip) {
    if (st != DSM_S && st != DSM_M) return -EINVAL;
    if (n < 1 || n > DSM_RUN_MAX || stride < 1) return -EINVAL;
    uint64_t span = (uint64_t)(n - 1) * stride;
    if (first + span < first) return -EINVAL;
    const uint8_t *bytes = data;
    bool done[DSM_RUN_MAX] = {false};
    int err = 0;
    uint32_t i = 0;
    pthread_mutex_lock(&ps->lock);
    /* not when a thread already waits for the page: it is reached (and
     * parked on the host page, which only an install wakes) */
    struct dsm_page *t = trip && st == DSM_S ? get(ps, first, true) : NULL;
    void *stash = t && t->state == DSM_I && t->pending < 0 ? malloc(DSM_PAGE_SIZE) : NULL;
    if (stash) {
        memcpy(stash, run_page(bytes, 0), DSM_PAGE_SIZE);
        t->stash = stash;
        t->state = DSM_S;
        ps->stats.installs++;
        settle(ps, t);
        done[i++] = true;
    }
    while (i < n) {
        /* the longest stretch from i of consecutive pages this node does
         * not hold: one install for all of them (what it leaves, the
         * one-page path does, with its own checks) */
        struct dsm_page *es[DSM_RUN_MAX];
        uint32_t j = i, got = 0;
        while (stride == 1 && j < n && (es[j] = get(ps, first + j, true)) && es[j]->state == DSM_I)
            j++;
        if (j - i >= 2 && ps->ops->install_run) {
            /* zeros go as NULL: the mechanism may map them without a copy */
            long k = ps->ops->install_run(ps->opaque, first + i, j - i,
                                          bytes ? run_page(bytes, i) : NULL, prot_of(st));
            got = k > 0 ? (uint32_t)k : 0;
            for (uint32_t x = i; x < i + got; x++) {
                es[x]->state = (uint8_t)st;
                ps->stats.installs++;
                settle(ps, es[x]);
                done[x] = true;
            }
        }
        i += got;
        if (got) continue;
        int r = on_data_locked(ps, first + (uint64_t)i * stride, st, run_page(bytes, i));
        done[i] = !r;
        if (r && !err) err = r;
        i++;
    }
    pthread_mutex_unlock(&ps->lock);
    for (uint32_t i = 0; i < n; i++)
        if (done[i]) notify(ps, first + (uint64_t)i * stride, DSM_EV_INSTALLED);
    return err;
}

int dsm_pages_on_grant(struct dsm_pages *ps, uint64_t page, enum dsm_state st) {
    if (st != DSM_M) return -EINVAL;
    pthread_mutex_lock(&ps->lock);
    struct dsm_page *e = get(ps, page, false);
    int r = -EPROTO;
    if (!e || e->state == DSM_I) goto out; /* a grant needs a copy to keep */
    r = 0;
    if (e->stash) {
        e->state = DSM_M; /* the bytes go in writable (unstash: I if they cannot) */
        r = unstash(ps, e, page);
    } else if (e->state == DSM_S) {
        r = ps->ops->protect(ps->opaque, page, PROT_READ | PROT_WRITE);
    }
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
    if ((r = drop_copy(ps, e, page))) goto out;
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

int dsm_pages_on_stale(struct dsm_pages *ps, uint64_t page, uint64_t change) {
    pthread_mutex_lock(&ps->lock);
    struct dsm_page *e = get(ps, page, false);
    int r = -ESTALE;
    /* a request is waiting (not one a forget dropped: its entry is gone)
     * and the change has not begun, so the page is still the old
     * mapping's, which the change will take away with this copy */
    if (e && e->pending >= 0 && ps->layout_begun < change && e->state != DSM_M) {
        if (e->stash) {
            e->state = DSM_M; /* the bytes go in writable (unstash: I if they cannot) */
            r = unstash(ps, e, page);
        } else if (e->state == DSM_S) {
            r = ps->ops->protect(ps->opaque, page, PROT_READ | PROT_WRITE);
        } else {
            r = ps->ops->install(ps->opaque, page, zero_page, PROT_READ | PROT_WRITE);
        }
        if (!r) {
            e->state = DSM_M;
            ps->stats.stale_installs++;
            settle(ps, e);
        }
    }
    if (r && e && e->pending >= 0) {
        /* the change has begun: if this entry is the old page's, the
         * change forgets it; if it is the new page's (made after the
         * change's forget, with the change not yet done), its thread asks
         * again, and the ask after the change is done is answered */
        e->pending = -1;
        pthread_cond_broadcast(&ps->changed);
    }
    if (r) ps->stats.stale_refused++;
    pthread_mutex_unlock(&ps->lock);
    if (!r)
        notify(ps, page, DSM_EV_INSTALLED);
    else if (ps->ops->wake)
        ps->ops->wake(ps->opaque, page); /* they fault again, on what the change made */
    return r;
}

int dsm_pages_drop_stray(struct dsm_pages *ps, uint64_t page) {
    pthread_mutex_lock(&ps->lock);
    const struct dsm_page *e = get(ps, page, false);
    int r = e && (e->state != DSM_I || e->stash) ? 0 : ps->ops->drop(ps->opaque, page);
    pthread_mutex_unlock(&ps->lock);
    return r;
}

void dsm_pages_layout_begin(struct dsm_pages *ps, uint64_t id) {
    pthread_mutex_lock(&ps->lock);
    if (id > ps->layout_begun) ps->layout_begun = id;
    pthread_mutex_unlock(&ps->lock);
}

void dsm_pages_layout_done(struct dsm_pages *ps, uint64_t id) {
    pthread_mutex_lock(&ps->lock);
    if (id > ps->layout_done) ps->layout_done = id;
    pthread_mutex_unlock(&ps->lock);
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
    r = ps->ops->protect(ps->opaque, page, PROT_READ);
    /* -ENOENT: nothing is mapped there (a move's hole, until the change
     * forgets the page here): nothing can write it, and it copies out as
     * zeros */
    if (r && r != -ENOENT) goto out;
    r = 0;
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

int dsm_pages_on_fetch_run(struct dsm_pages *ps, uint64_t first, uint32_t n) {
    if (n < 1 || n > DSM_RUN_MAX || first + n < first) return -EINVAL;
    if (!ps->ops->protect_run) return -EAGAIN;
    struct dsm_page *es[DSM_RUN_MAX];
    int r = -EAGAIN;
    pthread_rwlock_wrlock(&ps->excl_lock);
    pthread_mutex_lock(&ps->lock);
    for (uint32_t i = 0; i < n; i++)
        if (!(es[i] = get(ps, first + i, false)) || es[i]->state != DSM_M) goto out;
    /* write-protect before the state says S, as one fetch does; a run
     * protected only in part stays M here and is fetched page by page
     * (protecting a protected page again changes nothing) */
    if (ps->ops->protect_run(ps->opaque, first, n, PROT_READ)) goto out;
    for (uint32_t i = 0; i < n; i++) {
        es[i]->state = DSM_S;
        es[i]->gen++;
        ps->stats.fetches++;
        settle(ps, es[i]);
    }
    r = 0;
out:
    pthread_mutex_unlock(&ps->lock);
    pthread_rwlock_unlock(&ps->excl_lock);
    for (uint32_t i = 0; i < n && !r; i++)
        notify(ps, first + i, DSM_EV_DROPPED);
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

void dsm_pages_relocations_drain(struct dsm_pages *ps) {
    pthread_rwlock_wrlock(&ps->excl_lock);
    pthread_mutex_lock(&ps->lock);
    pthread_mutex_unlock(&ps->lock);
    pthread_rwlock_unlock(&ps->excl_lock);
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
    int r = !e || e->state == DSM_I ? -EPROTO
            : e->stash              ? (memcpy(buf, e->stash, DSM_PAGE_SIZE), 0)
                                    : ps->ops->copy_out(ps->opaque, page, buf);
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
        /* the host has the bytes: a tripwire's own are older */
        free(e->stash);
        e->stash = NULL;
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
    if (e) free(e->stash);
    free(e);
}

void dsm_pages_forget(struct dsm_pages *ps, uint64_t first, uint64_t n) {
    dsm_pages_forget_with(ps, first, n, NULL, NULL);
}

void dsm_pages_forget_with(struct dsm_pages *ps, uint64_t first, uint64_t n,
                           void (*change)(void *arg), void *arg) {
    pthread_mutex_lock(&ps->lock);
    if (change) change(arg);
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
