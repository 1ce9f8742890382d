/* The master's MSI directory: every transition with its exact actions,
 * queued and coalesced requests, node loss, and a randomized model check
 * of nodes and FIFO links against single-writer and no-lost-write
 * invariants. */
#include <CUnit/CUnit.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dsm/directory.h"

static struct directory d;
static struct dir_actions a;

static int setup(void) {
    dir_init(&d);
    a.n = 0;
    return 0;
}
static int teardown(void) {
    dir_fini(&d);
    dir_actions_fini(&a);
    return 0;
}
static void reset(void) {
    teardown();
    setup();
}

/* Runs one input and returns its result, with a.n = 0 before. */
static int req(uint64_t page, dsm_node_t n, enum dsm_req k) {
    a.n = 0;
    return dir_request(&d, page, n, k, &a);
}
static int ack(uint64_t page, dsm_node_t n) {
    a.n = 0;
    return dir_inv_ack(&d, page, n, &a);
}
static int wb(uint64_t page, dsm_node_t n) {
    a.n = 0;
    return dir_writeback(&d, page, n, &a);
}
static int iack(uint64_t page, dsm_node_t n) {
    a.n = 0;
    return dir_install_ack(&d, page, n, &a);
}
static int lost(dsm_node_t n) {
    a.n = 0;
    return dir_node_lost(&d, n, &a);
}

static int act_is(size_t i, enum dir_act kind, dsm_node_t node, enum dsm_state st, uint64_t page) {
    return i < a.n && a.v[i].kind == kind && a.v[i].node == node && a.v[i].page == page &&
           (kind == DIR_ACT_INVALIDATE || kind == DIR_ACT_LOST || a.v[i].state == st);
}
#define ACTS(count)                  CU_ASSERT_EQUAL_FATAL(a.n, (count))
#define ACT(i, kind, node, st, page) CU_ASSERT(act_is(i, kind, node, st, page))

static const struct dir_entry *E(uint64_t page) {
    return dir_find(&d, page);
}

static int has_act(enum dir_act kind, dsm_node_t node) {
    for (size_t i = 0; i < a.n; i++)
        if (a.v[i].kind == kind && a.v[i].node == node) return 1;
    return 0;
}

/* --- transitions ------------------------------------------------------- */

static void test_i_to_s(void) {
    reset();
    CU_ASSERT_PTR_NULL(E(7));
    CU_ASSERT_EQUAL(req(7, 1, DSM_REQ_READ), 0);
    ACTS(1);
    ACT(0, DIR_ACT_SEND, 1, DSM_S, 7);
    CU_ASSERT_EQUAL(E(7)->state, DSM_S);
    CU_ASSERT(node_set_has(&E(7)->sharers, 1));
    CU_ASSERT_EQUAL(node_set_count(&E(7)->sharers), 1);
    /* a second reader joins without a transaction */
    CU_ASSERT_EQUAL(req(7, 2, DSM_REQ_READ), 0);
    ACTS(1);
    ACT(0, DIR_ACT_SEND, 2, DSM_S, 7);
    CU_ASSERT_EQUAL(node_set_count(&E(7)->sharers), 2);
    CU_ASSERT_EQUAL(E(7)->txn.wait, DIR_WAIT_NONE);
    CU_ASSERT_EQUAL(E(7)->stats.reads, 2);
}

static void test_i_to_m(void) {
    reset();
    CU_ASSERT_EQUAL(req(3, 2, DSM_REQ_WRITE), 0);
    ACTS(1);
    ACT(0, DIR_ACT_SEND, 2, DSM_M, 3);
    CU_ASSERT_EQUAL(E(3)->state, DSM_M);
    CU_ASSERT_EQUAL(E(3)->owner, 2);
    CU_ASSERT_EQUAL(node_set_count(&E(3)->sharers), 0);
    CU_ASSERT_EQUAL(E(3)->last_writer, 2);
    CU_ASSERT(node_set_has(&E(3)->writers, 2));
    /* an upgrade from a node without a copy gets data too */
    reset();
    CU_ASSERT_EQUAL(req(3, 4, DSM_REQ_UPGRADE), 0);
    ACTS(1);
    ACT(0, DIR_ACT_SEND, 4, DSM_M, 3);
}

static void test_upgrade_sole_sharer(void) {
    reset();
    req(5, 1, DSM_REQ_READ);
    CU_ASSERT_EQUAL(req(5, 1, DSM_REQ_UPGRADE), 0);
    ACTS(1);
    ACT(0, DIR_ACT_GRANT, 1, DSM_M, 5);
    CU_ASSERT_EQUAL(E(5)->state, DSM_M);
    CU_ASSERT_EQUAL(E(5)->owner, 1);
    CU_ASSERT_EQUAL(node_set_count(&E(5)->sharers), 0);
    /* a sharer asking WRITE (claims no copy) gets data, never a bare grant */
    reset();
    req(5, 1, DSM_REQ_READ);
    CU_ASSERT_EQUAL(req(5, 1, DSM_REQ_WRITE), 0);
    ACTS(1);
    ACT(0, DIR_ACT_SEND, 1, DSM_M, 5);
}

static void test_upgrade_invalidates_sharers_any_order(void) {
    /* every order of three acks ends in the same grant, only after the last */
    static const int orders[6][3] = {{2, 3, 4}, {2, 4, 3}, {3, 2, 4},
                                     {3, 4, 2}, {4, 2, 3}, {4, 3, 2}};
    for (int o = 0; o < 6; o++) {
        reset();
        for (dsm_node_t n = 1; n <= 4; n++)
            req(9, n, DSM_REQ_READ);
        CU_ASSERT_EQUAL(req(9, 1, DSM_REQ_UPGRADE), 0);
        ACTS(3);
        CU_ASSERT(has_act(DIR_ACT_INVALIDATE, 2));
        CU_ASSERT(has_act(DIR_ACT_INVALIDATE, 3));
        CU_ASSERT(has_act(DIR_ACT_INVALIDATE, 4));
        CU_ASSERT(!has_act(DIR_ACT_INVALIDATE, 1));
        CU_ASSERT_EQUAL(E(9)->txn.wait, DIR_WAIT_ACKS);
        for (int i = 0; i < 3; i++) {
            CU_ASSERT_EQUAL(ack(9, (dsm_node_t)orders[o][i]), 0);
            if (i < 2) {
                ACTS(0);
                CU_ASSERT_EQUAL(E(9)->state, DSM_S);
            }
        }
        ACTS(1);
        ACT(0, DIR_ACT_GRANT, 1, DSM_M, 9);
        CU_ASSERT_EQUAL(E(9)->state, DSM_M);
        CU_ASSERT_EQUAL(E(9)->owner, 1);
        CU_ASSERT_EQUAL(E(9)->txn.wait, DIR_WAIT_NONE);
        CU_ASSERT_EQUAL(E(9)->stats.invalidations, 3);
        /* a repeated ack is a protocol error */
        CU_ASSERT_EQUAL(ack(9, (dsm_node_t)orders[o][0]), -EPROTO);
    }
}

