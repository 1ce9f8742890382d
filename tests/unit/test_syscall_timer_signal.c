/* One pending signal per timer (syscall/timer_signal.h): expiries that
 * find the timer's signal still queued for the thread fold into it, and
 * the thread that takes it finds them in si_overrun; a signal that left
 * some other way leaves no entry that would swallow the next expiry.
 * The signals are real: queued to this thread, blocked, taken with
 * sigtimedwait. */
#define _GNU_SOURCE
#include <CUnit/CUnit.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "syscall/guest_signal.h"
#include "syscall/task.h"
#include "syscall/timer_signal.h"

static struct process proc;
static struct task task;

static void setup(int sig) {
    memset(&proc, 0, sizeof proc);
    memset(&task, 0, sizeof task);
    pthread_mutex_init(&proc.timer_sig_lock, NULL);
    task.proc = &proc;
    task.host_tid = (int)gettid();
    task.tid = task.host_tid;
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, sig);
    pthread_sigmask(SIG_BLOCK, &one, NULL);
}

static struct aarch64_siginfo timer_info(int sig, int32_t id, int32_t overrun) {
    struct aarch64_siginfo i;
    memset(&i, 0, sizeof i);
    i.si_signo = sig;
    i.si_code = GUEST_SI_TIMER;
    int32_t f[2] = {id, overrun};
    memcpy(&i.u.raw[0], f, sizeof f);
    return i;
}

/* Queues i for this thread unless it folds: what a node does with a
 * relayed timer's signal. */
static void arrive(int sig, const struct aarch64_siginfo *i) {
    CU_ASSERT_EQUAL(signal_queue_task(&task, task.host_tid, sig, i), 0);
}

/* Takes one instance of sig from the host queue (0 if none), raw. */
static int take_raw(int sig, struct aarch64_siginfo *out) {
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, sig);
    siginfo_t hi;
    const struct timespec zero = {0, 0};
    if (sigtimedwait(&one, &hi, &zero) != sig) return 0;
    memcpy(out, &hi, sizeof *out);
    signal_unwrap_routed(out);
    return sig;
}

/* Takes one instance of sig (0 if none), as the thread would. */
static int take(int sig, struct aarch64_siginfo *out) {
    if (!take_raw(sig, out)) return 0;
    timer_signal_taken(&task, sig, out);
    return sig;
}

static int32_t overrun_of(const struct aarch64_siginfo *i) {
    int32_t v;
    memcpy(&v, &i->u.raw[4], sizeof v);
    return v;
}

static void test_fold(void) {
    int sig = SIGRTMIN + 3;
    setup(sig);
    struct aarch64_siginfo a = timer_info(sig, 41, 0), b = timer_info(sig, 41, 2), got;
    arrive(sig, &a);
    arrive(sig, &a); /* + 1 */
    arrive(sig, &b); /* + 1 + 2 */
    CU_ASSERT_EQUAL(take(sig, &got), sig);
    CU_ASSERT_EQUAL(got.si_code, GUEST_SI_TIMER);
    CU_ASSERT_EQUAL(overrun_of(&got), 4);
    CU_ASSERT_EQUAL(take(sig, &got), 0); /* one instance was queued */
    /* taken: the next expiry is a signal of its own */
    arrive(sig, &a);
    CU_ASSERT_EQUAL(take(sig, &got), sig);
    CU_ASSERT_EQUAL(overrun_of(&got), 0);
    CU_ASSERT_EQUAL(task.n_timer_waiting, 0);
    timer_signal_free(&task);
}

static void test_timers_apart(void) {
    int sig = SIGRTMIN + 4;
    setup(sig);
    struct aarch64_siginfo a = timer_info(sig, 1, 0), b = timer_info(sig, 2, 0), got;
    arrive(sig, &a);
    arrive(sig, &b);
    arrive(sig, &b);
    int32_t seen[3] = {0, 0, 0};
    for (int k = 0; k < 2; k++) {
        CU_ASSERT_EQUAL_FATAL(take(sig, &got), sig);
        int32_t id;
        memcpy(&id, &got.u.raw[0], sizeof id);
        CU_ASSERT_FATAL(id == 1 || id == 2);
        seen[id] = overrun_of(&got) + 1;
    }
    CU_ASSERT_EQUAL(seen[1], 1);
    CU_ASSERT_EQUAL(seen[2], 2);
    CU_ASSERT_EQUAL(take(sig, &got), 0);
    timer_signal_free(&task);
}

static void test_other_signals_queue(void) {
    int sig = SIGRTMIN + 5;
    setup(sig);
    struct aarch64_siginfo q;
    memset(&q, 0, sizeof q);
    q.si_signo = sig;
    q.si_code = GUEST_SI_QUEUE;
    arrive(sig, &q);
    arrive(sig, &q);
    struct aarch64_siginfo got;
    CU_ASSERT_EQUAL(take(sig, &got), sig);
    CU_ASSERT_EQUAL(take(sig, &got), sig);
    CU_ASSERT_EQUAL(take(sig, &got), 0);
    CU_ASSERT_EQUAL(task.n_timer_waiting, 0);
}

/* The queued instance went without timer_signal_taken (as a host
 * signalfd read or an ignored disposition would take it): the next
 * expiry finds nothing waiting and is queued. */
static void test_stale_entry(void) {
    int sig = SIGRTMIN + 6;
    setup(sig);
    struct aarch64_siginfo a = timer_info(sig, 9, 0), got;
    arrive(sig, &a);
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, sig);
    siginfo_t hi;
    const struct timespec zero = {0, 0};
    CU_ASSERT_EQUAL(sigtimedwait(&one, &hi, &zero), sig); /* behind its back */
    arrive(sig, &a);
    CU_ASSERT_EQUAL(take(sig, &got), sig);
    CU_ASSERT_EQUAL(overrun_of(&got), 0);
    timer_signal_free(&task);
}

