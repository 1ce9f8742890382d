/* cluster/cpu_usage_msg.h: a node's CPU usage through the CpuUsage
 * message and back, with an untrusted node's figures capped. */
#include <CUnit/CUnit.h>
#include <stdint.h>

#include "cluster/cpu_usage_msg.h"

static void test_round_trip(void) {
    struct cpu_usage u = {11, 22, 33, 44, 55, 66, 77, 88, 99, 111}, v;
    Shoal__CpuUsage m = SHOAL__CPU_USAGE__INIT;
    cpu_usage_to_msg(&u, &m);
    cpu_usage_from_msg(&m, &v);
    CU_ASSERT_TRUE(v.user_ns == 11 && v.sys_ns == 22 && v.sched_ns == 33 && v.maxrss_kb == 44 &&
                   v.minflt == 55 && v.majflt == 66 && v.inblock == 77 && v.oublock == 88 &&
                   v.nvcsw == 99 && v.nivcsw == 111);
    struct cpu_usage neg = {.user_ns = -5};
    cpu_usage_to_msg(&neg, &m);
    CU_ASSERT_EQUAL(m.user_ns, 0); /* never a huge unsigned */
}

static void test_caps(void) {
    Shoal__CpuUsage m = SHOAL__CPU_USAGE__INIT;
    m.user_ns = UINT64_MAX;
    m.sched_ns = (uint64_t)1 << 63;
    m.nvcsw = 7;
    struct cpu_usage v, sum = {0};
    cpu_usage_from_msg(&m, &v);
    CU_ASSERT_TRUE(v.user_ns > 0 && v.user_ns <= (int64_t)1 << 52);
    CU_ASSERT_TRUE(v.sched_ns > 0 && v.sched_ns <= (int64_t)1 << 52);
    CU_ASSERT_EQUAL(v.nvcsw, 7);
    /* a thousand such nodes still sum without overflow */
    for (int i = 0; i < 1000; i++)
        cpu_usage_merge(&sum, &v);
    CU_ASSERT_TRUE(sum.user_ns > 0 && sum.sched_ns > 0);
}

/* A thread's view rides in the same message, only when asked. */
static void test_view(void) {
    Shoal__CpuUsage m = SHOAL__CPU_USAGE__INIT;
    struct proc_thread_view v = {.known = true,
                                 .state = 'R',
                                 .sig_pending = 0x800,
                                 .sig_blocked = 0xa01,
                                 .cpu = 6},
                            w;
    CU_ASSERT_FALSE(thread_view_from_msg(&m, &w)); /* none in it */
    thread_view_to_msg(&v, &m);
    CU_ASSERT_TRUE(thread_view_from_msg(&m, &w));
    CU_ASSERT_TRUE(w.state == 'R' && w.sig_pending == 0x800 && w.sig_blocked == 0xa01 &&
                   w.cpu == 6);
    /* a state is a letter or nothing: no newline or NUL put into stat */
    const uint32_t bad[] = {'\n', ' ', 0, 127, 0x152, UINT32_MAX};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        m.state = bad[i];
        CU_ASSERT_TRUE(thread_view_from_msg(&m, &w));
        CU_ASSERT_EQUAL(w.state, 0);
    }
}

void test_register(void) {
    CU_pSuite s = CU_add_suite("cpu_usage_msg", NULL, NULL);
    CU_add_test(s, "a node's usage through the message and back", test_round_trip);
    CU_add_test(s, "an untrusted node's figures capped", test_caps);
    CU_add_test(s, "a thread's view, when asked", test_view);
}
