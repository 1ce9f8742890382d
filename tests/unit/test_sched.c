/* sched/placement.c: every policy against its documented order, node
 * counts 1..64, thousands of threads and groups, exits, hint binding,
 * concurrent callers. */
#include <CUnit/CUnit.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "sched/placement.h"

static struct sched *make(enum sched_policy p, unsigned nodes, unsigned group_size) {
    struct sched *s = NULL;
    struct sched_config cfg = {.policy = p, .nodes = nodes, .group_size = group_size};
    CU_ASSERT_EQUAL_FATAL(sched_create(&cfg, &s), 0);
    return s;
}

static int place(struct sched *s, uint64_t tid, int64_t group) {
    struct sched_thread_info t = {.tid = tid, .creator_node = 0, .group = group};
    return sched_place(s, &t);
}

static void test_bad_config(void) {
    struct sched *s = NULL;
    struct sched_config cfg = {.policy = SCHED_ROUND_ROBIN, .nodes = 0};
    CU_ASSERT_EQUAL(sched_create(&cfg, &s), -EINVAL);
    cfg = (struct sched_config){.policy = SCHED_BLOCK, .nodes = 2, .group_size = 0};
    CU_ASSERT_EQUAL(sched_create(&cfg, &s), -EINVAL);
    cfg = (struct sched_config){.policy = (enum sched_policy)7, .nodes = 2};
    CU_ASSERT_EQUAL(sched_create(&cfg, &s), -EINVAL);
    CU_ASSERT_PTR_NULL(s);
    CU_ASSERT_STRING_EQUAL(sched_policy_name(SCHED_BLOCK), "block");
}

static void test_round_robin(void) {
    for (unsigned n = 1; n <= 64; n++) {
        struct sched *s = make(SCHED_ROUND_ROBIN, n, 0);
        CU_ASSERT_EQUAL(sched_node_load(s, 0), 1); /* the initial thread */
        for (unsigned i = 0; i < 3000; i++) {
            int node = place(s, i + 2, SCHED_NO_GROUP);
            /* first thread to node 1 (node 0 alone in a 1-node cluster) */
            CU_ASSERT_EQUAL(node, (int)((i + 1) % n));
            /* counting the initial thread, loads never differ by more than one */
            unsigned lo = ~0u, hi = 0;
            if (i % 97 == 0 || i == 2999) {
                for (unsigned k = 0; k < n; k++) {
                    unsigned l = sched_node_load(s, k);
                    lo = l < lo ? l : lo;
                    hi = l > hi ? l : hi;
                }
                CU_ASSERT(hi - lo <= 1);
            }
        }
        unsigned total = 0;
        for (unsigned k = 0; k < n; k++)
            total += sched_node_load(s, k);
        CU_ASSERT_EQUAL(total, 3001);
        sched_destroy(s);
    }
}

static void test_block(void) {
    for (unsigned n = 1; n <= 64; n += (n < 8 ? 1 : 7)) {
        for (unsigned g = 1; g <= 9; g += 4) {
            struct sched *s = make(SCHED_BLOCK, n, g);
            int prev = -1;
            unsigned run = 0;
            for (unsigned i = 0; i < 2000; i++) {
                int node = place(s, i + 2, SCHED_NO_GROUP);
                CU_ASSERT_EQUAL(node, (int)((i / g + 1) % n));
                /* runs of exactly g threads per node (unless one node) */
                if (node == prev) {
                    run++;
                } else {
                    if (prev >= 0) CU_ASSERT_EQUAL(run, g);
                    run = 1;
                }
                prev = node;
            }
            sched_destroy(s);
        }
    }
    /* group_size 1 is round-robin */
    struct sched *b = make(SCHED_BLOCK, 5, 1), *r = make(SCHED_ROUND_ROBIN, 5, 0);
    for (unsigned i = 0; i < 100; i++)
        CU_ASSERT_EQUAL(place(b, i, SCHED_NO_GROUP), place(r, i, SCHED_NO_GROUP));
    sched_destroy(b);
    sched_destroy(r);
}

/* Groups created interleaved (A1 B1 C1 A2 B2 C2 ...) and one after the
 * other: each group on one node; groups per node differ by at most one. */