static int reported, reported_id, reported_overrun;

static void record_taken(struct task *t, int id, int overrun) {
    CU_ASSERT_PTR_EQUAL(t, &task);
    reported++;
    reported_id = id;
    reported_overrun = overrun;
}

/* The overrun a thread took, folded expiries included, goes to the
 * cluster's hook (timer_getoverrun's answer); other signals do not. */
static void test_taken_reported(void) {
    static const struct process_cluster_ops ops = {.timer_taken = record_taken};
    int sig = SIGRTMIN + 7;
    setup(sig);
    proc.cluster = &ops;
    struct aarch64_siginfo a = timer_info(sig, 23, 1), got;
    arrive(sig, &a);
    arrive(sig, &a); /* + 1 + 1 */
    CU_ASSERT_EQUAL_FATAL(take(sig, &got), sig);
    reported = 0;
    timer_signal_report(&task, &got);
    CU_ASSERT_EQUAL(reported, 1);
    CU_ASSERT_EQUAL(reported_id, 23);
    CU_ASSERT_EQUAL(reported_overrun, 3);
    struct aarch64_siginfo q;
    memset(&q, 0, sizeof q);
    q.si_signo = sig;
    q.si_code = GUEST_SI_QUEUE;
    timer_signal_report(&task, &q);
    CU_ASSERT_EQUAL(reported, 1);
    timer_signal_free(&task);
}

/* A re-arm or delete notice: the waiting instance is dropped when taken
 * and nothing is queued for the notice itself; an expiry after it is
 * delivered with its own overrun and value, in the instance still
 * queued (one per timer), or queued when none waits. */
static void test_disarm(void) {
    int sig = SIGRTMIN + 8;
    setup(sig);
    struct aarch64_siginfo a = timer_info(sig, 51, 2), notice, got;
    timer_signal_disarm_info(&notice, sig, 51);
    arrive(sig, &a);
    arrive(sig, &notice);
    CU_ASSERT_EQUAL(take_raw(sig, &got), sig); /* the host had one instance */
    CU_ASSERT_FALSE(timer_signal_taken(&task, sig, &got));
    CU_ASSERT_EQUAL(take_raw(sig, &got), 0);
    CU_ASSERT_EQUAL(task.n_timer_waiting, 0);

    /* re-armed, fired again while the old one waits: it stands for the new */
    arrive(sig, &a);
    arrive(sig, &notice);
    struct aarch64_siginfo b = timer_info(sig, 51, 4);
    uint64_t v = 0x77;
    memcpy(&b.u.raw[8], &v, sizeof v);
    arrive(sig, &b);
    arrive(sig, &b); /* + 1 + 4 */
    CU_ASSERT_EQUAL(take_raw(sig, &got), sig);
    CU_ASSERT_TRUE(timer_signal_taken(&task, sig, &got));
    CU_ASSERT_EQUAL(overrun_of(&got), 9);
    uint64_t gv;
    memcpy(&gv, &got.u.raw[8], sizeof gv);
    CU_ASSERT_EQUAL(gv, 0x77);
    CU_ASSERT_EQUAL(take_raw(sig, &got), 0);

    /* a notice with nothing waiting: nothing queued, the next expiry is */
    arrive(sig, &notice);
    CU_ASSERT_EQUAL(take_raw(sig, &got), 0);
    arrive(sig, &a);
    CU_ASSERT_EQUAL(take(sig, &got), sig);
    CU_ASSERT_EQUAL(overrun_of(&got), 2);
    timer_signal_free(&task);
}

/* The probe agrees with what this kernel does to a waiting signal of a
 * timer of this thread's that is re-armed (measured here another way:
 * a relative 1 ms timer slept past). */
static void test_host_drops(void) {
    int sig = SIGRTMIN + 9;
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, sig);
    pthread_sigmask(SIG_BLOCK, &one, NULL);
    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_THREAD_ID;
    ev.sigev_signo = sig;
    ev._sigev_un._tid = (int)gettid();
    timer_t t;
    CU_ASSERT_EQUAL_FATAL(timer_create(CLOCK_MONOTONIC, &ev, &t), 0);
    const struct itimerspec soon = {{0, 0}, {0, 1000000}}, off = {{0, 0}, {0, 0}};
    timer_settime(t, 0, &soon, NULL);
    sigset_t pend;
    do {
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
        sigpending(&pend);
    } while (!sigismember(&pend, sig));
    timer_settime(t, 0, &off, NULL);
    const struct timespec zero = {0, 0};
    bool dropped = sigtimedwait(&one, NULL, &zero) != sig;
    timer_delete(t);
    CU_ASSERT_EQUAL(timer_signal_host_drops(), dropped);
}

void test_register(void) {
    CU_pSuite s = CU_add_suite("timer_signal", NULL, NULL);
    CU_add_test(s, "expiries fold into the waiting signal", test_fold);
    CU_add_test(s, "each timer its own signal", test_timers_apart);
    CU_add_test(s, "other signals queue", test_other_signals_queue);
    CU_add_test(s, "an entry whose signal left is stale", test_stale_entry);
    CU_add_test(s, "the overrun taken is reported", test_taken_reported);
    CU_add_test(s, "a re-arm or delete drops the waiting signal", test_disarm);
    CU_add_test(s, "the host's behaviour is probed right", test_host_drops);
}
