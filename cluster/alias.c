/* One node's table of aliased guest pages (alias.h). */
#include "cluster/alias.h"

#include <stdlib.h>
#include <string.h>

#include "common/array.h"
#include "common/log.h"

void alias_init(struct alias_table *t) {
    memset(t, 0, sizeof *t);
    pthread_mutex_init(&t->lock, NULL);
    u64map_init(&t->active);
}

void alias_fini(struct alias_table *t) {
    free(t->v);
    u64map_fini(&t->active);
    pthread_mutex_destroy(&t->lock);
    memset(t, 0, sizeof *t);
}

/* lock held */
static void push(struct alias_table *t, struct alias_range r) {
    if (t->n == t->cap) {
        struct alias_range *v = array_grow(t->v, &t->cap, t->n + 1, sizeof *v, 8);
        SHOAL_ASSERT(v);
        t->v = v;
    }
    t->v[t->n++] = r;
    atomic_store(&t->live, t->n);
}

void alias_add(struct alias_table *t, uint64_t first, uint64_t n, uint64_t key) {
    if (!n) return;
    pthread_mutex_lock(&t->lock);
    push(t, (struct alias_range){first, n, key});
    pthread_mutex_unlock(&t->lock);
}

struct span {
    uint64_t a, b;
};

static int span_cmp(const void *x, const void *y) {
    const struct span *p = x, *q = y;
    return p->a < q->a ? -1 : p->a > q->a;
}

struct list {
    uint64_t (*v)[2];
    size_t n, cap;
};

static void list_add(struct list *l, uint64_t x, uint64_t y) {
    if (l->n == l->cap) {
        void *v = array_grow(l->v, &l->cap, l->n + 1, sizeof *l->v, 16);
        SHOAL_ASSERT(v);
        l->v = v;
    }
    l->v[l->n][0] = x;
    l->v[l->n][1] = y;
    l->n++;
}

/* lock held: the keys of [k0, k1) no range shows any more go to dead
 * (as runs: key, count). */
static void dead_keys(struct alias_table *t, uint64_t k0, uint64_t k1, struct list *dead) {
    struct span *s = NULL;
    size_t ns = 0;
    for (size_t i = 0; i < t->n; i++) {
        uint64_t a = t->v[i].key, b = t->v[i].key + t->v[i].n;
        if (b <= k0 || a >= k1) continue;
        struct span *ns_ = realloc(s, (ns + 1) * sizeof *s);
        SHOAL_ASSERT(ns_);
        s = ns_;
        s[ns++] = (struct span){a > k0 ? a : k0, b < k1 ? b : k1};
    }
    if (ns) qsort(s, ns, sizeof *s, span_cmp); /* s is NULL when empty */
    uint64_t cur = k0;
    for (size_t i = 0; i < ns; i++) {
        if (s[i].a > cur) list_add(dead, cur, s[i].a - cur);
        if (s[i].b > cur) cur = s[i].b;
    }
    if (cur < k1) list_add(dead, cur, k1 - cur);
    free(s);
}

/* lock held: the pages of [first, first+n) (showing key..) that are
 * their key's active page, listed as (page, key). Their marks stay: the
 * caller moves the bytes (or a fault does it first, from the mark). */
static void list_active(struct alias_table *t, uint64_t first, uint64_t n, uint64_t key,
                        struct list *gone) {
    if (t->active.n < n) {
        size_t it = 0;
        uint64_t kk;
        void *v;
        while (u64map_next(&t->active, &it, &kk, &v)) {
            uint64_t pg = (uint64_t)(uintptr_t)v - 1;
            if (pg >= first && pg - first < n && kk == key + (pg - first)) list_add(gone, pg, kk);
        }
        return;
    }
    for (uint64_t i = 0; i < n; i++) {
        void *v = u64map_get(&t->active, key + i);
        if (v && (uint64_t)(uintptr_t)v - 1 == first + i) list_add(gone, first + i, key + i);
    }
}

