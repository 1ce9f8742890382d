/* The forwarding stream detector (dsm/forward.c) and the directory's
 * push (dir_push): strides, backward streams, interleaved streams, window
 * adaptation, mispredictions. */
#include <CUnit/CUnit.h>
#include <errno.h>
#include <string.h>

#include "dsm/directory.h"
#include "dsm/forward.h"

static struct fwd f;
static uint64_t out[64];

static void setup3(unsigned window) {
    struct fwd_config c = {.trigger = 3, .window = window};
    fwd_init(&f, &c);
}

/* Reads page and pushes every proposed page; returns how many. */
static size_t rd(dsm_node_t node, uint64_t page) {
    size_t n = fwd_on_read(&f, node, page, false, out, 64);
    fwd_pushed(&f, node, n);
    return n;
}

/* Node reached page, a tripwire among its pushes; pushes what is proposed. */
static size_t reach(dsm_node_t node, uint64_t page) {
    size_t n = fwd_on_read(&f, node, page, true, out, 64);
    fwd_pushed(&f, node, n);
    return n;
}

/* A node that reports reaching a pushed page (a run's tripwire) keeps the
 * window full ahead of it, with no request and no miss: the tripwire and
 * the pages before it count as hits, nothing as late. */
static void test_forward_tripwire(void) {
    setup3(16);
    rd(1, 100);
    rd(1, 101);
    CU_ASSERT_EQUAL(rd(1, 102), 4);    /* 103..106 */
    CU_ASSERT_EQUAL(reach(1, 105), 7); /* 103, 104 walked, 105 reached: window 8 */
    CU_ASSERT_EQUAL(out[0], 107);
    CU_ASSERT_EQUAL(out[6], 113);
    CU_ASSERT_EQUAL(f.stats.hits, 3);
    CU_ASSERT_EQUAL(f.stats.reached, 1);
    CU_ASSERT_EQUAL(f.stats.late, 0);
    /* ahead now: 106..113 (8): reaching 106 tops it up to the new window */
    CU_ASSERT_EQUAL(reach(1, 106), 16 - 7);
    CU_ASSERT_EQUAL(out[0], 114);
    CU_ASSERT_EQUAL(f.stats.reached, 2);
    CU_ASSERT_EQUAL(f.stats.late, 0);
    /* a request for a pushed page is still late */
    rd(1, 108);
    CU_ASSERT_EQUAL(f.stats.late, 1);
    CU_ASSERT_EQUAL(f.stats.reached, 2);
    fwd_fini(&f);
}

static void test_forward_stride1(void) {
    setup3(32);
    CU_ASSERT_EQUAL(rd(1, 100), 0);
    CU_ASSERT_EQUAL(rd(1, 101), 0); /* two requests: a candidate, not yet a stream */
    CU_ASSERT_EQUAL(rd(1, 102), 4); /* the trigger: the first window */
    CU_ASSERT_EQUAL(out[0], 103);
    CU_ASSERT_EQUAL(out[3], 106);
    CU_ASSERT_EQUAL(f.stats.streams, 1);
    CU_ASSERT_EQUAL(f.stats.pushed, 4);
    /* the node walked 103..106 without asking: 107 confirms 4 hits and
     * the window doubles */
    CU_ASSERT_EQUAL(rd(1, 107), 8);
    CU_ASSERT_EQUAL(out[0], 108);
    CU_ASSERT_EQUAL(out[7], 115);
    CU_ASSERT_EQUAL(f.stats.hits, 4);
    CU_ASSERT_EQUAL(rd(1, 116), 16);
    CU_ASSERT_EQUAL(rd(1, 133), 32);
    /* the ceiling holds */
    CU_ASSERT_EQUAL(rd(1, 166), 32);
    CU_ASSERT_EQUAL(f.stats.hits, 4 + 8 + 16 + 32);
    fwd_fini(&f);
}

