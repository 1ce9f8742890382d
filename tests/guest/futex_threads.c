/* Raw futex(2) between threads: every op glibc uses (WAIT, WAKE,
 * WAIT_BITSET/WAKE_BITSET, REQUEUE, CMP_REQUEUE, WAKE_OP), timeouts on
 * both clocks, the errors, signals interrupting a wait with and without
 * SA_RESTART, and private and shared ops on one word, which Linux keeps
 * apart, also at a thread's exit. In a cluster run the threads sit on different
 * nodes (round-robin), so waiters and wakers meet in the master's futex
 * table. Output is deterministic: counts that depend on timing are only
 * printed once they are forced. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long fx(_Atomic uint32_t *a, int op, uint32_t val, const void *ts_or_val2,
               _Atomic uint32_t *a2, uint32_t val3) {
    long r = syscall(SYS_futex, a, op, val, ts_or_val2, a2, val3);
    return r < 0 ? -errno : r;
}

static void pause_ms(int ms) {
    struct timespec ts = {0, ms * 1000000L};
    nanosleep(&ts, NULL);
}

static const char *err(long r) {
    switch (r) {
    case -EAGAIN: return "EAGAIN";
    case -ETIMEDOUT: return "ETIMEDOUT";
    case -EINVAL: return "EINVAL";
    case -EINTR: return "EINTR";
    case -ENOSYS: return "ENOSYS";
    case 0: return "0";
    default: return "other";
    }
}

/* ---- errors and timeouts (run on main and on a thread) ---- */

static void *timeouts(void *arg) {
    const char *who = arg;
    _Atomic uint32_t w = 0;
    struct timespec rel = {0, 20 * 1000000L};
    printf("%s: wait on changed value: %s\n", who,
           err(fx(&w, FUTEX_WAIT_PRIVATE, 1, NULL, NULL, 0)));
    printf("%s: relative 20ms: %s\n", who, err(fx(&w, FUTEX_WAIT_PRIVATE, 0, &rel, NULL, 0)));
    struct timespec abs;
    clock_gettime(CLOCK_REALTIME, &abs);
    abs.tv_nsec += 20 * 1000000L;
    if (abs.tv_nsec >= 1000000000L) {
        abs.tv_sec++;
        abs.tv_nsec -= 1000000000L;
    }
    printf("%s: realtime absolute: %s\n", who,
           err(fx(&w, FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME, 0, &abs, NULL,
                  FUTEX_BITSET_MATCH_ANY)));
    clock_gettime(CLOCK_MONOTONIC, &abs);
    abs.tv_sec -= 1;
    printf("%s: monotonic in the past: %s\n", who,
           err(fx(&w, FUTEX_WAIT_BITSET_PRIVATE, 0, &abs, NULL, FUTEX_BITSET_MATCH_ANY)));
    struct timespec bad = {0, 2000000000L};
    printf("%s: bad timespec: %s\n", who, err(fx(&w, FUTEX_WAIT_PRIVATE, 0, &bad, NULL, 0)));
    printf("%s: bitset 0: %s\n", who, err(fx(&w, FUTEX_WAIT_BITSET_PRIVATE, 0, NULL, NULL, 0)));
    printf("%s: realtime on wake: %s\n", who,
           err(fx(&w, FUTEX_WAKE_PRIVATE | FUTEX_CLOCK_REALTIME, 1, NULL, NULL, 0)));
    printf("%s: wake nobody: %s\n", who, err(fx(&w, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0)));
    char buf[8] __attribute__((aligned(4)));
    printf("%s: misaligned: %s\n", who,
           err(fx((_Atomic uint32_t *)(buf + 1), FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0)));
    return NULL;
}

/* ---- plain wake of several waiters ---- */

/* Waiters sleep while the word is 0: the waker changes it before waking,
 * so a waiter that comes late sees the change and never sleeps. */
static _Atomic uint32_t word_a, word_b;
static atomic_int ready, woken_by_bitset2;