static void test_write_from_non_sharer_in_s(void) {
    reset();
    req(1, 1, DSM_REQ_READ);
    req(1, 2, DSM_REQ_READ);
    CU_ASSERT_EQUAL(req(1, 3, DSM_REQ_WRITE), 0);
    ACTS(2);
    CU_ASSERT(has_act(DIR_ACT_INVALIDATE, 1) && has_act(DIR_ACT_INVALIDATE, 2));
    ack(1, 1);
    ACTS(0);
    ack(1, 2);
    ACTS(1);
    ACT(0, DIR_ACT_SEND, 3, DSM_M, 1);
    CU_ASSERT_EQUAL(E(1)->owner, 3);
}

static void test_m_to_s_downgrade(void) {
    reset();
    req(4, 1, DSM_REQ_WRITE);
    CU_ASSERT_EQUAL(req(4, 2, DSM_REQ_READ), 0);
    ACTS(1);
    ACT(0, DIR_ACT_FETCH, 1, DSM_S, 4);
    CU_ASSERT_EQUAL(E(4)->txn.wait, DIR_WAIT_WRITEBACK);
    CU_ASSERT_EQUAL(E(4)->state, DSM_M);
    /* a writeback from anyone but the owner is refused, nothing changes */
    CU_ASSERT_EQUAL(wb(4, 2), -EPROTO);
    CU_ASSERT_EQUAL(E(4)->txn.wait, DIR_WAIT_WRITEBACK);
    CU_ASSERT_EQUAL(wb(4, 1), 0);
    ACTS(1);
    ACT(0, DIR_ACT_SEND, 2, DSM_S, 4);
    CU_ASSERT_EQUAL(E(4)->state, DSM_S);
    CU_ASSERT(node_set_has(&E(4)->sharers, 1) && node_set_has(&E(4)->sharers, 2));
    CU_ASSERT_EQUAL(node_set_count(&E(4)->sharers), 2);
    CU_ASSERT_EQUAL(E(4)->stats.fetches, 1);
    /* the old owner can upgrade back after invalidating the reader */
    CU_ASSERT_EQUAL(req(4, 1, DSM_REQ_UPGRADE), 0);
    ACTS(1);
    ACT(0, DIR_ACT_INVALIDATE, 2, DSM_I, 4);
    ack(4, 2);
    ACT(0, DIR_ACT_GRANT, 1, DSM_M, 4);
}

static void test_m_to_m_transfer(void) {
    reset();
    req(8, 1, DSM_REQ_WRITE);
    CU_ASSERT_EQUAL(req(8, 2, DSM_REQ_WRITE), 0);
    ACTS(1);
    ACT(0, DIR_ACT_FETCH, 1, DSM_I, 8);
    CU_ASSERT_EQUAL(wb(8, 1), 0);
    ACTS(1);
    ACT(0, DIR_ACT_SEND, 2, DSM_M, 8);
    CU_ASSERT_EQUAL(E(8)->owner, 2);
    CU_ASSERT_EQUAL(node_set_count(&E(8)->sharers), 0);
    CU_ASSERT_EQUAL(E(8)->last_writer, 2);
    CU_ASSERT(node_set_has(&E(8)->writers, 1) && node_set_has(&E(8)->writers, 2));
    CU_ASSERT_EQUAL(E(8)->stats.transfers, 2);
    CU_ASSERT_EQUAL(d.total.transfers, 2);
    /* an upgrade from a non-sharer in M needs data as well */
    CU_ASSERT_EQUAL(req(8, 3, DSM_REQ_UPGRADE), 0);
    ACT(0, DIR_ACT_FETCH, 2, DSM_I, 8);
    wb(8, 2);
    ACTS(1);
    ACT(0, DIR_ACT_SEND, 3, DSM_M, 8);
}

/* The nodes waiting for a page (in flight and queued), for a forget that
 * drops them and answers them itself. */
static void test_askers(void) {
    reset();
    struct node_set s;
    node_set_init(&s);
    CU_ASSERT_EQUAL(dir_askers(&d, 2, &s), 0); /* never touched */
    CU_ASSERT_EQUAL(node_set_count(&s), 0);
    req(2, 1, DSM_REQ_WRITE);
    CU_ASSERT_EQUAL(dir_askers(&d, 2, &s), 0); /* served: nobody waits */
    CU_ASSERT_EQUAL(node_set_count(&s), 0);
    req(2, 2, DSM_REQ_READ); /* in flight: fetch from 1 */
    req(2, 3, DSM_REQ_WRITE);
    req(2, 70, DSM_REQ_READ); /* queued */
    CU_ASSERT_EQUAL(dir_askers(&d, 2, &s), 0);
    CU_ASSERT_EQUAL(node_set_count(&s), 3);
    CU_ASSERT(node_set_has(&s, 2) && node_set_has(&s, 3) && node_set_has(&s, 70));
    CU_ASSERT_FALSE(node_set_has(&s, 1));
    CU_ASSERT(dir_forget(&d, 2));
    node_set_fini(&s);
}

static void test_queue_in_order(void) {
    reset();
    req(2, 1, DSM_REQ_WRITE);
    req(2, 2, DSM_REQ_READ); /* fetch from 1 */
    CU_ASSERT_EQUAL(req(2, 3, DSM_REQ_READ), 0);
    ACTS(0);
    CU_ASSERT_EQUAL(req(2, 4, DSM_REQ_WRITE), 0);
    ACTS(0);
    CU_ASSERT_EQUAL(req(2, 5, DSM_REQ_READ), 0);
    ACTS(0);
    CU_ASSERT_EQUAL(E(2)->qlen, 3);
    CU_ASSERT_EQUAL(E(2)->stats.queued, 3);
    /* other pages are not held up */
    CU_ASSERT_EQUAL(req(99, 3, DSM_REQ_READ), 0);
    ACT(0, DIR_ACT_SEND, 3, DSM_S, 99);
    /* writeback: 2 gets S, 3 gets S at once, then 4's write invalidates */
    CU_ASSERT_EQUAL(wb(2, 1), 0);
    ACTS(5);
    ACT(0, DIR_ACT_SEND, 2, DSM_S, 2);
    ACT(1, DIR_ACT_SEND, 3, DSM_S, 2);
    for (size_t i = 2; i < 5; i++)
        CU_ASSERT_EQUAL(a.v[i].kind, DIR_ACT_INVALIDATE);
    CU_ASSERT(has_act(DIR_ACT_INVALIDATE, 1) && has_act(DIR_ACT_INVALIDATE, 2) &&
              has_act(DIR_ACT_INVALIDATE, 3));
    CU_ASSERT_EQUAL(E(2)->qlen, 1); /* 5's read still waits */
    ack(2, 3);
    ack(2, 1);
    ACTS(0);
    ack(2, 2);
    /* 4 becomes owner, then 5's read fetches from it */
    ACTS(2);
    ACT(0, DIR_ACT_SEND, 4, DSM_M, 2);
    ACT(1, DIR_ACT_FETCH, 4, DSM_S, 2);
    wb(2, 4);
    ACTS(1);
    ACT(0, DIR_ACT_SEND, 5, DSM_S, 2);
    CU_ASSERT_EQUAL(E(2)->qlen, 0);
    CU_ASSERT_EQUAL(E(2)->txn.wait, DIR_WAIT_NONE);
}

