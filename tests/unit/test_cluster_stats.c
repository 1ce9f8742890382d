/* Per-node statistics (cluster/node_stats.c): the JSON a node writes is
 * valid JSON (checked by a small parser here) with the fields --stats
 * promises, and the NodeStats message carries every counter there and
 * back; malformed messages are refused. Also the pieces behind
 * "thread_times" and "page_faults": thread clocks (syscall/stats.c),
 * fault waits and the event log (cluster/fault_trace.c), and the slave
 * clock offset. */
#define _GNU_SOURCE
#include <CUnit/CUnit.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/fault_trace.h"
#include "cluster/node_stats.h"
#include "syscall/task.h"

/* ---- a minimal JSON checker (RFC 8259 grammar, no semantic checks) ---- */
static const char *ws(const char *p) {
    while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
        p++;
    return p;
}
static const char *value(const char *p, int depth);
static const char *string(const char *p) {
    if (*p++ != '"') return NULL;
    while (*p && *p != '"') {
        if ((unsigned char)*p < 0x20) return NULL;
        if (*p == '\\') {
            p++;
            if (!strchr("\"\\/bfnrtu", *p)) return NULL;
        }
        p++;
    }
    return *p == '"' ? p + 1 : NULL;
}
static const char *number(const char *p) {
    const char *s = p;
    if (*p == '-') p++;
    if (!isdigit((unsigned char)*p)) return NULL;
    if (*p == '0' && isdigit((unsigned char)p[1])) return NULL; /* no leading zeros */
    while (isdigit((unsigned char)*p))
        p++;
    if (*p == '.') {
        p++;
        if (!isdigit((unsigned char)*p)) return NULL;
        while (isdigit((unsigned char)*p))
            p++;
    }
    return p > s ? p : NULL;
}
static const char *value(const char *p, int depth) {
    if (depth > 32) return NULL;
    p = ws(p);
    if (*p == '{' || *p == '[') {
        char close = *p == '{' ? '}' : ']';
        bool obj = *p == '{';
        p = ws(p + 1);
        if (*p == close) return p + 1;
        for (;;) {
            if (obj) {
                p = string(ws(p));
                if (!p) return NULL;
                p = ws(p);
                if (*p++ != ':') return NULL;
            }
            p = value(p, depth + 1);
            if (!p) return NULL;
            p = ws(p);
            if (*p == close) return p + 1;
            if (*p++ != ',') return NULL;
        }
    }
    if (*p == '"') return string(p);
    if (!strncmp(p, "true", 4)) return p + 4;
    if (!strncmp(p, "false", 5)) return p + 5;
    if (!strncmp(p, "null", 4)) return p + 4;
    return number(p);
}
static bool json_valid(const char *doc) {
    const char *end = value(doc, 0);
    return end && *ws(end) == 0;
}

static void test_checker(void) { /* the checker itself can fail */
    CU_ASSERT(json_valid("{\"a\": [1, 2.5, {\"b\": true}], \"c\": \"x\"}"));
    CU_ASSERT_FALSE(json_valid("{\"a\": 1,}"));
    CU_ASSERT_FALSE(json_valid("{\"a\" 1}"));
    CU_ASSERT_FALSE(json_valid("[1, 2"));
    CU_ASSERT_FALSE(json_valid("{\"a\": 01}"));
    CU_ASSERT_FALSE(json_valid("{} x"));
}

