#include "cluster/node_stats.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cluster/split_node.h"
#include "common/clock_sync.h"
#include "dbt/redirect.h"
#include "syscall/syscall.h"

void node_stats_timeline(struct node_stats *ns, uint64_t master_rx_ns, uint64_t run_start_ns) {
    ns->run_start_ns = run_start_ns;
    ns->clock_offset_ns = 0;
    if (!ns->clock_req_ns || !ns->clock_rx_ns || !ns->clock_tx_ns) return; /* an older sender */
    /* the node's clock minus the master's */
    struct clock_stamps s = {ns->clock_req_ns, ns->clock_rx_ns, ns->clock_tx_ns, master_rx_ns};
    ns->clock_offset_ns = -clock_sync_estimate(&s);
}

int node_stats_collect(struct node_stats *ns, unsigned node, struct dsm_node *dsm,
                       const struct net_stats *net, struct process *proc) {
    memset(ns, 0, sizeof *ns);
    ns->node = node;
    if (dsm) {
        struct dsm_pages *ps = &dsm->pages;
        pthread_mutex_lock(&ps->lock); /* the table's counters are written under it */
        struct dsm_node_stats s = ps->stats;
        pthread_mutex_unlock(&ps->lock);
        ns->c[NS_READ_MISS] = s.read_miss;
        ns->c[NS_WRITE_MISS] = s.write_miss;
        ns->c[NS_UPGRADE] = s.upgrades;
        ns->c[NS_DEDUP] = s.dedup;
        ns->c[NS_SPURIOUS] = s.spurious;
        ns->c[NS_INSTALLS] = s.installs;
        ns->c[NS_GRANTS] = s.grants;
        ns->c[NS_INVALIDATIONS] = s.invalidations;
        ns->c[NS_FETCHES] = s.fetches;
        ns->c[NS_TRIPPED] = s.tripped;
        ns->c[NS_STALE_TAKEN] = s.stale_installs;
        ns->c[NS_STALE_REFUSED] = s.stale_refused;
        ns->c[NS_PAGES_RX] = atomic_load(&dsm->pages_rx);
        ns->c[NS_PAGES_TX] = atomic_load(&dsm->pages_tx);
        ns->c[NS_CODE_FLUSHES] = atomic_load(&dsm->code_flushes);
        ns->c[NS_EXCL_LOST] = atomic_load(&dsm->excl_lost);
        if (dsm->split) {
            struct dbt_redirect_stats rs;
            dbt_get_redirect_stats(dsm->proc->dbt, &rs);
            ns->c[NS_SPLIT_PAGES] = atomic_load(&dsm->split->stats.splits);
            ns->c[NS_SPLIT_ACCESSES] = atomic_load(&dsm->split->stats.redirected);
            ns->c[NS_SPLIT_INSNS] = rs.marked;
            ns->c[NS_SPLIT_RELEASES] = atomic_load(&dsm->split->stats.releases);
        }
        for (unsigned b = 0; b < DSM_NODE_LAT_BUCKETS; b++)
            ns->lat_hist[b] = atomic_load(&dsm->lat_hist[b]);
        for (unsigned k = 0; k < 3; k++) {
            ns->lat_ns[k] = atomic_load(&dsm->lat_ns[k]);
            ns->lat_n[k] = atomic_load(&dsm->lat_n[k]);
        }
        for (unsigned b = 0; b < DSM_NODE_READ_BUCKETS; b++)
            ns->read_hist[b] = atomic_load(&dsm->read_hist[b]);
        ns->events_on = dsm->trace.events_max > 0;
        ns->events = fault_trace_events(&dsm->trace, &ns->nevents, &ns->events_dropped);
    }
    if (net) {
        for (unsigned t = 0; t < NET_MSG_TYPES; t++) {
            ns->msgs_tx[t] = atomic_load(&net->msgs_tx[t]);
            ns->msgs_rx[t] = atomic_load(&net->msgs_rx[t]);
        }
        ns->bytes_tx = atomic_load(&net->bytes_tx);
        ns->bytes_rx = atomic_load(&net->bytes_rx);
        ns->busy_polled = atomic_load(&net->busy_polled);
    }
    if (proc) {
        for (unsigned i = 0; i < STATS_NR_MAX; i++) {
            ns->syscalls[i] = atomic_load(&proc->stats.by_nr[i]);
            ns->delegated[i] = atomic_load(&proc->stats.delegated_nr[i]);
        }
        ns->c[NS_FUTEX_LOCAL] = atomic_load(&proc->stats.futex_local);
        ns->c[NS_FUTEX_MOVED] = atomic_load(&proc->stats.futex_moved);
        ns->threads = stats_threads(&proc->stats, &ns->nthreads);
        ns->times_on = stats_timing(&proc->stats);
        ns->run_start_ns = proc->stats.start_ns;
        ns->guest_insns = stats_insns(&proc->stats); /* ended threads too, listed or not */
    }
    return 0;
}

