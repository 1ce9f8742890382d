#define _GNU_SOURCE
#include "cluster/fault_trace.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

struct fault_wait {
    int tid;
    uint64_t page, t0;
    struct fault_wait *next; /* on the same page */
};

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void fault_trace_init(struct fault_trace *ft, struct run_stats *stats, uint64_t events_max) {
    memset(ft, 0, sizeof *ft);
    ft->stats = stats;
    ft->events_max = events_max;
    pthread_mutex_init(&ft->lock, NULL);
    u64map_init(&ft->by_page);
    u64map_init(&ft->by_tid);
}

void fault_trace_fini(struct fault_trace *ft) {
    uint64_t k;
    void *v;
    for (size_t i = 0; u64map_next(&ft->by_tid, &i, &k, &v);)
        free(v);
    u64map_fini(&ft->by_page);
    u64map_fini(&ft->by_tid);
    free(ft->ev);
    ft->ev = NULL;
    ft->nev = ft->capev = 0;
}

/* Takes w off its page's list (under lock). */
static void unlink_wait(struct fault_trace *ft, struct fault_wait *w) {
    struct fault_wait *head = u64map_get(&ft->by_page, w->page);
    if (head == w) {
        if (w->next)
            u64map_put(&ft->by_page, w->page, w->next);
        else
            u64map_del(&ft->by_page, w->page);
        return;
    }
    for (struct fault_wait *p = head; p; p = p->next)
        if (p->next == w) {
            p->next = w->next;
            return;
        }
}

void fault_trace_parked(struct fault_trace *ft, uint64_t page, int tid) {
    if (!ft->stats || tid <= 0) return;
    struct fault_wait *w = malloc(sizeof *w);
    if (!w) return;
    *w = (struct fault_wait){tid, page, now_ns(), NULL};
    pthread_mutex_lock(&ft->lock);
    struct fault_wait *old = u64map_get(&ft->by_tid, (uint64_t)tid);
    if (old) unlink_wait(ft, old); /* woken without our knowing (a remap): not counted */
    w->next = u64map_get(&ft->by_page, page);
    if (u64map_put(&ft->by_page, page, w) || u64map_put(&ft->by_tid, (uint64_t)tid, w)) {
        unlink_wait(ft, w);
        u64map_del(&ft->by_tid, (uint64_t)tid);
        free(w);
    }
    pthread_mutex_unlock(&ft->lock);
    free(old);
}

void fault_trace_unparked(struct fault_trace *ft, int tid) {
    if (!ft->stats || tid <= 0) return;
    pthread_mutex_lock(&ft->lock);
    struct fault_wait *w = u64map_del(&ft->by_tid, (uint64_t)tid);
    if (w) unlink_wait(ft, w);
    pthread_mutex_unlock(&ft->lock);
    if (w) stats_add_fault_ns(ft->stats, w->tid, now_ns() - w->t0);
    free(w);
}

void fault_trace_installed(struct fault_trace *ft, uint64_t page) {
    if (!ft->stats) return;
    pthread_mutex_lock(&ft->lock);
    struct fault_wait *w = u64map_del(&ft->by_page, page);
    for (struct fault_wait *p = w; p; p = p->next)
        u64map_del(&ft->by_tid, (uint64_t)p->tid);
    pthread_mutex_unlock(&ft->lock);
    if (!w) return;
    uint64_t now = now_ns();
    while (w) {
        struct fault_wait *next = w->next;
        stats_add_fault_ns(ft->stats, w->tid, now - w->t0);
        free(w);
        w = next;
    }
}

void fault_trace_request(struct fault_trace *ft, uint64_t page, unsigned kind) {
    if (!ft->events_max) return;
    uint64_t t = now_ns();
    pthread_mutex_lock(&ft->lock);
    if (ft->nev == ft->capev && ft->capev < ft->events_max) {
        size_t cap = ft->capev ? 2 * ft->capev : 1024;
        if (cap > ft->events_max) cap = (size_t)ft->events_max;
        struct page_event *v = realloc(ft->ev, cap * sizeof *v);
        if (v) {
            ft->ev = v;
            ft->capev = cap;
        }
    }
    if (ft->nev < ft->capev)
        ft->ev[ft->nev++] = (struct page_event){t, page, kind};
    else
        ft->dropped++;
    pthread_mutex_unlock(&ft->lock);
}

struct page_event *fault_trace_events(struct fault_trace *ft, size_t *n, uint64_t *dropped) {
    pthread_mutex_lock(&ft->lock);
    struct page_event *v = ft->nev ? malloc(ft->nev * sizeof *v) : NULL;
    *n = v ? ft->nev : 0;
    if (v) memcpy(v, ft->ev, ft->nev * sizeof *v);
    *dropped = ft->dropped + (v ? 0 : ft->nev);
    pthread_mutex_unlock(&ft->lock);
    return v;
}