static void fill(struct node_stats *ns) {
    memset(ns, 0, sizeof *ns);
    ns->node = 3;
    for (unsigned i = 0; i < NS_COUNTERS; i++)
        ns->c[i] = 100 + i;
    for (unsigned b = 0; b < DSM_NODE_LAT_BUCKETS; b++)
        ns->lat_hist[b] = b * 3;
    ns->lat_ns[0] = 50000, ns->lat_n[0] = 2;
    ns->read_hist[20] = 1, ns->read_hist[30] = 3, ns->read_hist[41] = 5;
    ns->read_hist[DSM_NODE_READ_BUCKETS - 1] = 1; /* above the last bound */
    ns->msgs_tx[SHOAL__ENVELOPE__MSG_PAGE_REQUEST] = 7;
    ns->msgs_rx[SHOAL__ENVELOPE__MSG_PAGE_GRANT] = 6;
    ns->msgs_rx[63] = 1; /* a type this build may not name */
    ns->bytes_tx = 12345;
    ns->syscalls[64] = 9;   /* write */
    ns->delegated[98] = 4;  /* futex */
    ns->delegated[500] = 1; /* no such syscall: written by number */
    ns->nthreads = 2;
    ns->threads = calloc(2, sizeof *ns->threads);
    ns->threads[0] = (struct stats_thread){.tid = 1001, .insns = 5000};
    ns->threads[1] = (struct stats_thread){.tid = 1002,
                                           .insns = 7000,
                                           .exec_ns = 1000000,
                                           .fault_ns = 250000,
                                           .syscall_ns = 3,
                                           .wait_ns = 2000000000};
    ns->guest_insns = 12000;
    ns->times_on = true;
    /* the node's clock runs 5 ms ahead of the master's; the run started
     * at master time 1 s */
    ns->events_on = true;
    ns->run_start_ns = 1000000000;
    ns->clock_offset_ns = 5000000;
    ns->nevents = 3;
    ns->events = calloc(3, sizeof *ns->events);
    ns->events[0] = (struct page_event){1005002500, 77, 0};
    ns->events[1] = (struct page_event){1005010000, 78, 1};
    ns->events[2] = (struct page_event){1006000000, 77, 2};
    ns->events_dropped = 4;
}

static char *to_json(const struct node_stats *ns) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    node_stats_json(f, ns, 4);
    fclose(f);
    return buf;
}

static void test_json(void) {
    struct node_stats ns;
    fill(&ns);
    char *j = to_json(&ns);
    CU_ASSERT(json_valid(j));
    CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"node\": 3"));
    CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"read_miss\": 100"));
    CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"upgrade\": 102"));
    CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"page_request\": 7"));
    CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"write\": 9"));
    CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"futex\": 4"));
    CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"500\": 1"));
    CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"read_miss\": 25.0")); /* 50 us / 2 */
    /* 10 read misses: the 1st, 5th and 9th */
    CU_ASSERT_PTR_NOT_NULL(
        strstr(j, "\"read_miss_us\": {\"p10\": 20.5, \"p50\": 41.5, \"p90\": 41.5}"));
    CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"guest_insns\": 12000"));
    CU_ASSERT_PTR_NOT_NULL(strstr(j, "{\"tid\": 1001, \"node\": 3, \"exec_s\": 0.000000, "
                                     "\"fault_s\": 0.000000"));
    CU_ASSERT_PTR_NOT_NULL(strstr(j, "{\"tid\": 1002, \"node\": 3, \"exec_s\": 0.001000, "
                                     "\"fault_s\": 0.000250, \"syscall_s\": 0.000000, "
                                     "\"wait_s\": 2.000000}"));
    /* events on the master's timeline: node time - 5 ms - run start */
    CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"page_size\": 4096, \"events_dropped\": 4"));
    CU_ASSERT_PTR_NOT_NULL(strstr(j, "[2.5, 3, 77, \"r\"], [10.0, 3, 78, \"w\"], "
                                     "[1000.0, 3, 77, \"u\"]"));
    free(j);
    /* an empty node is valid JSON too */
    struct node_stats z = {.node = 0};
    j = to_json(&z);
    CU_ASSERT(json_valid(j));
    free(j);
    node_stats_fini(&ns);
}