static void check_hint(unsigned n, unsigned ngroups, unsigned per_group, bool interleaved) {
    struct sched *s = make(SCHED_HINT, n, 0);
    int *where = malloc(ngroups * sizeof *where);
    for (unsigned g = 0; g < ngroups; g++)
        where[g] = -1;
    for (unsigned i = 0; i < ngroups * per_group; i++) {
        unsigned g = interleaved ? i % ngroups : i / per_group;
        int64_t id = (int64_t)g * 1000003 + 7; /* sparse ids: the map must hash */
        int node = place(s, i + 2, id);
        CU_ASSERT(node >= 0 && node < (int)n);
        if (where[g] < 0) where[g] = node;
        CU_ASSERT_EQUAL(node, where[g]);
    }
    unsigned lo = ~0u, hi = 0, total = 0;
    for (unsigned k = 0; k < n; k++) {
        unsigned c = sched_node_groups(s, k);
        total += c;
        lo = c < lo ? c : lo;
        hi = c > hi ? c : hi;
    }
    CU_ASSERT_EQUAL(total, ngroups);
    CU_ASSERT(hi - lo <= 1);
    for (unsigned g = 0; g < ngroups; g++)
        CU_ASSERT_EQUAL(sched_group_node(s, (int64_t)g * 1000003 + 7), where[g]);
    /* the first group goes to node 1, like round-robin's first thread */
    if (n > 1) CU_ASSERT_EQUAL(where[0], 1);
    free(where);
    sched_destroy(s);
}

static void test_hint_spread(void) {
    for (unsigned n = 1; n <= 64; n++) {
        check_hint(n, 3 * n + 1, 4, true);
        check_hint(n, 2 * n, 3, false);
    }
    check_hint(16, 5000, 2, true); /* thousands of groups: the map grows */
    check_hint(4, 4, 1000, false); /* thousands of threads in few groups */
}

static void test_hint_ungrouped_and_seen(void) {
    struct sched *s = make(SCHED_HINT, 4, 0);
    /* unmarked threads go round-robin */
    CU_ASSERT_EQUAL(place(s, 2, SCHED_NO_GROUP), 1);
    CU_ASSERT_EQUAL(place(s, 3, SCHED_NO_GROUP), 2);
    /* the initial thread marks itself group 9: group 9 lives on node 0 */
    CU_ASSERT_EQUAL(sched_group_node(s, 9), -ENOENT);
    CU_ASSERT_EQUAL(sched_group_seen(s, 9, 0), 0);
    CU_ASSERT_EQUAL(place(s, 4, 9), 0);
    CU_ASSERT_EQUAL(place(s, 5, 9), 0);
    /* seeing a placed group elsewhere does not move it */
    CU_ASSERT_EQUAL(sched_group_seen(s, 9, 3), 0);
    CU_ASSERT_EQUAL(sched_group_seen(s, -1, 0), -EINVAL);
    CU_ASSERT_EQUAL(sched_group_seen(s, 1, 4), -EINVAL);
    /* a new group avoids node 0 (one group) and prefers the emptier of
     * nodes 1..3: node 3 has no thread */
    CU_ASSERT_EQUAL(place(s, 6, 100), 3);
    /* ungrouped numbering continues independently of the groups */
    CU_ASSERT_EQUAL(place(s, 7, SCHED_NO_GROUP), 3);
    CU_ASSERT_EQUAL(sched_node_load(s, 3), 2);
    CU_ASSERT_EQUAL(place(s, 8, INT64_MAX), 1); /* nodes 1, 2: no group; 1 first */
    CU_ASSERT_EQUAL(place(s, 9, INT64_MAX), 1);
    sched_destroy(s);
}

static void test_exit_moves_new_groups(void) {
    struct sched *s = make(SCHED_HINT, 3, 0);
    CU_ASSERT_EQUAL(place(s, 2, 1), 1);
    CU_ASSERT_EQUAL(place(s, 3, 2), 2);
    CU_ASSERT_EQUAL(place(s, 4, 3), 0); /* 1 group each now */
    for (int i = 0; i < 5; i++)
        CU_ASSERT_EQUAL(place(s, 10 + (uint64_t)i, 1), 1);
    CU_ASSERT_EQUAL(sched_node_load(s, 1), 6);
    /* equal groups: the node with fewest live threads gets the next group */
    CU_ASSERT_EQUAL(place(s, 20, 4), 2);
    for (int i = 0; i < 6; i++)
        sched_thread_exit(s, 1);
    CU_ASSERT_EQUAL(sched_node_load(s, 1), 0);
    sched_thread_exit(s, 1);  /* more exits than threads: stays at zero */
    sched_thread_exit(s, 99); /* no such node: ignored */
    CU_ASSERT_EQUAL(sched_node_load(s, 1), 0);
    /* groups: 0 has 1, 1 has 1, 2 has 2 -> 1 (fewer threads than node 0) */
    CU_ASSERT_EQUAL(place(s, 21, 5), 1);
    sched_destroy(s);
}

