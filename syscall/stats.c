#define _GNU_SOURCE
#include "syscall/stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/config.h"
#include "common/log.h"
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

void stats_task_start(struct run_stats *s, struct task *t) {
    atomic_fetch_add(&s->threads, 1);
    pthread_mutex_lock(&s->lock);
    t->stats_next = s->live;
    t->stats_prev = NULL;
    if (s->live) s->live->stats_prev = t;
    s->live = t;
    pthread_mutex_unlock(&s->lock);
}

void stats_task_end(struct run_stats *s, struct task *t) {
    pthread_mutex_lock(&s->lock);
    if (t->stats_prev)
        t->stats_prev->stats_next = t->stats_next;
    else if (s->live == t)
        s->live = t->stats_next;
    if (t->stats_next) t->stats_next->stats_prev = t->stats_prev;
    atomic_fetch_add(&s->insns_done, t->cpu.icount);
    if (s->nended == s->capended) {
        size_t cap = s->capended ? 2 * s->capended : 16;
        struct stats_thread *v = realloc(s->ended, cap * sizeof *v);
        if (v) {
            s->ended = v;
            s->capended = cap;
        }
    }
    if (s->nended < s->capended)
        s->ended[s->nended++] = (struct stats_thread){t->tid, t->cpu.icount};
    pthread_mutex_unlock(&s->lock);
}

void stats_syscall(struct run_stats *s, unsigned nr, bool delegated) {
    if (nr >= STATS_NR_MAX) return;
    atomic_fetch_add_explicit(delegated ? &s->delegated_nr[nr] : &s->by_nr[nr], 1,
                              memory_order_relaxed);
}

struct stats_thread *stats_threads(struct run_stats *s, size_t *n) {
    pthread_mutex_lock(&s->lock);
    size_t live = 0;
    for (struct task *t = s->live; t; t = t->stats_next)
        live++;
    struct stats_thread *v = malloc((s->nended + live + 1) * sizeof *v);
    *n = 0;
    if (v) {
        memcpy(v, s->ended, s->nended * sizeof *v);
        *n = s->nended;
        for (struct task *t = s->live; t; t = t->stats_next)
            v[(*n)++] = (struct stats_thread){t->tid, t->cpu.icount};
    }
    pthread_mutex_unlock(&s->lock);
    return v;
}

void stats_write(struct process *p, int exit_status, int signo) {
    struct run_stats *s = &p->stats;
    if (!s->path) return;
    if (s->writer) {
        s->writer(s->writer_ctx, p, exit_status, signo);
        return;
    }
    /* Other threads may still be running: their counts are a snapshot. */
    pthread_mutex_lock(&s->lock);
    uint64_t insns = s->insns_done;
    for (struct task *t = s->live; t; t = t->stats_next)
        insns += t->cpu.icount;
    pthread_mutex_unlock(&s->lock);
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
            "  \"guest_insns_translated\": %llu",
            wall, exit_status, signo, (unsigned long long)insns,
            wall > 0 ? (double)insns / wall / 1e6 : 0.0, (unsigned long long)s->threads,
            (unsigned long long)s->syscalls, (unsigned long long)ds.blocks_translated,
            (unsigned long long)ds.guest_insns_translated);
    if (s->config) {
        fputs(",\n  \"config\": ", f);
        config_write_json(s->config, f);
    }
    fputs("\n}\n", f);
    fclose(f);
}
