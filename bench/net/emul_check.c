/* Checks the emulated network against its configuration: two nodes of
 * the real transport over loopback, for each setting a ping-pong (16-byte
 * page_request each way) and a bulk transfer of pages (page_grant with a
 * 4 KiB payload). Prints CSV, one row per setting:
 *
 *   latency_us,bandwidth_mbit,rtt_model_us,rtt_min_us,rtt_median_us,
 *   mbit_model,mbit_measured,page_fault_model_us,latency_mode,base_us,
 *   page_fetch_min_us,page_fetch_median_us
 *
 * rtt_model_us is 2 x latency: with latency_mode total (the default) the
 * link's whole round trip; with added, the raw loopback RTT (row 0,0)
 * comes on top. mbit_model is the cap (0: none); page_fault_model_us is
 * what one remote page fault should cost on that network: request and
 * grant each way plus one page's serialization. base_us: the real
 * transport's one-way latency as the slave's link calibrated it (0: not
 * calibrated). The pings start once both links have calibrated.
 * page_fetch: the transport's share of a remote page fault, measured: a
 * page_request answered by a page_grant carrying a page (as many as
 * pings), from the request's send to the grant's arrival; a DSM read
 * miss at the same setting costs this plus the DSM's own work.
 *
 *   emul_check [-p US]              a sweep: raw, 1 GbE/55 us, 100 Gb/3 us, 100 Mbit/1 ms
 *   emul_check [-p US] LAT_US MBIT [PINGS [PAGES [total|added]]]   one setting
 *
 * -p US: the loop threads busy-poll for US after each frame, as a
 * cluster's do by default ([network] busy_poll_us = 200), so the figures
 * hold against a DSM fault measured with the same waiting; without it
 * they sleep in epoll between frames. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "net/emul.h"
#include "net/transport.h"

struct ep {
    struct net_node *node;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    unsigned up, nrx, lost;
    uint64_t last_ns;
    int echo; /* 1: echo each page_request; 2: answer it with a page_grant and a page */
};

static void on_msg(struct net_conn *c, struct net_frame *f, void *arg) {
    struct ep *e = arg;
    if (e->echo == 1) {
        Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
        env.msg_case = f->env->msg_case;
        env.page_request = f->env->page_request;
        net_send(c, &env);
    } else if (e->echo == 2) {
        static uint8_t page[NET_PAGE_SIZE];
        Shoal__PageGrant g = SHOAL__PAGE_GRANT__INIT;
        Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
        g.req_id = f->env->page_request->req_id;
        g.state = SHOAL__PAGE_STATE__PAGE_SHARED;
        env.msg_case = SHOAL__ENVELOPE__MSG_PAGE_GRANT;
        env.page_grant = &g;
        net_send_page(c, &env, page);
    }
    pthread_mutex_lock(&e->mu);
    e->nrx++;
    e->last_ns = net_emul_now_ns();
    pthread_cond_broadcast(&e->cv);
    pthread_mutex_unlock(&e->mu);
}

static void on_up(struct net_node *n, struct net_conn *c, uint32_t id, void *arg) {
    struct ep *e = arg;
    pthread_mutex_lock(&e->mu);
    e->up++;
    pthread_cond_broadcast(&e->cv);
    pthread_mutex_unlock(&e->mu);
}

static void on_lost(struct net_node *n, uint32_t id, const char *reason, void *arg) {
    struct ep *e = arg;
    pthread_mutex_lock(&e->mu);
    e->lost++;
    pthread_cond_broadcast(&e->cv);
    pthread_mutex_unlock(&e->mu);
}

/* Waits until *count reaches want or the link is lost; 0 on success. */
static int wait_count(struct ep *e, unsigned *count, unsigned want) {
    pthread_mutex_lock(&e->mu);
    while (*count < want && !e->lost)
        pthread_cond_wait(&e->cv, &e->mu);
    int r = *count < want ? -1 : 0;
    pthread_mutex_unlock(&e->mu);
    return r;
}

static unsigned busy_poll_us; /* -p */

