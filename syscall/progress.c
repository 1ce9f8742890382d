#define _GNU_SOURCE
#include "syscall/progress.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "common/clock_sync.h"
#include "common/detached_thread.h"
#include "common/fd_io.h"
#include "dbt/dbt.h"
#include "syscall/host_signal.h"
#include "syscall/own_fds.h"
#include "syscall/task.h"

struct progress {
    struct process *p;
    unsigned interval_ms;
    int fd;
    progress_line_fn line;
    void *ctx;
    struct progress_lone lone; /* line == NULL */
};

static void *reporter(void *arg) {
    struct progress *r = arg;
    uint64_t last = r->p->stats.start_ns;
    for (;;) {
        struct timespec ts = {r->interval_ms / 1000, (long)(r->interval_ms % 1000) * 1000000};
        while (nanosleep(&ts, &ts) && errno == EINTR)
            continue;
        uint64_t now = clock_mono_ns();
        char text[1024], out[1100];
        double dt = (double)(now - last) / 1e9;
        if (dt <= 0) dt = 1e-9;
        if (r->line)
            r->line(r->ctx, r->p, dt, text, sizeof text);
        else
            progress_lone_line(&r->lone, r->p, dt, text, sizeof text);
        last = now;
        int n = snprintf(out, sizeof out, "shoal: %.1f s: %s\n",
                         (double)(now - r->p->stats.start_ns) / 1e9, text);
        /* one write: a line is never cut by the guest's own stderr output */
        if (n > 0) fd_write_all(r->fd, out, (size_t)n < sizeof out ? (size_t)n : sizeof out - 1);
    }
    return NULL;
}

int progress_start(struct process *p, unsigned interval_ms, progress_line_fn line, void *ctx) {
    struct progress *r = calloc(1, sizeof *r);
    if (!r) return -ENOMEM;
    *r = (struct progress){.p = p, .interval_ms = interval_ms, .line = line, .ctx = ctx};
    r->fd = own_fds_dup_high(2);
    /* the reporter is no guest thread: it starts with every signal
     * blocked, so the host kernel never gives it one of the guest's */
    uint64_t mask = host_signal_block_all();
    int e = r->fd < 0 ? -r->fd : thread_start_detached(NULL, 0, reporter, r);
    host_signal_restore(mask);
    if (e) {
        if (r->fd >= 0) close(r->fd);
        free(r);
        return -e;
    }
    return 0;
}

unsigned long long progress_rate(unsigned long long now, unsigned long long *was, double dt_s) {
    unsigned long long d = now >= *was ? now - *was : 0;
    *was = now;
    return (unsigned long long)((double)d / dt_s + 0.5);
}

void progress_lone_line(void *ctx, struct process *p, double dt_s, char *buf, size_t len) {
    struct progress_lone *l = ctx;
    struct dbt_stats ds;
    dbt_get_stats(p->dbt, &ds);
    int threads = atomic_load(&p->live_threads);
    unsigned long long sc = progress_rate(atomic_load(&p->stats.syscalls), &l->syscalls, dt_s);
    unsigned long long tb = progress_rate(ds.blocks_translated, &l->blocks, dt_s);
    char mips[48] = "";
    if (dbt_get_options(p->dbt)->count_insns)
        snprintf(mips, sizeof mips, ", %.1f guest MIPS",
                 (double)progress_rate(stats_insns(&p->stats), &l->insns, dt_s) / 1e6);
    snprintf(buf, len, "%d thread%s%s, %llu syscalls/s, %llu blocks translated/s", threads,
             threads == 1 ? "" : "s", mips, sc, tb);
}
