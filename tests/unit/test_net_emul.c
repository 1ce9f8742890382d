/* net/emul.c (the link model, with made-up times) and the emulated
 * network in the TCP backend over 127.0.0.1: round-trip time against the
 * configured latency, throughput against the configured bandwidth, order
 * kept, and frames still waiting when a connection closes delivered.
 *
 * Timing checks are one-sided where they can be exact: the emulation
 * never delivers a frame before its due time, so a measured time is at
 * least what the link adds (the configured latency, less the calibrated
 * base of the real transport in total mode). The upper bounds compare
 * minimums (a loaded 2-core machine makes single samples later, rarely
 * all of them): the round trip's against the raw transport's, measured
 * in the same test, and the bandwidth's slope between the first and the
 * last quarter of a transfer. */
#define _GNU_SOURCE
#include <CUnit/CUnit.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "net/emul.h"
#include "net/transport.h"

/* ---- the model ------------------------------------------------------------ */

static void test_model_bandwidth_queuing(void) {
    struct net_emul_config cfg = {.latency_us = 100, .bandwidth_mbit = 8}; /* 1 byte/us */
    struct net_emul_link l;
    net_emul_link_init(&l, &cfg);
    uint64_t due, next;
    CU_ASSERT_EQUAL(net_emul_push(&l, 0, 1000, &due), 0);
    CU_ASSERT_EQUAL(due, 1000000 + 100000); /* 1000 us on the wire, then 100 us */
    CU_ASSERT_EQUAL(net_emul_push(&l, 0, 500, &due), 0);
    CU_ASSERT_EQUAL(due, 1500000 + 100000); /* queued behind the first */
    CU_ASSERT_EQUAL(net_emul_push(&l, 5000000, 10, &due), 0);
    CU_ASSERT_EQUAL(due, 5010000 + 100000); /* the link was idle again */
    CU_ASSERT_EQUAL(net_emul_pending(&l), 3);
    CU_ASSERT_FALSE(net_emul_head_queued(&l)); /* the first found the link idle */
    CU_ASSERT_EQUAL(net_emul_pop_due(&l, 1099999, &next), 0);
    CU_ASSERT_EQUAL(next, 1100000);
    CU_ASSERT_EQUAL(net_emul_pop_due(&l, 1100000, &next), 1000);
    CU_ASSERT_TRUE(net_emul_head_queued(&l)); /* the second waited for it */
    CU_ASSERT_EQUAL(net_emul_pop_due(&l, 1600000, &next), 500);
    CU_ASSERT_FALSE(net_emul_head_queued(&l)); /* the third came to an idle link */
    CU_ASSERT_EQUAL(next, 5110000);
    CU_ASSERT_EQUAL(net_emul_pop_due(&l, 10000000000ull, &next), 10);
    CU_ASSERT_EQUAL(next, 0);
    CU_ASSERT_EQUAL(net_emul_pending(&l), 0);
    net_emul_link_fini(&l);
}

static void test_model_latency_only_and_order(void) {
    struct net_emul_config cfg = {.latency_us = 27};
    struct net_emul_link l;
    net_emul_link_init(&l, &cfg);
    uint64_t due, prev = 0, next;
    CU_ASSERT_EQUAL(net_emul_push(&l, 1000, 1 << 20, &due), 0);
    CU_ASSERT_EQUAL(due, 28000); /* no cap: size costs nothing */
    /* a clock read that went backwards still cannot reorder frames */
    CU_ASSERT_EQUAL(net_emul_push(&l, 500, 1, &due), 0);
    CU_ASSERT_EQUAL(due, 28000);
    /* thousands of frames: the ring grows, order and bytes are kept */
    uint64_t total = 0;
    for (uint64_t i = 0; i < 10000; i++) {
        CU_ASSERT_EQUAL(net_emul_push(&l, 2000 + i * 3, i + 1, &due), 0);
        CU_ASSERT(due >= prev);
        prev = due;
        total += i + 1;
    }
    CU_ASSERT_EQUAL(net_emul_pop_due(&l, 28000, &next), (1 << 20) + 1);
    CU_ASSERT_EQUAL(net_emul_pop_due(&l, UINT64_MAX, &next), total);
    CU_ASSERT_EQUAL(next, 0);
    net_emul_clear(&l);
    net_emul_link_fini(&l);
}