static void test_message_round_trip(void) {
    struct node_stats ns, back;
    fill(&ns);
    Shoal__NodeStats m = SHOAL__NODE_STATS__INIT;
    uint64_t *buf;
    node_stats_to_msg(&ns, &m, &buf);
    size_t len = shoal__node_stats__get_packed_size(&m);
    uint8_t *wire = malloc(len);
    shoal__node_stats__pack(&m, wire);
    Shoal__NodeStats *u = shoal__node_stats__unpack(NULL, len, wire);
    CU_ASSERT_PTR_NOT_NULL_FATAL(u);
    CU_ASSERT_EQUAL(node_stats_from_msg(u, 3, &back), 0);
    CU_ASSERT_EQUAL(memcmp(back.c, ns.c, sizeof ns.c), 0);
    CU_ASSERT_EQUAL(memcmp(back.lat_hist, ns.lat_hist, sizeof ns.lat_hist), 0);
    CU_ASSERT_EQUAL(memcmp(back.read_hist, ns.read_hist, sizeof ns.read_hist), 0);
    CU_ASSERT_EQUAL(memcmp(back.msgs_rx, ns.msgs_rx, sizeof ns.msgs_rx), 0);
    CU_ASSERT_EQUAL(memcmp(back.syscalls, ns.syscalls, sizeof ns.syscalls), 0);
    CU_ASSERT_EQUAL(memcmp(back.delegated, ns.delegated, sizeof ns.delegated), 0);
    CU_ASSERT_EQUAL(back.nthreads, 2);
    CU_ASSERT_EQUAL(back.threads[1].tid, 1002);
    CU_ASSERT_EQUAL(back.guest_insns, 12000);
    CU_ASSERT_EQUAL(back.bytes_tx, 12345);
    CU_ASSERT(back.times_on);
    CU_ASSERT_EQUAL(back.threads[1].exec_ns, 1000000);
    CU_ASSERT_EQUAL(back.threads[1].fault_ns, 250000);
    CU_ASSERT_EQUAL(back.threads[1].syscall_ns, 3);
    CU_ASSERT_EQUAL(back.threads[1].wait_ns, 2000000000);
    CU_ASSERT(back.events_on);
    CU_ASSERT_EQUAL_FATAL(back.nevents, 3);
    CU_ASSERT_EQUAL(back.events[2].t_ns, 1006000000);
    CU_ASSERT_EQUAL(back.events[2].page, 77);
    CU_ASSERT_EQUAL(back.events[2].kind, 2);
    CU_ASSERT_EQUAL(back.events_dropped, 4);
    node_stats_fini(&back);
    /* malformed: times for other threads than listed, an unknown kind */
    uint64_t *own_times = u->thread_times, *own_ev = u->page_events;
    size_t own_n_times = u->n_thread_times;
    u->n_thread_times = 5;
    CU_ASSERT_EQUAL(node_stats_from_msg(u, 3, &back), -EINVAL);
    node_stats_fini(&back);
    uint64_t bad_times[10] = {1001, 0, 0, 0, 0, 999, 0, 0, 0, 0};
    u->n_thread_times = 10;
    u->thread_times = bad_times;
    CU_ASSERT_EQUAL(node_stats_from_msg(u, 3, &back), -EINVAL);
    node_stats_fini(&back);
    u->n_thread_times = own_n_times;
    u->thread_times = own_times;
    uint64_t bad_ev[3] = {1, 2, 3};
    u->page_events = bad_ev;
    u->n_page_events = 3;
    CU_ASSERT_EQUAL(node_stats_from_msg(u, 3, &back), -EINVAL);
    node_stats_fini(&back);
    u->n_page_events = 2; /* not triples */
    CU_ASSERT_EQUAL(node_stats_from_msg(u, 3, &back), -EINVAL);
    node_stats_fini(&back);
    u->page_events = own_ev;
    u->n_page_events = 9;
    /* malformed: an odd pair list, a syscall number out of range (the
     * unpacked arrays are put back before free_unpacked) */
    uint64_t *own_syscalls = u->syscalls, *own_dsm = u->dsm;
    size_t own_n_syscalls = u->n_syscalls, own_n_dsm = u->n_dsm;
    uint64_t odd[3] = {1, 2, 3}, big[2] = {STATS_NR_MAX, 1};
    u->n_syscalls = 3;
    u->syscalls = odd;
    CU_ASSERT_EQUAL(node_stats_from_msg(u, 3, &back), -EINVAL);
    node_stats_fini(&back);
    u->n_syscalls = 2;
    u->syscalls = big;
    CU_ASSERT_EQUAL(node_stats_from_msg(u, 3, &back), -EINVAL);
    node_stats_fini(&back);
    u->n_syscalls = 0;
    u->syscalls = NULL;
    /* counters from a newer build (more of them) are cut, not refused */
    uint64_t more[NS_COUNTERS + 5] = {0};
    more[NS_COUNTERS + 4] = 1;
    u->n_dsm = NS_COUNTERS + 5;
    u->dsm = more;
    CU_ASSERT_EQUAL(node_stats_from_msg(u, 3, &back), 0);
    node_stats_fini(&back);
    u->n_syscalls = own_n_syscalls;
    u->syscalls = own_syscalls;
    u->n_dsm = own_n_dsm;
    u->dsm = own_dsm;
    shoal__node_stats__free_unpacked(u, NULL);
    free(wire);
    free(buf);
    node_stats_fini(&ns);
}

