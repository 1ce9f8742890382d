/* A node's clocks against the master's (common/clock_sync.h): exact
 * offsets on the same kernel, the NTP-style estimate across hosts, and
 * the guest's clocks shifted by them (syscall/guest_clock.h). */
#include <CUnit/CUnit.h>
#include <string.h>

#include "common/clock_sync.h"
#include "syscall/guest_clock.h"

static void test_same_kernel(void) {
    struct clock_host m = {.timens_mono = 0, .timens_boot = 5},
                      n = {.timens_mono = 86400, .timens_boot = 172800};
    strcpy(m.boot_id, "b6d97ee3");
    strcpy(n.boot_id, "b6d97ee3");
    /* stamps that would say something else: not used */
    struct clock_stamps s = {1000, 999999, 1000000, 3000};
    struct clock_offsets o;
    clock_sync_offsets(&m, &n, &s, &o);
    CU_ASSERT_TRUE(o.exact);
    CU_ASSERT_EQUAL(o.monotonic_ns, -86400);
    CU_ASSERT_EQUAL(o.boottime_ns, 5 - 172800);
    CU_ASSERT_EQUAL(o.error_ns, 0);
    /* a node that does not know its kernel's boot id is another host */
    n.boot_id[0] = 0;
    clock_sync_offsets(&m, &n, &s, &o);
    CU_ASSERT_FALSE(o.exact);
}

static void test_estimate(void) {
    struct clock_host m = {.suspended_ns = 700}, n = {.suspended_ns = 200};
    strcpy(m.boot_id, "aaaa");
    strcpy(n.boot_id, "bbbb");
    /* the node's clock is 1,000,000 ns behind; 40 ns each way, 500 ns of
     * work on the node in between */
    int64_t off = 1000000;
    struct clock_stamps s = {.master_tx = 5000000};
    s.node_rx = s.master_tx + 40 - off;
    s.node_tx = s.node_rx + 500;
    s.master_rx = s.node_tx + off + 40;
    struct clock_offsets o;
    clock_sync_offsets(&m, &n, &s, &o);
    CU_ASSERT_FALSE(o.exact);
    CU_ASSERT_EQUAL(o.monotonic_ns, off);
    CU_ASSERT_EQUAL(o.boottime_ns, off + 500);
    CU_ASSERT_EQUAL(o.error_ns, 40);
    /* 30 ns out, 50 ns back: off by half the difference, within the bound */
    s.node_rx = s.master_tx + 30 - off;
    s.node_tx = s.node_rx + 500;
    s.master_rx = s.node_tx + off + 50;
    clock_sync_offsets(&m, &n, &s, &o);
    CU_ASSERT_EQUAL(o.monotonic_ns, off + 10);
    CU_ASSERT_TRUE((uint64_t)10 <= o.error_ns);
}

static void test_guest_clock(void) {
    struct guest_clock gc = {0};
    struct timespec a, b;
    CU_ASSERT_EQUAL(guest_clock_gettime(&gc, CLOCK_MONOTONIC, &a), 0);
    atomic_store(&gc.monotonic_ns, 86400ll * 1000000000);
    CU_ASSERT_EQUAL(guest_clock_gettime(&gc, CLOCK_MONOTONIC, &b), 0);
    CU_ASSERT_TRUE(b.tv_sec - a.tv_sec >= 86400 && b.tv_sec - a.tv_sec < 86410);
    CU_ASSERT_EQUAL(guest_clock_offset(&gc, CLOCK_MONOTONIC_RAW), 86400ll * 1000000000);
    CU_ASSERT_EQUAL(guest_clock_offset(&gc, CLOCK_REALTIME), 0);
    CU_ASSERT_EQUAL(guest_clock_offset(&gc, CLOCK_PROCESS_CPUTIME_ID), 0);
    atomic_store(&gc.boottime_ns, -7);
    CU_ASSERT_EQUAL(guest_clock_offset(&gc, CLOCK_BOOTTIME), -7);
    struct timespec t = {5, 999999999};
    guest_clock_shift(&t, 2);
    CU_ASSERT_TRUE(t.tv_sec == 6 && t.tv_nsec == 1);
    guest_clock_shift(&t, -7000000000ll); /* before the clock's start: 0 */
    CU_ASSERT_TRUE(t.tv_sec == 0 && t.tv_nsec == 0);
    t = (struct timespec){10, 100};
    guest_clock_shift(&t, -1000000200ll);
    CU_ASSERT_TRUE(t.tv_sec == 8 && t.tv_nsec == 999999900);
    /* "for ever" stays for ever, either way */
    t = (struct timespec){INT64_MAX, 0};
    guest_clock_shift(&t, 86400ll * 1000000000);
    CU_ASSERT_EQUAL(t.tv_sec, INT64_MAX);
    t = (struct timespec){INT64_MAX, 0};
    guest_clock_shift(&t, -86400ll * 1000000000);
    CU_ASSERT_EQUAL(t.tv_sec, INT64_MAX - 86400);
}

void test_register(void) {
    CU_pSuite s = CU_add_suite("clock_sync", NULL, NULL);
    CU_add_test(s, "same kernel: the namespaces' offsets", test_same_kernel);
    CU_add_test(s, "another host: the round trip's estimate", test_estimate);
    CU_add_test(s, "the guest's clocks shifted", test_guest_clock);
}
