/* syscall/timer_relay.c: POSIX timers a cluster master relays to a
 * thread of another node. A stand-in process_cluster_ops.signal_remote
 * records what would be sent; expirations are awaited with a condition
 * variable (no wall-clock limit). */
#define _GNU_SOURCE
#include <CUnit/CUnit.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "syscall/timer_relay.h"

#define TID 4242

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int sent;
static struct aarch64_siginfo last;
static int last_tid, last_sig;

static int fake_signal_remote(struct process *p, int tid, int sig,
                              const struct aarch64_siginfo *info) {
    (void)p;
    pthread_mutex_lock(&lock);
    if (sig) {
        sent++;
        last = *info;
        last_tid = tid;
        last_sig = sig;
        pthread_cond_broadcast(&cond);
    }
    pthread_mutex_unlock(&lock);
    return 0;
}

static const struct process_cluster_ops ops = {.signal_remote = fake_signal_remote};

static void wait_sent(int n) {
    pthread_mutex_lock(&lock);
    while (sent < n)
        pthread_cond_wait(&cond, &lock);
    pthread_mutex_unlock(&lock);
}

static void test_relay(void) {
    static struct process p; /* the relay thread keeps a pointer */
    p.cluster = &ops;
    int id = -1;
    CU_ASSERT_EQUAL(timer_relay_create(&p, CLOCK_MONOTONIC, TID, 40, 0x1234, &id), 0);
    CU_ASSERT_TRUE(id >= 0);
    CU_ASSERT_TRUE(timer_relay_has(&p, id));
    CU_ASSERT_FALSE(timer_relay_has(&p, id + 1000));

    /* one shot */
    struct itimerspec once = {{0, 0}, {0, 1000000}}, old;
    CU_ASSERT_EQUAL(timer_relay_settime(&p, id, 0, &once, &old), 0);
    CU_ASSERT_EQUAL(old.it_value.tv_sec + old.it_value.tv_nsec, 0);
    wait_sent(1);
    pthread_mutex_lock(&lock);
    int32_t timer[2];
    uint64_t value;
    memcpy(timer, &last.u.raw[0], sizeof timer);
    memcpy(&value, &last.u.raw[8], sizeof value);
    CU_ASSERT_EQUAL(last_tid, TID);
    CU_ASSERT_EQUAL(last_sig, 40);
    CU_ASSERT_EQUAL(last.si_signo, 40);
    CU_ASSERT_EQUAL(last.si_code, -2); /* SI_TIMER */
    CU_ASSERT_EQUAL(timer[0], id);     /* si_timerid */
    CU_ASSERT_EQUAL(timer[1], 0);      /* si_overrun */
    CU_ASSERT_EQUAL(value, 0x1234);
    pthread_mutex_unlock(&lock);
    CU_ASSERT_EQUAL(timer_relay_getoverrun(&p, id), 0);

    /* periodic: settime reports the kernel timer's old value, expirations keep coming */
    struct itimerspec periodic = {{0, 500000}, {0, 500000}};
    CU_ASSERT_EQUAL(timer_relay_settime(&p, id, 0, &periodic, NULL), 0);
    wait_sent(4);
    /* what the thread took last, not what was relayed */
    CU_ASSERT_EQUAL(timer_relay_getoverrun(&p, id), 0);
    CU_ASSERT_TRUE(timer_relay_taken(&p, id, 17));
    CU_ASSERT_EQUAL(timer_relay_getoverrun(&p, id), 17);
    CU_ASSERT_FALSE(timer_relay_taken(&p, id + 1000, 3));
    CU_ASSERT_EQUAL(timer_relay_getoverrun(&p, id), 17);
    struct itimerspec off = {{0, 0}, {0, 0}};
    CU_ASSERT_EQUAL(timer_relay_settime(&p, id, 0, &off, &old), 0);
    CU_ASSERT_EQUAL(old.it_interval.tv_nsec, 500000);
    CU_ASSERT_EQUAL(timer_relay_getoverrun(&p, id), 0); /* settime clears it */

    /* errors: bad values (the kernel timer's check), bad ids, CPU clocks */
    struct itimerspec bad = {{0, 0}, {0, 1000000000}};
    CU_ASSERT_EQUAL(timer_relay_settime(&p, id, 0, &bad, NULL), -EINVAL);
    CU_ASSERT_EQUAL(timer_relay_delete(&p, id), 0);
    CU_ASSERT_FALSE(timer_relay_has(&p, id));
    CU_ASSERT_EQUAL(timer_relay_delete(&p, id), -EINVAL);
    CU_ASSERT_EQUAL(timer_relay_settime(&p, id, 0, &once, NULL), -EINVAL);
    CU_ASSERT_EQUAL(timer_relay_getoverrun(&p, id), -EINVAL);
    int id2;
    CU_ASSERT_EQUAL(timer_relay_create(&p, CLOCK_PROCESS_CPUTIME_ID, TID, 40, 0, &id2), -EINVAL);
    CU_ASSERT_EQUAL(timer_relay_create(&p, CLOCK_MONOTONIC, TID, 0, 0, &id2), -EINVAL);
    CU_ASSERT_EQUAL(timer_relay_create(&p, CLOCK_MONOTONIC, TID, 65, 0, &id2), -EINVAL);
}

void test_register(void) {
    CU_pSuite s = CU_add_suite("timer_relay", NULL, NULL);
    CU_add_test(s, "relayed timers: expirations, settime, overrun taken, delete, errors",
                test_relay);
}