static void test_queue_grows(void) {
    reset();
    req(1, 0, DSM_REQ_WRITE);
    req(1, 1, DSM_REQ_WRITE);
    for (dsm_node_t n = 2; n < 1000; n++)
        CU_ASSERT_EQUAL(req(1, n, DSM_REQ_WRITE), 0);
    CU_ASSERT_EQUAL(E(1)->qlen, 998);
    /* each writer in turn: writeback -> send M to it -> fetch from it */
    for (dsm_node_t n = 1; n < 1000; n++) {
        CU_ASSERT_EQUAL_FATAL(wb(1, n - 1), 0);
        ACT(0, DIR_ACT_SEND, n, DSM_M, 1);
        if (n < 999) ACT(1, DIR_ACT_FETCH, n, DSM_I, 1);
    }
    CU_ASSERT_EQUAL(E(1)->owner, 999);
    CU_ASSERT_EQUAL(E(1)->qlen, 0);
}

static void test_duplicates(void) {
    reset();
    /* no transaction: the owner asking again gets a bare grant */
    req(6, 1, DSM_REQ_WRITE);
    CU_ASSERT_EQUAL(req(6, 1, DSM_REQ_WRITE), 0);
    ACTS(1);
    ACT(0, DIR_ACT_GRANT, 1, DSM_M, 6);
    CU_ASSERT_EQUAL(req(6, 1, DSM_REQ_READ), 0);
    ACT(0, DIR_ACT_GRANT, 1, DSM_M, 6);
    CU_ASSERT_EQUAL(E(6)->stats.coalesced, 2);
    /* in flight: the requester asking the same (or less) again is dropped */
    req(6, 2, DSM_REQ_WRITE); /* fetch from 1 */
    CU_ASSERT_EQUAL(req(6, 2, DSM_REQ_WRITE), 0);
    ACTS(0);
    CU_ASSERT_EQUAL(req(6, 2, DSM_REQ_READ), 0);
    ACTS(0);
    CU_ASSERT_EQUAL(E(6)->qlen, 0);
    /* a queued node's repeats merge into its one queue slot */
    req(6, 3, DSM_REQ_READ);
    req(6, 3, DSM_REQ_READ);
    CU_ASSERT_EQUAL(E(6)->qlen, 1);
    req(6, 3, DSM_REQ_UPGRADE); /* read + upgrade: asks for data */
    CU_ASSERT_EQUAL(E(6)->qlen, 1);
    CU_ASSERT_EQUAL(E(6)->q[E(6)->qhead].kind, DSM_REQ_WRITE);
    CU_ASSERT_EQUAL(E(6)->stats.coalesced, 6);
    wb(6, 1);
    ACTS(2);
    ACT(0, DIR_ACT_SEND, 2, DSM_M, 6);
    ACT(1, DIR_ACT_FETCH, 2, DSM_I, 6);
    wb(6, 2);
    ACTS(1);
    ACT(0, DIR_ACT_SEND, 3, DSM_M, 6);
    /* a read in flight does not cover a write: the write waits its turn */
    reset();
    req(6, 1, DSM_REQ_WRITE);
    req(6, 2, DSM_REQ_READ);
    req(6, 2, DSM_REQ_UPGRADE);
    CU_ASSERT_EQUAL(E(6)->qlen, 1);
    wb(6, 1);
    /* 2 gets S, then its upgrade invalidates 1 */
    ACTS(2);
    ACT(0, DIR_ACT_SEND, 2, DSM_S, 6);
    ACT(1, DIR_ACT_INVALIDATE, 1, DSM_I, 6);
    ack(6, 1);
    ACT(0, DIR_ACT_GRANT, 2, DSM_M, 6);
    /* two queued upgrades stay an upgrade */
    reset();
    req(6, 1, DSM_REQ_WRITE);
    req(6, 2, DSM_REQ_READ);
    req(6, 3, DSM_REQ_UPGRADE);
    req(6, 3, DSM_REQ_UPGRADE);
    CU_ASSERT_EQUAL(E(6)->q[E(6)->qhead].kind, DSM_REQ_UPGRADE);
    /* a sharer reading again gets the copy again */
    reset();
    req(6, 1, DSM_REQ_READ);
    CU_ASSERT_EQUAL(req(6, 1, DSM_REQ_READ), 0);
    ACTS(1);
    ACT(0, DIR_ACT_SEND, 1, DSM_S, 6);
    CU_ASSERT_EQUAL(node_set_count(&E(6)->sharers), 1);
}

static void test_upgrade_after_invalidation_gets_data(void) {
    reset();
    req(3, 1, DSM_REQ_READ);
    req(3, 2, DSM_REQ_READ);
    req(3, 3, DSM_REQ_WRITE); /* invalidates 1 and 2 */
    /* 1 sent its upgrade while in S, before the invalidation reached it */
    CU_ASSERT_EQUAL(req(3, 1, DSM_REQ_UPGRADE), 0);
    ACTS(0);
    ack(3, 1);
    ack(3, 2);
    ACTS(2);
    ACT(0, DIR_ACT_SEND, 3, DSM_M, 3);
    ACT(1, DIR_ACT_FETCH, 3, DSM_I, 3);
    wb(3, 3);
    ACTS(1);
    ACT(0, DIR_ACT_SEND, 1, DSM_M, 3); /* data, not a bare grant */
}

static void test_protocol_errors(void) {
    reset();
    CU_ASSERT_EQUAL(ack(1, 1), -EPROTO);
    CU_ASSERT_EQUAL(wb(1, 1), -EPROTO);
    CU_ASSERT_PTR_NULL(E(1)); /* errors create nothing */
    CU_ASSERT_EQUAL(req(1, 1, (enum dsm_req)7), -EINVAL);
    CU_ASSERT_PTR_NULL(E(1));
    req(1, 1, DSM_REQ_READ);
    req(1, 2, DSM_REQ_READ);
    CU_ASSERT_EQUAL(ack(1, 1), -EPROTO); /* no transaction */
    CU_ASSERT_EQUAL(wb(1, 1), -EPROTO);  /* not M */
    req(1, 3, DSM_REQ_WRITE);
    CU_ASSERT_EQUAL(ack(1, 3), -EPROTO); /* requester is not awaited */
    CU_ASSERT_EQUAL(ack(1, 4), -EPROTO); /* stranger */
    CU_ASSERT_EQUAL(wb(1, 1), -EPROTO);  /* waiting for acks, not data */
    CU_ASSERT_EQUAL(node_set_count(&E(1)->txn.acks), 2);
    CU_ASSERT_EQUAL(lost(5), 0);
    CU_ASSERT_EQUAL(req(1, 5, DSM_REQ_READ), -ENOTCONN);
    CU_ASSERT_EQUAL(E(1)->qlen, 0);
}

/* --- node loss --------------------------------------------------------- */

static void test_lost_sharer_and_owner(void) {
    reset();
    req(1, 1, DSM_REQ_READ);
    req(1, 2, DSM_REQ_READ);
    req(2, 1, DSM_REQ_READ);
    req(3, 1, DSM_REQ_WRITE);
    req(4, 2, DSM_REQ_WRITE);
    CU_ASSERT_EQUAL(lost(1), 0);
    ACTS(1);
    ACT(0, DIR_ACT_LOST, 1, DSM_I, 3);
    CU_ASSERT_EQUAL(E(1)->state, DSM_S);
    CU_ASSERT(!node_set_has(&E(1)->sharers, 1));
    CU_ASSERT_EQUAL(E(2)->state, DSM_I); /* last sharer gone */
    CU_ASSERT_EQUAL(node_set_count(&E(2)->sharers), 0);
    CU_ASSERT_EQUAL(E(3)->state, DSM_I);
    CU_ASSERT_EQUAL(E(3)->stats.lost, 1);
    CU_ASSERT_EQUAL(E(4)->state, DSM_M); /* untouched */
    CU_ASSERT_EQUAL(E(4)->owner, 2);
    /* the page is served from the home copy again */
    CU_ASSERT_EQUAL(req(3, 2, DSM_REQ_READ), 0);
    ACT(0, DIR_ACT_SEND, 2, DSM_S, 3);
}