static void test_forward_backward_stride(void) {
    setup3(8);
    rd(2, 1000);
    rd(2, 997);
    CU_ASSERT_EQUAL(rd(2, 994), 4);
    CU_ASSERT_EQUAL(out[0], 991);
    CU_ASSERT_EQUAL(out[1], 988);
    CU_ASSERT_EQUAL(out[3], 982);
    /* never below page 0 */
    fwd_fini(&f);
    setup3(8);
    rd(2, 6);
    rd(2, 4);
    CU_ASSERT_EQUAL(rd(2, 2), 1);
    CU_ASSERT_EQUAL(out[0], 0);
    fwd_fini(&f);
}

static void test_forward_interleaved(void) {
    setup3(32);
    /* two streams of one node, requests alternating, plus another node */
    CU_ASSERT_EQUAL(rd(1, 100), 0);
    CU_ASSERT_EQUAL(rd(1, 5000), 0);
    CU_ASSERT_EQUAL(rd(3, 101), 0);
    CU_ASSERT_EQUAL(rd(1, 102), 0);
    CU_ASSERT_EQUAL(rd(1, 4998), 0);
    CU_ASSERT_EQUAL(rd(1, 104), 4);
    CU_ASSERT_EQUAL(out[0], 106);
    CU_ASSERT_EQUAL(rd(1, 4996), 4);
    CU_ASSERT_EQUAL(out[0], 4994);
    /* node 3 is its own history: 101 then 102 is only its second request */
    CU_ASSERT_EQUAL(rd(3, 102), 0);
    CU_ASSERT_EQUAL(f.stats.streams, 2);
    /* both continue past their windows */
    CU_ASSERT_EQUAL(rd(1, 114), 8);
    CU_ASSERT_EQUAL(rd(1, 4986), 8);
    CU_ASSERT_EQUAL(f.stats.hits, 8);
    fwd_fini(&f);
}

/* A loop over several arrays at once (a[i], b[i], c[i]...: every
 * PARSEC kernel) makes as many streams of one stride on one node, and
 * each is forwarded: a stream of the same stride elsewhere is another
 * stream, not the same one jumping. */
static void test_forward_same_stride_arrays(void) {
    setup3(32);
    enum { ARRAYS = 6 };
    size_t pushed[ARRAYS] = {0};
    for (uint64_t i = 0; i < 8; i++)
        for (uint64_t a = 0; a < ARRAYS; a++)
            pushed[a] += rd(1, 10000 + a * 1000 + i * 5);
    for (int a = 0; a < ARRAYS; a++)
        CU_ASSERT(pushed[a] > 0);
    CU_ASSERT_EQUAL(f.stats.streams, ARRAYS);
    CU_ASSERT_EQUAL(f.stats.abandoned, 0);
    fwd_fini(&f);
}

static void test_forward_random_is_quiet(void) {
    setup3(32);
    /* far-apart pages never make a stream */
    uint64_t p = 12345;
    size_t pushed = 0;
    for (int i = 0; i < 1000; i++) {
        p = p * 6364136223846793005ull + 1442695040888963407ull;
        pushed += rd(1, (p >> 20) % (1u << 30));
    }
    CU_ASSERT_EQUAL(pushed, 0);
    CU_ASSERT_EQUAL(f.stats.streams, 0);
    fwd_fini(&f);
}

static void test_forward_window_shrinks_on_misses(void) {
    setup3(32);
    rd(1, 10);
    rd(1, 11);
    CU_ASSERT_EQUAL(rd(1, 12), 4); /* 13..16 pushed */
    CU_ASSERT_EQUAL(rd(1, 17), 8); /* hits: window 8, 18..25 pushed */
    /* a writer takes two pushed pages before the node gets there */
    fwd_on_invalidate(&f, 1, 19);
    fwd_on_invalidate(&f, 1, 20);
    fwd_on_invalidate(&f, 1, 30); /* not pushed: no misprediction */
    fwd_on_invalidate(&f, 2, 21); /* another node's copy: none either */
    CU_ASSERT_EQUAL(f.stats.invalidated, 2);
    /* the node asks for 19 (its copy is gone): one hit (18), one late;
     * the window, halved twice to 2, doubles to 4 for the hit, which
     * 20..25 (still pushed) already cover: nothing more is pushed */
    CU_ASSERT_EQUAL(f.nodes[1]->s[0].window, 2);
    CU_ASSERT_EQUAL(rd(1, 19), 0);
    CU_ASSERT_EQUAL(f.stats.late, 1);
    CU_ASSERT_EQUAL(f.stats.hits, 4 + 1);
    CU_ASSERT_EQUAL(f.nodes[1]->s[0].window, 4);
    fwd_fini(&f);
}

