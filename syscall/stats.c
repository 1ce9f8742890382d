#define _GNU_SOURCE
#include "syscall/stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/config.h"
#include "common/log.h"
#include "syscall/cpu_time.h"
#include "syscall/task.h"

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void stats_init(struct run_stats *s, const char *path) {
    s->path = path;
    s->start_ns = now_ns();
    pthread_mutex_init(&s->lock, NULL);
}

bool stats_timing(const struct run_stats *s) {
    return s->path || s->timing;
}

uint64_t stats_page_events_max(const struct run_stats *s) {
    if (s->page_events_max) return s->page_events_max;
    if (!s->path || !s->config || !s->config->stats.page_events) return 0;
    return s->config->stats.page_events_max;
}

/* ---- thread clocks ---- */

/* The open segment's time so far, less the faults inside it. */
static int64_t open_ns(struct stats_clock *c, uint64_t now) {
    uint64_t start = atomic_load_explicit(&c->seg_start, memory_order_relaxed);
    uint64_t f0 = atomic_load_explicit(&c->seg_fault, memory_order_relaxed);
    uint64_t f1 = atomic_load_explicit(&c->fault_ns, memory_order_relaxed);
    return (int64_t)(now - start) - (int64_t)(f1 - f0);
}

void stats_clock_switch(struct stats_clock *c, enum stats_phase to) {
    if (!c) return;
    uint64_t now = now_ns();
    int from = atomic_load_explicit(&c->seg_phase, memory_order_relaxed);
    atomic_fetch_add_explicit(&c->ns[from], open_ns(c, now), memory_order_relaxed);
    atomic_store_explicit(&c->seg_fault, atomic_load_explicit(&c->fault_ns, memory_order_relaxed),
                          memory_order_relaxed);
    atomic_store_explicit(&c->seg_start, now, memory_order_relaxed);
    atomic_store_explicit(&c->seg_phase, (int)to, memory_order_relaxed);
}

enum stats_phase stats_syscall_phase(uint64_t nr, uint64_t a1) {
    enum { NR_FUTEX = 98, NR_FUTEX_WAITV = 449 }; /* asm-generic */
    if (nr == NR_FUTEX_WAITV) return STATS_WAIT;
    if (nr != NR_FUTEX) return STATS_SYSCALL;
    switch (a1 & 127) { /* the op without FUTEX_PRIVATE_FLAG and FUTEX_CLOCK_REALTIME */
    case 0:             /* FUTEX_WAIT */
    case 6:             /* FUTEX_LOCK_PI */
    case 9:             /* FUTEX_WAIT_BITSET */
    case 11:            /* FUTEX_WAIT_REQUEUE_PI */
    case 13: /* FUTEX_LOCK_PI2 */ return STATS_WAIT;
    default: return STATS_SYSCALL;
    }
}

