/* --stats FILE and -v for a cluster run: at the end the master asks every
 * slave for its NodeStats (before telling them to exit), adds node 0's
 * own, and writes one JSON document with every node, the threads and
 * where they ran, and what the master served (docs/cluster.md). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cluster/node_stats.h"
#include "common/config.h"
#include "common/log.h"
#include "master/master_internal.h"
#include "syscall/syscall.h"

static void h_node_stats(struct net_conn *c, struct net_frame *f, void *arg) {
    struct master *m = arg;
    unsigned id = net_conn_peer_id(c);
    if (id == 0 || id >= m->cfg.nodes) return;
    struct node_stats *ns = calloc(1, sizeof *ns);
    if (!ns) return;
    if (node_stats_from_msg(f->env->node_stats, id, ns)) {
        log_warn("%s: malformed statistics ignored", net_conn_name(c));
        node_stats_fini(ns);
        free(ns);
        return;
    }
    node_stats_timeline(ns, clock_mono_ns(), m->proc->stats.start_ns);
    pthread_mutex_lock(&m->lock);
    struct node_stats *old = m->node_stats[id];
    if (!old) m->stats_got++;
    m->node_stats[id] = ns;
    pthread_cond_broadcast(&m->cond);
    pthread_mutex_unlock(&m->lock);
    if (old) {
        node_stats_fini(old);
        free(old);
    }
}

static void write_json(void *ctx, struct process *p, int status, int sig);

/* The node a thread ran on: the slave that listed it, else node 0. */
static unsigned node_of(struct master *m, int tid) {
    for (unsigned n = 1; n < m->cfg.nodes; n++) {
        struct node_stats *ns = m->node_stats[n];
        for (size_t i = 0; ns && i < ns->nthreads; i++)
            if (ns->threads[i].tid == tid) return n;
    }
    return 0;
}

int mstats_init(struct master *m) {
    m->node_stats = calloc(m->cfg.nodes, sizeof *m->node_stats);
    if (!m->node_stats) return -ENOMEM;
    net_node_on(m->net, SHOAL__ENVELOPE__MSG_NODE_STATS, h_node_stats, m);
    m->proc->stats.writer = write_json;
    m->proc->stats.writer_ctx = m;
    return 0;
}

void mstats_collect(struct master *m, unsigned wait_ms) {
    Shoal__StatsRequest q = SHOAL__STATS_REQUEST__INIT;
    q.req_id = 1;
    q.clock_ns = clock_mono_ns(); /* echoed: the slaves' clock offsets */
    Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
    env.msg_case = SHOAL__ENVELOPE__MSG_STATS_REQUEST;
    env.stats_request = &q;
    unsigned asked = master_send_slaves(m, &env);
    struct timespec until = master_deadline(wait_ms);
    pthread_mutex_lock(&m->lock);
    while (m->stats_got < asked)
        if (pthread_cond_timedwait(&m->cond, &m->lock, &until) == ETIMEDOUT) break;
    pthread_mutex_unlock(&m->lock);

    struct node_stats *z = calloc(1, sizeof *z);
    if (!z) return;
    node_stats_collect(z, 0, &m->dsm, net_node_stats(m->net), m->proc);
    /* node 0's table counts the calls its proxies ran for other nodes */
    for (unsigned i = 0; i < STATS_NR_MAX && i < 512; i++) {
        uint64_t served = atomic_load(&m->delegated[i]);
        z->syscalls[i] -= served < z->syscalls[i] ? served : z->syscalls[i];
    }
    /* node 0's task list also holds the proxies of remote threads (the
     * same tids the slaves listed): keep only node 0's own threads */
    size_t k = 0;
    z->guest_insns = 0;
    for (size_t i = 0; i < z->nthreads; i++) {
        if (node_of(m, z->threads[i].tid) != 0) continue;
        z->guest_insns += z->threads[i].insns;
        z->threads[k++] = z->threads[i];
    }
    z->nthreads = k;
    pthread_mutex_lock(&m->dir_lock);
    for (unsigned n = 0; n < m->cfg.nodes; n++) {
        struct node_stats *ns = n ? m->node_stats[n] : z;
        if (ns) ns->c[NS_INV_CAUSED] = m->inv_caused ? m->inv_caused[n] : 0;
    }
    m->stats_dir_pages = dir_page_count(&m->dir);
    pthread_mutex_unlock(&m->dir_lock);
    pthread_mutex_lock(&m->lock);
    m->node_stats[0] = z;
    pthread_mutex_unlock(&m->lock);
}

static const char *syscall_name(unsigned nr) {
    const struct syscall_row *r = syscall_lookup((int)nr);
    return r ? r->name : NULL;
}