static void test_lost_pending_acker(void) {
    reset();
    for (dsm_node_t n = 1; n <= 3; n++)
        req(1, n, DSM_REQ_READ);
    req(1, 1, DSM_REQ_UPGRADE);
    ack(1, 2);
    CU_ASSERT_EQUAL(lost(3), 0); /* counts as its ack */
    ACTS(1);
    ACT(0, DIR_ACT_GRANT, 1, DSM_M, 1);
    CU_ASSERT_EQUAL(E(1)->owner, 1);
}

static void test_lost_owner_during_fetch(void) {
    reset();
    req(1, 1, DSM_REQ_WRITE);
    req(1, 2, DSM_REQ_READ);  /* fetch from 1 */
    req(1, 3, DSM_REQ_WRITE); /* queued */
    CU_ASSERT_EQUAL(lost(1), 0);
    /* reported lost, the reader gets the home copy, then 3's write */
    ACTS(3);
    ACT(0, DIR_ACT_LOST, 1, DSM_I, 1);
    ACT(1, DIR_ACT_SEND, 2, DSM_S, 1);
    ACT(2, DIR_ACT_INVALIDATE, 2, DSM_I, 1);
    CU_ASSERT(!has_act(DIR_ACT_INVALIDATE, 1)); /* never asks the dead */
    ack(1, 2);
    ACTS(1);
    ACT(0, DIR_ACT_SEND, 3, DSM_M, 1);
}

static void test_lost_requester(void) {
    /* requester dies while its sharers are being invalidated */
    reset();
    req(1, 1, DSM_REQ_READ);
    req(1, 2, DSM_REQ_READ);
    req(1, 3, DSM_REQ_UPGRADE); /* 3 is not a sharer: write with data */
    req(1, 4, DSM_REQ_READ);    /* queued */
    CU_ASSERT_EQUAL(lost(3), 0);
    ACTS(0);
    ack(1, 1);
    ack(1, 2);
    /* nothing goes to 3; the page is back in I and 4 is served */
    ACTS(1);
    ACT(0, DIR_ACT_SEND, 4, DSM_S, 1);
    CU_ASSERT_EQUAL(E(1)->state, DSM_S);
    CU_ASSERT_EQUAL(node_set_count(&E(1)->sharers), 1);

    /* a sharer-requester that dies is removed from the sharers too */
    reset();
    req(1, 1, DSM_REQ_READ);
    req(1, 2, DSM_REQ_READ);
    req(1, 1, DSM_REQ_UPGRADE);
    lost(1);
    ack(1, 2);
    ACTS(0);
    CU_ASSERT_EQUAL(E(1)->state, DSM_I);
    CU_ASSERT_EQUAL(node_set_count(&E(1)->sharers), 0);

    /* the requester of a fetch dies: the owner keeps S, nobody gets data */
    reset();
    req(1, 1, DSM_REQ_WRITE);
    req(1, 2, DSM_REQ_READ);
    lost(2);
    ACTS(0);
    CU_ASSERT_EQUAL(wb(1, 1), 0);
    ACTS(0);
    CU_ASSERT_EQUAL(E(1)->state, DSM_S);
    CU_ASSERT(node_set_has(&E(1)->sharers, 1));
    CU_ASSERT_EQUAL(node_set_count(&E(1)->sharers), 1);
}

static void test_lost_queued(void) {
    reset();
    req(1, 1, DSM_REQ_WRITE);
    req(1, 2, DSM_REQ_WRITE);
    req(1, 3, DSM_REQ_WRITE);
    req(1, 4, DSM_REQ_READ);
    lost(3);
    CU_ASSERT_EQUAL(E(1)->qlen, 1);
    wb(1, 1);
    ACTS(2);
    ACT(0, DIR_ACT_SEND, 2, DSM_M, 1);
    ACT(1, DIR_ACT_FETCH, 2, DSM_S, 1);
}

/* --- scale ------------------------------------------------------------- */

static void test_many_nodes(void) {
    reset();
    enum { N = 300 };
    for (dsm_node_t n = 0; n < N; n++)
        CU_ASSERT_EQUAL(req(5, n, DSM_REQ_READ), 0);
    CU_ASSERT_EQUAL(node_set_count(&E(5)->sharers), N);
    CU_ASSERT_EQUAL(req(5, 1000, DSM_REQ_WRITE), 0);
    CU_ASSERT_EQUAL(a.n, N);
    /* acks in a shuffled order */
    dsm_node_t order[N];
    for (int i = 0; i < N; i++)
        order[i] = (dsm_node_t)i;
    srand(5);
    for (int i = N - 1; i > 0; i--) {
        int j = rand() % (i + 1);
        dsm_node_t t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    for (int i = 0; i < N; i++) {
        CU_ASSERT_EQUAL_FATAL(ack(5, order[i]), 0);
        CU_ASSERT_EQUAL(a.n, i == N - 1 ? 1u : 0u);
    }
    ACT(0, DIR_ACT_SEND, 1000, DSM_M, 5);
}

static void test_memory_grows_with_pages(void) {
    reset();
    CU_ASSERT_EQUAL(dir_page_count(&d), 0);
    /* pages spread over a 2^52-page space: cost follows pages touched */
    uint64_t x = 88172645463325252ull;
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        req(x >> 12, (dsm_node_t)(i % 8), DSM_REQ_READ);
    }
    CU_ASSERT_EQUAL(dir_page_count(&d), 20000);
    CU_ASSERT(d.pages.cap <= 65536);
    CU_ASSERT_EQUAL(d.total.reads, 20000);
}

static int hook_calls;
static void on_req(void *opaque, const struct dir_entry *e, dsm_node_t node, enum dsm_req kind) {
    (void)opaque;
    if (e->page == 11 && node == 3 && kind == DSM_REQ_UPGRADE) hook_calls++;
}

static void test_hooks(void) {
    reset();
    hook_calls = 0;
    d.hooks.on_request = on_req;
    req(11, 3, DSM_REQ_READ);
    req(11, 3, DSM_REQ_UPGRADE);
    req(11, 3, DSM_REQ_UPGRADE);
    CU_ASSERT_EQUAL(hook_calls, 2);
    CU_ASSERT_EQUAL(E(11)->stats.upgrades, 2);
}

/* --- direct owner->requester transfer ---------------------------------- */

/* node 0 has no link to the others here, as in a cluster run */
static bool direct_but_0(void *opaque, dsm_node_t owner, dsm_node_t reader) {
    (void)opaque;
    return owner != 0 && reader != 0;
}
static void reset_direct(void) {
    reset();
    d.hooks.direct = direct_but_0;
}
static int fetch_to(size_t i, dsm_node_t owner, enum dsm_state keep, dsm_node_t to, uint64_t page) {
    return act_is(i, DIR_ACT_FETCH, owner, keep, page) && a.v[i].to == to;
}