void node_stats_fini(struct node_stats *ns) {
    free(ns->threads);
    ns->threads = NULL;
    ns->nthreads = 0;
    free(ns->events);
    ns->events = NULL;
    ns->nevents = 0;
}

/* Non-zero entries of a by-number array as (number, count) pairs. */
static size_t pairs(const uint64_t *v, size_t n, uint64_t *out) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (v[i]) {
            out[k++] = i;
            out[k++] = v[i];
        }
    return k;
}

void node_stats_to_msg(const struct node_stats *ns, Shoal__NodeStats *m, uint64_t **buf) {
    size_t nt = ns->nthreads < NODE_STATS_MAX_THREADS ? ns->nthreads : NODE_STATS_MAX_THREADS;
    size_t ne = ns->nevents < NODE_STATS_MAX_EVENTS ? ns->nevents : NODE_STATS_MAX_EVENTS;
    size_t nt5 = ns->times_on ? 5 * nt : 0;
    /* one buffer for the lists; the rest points into ns */
    uint64_t *b = malloc((4 * STATS_NR_MAX + 2 * nt + nt5 + 3 * ne + 1) * sizeof *b);
    *buf = b;
    m->n_dsm = NS_COUNTERS;
    m->dsm = (uint64_t *)ns->c;
    m->n_lat_hist = DSM_NODE_LAT_BUCKETS;
    m->lat_hist = (uint64_t *)ns->lat_hist;
    m->n_lat_ns = m->n_lat_n = 3;
    m->lat_ns = (uint64_t *)ns->lat_ns;
    m->lat_n = (uint64_t *)ns->lat_n;
    m->n_read_lat_hist = DSM_NODE_READ_BUCKETS;
    m->read_lat_hist = (uint64_t *)ns->read_hist;
    m->n_msgs_tx = m->n_msgs_rx = NET_MSG_TYPES;
    m->msgs_tx = (uint64_t *)ns->msgs_tx;
    m->msgs_rx = (uint64_t *)ns->msgs_rx;
    m->bytes_tx = ns->bytes_tx;
    m->bytes_rx = ns->bytes_rx;
    m->busy_polled = ns->busy_polled;
    m->page_events_on = ns->events_on;
    m->page_events_dropped = ns->events_dropped + (b ? ns->nevents - ne : ns->nevents);
    m->clock_rx_ns = ns->clock_rx_ns;
    m->clock_tx_ns = ns->clock_tx_ns;
    m->clock_req_ns = ns->clock_req_ns;
    if (!b) return; /* no memory: counters only */
    m->syscalls = b;
    m->n_syscalls = pairs(ns->syscalls, STATS_NR_MAX, b);
    m->delegated = b + m->n_syscalls;
    m->n_delegated = pairs(ns->delegated, STATS_NR_MAX, m->delegated);
    m->threads = m->delegated + m->n_delegated;
    m->n_threads = 2 * nt;
    for (size_t i = 0; i < nt; i++) {
        m->threads[2 * i] = (uint64_t)ns->threads[i].tid;
        m->threads[2 * i + 1] = ns->threads[i].insns;
    }
    m->thread_times = m->threads + m->n_threads;
    m->n_thread_times = nt5;
    for (size_t i = 0; i < nt5 / 5; i++) {
        const struct stats_thread *t = &ns->threads[i];
        uint64_t *o = &m->thread_times[5 * i];
        o[0] = (uint64_t)t->tid, o[1] = t->exec_ns, o[2] = t->fault_ns, o[3] = t->syscall_ns;
        o[4] = t->wait_ns;
    }
    m->page_events = m->thread_times + m->n_thread_times;
    m->n_page_events = 3 * ne;
    for (size_t i = 0; i < ne; i++) {
        m->page_events[3 * i] = ns->events[i].t_ns;
        m->page_events[3 * i + 1] = ns->events[i].page;
        m->page_events[3 * i + 2] = ns->events[i].kind;
    }
}

static int from_pairs(const uint64_t *p, size_t n, uint64_t *v, size_t max) {
    if (n % 2) return -EINVAL;
    for (size_t i = 0; i < n; i += 2) {
        if (p[i] >= max) return -EINVAL;
        v[p[i]] = p[i + 1];
    }
    return 0;
}