static int start(struct ep *e, uint32_t id, const struct net_key *key,
                 struct net_emul_config emul) {
    memset(e, 0, sizeof *e);
    pthread_mutex_init(&e->mu, NULL);
    pthread_cond_init(&e->cv, NULL);
    struct net_config cfg;
    net_config_defaults(&cfg);
    cfg.node_id = id;
    cfg.key = *key;
    cfg.on_peer_up = on_up;
    cfg.on_peer_lost = on_lost;
    cfg.arg = e;
    cfg.heartbeat_interval_ms = 0; /* nothing else on the links */
    cfg.peer_timeout_ms = 0;
    cfg.emul = emul;
    cfg.busy_poll_us = busy_poll_us;
    if (!(e->node = net_node_create(&cfg))) return -1;
    net_node_on(e->node, SHOAL__ENVELOPE__MSG_PAGE_REQUEST, on_msg, e);
    net_node_on(e->node, SHOAL__ENVELOPE__MSG_PAGE_GRANT, on_msg, e);
    return net_node_start(e->node);
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static int run(const struct net_key *key, struct net_emul_config emul, unsigned pings,
               unsigned pages) {
    struct ep m, s;
    uint16_t port = 0;
    if (start(&m, 0, key, emul) || net_node_listen(m.node, "127.0.0.1", 0, &port) ||
        start(&s, 1, key, emul) || net_node_connect(s.node, "127.0.0.1", port) ||
        wait_count(&s, &s.up, 1))
        return -1;
    struct net_conn *c = net_node_peer(s.node, 0);
    struct net_conn *mc = NULL;
    if (emul.latency_us && emul.latency_mode == NET_EMUL_TOTAL) {
        /* the slave probes at once, the master after the slave's first
         * frame; 2 s is ample for 16 round trips of tens of us each */
        for (int i = 0;
             i < 2000 && !(mc && net_conn_base_latency_ns(c) && net_conn_base_latency_ns(mc));
             i++) {
            if (!mc) mc = net_node_peer(m.node, 1);
            usleep(1000);
        }
        usleep(20000); /* the rest of the burst */
    }
    m.echo = 1;
    uint64_t *rtt = calloc(pings, sizeof *rtt);
    Shoal__PageRequest rq = SHOAL__PAGE_REQUEST__INIT;
    Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
    rq.access = SHOAL__ACCESS__ACCESS_READ;
    env.msg_case = SHOAL__ENVELOPE__MSG_PAGE_REQUEST;
    env.page_request = &rq;
    for (unsigned i = 0; i < pings; i++) {
        rq.req_id = i;
        uint64_t t0 = net_emul_now_ns();
        if (net_send(c, &env) || wait_count(&s, &s.nrx, i + 1)) return -1;
        rtt[i] = s.last_ns - t0;
    }
    qsort(rtt, pings, sizeof *rtt, cmp_u64);

    uint64_t *fetch = calloc(pings, sizeof *fetch);
    m.echo = 2;
    for (unsigned i = 0; i < pings; i++) {
        rq.req_id = pings + i;
        uint64_t t0 = net_emul_now_ns();
        if (net_send(c, &env) || wait_count(&s, &s.nrx, pings + i + 1)) return -1;
        fetch[i] = s.last_ns - t0;
    }
    qsort(fetch, pings, sizeof *fetch, cmp_u64);

    m.echo = 0;
    static uint8_t page[NET_PAGE_SIZE];
    Shoal__PageGrant g = SHOAL__PAGE_GRANT__INIT;
    g.state = SHOAL__PAGE_STATE__PAGE_SHARED;
    env.msg_case = SHOAL__ENVELOPE__MSG_PAGE_GRANT;
    env.page_grant = &g;
    unsigned base = m.nrx;
    uint64_t bytes0 = atomic_load(&net_node_stats(s.node)->bytes_tx);
    uint64_t t0 = net_emul_now_ns();
    for (unsigned i = 0; i < pages; i++) {
        g.req_id = i;
        if (net_send_page(c, &env, page)) return -1;
    }
    if (wait_count(&m, &m.nrx, base + pages)) return -1;
    uint64_t bytes = atomic_load(&net_node_stats(s.node)->bytes_tx) - bytes0;
    double secs = (m.last_ns - t0) / 1e9;

    double fault_us = 2.0 * emul.latency_us + net_emul_wire_ns(&emul, NET_PAGE_SIZE) / 1e3;
    printf("%llu,%llu,%llu,%.1f,%.1f,%llu,%.1f,%.1f,%s,%.1f,%.1f,%.1f\n",
           (unsigned long long)emul.latency_us, (unsigned long long)emul.bandwidth_mbit,
           (unsigned long long)(2 * emul.latency_us), rtt[0] / 1e3, rtt[pings / 2] / 1e3,
           (unsigned long long)emul.bandwidth_mbit, bytes * 8 / secs / 1e6, fault_us,
           emul.latency_mode == NET_EMUL_ADDED ? "added" : "total",
           net_conn_base_latency_ns(c) / 1e3, fetch[0] / 1e3, fetch[pings / 2] / 1e3);
    fflush(stdout);
    free(fetch);
    free(rtt);
    if (mc) net_conn_unref(mc);
    net_conn_unref(c);
    pthread_mutex_lock(&m.mu);
    m.lost = 0;
    pthread_mutex_unlock(&m.mu);
    net_node_destroy(s.node);
    net_node_destroy(m.node);
    return 0;
}

int main(int argc, char **argv) {
    log_set_level(LOG_ERROR);
    struct net_key key;
    if (net_key_generate(&key)) return 1;
    if (argc >= 3 && !strcmp(argv[1], "-p")) {
        busy_poll_us = (unsigned)atoi(argv[2]);
        argc -= 2;
        argv += 2;
    }
    puts("latency_us,bandwidth_mbit,rtt_model_us,rtt_min_us,rtt_median_us,mbit_model,"
         "mbit_measured,page_fault_model_us,latency_mode,base_us,page_fetch_min_us,"
         "page_fetch_median_us");
    if (argc >= 3) {
        struct net_emul_config e = {strtoull(argv[1], NULL, 0), strtoull(argv[2], NULL, 0),
                                    argc > 5 && !strcmp(argv[5], "added") ? NET_EMUL_ADDED
                                                                          : NET_EMUL_TOTAL};
        unsigned pings = argc > 3 ? (unsigned)atoi(argv[3]) : 1000;
        unsigned pages = argc > 4 ? (unsigned)atoi(argv[4]) : 4096;
        return run(&key, e, pings ? pings : 1, pages ? pages : 1) ? 1 : 0;
    }
    static const struct net_emul_config sweep[] = {
        {0, 0, NET_EMUL_TOTAL},
        {27, 1000, NET_EMUL_TOTAL},
        {1, 100000, NET_EMUL_TOTAL},
        {500, 100, NET_EMUL_TOTAL},
    };
    for (size_t i = 0; i < sizeof sweep / sizeof sweep[0]; i++)
        if (run(&key, sweep[i], 1000, sweep[i].bandwidth_mbit == 100 ? 1024 : 8192)) {
            fprintf(stderr, "emul_check: the link failed\n");
            return 1;
        }
    return 0;
}