static void test_direct_read(void) {
    /* writeback first, then the install ack */
    reset_direct();
    req(4, 1, DSM_REQ_WRITE);
    CU_ASSERT_EQUAL(req(4, 2, DSM_REQ_READ), 0);
    ACTS(1);
    CU_ASSERT(fetch_to(0, 1, DSM_S, 2, 4));
    CU_ASSERT_EQUAL(E(4)->txn.wait, DIR_WAIT_DIRECT);
    CU_ASSERT_EQUAL(wb(4, 1), 0);
    ACTS(0); /* nothing for the reader: the owner sent it the page */
    CU_ASSERT_EQUAL(E(4)->txn.wait, DIR_WAIT_DIRECT);
    CU_ASSERT_EQUAL(E(4)->state, DSM_M);
    CU_ASSERT_EQUAL(iack(4, 2), 0);
    ACTS(0);
    CU_ASSERT_EQUAL(E(4)->txn.wait, DIR_WAIT_NONE);
    CU_ASSERT_EQUAL(E(4)->state, DSM_S);
    CU_ASSERT(node_set_has(&E(4)->sharers, 1) && node_set_has(&E(4)->sharers, 2));
    CU_ASSERT_EQUAL(node_set_count(&E(4)->sharers), 2);
    CU_ASSERT_EQUAL(E(4)->stats.fetches, 1);
    CU_ASSERT_EQUAL(E(4)->stats.direct, 1);
    CU_ASSERT_EQUAL(d.total.direct, 1);

    /* the install ack first, then the writeback */
    reset_direct();
    req(4, 1, DSM_REQ_WRITE);
    req(4, 2, DSM_REQ_READ);
    CU_ASSERT_EQUAL(iack(4, 2), 0);
    ACTS(0);
    CU_ASSERT_EQUAL(E(4)->txn.wait, DIR_WAIT_DIRECT);
    CU_ASSERT_EQUAL(wb(4, 1), 0);
    ACTS(0);
    CU_ASSERT_EQUAL(E(4)->state, DSM_S);
    CU_ASSERT_EQUAL(node_set_count(&E(4)->sharers), 2);
}

static void test_direct_write(void) {
    reset_direct();
    req(8, 1, DSM_REQ_WRITE);
    CU_ASSERT_EQUAL(req(8, 2, DSM_REQ_WRITE), 0);
    ACTS(1);
    CU_ASSERT(fetch_to(0, 1, DSM_I, 2, 8));
    CU_ASSERT_EQUAL(iack(8, 2), 0);
    ACTS(0);
    CU_ASSERT_EQUAL(E(8)->owner, 1); /* still 1's until its writeback */
    CU_ASSERT_EQUAL(wb(8, 1), 0);
    ACTS(0);
    CU_ASSERT_EQUAL(E(8)->state, DSM_M);
    CU_ASSERT_EQUAL(E(8)->owner, 2);
    CU_ASSERT_EQUAL(node_set_count(&E(8)->sharers), 0);
    CU_ASSERT_EQUAL(E(8)->last_writer, 2);
    CU_ASSERT_EQUAL(E(8)->stats.transfers, 2);
    /* an upgrade from a non-sharer in M goes direct as well */
    CU_ASSERT_EQUAL(req(8, 3, DSM_REQ_UPGRADE), 0);
    ACTS(1);
    CU_ASSERT(fetch_to(0, 2, DSM_I, 3, 8));
}

/* Requests behind a direct transfer wait for its install ack: an
 * INVALIDATE for the reader is never sent before it holds the page. */
static void test_direct_queue_waits_for_install(void) {
    reset_direct();
    req(1, 1, DSM_REQ_WRITE);
    req(1, 2, DSM_REQ_READ);
    CU_ASSERT_EQUAL(req(1, 3, DSM_REQ_WRITE), 0);
    CU_ASSERT_EQUAL(req(1, 2, DSM_REQ_READ), 0); /* the reader again: covered */
    ACTS(0);
    CU_ASSERT_EQUAL(E(1)->qlen, 1);
    wb(1, 1);
    ACTS(0);
    iack(1, 2);
    ACTS(2);
    ACT(0, DIR_ACT_INVALIDATE, 1, DSM_I, 1);
    ACT(1, DIR_ACT_INVALIDATE, 2, DSM_I, 1);
    ack(1, 1);
    ack(1, 2);
    ACTS(1);
    ACT(0, DIR_ACT_SEND, 3, DSM_M, 1);
}

static void test_direct_not_always(void) {
    /* the hook says which pairs: node 0 owner or reader goes home */
    reset_direct();
    req(1, 0, DSM_REQ_WRITE);
    req(1, 2, DSM_REQ_READ);
    ACTS(1);
    CU_ASSERT(fetch_to(0, 0, DSM_S, DIR_NODE_NONE, 1));
    CU_ASSERT_EQUAL(E(1)->txn.wait, DIR_WAIT_WRITEBACK);
    CU_ASSERT_EQUAL(iack(1, 2), -EPROTO);
    reset_direct();
    req(1, 2, DSM_REQ_WRITE);
    req(1, 0, DSM_REQ_READ);
    CU_ASSERT(fetch_to(0, 2, DSM_S, DIR_NODE_NONE, 1));
    /* no hook: never */
    reset();
    req(1, 1, DSM_REQ_WRITE);
    req(1, 2, DSM_REQ_READ);
    CU_ASSERT(fetch_to(0, 1, DSM_S, DIR_NODE_NONE, 1));
    /* pushes never go direct (nobody waits for them) */
    reset_direct();
    req(1, 1, DSM_REQ_WRITE);
    a.n = 0;
    CU_ASSERT_EQUAL(dir_push(&d, 1, 2, &a), 0);
    ACTS(1);
    CU_ASSERT(fetch_to(0, 1, DSM_S, DIR_NODE_NONE, 1));
}

static void test_direct_protocol_errors(void) {
    reset_direct();
    req(1, 1, DSM_REQ_WRITE);
    req(1, 2, DSM_REQ_READ);
    CU_ASSERT_EQUAL(iack(1, 3), -EPROTO); /* not the requester */
    CU_ASSERT_EQUAL(iack(9, 2), -EPROTO); /* no such page */
    CU_ASSERT_EQUAL(wb(1, 2), -EPROTO);   /* not the owner */
    CU_ASSERT_EQUAL(iack(1, 2), 0);
    CU_ASSERT_EQUAL(iack(1, 2), -EPROTO); /* twice */
    CU_ASSERT_EQUAL(E(1)->txn.wait, DIR_WAIT_DIRECT);
    CU_ASSERT_EQUAL(wb(1, 1), 0);
    CU_ASSERT_EQUAL(wb(1, 1), -EPROTO); /* over */
    CU_ASSERT_EQUAL(iack(1, 2), -EPROTO);
    CU_ASSERT_EQUAL(E(1)->state, DSM_S);
}