static void write_json(void *ctx, struct process *p, int status, int sig) {
    struct master *m = ctx;
    struct run_stats *s = &p->stats;
    FILE *f = fopen(s->path, "w");
    if (!f) {
        log_error("--stats %s: cannot write", s->path);
        return;
    }
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double wall = ((double)now.tv_sec * 1e9 + (double)now.tv_nsec - (double)s->start_ns) / 1e9;
    uint64_t insns = 0, threads = 0;
    fprintf(f, "{\n  \"nodes\": [");
    for (unsigned n = 0; n < m->cfg.nodes; n++) {
        struct node_stats *ns = m->node_stats ? m->node_stats[n] : NULL;
        fprintf(f, "%s\n    ", n ? "," : "");
        if (!ns) {
            /* a node that did not answer in time (or is gone) */
            fprintf(f, "{\"node\": %u, \"missing\": true}", n);
            continue;
        }
        insns += ns->guest_insns;
        threads += ns->nthreads;
        node_stats_json(f, ns, 4);
    }
    fprintf(f, "\n  ],\n  \"threads\": [");
    struct node_stats *z = m->node_stats ? m->node_stats[0] : NULL;
    bool first = true;
    for (unsigned n = 0; n < m->cfg.nodes; n++) {
        struct node_stats *ns = m->node_stats ? m->node_stats[n] : NULL;
        for (size_t i = 0; ns && i < ns->nthreads; i++) {
            int tid = ns->threads[i].tid;
            fprintf(f, "%s\n    {\"tid\": %d, \"node\": %u, \"guest_insns\": %llu}",
                    first ? "" : ",", tid, n, (unsigned long long)ns->threads[i].insns);
            first = false;
        }
    }
    fprintf(f, "\n  ],\n  \"served_syscalls\": {");
    first = true;
    for (unsigned i = 0; i < 512; i++) {
        uint64_t v = atomic_load(&m->delegated[i]);
        const char *nm = syscall_name(i);
        if (!v) continue;
        if (nm)
            fprintf(f, "%s\"%s\": %llu", first ? "" : ", ", nm, (unsigned long long)v);
        else
            fprintf(f, "%s\"%u\": %llu", first ? "" : ", ", i, (unsigned long long)v);
        first = false;
    }
    struct dbt_stats ds;
    dbt_get_stats(p->dbt, &ds);
    fprintf(f, "},\n");
    dirsvc_stats_json(m, f);
    mfs_stats_json(m, f);
    fsvc_stats_json(m, f);
    /* the run's effective configuration (docs/config.md), as a one-node
     * run records it: a figure names the knobs it was taken with */
    if (s->config) {
        fputs("  \"config\": ", f);
        config_write_json(s->config, f);
        fputs(",\n", f);
    }
    fprintf(f,
            "  \"node_count\": %u,\n  \"wall_s\": %.6f,\n  \"exit_status\": %d,\n"
            "  \"signal\": %d,\n  \"guest_insns\": %llu,\n  \"guest_mips\": %.3f,\n"
            "  \"thread_count\": %llu,\n  \"thread_moves\": %llu,\n  \"directory_pages\": %zu,\n"
            "  \"node0_blocks_translated\": %llu,\n  \"stats_complete\": %s\n}\n",
            m->cfg.nodes, wall, status, sig, (unsigned long long)insns,
            wall > 0 ? (double)insns / wall / 1e6 : 0.0, (unsigned long long)threads,
            (unsigned long long)atomic_load(&m->moves), m->stats_dir_pages,
            (unsigned long long)ds.blocks_translated,
            z && m->stats_got + 1 >= m->cfg.nodes ? "true" : "false");
    fclose(f);
}

void mstats_summary(struct master *m, FILE *out) {
    uint64_t homes, borrowed;
    dirsvc_home_counts(m, &homes, &borrowed);
    fprintf(out,
            "shoal: cluster of %u nodes, directory %zu pages, home copies %llu "
            "(and %llu of node 0's own borrowed), %llu thread moves\n",
            m->cfg.nodes, m->stats_dir_pages, (unsigned long long)homes,
            (unsigned long long)borrowed, (unsigned long long)atomic_load(&m->moves));
    for (unsigned n = 0; n < m->cfg.nodes; n++) {
        struct node_stats *ns = m->node_stats ? m->node_stats[n] : NULL;
        if (!ns) {
            fprintf(out, "shoal: node %u: no statistics\n", n);
            continue;
        }
        uint64_t dlg = 0, tx = 0, rx = 0;
        for (unsigned i = 0; i < STATS_NR_MAX; i++)
            dlg += ns->delegated[i];
        for (unsigned t = 0; t < NET_MSG_TYPES; t++) {
            tx += ns->msgs_tx[t];
            rx += ns->msgs_rx[t];
        }
        fprintf(out,
                "shoal: node %u: %llu threads placed; faults %llu read %llu write %llu upgrade "
                "(mean %.0f/%.0f/%.0f us); invalidations %llu received %llu caused; "
                "pages %llu in %llu out; messages %llu out %llu in (%llu while polling); "
                "%llu syscalls delegated; %llu store-exclusives lost\n",
                n, (unsigned long long)(n < 64 ? atomic_load(&m->placed[n]) : 0),
                (unsigned long long)ns->c[NS_READ_MISS], (unsigned long long)ns->c[NS_WRITE_MISS],
                (unsigned long long)ns->c[NS_UPGRADE],
                ns->lat_n[0] ? (double)ns->lat_ns[0] / (double)ns->lat_n[0] / 1e3 : 0.0,
                ns->lat_n[1] ? (double)ns->lat_ns[1] / (double)ns->lat_n[1] / 1e3 : 0.0,
                ns->lat_n[2] ? (double)ns->lat_ns[2] / (double)ns->lat_n[2] / 1e3 : 0.0,
                (unsigned long long)(ns->c[NS_INVALIDATIONS] + ns->c[NS_FETCHES]),
                (unsigned long long)ns->c[NS_INV_CAUSED], (unsigned long long)ns->c[NS_PAGES_RX],
                (unsigned long long)ns->c[NS_PAGES_TX], (unsigned long long)tx,
                (unsigned long long)rx, (unsigned long long)ns->busy_polled,
                (unsigned long long)dlg, (unsigned long long)ns->c[NS_EXCL_LOST]);
    }
}