static void test_forward_abandoned(void) {
    setup3(32);
    rd(1, 10);
    rd(1, 11);
    CU_ASSERT_EQUAL(rd(1, 12), 4);
    /* more candidates than slots (two requests each, nothing pushed):
     * they make way for each other, never for a stream with pages ahead */
    for (uint64_t s = 0; s < FWD_STREAMS; s++) {
        uint64_t base = 100000 + s * 10000;
        rd(1, base);
        rd(1, base + s + 2); /* strides 2, 3, ...: all different */
    }
    CU_ASSERT_EQUAL(f.stats.abandoned, 0);
    CU_ASSERT_EQUAL(rd(1, 17), 8); /* 13..16 walked over, the window doubled */
    /* as many streams with pushes of their own: the last one takes the
     * least recently used slot, the first stream's, whose 8 go */
    for (uint64_t s = 0; s < FWD_STREAMS; s++) {
        uint64_t base = 300000 + s * 10000;
        rd(1, base);
        rd(1, base + s + 2);
        CU_ASSERT_EQUAL(rd(1, base + 2 * (s + 2)), 4);
    }
    CU_ASSERT_EQUAL(f.stats.abandoned, 8);
    fwd_fini(&f);
}

static void test_forward_trigger_two(void) {
    struct fwd_config c = {.trigger = 2, .window = 1};
    fwd_init(&f, &c);
    CU_ASSERT_EQUAL(rd(1, 7), 0);
    CU_ASSERT_EQUAL(rd(1, 9), 1);
    CU_ASSERT_EQUAL(out[0], 11);
    CU_ASSERT_EQUAL(rd(1, 13), 1); /* window 1 is its own ceiling */
    CU_ASSERT_EQUAL(out[0], 15);
    fwd_fini(&f);
}

static void test_dir_push(void) {
    struct directory d;
    struct dir_actions a = {0};
    dir_init(&d);
    CU_ASSERT_EQUAL(dir_push(&d, 5, 1, &a), -ENOENT); /* never touched */
    CU_ASSERT_EQUAL(dir_request(&d, 5, 0, DSM_REQ_WRITE, &a), 0);
    a.n = 0;
    /* M(0): a push fetches from the owner, then sends S */
    CU_ASSERT_EQUAL(dir_push(&d, 5, 1, &a), 0);
    CU_ASSERT_EQUAL(a.n, 1);
    CU_ASSERT_EQUAL(a.v[0].kind, DIR_ACT_FETCH);
    CU_ASSERT_EQUAL(a.v[0].node, 0);
    a.n = 0;
    CU_ASSERT_EQUAL(dir_push(&d, 5, 2, &a), -EBUSY); /* never queues */
    CU_ASSERT_EQUAL(dir_writeback(&d, 5, 0, &a), 0);
    CU_ASSERT_EQUAL(a.n, 1);
    CU_ASSERT_EQUAL(a.v[0].kind, DIR_ACT_SEND);
    CU_ASSERT_EQUAL(a.v[0].node, 1);
    CU_ASSERT_EQUAL(a.v[0].state, DSM_S);
    a.n = 0;
    CU_ASSERT_EQUAL(dir_push(&d, 5, 1, &a), -EEXIST);
    CU_ASSERT_EQUAL(dir_push(&d, 5, 0, &a), -EEXIST);
    CU_ASSERT_EQUAL(dir_push(&d, 5, 2, &a), 0);
    CU_ASSERT_EQUAL(a.n, 1);
    CU_ASSERT_EQUAL(a.v[0].kind, DIR_ACT_SEND);
    CU_ASSERT_EQUAL(dir_find(&d, 5)->stats.pushes, 2);
    CU_ASSERT_EQUAL(dir_find(&d, 5)->stats.reads, 0);
    /* a pushed sharer is an ordinary sharer: a writer invalidates it */
    a.n = 0;
    CU_ASSERT_EQUAL(dir_request(&d, 5, 0, DSM_REQ_UPGRADE, &a), 0);
    CU_ASSERT_EQUAL(a.n, 2);
    dir_actions_fini(&a);
    dir_fini(&d);
}