static void test_model_calibration(void) {
    struct net_emul_config cfg = {.latency_us = 27};
    struct net_emul_link l;
    net_emul_link_init(&l, &cfg);
    uint64_t due;
    /* not calibrated yet: the whole latency, never faster than configured */
    CU_ASSERT_EQUAL(net_emul_added_ns(&l), 27000);
    /* 20 us round trips: 10 us each way, applied from the NET_EMUL_FIRST-th */
    for (unsigned i = 1; i < NET_EMUL_FIRST; i++)
        net_emul_link_sample(&l, 20000);
    CU_ASSERT_EQUAL(l.base_ns, 0);
    CU_ASSERT_EQUAL(net_emul_added_ns(&l), 27000);
    net_emul_link_sample(&l, 20000);
    CU_ASSERT_EQUAL(l.base_ns, 10000);
    CU_ASSERT_EQUAL(net_emul_added_ns(&l), 17000);
    CU_ASSERT_EQUAL(net_emul_push(&l, 1000, 100, &due), 0);
    CU_ASSERT_EQUAL(due, 18000);
    net_emul_link_sample(&l, 90000); /* a slow sample alone changes nothing */
    CU_ASSERT_EQUAL(l.base_ns, 10000);
    net_emul_link_sample(&l, 8000); /* a quicker one counts at once */
    CU_ASSERT_EQUAL(l.base_ns, 4000);
    /* a slower machine: the minimum stays until its window is gone */
    for (unsigned i = NET_EMUL_FIRST + 2; i < NET_EMUL_WINDOW; i++)
        net_emul_link_sample(&l, 40000);
    CU_ASSERT_EQUAL(l.base_ns, 4000); /* the window that saw 8 us just closed */
    for (unsigned i = 0; i < NET_EMUL_WINDOW - 1; i++)
        net_emul_link_sample(&l, 40000);
    CU_ASSERT_EQUAL(l.base_ns, 4000);
    net_emul_link_sample(&l, 40000); /* now two windows of 40 us only */
    CU_ASSERT_EQUAL(l.base_ns, 20000);
    CU_ASSERT_EQUAL(net_emul_added_ns(&l), 7000);
    /* a real transport slower than the configured latency: nothing added */
    net_emul_link_sample(&l, 60000);
    CU_ASSERT_EQUAL(l.base_ns, 20000);
    for (unsigned i = 0; i < 2 * NET_EMUL_WINDOW; i++)
        net_emul_link_sample(&l, 60000);
    CU_ASSERT_EQUAL(l.base_ns, 30000);
    CU_ASSERT_EQUAL(net_emul_added_ns(&l), 0);
    net_emul_link_fini(&l);

    /* one slow sample first cannot take the link out of the emulation:
     * the minimum of the first ones applies */
    cfg.latency_us = 27;
    net_emul_link_init(&l, &cfg);
    net_emul_link_sample(&l, 70000);
    for (unsigned i = 1; i < NET_EMUL_FIRST; i++)
        net_emul_link_sample(&l, 22000);
    CU_ASSERT_EQUAL(l.base_ns, 11000);
    CU_ASSERT_EQUAL(net_emul_added_ns(&l), 16000);
    net_emul_link_fini(&l);

    /* added: the configured latency on top, whatever was measured */
    cfg.latency_mode = NET_EMUL_ADDED;
    net_emul_link_init(&l, &cfg);
    for (unsigned i = 0; i < NET_EMUL_FIRST; i++)
        net_emul_link_sample(&l, 20000);
    CU_ASSERT_EQUAL(net_emul_added_ns(&l), 27000);
    CU_ASSERT_EQUAL(net_emul_push(&l, 1000, 100, &due), 0);
    CU_ASSERT_EQUAL(due, 28000);
    net_emul_link_fini(&l);
}

