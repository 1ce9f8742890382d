#define _GNU_SOURCE
#include "syscall/stats.h"

#include <stdio.h>
#include <time.h>

#include "common/config.h"
#include "common/log.h"
#include "syscall/task.h"

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void stats_init(struct run_stats *s, const char *path)
{
    s->path = path;
    s->start_ns = now_ns();
    pthread_mutex_init(&s->lock, NULL);
}

void stats_task_start(struct run_stats *s, struct task *t)
{
    atomic_fetch_add(&s->threads, 1);
    pthread_mutex_lock(&s->lock);
    t->stats_next = s->live;
    t->stats_prev = NULL;
    if (s->live) s->live->stats_prev = t;
    s->live = t;
    pthread_mutex_unlock(&s->lock);
}

void stats_task_end(struct run_stats *s, struct task *t)
{
    pthread_mutex_lock(&s->lock);
    if (t->stats_prev) t->stats_prev->stats_next = t->stats_next;
    else if (s->live == t) s->live = t->stats_next;
    if (t->stats_next) t->stats_next->stats_prev = t->stats_prev;
    atomic_fetch_add(&s->insns_done, t->cpu.icount);
    pthread_mutex_unlock(&s->lock);
}

void stats_write(struct process *p, int exit_status, int signo)
{
    struct run_stats *s = &p->stats;
    if (!s->path) return;
    /* Other threads may still be running: their counts are a snapshot. */
    pthread_mutex_lock(&s->lock);
    uint64_t insns = s->insns_done;
    for (struct task *t = s->live; t; t = t->stats_next) insns += t->cpu.icount;
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