int node_stats_from_msg(const Shoal__NodeStats *m, unsigned node, struct node_stats *ns) {
    memset(ns, 0, sizeof *ns);
    ns->node = node;
    /* a newer counter list is cut, an older one leaves zeros */
#define TAKE(dst, n_src, src, max)                                                                 \
    memcpy(dst, src, ((n_src) < (max) ? (n_src) : (max)) * sizeof(uint64_t))
    TAKE(ns->c, m->n_dsm, m->dsm, NS_COUNTERS);
    TAKE(ns->lat_hist, m->n_lat_hist, m->lat_hist, DSM_NODE_LAT_BUCKETS);
    TAKE(ns->lat_ns, m->n_lat_ns, m->lat_ns, 3);
    TAKE(ns->lat_n, m->n_lat_n, m->lat_n, 3);
    TAKE(ns->read_hist, m->n_read_lat_hist, m->read_lat_hist, DSM_NODE_READ_BUCKETS);
    TAKE(ns->msgs_tx, m->n_msgs_tx, m->msgs_tx, NET_MSG_TYPES);
    TAKE(ns->msgs_rx, m->n_msgs_rx, m->msgs_rx, NET_MSG_TYPES);
#undef TAKE
    ns->bytes_tx = m->bytes_tx;
    ns->bytes_rx = m->bytes_rx;
    ns->busy_polled = m->busy_polled;
    if (from_pairs(m->syscalls, m->n_syscalls, ns->syscalls, STATS_NR_MAX) ||
        from_pairs(m->delegated, m->n_delegated, ns->delegated, STATS_NR_MAX) || m->n_threads % 2 ||
        m->n_threads / 2 > NODE_STATS_MAX_THREADS)
        return -EINVAL;
    ns->nthreads = m->n_threads / 2;
    ns->threads = calloc(ns->nthreads + 1, sizeof *ns->threads);
    if (!ns->threads) return -ENOMEM;
    for (size_t i = 0; i < ns->nthreads; i++) {
        ns->threads[i].tid = (int)m->threads[2 * i];
        ns->threads[i].insns = m->threads[2 * i + 1];
        ns->guest_insns += ns->threads[i].insns;
    }
    /* the time breakdown, in the same order as the threads */
    if (m->n_thread_times) {
        if (m->n_thread_times != 5 * ns->nthreads) return -EINVAL;
        for (size_t i = 0; i < ns->nthreads; i++) {
            const uint64_t *v = &m->thread_times[5 * i];
            struct stats_thread *t = &ns->threads[i];
            if (v[0] != (uint64_t)t->tid) return -EINVAL;
            t->exec_ns = v[1], t->fault_ns = v[2], t->syscall_ns = v[3], t->wait_ns = v[4];
        }
        ns->times_on = true;
    }
    ns->events_on = m->page_events_on;
    ns->events_dropped = m->page_events_dropped;
    if (m->n_page_events % 3 || m->n_page_events / 3 > NODE_STATS_MAX_EVENTS) return -EINVAL;
    ns->nevents = m->n_page_events / 3;
    if (ns->nevents && !(ns->events = malloc(ns->nevents * sizeof *ns->events))) return -ENOMEM;
    for (size_t i = 0; i < ns->nevents; i++) {
        const uint64_t *v = &m->page_events[3 * i];
        if (v[2] > 2) return -EINVAL; /* enum dsm_req */
        ns->events[i] = (struct page_event){v[0], v[1], (uint32_t)v[2]};
    }
    ns->clock_rx_ns = m->clock_rx_ns;
    ns->clock_tx_ns = m->clock_tx_ns;
    ns->clock_req_ns = m->clock_req_ns;
    return 0;
}

void node_stats_send(struct net_conn *c, const Shoal__StatsRequest *q, unsigned node,
                     struct dsm_node *dsm, struct net_node *net, struct process *proc) {
    uint64_t rx = clock_mono_ns();
    struct node_stats *ns = calloc(1, sizeof *ns); /* ~9 KiB: not on the loop's stack */
    if (!ns) return;
    node_stats_collect(ns, node, dsm, net_node_stats(net), proc);
    ns->clock_req_ns = q->clock_ns;
    ns->clock_rx_ns = rx;
    Shoal__NodeStats m = SHOAL__NODE_STATS__INIT;
    uint64_t *buf;
    node_stats_to_msg(ns, &m, &buf);
    m.req_id = q->req_id;
    m.clock_tx_ns = clock_mono_ns();
    Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
    env.msg_case = SHOAL__ENVELOPE__MSG_NODE_STATS;
    env.node_stats = &m;
    net_send(c, &env);
    free(buf);
    node_stats_fini(ns);
    free(ns);
}