static void test_model_wire_time(void) {
    struct net_emul_config c = {.bandwidth_mbit = 3};
    CU_ASSERT_EQUAL(net_emul_wire_ns(&c, 1), 2667); /* 8/3 us, rounded up */
    c.bandwidth_mbit = 1000;
    CU_ASSERT_EQUAL(net_emul_wire_ns(&c, 4096), 32768); /* a page on 1 GbE */
    c.bandwidth_mbit = 0;
    CU_ASSERT_EQUAL(net_emul_wire_ns(&c, 4096), 0);
    CU_ASSERT_FALSE(net_emul_enabled(&c));
    c.latency_us = 1;
    CU_ASSERT_TRUE(net_emul_enabled(&c));
}

/* ---- two nodes over loopback ----------------------------------------------- */

struct rx {
    uint64_t req_id;
    uint64_t at_ns;
    int page;
    struct rx *next;
};

struct ep {
    struct net_node *node;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct rx *head, **tail;
    unsigned nrx, up, lost;
    int echo; /* reply to each page_request with one carrying the same req_id */
    int expect_loss;
};

static struct net_key key;

static void on_msg(struct net_conn *c, struct net_frame *f, void *arg) {
    struct ep *e = arg;
    uint64_t id = 0;
    if (f->env->msg_case == SHOAL__ENVELOPE__MSG_PAGE_REQUEST) id = f->env->page_request->req_id;
    if (f->env->msg_case == SHOAL__ENVELOPE__MSG_PAGE_GRANT) id = f->env->page_grant->req_id;
    if (e->echo) {
        Shoal__PageRequest rq = SHOAL__PAGE_REQUEST__INIT;
        Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
        rq.req_id = id;
        rq.access = SHOAL__ACCESS__ACCESS_READ;
        env.msg_case = SHOAL__ENVELOPE__MSG_PAGE_REQUEST;
        env.page_request = &rq;
        CU_ASSERT_EQUAL(net_send(c, &env), 0);
    }
    struct rx *r = calloc(1, sizeof *r);
    r->req_id = id;
    r->at_ns = net_emul_now_ns();
    r->page = f->payload != NULL;
    pthread_mutex_lock(&e->mu);
    *e->tail = r;
    e->tail = &r->next;
    e->nrx++;
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
    /* links are closed on purpose only at the end of a test */
    if (!e->expect_loss) fprintf(stderr, "\n    node %u lost: %s\n", id, reason);
    e->lost++;
    pthread_cond_broadcast(&e->cv);
    pthread_mutex_unlock(&e->mu);
}

#define WAIT_FOR(e, cond)                                                                          \
    do {                                                                                           \
        pthread_mutex_lock(&(e)->mu);                                                              \
        while (!(cond))                                                                            \
            pthread_cond_wait(&(e)->cv, &(e)->mu);                                                 \
        pthread_mutex_unlock(&(e)->mu);                                                            \
    } while (0)

static void ep_start(struct ep *e, uint32_t id, struct net_emul_config emul) {
    memset(e, 0, sizeof *e);
    pthread_mutex_init(&e->mu, NULL);
    pthread_cond_init(&e->cv, NULL);
    e->tail = &e->head;
    struct net_config cfg;
    net_config_defaults(&cfg);
    cfg.node_id = id;
    cfg.key = key;
    cfg.build = "shoal test";
    cfg.on_peer_up = on_up;
    cfg.on_peer_lost = on_lost;
    cfg.arg = e;
    /* heartbeats would share the link with what is measured */
    cfg.heartbeat_interval_ms = 0;
    cfg.peer_timeout_ms = 0;
    cfg.emul = emul;
    e->node = net_node_create(&cfg);
    CU_ASSERT_PTR_NOT_NULL_FATAL(e->node);
    CU_ASSERT_EQUAL(net_node_on(e->node, SHOAL__ENVELOPE__MSG_PAGE_REQUEST, on_msg, e), 0);
    CU_ASSERT_EQUAL(net_node_on(e->node, SHOAL__ENVELOPE__MSG_PAGE_GRANT, on_msg, e), 0);
    CU_ASSERT_EQUAL(net_node_start(e->node), 0);
}

static void ep_stop(struct ep *e) {
    net_node_destroy(e->node);
    for (struct rx *r = e->head, *n; r; r = n) {
        n = r->next;
        free(r);
    }
    pthread_mutex_destroy(&e->mu);
    pthread_cond_destroy(&e->cv);
}