static void test_direct_lost(void) {
    /* the owner dies before its writeback: reported, the reader gets the
     * home copy */
    reset_direct();
    req(1, 1, DSM_REQ_WRITE);
    req(1, 2, DSM_REQ_READ);
    CU_ASSERT_EQUAL(lost(1), 0);
    ACTS(2);
    ACT(0, DIR_ACT_LOST, 1, DSM_I, 1);
    ACT(1, DIR_ACT_SEND, 2, DSM_S, 1);
    CU_ASSERT_EQUAL(E(1)->txn.wait, DIR_WAIT_NONE);
    CU_ASSERT_EQUAL(iack(1, 2), -EPROTO); /* the owner's copy, late */

    /* the owner dies after its writeback: nothing is lost, the reader
     * still waiting gets the (valid) home copy */
    reset_direct();
    req(1, 1, DSM_REQ_WRITE);
    req(1, 2, DSM_REQ_WRITE);
    wb(1, 1);
    CU_ASSERT_EQUAL(lost(1), 0);
    ACTS(1);
    ACT(0, DIR_ACT_SEND, 2, DSM_M, 1);
    CU_ASSERT_EQUAL(E(1)->owner, 2);

    /* the owner dies after the reader installed, before its writeback:
     * the home copy is stale (reported), the reader keeps its copy */
    reset_direct();
    req(1, 1, DSM_REQ_WRITE);
    req(1, 2, DSM_REQ_READ);
    iack(1, 2);
    CU_ASSERT_EQUAL(lost(1), 0);
    ACTS(1);
    ACT(0, DIR_ACT_LOST, 1, DSM_I, 1);
    CU_ASSERT_EQUAL(E(1)->state, DSM_S);
    CU_ASSERT(node_set_has(&E(1)->sharers, 2) && !node_set_has(&E(1)->sharers, 1));

    /* the reader dies: done at the writeback, the owner keeps S */
    reset_direct();
    req(1, 1, DSM_REQ_WRITE);
    req(1, 2, DSM_REQ_READ);
    req(1, 3, DSM_REQ_READ); /* queued */
    CU_ASSERT_EQUAL(lost(2), 0);
    ACTS(0);
    CU_ASSERT_EQUAL(wb(1, 1), 0);
    ACTS(1);
    ACT(0, DIR_ACT_SEND, 3, DSM_S, 1);
    CU_ASSERT(node_set_has(&E(1)->sharers, 1) && !node_set_has(&E(1)->sharers, 2));

    /* the reader dies after the writeback: done at once */
    reset_direct();
    req(1, 1, DSM_REQ_WRITE);
    req(1, 2, DSM_REQ_WRITE);
    wb(1, 1);
    CU_ASSERT_EQUAL(lost(2), 0);
    ACTS(0);
    CU_ASSERT_EQUAL(E(1)->txn.wait, DIR_WAIT_NONE);
    CU_ASSERT_EQUAL(E(1)->state, DSM_I);
}

/* --- randomized model check ------------------------------------------- */

/* Nodes and FIFO links simulated around the directory. Page contents are
 * version numbers: a write makes a new version, every read must see the
 * newest, a copy travelling anywhere is never older than its destination
 * has seen, and at quiescence the newest version is where the directory
 * says the valid copy is. */
enum { MN = 8, MP = 16 };
/* M_DATA: a page the owner sends a reader on their own link (direct
 * transfer); M_IACK: the reader's install ack, on its link to the master */
enum mmsg { M_SEND, M_GRANT, M_INV, M_FETCH, M_REQ, M_ACK, M_WB, M_DATA, M_IACK };
/* direct transfer in a run: never, between every pair, between some */
enum mdirect { MD_OFF, MD_ALL, MD_SOME };
struct msg {
    uint8_t kind, state, req;
    uint8_t page;
    uint8_t to; /* M_FETCH: the reader to send to, MN: none; M_IACK: the reader */
    uint64_t ver;
};
struct link {
    struct msg *v;
    size_t head, n, cap;
};
struct mnode {
    uint8_t st[MP];
    int8_t out[MP];  /* outstanding request kind or -1 */
    int8_t pend[MP]; /* access waiting for it: -1 none, 0 read, 1 write */
    uint64_t ver[MP], seen[MP];
};
static struct {
    struct link down[MN], up[MN];
    struct link peer[MN][MN]; /* owner -> reader, direct transfer only */
    struct mnode node[MN];
    uint64_t home[MP], newest[MP];
    uint64_t rng;
    int dups;
    int direct; /* enum mdirect */
    /* a broken protocol, for the checker's own test: the owner acks the
     * install for the reader when it sends the page */
    int early_ack;
    unsigned long delivered, reads_checked, writes, direct_data;
} m;

static bool model_direct(void *opaque, dsm_node_t owner, dsm_node_t reader) {
    (void)opaque;
    return m.direct == MD_ALL || (m.direct == MD_SOME && (owner + reader) % 3 != 0);
}

static uint64_t rnd(void) {
    m.rng ^= m.rng << 13, m.rng ^= m.rng >> 7, m.rng ^= m.rng << 17;
    return m.rng;
}
static void lpush(struct link *l, struct msg x) {
    if (l->head + l->n == l->cap) {
        if (l->head) {
            memmove(l->v, l->v + l->head, l->n * sizeof *l->v);
            l->head = 0;
        } else {
            l->cap = l->cap ? l->cap * 2 : 16;
            l->v = realloc(l->v, l->cap * sizeof *l->v);
        }
    }
    l->v[l->head + l->n++] = x;
}
static struct msg lpop(struct link *l) {
    l->n--;
    return l->v[l->head++];
}

/* The first violated condition, reported by the test that ran the model. */
static int model_fail;
static const char *model_why;
#define MCHECK(c)                                                                                  \
    do {                                                                                           \
        if (!(c) && !model_fail) {                                                                 \
            model_fail = 1;                                                                        \
            model_why = #c;                                                                        \
        }                                                                                          \
    } while (0)

static void run_actions(void) {
    for (size_t i = 0; i < a.n; i++) {
        struct dir_action *x = &a.v[i];
        struct msg g = {.page = (uint8_t)x->page, .state = x->state};
        switch (x->kind) {
        case DIR_ACT_SEND: g.kind = M_SEND, g.ver = m.home[x->page]; break;
        case DIR_ACT_GRANT: g.kind = M_GRANT; break;
        case DIR_ACT_INVALIDATE: g.kind = M_INV; break;
        case DIR_ACT_FETCH:
            g.kind = M_FETCH;
            g.to = x->to == DIR_NODE_NONE ? MN : (uint8_t)x->to;
            MCHECK(x->to == DIR_NODE_NONE || model_direct(NULL, x->node, x->to));
            break;
        default: MCHECK(!"unexpected action"); continue;
        }
        lpush(&m.down[x->node], g);
    }
    a.n = 0;
}

static void master_recv(dsm_node_t n, struct msg g) {
    a.n = 0;
    int r = 0;
    switch (g.kind) {
    case M_REQ: r = dir_request(&d, g.page, n, (enum dsm_req)g.req, &a); break;
    case M_ACK: r = dir_inv_ack(&d, g.page, n, &a); break;
    case M_IACK: r = dir_install_ack(&d, g.page, g.to, &a); break;
    case M_WB:
        MCHECK(g.ver >= m.home[g.page]); /* data version monotonic at home */
        m.home[g.page] = g.ver;
        r = dir_writeback(&d, g.page, n, &a);
        break;
    }
    MCHECK(r == 0);
    run_actions();
}

static void node_access(dsm_node_t n, int p, int write);

