/* A cluster run's progress line ([stats] progress_ms; syscall/progress.h):
 * each node's CPU use and, when they are counted, the guest instructions
 * its threads ran (one CpuUsageQuery to the slaves per line), and
 * what the master sees of every node without asking them: the live
 * threads per node (the placement's count), the directory's page
 * requests by kind with the invalidations and fetches they caused and
 * the pages pushed ahead, node 0's system calls with those it ran for
 * other nodes, and the bytes on the master's links. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "dbt/dbt.h"
#include "master/master_internal.h"
#include "sched/placement.h"
#include "syscall/progress.h"
#include "syscall/task.h"

struct mprogress {
    struct master *m;
    int64_t *cpu_ns, *cpu_now;  /* by node; -1: unknown */
    int64_t *insns, *insns_now; /* by node; -1: unknown */
    unsigned long long reads, writes, upgrades, inv, push, syscalls, delegated, tx, rx;
};

/* "a b c" into buf: each node's counter now less before, over `per`
 * (fmt: a separator and a double), "?" where either is unknown; before
 * becomes now. */
static void by_node_rates(char *buf, size_t len, const int64_t *now, int64_t *before,
                          unsigned nodes, const char *fmt, double per) {
    size_t at = 0;
    for (unsigned n = 0; n < nodes && at < len; n++) {
        const char *sep = n ? " " : "";
        if (now[n] < 0 || before[n] < 0 || now[n] < before[n])
            at += (size_t)snprintf(buf + at, len - at, "%s?", sep);
        else
            at +=
                (size_t)snprintf(buf + at, len - at, fmt, sep, (double)(now[n] - before[n]) / per);
        before[n] = now[n];
    }
}

static void line(void *ctx, struct process *p, double dt, char *buf, size_t len) {
    struct mprogress *g = ctx;
    struct master *m = g->m;
    size_t at = 0;
    unsigned total = 0;
    char per[512] = "";
    for (unsigned n = 0; n < m->cfg.nodes; n++) {
        unsigned k = m->sched ? sched_node_load(m->sched, n) : 0;
        total += k;
        if (at < sizeof per)
            at += (size_t)snprintf(per + at, sizeof per - at, "%s%u", n ? " " : "", k);
    }
    /* CPU use as top shows it: 100% is one CPU busy all the time */
    char cpu[512] = "";
    mcpu_by_node(m, g->cpu_now, g->insns_now);
    by_node_rates(cpu, sizeof cpu, g->cpu_now, g->cpu_ns, m->cfg.nodes, "%s%.0f%%", 1e7 * dt);
    char mips[512] = "";
    if (dbt_get_options(p->dbt)->count_insns) {
        at = (size_t)snprintf(mips, sizeof mips, ", guest MIPS by node: ");
        by_node_rates(mips + at, sizeof mips - at, g->insns_now, g->insns, m->cfg.nodes, "%s%.1f",
                      1e6 * dt);
    }
    pthread_mutex_lock(&m->dir_lock);
    struct dir_stats d = m->dir.total;
    pthread_mutex_unlock(&m->dir_lock);
    unsigned long long deleg = 0;
    for (unsigned i = 0; i < 512; i++)
        deleg += atomic_load(&m->delegated[i]);
    const struct net_stats *ns = net_node_stats(m->net);
    unsigned long long r = progress_rate(d.reads, &g->reads, dt),
                       w = progress_rate(d.writes, &g->writes, dt),
                       u = progress_rate(d.upgrades, &g->upgrades, dt);
    unsigned long long inv = progress_rate(d.invalidations + d.fetches, &g->inv, dt);
    unsigned long long push = progress_rate(d.pushes, &g->push, dt);
    unsigned long long sc = progress_rate(atomic_load(&p->stats.syscalls), &g->syscalls, dt);
    unsigned long long dl = progress_rate(deleg, &g->delegated, dt);
    double tx = (double)progress_rate(ns ? atomic_load(&ns->bytes_tx) : 0, &g->tx, dt) / 1e6;
    double rx = (double)progress_rate(ns ? atomic_load(&ns->bytes_rx) : 0, &g->rx, dt) / 1e6;
    snprintf(buf, len,
             "%u thread%s (by node: %s), cpu by node: %s%s, "
             "page requests %llu/s (read %llu, write %llu, upgrade %llu), "
             "invalidations %llu/s, pushed %llu/s, "
             "syscalls run on node 0 %llu/s, delegated to it %llu/s, "
             "master's links out %.1f MB/s, in %.1f MB/s",
             total, total == 1 ? "" : "s", per, cpu, mips, r + w + u, r, w, u, inv, push, sc, dl,
             tx, rx);
}

int master_progress_start(struct master *m, unsigned interval_ms) {
    struct mprogress *g = calloc(1, sizeof *g);
    int64_t *ns = calloc(4 * (size_t)m->cfg.nodes, sizeof *ns);
    if (!g || !ns) {
        free(g);
        free(ns);
        return -ENOMEM;
    }
    g->m = m;
    g->cpu_ns = ns;
    g->cpu_now = ns + m->cfg.nodes; /* the first line: since the run began, at 0 */
    g->insns = ns + 2 * m->cfg.nodes;
    g->insns_now = ns + 3 * m->cfg.nodes;
    /* kept for the life of the process, as the reporter runs until its end */
    int r = progress_start(m->proc, interval_ms, line, g);
    if (r) {
        free(ns);
        free(g);
    }
    return r;
}
