/* Per-node statistics (cluster/node_stats.c): the JSON a node writes is
 * valid JSON (checked by a small parser here) with the fields --stats
 * promises, and the NodeStats message carries every counter there and
 * back; malformed messages are refused. */
#define _GNU_SOURCE
#include <CUnit/CUnit.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/node_stats.h"

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
    ns->threads[1] = (struct stats_thread){.tid = 1002, .insns = 7000};
    ns->guest_insns = 12000;
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
    CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"guest_insns\": 12000"));
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
    CU_ASSERT_EQUAL(memcmp(back.msgs_rx, ns.msgs_rx, sizeof ns.msgs_rx), 0);
    CU_ASSERT_EQUAL(memcmp(back.syscalls, ns.syscalls, sizeof ns.syscalls), 0);
    CU_ASSERT_EQUAL(memcmp(back.delegated, ns.delegated, sizeof ns.delegated), 0);
    CU_ASSERT_EQUAL(back.nthreads, 2);
    CU_ASSERT_EQUAL(back.threads[1].tid, 1002);
    CU_ASSERT_EQUAL(back.guest_insns, 12000);
    CU_ASSERT_EQUAL(back.bytes_tx, 12345);
    node_stats_fini(&back);
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

void test_register(void) {
    CU_pSuite s = CU_add_suite("cluster_stats", NULL, NULL);
    CU_add_test(s, "the JSON checker rejects bad JSON", test_checker);
    CU_add_test(s, "node JSON is valid and complete", test_json);
    CU_add_test(s, "NodeStats message round trip, malformed refused", test_message_round_trip);
}