/* Index of the first ref with host_tid >= tid (under lock). */
static size_t clock_pos(const struct run_stats *s, int tid) {
    size_t lo = 0, hi = s->nclocks;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (s->clocks[mid].host_tid < tid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

struct stats_clock *stats_thread_running(struct run_stats *s, struct task *t) {
    if (!stats_timing(s)) return NULL;
    struct stats_clock *c = calloc(1, sizeof *c);
    if (!c) return NULL; /* no times for this thread */
    c->host_tid = t->host_tid;
    atomic_store(&c->seg_start, now_ns());
    atomic_store(&c->seg_phase, STATS_EXEC);
    pthread_mutex_lock(&s->lock);
    if (s->nclocks == s->capclocks) {
        size_t cap = s->capclocks ? 2 * s->capclocks : 16;
        struct stats_clock_ref *v = realloc(s->clocks, cap * sizeof *v);
        if (v) {
            s->clocks = v;
            s->capclocks = cap;
        }
    }
    if (s->nclocks < s->capclocks) {
        size_t i = clock_pos(s, c->host_tid);
        memmove(&s->clocks[i + 1], &s->clocks[i], (s->nclocks - i) * sizeof s->clocks[0]);
        s->clocks[i] = (struct stats_clock_ref){c->host_tid, c};
        s->nclocks++;
    } /* else: no room in the index, the thread's faults go uncounted */
    t->stats_clock = c;
    pthread_mutex_unlock(&s->lock);
    return c;
}

void stats_add_fault_ns(struct run_stats *s, int host_tid, uint64_t ns) {
    pthread_mutex_lock(&s->lock);
    size_t i = clock_pos(s, host_tid);
    if (i < s->nclocks && s->clocks[i].host_tid == host_tid)
        atomic_fetch_add_explicit(&s->clocks[i].c->fault_ns, ns, memory_order_relaxed);
    pthread_mutex_unlock(&s->lock);
}

/* A thread's entry: its counts, the open segment included (under lock). */
static struct stats_thread thread_entry(struct task *t, uint64_t now) {
    struct stats_thread e = {.tid = t->tid, .insns = t->cpu.icount};
    struct stats_clock *c = t->stats_clock;
    if (!c) return e;
    int64_t ns[STATS_PHASES];
    for (int k = 0; k < STATS_PHASES; k++)
        ns[k] = atomic_load_explicit(&c->ns[k], memory_order_relaxed);
    int open = atomic_load_explicit(&c->seg_phase, memory_order_relaxed);
    if (open >= 0 && open < STATS_PHASES) ns[open] += open_ns(c, now);
    /* a fault added late (after its thread moved on) can make a phase
     * briefly negative: such time is counted in fault_ns already */
    e.exec_ns = ns[STATS_EXEC] > 0 ? (uint64_t)ns[STATS_EXEC] : 0;
    e.syscall_ns = ns[STATS_SYSCALL] > 0 ? (uint64_t)ns[STATS_SYSCALL] : 0;
    e.wait_ns = ns[STATS_WAIT] > 0 ? (uint64_t)ns[STATS_WAIT] : 0;
    e.fault_ns = atomic_load_explicit(&c->fault_ns, memory_order_relaxed);
    return e;
}

void stats_thread_times_json(FILE *f, const struct stats_thread *v, size_t n, unsigned node,
                             int indent) {
    fputc('[', f);
    for (size_t i = 0; i < n; i++)
        fprintf(f,
                "%s\n%*s{\"tid\": %d, \"node\": %u, \"exec_s\": %.6f, \"fault_s\": %.6f, "
                "\"syscall_s\": %.6f, \"wait_s\": %.6f}",
                i ? "," : "", indent + 2, "", v[i].tid, node, (double)v[i].exec_ns / 1e9,
                (double)v[i].fault_ns / 1e9, (double)v[i].syscall_ns / 1e9,
                (double)v[i].wait_ns / 1e9);
    fprintf(f, "%s%*s]", n ? "\n" : "", n ? indent : 0, "");
}

void stats_task_start(struct run_stats *s, struct task *t) {
    atomic_fetch_add(&s->threads, 1);
    pthread_mutex_lock(&s->lock);
    t->stats_next = s->live;
    t->stats_prev = NULL;
    if (s->live) s->live->stats_prev = t;
    s->live = t;
    pthread_mutex_unlock(&s->lock);
}

/* Appends e to the ended threads' entries (under lock), which only
 * --stats reads: a run without it keeps none, however many threads. */
static void add_ended(struct run_stats *s, struct stats_thread e) {
    if (!stats_timing(s)) return;
    if (s->nended == s->capended) {
        size_t cap = s->capended ? 2 * s->capended : 16;
        struct stats_thread *v = realloc(s->ended, cap * sizeof *v);
        if (v) {
            s->ended = v;
            s->capended = cap;
        }
    }
    if (s->nended < s->capended) s->ended[s->nended++] = e;
}

/* Takes t's clock out of the index (under lock); the caller frees it. */
static struct stats_clock *drop_clock(struct run_stats *s, struct task *t) {
    struct stats_clock *c = t->stats_clock;
    if (c) {
        size_t i = clock_pos(s, c->host_tid);
        if (i < s->nclocks && s->clocks[i].c == c) {
            memmove(&s->clocks[i], &s->clocks[i + 1], (s->nclocks - i - 1) * sizeof s->clocks[0]);
            s->nclocks--;
        }
        t->stats_clock = NULL;
    }
    return c;
}

void stats_task_moved(struct run_stats *s, struct task *t) {
    uint64_t now = now_ns();
    pthread_mutex_lock(&s->lock);
    atomic_fetch_add(&s->insns_done, t->cpu.icount);
    add_ended(s, thread_entry(t, now));
    t->cpu.icount = 0;
    struct stats_clock *c = drop_clock(s, t);
    pthread_mutex_unlock(&s->lock);
    free(c);
}

void stats_task_end(struct run_stats *s, struct task *t) {
    uint64_t now = now_ns();
    pthread_mutex_lock(&s->lock);
    if (t->stats_prev)
        t->stats_prev->stats_next = t->stats_next;
    else if (s->live == t)
        s->live = t->stats_next;
    if (t->stats_next) t->stats_next->stats_prev = t->stats_prev;
    atomic_fetch_add(&s->insns_done, t->cpu.icount);
    cpu_usage_ended(s, t);
    add_ended(s, thread_entry(t, now));
    struct stats_clock *c = drop_clock(s, t);
    pthread_mutex_unlock(&s->lock);
    free(c); /* out of the index: the fault path can no longer reach it */
}

void stats_forked_child(struct run_stats *s, struct task *t) {
    pthread_mutex_init(&s->lock, NULL);
    s->live = t;
    t->stats_next = t->stats_prev = NULL;
}

void stats_syscall(struct run_stats *s, unsigned nr, bool delegated) {
    if (nr >= STATS_NR_MAX) return;
    atomic_fetch_add_explicit(delegated ? &s->delegated_nr[nr] : &s->by_nr[nr], 1,
                              memory_order_relaxed);
}

static int by_tid(const void *a, const void *b) {
    const struct stats_thread *x = a, *y = b;
    return (x->tid > y->tid) - (x->tid < y->tid);
}

/* One entry per thread: a thread that moved away and came back has an
 * entry per stay here, summed. */
static size_t merge_stays(struct stats_thread *v, size_t n) {
    if (n < 2) return n;
    qsort(v, n, sizeof *v, by_tid);
    size_t k = 0;
    for (size_t i = 1; i < n; i++) {
        if (v[i].tid != v[k].tid) {
            v[++k] = v[i];
            continue;
        }
        v[k].insns += v[i].insns;
        v[k].exec_ns += v[i].exec_ns;
        v[k].fault_ns += v[i].fault_ns;
        v[k].syscall_ns += v[i].syscall_ns;
        v[k].wait_ns += v[i].wait_ns;
    }
    return k + 1;
}

struct stats_thread *stats_threads(struct run_stats *s, size_t *n) {
    uint64_t now = now_ns();
    pthread_mutex_lock(&s->lock);
    size_t live = 0;
    for (struct task *t = s->live; t; t = t->stats_next)
        live++;
    struct stats_thread *v = malloc((s->nended + live + 1) * sizeof *v);
    *n = 0;
    if (v) {
        if (s->nended) memcpy(v, s->ended, s->nended * sizeof *v); /* ended may be NULL */
        *n = s->nended;
        for (struct task *t = s->live; t; t = t->stats_next)
            v[(*n)++] = thread_entry(t, now);
    }
    pthread_mutex_unlock(&s->lock);
    if (v) *n = merge_stays(v, *n);
    return v;
}

uint64_t stats_insns(struct run_stats *s) {
    /* other threads may still be running: their counts are a snapshot */
    pthread_mutex_lock(&s->lock);
    uint64_t insns = s->insns_done;
    for (struct task *t = s->live; t; t = t->stats_next)
        insns += t->cpu.icount;
    pthread_mutex_unlock(&s->lock);
    return insns;
}

void stats_write(struct process *p, int exit_status, int signo) {
    struct run_stats *s = &p->stats;
    if (!s->path) return;
    if (s->writer) {
        s->writer(s->writer_ctx, p, exit_status, signo);
        return;
    }
    uint64_t insns = stats_insns(s);
    struct dbt_stats ds;
    dbt_get_stats(p->dbt, &ds);
    double wall = (double)(now_ns() - s->start_ns) / 1e9;
    FILE *f = fopen(s->path, "w");
    if (!f) {
        log_error("--stats %s: cannot write", s->path);
        return;
    }
    fprintf(f,
            "{\n  \"nodes\": 1,\n  \"wall_s\": %.6f,\n  \"exit_status\": %d,\n  \"signal\": %d,\n"
            "  \"guest_insns\": %llu,\n  \"guest_mips\": %.3f,\n  \"threads\": %llu,\n"
            "  \"syscalls\": %llu,\n  \"blocks_translated\": %llu,\n"
            "  \"guest_insns_translated\": %llu,\n  \"jit_flushes\": %llu,\n"
            "  \"jit_nz_receivers\": %llu",
            wall, exit_status, signo, (unsigned long long)insns,
            wall > 0 ? (double)insns / wall / 1e6 : 0.0, (unsigned long long)s->threads,
            (unsigned long long)s->syscalls, (unsigned long long)ds.blocks_translated,
            (unsigned long long)ds.guest_insns_translated, (unsigned long long)ds.jit_flushes,
            (unsigned long long)ds.jit_nz_receivers);
    size_t nt = 0;
    struct stats_thread *tv = stats_timing(s) ? stats_threads(s, &nt) : NULL;
    if (tv) {
        fputs(",\n  \"thread_times\": ", f);
        stats_thread_times_json(f, tv, nt, 0, 2);
    }
    free(tv);
    /* one node has no DSM, so no page faults: the field says so */
    if (stats_page_events_max(s))
        fprintf(f, ",\n  \"page_faults\": {\"page_size\": 4096, \"events\": [], "
                   "\"events_dropped\": 0}");
    if (s->config) {
        fputs(",\n  \"config\": ", f);
        config_write_json(s->config, f);
    }
    fputs("\n}\n", f);
    fclose(f);
}