/* The NTP formula: with equal one-way delays the offset is exact. */
static void test_timeline(void) {
    struct node_stats ns = {0};
    const int64_t off = 5000000, d = 40000;     /* node ahead 5 ms; 40 us each way */
    ns.clock_req_ns = 1000000000;               /* master sends */
    ns.clock_rx_ns = ns.clock_req_ns + d + off; /* node receives */
    ns.clock_tx_ns = ns.clock_rx_ns + 700000;   /* node answers */
    uint64_t master_rx = ns.clock_tx_ns - (uint64_t)off + (uint64_t)d;
    node_stats_timeline(&ns, master_rx, 123);
    CU_ASSERT_EQUAL(ns.clock_offset_ns, off);
    CU_ASSERT_EQUAL(ns.run_start_ns, 123);
    /* an older node sends no clocks: no correction */
    struct node_stats old = {.clock_offset_ns = 9};
    node_stats_timeline(&old, master_rx, 5);
    CU_ASSERT_EQUAL(old.clock_offset_ns, 0);
}

static void test_syscall_phase(void) {
    CU_ASSERT_EQUAL(stats_syscall_phase(98, 0), STATS_WAIT);          /* FUTEX_WAIT */
    CU_ASSERT_EQUAL(stats_syscall_phase(98, 128 | 9), STATS_WAIT);    /* WAIT_BITSET, private */
    CU_ASSERT_EQUAL(stats_syscall_phase(98, 256 | 6), STATS_WAIT);    /* LOCK_PI, realtime */
    CU_ASSERT_EQUAL(stats_syscall_phase(98, 1), STATS_SYSCALL);       /* FUTEX_WAKE */
    CU_ASSERT_EQUAL(stats_syscall_phase(98, 128 | 7), STATS_SYSCALL); /* UNLOCK_PI */
    CU_ASSERT_EQUAL(stats_syscall_phase(449, 0), STATS_WAIT);         /* futex_waitv */
    CU_ASSERT_EQUAL(stats_syscall_phase(64, 0), STATS_SYSCALL);       /* write */
}

/* A thread's clock: phases add up, fault time is taken out of the phase
 * it fell in, and a finished thread keeps its times. */
static void test_thread_clock(void) {
    struct run_stats s = {0};
    stats_init(&s, "unused.json");
    CU_ASSERT(stats_timing(&s));
    struct task *t = calloc(1, sizeof *t);
    t->tid = 41;
    t->host_tid = 4141;
    struct stats_clock *c = stats_thread_running(&s, t);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_PTR_EQUAL(t->stats_clock, c);
    stats_task_start(&s, t);
    stats_clock_switch(c, STATS_SYSCALL);
    /* 1000 s of faults while in the system call: far more than the
     * call's real time, so its syscall time clamps at 0 */
    stats_add_fault_ns(&s, 4141, 1000000000000ull);
    stats_add_fault_ns(&s, 999, 5); /* not a thread of ours: ignored */
    stats_clock_switch(c, STATS_EXEC);
    size_t n;
    struct stats_thread *v = stats_threads(&s, &n);
    CU_ASSERT_EQUAL_FATAL(n, 1);
    CU_ASSERT_EQUAL(v[0].tid, 41);
    CU_ASSERT_EQUAL(v[0].fault_ns, 1000000000000ull);
    CU_ASSERT_EQUAL(v[0].syscall_ns, 0);
    CU_ASSERT_EQUAL(v[0].wait_ns, 0);
    free(v);
    stats_task_end(&s, t);
    CU_ASSERT_PTR_NULL(t->stats_clock);
    CU_ASSERT_EQUAL(s.nclocks, 0); /* the fault path can no longer find it */
    stats_add_fault_ns(&s, 4141, 5);
    v = stats_threads(&s, &n);
    CU_ASSERT_EQUAL_FATAL(n, 1);
    CU_ASSERT_EQUAL(v[0].fault_ns, 1000000000000ull);
    free(v);
    free(t);
    free(s.ended);
    free(s.clocks);
    /* without --stats nothing is kept */
    struct run_stats off = {0};
    stats_init(&off, NULL);
    struct task t2 = {.host_tid = 1};
    CU_ASSERT_PTR_NULL(stats_thread_running(&off, &t2));
    stats_clock_switch(NULL, STATS_EXEC); /* a no-op */
}

