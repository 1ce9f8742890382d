/* The guest process's CPU time across nodes (syscall/cpu_time.h): the
 * clock ids it answers, the sums, and a node's part over live and ended
 * tasks, each counted once. */
#define _GNU_SOURCE
#include <CUnit/CUnit.h>
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "syscall/cpu_time.h"
#include "syscall/syscall.h"

#define MS 1000000LL

static clockid_t process_clock(int pid, int which) {
    return (clockid_t)((~(unsigned)pid << 3) | (unsigned)which);
}

static clockid_t thread_clock(int tid, int which) {
    return process_clock(tid, which) | 4;
}

static void test_clock_ids(void) {
    struct cpu_usage u = {.user_ns = 3, .sys_ns = 4, .sched_ns = 8};
    int64_t ns = -1;
    int self = getpid();
    CU_ASSERT_TRUE(cpu_clock_of_process(CLOCK_PROCESS_CPUTIME_ID, self, &u, &ns));
    CU_ASSERT_EQUAL(ns, 8);
    CU_ASSERT_TRUE(cpu_clock_of_process(process_clock(0, 0), self, &u, &ns)); /* PROF */
    CU_ASSERT_EQUAL(ns, 7);
    CU_ASSERT_TRUE(cpu_clock_of_process(process_clock(self, 1), self, &u, &ns)); /* VIRT */
    CU_ASSERT_EQUAL(ns, 3);
    CU_ASSERT_TRUE(cpu_clock_of_process(process_clock(self, 2), self, &u, &ns)); /* SCHED */
    CU_ASSERT_EQUAL(ns, 8);
    CU_ASSERT_TRUE(cpu_clock_of_process(process_clock(0, 2), self, NULL, NULL));
    /* another process, a thread's clock, an invalid "which", other clocks */
    CU_ASSERT_FALSE(cpu_clock_of_process(process_clock(self + 1, 2), self, &u, &ns));
    CU_ASSERT_FALSE(cpu_clock_of_process(thread_clock(0, 2), self, &u, &ns));
    CU_ASSERT_FALSE(cpu_clock_of_process(process_clock(0, 3), self, &u, &ns));
    CU_ASSERT_FALSE(cpu_clock_of_process(CLOCK_THREAD_CPUTIME_ID, self, &u, &ns));
    CU_ASSERT_FALSE(cpu_clock_of_process(CLOCK_MONOTONIC, self, &u, &ns));
    /* what a slave delegates: any process's CPU clock, no thread's */
    CU_ASSERT_TRUE(cpu_clock_per_process(CLOCK_PROCESS_CPUTIME_ID));
    CU_ASSERT_TRUE(cpu_clock_per_process(process_clock(12345, 0)));
    CU_ASSERT_TRUE(cpu_clock_per_process(process_clock(0, 2)));
    CU_ASSERT_FALSE(cpu_clock_per_process(thread_clock(12345, 2)));
    CU_ASSERT_FALSE(cpu_clock_per_process(CLOCK_THREAD_CPUTIME_ID));
    CU_ASSERT_FALSE(cpu_clock_per_process(CLOCK_REALTIME));
    /* decoded: whose, per thread or not, which reading */
    struct cpu_clock c;
    CU_ASSERT_TRUE(cpu_clock_decode(thread_clock(4321, 1), &c));
    CU_ASSERT_TRUE(c.id == 4321 && c.thread && c.which == CPU_CLOCK_VIRT);
    CU_ASSERT_TRUE(cpu_clock_decode(process_clock(77, 0), &c));
    CU_ASSERT_TRUE(c.id == 77 && !c.thread && c.which == CPU_CLOCK_PROF);
    CU_ASSERT_TRUE(cpu_clock_decode(CLOCK_THREAD_CPUTIME_ID, &c));
    CU_ASSERT_TRUE(c.id == 0 && c.thread && c.which == CPU_CLOCK_SCHED);
    CU_ASSERT_FALSE(cpu_clock_decode(thread_clock(5, 3), &c));
    CU_ASSERT_FALSE(cpu_clock_decode(CLOCK_MONOTONIC, &c));
    CU_ASSERT_EQUAL(cpu_usage_reading(&u, CPU_CLOCK_PROF), 7);
    CU_ASSERT_EQUAL(cpu_usage_reading(&u, CPU_CLOCK_VIRT), 3);
    CU_ASSERT_EQUAL(cpu_usage_reading(&u, CPU_CLOCK_SCHED), 8);
    /* the delegated calls that read the program's CPU time */
    bool split = false;
    uint64_t a[6] = {CLOCK_PROCESS_CPUTIME_ID};
    CU_ASSERT_TRUE(cpu_time_call(113, a, &split) && !split); /* clock(): the total */
    a[0] = (uint64_t)(int64_t)process_clock(0, 1);
    CU_ASSERT_TRUE(cpu_time_call(113, a, &split) && split); /* user time */
    a[0] = (uint64_t)(int64_t)thread_clock(99, 2);
    CU_ASSERT_FALSE(cpu_time_call(113, a, &split));
    a[0] = CLOCK_MONOTONIC;
    CU_ASSERT_FALSE(cpu_time_call(113, a, &split));
    a[0] = RUSAGE_SELF;
    CU_ASSERT_TRUE(cpu_time_call(165, a, &split) && split);
    a[0] = RUSAGE_THREAD;
    CU_ASSERT_FALSE(cpu_time_call(165, a, &split));
    CU_ASSERT_TRUE(cpu_time_call(153, a, &split));
    CU_ASSERT_FALSE(cpu_time_call(64, a, &split)); /* write */
    struct timespec res = {-1, -1};
    cpu_clock_resolution(CPU_CLOCK_SCHED, &res);
    CU_ASSERT_TRUE(res.tv_sec == 0 && res.tv_nsec > 0);
}