/* ---- JSON ---- */

void node_stats_events_json(FILE *f, const struct node_stats *s, int indent) {
    static const char kinds[] = "rwu"; /* enum dsm_req order */
    fprintf(f, "{\"page_size\": %u, \"events_dropped\": %llu, \"events\": [", DSM_PAGE_SIZE,
            (unsigned long long)s->events_dropped);
    int64_t base = (int64_t)s->run_start_ns + s->clock_offset_ns; /* run start, node clock */
    for (size_t i = 0; i < s->nevents; i++) {
        const struct page_event *e = &s->events[i];
        if (i) fputc(',', f);
        if (i % 4 == 0) /* four to a line */
            fprintf(f, "\n%*s", indent + 2, "");
        else
            fputc(' ', f);
        fprintf(f, "[%.1f, %u, %llu, \"%c\"]", (double)((int64_t)e->t_ns - base) / 1e3, s->node,
                (unsigned long long)e->page, kinds[e->kind < 3 ? e->kind : 0]);
    }
    fprintf(f, "%s%*s]}", s->nevents ? "\n" : "", s->nevents ? indent : 0, "");
}

static void u64s(FILE *f, const uint64_t *v, size_t n) {
    fputc('[', f);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%s%llu", i ? ", " : "", (unsigned long long)v[i]);
    fputc(']', f);
}

/* {"name": count, ...} of the non-zero entries; names are identifiers
 * (syscall and message names), so they need no escaping. */
static void by_name(FILE *f, const uint64_t *v, size_t n, const char *(*name)(unsigned)) {
    fputc('{', f);
    bool first = true;
    for (size_t i = 0; i < n; i++) {
        if (!v[i]) continue;
        const char *nm = name((unsigned)i);
        if (nm)
            fprintf(f, "%s\"%s\": %llu", first ? "" : ", ", nm, (unsigned long long)v[i]);
        else
            fprintf(f, "%s\"%zu\": %llu", first ? "" : ", ", i, (unsigned long long)v[i]);
        first = false;
    }
    fputc('}', f);
}

static const char *syscall_name(unsigned nr) {
    const struct syscall_row *r = syscall_lookup((int)nr);
    return r ? r->name : NULL;
}

static double mean_us(uint64_t ns, uint64_t n) {
    return n ? (double)ns / (double)n / 1000.0 : 0.0;
}

/* The p-th percentile of the 1 us read-miss histogram: the middle of its
 * bucket (the last bucket, open-ended, reads as its lower bound). 0 when
 * empty. */
static double read_pct_us(const uint64_t *h, unsigned p) {
    uint64_t total = 0, seen = 0;
    for (unsigned b = 0; b < DSM_NODE_READ_BUCKETS; b++)
        total += h[b];
    if (!total) return 0.0;
    uint64_t rank = (total * p + 99) / 100; /* the first sample at or past p% */
    if (!rank) rank = 1;
    for (unsigned b = 0; b < DSM_NODE_READ_BUCKETS; b++) {
        seen += h[b];
        if (seen >= rank) return b + 1 < DSM_NODE_READ_BUCKETS ? b + 0.5 : (double)b;
    }
    return (double)(DSM_NODE_READ_BUCKETS - 1);
}