static void node_recv(dsm_node_t n, struct msg g) {
    struct mnode *x = &m.node[n];
    int p = g.page;
    switch (g.kind) {
    case M_DATA:
        m.direct_data++;
        /* installed as a SEND, then acknowledged */
        /* fall through */
    case M_SEND:
        MCHECK(g.ver >= x->seen[p]);
        MCHECK(g.ver == m.newest[p]); /* FIFO + acks: nobody wrote since */
        MCHECK(x->out[p] >= 0 || m.dups);
        x->st[p] = g.state;
        x->ver[p] = x->seen[p] = g.ver;
        if (g.kind == M_DATA && !m.early_ack)
            lpush(&m.up[n], (struct msg){.kind = M_IACK, .page = (uint8_t)p, .to = (uint8_t)n});
        break;
    case M_GRANT:
        MCHECK(x->st[p] != DSM_I);
        MCHECK(x->out[p] > 0 || x->st[p] == DSM_M || m.dups);
        x->st[p] = DSM_M;
        break;
    case M_INV:
        MCHECK(x->st[p] == DSM_S);
        x->st[p] = DSM_I;
        lpush(&m.up[n], (struct msg){.kind = M_ACK, .page = (uint8_t)p});
        break;
    case M_FETCH:
        MCHECK(x->st[p] == DSM_M);
        /* write-protect, copy, then drop: the copy holds every write;
         * the reader's copy first, then the writeback */
        if (g.to < MN) {
            uint8_t st = g.state == DSM_S ? DSM_S : DSM_M;
            lpush(&m.peer[n][g.to],
                  (struct msg){.kind = M_DATA, .page = (uint8_t)p, .state = st, .ver = x->ver[p]});
            if (m.early_ack)
                lpush(&m.up[n], (struct msg){.kind = M_IACK, .page = (uint8_t)p, .to = g.to});
        }
        lpush(&m.up[n], (struct msg){.kind = M_WB, .page = (uint8_t)p, .ver = x->ver[p]});
        x->st[p] = g.state;
        break;
    }
    /* an outstanding request is over once the state covers it */
    if (x->out[p] == DSM_REQ_READ && x->st[p] != DSM_I) x->out[p] = -1;
    if (x->out[p] > 0 && x->st[p] == DSM_M) x->out[p] = -1;
    /* the faulting thread retries its access once the request is served */
    if (x->out[p] < 0 && x->pend[p] >= 0) {
        int w = x->pend[p];
        x->pend[p] = -1;
        node_access(n, p, w);
    }
}

static void node_access(dsm_node_t n, int p, int write) {
    struct mnode *x = &m.node[n];
    if (!write && x->st[p] != DSM_I) {
        MCHECK(x->ver[p] == m.newest[p]); /* every read sees the last write */
        m.reads_checked++;
        return;
    }
    if (write && x->st[p] == DSM_M) {
        MCHECK(x->ver[p] == m.newest[p]);
        x->ver[p] = x->seen[p] = ++m.newest[p];
        m.writes++;
        return;
    }
    int kind = !write ? DSM_REQ_READ : x->st[p] == DSM_S ? DSM_REQ_UPGRADE : DSM_REQ_WRITE;
    if (write || x->pend[p] < 0) x->pend[p] = (int8_t)write;
    if (x->out[p] >= 0) {
        /* node-level dedup: wait, unless a network duplicate is simulated */
        if (m.dups && rnd() % 8 == 0)
            lpush(&m.up[n],
                  (struct msg){.kind = M_REQ, .page = (uint8_t)p, .req = (uint8_t)x->out[p]});
        return;
    }
    x->out[p] = (int8_t)kind;
    lpush(&m.up[n], (struct msg){.kind = M_REQ, .page = (uint8_t)p, .req = (uint8_t)kind});
}

static void check_invariants(void) {
    for (int p = 0; p < MP; p++) {
        int writers = 0, readers = 0;
        for (int n = 0; n < MN; n++) {
            writers += m.node[n].st[p] == DSM_M;
            readers += m.node[n].st[p] == DSM_S;
        }
        MCHECK(writers <= 1);          /* single writer ... */
        MCHECK(!(writers && readers)); /* ... XOR readers */
        const struct dir_entry *e = dir_find(&d, (uint64_t)p);
        if (!e) continue;
        MCHECK(e->state != DSM_M || node_set_count(&e->sharers) == 0);
        MCHECK(e->state != DSM_S || node_set_count(&e->sharers) > 0);
        MCHECK(e->state != DSM_I || node_set_count(&e->sharers) == 0);
        for (int64_t n = node_set_next(&e->txn.acks, 0); n >= 0;
             n = node_set_next(&e->txn.acks, (uint64_t)n + 1))
            MCHECK(node_set_has(&e->sharers, (dsm_node_t)n));
    }
}

/* Links: 0..MN-1 down, MN..2MN-1 up, then the owner->reader ones. */
static struct link *link_at(int i) {
    return i < MN ? &m.down[i] : i < 2 * MN ? &m.up[i - MN] : &m.peer[(i - 2 * MN) / MN][i % MN];
}

static int deliver_one(void) {
    int nonempty[2 * MN + MN * MN], k = 0;
    for (int i = 0; i < 2 * MN + MN * MN; i++)
        if (link_at(i)->n) nonempty[k++] = i;
    if (!k) return 0;
    int i = nonempty[rnd() % (uint64_t)k];
    if (i < MN)
        node_recv((dsm_node_t)i, lpop(&m.down[i]));
    else if (i < 2 * MN)
        master_recv((dsm_node_t)(i - MN), lpop(&m.up[i - MN]));
    else
        node_recv((dsm_node_t)(i % MN), lpop(link_at(i)));
    m.delivered++;
    return 1;
}

static void model_free_links(void) {
    for (int i = 0; i < 2 * MN + MN * MN; i++)
        free(link_at(i)->v);
    memset(&m, 0, sizeof m);
}

static void model_run(uint64_t seed, int steps, int dups, int direct, int early_ack) {
    reset();
    model_free_links();
    d.hooks.direct = direct != MD_OFF ? model_direct : NULL;
    m.rng = seed * 2654435761u + 1;
    m.dups = dups;
    m.direct = direct;
    m.early_ack = early_ack;
    for (int n = 0; n < MN; n++) {
        memset(m.node[n].out, -1, sizeof m.node[n].out);
        memset(m.node[n].pend, -1, sizeof m.node[n].pend);
    }
    for (int s = 0; s < steps && !model_fail; s++) {
        /* hot pages make contention; a few nodes do most of the work */
        int p = rnd() % 4 == 0 ? (int)(rnd() % MP) : (int)(rnd() % 3);
        if (rnd() % 3 == 0)
            node_access((dsm_node_t)(rnd() % MN), p, rnd() % 2 == 0);
        else
            deliver_one();
        check_invariants();
    }
    /* quiesce: deliver everything, then every request has been served */
    while (!model_fail && deliver_one())
        check_invariants();
    for (int p = 0; p < MP && !model_fail; p++) {
        const struct dir_entry *e = dir_find(&d, (uint64_t)p);
        for (int n = 0; n < MN; n++) {
            MCHECK(m.node[n].out[p] < 0 && m.node[n].pend[p] < 0); /* liveness */
            uint8_t want = !e                  ? DSM_I
                           : e->state == DSM_M ? (e->owner == (dsm_node_t)n ? DSM_M : DSM_I)
                           : node_set_has(&e->sharers, (dsm_node_t)n) ? DSM_S
                                                                      : DSM_I;
            MCHECK(m.node[n].st[p] == want); /* directory agrees with nodes */
        }
        if (!e) continue;
        MCHECK(e->txn.wait == DIR_WAIT_NONE && e->qlen == 0);
        /* no lost write: the valid copy holds the newest version */
        uint64_t v = e->state == DSM_M ? m.node[e->owner].ver[p] : m.home[p];
        MCHECK(v == m.newest[p]);
    }
}