/* A read from a node a copy was pushed to, before the copy reached it: the
 * push (ahead on its FIFO link) answers it; a second read, or one after
 * the node lost its copy, gets data again. */
static void test_dir_push_late_read(void) {
    struct directory d;
    struct dir_actions a = {0};
    dir_init(&d);
    CU_ASSERT_EQUAL(dir_request(&d, 7, 0, DSM_REQ_READ, &a), 0); /* S{0} */
    a.n = 0;
    CU_ASSERT_EQUAL(dir_push(&d, 7, 1, &a), 0);
    CU_ASSERT_EQUAL(a.n, 1);
    CU_ASSERT_EQUAL(a.v[0].kind, DIR_ACT_SEND);
    a.n = 0;
    CU_ASSERT_EQUAL(dir_request(&d, 7, 1, DSM_REQ_READ, &a), 0); /* late: nothing */
    CU_ASSERT_EQUAL(a.n, 0);
    CU_ASSERT_EQUAL(dir_request(&d, 7, 1, DSM_REQ_READ, &a), 0); /* again: the copy */
    CU_ASSERT_EQUAL(a.n, 1);
    CU_ASSERT_EQUAL(a.v[0].kind, DIR_ACT_SEND);
    CU_ASSERT_EQUAL(a.v[0].node, 1);
    /* pushed, then invalidated by a writer before asking: an ordinary miss */
    a.n = 0;
    CU_ASSERT_EQUAL(dir_request(&d, 8, 0, DSM_REQ_READ, &a), 0);
    CU_ASSERT_EQUAL(dir_push(&d, 8, 1, &a), 0);
    a.n = 0;
    CU_ASSERT_EQUAL(dir_request(&d, 8, 0, DSM_REQ_UPGRADE, &a), 0);
    CU_ASSERT_EQUAL(a.n, 1);
    CU_ASSERT_EQUAL(a.v[0].kind, DIR_ACT_INVALIDATE);
    a.n = 0;
    CU_ASSERT_EQUAL(dir_inv_ack(&d, 8, 1, &a), 0); /* 0 gets M */
    a.n = 0;
    CU_ASSERT_EQUAL(dir_request(&d, 8, 1, DSM_REQ_READ, &a), 0);
    CU_ASSERT_EQUAL(a.n, 1);
    CU_ASSERT_EQUAL(a.v[0].kind, DIR_ACT_FETCH); /* from the writer, for 1 */
    a.n = 0;
    CU_ASSERT_EQUAL(dir_writeback(&d, 8, 0, &a), 0);
    CU_ASSERT_EQUAL(a.n, 1);
    CU_ASSERT_EQUAL(a.v[0].kind, DIR_ACT_SEND);
    CU_ASSERT_EQUAL(a.v[0].node, 1);
    dir_actions_fini(&a);
    dir_fini(&d);
}

void test_register(void) {
    CU_pSuite s = CU_add_suite("dsm_forward", NULL, NULL);
    CU_add_test(s, "stride 1, window doubles to its ceiling", test_forward_stride1);
    CU_add_test(s, "backward stride 3, stops at page 0", test_forward_backward_stride);
    CU_add_test(s, "interleaved streams and nodes", test_forward_interleaved);
    CU_add_test(s, "one stride over several arrays", test_forward_same_stride_arrays);
    CU_add_test(s, "random requests push nothing", test_forward_random_is_quiet);
    CU_add_test(s, "invalidated pushes shrink the window", test_forward_window_shrinks_on_misses);
    CU_add_test(s, "an evicted stream's pushes are abandoned", test_forward_abandoned);
    CU_add_test(s, "trigger 2, window 1", test_forward_trigger_two);
    CU_add_test(s, "a late read after a push", test_dir_push_late_read);
    CU_add_test(s, "tripwires keep the window ahead", test_forward_tripwire);
    CU_add_test(s, "dir_push: fetch, busy, exists, sharer", test_dir_push);
}