static void *wait_while_zero(void *arg) {
    (void)arg;
    atomic_fetch_add(&ready, 1);
    while (atomic_load(&word_a) == 0)
        fx(&word_a, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
    return NULL;
}

static void wait_ready(int n) {
    while (atomic_load(&ready) < n)
        pause_ms(1);
    pause_ms(30); /* most likely asleep now; the checks do not rely on it */
}

static void wake_many(void) {
    pthread_t th[4];
    atomic_store(&ready, 0);
    atomic_store(&word_a, 0);
    for (int i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, wait_while_zero, NULL);
    wait_ready(4);
    atomic_store(&word_a, 1);
    fx(&word_a, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    printf("wake: 4 waiters joined\n");
}

/* ---- bitsets ---- */

static _Atomic uint32_t bit_word;
static atomic_int bit_go[2], bit_done[2];

static void *bit_waiter(void *arg) {
    int i = (int)(intptr_t)arg;
    atomic_fetch_add(&ready, 1);
    while (!atomic_load(&bit_go[i])) {
        long r = fx(&bit_word, FUTEX_WAIT_BITSET_PRIVATE, 0, NULL, NULL, 1u << i);
        if (r == 0 && !atomic_load(&bit_go[i]) && i == 1) atomic_fetch_add(&woken_by_bitset2, 1);
    }
    atomic_store(&bit_done[i], 1);
    return NULL;
}

/* The word does not change here (the bitset is the point), so the waker
 * repeats until the waiter says it is done. */
static void bit_release(int i) {
    atomic_store(&bit_go[i], 1);
    while (!atomic_load(&bit_done[i])) {
        fx(&bit_word, FUTEX_WAKE_BITSET_PRIVATE, INT_MAX, NULL, NULL, 1u << i);
        pause_ms(1);
    }
}

static void bitsets(void) {
    pthread_t th[2];
    atomic_store(&ready, 0);
    for (int i = 0; i < 2; i++)
        pthread_create(&th[i], NULL, bit_waiter, (void *)(intptr_t)i);
    wait_ready(2);
    bit_release(0);
    pthread_join(th[0], NULL);
    printf("bitset: waiter 2 woken by bitset 1: %d times\n", atomic_load(&woken_by_bitset2));
    bit_release(1);
    pthread_join(th[1], NULL);
    printf("bitset: waiter 2 joined\n");
}

/* ---- requeue ---- */

static void requeue(void) {
    pthread_t th[3];
    atomic_store(&ready, 0);
    atomic_store(&word_a, 0);
    for (int i = 0; i < 3; i++)
        pthread_create(&th[i], NULL, wait_while_zero, NULL);
    wait_ready(3);
    printf("cmp_requeue, value differs: %s\n",
           err(fx(&word_a, FUTEX_CMP_REQUEUE_PRIVATE, 0, (void *)(uintptr_t)INT_MAX, &word_b, 1)));
    printf("cmp_requeue, negative count: %s\n",
           err(fx(&word_a, FUTEX_CMP_REQUEUE_PRIVATE, 0, (void *)(uintptr_t)-1, &word_b, 0)));
    /* move all three to word_b, one call or several (a waiter may not be
     * asleep yet) */
    long moved = 0;
    while (moved < 3) {
        long r = fx(&word_a, FUTEX_CMP_REQUEUE_PRIVATE, 0, (void *)(uintptr_t)INT_MAX, &word_b, 0);
        if (r > 0)
            moved += r;
        else
            pause_ms(1);
    }
    printf("requeue: moved %ld\n", moved);
    printf("requeue: wake on a: %ld\n", fx(&word_a, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0));
    atomic_store(&word_a, 1);
    /* all three sleep on b: plain REQUEUE back to a wakes one, moves two */
    long r = fx(&word_b, FUTEX_REQUEUE_PRIVATE, 1, (void *)(uintptr_t)INT_MAX, &word_a, 0);
    printf("requeue: b woke 1 and moved the rest: %ld\n", r);
    printf("requeue: wake on a: %ld\n", fx(&word_a, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0));
    for (int i = 0; i < 3; i++)
        pthread_join(th[i], NULL);
    printf("requeue: 3 waiters joined\n");
}

/* ---- private and shared ops on one word ----
 * Linux keys a private futex apart from a shared one at the same
 * address: a wake or requeue of one kind never finds a waiter of the
 * other, whenever it comes. */

static _Atomic uint32_t kind_word, kind_other;
static atomic_int kind_go, kind_done, kind_early;

static void *kind_waiter(void *arg) {
    int wait_op = (int)(intptr_t)arg;
    atomic_fetch_add(&ready, 1);
    while (!atomic_load(&kind_go)) {
        long r = fx(&kind_word, wait_op, 0, NULL, NULL, 0);
        if (r == 0 && !atomic_load(&kind_go)) atomic_fetch_add(&kind_early, 1);
    }
    atomic_store(&kind_done, 1);
    return NULL;
}

static void kinds(const char *name, int wait_op, int wake_other, int requeue_other, int wake_same) {
    pthread_t th;
    atomic_store(&ready, 0);
    atomic_store(&kind_go, 0);
    atomic_store(&kind_done, 0);
    atomic_store(&kind_early, 0);
    pthread_create(&th, NULL, kind_waiter, (void *)(intptr_t)wait_op);
    wait_ready(1);
    long woke = 0, moved = 0;
    for (int i = 0; i < 10; i++) {
        woke += fx(&kind_word, wake_other, INT_MAX, NULL, NULL, 0);
        moved += fx(&kind_word, requeue_other, 0, (void *)(uintptr_t)INT_MAX, &kind_other, 0);
        pause_ms(1);
    }
    atomic_store(&kind_go, 1);
    while (!atomic_load(&kind_done)) {
        fx(&kind_word, wake_same, INT_MAX, NULL, NULL, 0);
        pause_ms(1);
    }
    pthread_join(th, NULL);
    printf("kinds: %s waiter: the other kind woke %ld, requeued %ld; woken early %d times\n", name,
           woke, moved, atomic_load(&kind_early));
}

/* ---- the kernel's wake at thread exit ---- */

/* A thread that set_tid_address()es a word has it cleared and woken at
 * exit, with a shared wake: Linux wakes a shared waiter, never a private
 * one. The exiting thread is detached, since glibc's join watches its
 * own tid word, which this thread no longer has cleared. */
static _Atomic uint32_t exit_word, exit_go;

static void *exit_clearer(void *arg) {
    (void)arg;
    atomic_store(&exit_word, (uint32_t)syscall(SYS_gettid));
    syscall(SYS_set_tid_address, &exit_word);
    atomic_fetch_add(&ready, 1);
    while (!atomic_load(&exit_go))
        pause_ms(1);
    pause_ms(50);
    return NULL;
}

static void exit_wake(const char *name, int wait_op) {
    pthread_t th;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    atomic_store(&ready, 0);
    atomic_store(&exit_go, 0);
    pthread_create(&th, &attr, exit_clearer, NULL);
    pthread_attr_destroy(&attr);
    wait_ready(1);
    uint32_t tid = atomic_load(&exit_word);
    atomic_store(&exit_go, 1);
    int woken = 0;
    while (atomic_load(&exit_word) != 0) {
        struct timespec rel = {0, 300 * 1000000L};
        if (fx(&exit_word, wait_op, tid, &rel, NULL, 0) == 0 && atomic_load(&exit_word) == 0)
            woken = 1;
    }
    printf("exit wake: %s waiter %s\n", name, woken ? "woken" : "not woken");
}

/* ---- wake_op ---- */

static _Atomic uint32_t op_a, op_b;

static void *op_waiter_a(void *arg) {
    (void)arg;
    atomic_fetch_add(&ready, 1);
    while (atomic_load(&op_a) == 0)
        fx(&op_a, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
    return NULL;
}

static void *op_waiter_b(void *arg) {
    (void)arg;
    atomic_fetch_add(&ready, 1);
    while (atomic_load(&op_b) == 0)
        fx(&op_b, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
    return NULL;
}

static void wake_op(void) {
    static const struct {
        const char *name;
        uint32_t op;
    } ops[] = {
        {"set 5 eq 0", FUTEX_OP(FUTEX_OP_SET, 5, FUTEX_OP_CMP_EQ, 0)},
        {"add 3 ne 5", FUTEX_OP(FUTEX_OP_ADD, 3, FUTEX_OP_CMP_NE, 5)},
        {"or 16 lt 8", FUTEX_OP(FUTEX_OP_OR, 16, FUTEX_OP_CMP_LT, 8)},
        {"andn 1 ge 24", FUTEX_OP(FUTEX_OP_ANDN, 1, FUTEX_OP_CMP_GE, 24)},
        {"xor shift 2 gt 0",
         FUTEX_OP((FUTEX_OP_XOR | FUTEX_OP_OPARG_SHIFT), 2, FUTEX_OP_CMP_GT, 0)},
        {"set -1 le -1", FUTEX_OP(FUTEX_OP_SET, 0xfff, FUTEX_OP_CMP_LE, 0xfff)},
        {"bad op", (7u << 28)},
        {"bad cmp", FUTEX_OP(FUTEX_OP_SET, 9, 9, 0)},
    };
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        long r = fx(&op_a, FUTEX_WAKE_OP_PRIVATE, 1, (void *)1, &op_b, ops[i].op);
        printf("wake_op %s: %s, b = %d\n", ops[i].name, r >= 0 ? "ok" : err(r),
               (int)atomic_load(&op_b));
    }
    /* with waiters: a true comparison wakes on both words */
    atomic_store(&op_b, 0);
    atomic_store(&ready, 0);
    pthread_t ta, tb;
    pthread_create(&ta, NULL, op_waiter_a, NULL);
    pthread_create(&tb, NULL, op_waiter_b, NULL);
    wait_ready(2);
    atomic_store(&op_a, 1);
    long r = fx(&op_a, FUTEX_WAKE_OP_PRIVATE, 1, (void *)1, &op_b,
                FUTEX_OP(FUTEX_OP_ADD, 1, FUTEX_OP_CMP_EQ, 0));
    printf("wake_op with waiters: %s\n", r >= 0 ? "ok" : err(r));
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    printf("wake_op: both waiters joined, b = %d\n", (int)atomic_load(&op_b));
}

/* ---- signals ---- */

static atomic_int handled;
static _Atomic uint32_t sig_word;
static atomic_int sig_result_set;
static long sig_result;

static void on_usr1(int sig) {
    (void)sig;
    atomic_fetch_add(&handled, 1);
}

static void *sig_waiter_untimed(void *arg) {
    (void)arg;
    int eintr = 0;
    atomic_fetch_add(&ready, 1);
    while (!atomic_load(&sig_word))
        if (fx(&sig_word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0) == -EINTR) eintr++;
    sig_result = eintr;
    atomic_store(&sig_result_set, 1);
    return NULL;
}

static void *sig_waiter_timed(void *arg) {
    (void)arg;
    struct timespec ten = {10, 0};
    atomic_fetch_add(&ready, 1);
    long r;
    do
        r = fx(&sig_word, FUTEX_WAIT_PRIVATE, 0, &ten, NULL, 0);
    while (r == 0 || r == -EAGAIN);
    sig_result = r;
    atomic_store(&sig_result_set, 1);
    return NULL;
}

static void set_handler(int flags) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sa.sa_flags = flags;
    sigaction(SIGUSR1, &sa, NULL);
}

/* Three signals to a waiter (each handled before the next), then the
 * word changes and the waiter is woken until it reports. */
static void signal_then_release(pthread_t th) {
    for (int k = 0; k < 3; k++) {
        int before = atomic_load(&handled);
        pthread_kill(th, SIGUSR1);
        while (atomic_load(&handled) == before)
            pause_ms(1);
        pause_ms(5);
    }
    atomic_store(&sig_word, 1);
    fx(&sig_word, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
}

static void signals(int round) {
    pthread_t th;
    /* SA_RESTART: an untimed wait restarts, never EINTR */
    set_handler(SA_RESTART);
    atomic_store(&sig_word, 0);
    atomic_store(&handled, 0);
    atomic_store(&sig_result_set, 0);
    atomic_store(&ready, 0);
    pthread_create(&th, NULL, sig_waiter_untimed, NULL);
    wait_ready(1);
    signal_then_release(th);
    pthread_join(th, NULL);
    printf("signals %d: SA_RESTART untimed: EINTR seen %ld times\n", round, sig_result);
    /* without SA_RESTART: EINTR */
    set_handler(0);
    atomic_store(&sig_word, 0);
    atomic_store(&handled, 0);
    atomic_store(&sig_result_set, 0);
    atomic_store(&ready, 0);
    pthread_create(&th, NULL, sig_waiter_timed, NULL);
    wait_ready(1);
    while (!atomic_load(&sig_result_set)) {
        pthread_kill(th, SIGUSR1);
        pause_ms(20);
    }
    pthread_join(th, NULL);
    printf("signals %d: no SA_RESTART, timed: %s\n", round, err(sig_result));
    /* SA_RESTART with a timeout: EINTR too (ERESTART_RESTARTBLOCK) */
    set_handler(SA_RESTART);
    atomic_store(&sig_result_set, 0);
    atomic_store(&ready, 0);
    atomic_store(&sig_word, 0);
    pthread_create(&th, NULL, sig_waiter_timed, NULL);
    wait_ready(1);
    while (!atomic_load(&sig_result_set)) {
        pthread_kill(th, SIGUSR1);
        pause_ms(20);
    }
    pthread_join(th, NULL);
    printf("signals %d: SA_RESTART, timed: %s\n", round, err(sig_result));
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    timeouts("main");
    pthread_t th;
    pthread_create(&th, NULL, timeouts, "thread");
    pthread_join(th, NULL);
    wake_many();
    bitsets();
    requeue();
    kinds("shared", FUTEX_WAIT, FUTEX_WAKE_PRIVATE, FUTEX_CMP_REQUEUE_PRIVATE, FUTEX_WAKE);
    kinds("private", FUTEX_WAIT_PRIVATE, FUTEX_WAKE, FUTEX_CMP_REQUEUE, FUTEX_WAKE_PRIVATE);
    exit_wake("private", FUTEX_WAIT_PRIVATE);
    wake_op();
    signals(1);
    signals(2);
    return 0;
}