struct model_totals {
    unsigned long writes, reads, inv, fetches, direct, direct_data, queued, coalesced;
};

/* 300 seeded runs of 4000 steps (a third with duplicate requests). */
static struct model_totals model_runs(int direct) {
    struct model_totals t = {0};
    for (uint64_t seed = 1; seed <= 300 && !model_fail; seed++) {
        model_run(seed, 4000, seed % 3 == 0, direct == MD_OFF ? MD_OFF : (int)(MD_ALL + seed % 2),
                  0);
        if (model_fail) fprintf(stderr, "seed %lu, direct %d\n", (unsigned long)seed, direct);
        t.writes += m.writes;
        t.reads += m.reads_checked;
        t.direct_data += m.direct_data;
        t.inv += d.total.invalidations;
        t.fetches += d.total.fetches;
        t.direct += d.total.direct;
        t.queued += d.total.queued;
        t.coalesced += d.total.coalesced;
    }
    if (model_fail) fprintf(stderr, "model check failed: %s\n", model_why);
    fprintf(stderr,
            "model (direct %s): %lu writes, %lu reads checked, %lu invalidations, %lu fetches "
            "(%lu direct, %lu pages sent owner to reader), %lu queued, %lu coalesced\n",
            direct ? "on" : "off", t.writes, t.reads, t.inv, t.fetches, t.direct, t.direct_data,
            t.queued, t.coalesced);
    model_free_links();
    return t;
}

static void test_model_check(void) {
    struct model_totals t = model_runs(MD_OFF);
    CU_ASSERT_FALSE(model_fail);
    /* the runs really exercised the protocol */
    CU_ASSERT(t.writes > 10000);
    CU_ASSERT(t.reads > 10000);
    CU_ASSERT(t.inv > 1000 && t.fetches > 1000 && t.queued > 1000 && t.coalesced > 100);
    CU_ASSERT_EQUAL(t.direct, 0);
}

/* The same with direct owner->reader transfer between every pair of
 * nodes (odd seeds) or some pairs (even seeds): the extra link is FIFO
 * too but unordered with the master's, and the install ack keeps
 * every invariant. */
static void test_model_check_direct(void) {
    struct model_totals t = model_runs(MD_ALL);
    CU_ASSERT_FALSE(model_fail);
    CU_ASSERT(t.writes > 10000);
    CU_ASSERT(t.reads > 10000);
    CU_ASSERT(t.inv > 1000 && t.queued > 1000 && t.coalesced > 100);
    /* most fetches went direct, and each sent exactly one page */
    CU_ASSERT(t.direct > 1000 && t.direct * 2 > t.fetches);
    CU_ASSERT_EQUAL(t.direct, t.direct_data);
}

/* Why the install ack: completing a direct transfer at the owner's
 * writeback (the owner acks for the reader) lets the next INVALIDATE or
 * FETCH on the master's link overtake the page on the owner's, and the
 * model sees it reach a node without the page (or a stale copy). */
static void test_model_needs_install_ack(void) {
    int failed = 0;
    for (uint64_t seed = 1; seed <= 300 && !failed; seed++) {
        model_fail = 0;
        model_run(seed, 4000, 0, MD_ALL, 1);
        while (!model_fail && deliver_one())
            ;
        failed = model_fail;
        if (failed) fprintf(stderr, "seed %lu: %s\n", (unsigned long)seed, model_why);
    }
    model_free_links();
    CU_ASSERT_EQUAL(failed, 1);
    model_fail = 0;
    model_why = NULL;
}

/* The checker itself can fail: a planted early grant (a writer beside a
 * reader) and a stale read are both caught. */
static void test_model_detects_violation(void) {
    reset();
    memset(&m, 0, sizeof m);
    model_fail = 0;
    m.node[1].st[0] = DSM_M;
    m.node[2].st[0] = DSM_S;
    check_invariants();
    CU_ASSERT_EQUAL(model_fail, 1);
    model_fail = 0;
    memset(&m, 0, sizeof m);
    m.node[3].st[5] = DSM_S;
    m.newest[5] = 2;
    m.node[3].ver[5] = 1;
    node_access(3, 5, 0);
    CU_ASSERT_EQUAL(model_fail, 1);
    model_fail = 0;
    model_why = NULL;
}

void test_register(void) {
    CU_pSuite s = CU_add_suite("dsm_directory", setup, teardown);
    CU_add_test(s, "I->S and a second reader", test_i_to_s);
    CU_add_test(s, "I->M", test_i_to_m);
    CU_add_test(s, "S->M upgrade, sole sharer", test_upgrade_sole_sharer);
    CU_add_test(s, "S->M upgrade invalidates sharers, acks in any order",
                test_upgrade_invalidates_sharers_any_order);
    CU_add_test(s, "write from a non-sharer in S", test_write_from_non_sharer_in_s);
    CU_add_test(s, "M->S downgrade by a reader", test_m_to_s_downgrade);
    CU_add_test(s, "M->M transfer between writers", test_m_to_m_transfer);
    CU_add_test(s, "queued requests run in order", test_queue_in_order);
    CU_add_test(s, "the nodes waiting for a page", test_askers);
    CU_add_test(s, "queue grows with waiting nodes", test_queue_grows);
    CU_add_test(s, "duplicate requests coalesce", test_duplicates);
    CU_add_test(s, "upgrade after invalidation gets data",
                test_upgrade_after_invalidation_gets_data);
    CU_add_test(s, "protocol errors change nothing", test_protocol_errors);
    CU_add_test(s, "node lost: sharer and owner", test_lost_sharer_and_owner);
    CU_add_test(s, "node lost: awaited acker", test_lost_pending_acker);
    CU_add_test(s, "node lost: owner during fetch", test_lost_owner_during_fetch);
    CU_add_test(s, "node lost: requester in flight", test_lost_requester);
    CU_add_test(s, "node lost: queued requests", test_lost_queued);
    CU_add_test(s, "300 sharers, shuffled acks", test_many_nodes);
    CU_add_test(s, "memory grows with pages touched", test_memory_grows_with_pages);
    CU_add_test(s, "request hook", test_hooks);
    CU_add_test(s, "direct transfer: read, writeback and install ack in any order",
                test_direct_read);
    CU_add_test(s, "direct transfer: write", test_direct_write);
    CU_add_test(s, "direct transfer: queued requests wait for the install",
                test_direct_queue_waits_for_install);
    CU_add_test(s, "direct transfer: only pairs the hook allows, never pushes",
                test_direct_not_always);
    CU_add_test(s, "direct transfer: protocol errors", test_direct_protocol_errors);
    CU_add_test(s, "direct transfer: owner or reader lost", test_direct_lost);
    CU_add_test(s, "randomized model check, 8 nodes x 16 pages", test_model_check);
    CU_add_test(s, "randomized model check with direct transfer", test_model_check_direct);
    CU_add_test(s, "model checker sees a planted violation", test_model_detects_violation);
    CU_add_test(s, "without the install ack the model fails", test_model_needs_install_ack);
}
