/* net/transport.c + net/tcp*.c over 127.0.0.1 with ephemeral ports: two
 * nodes in this process, each with its own loop thread. Waits have no
 * time limit: a broken transport shows as a hung test (CTest's timeout),
 * never as a race against the clock. */
#define _GNU_SOURCE
#include <CUnit/CUnit.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "net/transport.h"

/* ---- an endpoint: a node and what its callbacks saw -------------------- */

struct rx {
    struct net_frame f;
    uint32_t from;
    struct rx *next;
};

struct ep {
    struct net_node *node;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct rx *head, **tail;
    unsigned nrx;
    unsigned up, lost, failed;
    uint32_t up_id, lost_id;
    char lost_reason[600], fail_reason[800];
};

static void wake(struct ep *e) {
    pthread_cond_broadcast(&e->cv);
    pthread_mutex_unlock(&e->mu);
}

static void on_msg(struct net_conn *c, struct net_frame *f, void *arg) {
    struct ep *e = arg;
    struct rx *r = calloc(1, sizeof *r);
    r->f = *f; /* take the envelope and payload */
    f->env = NULL;
    f->payload = NULL;
    r->from = net_conn_peer_id(c);
    pthread_mutex_lock(&e->mu);
    *e->tail = r;
    e->tail = &r->next;
    e->nrx++;
    wake(e);
}

static void on_up(struct net_node *n, struct net_conn *c, uint32_t id, void *arg) {
    struct ep *e = arg;
    pthread_mutex_lock(&e->mu);
    e->up++;
    e->up_id = id;
    wake(e);
}

static void on_lost(struct net_node *n, uint32_t id, const char *reason, void *arg) {
    struct ep *e = arg;
    pthread_mutex_lock(&e->mu);
    e->lost++;
    e->lost_id = id;
    snprintf(e->lost_reason, sizeof e->lost_reason, "%s", reason);
    wake(e);
}

static void on_failed(struct net_node *n, const char *addr, const char *reason, void *arg) {
    struct ep *e = arg;
    pthread_mutex_lock(&e->mu);
    e->failed++;
    snprintf(e->fail_reason, sizeof e->fail_reason, "%s", reason);
    wake(e);
}

static struct net_key key, other_key;

/* Set while a test's endpoints start: their PAGE_GRANT handler is
 * on_grant_in_place, registered with net_node_on_borrowed. */
static int grants_in_place;
static void on_grant_in_place(struct net_conn *c, struct net_frame *f, void *arg);

static void ep_config(struct ep *e, struct net_config *cfg, uint32_t id) {
    net_config_defaults(cfg);
    cfg->node_id = id;
    cfg->key = key;
    cfg->build = "shoal test";
    cfg->on_peer_up = on_up;
    cfg->on_peer_lost = on_lost;
    cfg->on_connect_failed = on_failed;
    cfg->arg = e;
}

static void ep_start(struct ep *e, const struct net_config *cfg) {
    memset(e, 0, sizeof *e);
    pthread_mutex_init(&e->mu, NULL);
    pthread_cond_init(&e->cv, NULL);
    e->tail = &e->head;
    e->node = net_node_create(cfg);
    CU_ASSERT_PTR_NOT_NULL_FATAL(e->node);
    for (unsigned t = 1; t < NET_MSG_TYPES; t++)
        if (net_msg_name(t) && !net_msg_is_handshake(t) && t != SHOAL__ENVELOPE__MSG_ERROR &&
            t != SHOAL__ENVELOPE__MSG_HEARTBEAT)
            CU_ASSERT_EQUAL(net_node_on(e->node, t, on_msg, e), 0);
    if (grants_in_place)
        CU_ASSERT_EQUAL(
            net_node_on_borrowed(e->node, SHOAL__ENVELOPE__MSG_PAGE_GRANT, on_grant_in_place, e),
            0);
    CU_ASSERT_EQUAL(net_node_start(e->node), 0);
}

static void ep_stop(struct ep *e) {
    net_node_destroy(e->node);
    for (struct rx *r = e->head, *n; r; r = n) {
        n = r->next;
        net_frame_fini(&r->f);
        free(r);
    }
    pthread_mutex_destroy(&e->mu);
    pthread_cond_destroy(&e->cv);
}

#define WAIT_FOR(e, cond)                                                                          \
    do {                                                                                           \
        pthread_mutex_lock(&(e)->mu);                                                              \
        while (!(cond))                                                                            \
            pthread_cond_wait(&(e)->cv, &(e)->mu);                                                 \
        pthread_mutex_unlock(&(e)->mu);                                                            \
    } while (0)

/* Takes the oldest received message (waits for one). */
static struct rx *ep_take(struct ep *e) {
    pthread_mutex_lock(&e->mu);
    while (!e->head)
        pthread_cond_wait(&e->cv, &e->mu);
    struct rx *r = e->head;
    e->head = r->next;
    if (!e->head) e->tail = &e->head;
    pthread_mutex_unlock(&e->mu);
    return r;
}

static void rx_free(struct rx *r) {
    net_frame_fini(&r->f);
    free(r);
}

/* A master (id 0) listening and a slave (id 1) connected to it. */
static uint16_t pair_up(struct ep *m, struct ep *s, struct net_config *mcfg,
                        struct net_config *scfg) {
    struct net_config mc, sc;
    if (!mcfg) ep_config(m, mcfg = &mc, 0);
    if (!scfg) ep_config(s, scfg = &sc, 1);
    ep_start(m, mcfg);
    uint16_t port = 0;
    CU_ASSERT_EQUAL_FATAL(net_node_listen(m->node, "127.0.0.1", 0, &port), 0);
    CU_ASSERT(port != 0);
    ep_start(s, scfg);
    CU_ASSERT_EQUAL_FATAL(net_node_connect(s->node, "127.0.0.1", port), 0);
    return port;
}

/* ---- round trip of every message type ---------------------------------- */

static void fill_page(uint8_t *p, uint64_t seed) {
    uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1;
    for (unsigned i = 0; i < NET_PAGE_SIZE; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        p[i] = (uint8_t)x;
    }
}

static int send_env(struct net_conn *c, unsigned type, void *msg) {
    Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
    env.msg_case = type;
    env.page_request = msg; /* every union member is a pointer */
    return net_send(c, &env);
}