static void test_merge(void) {
    struct cpu_usage a = {1, 2, 3, 100, 5, 6, 7, 8, 9, 10};
    struct cpu_usage b = {10, 20, 30, 50, 1, 1, 1, 1, 1, 1};
    cpu_usage_merge(&a, &b);
    CU_ASSERT_TRUE(a.user_ns == 11 && a.sys_ns == 22 && a.sched_ns == 33);
    CU_ASSERT_EQUAL(a.maxrss_kb, 100); /* the largest, not a sum */
    CU_ASSERT_TRUE(a.minflt == 6 && a.majflt == 7 && a.inblock == 8 && a.oublock == 9 &&
                   a.nvcsw == 10 && a.nivcsw == 11);
    struct rusage r;
    struct cpu_usage c = {.user_ns = 1500000123, .sys_ns = 2000999, .maxrss_kb = 42, .nvcsw = 3};
    cpu_usage_to_rusage(&c, &r);
    CU_ASSERT_TRUE(r.ru_utime.tv_sec == 1 && r.ru_utime.tv_usec == 500000);
    CU_ASSERT_TRUE(r.ru_stime.tv_sec == 0 && r.ru_stime.tv_usec == 2000);
    CU_ASSERT_TRUE(r.ru_maxrss == 42 && r.ru_nvcsw == 3);
}

static int64_t own_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void spin(int64_t ns) {
    int64_t t0 = own_ns();
    while (own_ns() - t0 < ns)
        continue;
}

/* a helper thread: spins 50 ms of CPU, says so, waits to be let go */
static sem_t spun, go;
static atomic_int helper_tid;

static void *helper(void *arg) {
    (void)arg;
    atomic_store(&helper_tid, (int)gettid());
    spin(50 * MS);
    sem_post(&spun);
    while (sem_wait(&go) != 0)
        continue;
    return NULL;
}