void node_stats_json(FILE *f, const struct node_stats *s, int indent) {
    const int in = indent + 2;
#define KEY(k) fprintf(f, ",\n%*s\"%s\": ", in, "", k)
    fprintf(f, "{\n%*s\"node\": %u", in, "", s->node);
    KEY("faults");
    fprintf(f,
            "{\"read_miss\": %llu, \"write_miss\": %llu, \"upgrade\": %llu, \"dedup\": %llu, "
            "\"spurious\": %llu}",
            (unsigned long long)s->c[NS_READ_MISS], (unsigned long long)s->c[NS_WRITE_MISS],
            (unsigned long long)s->c[NS_UPGRADE], (unsigned long long)s->c[NS_DEDUP],
            (unsigned long long)s->c[NS_SPURIOUS]);
    KEY("invalidations");
    fprintf(f, "{\"received\": %llu, \"fetches_received\": %llu, \"caused\": %llu}",
            (unsigned long long)s->c[NS_INVALIDATIONS], (unsigned long long)s->c[NS_FETCHES],
            (unsigned long long)s->c[NS_INV_CAUSED]);
    KEY("pages");
    fprintf(f,
            "{\"received\": %llu, \"sent\": %llu, \"bytes_received\": %llu, \"bytes_sent\": %llu, "
            "\"installed\": %llu, \"granted\": %llu, \"tripwires_reached\": %llu}",
            (unsigned long long)s->c[NS_PAGES_RX], (unsigned long long)s->c[NS_PAGES_TX],
            (unsigned long long)(s->c[NS_PAGES_RX] * DSM_PAGE_SIZE),
            (unsigned long long)(s->c[NS_PAGES_TX] * DSM_PAGE_SIZE),
            (unsigned long long)s->c[NS_INSTALLS], (unsigned long long)s->c[NS_GRANTS],
            (unsigned long long)s->c[NS_TRIPPED]);
    /* requests made on an address space a change then replaced */
    KEY("stale_answers");
    fprintf(f, "{\"taken\": %llu, \"refused\": %llu}", (unsigned long long)s->c[NS_STALE_TAKEN],
            (unsigned long long)s->c[NS_STALE_REFUSED]);
    KEY("exclusive_stores_lost");
    fprintf(f, "%llu", (unsigned long long)s->c[NS_EXCL_LOST]);
    KEY("split");
    fprintf(f,
            "{\"pages_split\": %llu, \"redirected_accesses\": %llu, \"insns_redirected\": %llu, "
            "\"releases\": %llu}",
            (unsigned long long)s->c[NS_SPLIT_PAGES], (unsigned long long)s->c[NS_SPLIT_ACCESSES],
            (unsigned long long)s->c[NS_SPLIT_INSNS], (unsigned long long)s->c[NS_SPLIT_RELEASES]);
    KEY("futex_local");
    fprintf(f, "{\"ops\": %llu, \"moved_waits\": %llu}", (unsigned long long)s->c[NS_FUTEX_LOCAL],
            (unsigned long long)s->c[NS_FUTEX_MOVED]);
    KEY("code_flushes");
    fprintf(f, "%llu", (unsigned long long)s->c[NS_CODE_FLUSHES]);
    KEY("fault_latency_us");
    uint64_t upper[DSM_NODE_LAT_BUCKETS];
    for (unsigned b = 0; b < DSM_NODE_LAT_BUCKETS; b++)
        upper[b] = b + 1 < DSM_NODE_LAT_BUCKETS ? 2ull << b : 0; /* 0: no bound */
    fprintf(f, "{\"bucket_below_us\": ");
    u64s(f, upper, DSM_NODE_LAT_BUCKETS);
    fprintf(f, ", \"counts\": ");
    u64s(f, s->lat_hist, DSM_NODE_LAT_BUCKETS);
    fprintf(f, ", \"mean_us\": {\"read_miss\": %.1f, \"write_miss\": %.1f, \"upgrade\": %.1f}",
            mean_us(s->lat_ns[0], s->lat_n[0]), mean_us(s->lat_ns[1], s->lat_n[1]),
            mean_us(s->lat_ns[2], s->lat_n[2]));
    fprintf(f, ", \"read_miss_us\": {\"p10\": %.1f, \"p50\": %.1f, \"p90\": %.1f}}",
            read_pct_us(s->read_hist, 10), read_pct_us(s->read_hist, 50),
            read_pct_us(s->read_hist, 90));
    KEY("network");
    fprintf(f, "{\"bytes_sent\": %llu, \"bytes_received\": %llu, \"busy_polled\": %llu}",
            (unsigned long long)s->bytes_tx, (unsigned long long)s->bytes_rx,
            (unsigned long long)s->busy_polled);
    KEY("messages");
    fprintf(f, "{\"sent\": ");
    by_name(f, s->msgs_tx, NET_MSG_TYPES, net_msg_name);
    fprintf(f, ", \"received\": ");
    by_name(f, s->msgs_rx, NET_MSG_TYPES, net_msg_name);
    fputc('}', f);
    KEY("syscalls");
    by_name(f, s->syscalls, STATS_NR_MAX, syscall_name);
    KEY("delegated_syscalls");
    by_name(f, s->delegated, STATS_NR_MAX, syscall_name);
    KEY("threads");
    fprintf(f, "%zu", s->nthreads);
    KEY("guest_insns");
    fprintf(f, "%llu", (unsigned long long)s->guest_insns);
    if (s->times_on) {
        KEY("thread_times");
        stats_thread_times_json(f, s->threads, s->nthreads, s->node, in);
    }
    if (s->events_on) {
        KEY("page_faults");
        node_stats_events_json(f, s, in);
    }
    fprintf(f, "\n%*s}", indent, "");
#undef KEY
}