/* Fault waits end when their page is installed, or at once when the
 * fault needed nothing; a thread's older wait is replaced; the event
 * log keeps at most its cap and counts the rest. */
static void test_fault_trace(void) {
    struct run_stats s = {0};
    stats_init(&s, "unused.json");
    struct task *t = calloc(1, sizeof *t);
    t->host_tid = 77;
    stats_thread_running(&s, t);
    stats_task_start(&s, t);
    struct fault_trace ft;
    fault_trace_init(&ft, &s, 2);
    fault_trace_parked(&ft, 10, 77);
    fault_trace_parked(&ft, 11, 78); /* another thread, same node */
    fault_trace_parked(&ft, 11, 79);
    CU_ASSERT_EQUAL(ft.by_tid.n, 3);
    CU_ASSERT_EQUAL(ft.by_page.n, 2);
    fault_trace_parked(&ft, 12, 77); /* 77 was woken unseen: its page-10 wait goes */
    CU_ASSERT_EQUAL(ft.by_tid.n, 3);
    fault_trace_installed(&ft, 10); /* nobody waits there any more */
    CU_ASSERT_EQUAL(atomic_load(&t->stats_clock->fault_ns), 0);
    fault_trace_installed(&ft, 11); /* both waiters of page 11 end */
    CU_ASSERT_EQUAL(ft.by_tid.n, 1);
    CU_ASSERT_EQUAL(ft.by_page.n, 1);
    fault_trace_unparked(&ft, 77);
    CU_ASSERT_EQUAL(ft.by_tid.n, 0);
    CU_ASSERT_EQUAL(ft.by_page.n, 0);
    fault_trace_parked(&ft, 13, 0); /* unknown thread (mprotect): not tracked */
    CU_ASSERT_EQUAL(ft.by_tid.n, 0);
    fault_trace_request(&ft, 10, 0);
    fault_trace_request(&ft, 11, 2);
    fault_trace_request(&ft, 12, 1);
    size_t n;
    uint64_t dropped;
    struct page_event *ev = fault_trace_events(&ft, &n, &dropped);
    CU_ASSERT_EQUAL_FATAL(n, 2);
    CU_ASSERT_EQUAL(dropped, 1);
    CU_ASSERT_EQUAL(ev[0].page, 10);
    CU_ASSERT_EQUAL(ev[1].kind, 2);
    CU_ASSERT(ev[0].t_ns <= ev[1].t_ns);
    free(ev);
    fault_trace_fini(&ft);
    /* off: nothing recorded, nothing allocated */
    fault_trace_init(&ft, NULL, 0);
    fault_trace_parked(&ft, 10, 77);
    fault_trace_request(&ft, 10, 0);
    CU_ASSERT_EQUAL(ft.by_tid.n, 0);
    CU_ASSERT_PTR_NULL(fault_trace_events(&ft, &n, &dropped));
    CU_ASSERT_EQUAL(dropped, 0);
    fault_trace_fini(&ft);
    stats_task_end(&s, t);
    free(t);
    free(s.ended);
    free(s.clocks);
}

void test_register(void) {
    CU_pSuite s = CU_add_suite("cluster_stats", NULL, NULL);
    CU_add_test(s, "the JSON checker rejects bad JSON", test_checker);
    CU_add_test(s, "node JSON is valid and complete", test_json);
    CU_add_test(s, "NodeStats message round trip, malformed refused", test_message_round_trip);
    CU_add_test(s, "slave clock offset from the stats round trip", test_timeline);
    CU_add_test(s, "futex waits are wait time, other calls syscall time", test_syscall_phase);
    CU_add_test(s, "thread clocks: phases, faults taken out, kept at exit", test_thread_clock);
    CU_add_test(s, "fault waits and the page event log", test_fault_trace);
}