static void test_threads(void) {
    sem_init(&spun, 0, 0);
    sem_init(&go, 0, 0);
    pthread_t th;
    CU_ASSERT_FATAL(pthread_create(&th, NULL, helper, NULL) == 0);
    while (sem_wait(&spun) != 0)
        continue;
    int tid = atomic_load(&helper_tid);
    struct cpu_usage u = {0};
    cpu_usage_add_thread(&u, tid, true);
    CU_ASSERT_TRUE(u.sched_ns >= 50 * MS && u.sched_ns < 5000 * MS);
    CU_ASSERT_EQUAL(u.user_ns + u.sys_ns, u.sched_ns); /* a split of the total */
    CU_ASSERT_TRUE(u.user_ns >= 0 && u.sys_ns >= 0);
    struct cpu_usage total = {0};
    cpu_usage_add_thread(&total, tid, false); /* the total alone */
    CU_ASSERT_TRUE(total.sched_ns >= u.sched_ns && total.user_ns == 0 && total.sys_ns == 0);
    struct cpu_usage none = {0};
    cpu_usage_add_thread(&none, 0, true);
    cpu_usage_add_thread(&none, getppid(), true); /* not a thread of this process */
    CU_ASSERT_EQUAL(none.sched_ns, 0);

    /* a node's part: the helper as a live task, then as an ended one */
    static struct process proc;
    static const struct process_cluster_ops node_ops; /* a cluster node's process */
    proc.cluster = &node_ops;
    stats_init(&proc.stats, NULL);
    struct task t;
    memset(&t, 0, sizeof t);
    t.proc = &proc;
    t.host_tid = tid;
    t.tid = 1000000 + tid; /* a guest tid is not the host's */
    stats_task_start(&proc.stats, &t);
    struct cpu_usage one = {0};
    CU_ASSERT_EQUAL(cpu_usage_local_thread(&proc, t.tid, &one), 0);
    CU_ASSERT_TRUE(one.sched_ns >= 50 * MS);
    CU_ASSERT_EQUAL(cpu_usage_local_thread(&proc, tid, &one), -ESRCH); /* by guest tid only */
    t.proxy = true; /* a remote thread's proxy is not that thread */
    CU_ASSERT_EQUAL(cpu_usage_local_thread(&proc, t.tid, &one), -ESRCH);
    t.proxy = false;
    t.host_tid = 0; /* made, not run yet: found, with no time */
    struct cpu_usage none2 = {0};
    CU_ASSERT_EQUAL(cpu_usage_local_thread(&proc, t.tid, &none2), 0);
    CU_ASSERT_EQUAL(none2.sched_ns, 0);
    t.host_tid = tid;
    struct cpu_usage live;
    cpu_usage_node(&proc, &live, true);
    CU_ASSERT_TRUE(live.sched_ns >= 50 * MS);
    CU_ASSERT_TRUE(live.maxrss_kb > 0); /* the host process's counters */
    stats_task_end(&proc.stats, &t);    /* its thread still runs: its time is read */
    struct cpu_usage ended;
    cpu_usage_node(&proc, &ended, true);
    CU_ASSERT_TRUE(ended.sched_ns >= live.sched_ns);
    CU_ASSERT_TRUE(ended.sched_ns < live.sched_ns + 40 * MS); /* once, not twice */
    sem_post(&go);
    pthread_join(th, NULL);
    struct cpu_usage after;
    cpu_usage_node(&proc, &after, false); /* the thread is gone: its ended share stays */
    CU_ASSERT_EQUAL(after.sched_ns, ended.sched_ns);
}

void test_register(void) {
    CU_pSuite s = CU_add_suite("cpu_time", NULL, NULL);
    CU_add_test(s, "the clock ids of the process's CPU time", test_clock_ids);
    CU_add_test(s, "sums and the guest's rusage", test_merge);
    CU_add_test(s, "threads, and a node's live and ended tasks", test_threads);
}