void alias_remove(struct alias_table *t, uint64_t first, uint64_t n,
                  void (*gone)(void *arg, uint64_t page, uint64_t key),
                  void (*dead)(void *arg, uint64_t key), void *arg) {
    if (!n || !atomic_load_explicit(&t->live, memory_order_relaxed)) return;
    struct list gl = {0}, dl = {0}, cut = {0}; /* cut: (key, count) removed */
    uint64_t end = first + n;
    pthread_mutex_lock(&t->lock);
    for (size_t i = 0; i < t->n;) {
        struct alias_range r = t->v[i];
        uint64_t rend = r.first + r.n;
        if (rend <= first || r.first >= end) {
            i++;
            continue;
        }
        uint64_t lo = r.first > first ? r.first : first, hi = rend < end ? rend : end;
        uint64_t klo = r.key + (lo - r.first);
        list_active(t, lo, hi - lo, klo, &gl);
        list_add(&cut, klo, hi - lo);
        /* what stays of r: a head, a tail, both, or nothing */
        t->v[i] = t->v[--t->n];
        if (r.first < lo) push(t, (struct alias_range){r.first, lo - r.first, r.key});
        if (rend > hi) push(t, (struct alias_range){hi, rend - hi, r.key + (hi - r.first)});
        atomic_store(&t->live, t->n);
        /* pushed pieces land at the end, past i, and lie outside the
         * range: looked at again, they are skipped */
    }
    for (size_t i = 0; i < cut.n; i++)
        dead_keys(t, cut.v[i][0], cut.v[i][0] + cut.v[i][1], &dl);
    /* a key no page shows has no place here any more */
    for (size_t i = 0; i < dl.n; i++)
        for (uint64_t k = 0; k < dl.v[i][1]; k++)
            u64map_del(&t->active, dl.v[i][0] + k);
    pthread_mutex_unlock(&t->lock);
    for (size_t i = 0; gone && i < gl.n; i++)
        gone(arg, gl.v[i][0], gl.v[i][1]);
    for (size_t i = 0; dead && i < dl.n; i++)
        for (uint64_t k = 0; k < dl.v[i][1]; k++)
            dead(arg, dl.v[i][0] + k);
    free(gl.v);
    free(dl.v);
    free(cut.v);
}

/* lock held */
static uint64_t key_locked(const struct alias_table *t, uint64_t page) {
    for (size_t i = 0; i < t->n; i++)
        if (page >= t->v[i].first && page - t->v[i].first < t->v[i].n)
            return t->v[i].key + (page - t->v[i].first);
    return page;
}

uint64_t alias_key(struct alias_table *t, uint64_t page) {
    if (!atomic_load_explicit(&t->live, memory_order_relaxed)) return page;
    pthread_mutex_lock(&t->lock);
    uint64_t k = key_locked(t, page);
    pthread_mutex_unlock(&t->lock);
    return k;
}

/* lock held */
static size_t pages_locked(const struct alias_table *t, uint64_t key, uint64_t *out, size_t max) {
    size_t k = 0;
    for (size_t i = 0; i < t->n; i++)
        if (key >= t->v[i].key && key - t->v[i].key < t->v[i].n) {
            if (k < max) out[k] = t->v[i].first + (key - t->v[i].key);
            k++;
        }
    return k;
}

size_t alias_pages(struct alias_table *t, uint64_t key, uint64_t *out, size_t max) {
    pthread_mutex_lock(&t->lock);
    size_t k = pages_locked(t, key, out, max);
    pthread_mutex_unlock(&t->lock);
    return k;
}

uint64_t alias_active(struct alias_table *t, uint64_t key) {
    pthread_mutex_lock(&t->lock);
    void *v = u64map_get(&t->active, key);
    pthread_mutex_unlock(&t->lock);
    return v ? (uint64_t)(uintptr_t)v - 1 : 0;
}

uint64_t alias_place(struct alias_table *t, uint64_t key) {
    pthread_mutex_lock(&t->lock);
    void *v = u64map_get(&t->active, key);
    uint64_t pg = v ? (uint64_t)(uintptr_t)v - 1 : 0;
    if (!v) {
        for (size_t i = 0; i < t->n; i++)
            if (key >= t->v[i].key && key - t->v[i].key < t->v[i].n) {
                uint64_t p = t->v[i].first + (key - t->v[i].key);
                if (!pg || p < pg) pg = p;
            }
        if (pg) SHOAL_ASSERT(!u64map_put(&t->active, key, (void *)(uintptr_t)(pg + 1)));
    }
    pthread_mutex_unlock(&t->lock);
    return pg;
}

void alias_set_active(struct alias_table *t, uint64_t key, uint64_t page) {
    pthread_mutex_lock(&t->lock);
    SHOAL_ASSERT(!u64map_put(&t->active, key, (void *)(uintptr_t)(page + 1)));
    pthread_mutex_unlock(&t->lock);
}

bool alias_activate(struct alias_table *t, uint64_t key, uint64_t page) {
    pthread_mutex_lock(&t->lock);
    bool ok = key_locked(t, page) == key;
    if (ok) SHOAL_ASSERT(!u64map_put(&t->active, key, (void *)(uintptr_t)(page + 1)));
    pthread_mutex_unlock(&t->lock);
    return ok;
}

bool alias_obj_live(struct alias_table *t, uint64_t obj) {
    pthread_mutex_lock(&t->lock);
    bool live = false;
    for (size_t i = 0; i < t->n && !live; i++)
        live = alias_obj_of(t->v[i].key) == obj;
    pthread_mutex_unlock(&t->lock);
    return live;
}