static void test_all_types(void) {
    struct ep m, s;
    pair_up(&m, &s, NULL, NULL);
    WAIT_FOR(&m, m.up == 1);
    WAIT_FOR(&s, s.up == 1);
    CU_ASSERT_EQUAL(m.up_id, 1);
    CU_ASSERT_EQUAL(s.up_id, 0);
    struct net_conn *to_m = net_node_peer(s.node, 0), *to_s = net_node_peer(m.node, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(to_m);
    CU_ASSERT_PTR_NOT_NULL_FATAL(to_s);
    CU_ASSERT_PTR_NULL(net_node_peer(m.node, 7));
    CU_ASSERT_EQUAL(net_conn_peer_id(to_m), 0);
    CU_ASSERT_EQUAL(net_conn_local_id(to_m), 1);

    /* slave -> master */
    Shoal__PageRequest rq = SHOAL__PAGE_REQUEST__INIT;
    rq.page = 0x40001;
    rq.access = SHOAL__ACCESS__ACCESS_WRITE;
    rq.req_id = 11;
    rq.tid = 1001;
    CU_ASSERT_EQUAL(send_env(to_m, SHOAL__ENVELOPE__MSG_PAGE_REQUEST, &rq), 0);

    uint8_t page[NET_PAGE_SIZE];
    fill_page(page, 1);
    Shoal__PageAck ack = SHOAL__PAGE_ACK__INIT;
    ack.page = 0x40002;
    ack.state = SHOAL__PAGE_STATE__PAGE_INVALID;
    ack.req_id = 12;
    Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
    env.msg_case = SHOAL__ENVELOPE__MSG_PAGE_ACK;
    env.page_ack = &ack;
    CU_ASSERT_EQUAL(net_send_page(to_m, &env, page), 0);

    uint64_t args[6] = {3, 0x1000, 17, 0, 0, ~0ull};
    Shoal__Buffer in0 = SHOAL__BUFFER__INIT, *ins[1] = {&in0};
    in0.addr = 0x1000;
    in0.data.data = (uint8_t *)"hello, master\n!!";
    in0.data.len = 17;
    Shoal__SyscallRequest sr = SHOAL__SYSCALL_REQUEST__INIT;
    sr.req_id = 13;
    sr.tid = 1002;
    sr.nr = 64;
    sr.n_args = 6;
    sr.args = args;
    sr.n_inputs = 1;
    sr.inputs = ins;
    CU_ASSERT_EQUAL(send_env(to_m, SHOAL__ENVELOPE__MSG_SYSCALL_REQUEST, &sr), 0);

    Shoal__FutexWait fw = SHOAL__FUTEX_WAIT__INIT;
    fw.req_id = 14, fw.tid = 1003, fw.uaddr = 0x5000, fw.val = 7, fw.bitset = ~0u;
    fw.timeout_ns = -1;
    CU_ASSERT_EQUAL(send_env(to_m, SHOAL__ENVELOPE__MSG_FUTEX_WAIT, &fw), 0);
    Shoal__FutexWake fk = SHOAL__FUTEX_WAKE__INIT;
    fk.req_id = 15, fk.tid = 1004, fk.uaddr = 0x5000, fk.count = 2147483647, fk.bitset = 1;
    CU_ASSERT_EQUAL(send_env(to_m, SHOAL__ENVELOPE__MSG_FUTEX_WAKE, &fk), 0);
    Shoal__Exit ex = SHOAL__EXIT__INIT;
    ex.tid = 1005, ex.group = 1, ex.status = 3, ex.signal = 0;
    CU_ASSERT_EQUAL(send_env(to_m, SHOAL__ENVELOPE__MSG_EXIT, &ex), 0);

    struct rx *r = ep_take(&m);
    CU_ASSERT_EQUAL(r->from, 1);
    CU_ASSERT_EQUAL_FATAL(r->f.env->msg_case, SHOAL__ENVELOPE__MSG_PAGE_REQUEST);
    CU_ASSERT_EQUAL(r->f.env->page_request->page, 0x40001);
    CU_ASSERT_EQUAL(r->f.env->page_request->access, SHOAL__ACCESS__ACCESS_WRITE);
    CU_ASSERT_EQUAL(r->f.env->page_request->req_id, 11);
    CU_ASSERT_EQUAL(r->f.env->page_request->tid, 1001);
    CU_ASSERT_EQUAL(r->f.payload_len, 0);
    rx_free(r);
    r = ep_take(&m);
    CU_ASSERT_EQUAL_FATAL(r->f.env->msg_case, SHOAL__ENVELOPE__MSG_PAGE_ACK);
    CU_ASSERT_EQUAL(r->f.env->page_ack->page, 0x40002);
    CU_ASSERT_EQUAL(r->f.env->page_ack->state, SHOAL__PAGE_STATE__PAGE_INVALID);
    CU_ASSERT_EQUAL_FATAL(r->f.payload_len, NET_PAGE_SIZE);
    CU_ASSERT_EQUAL(memcmp(r->f.payload, page, NET_PAGE_SIZE), 0);
    rx_free(r);
    r = ep_take(&m);
    CU_ASSERT_EQUAL_FATAL(r->f.env->msg_case, SHOAL__ENVELOPE__MSG_SYSCALL_REQUEST);
    Shoal__SyscallRequest *gsr = r->f.env->syscall_request;
    CU_ASSERT_EQUAL(gsr->nr, 64);
    CU_ASSERT_EQUAL(gsr->tid, 1002);
    CU_ASSERT_EQUAL(gsr->n_args, 6);
    CU_ASSERT_EQUAL(memcmp(gsr->args, args, sizeof args), 0);
    CU_ASSERT_EQUAL_FATAL(gsr->n_inputs, 1);
    CU_ASSERT_EQUAL(gsr->inputs[0]->addr, 0x1000);
    CU_ASSERT_EQUAL(gsr->inputs[0]->data.len, 17);
    CU_ASSERT_EQUAL(memcmp(gsr->inputs[0]->data.data, "hello, master\n!!", 17), 0);
    rx_free(r);
    r = ep_take(&m);
    CU_ASSERT_EQUAL_FATAL(r->f.env->msg_case, SHOAL__ENVELOPE__MSG_FUTEX_WAIT);
    CU_ASSERT_EQUAL(r->f.env->futex_wait->uaddr, 0x5000);
    CU_ASSERT_EQUAL(r->f.env->futex_wait->val, 7);
    CU_ASSERT_EQUAL(r->f.env->futex_wait->bitset, ~0u);
    CU_ASSERT_EQUAL(r->f.env->futex_wait->timeout_ns, -1);
    rx_free(r);
    r = ep_take(&m);
    CU_ASSERT_EQUAL_FATAL(r->f.env->msg_case, SHOAL__ENVELOPE__MSG_FUTEX_WAKE);
    CU_ASSERT_EQUAL(r->f.env->futex_wake->count, 2147483647);
    CU_ASSERT_EQUAL(r->f.env->futex_wake->bitset, 1);
    rx_free(r);
    r = ep_take(&m);
    CU_ASSERT_EQUAL_FATAL(r->f.env->msg_case, SHOAL__ENVELOPE__MSG_EXIT);
    CU_ASSERT_EQUAL(r->f.env->exit->tid, 1005);
    CU_ASSERT(r->f.env->exit->group);
    CU_ASSERT_EQUAL(r->f.env->exit->status, 3);
    rx_free(r);

    /* master -> slave */
    Shoal__PageGrant g = SHOAL__PAGE_GRANT__INIT;
    g.page = 0x40001;
    g.state = SHOAL__PAGE_STATE__PAGE_MODIFIED;
    g.req_id = 11;
    env = (Shoal__Envelope)SHOAL__ENVELOPE__INIT;
    env.msg_case = SHOAL__ENVELOPE__MSG_PAGE_GRANT;
    env.page_grant = &g;
    fill_page(page, 2);
    CU_ASSERT_EQUAL(net_send_page(to_s, &env, page), 0);
    Shoal__PageInvalidate inv = SHOAL__PAGE_INVALIDATE__INIT;
    inv.page = 0x40003;
    inv.state = SHOAL__PAGE_STATE__PAGE_SHARED;
    inv.req_id = 21;
    CU_ASSERT_EQUAL(send_env(to_s, SHOAL__ENVELOPE__MSG_PAGE_INVALIDATE, &inv), 0);

    uint8_t out_data[3 * NET_PAGE_SIZE];
    fill_page(out_data, 3), fill_page(out_data + NET_PAGE_SIZE, 4);
    fill_page(out_data + 2 * NET_PAGE_SIZE, 5);
    Shoal__Buffer o0 = SHOAL__BUFFER__INIT, *outs[1] = {&o0};
    o0.addr = 0x7000;
    o0.data.data = out_data;
    o0.data.len = sizeof out_data;
    Shoal__SyscallResponse sp = SHOAL__SYSCALL_RESPONSE__INIT;
    sp.req_id = 13, sp.tid = 1002, sp.ret = -14;
    sp.n_outputs = 1;
    sp.outputs = outs;
    CU_ASSERT_EQUAL(send_env(to_s, SHOAL__ENVELOPE__MSG_SYSCALL_RESPONSE, &sp), 0);

    Shoal__CpuState cpu = SHOAL__CPU_STATE__INIT;
    uint64_t x[31];
    uint8_t vb[32][16];
    ProtobufCBinaryData v[32];
    for (int i = 0; i < 31; i++)
        x[i] = 0x0101010101010101ull * (uint64_t)i ^ (1ull << 63);
    for (int i = 0; i < 32; i++) {
        for (int j = 0; j < 16; j++)
            vb[i][j] = (uint8_t)(i * 16 + j);
        v[i] = (ProtobufCBinaryData){16, vb[i]};
    }
    cpu.n_x = 31, cpu.x = x, cpu.n_v = 32, cpu.v = v;
    cpu.sp = 0x7ffffff0, cpu.pc = 0x400abc, cpu.nzcv = 0xa0000000u;
    cpu.fpcr = 0x03c00000, cpu.fpsr = 0x9f, cpu.tpidr = 0xdeadbeef000;
    Shoal__ThreadSpawn ts = SHOAL__THREAD_SPAWN__INIT;
    ts.tid = 1006, ts.parent_tid = 1000, ts.cpu = &cpu, ts.clear_child_tid = 0x8888;
    ts.robust_list = 0x9990;
    CU_ASSERT_EQUAL(send_env(to_s, SHOAL__ENVELOPE__MSG_THREAD_SPAWN, &ts), 0);
    Shoal__FutexResult fr = SHOAL__FUTEX_RESULT__INIT;
    fr.req_id = 14, fr.tid = 1003, fr.ret = -110;
    CU_ASSERT_EQUAL(send_env(to_s, SHOAL__ENVELOPE__MSG_FUTEX_RESULT, &fr), 0);

    r = ep_take(&s);
    CU_ASSERT_EQUAL(r->from, 0);
    CU_ASSERT_EQUAL_FATAL(r->f.env->msg_case, SHOAL__ENVELOPE__MSG_PAGE_GRANT);
    CU_ASSERT_EQUAL(r->f.env->page_grant->state, SHOAL__PAGE_STATE__PAGE_MODIFIED);
    CU_ASSERT_EQUAL(r->f.flags, NET_FRAME_F_PAGE);
    CU_ASSERT_EQUAL_FATAL(r->f.payload_len, NET_PAGE_SIZE);
    CU_ASSERT_EQUAL(memcmp(r->f.payload, page, NET_PAGE_SIZE), 0);
    rx_free(r);
    r = ep_take(&s);
    CU_ASSERT_EQUAL_FATAL(r->f.env->msg_case, SHOAL__ENVELOPE__MSG_PAGE_INVALIDATE);
    CU_ASSERT_EQUAL(r->f.env->page_invalidate->page, 0x40003);
    CU_ASSERT_EQUAL(r->f.env->page_invalidate->state, SHOAL__PAGE_STATE__PAGE_SHARED);
    rx_free(r);
    r = ep_take(&s);
    CU_ASSERT_EQUAL_FATAL(r->f.env->msg_case, SHOAL__ENVELOPE__MSG_SYSCALL_RESPONSE);
    CU_ASSERT_EQUAL(r->f.env->syscall_response->ret, -14);
    CU_ASSERT_EQUAL_FATAL(r->f.env->syscall_response->n_outputs, 1);
    CU_ASSERT_EQUAL(r->f.env->syscall_response->outputs[0]->addr, 0x7000);
    CU_ASSERT_EQUAL_FATAL(r->f.env->syscall_response->outputs[0]->data.len, sizeof out_data);
    CU_ASSERT_EQUAL(
        memcmp(r->f.env->syscall_response->outputs[0]->data.data, out_data, sizeof out_data), 0);
    rx_free(r);
    r = ep_take(&s);
    CU_ASSERT_EQUAL_FATAL(r->f.env->msg_case, SHOAL__ENVELOPE__MSG_THREAD_SPAWN);
    Shoal__ThreadSpawn *gts = r->f.env->thread_spawn;
    CU_ASSERT_EQUAL(gts->tid, 1006);
    CU_ASSERT_EQUAL(gts->parent_tid, 1000);
    CU_ASSERT_EQUAL(gts->clear_child_tid, 0x8888);
    CU_ASSERT_EQUAL(gts->robust_list, 0x9990);
    CU_ASSERT_EQUAL(memcmp(gts->cpu->x, x, sizeof x), 0);
    CU_ASSERT_EQUAL(gts->cpu->sp, 0x7ffffff0);
    CU_ASSERT_EQUAL(gts->cpu->pc, 0x400abc);
    CU_ASSERT_EQUAL(gts->cpu->nzcv, 0xa0000000u);
    CU_ASSERT_EQUAL(gts->cpu->fpcr, 0x03c00000);
    CU_ASSERT_EQUAL(gts->cpu->fpsr, 0x9f);
    CU_ASSERT_EQUAL(gts->cpu->tpidr, 0xdeadbeef000);
    int vsame = 1;
    for (int i = 0; i < 32; i++)
        vsame &= memcmp(gts->cpu->v[i].data, vb[i], 16) == 0;
    CU_ASSERT(vsame);
    rx_free(r);
    r = ep_take(&s);
    CU_ASSERT_EQUAL_FATAL(r->f.env->msg_case, SHOAL__ENVELOPE__MSG_FUTEX_RESULT);
    CU_ASSERT_EQUAL(r->f.env->futex_result->ret, -110);
    rx_free(r);

    const struct net_stats *st = net_node_stats(m.node);
    CU_ASSERT_EQUAL(atomic_load(&st->msgs_rx[SHOAL__ENVELOPE__MSG_PAGE_REQUEST]), 1);
    CU_ASSERT_EQUAL(atomic_load(&st->msgs_tx[SHOAL__ENVELOPE__MSG_PAGE_GRANT]), 1);
    CU_ASSERT_EQUAL(atomic_load(&st->auth_failures), 0);
    CU_ASSERT_EQUAL(atomic_load(&st->protocol_errors), 0);

    net_conn_unref(to_m);
    net_conn_unref(to_s);
    ep_stop(&s);
    ep_stop(&m);
}

/* ---- pages from several threads at once ------------------------------- */

#define SENDERS 4
#define PAGES   64

struct sender {
    struct net_conn *c;
    unsigned id;
};

static void *sender_main(void *arg) {
    struct sender *sd = arg;
    uint8_t page[NET_PAGE_SIZE];
    for (unsigned i = 0; i < PAGES; i++) {
        uint64_t pn = (uint64_t)sd->id << 32 | i;
        fill_page(page, pn);
        Shoal__PageGrant g = SHOAL__PAGE_GRANT__INIT;
        g.page = pn;
        g.state = SHOAL__PAGE_STATE__PAGE_SHARED;
        g.req_id = i;
        Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
        env.msg_case = SHOAL__ENVELOPE__MSG_PAGE_GRANT;
        env.page_grant = &g;
        if (net_send_page(sd->c, &env, page)) return (void *)1;
        memset(page, 0xee, sizeof page); /* the transport copied it already */
    }
    return NULL;
}

/* SENDERS threads run fn (sender_main: PAGES pages each) on c at once;
 * all succeed. */
static void senders(struct net_conn *c, void *(*fn)(void *)) {
    pthread_t th[SENDERS];
    struct sender sd[SENDERS];
    for (unsigned i = 0; i < SENDERS; i++) {
        sd[i] = (struct sender){c, i};
        pthread_create(&th[i], NULL, fn, &sd[i]);
    }
    for (unsigned i = 0; i < SENDERS; i++) {
        void *ret;
        pthread_join(th[i], &ret);
        CU_ASSERT_PTR_NULL(ret);
    }
}

static void test_pages_concurrent(void) {
    struct ep m, s;
    pair_up(&m, &s, NULL, NULL);
    WAIT_FOR(&m, m.up == 1);
    struct net_conn *c = net_node_peer(m.node, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    senders(c, sender_main);
    unsigned next[SENDERS] = {0}, intact = 0, in_order = 0;
    uint8_t want[NET_PAGE_SIZE];
    for (unsigned k = 0; k < SENDERS * PAGES; k++) {
        struct rx *r = ep_take(&s);
        CU_ASSERT_EQUAL_FATAL(r->f.env->msg_case, SHOAL__ENVELOPE__MSG_PAGE_GRANT);
        uint64_t pn = r->f.env->page_grant->page;
        unsigned who = (unsigned)(pn >> 32), i = (unsigned)pn;
        CU_ASSERT_FATAL(who < SENDERS);
        in_order += i == next[who]; /* one sender's frames stay in order */
        next[who] = i + 1;
        fill_page(want, pn);
        intact += r->f.payload_len == NET_PAGE_SIZE && !memcmp(r->f.payload, want, NET_PAGE_SIZE);
        rx_free(r);
    }
    CU_ASSERT_EQUAL(intact, SENDERS * PAGES);
    CU_ASSERT_EQUAL(in_order, SENDERS * PAGES);
    net_conn_unref(c);
    ep_stop(&s);
    ep_stop(&m);
}

/* ---- runs of pages in one frame --------------------------------------- */

#define RUNS 24

/* Sends RUNS grants of 1..NET_PAGES_MAX pages each, every page a buffer
 * of its own (the transport gathers them), scribbled over once sent. */
static void *run_sender_main(void *arg) {
    struct sender *sd = arg;
    uint8_t *pages[NET_PAGES_MAX];
    for (unsigned k = 0; k < NET_PAGES_MAX; k++)
        pages[k] = malloc(NET_PAGE_SIZE);
    void *ret = NULL;
    for (unsigned r = 0; r < RUNS && !ret; r++) {
        uint32_t n = 1 + (r * 29 + sd->id * 5) % NET_PAGES_MAX;
        uint64_t pn = (uint64_t)sd->id << 32 | (uint64_t)r << 8;
        for (unsigned k = 0; k < n; k++)
            fill_page(pages[k], pn + k);
        Shoal__PageGrant g = SHOAL__PAGE_GRANT__INIT;
        g.page = pn;
        g.state = SHOAL__PAGE_STATE__PAGE_SHARED;
        g.count = n > 1 ? n : 0;
        Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
        env.msg_case = SHOAL__ENVELOPE__MSG_PAGE_GRANT;
        env.page_grant = &g;
        if (net_send_pages(sd->c, &env, (const void *const *)pages, n)) ret = (void *)1;
        for (unsigned k = 0; k < n; k++)
            memset(pages[k], 0xee, NET_PAGE_SIZE); /* copied already */
    }
    for (unsigned k = 0; k < NET_PAGES_MAX; k++)
        free(pages[k]);
    return ret;
}

/* Several threads send runs of pages at once, most larger than what the
 * socket takes in one write: every page of every run arrives intact and
 * in its place, each sender's runs in order; a run of none or of more
 * than NET_PAGES_MAX is refused before anything is sent. */
static void test_page_runs(void) {
    struct ep m, s;
    pair_up(&m, &s, NULL, NULL);
    WAIT_FOR(&m, m.up == 1);
    struct net_conn *c = net_node_peer(m.node, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    Shoal__PageGrant g0 = SHOAL__PAGE_GRANT__INIT;
    g0.state = SHOAL__PAGE_STATE__PAGE_SHARED;
    Shoal__Envelope env0 = SHOAL__ENVELOPE__INIT;
    env0.msg_case = SHOAL__ENVELOPE__MSG_PAGE_GRANT;
    env0.page_grant = &g0;
    static uint8_t one[NET_PAGE_SIZE];
    const void *many[NET_PAGES_MAX + 1];
    for (unsigned k = 0; k <= NET_PAGES_MAX; k++)
        many[k] = one;
    CU_ASSERT_EQUAL(net_send_pages(c, &env0, many, 0), -EMSGSIZE);
    CU_ASSERT_EQUAL(net_send_pages(c, &env0, many, NET_PAGES_MAX + 1), -EMSGSIZE);
    senders(c, run_sender_main);
    unsigned next[SENDERS] = {0}, intact = 0, in_order = 0;
    uint8_t want[NET_PAGE_SIZE];
    for (unsigned k = 0; k < SENDERS * RUNS; k++) {
        struct rx *r = ep_take(&s);
        CU_ASSERT_EQUAL_FATAL(r->f.env->msg_case, SHOAL__ENVELOPE__MSG_PAGE_GRANT);
        uint64_t pn = r->f.env->page_grant->page;
        unsigned who = (unsigned)(pn >> 32), run = (unsigned)(pn >> 8) & 0xffffff;
        CU_ASSERT_FATAL(who < SENDERS);
        uint32_t n = 1 + (run * 29 + who * 5) % NET_PAGES_MAX;
        in_order += run == next[who];
        next[who] = run + 1;
        CU_ASSERT_EQUAL(r->f.env->page_grant->count, n > 1 ? n : 0);
        bool ok = r->f.payload_len == n * NET_PAGE_SIZE;
        for (unsigned p = 0; p < n && ok; p++) {
            fill_page(want, pn + p);
            ok = !memcmp(r->f.payload + (size_t)p * NET_PAGE_SIZE, want, NET_PAGE_SIZE);
        }
        intact += ok;
        rx_free(r);
    }
    CU_ASSERT_EQUAL(intact, SENDERS * RUNS);
    CU_ASSERT_EQUAL(in_order, SENDERS * RUNS);
    net_conn_unref(c);
    ep_stop(&s);
    ep_stop(&m);
}

/* ---- a handler that takes pages in place -------------------------------- */

static unsigned in_place_intact, in_place_n;

/* Checks the page while the frame is its own (a borrowed payload lives
 * only until it returns), keeps nothing. */
static void on_grant_in_place(struct net_conn *c, struct net_frame *f, void *arg) {
    struct ep *e = arg;
    uint8_t want[NET_PAGE_SIZE];
    fill_page(want, f->env->page_grant->page);
    int ok = f->payload_len == NET_PAGE_SIZE && !memcmp(f->payload, want, NET_PAGE_SIZE);
    pthread_mutex_lock(&e->mu);
    in_place_intact += ok;
    in_place_n++;
    wake(e);
}

/* The same concurrent senders, received by a handler registered with
 * net_node_on_borrowed: every page arrives intact, whether the frame came
 * whole in one read (in place) or split across reads (copied). */
static void test_pages_in_place(void) {
    struct ep m, s;
    grants_in_place = 1;
    in_place_intact = in_place_n = 0;
    pair_up(&m, &s, NULL, NULL);
    grants_in_place = 0;
    WAIT_FOR(&m, m.up == 1);
    struct net_conn *c = net_node_peer(m.node, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    senders(c, sender_main);
    WAIT_FOR(&s, in_place_n == SENDERS * PAGES);
    CU_ASSERT_EQUAL(in_place_intact, SENDERS * PAGES);
    net_conn_unref(c);
    ep_stop(&s);
    ep_stop(&m);
}

/* ---- a receiver that stops reading ------------------------------------ */

/* Holds the receiver's loop thread in its first page handler until
 * opened, so the sender's socket buffers fill up. */
struct gate {
    struct ep *e;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool entered, open;
};

static void on_gated(struct net_conn *c, struct net_frame *f, void *arg) {
    struct gate *g = arg;
    pthread_mutex_lock(&g->mu);
    g->entered = true;
    pthread_cond_broadcast(&g->cv);
    while (!g->open)
        pthread_cond_wait(&g->cv, &g->mu);
    pthread_mutex_unlock(&g->mu);
    on_msg(c, f, g->e);
}

/* 16 MiB of pages sent from a thread that is not the loop thread while the
 * peer reads nothing: far more than the kernel buffers hold, so sending
 * must queue what does not fit (never block the sender) and finish later,
 * every frame intact and in order. */
#define STALLED_PAGES 4096

/* Page grants 0..n-1 (page i filled by fill_page(i)) to c until one
 * send fails; how many went, and the failure in *r (0: none). */
static unsigned send_grants(struct net_conn *c, unsigned n, int *r) {
    uint8_t page[NET_PAGE_SIZE];
    unsigned sent = 0;
    *r = 0;
    for (unsigned i = 0; i < n && *r == 0; i++) {
        fill_page(page, i);
        Shoal__PageGrant pg = SHOAL__PAGE_GRANT__INIT;
        pg.page = i;
        pg.state = SHOAL__PAGE_STATE__PAGE_SHARED;
        Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
        env.msg_case = SHOAL__ENVELOPE__MSG_PAGE_GRANT;
        env.page_grant = &pg;
        if (!(*r = net_send_page(c, &env, page))) sent++;
    }
    return sent;
}

/* A master and a slave up, the slave's PAGE_GRANT handler held at g
 * until it is opened; the master's connection to the slave. */
static struct net_conn *gated_pair(struct ep *m, struct ep *s, struct net_config *mcfg,
                                   struct gate *g) {
    pair_up(m, s, mcfg, NULL);
    WAIT_FOR(m, m->up == 1);
    WAIT_FOR(s, s->up == 1);
    *g = (struct gate){.e = s};
    pthread_mutex_init(&g->mu, NULL);
    pthread_cond_init(&g->cv, NULL);
    CU_ASSERT_EQUAL(net_node_on(s->node, SHOAL__ENVELOPE__MSG_PAGE_GRANT, on_gated, g), 0);
    return net_node_peer(m->node, 1);
}

static void test_stalled_receiver(void) {
    struct ep m, s;
    struct gate g;
    struct net_conn *c = gated_pair(&m, &s, NULL, &g);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    int r;
    CU_ASSERT_EQUAL(send_grants(c, STALLED_PAGES, &r), STALLED_PAGES);
    CU_ASSERT_EQUAL(r, 0);
    pthread_mutex_lock(&g.mu);
    while (!g.entered)
        pthread_cond_wait(&g.cv, &g.mu);
    g.open = true;
    pthread_cond_broadcast(&g.cv);
    pthread_mutex_unlock(&g.mu);
    unsigned intact = 0, in_order = 0;
    uint8_t want[NET_PAGE_SIZE];
    for (unsigned k = 0; k < STALLED_PAGES; k++) {
        struct rx *r = ep_take(&s);
        CU_ASSERT_EQUAL_FATAL(r->f.env->msg_case, SHOAL__ENVELOPE__MSG_PAGE_GRANT);
        uint64_t pn = r->f.env->page_grant->page;
        in_order += pn == k;
        fill_page(want, pn);
        intact += r->f.payload_len == NET_PAGE_SIZE && !memcmp(r->f.payload, want, NET_PAGE_SIZE);
        rx_free(r);
    }
    CU_ASSERT_EQUAL(intact, STALLED_PAGES);
    CU_ASSERT_EQUAL(in_order, STALLED_PAGES);
    CU_ASSERT_EQUAL(s.lost + m.lost, 0);
    net_conn_unref(c);
    ep_stop(&s);
    ep_stop(&m);
}

/* The same stalled receiver with a cap of 1 MiB on what its sender may
 * queue for it: past the cap the sender drops it (net_send fails, the
 * peer is reported lost with the reason) rather than keep queueing. */
static void test_queue_cap(void) {
    struct ep m, s;
    struct net_config mc;
    ep_config(&m, &mc, 0);
    mc.max_queue_bytes = 1u << 20;
    struct gate g;
    struct net_conn *c = gated_pair(&m, &s, &mc, &g);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    int r;
    unsigned sent = send_grants(c, STALLED_PAGES, &r);
    /* the kernel's buffers and 1 MiB, not the 16 MiB */
    CU_ASSERT_EQUAL(r, -ENOBUFS);
    CU_ASSERT(sent < STALLED_PAGES);
    if (r == -ENOBUFS) { /* else nothing drops the peer: do not wait for it */
        WAIT_FOR(&m, m.lost == 1);
        CU_ASSERT_EQUAL(m.lost_id, 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(m.lost_reason, "not reading"));
    }
    pthread_mutex_lock(&g.mu);
    g.open = true;
    pthread_cond_broadcast(&g.cv);
    pthread_mutex_unlock(&g.mu);
    net_conn_unref(c);
    ep_stop(&s);
    ep_stop(&m);
}

/* ---- an emulated link --------------------------------------------------- */

static uint64_t mono_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Pages sent from a thread that is not the loop thread over an emulated
 * 100 Mbit/s link with 500 us latency: every frame arrives intact and in
 * order, and no earlier than the link allows (frames are held until due;
 * the bound is a minimum, there is no maximum). */
#define EMUL_PAGES 48
static void test_emulated_link(void) {
    struct ep m, s;
    struct net_config mc;
    ep_config(&m, &mc, 0);
    mc.emul.latency_us = 500;
    mc.emul.bandwidth_mbit = 100;
    pair_up(&m, &s, &mc, NULL);
    WAIT_FOR(&m, m.up == 1);
    struct net_conn *c = net_node_peer(m.node, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    uint8_t page[NET_PAGE_SIZE];
    int failed = 0;
    uint64_t t0 = mono_ns();
    for (unsigned i = 0; i < EMUL_PAGES; i++) {
        fill_page(page, 1000 + i);
        Shoal__PageGrant pg = SHOAL__PAGE_GRANT__INIT;
        pg.page = 1000 + i;
        pg.state = SHOAL__PAGE_STATE__PAGE_SHARED;
        Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
        env.msg_case = SHOAL__ENVELOPE__MSG_PAGE_GRANT;
        env.page_grant = &pg;
        failed += net_send_page(c, &env, page) != 0;
    }
    CU_ASSERT_EQUAL(failed, 0);
    unsigned intact = 0, in_order = 0;
    uint8_t want[NET_PAGE_SIZE];
    for (unsigned k = 0; k < EMUL_PAGES; k++) {
        struct rx *r = ep_take(&s);
        CU_ASSERT_EQUAL_FATAL(r->f.env->msg_case, SHOAL__ENVELOPE__MSG_PAGE_GRANT);
        uint64_t pn = r->f.env->page_grant->page;
        in_order += pn == 1000 + k;
        fill_page(want, pn);
        intact += r->f.payload_len == NET_PAGE_SIZE && !memcmp(r->f.payload, want, NET_PAGE_SIZE);
        rx_free(r);
    }
    uint64_t took = mono_ns() - t0;
    CU_ASSERT_EQUAL(intact, EMUL_PAGES);
    CU_ASSERT_EQUAL(in_order, EMUL_PAGES);
    /* each frame (a page and a header, > 4096 bytes) is serialized at 100
     * Mbit/s, then delayed by the latency */
    CU_ASSERT(took >= (uint64_t)EMUL_PAGES * 4096 * 8 * 10 + 500 * 1000);
    net_conn_unref(c);
    ep_stop(&s);
    ep_stop(&m);
}

/* ---- an fd watched by the loop ----------------------------------------- */

struct watched {
    int fd;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    unsigned calls, bytes;
    pthread_t thread;
};

static void on_readable_fd(void *arg) {
    struct watched *w = arg;
    char buf[64];
    ssize_t n = read(w->fd, buf, sizeof buf);
    pthread_mutex_lock(&w->mu);
    w->calls++;
    w->bytes += n > 0 ? (unsigned)n : 0;
    w->thread = pthread_self();
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

/* net_node_watch_fd: the callback runs on the loop thread (not this
 * one) once data is there, and again for more. */
static void test_watch_fd(void) {
    struct ep m;
    struct net_config mc;
    ep_config(&m, &mc, 0);
    ep_start(&m, &mc);
    int p[2];
    CU_ASSERT_EQUAL_FATAL(pipe(p), 0);
    struct watched w = {
        .fd = p[0], .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
    CU_ASSERT_EQUAL(net_node_watch_fd(m.node, p[0], on_readable_fd, &w), 0);
    CU_ASSERT_EQUAL(write(p[1], "abc", 3), 3);
    pthread_mutex_lock(&w.mu);
    while (w.bytes < 3)
        pthread_cond_wait(&w.cv, &w.mu);
    CU_ASSERT(w.calls >= 1);
    CU_ASSERT_FALSE(pthread_equal(w.thread, pthread_self()));
    pthread_mutex_unlock(&w.mu);
    CU_ASSERT_EQUAL(write(p[1], "de", 2), 2);
    pthread_mutex_lock(&w.mu);
    while (w.bytes < 5)
        pthread_cond_wait(&w.cv, &w.mu);
    CU_ASSERT(w.calls >= 2);
    pthread_mutex_unlock(&w.mu);
    ep_stop(&m); /* frees the watch */
    close(p[0]);
    close(p[1]);
}

/* ---- net_poll: the loop thread reads a connection at once -------------- */

struct poller {
    struct ep *e;          /* the endpoint whose loop runs the callback */
    struct net_conn *conn; /* its connection to poll */
    int fd;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int inside, done;
    unsigned got_inside; /* messages delivered while the callback ran */
    unsigned polls;
};

/* On the loop thread: says it is inside, then polls until a message
 * arrives. The loop is busy here, so only net_poll can deliver it. */
static void poll_cb(void *arg) {
    struct poller *p = arg;
    char b;
    if (read(p->fd, &b, 1) != 1) return;
    pthread_mutex_lock(&p->mu);
    p->inside = 1;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    unsigned before, now;
    pthread_mutex_lock(&p->e->mu);
    before = p->e->nrx;
    pthread_mutex_unlock(&p->e->mu);
    do {
        net_poll(p->conn);
        p->polls++;
        pthread_mutex_lock(&p->e->mu);
        now = p->e->nrx;
        pthread_mutex_unlock(&p->e->mu);
    } while (now == before);
    pthread_mutex_lock(&p->mu);
    p->got_inside = now - before;
    p->done = 1;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

static void test_poll(void) {
    struct ep m, s;
    pair_up(&m, &s, NULL, NULL);
    WAIT_FOR(&m, m.up == 1);
    WAIT_FOR(&s, s.up == 1);
    struct net_conn *to_m = net_node_peer(s.node, 0), *to_s = net_node_peer(m.node, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(to_m);
    CU_ASSERT_PTR_NOT_NULL_FATAL(to_s);
    int fds[2];
    CU_ASSERT_EQUAL_FATAL(pipe(fds), 0);
    struct poller p = {.e = &s,
                       .conn = to_m,
                       .fd = fds[0],
                       .mu = PTHREAD_MUTEX_INITIALIZER,
                       .cv = PTHREAD_COND_INITIALIZER};
    CU_ASSERT_EQUAL(net_node_watch_fd(s.node, fds[0], poll_cb, &p), 0);
    CU_ASSERT_EQUAL(write(fds[1], "x", 1), 1);
    pthread_mutex_lock(&p.mu);
    while (!p.inside)
        pthread_cond_wait(&p.cv, &p.mu);
    pthread_mutex_unlock(&p.mu);
    /* the slave's loop thread is in poll_cb now: this page can only be
     * delivered by its net_poll */
    uint8_t page[NET_PAGE_SIZE];
    fill_page(page, 42);
    Shoal__PageGrant g = SHOAL__PAGE_GRANT__INIT;
    g.page = 42;
    g.state = SHOAL__PAGE_STATE__PAGE_SHARED;
    Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
    env.msg_case = SHOAL__ENVELOPE__MSG_PAGE_GRANT;
    env.page_grant = &g;
    CU_ASSERT_EQUAL(net_send_page(to_s, &env, page), 0);
    pthread_mutex_lock(&p.mu);
    while (!p.done)
        pthread_cond_wait(&p.cv, &p.mu);
    pthread_mutex_unlock(&p.mu);
    CU_ASSERT_EQUAL(p.got_inside, 1);
    struct rx *r = ep_take(&s);
    CU_ASSERT_EQUAL(r->f.env->msg_case, SHOAL__ENVELOPE__MSG_PAGE_GRANT);
    CU_ASSERT_EQUAL(r->f.env->page_grant->page, 42);
    CU_ASSERT(r->f.payload_len == NET_PAGE_SIZE && !memcmp(r->f.payload, page, NET_PAGE_SIZE));
    rx_free(r);
    /* the connection stays up and the loop reads it as before */
    CU_ASSERT_EQUAL(net_send(to_s, &env), 0);
    r = ep_take(&s);
    CU_ASSERT_EQUAL(r->f.env->page_grant->page, 42);
    rx_free(r);
    CU_ASSERT_EQUAL(s.lost, 0);
    net_conn_unref(to_m);
    net_conn_unref(to_s);
    ep_stop(&s);
    ep_stop(&m);
    close(fds[0]);
    close(fds[1]);
}

/* Messages sent one after another, each 20 ms after the last one
 * arrived: with a window of busy_poll_us (100 ms) and a spare CPU the
 * receiver's loop thread is polling when the next one comes (counted in
 * busy_polled); without a window it never polls, and without a CPU to
 * spare it stops within two checks (40 us), long before. Either way
 * every message arrives and the nodes stop (one of them stopped right
 * after a delivery, while it polls). */
static bool always_spare(void *arg) {
    (void)arg;
    return true;
}
static bool never_spare(void *arg) {
    (void)arg;
    return false;
}

static void busy_poll_round(unsigned busy_poll_us, bool spare, uint64_t *polled) {
    struct ep m, s;
    struct net_config mc, sc;
    ep_config(&m, &mc, 0);
    ep_config(&s, &sc, 1);
    mc.busy_poll_us = sc.busy_poll_us = busy_poll_us;
    mc.cpu_spare = sc.cpu_spare = spare ? always_spare : never_spare;
    pair_up(&m, &s, &mc, &sc);
    WAIT_FOR(&m, m.up == 1);
    WAIT_FOR(&s, s.up == 1);
    struct net_conn *to_m = net_node_peer(s.node, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(to_m);
    for (uint64_t i = 0; i < 20; i++) {
        Shoal__PageRequest rq = SHOAL__PAGE_REQUEST__INIT;
        rq.page = 0x1000 + i;
        rq.access = SHOAL__ACCESS__ACCESS_READ;
        rq.req_id = i + 1;
        rq.tid = 1001;
        CU_ASSERT_EQUAL(send_env(to_m, SHOAL__ENVELOPE__MSG_PAGE_REQUEST, &rq), 0);
        struct rx *r = ep_take(&m);
        CU_ASSERT_EQUAL(r->f.env->msg_case, SHOAL__ENVELOPE__MSG_PAGE_REQUEST);
        CU_ASSERT_EQUAL(r->f.env->page_request->page, 0x1000 + i);
        rx_free(r);
        usleep(20000);
    }
    *polled = atomic_load(&net_node_stats(m.node)->busy_polled);
    CU_ASSERT_EQUAL(m.lost + s.lost, 0);
    net_conn_unref(to_m);
    ep_stop(&m);
    ep_stop(&s);
}

static void test_busy_poll(void) {
    uint64_t polled;
    busy_poll_round(0, true, &polled);
    CU_ASSERT_EQUAL(polled, 0);
    busy_poll_round(100000, true, &polled);
    CU_ASSERT(polled >= 1 && polled <= 20);
    busy_poll_round(100000, false, &polled);
    CU_ASSERT_EQUAL(polled, 0);
}

/* ---- authentication over the wire ------------------------------------ */

static void test_wrong_key(void) {
    struct ep m, s, good;
    struct net_config mc, sc;
    ep_config(&m, &mc, 0);
    ep_config(&s, &sc, 1);
    sc.key = other_key;
    uint16_t port = pair_up(&m, &s, &mc, &sc);
    WAIT_FOR(&s, s.failed == 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(s.fail_reason, "authentication failed"));
    CU_ASSERT_EQUAL(s.up, 0);
    while (atomic_load(&net_node_stats(m.node)->auth_failures) == 0)
        usleep(1000);
    CU_ASSERT_EQUAL(m.up, 0);
    CU_ASSERT_PTR_NULL(net_node_peer(m.node, 1));
    /* the master still serves a node with the right key */
    struct net_config gc;
    ep_config(&good, &gc, 2);
    ep_start(&good, &gc);
    CU_ASSERT_EQUAL(net_node_connect(good.node, "127.0.0.1", port), 0);
    WAIT_FOR(&good, good.up == 1);
    WAIT_FOR(&m, m.up == 1);
    CU_ASSERT_EQUAL(m.up_id, 2);
    ep_stop(&good);
    ep_stop(&s);
    ep_stop(&m);
}

static void test_duplicate_id(void) {
    struct ep m, s, dup;
    uint16_t port = pair_up(&m, &s, NULL, NULL);
    WAIT_FOR(&m, m.up == 1);
    struct net_config dc;
    ep_config(&dup, &dc, 1);
    ep_start(&dup, &dc);
    CU_ASSERT_EQUAL(net_node_connect(dup.node, "127.0.0.1", port), 0);
    WAIT_FOR(&dup, dup.failed == 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(dup.fail_reason, "already connected"));
    CU_ASSERT_EQUAL(m.up, 1);
    ep_stop(&dup);
    ep_stop(&s);
    ep_stop(&m);
}

static int admit_assign(void *arg, uint32_t requested, uint32_t *assigned, char *why, size_t n) {
    *assigned = requested == NET_NODE_ANY ? 42 : requested;
    return 0;
}

static void test_assigned_id(void) {
    struct ep m, s;
    struct net_config mc, sc;
    ep_config(&m, &mc, 0);
    mc.admit = admit_assign;
    ep_config(&s, &sc, NET_NODE_ANY);
    pair_up(&m, &s, &mc, &sc);
    WAIT_FOR(&s, s.up == 1);
    WAIT_FOR(&m, m.up == 1);
    CU_ASSERT_EQUAL(m.up_id, 42);
    CU_ASSERT_EQUAL(net_node_id(s.node), 42);
    ep_stop(&s);
    ep_stop(&m);
}

/* ---- raw sockets: what a stranger can do to a listening node ----------- */

static int raw_connect(uint16_t port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CU_ASSERT_EQUAL_FATAL(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

/* Reads until EOF; returns the first frame received (the node's Error),
 * or an empty frame. EOF is the proof the node dropped the connection. */
static struct net_frame raw_read_to_eof(int fd) {
    struct net_frame_decoder d;
    net_frame_decoder_init(&d, NET_FRAME_LIMITS_DEFAULT);
    struct net_frame first = {0};
    uint8_t buf[4096];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0) {
        size_t off = 0;
        while (off < (size_t)n && !first.env) {
            size_t used;
            if (net_frame_feed(&d, buf + off, (size_t)n - off, &used, &first) < 0) break;
            off += used;
        }
    }
    CU_ASSERT_EQUAL(n, 0);
    net_frame_decoder_fini(&d);
    close(fd);
    return first;
}

static void raw_send_env(int fd, Shoal__Envelope *env, uint32_t version) {
    uint8_t *buf;
    long n = net_frame_encode(env, 0, 0, &buf);
    CU_ASSERT_FATAL(n > 0);
    if (version != NET_PROTO_VERSION) { /* re-pack with a foreign version */
        env->version = version;
        free(buf);
        size_t pb = shoal__envelope__get_packed_size(env);
        buf = malloc(16 + pb);
        uint32_t h[4] = {NET_FRAME_MAGIC, (uint32_t)pb, 0, 0};
        memcpy(buf, h, 16); /* x86-64 is little-endian, as the wire */
        shoal__envelope__pack(env, buf + 16);
        n = (long)(16 + pb);
    }
    CU_ASSERT_EQUAL(write(fd, buf, (size_t)n), n);
    free(buf);
}

static void expect_error_frame(struct net_frame *f, int code, const char *text) {
    CU_ASSERT_PTR_NOT_NULL_FATAL(f->env);
    CU_ASSERT_EQUAL_FATAL(f->env->msg_case, SHOAL__ENVELOPE__MSG_ERROR);
    CU_ASSERT_EQUAL(f->env->error->code, code);
    CU_ASSERT_PTR_NOT_NULL(strstr(f->env->error->message, text));
    if (!strstr(f->env->error->message, text))
        fprintf(stderr, "error message: %s\n", f->env->error->message);
    net_frame_fini(f);
}

static void test_strangers(void) {
    struct ep m;
    struct net_config mc;
    ep_config(&m, &mc, 0);
    ep_start(&m, &mc);
    uint16_t port;
    CU_ASSERT_EQUAL_FATAL(net_node_listen(m.node, "127.0.0.1", 0, &port), 0);
    const struct net_stats *st = net_node_stats(m.node);

    /* garbage */
    int fd = raw_connect(port);
    const char junk[] = "GET / HTTP/1.0\r\n\r\n";
    CU_ASSERT_EQUAL(write(fd, junk, sizeof junk - 1), (ssize_t)sizeof junk - 1);
    struct net_frame f = raw_read_to_eof(fd);
    expect_error_frame(&f, SHOAL__ERROR_CODE__ERROR_PROTOCOL, "bad magic");

    /* a header announcing more than a stranger may send */
    fd = raw_connect(port);
    uint32_t h[4] = {NET_FRAME_MAGIC, 1u << 20, 0, 0};
    CU_ASSERT_EQUAL(write(fd, h, sizeof h), (ssize_t)sizeof h);
    f = raw_read_to_eof(fd);
    expect_error_frame(&f, SHOAL__ERROR_CODE__ERROR_PROTOCOL, "header too large");

    /* a page before authenticating */
    fd = raw_connect(port);
    Shoal__PageRequest rq = SHOAL__PAGE_REQUEST__INIT;
    rq.access = SHOAL__ACCESS__ACCESS_READ;
    Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
    env.msg_case = SHOAL__ENVELOPE__MSG_PAGE_REQUEST;
    env.page_request = &rq;
    raw_send_env(fd, &env, NET_PROTO_VERSION);
    f = raw_read_to_eof(fd);
    expect_error_frame(&f, SHOAL__ERROR_CODE__ERROR_PROTOCOL, "before authentication");

    /* a Hello from another protocol version */
    fd = raw_connect(port);
    uint8_t nonce[NET_NONCE_BYTES] = {1};
    Shoal__Hello hello = SHOAL__HELLO__INIT;
    hello.build = "shoal 99";
    hello.node_id = 5;
    hello.nonce.data = nonce;
    hello.nonce.len = sizeof nonce;
    env = (Shoal__Envelope)SHOAL__ENVELOPE__INIT;
    env.msg_case = SHOAL__ENVELOPE__MSG_HELLO;
    env.hello = &hello;
    raw_send_env(fd, &env, 99);
    f = raw_read_to_eof(fd);
    char both[64];
    snprintf(both, sizeof both, "peer speaks v99 (build 'shoal 99'), this node speaks v%u",
             NET_PROTO_VERSION);
    expect_error_frame(&f, SHOAL__ERROR_CODE__ERROR_VERSION, both);

    CU_ASSERT(atomic_load(&st->protocol_errors) >= 2);
    CU_ASSERT(atomic_load(&st->auth_failures) >= 2);
    CU_ASSERT_EQUAL(m.up, 0);
    ep_stop(&m);
}

/* A stranger that connects and says nothing is dropped at the deadline. */
static void test_silent_stranger(void) {
    struct ep m;
    struct net_config mc;
    ep_config(&m, &mc, 0);
    mc.handshake_timeout_ms = 100;
    ep_start(&m, &mc);
    uint16_t port;
    CU_ASSERT_EQUAL_FATAL(net_node_listen(m.node, "127.0.0.1", 0, &port), 0);
    struct net_frame f = raw_read_to_eof(raw_connect(port));
    CU_ASSERT_PTR_NULL(f.env);
    CU_ASSERT_EQUAL(atomic_load(&net_node_stats(m.node)->auth_failures), 1);
    ep_stop(&m);
}

/* ---- peer loss ----------------------------------------------------------- */

static void test_lost_on_close(void) {
    struct ep m, s;
    pair_up(&m, &s, NULL, NULL);
    WAIT_FOR(&m, m.up == 1);
    WAIT_FOR(&s, s.up == 1);
    struct net_conn *c = net_node_peer(m.node, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    ep_stop(&s); /* the slave process goes away */
    /* Writing into the dead socket gets EPIPE/ECONNRESET, never a SIGPIPE
     * that would kill this process. */
    uint8_t page[NET_PAGE_SIZE] = {0};
    Shoal__PageGrant g = SHOAL__PAGE_GRANT__INIT;
    g.state = SHOAL__PAGE_STATE__PAGE_SHARED;
    Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
    env.msg_case = SHOAL__ENVELOPE__MSG_PAGE_GRANT;
    env.page_grant = &g;
    for (int i = 0; i < 2000 && net_send_page(c, &env, page) == 0; i++)
        usleep(100);
    net_conn_unref(c);
    WAIT_FOR(&m, m.lost == 1);
    CU_ASSERT_EQUAL(m.lost_id, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(m.lost_reason, "closed"));
    CU_ASSERT_PTR_NULL(net_node_peer(m.node, 1));
    ep_stop(&m);
}

static void test_lost_on_net_close(void) {
    struct ep m, s;
    pair_up(&m, &s, NULL, NULL);
    WAIT_FOR(&m, m.up == 1);
    WAIT_FOR(&s, s.up == 1);
    struct net_conn *c = net_node_peer(m.node, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    net_close(c); /* the master closes: the slave reports it, the master does not */
    WAIT_FOR(&s, s.lost == 1);
    CU_ASSERT_EQUAL(s.lost_id, 0);
    CU_ASSERT_EQUAL(m.lost, 0);
    Shoal__Heartbeat hb = SHOAL__HEARTBEAT__INIT;
    CU_ASSERT_EQUAL(send_env(c, SHOAL__ENVELOPE__MSG_HEARTBEAT, &hb), -ENOTCONN);
    net_conn_unref(c);
    ep_stop(&s);
    ep_stop(&m);
}

static void test_lost_on_silence(void) {
    struct ep m, s;
    struct net_config mc, sc;
    ep_config(&m, &mc, 0);
    mc.peer_timeout_ms = 200;
    ep_config(&s, &sc, 1);
    sc.heartbeat_interval_ms = 0; /* a slave that stopped: no heartbeats */
    pair_up(&m, &s, &mc, &sc);
    WAIT_FOR(&m, m.up == 1);
    WAIT_FOR(&m, m.lost == 1);
    CU_ASSERT_EQUAL(m.lost_id, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(m.lost_reason, "heartbeat timeout"));
    WAIT_FOR(&s, s.lost == 1); /* and the slave sees the master hang up */
    ep_stop(&s);
    ep_stop(&m);
}

static int ep_lost(struct ep *e);

/* A silent peer the embedder says is stopped gets period after period;
 * once it is not, its silence is a loss. */
static atomic_int peer_is_stopped, stopped_asked;
static bool stopped_cb(struct net_node *n, uint32_t id, void *arg) {
    (void)n;
    (void)arg;
    CU_ASSERT_EQUAL(id, 1);
    atomic_fetch_add(&stopped_asked, 1);
    return atomic_load(&peer_is_stopped);
}

static void test_stopped_peer_waited_for(void) {
    struct ep m, s;
    struct net_config mc, sc;
    ep_config(&m, &mc, 0);
    mc.peer_timeout_ms = 100;
    mc.peer_stopped = stopped_cb;
    ep_config(&s, &sc, 1);
    sc.heartbeat_interval_ms = 0; /* silent from the start */
    atomic_store(&peer_is_stopped, 1);
    atomic_store(&stopped_asked, 0);
    pair_up(&m, &s, &mc, &sc);
    WAIT_FOR(&m, m.up == 1);
    while (atomic_load(&stopped_asked) < 3 && !ep_lost(&m))
        usleep(10000);
    CU_ASSERT_EQUAL(ep_lost(&m), 0); /* three periods of silence, still up */
    atomic_store(&peer_is_stopped, 0);
    WAIT_FOR(&m, m.lost == 1);
    CU_ASSERT_EQUAL(m.lost_id, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(m.lost_reason, "heartbeat timeout"));
    ep_stop(&s);
    ep_stop(&m);
}

/* Whether e lost its peer (read under its lock). */
static int ep_lost(struct ep *e) {
    pthread_mutex_lock(&e->mu);
    int lost = e->lost;
    pthread_mutex_unlock(&e->mu);
    return lost;
}

/* Heartbeats keep a quiet but live peer up past the timeout. */
static void test_heartbeats_keep_alive(void) {
    struct ep m, s;
    struct net_config mc, sc;
    ep_config(&m, &mc, 0);
    mc.peer_timeout_ms = 1000;
    ep_config(&s, &sc, 1);
    sc.heartbeat_interval_ms = 20;
    pair_up(&m, &s, &mc, &sc);
    WAIT_FOR(&m, m.up == 1);
    const struct net_stats *st = net_node_stats(m.node);
    /* a lost peer sends no more heartbeats: stop waiting, and fail */
    while (atomic_load(&st->msgs_rx[SHOAL__ENVELOPE__MSG_HEARTBEAT]) < 80 && !ep_lost(&m))
        usleep(10000);
    CU_ASSERT_EQUAL(m.lost, 0);
    ep_stop(&s);
    ep_stop(&m);
}

/* ---- connecting ------------------------------------------------------------ */

static uint16_t free_port(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    bind(fd, (struct sockaddr *)&a, sizeof a);
    getsockname(fd, (struct sockaddr *)&a, &len);
    close(fd);
    return ntohs(a.sin_port);
}

/* The slave starts first; the master comes up later on the same port. */
static void test_slave_before_master(void) {
    struct ep m, s;
    struct net_config mc, sc;
    uint16_t port = free_port();
    ep_config(&s, &sc, 1);
    sc.connect_retry_ms = 20;
    ep_start(&s, &sc);
    CU_ASSERT_EQUAL(net_node_connect(s.node, "127.0.0.1", port), 0);
    /* let a few attempts fail */
    usleep(100000);
    ep_config(&m, &mc, 0);
    ep_start(&m, &mc);
    CU_ASSERT_EQUAL_FATAL(net_node_listen(m.node, "127.0.0.1", port, NULL), 0);
    WAIT_FOR(&s, s.up == 1 || s.failed);
    CU_ASSERT_EQUAL(s.up, 1);
    CU_ASSERT_EQUAL(s.failed, 0);
    ep_stop(&s);
    ep_stop(&m);
}

static void test_connect_gives_up(void) {
    struct ep s;
    struct net_config sc;
    ep_config(&s, &sc, 1);
    sc.connect_retry_ms = 10;
    sc.connect_timeout_ms = 100;
    ep_start(&s, &sc);
    CU_ASSERT_EQUAL(net_node_connect(s.node, "127.0.0.1", free_port()), 0);
    WAIT_FOR(&s, s.failed == 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(s.fail_reason, "no connection within 100 ms"));
    CU_ASSERT_EQUAL(s.up, 0);
    ep_stop(&s);
}

static int setup(void) {
    log_set_level(LOG_ERROR);
    return net_key_generate(&key) || net_key_generate(&other_key);
}

void test_register(void) {
    CU_pSuite s = CU_add_suite("net_transport", setup, NULL);
    CU_add_test(s, "every message type", test_all_types);
    CU_add_test(s, "pages from concurrent senders", test_pages_concurrent);
    CU_add_test(s, "runs of pages, gathered, from concurrent senders", test_page_runs);
    CU_add_test(s, "pages taken in place", test_pages_in_place);
    CU_add_test(s, "stalled receiver", test_stalled_receiver);
    CU_add_test(s, "a cap on what is queued for a peer", test_queue_cap);
    CU_add_test(s, "emulated link", test_emulated_link);
    CU_add_test(s, "an fd watched by the loop", test_watch_fd);
    CU_add_test(s, "net_poll on the loop thread", test_poll);
    CU_add_test(s, "busy polling after a frame", test_busy_poll);
    CU_add_test(s, "wrong key", test_wrong_key);
    CU_add_test(s, "duplicate node id", test_duplicate_id);
    CU_add_test(s, "assigned node id", test_assigned_id);
    CU_add_test(s, "strangers", test_strangers);
    CU_add_test(s, "silent stranger", test_silent_stranger);
    CU_add_test(s, "lost: peer closed", test_lost_on_close);
    CU_add_test(s, "lost: net_close", test_lost_on_net_close);
    CU_add_test(s, "lost: heartbeat timeout", test_lost_on_silence);
    CU_add_test(s, "a stopped peer is waited for", test_stopped_peer_waited_for);
    CU_add_test(s, "heartbeats keep alive", test_heartbeats_keep_alive);
    CU_add_test(s, "slave before master", test_slave_before_master);
    CU_add_test(s, "connect gives up", test_connect_gives_up);
}
