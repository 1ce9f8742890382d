/* The guest's CPUs on a cluster (syscall/cpu_map.h): numbering, masks,
 * and a thread pinned to its node's part of a mask. */
#define _GNU_SOURCE
#include <CUnit/CUnit.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>

#include "syscall/cpu_map.h"
#include "syscall/syscall.h"

static void test_numbering(void) {
    static struct process p;
    p.guest_cpus = 70; /* more than a long's bits: masks of two longs */
    p.cpu_base = 8;
    p.cpu_count = 4;
    CU_ASSERT_EQUAL(cpu_map_mask_bytes(&p), 16);
    CU_ASSERT_EQUAL(cpu_map_guest_cpu(&p, 0), 8);
    CU_ASSERT_EQUAL(cpu_map_guest_cpu(&p, 3), 11);
    CU_ASSERT_EQUAL(cpu_map_guest_cpu(&p, 5), 9); /* beyond the count: wrapped into the node */
    uint8_t m[16] = {0};
    CU_ASSERT_FALSE(cpu_map_any(&p, m, sizeof m));
    m[8] = 0x20; /* CPU 69: the last */
    CU_ASSERT_TRUE(cpu_map_any(&p, m, sizeof m));
    m[8] = 0x40; /* CPU 70: none of the machine's */
    CU_ASSERT_FALSE(cpu_map_any(&p, m, sizeof m));
    CU_ASSERT_FALSE(cpu_map_any(&p, m, 4)); /* a short mask names no more */
}

static void test_task_mask(void) {
    struct task t;
    memset(&t, 0, sizeof t);
    uint8_t m[8] = {0x5};
    CU_ASSERT_EQUAL(cpu_map_set_affinity(&t, m, sizeof m), 0);
    m[0] = 0; /* a copy, not the caller's */
    CU_ASSERT_TRUE(t.affinity && t.affinity_bytes == 8 && t.affinity[0] == 0x5);
    CU_ASSERT_EQUAL(cpu_map_set_affinity(&t, NULL, 0), 0); /* every CPU */
    CU_ASSERT_PTR_NULL(t.affinity);
    CU_ASSERT_EQUAL(t.affinity_bytes, 0);
}

static void test_pin(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1) n = 1;
    static struct process p;
    p.cpu_count = (unsigned)n;
    p.cpu_base = (unsigned)n; /* this node is the second of two */
    p.guest_cpus = 2 * (unsigned)n;
    cpu_set_t before, s;
    sched_getaffinity(0, sizeof before, &before);
    uint8_t m[16] = {0};
    unsigned last = 2 * (unsigned)n - 1; /* this node's last CPU: host CPU n-1 */
    m[last / 8] |= (uint8_t)(1u << (last % 8));
    CU_ASSERT_EQUAL(cpu_map_pin(&p, gettid(), m, sizeof m), 0);
    sched_getaffinity(0, sizeof s, &s);
    CU_ASSERT_EQUAL(CPU_COUNT(&s), 1);
    CU_ASSERT_TRUE(CPU_ISSET(n - 1, &s));
    memset(m, 0, sizeof m);
    m[0] = 1; /* only another node's CPU 0: the whole node */
    CU_ASSERT_EQUAL(cpu_map_pin(&p, gettid(), m, sizeof m), 0);
    sched_getaffinity(0, sizeof s, &s);
    CU_ASSERT_EQUAL(CPU_COUNT(&s), n);
    sched_setaffinity(0, sizeof before, &before);
}

void test_register(void) {
    CU_pSuite s = CU_add_suite("cpu_map", NULL, NULL);
    CU_add_test(s, "the guest's CPU numbers and masks", test_numbering);
    CU_add_test(s, "a task's mask", test_task_mask);
    CU_add_test(s, "a thread pinned to its node's part", test_pin);
}