/* Master 0 and slave 1, both sending through emul; returns the slave's
 * connection to the master (a reference). */
static struct net_conn *pair_up(struct ep *m, struct ep *s, struct net_emul_config emul) {
    ep_start(m, 0, emul);
    uint16_t port = 0;
    CU_ASSERT_EQUAL_FATAL(net_node_listen(m->node, "127.0.0.1", 0, &port), 0);
    ep_start(s, 1, emul);
    CU_ASSERT_EQUAL_FATAL(net_node_connect(s->node, "127.0.0.1", port), 0);
    WAIT_FOR(m, m->up == 1);
    WAIT_FOR(s, s->up == 1);
    struct net_conn *c = net_node_peer(s->node, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    return c;
}

static int send_req(struct net_conn *c, uint64_t id) {
    Shoal__PageRequest rq = SHOAL__PAGE_REQUEST__INIT;
    Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
    rq.req_id = id;
    rq.access = SHOAL__ACCESS__ACCESS_READ;
    env.msg_case = SHOAL__ENVELOPE__MSG_PAGE_REQUEST;
    env.page_request = &rq;
    return net_send(c, &env);
}

static int send_grant(struct net_conn *c, uint64_t id, const void *page) {
    Shoal__PageGrant g = SHOAL__PAGE_GRANT__INIT;
    Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
    g.req_id = id;
    g.state = SHOAL__PAGE_STATE__PAGE_SHARED;
    env.msg_case = SHOAL__ENVELOPE__MSG_PAGE_GRANT;
    env.page_grant = &g;
    return net_send_page(c, &env, page);
}

static struct rx *take(struct ep *e) {
    pthread_mutex_lock(&e->mu);
    while (!e->head && !e->lost)
        pthread_cond_wait(&e->cv, &e->mu);
    struct rx *r = e->head;
    if (r) e->head = r->next;
    if (!e->head) e->tail = &e->head;
    pthread_mutex_unlock(&e->mu);
    return r;
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* One echoed page_request on c; its round trip. */
static uint64_t ping1(struct ep *s, struct net_conn *c) {
    unsigned id = s->nrx;
    uint64_t t0 = net_emul_now_ns();
    CU_ASSERT_EQUAL(send_req(c, id), 0);
    struct rx *r = take(s);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    uint64_t rtt = r->at_ns - t0;
    CU_ASSERT_EQUAL(r->req_id, id);
    free(r);
    return rtt;
}

/* n echoed page_requests on c; their round trips, sorted, into rtt. */
static void ping(struct ep *s, struct net_conn *c, uint64_t *rtt, unsigned n) {
    for (unsigned i = 0; i < n; i++)
        rtt[i] = ping1(s, c);
    qsort(rtt, n, sizeof rtt[0], cmp_u64);
}

static void unpair(struct ep *m, struct ep *s, struct net_conn *c) {
    net_conn_unref(c);
    pthread_mutex_lock(&m->mu);
    m->expect_loss = 1;
    pthread_mutex_unlock(&m->mu);
    ep_stop(s);
    ep_stop(m);
}

/* Waits until c has a calibrated base (probes answered) and returns it. */
static uint64_t calibrated(struct net_conn *c) {
    while (!net_conn_base_latency_ns(c))
        usleep(1000);
    /* The base is the quickest probe of the last one or two windows
     * (net/emul.h); a run's links probe for as long as it lasts, and the
     * pings below take their quickest of 200: the base they are checked
     * against is that of five bursts (80 probes), not of the first one,
     * whose quickest on a loaded machine can be far from the transport's
     * (a 27 us link measured 44 us for 54 with one burst and a half) */
    usleep(450000);
    return net_conn_base_latency_ns(c);
}

enum { PINGS = 200 };

/* latency_mode = added: the configured latency on top of the real
 * transport's, never less. */
static void test_rtt_added(void) {
    const uint64_t lat_us = 500;
    struct ep m, s;
    struct net_conn *c = pair_up(
        &m, &s, (struct net_emul_config){.latency_us = lat_us, .latency_mode = NET_EMUL_ADDED});
    m.echo = 1;
    uint64_t rtt[PINGS];
    ping(&s, c, rtt, PINGS);
    printf("\n    added %llu us each way: RTT min %.1f median %.1f max %.1f us ",
           (unsigned long long)lat_us, rtt[0] / 1e3, rtt[PINGS / 2] / 1e3, rtt[PINGS - 1] / 1e3);
    CU_ASSERT_EQUAL(net_conn_base_latency_ns(c), 0); /* no probes in this mode */
    /* never early: each direction waits for its due time */
    CU_ASSERT(rtt[0] >= 2 * lat_us * 1000);
    /* and not much late: loopback and timers add tens of us, a loaded
     * machine more; 10 ms of slack on the median is generous */
    CU_ASSERT(rtt[PINGS / 2] < 2 * lat_us * 1000 + 10000000);
    unpair(&m, &s, c);
}

/* latency_mode = total (the default): the link's round trip is twice the
 * configured latency, the real transport's own included. */
static void rtt_total(uint64_t lat_us) {
    struct ep m, s, rm, rs;
    uint64_t raw[PINGS], rtt[PINGS];
    struct net_conn *c = pair_up(&m, &s, (struct net_emul_config){.latency_us = lat_us});
    struct net_conn *mc = net_node_peer(m.node, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(mc);
    /* within a window the bases only go down: these are the largest the
     * pings below are emulated with */
    uint64_t base_s = calibrated(c), base_m = calibrated(mc);
    /* the real transport alone, the same way, one ping each in turn, so
     * both see the same load */
    struct net_conn *rc = pair_up(&rm, &rs, (struct net_emul_config){0});
    m.echo = rm.echo = 1;
    for (unsigned i = 0; i < PINGS; i++) {
        raw[i] = ping1(&rs, rc);
        rtt[i] = ping1(&s, c);
    }
    qsort(raw, PINGS, sizeof raw[0], cmp_u64);
    qsort(rtt, PINGS, sizeof rtt[0], cmp_u64);
    /* The quickest round trips, checked below against each other: a
     * loaded machine (the test run's other tests) can keep both from
     * their quickest for all 200 pairs, so up to six more rounds of pairs
     * add their samples while the emulated one is above its bound (two
     * were once 0.35 us short in a make test beside other work). The
     * bound stays; more samples only find each path's quickest. */
    uint64_t raw_min = raw[0], rtt_min = rtt[0];
    for (int round = 0; round < 6 && lat_us < 100 && rtt_min > 2 * lat_us * 1000 + raw_min / 2;
         round++)
        for (unsigned i = 0; i < PINGS; i++) {
            uint64_t r = ping1(&rs, rc), e = ping1(&s, c);
            raw_min = r < raw_min ? r : raw_min;
            rtt_min = e < rtt_min ? e : rtt_min;
        }
    unpair(&rm, &rs, rc);
    printf("\n    total %llu us each way: RTT min %.1f median %.1f max %.1f us; "
           "raw RTT min %.1f us; calibrated one-way %.1f and %.1f us ",
           (unsigned long long)lat_us, rtt_min / 1e3, rtt[PINGS / 2] / 1e3, rtt[PINGS - 1] / 1e3,
           raw_min / 1e3, base_s / 1e3, base_m / 1e3);
    /* the calibration is a real transport's latency: something, and far
     * below a millisecond on loopback */
    CU_ASSERT(base_s > 0 && base_s < 1000000);
    CU_ASSERT(base_m > 0 && base_m < 1000000);
    /* never earlier than the links' emulated delays allow */
    CU_ASSERT(rtt_min + base_s + base_m >= 2 * lat_us * 1000);
    CU_ASSERT(rtt[PINGS / 2] < 2 * lat_us * 1000 + 10000000);
    if (lat_us < 100) {
        /* With a latency of tens of us the loop spins for each frame's due
         * time instead of sleeping on a timer (tcp_send.c, EMUL_EARLY_NS), so
         * the emulated path costs what the probes measured: the loopback's
         * round trip no longer comes on top, the quickest round trip is
         * within half the quickest raw one of 2 x latency (with
         * latency_mode = added it is more than a whole raw one above). */
        CU_ASSERT(rtt_min <= 2 * lat_us * 1000 + raw_min / 2);
        /* nor quicker than configured by a whole raw one (a calibration
         * stuck above the real cost, with nothing added, would be) */
        CU_ASSERT(rtt_min + raw_min >= 2 * lat_us * 1000);
    }
    net_conn_unref(mc);
    unpair(&m, &s, c);
}

/* 1 GbE's 55 us round trip, the setting the issue names */
static void test_rtt_total_gbe(void) {
    rtt_total(27);
}

static void test_rtt_total(void) {
    rtt_total(500);
}

static void test_bandwidth(void) {
    const uint64_t mbit = 100;
    struct ep m, s;
    struct net_conn *c = pair_up(&m, &s, (struct net_emul_config){.bandwidth_mbit = mbit});
    static uint8_t page[NET_PAGE_SIZE];
    enum { PAGES = 1024 }; /* 4 MiB */
    uint64_t bytes0 = atomic_load(&net_node_stats(s.node)->bytes_tx);
    uint64_t t0 = net_emul_now_ns();
    for (unsigned i = 0; i < PAGES; i++) {
        page[0] = (uint8_t)i;
        CU_ASSERT_EQUAL(send_grant(c, i, page), 0);
    }
    WAIT_FOR(&m, m.nrx == PAGES || m.lost);
    CU_ASSERT_EQUAL_FATAL(m.nrx, PAGES);
    struct rx *last = NULL;
    for (struct rx *r = m.head; r; r = r->next)
        last = r;
    uint64_t elapsed = last->at_ns - t0;
    uint64_t bytes = atomic_load(&net_node_stats(s.node)->bytes_tx) - bytes0;
    uint64_t wire_ns = bytes * 8 * 1000 / mbit;
    printf("\n    %llu bytes at %llu Mbit/s: %.3f s (model %.3f s), %.1f Mbit/s ",
           (unsigned long long)bytes, (unsigned long long)mbit, elapsed / 1e9, wire_ns / 1e9,
           bytes * 8 / (elapsed / 1e3));
    CU_ASSERT(bytes >= (uint64_t)PAGES * NET_PAGE_SIZE);
    /* the link never carries more than its cap */
    CU_ASSERT(elapsed >= wire_ns);
    /* and it is not wildly slower: loopback moves 4 MiB in milliseconds */
    CU_ASSERT(elapsed < 2 * wire_ns + 1000000000ull);
    /* The cap is exact: frame i arrives when the link has carried frames
     * 0..i, plus the latency; how late each is against that is about
     * constant through the transfer. The smallest lateness of the first
     * and of the last quarter (one late wake-up moves single frames, not
     * the smallest of 256) differ by less than 1% of the transfer's wire
     * time: the rate over the middle half is within 2% of the cap. */
    uint64_t first = UINT64_MAX, last_q = UINT64_MAX, i = 0;
    for (struct rx *r = m.head; r; r = r->next, i++) {
        uint64_t model = t0 + (i + 1) * wire_ns / PAGES;
        uint64_t late = r->at_ns > model ? r->at_ns - model : 0;
        if (i < PAGES / 4 && late < first) first = late;
        if (i >= PAGES - PAGES / 4 && late < last_q) last_q = late;
    }
    printf("(lateness at least %.1f us in the first quarter, %.1f in the last) ", first / 1e3,
           last_q / 1e3);
    CU_ASSERT(last_q < first + wire_ns / 100);
    CU_ASSERT(first < last_q + wire_ns / 100);
    net_conn_unref(c);
    pthread_mutex_lock(&m.mu);
    m.expect_loss = 1;
    pthread_mutex_unlock(&m.mu);
    ep_stop(&s);
    ep_stop(&m);
}

struct sender {
    struct net_conn *c;
    unsigned id;
};

static void *send_many(void *arg) {
    struct sender *sd = arg;
    static uint8_t page[NET_PAGE_SIZE];
    for (uint64_t i = 0; i < 400; i++) {
        uint64_t tag = (uint64_t)sd->id << 32 | i;
        int r = i % 7 == 3 ? send_grant(sd->c, tag, page) : send_req(sd->c, tag);
        if (r) return (void *)1;
    }
    return NULL;
}

static void test_order(void) {
    struct ep m, s;
    struct net_conn *c =
        pair_up(&m, &s, (struct net_emul_config){.latency_us = 200, .bandwidth_mbit = 1000});
    enum { T = 4 };
    struct sender sd[T];
    pthread_t th[T];
    for (unsigned i = 0; i < T; i++) {
        sd[i] = (struct sender){c, i};
        pthread_create(&th[i], NULL, send_many, &sd[i]);
    }
    for (unsigned i = 0; i < T; i++) {
        void *r;
        pthread_join(th[i], &r);
        CU_ASSERT_PTR_NULL(r);
    }
    WAIT_FOR(&m, m.nrx == T * 400 || m.lost);
    CU_ASSERT_EQUAL_FATAL(m.nrx, T * 400);
    uint64_t next[T] = {0};
    unsigned pages = 0;
    for (struct rx *r = m.head; r; r = r->next) {
        unsigned who = (unsigned)(r->req_id >> 32);
        CU_ASSERT_FATAL(who < T);
        /* each sender's messages arrive in the order it sent them */
        CU_ASSERT_EQUAL(r->req_id & 0xffffffffu, next[who]);
        next[who] = (r->req_id & 0xffffffffu) + 1;
        pages += r->page;
    }
    CU_ASSERT_EQUAL(pages, T * (400 / 7 + (400 % 7 > 3)));
    net_conn_unref(c);
    pthread_mutex_lock(&m.mu);
    m.expect_loss = 1;
    pthread_mutex_unlock(&m.mu);
    ep_stop(&s);
    ep_stop(&m);
}

/* A close while frames still wait for their due time sends them first. */
static void test_close_flushes(void) {
    const uint64_t lat_us = 30000;
    struct ep m, s;
    struct net_conn *c = pair_up(&m, &s, (struct net_emul_config){.latency_us = lat_us});
    pthread_mutex_lock(&m.mu);
    m.expect_loss = 1;
    pthread_mutex_unlock(&m.mu);
    uint64_t t0 = net_emul_now_ns();
    for (uint64_t i = 0; i < 20; i++)
        CU_ASSERT_EQUAL(send_req(c, i), 0);
    net_close(c);
    CU_ASSERT_EQUAL(send_req(c, 99), -ENOTCONN);
    WAIT_FOR(&m, m.lost == 1);
    CU_ASSERT_EQUAL(m.nrx, 20);
    uint64_t i = 0;
    for (struct rx *r = m.head; r; r = r->next, i++) {
        CU_ASSERT_EQUAL(r->req_id, i);
        CU_ASSERT(r->at_ns - t0 >= lat_us * 1000);
    }
    net_conn_unref(c);
    pthread_mutex_lock(&m.mu);
    m.expect_loss = 1;
    pthread_mutex_unlock(&m.mu);
    ep_stop(&s);
    ep_stop(&m);
}

static int suite_init(void) {
    log_set_level(LOG_ERROR); /* each test ends by closing a link: a warning */
    return net_key_generate(&key) ? -1 : 0;
}

void test_register(void) {
    CU_pSuite s = CU_add_suite("net_emul", suite_init, NULL);
    CU_add_test(s, "model: serialization and queuing", test_model_bandwidth_queuing);
    CU_add_test(s, "model: latency only, order, growth", test_model_latency_only_and_order);
    CU_add_test(s, "model: calibration of the real latency", test_model_calibration);
    CU_add_test(s, "model: wire time", test_model_wire_time);
    CU_add_test(s, "loopback: RTT with 500 us latency added", test_rtt_added);
    CU_add_test(s, "loopback: RTT with 500 us latency in total", test_rtt_total);
    CU_add_test(s, "loopback: RTT with 27 us latency in total", test_rtt_total_gbe);
    CU_add_test(s, "loopback: 4 MiB at 100 Mbit/s", test_bandwidth);
    CU_add_test(s, "loopback: order under emulation", test_order);
    CU_add_test(s, "loopback: close sends waiting frames", test_close_flushes);
}