/* A thread whose CPU mask names some nodes' CPUs runs on one of them,
 * whatever the policy would have chosen, and counts there. */
static void test_allowed_nodes(void) {
    enum sched_policy policies[] = {SCHED_ROUND_ROBIN, SCHED_BLOCK, SCHED_HINT};
    for (int k = 0; k < 3; k++) {
        struct sched *s = make(policies[k], 12, 3);
        uint8_t only9[2] = {0, 1u << 1};         /* node 9 */
        uint8_t two[2] = {1u << 2 | 1u << 5, 0}; /* nodes 2 and 5 */
        for (int i = 0; i < 40; i++) {
            struct sched_thread_info t = {
                .tid = 100 + (uint64_t)i, .group = i % 4, .allowed = i % 2 ? only9 : two};
            int node = sched_place(s, &t);
            CU_ASSERT(i % 2 ? node == 9 : node == 2 || node == 5);
        }
        CU_ASSERT_EQUAL(sched_node_load(s, 9), 20);
        /* spread over the allowed ones: the less loaded first */
        unsigned a = sched_node_load(s, 2), b = sched_node_load(s, 5);
        CU_ASSERT_EQUAL(a + b, 20);
        CU_ASSERT(a >= 8 && b >= 8);
        /* a mask of no node's CPUs leaves the policy's choice */
        uint8_t none[2] = {0, 0};
        struct sched_thread_info t = {.tid = 999, .group = SCHED_NO_GROUP, .allowed = none};
        CU_ASSERT(sched_place(s, &t) >= 0);
        sched_destroy(s);
    }
}

static void test_observe_sharing_stub(void) {
    struct sched *a = make(SCHED_ROUND_ROBIN, 4, 0), *b = make(SCHED_ROUND_ROBIN, 4, 0);
    CU_ASSERT_EQUAL(sched_observe_sharing(a, 2, 3, 100), -ENOSYS);
    for (unsigned i = 0; i < 20; i++)
        CU_ASSERT_EQUAL(place(a, i, SCHED_NO_GROUP), place(b, i, SCHED_NO_GROUP));
    sched_destroy(a);
    sched_destroy(b);
}

struct racer {
    struct sched *s;
    unsigned per_node[8];
};

static void *race(void *arg) {
    struct racer *r = arg;
    for (unsigned i = 0; i < 20000; i++) {
        int n = place(r->s, i, (int64_t)(i % 50));
        if (n >= 0 && n < 8) r->per_node[n]++;
    }
    return NULL;
}

static void test_concurrent(void) {
    struct sched *s = make(SCHED_HINT, 8, 0);
    struct racer r[4] = {{s, {0}}, {s, {0}}, {s, {0}}, {s, {0}}};
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, race, &r[i]);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    unsigned total = 0;
    for (unsigned n = 0; n < 8; n++) {
        unsigned mine = 0;
        for (int i = 0; i < 4; i++)
            mine += r[i].per_node[n];
        CU_ASSERT_EQUAL(sched_node_load(s, n), mine + (n == 0));
        total += mine;
    }
    CU_ASSERT_EQUAL(total, 80000);
    /* 50 groups on 8 nodes: 6 or 7 each, every group placed once */
    unsigned groups = 0;
    for (unsigned n = 0; n < 8; n++) {
        CU_ASSERT(sched_node_groups(s, n) == 6 || sched_node_groups(s, n) == 7);
        groups += sched_node_groups(s, n);
    }
    CU_ASSERT_EQUAL(groups, 50);
    sched_destroy(s);
}

void test_register(void) {
    CU_pSuite s = CU_add_suite("sched", NULL, NULL);
    CU_add_test(s, "bad config", test_bad_config);
    CU_add_test(s, "round-robin, 1..64 nodes", test_round_robin);
    CU_add_test(s, "block", test_block);
    CU_add_test(s, "hint: groups stay together, spread evenly", test_hint_spread);
    CU_add_test(s, "hint: unmarked threads, groups seen", test_hint_ungrouped_and_seen);
    CU_add_test(s, "exits change where new groups go", test_exit_moves_new_groups);
    CU_add_test(s, "a CPU mask limits the nodes", test_allowed_nodes);
    CU_add_test(s, "observed-sharing hook is a stub", test_observe_sharing_stub);
    CU_add_test(s, "concurrent callers", test_concurrent);
}
