/* Futex words lent to a node ([futex] local, master/DESIGN.md "Futex
 * loans"): two workers that share a node in a cluster run (threads 1
 * and 5 of the run land on node 1 with round-robin at -n 2 and -n 4;
 * threads 2-4 only take their places) use private futex words alone, so
 * the master lends the words to their node; then the main thread (node
 * 0) uses the same words, which recalls them while the workers wait
 * there. Checked: a ping-pong decided on the node; waits that move to the
 * master on a recall are still waiting and are each woken once by a
 * wake from another node (no wake-up lost or invented: the wakes' counts
 * add up to the waiters exactly); a timed wait that moves keeps its
 * timeout; bitsets on the node; signals interrupting a wait on the node
 * and one that moved. Output is deterministic: only what is forced. */
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

#define ROUNDS 3000

static long fx(_Atomic uint32_t *a, int op, uint32_t val, const struct timespec *ts,
               uint32_t bits) {
    long r = syscall(SYS_futex, a, op | FUTEX_PRIVATE_FLAG, val, ts, NULL, bits);
    return r < 0 ? -errno : r;
}

static long fwait(_Atomic uint32_t *a, uint32_t val, const struct timespec *ts) {
    return fx(a, FUTEX_WAIT, val, ts, 0);
}

static long fwake(_Atomic uint32_t *a, int n) {
    return fx(a, FUTEX_WAKE, (uint32_t)n, NULL, 0);
}

static void pause_ms(int ms) {
    struct timespec ts = {0, ms * 1000000L};
    nanosleep(&ts, NULL);
}

static const char *err(long r) {
    switch (r) {
    case 0: return "0";
    case -EAGAIN: return "EAGAIN";
    case -ETIMEDOUT: return "ETIMEDOUT";
    case -EINTR: return "EINTR";
    default: return "other";
    }
}

/* Each word on a page of its own; the workers make each theirs first
 * (ops with nobody waiting), so a cluster lends it to their node. */
struct word {
    _Atomic uint32_t v;
    char pad[4096 - sizeof(uint32_t)];
};
static struct word pp, moved, timed, bits, sig_local, sig_moved;

static pthread_barrier_t bar;
static _Atomic int arrived, got1, got2, ack1, ack2;
static long moved_ret[2], timed_ret, bits_ret, bits_none;

static void make_ours(_Atomic uint32_t *w) {
    for (int i = 0; i < 8; i++)
        fwake(w, 1);
}

static void on_usr1(int sig) {
    (void)sig;
    got1 = 1;
}

static void on_usr2(int sig) {
    (void)sig;
    got2 = 1;
}

/* Waits until `n` threads said they are about to wait. */
static void until_arrived(int n) {
    while (atomic_load(&arrived) < n)
        pause_ms(1);
    pause_ms(20); /* most likely waiting by now; nothing printed depends on it */
}

static void *worker(void *arg) {
    int me = (int)(long)arg;
    /* 1: ping-pong on one word between the two workers */
    make_ours(&pp.v);
    pthread_barrier_wait(&bar);
    for (int i = 0; i < ROUNDS; i++) {
        uint32_t v;
        while ((v = atomic_load(&pp.v)) % 2 != (uint32_t)me)
            fwait(&pp.v, v, NULL);
        atomic_store(&pp.v, v + 1);
        fwake(&pp.v, 1);
    }
    pthread_barrier_wait(&bar);
    /* 2: both wait on a word of theirs; main (another node) wakes them */
    make_ours(&moved.v);
    pthread_barrier_wait(&bar);
    atomic_fetch_add(&arrived, 1);
    moved_ret[me] = fwait(&moved.v, 0, NULL);
    pthread_barrier_wait(&bar);
    if (me == 1) {
        pthread_barrier_wait(&bar);
        pthread_barrier_wait(&bar);
        /* 4: wakes the other worker's bitset wait, on their node */
        make_ours(&bits.v);
        pthread_barrier_wait(&bar);
        until_arrived(1);
        bits_none = fx(&bits.v, FUTEX_WAKE_BITSET, INT_MAX, NULL, 2); /* not its bit */
        long woken = 0;
        while (woken < 1) {
            woken += fx(&bits.v, FUTEX_WAKE_BITSET, 1, NULL, 1);
            if (woken < 1) pause_ms(1);
        }
        pthread_barrier_wait(&bar);
        pthread_barrier_wait(&bar);
        pthread_barrier_wait(&bar);
        pthread_barrier_wait(&bar);
        return NULL;
    }
    /* 3: a timed wait that moves to the master half way */
    make_ours(&timed.v);
    pthread_barrier_wait(&bar);
    atomic_fetch_add(&arrived, 1);
    struct timespec ts = {0, 300 * 1000000L};
    timed_ret = fwait(&timed.v, 0, &ts);
    pthread_barrier_wait(&bar);
    /* 4: a bitset wait */
    make_ours(&bits.v);
    pthread_barrier_wait(&bar);
    atomic_fetch_add(&arrived, 1);
    bits_ret = fx(&bits.v, FUTEX_WAIT_BITSET, 0, NULL, 1);
    pthread_barrier_wait(&bar);
    /* 5: a signal interrupts a wait on the node, then one that moved */
    make_ours(&sig_local.v);
    make_ours(&sig_moved.v);
    pthread_barrier_wait(&bar);
    atomic_fetch_add(&arrived, 1);
    while (!atomic_load(&got1))
        fwait(&sig_local.v, 0, NULL);
    atomic_store(&ack1, 1);
    pthread_barrier_wait(&bar);
    atomic_fetch_add(&arrived, 1);
    while (!atomic_load(&got2))
        fwait(&sig_moved.v, 0, NULL);
    atomic_store(&ack2, 1);
    pthread_barrier_wait(&bar);
    return NULL;
}

static void *place_only(void *arg) {
    return arg;
}

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1; /* no SA_RESTART: a wait returns EINTR */
    sigaction(SIGUSR1, &sa, NULL);
    sa.sa_handler = on_usr2;
    sigaction(SIGUSR2, &sa, NULL);
    pthread_barrier_init(&bar, NULL, 3);
    pthread_t a, b, filler[3];
    pthread_create(&a, NULL, worker, (void *)0L);
    for (int i = 0; i < 3; i++)
        pthread_create(&filler[i], NULL, place_only, NULL);
    for (int i = 0; i < 3; i++)
        pthread_join(filler[i], NULL);
    pthread_create(&b, NULL, worker, (void *)1L);

    pthread_barrier_wait(&bar); /* 1 */
    pthread_barrier_wait(&bar);
    printf("ping-pong: %u increments\n", atomic_load(&pp.v));

    pthread_barrier_wait(&bar); /* 2 */
    until_arrived(2);
    long woken = 0, over_one = 0;
    while (woken < 2) {
        long r = fwake(&moved.v, 1);
        if (r > 1) over_one++;
        if (r > 0) woken += r;
        if (woken < 2) pause_ms(1);
    }
    pthread_barrier_wait(&bar);
    printf("moved waits: woken %ld, wakes of one that woke more: %ld, waits returned %s %s\n",
           woken, over_one, err(moved_ret[0]), err(moved_ret[1]));

    atomic_store(&arrived, 0);
    pthread_barrier_wait(&bar); /* 3 */
    until_arrived(1);
    long other = fwait(&timed.v, 1, NULL); /* another node's op: the word goes home */
    pthread_barrier_wait(&bar);
    printf("timed wait: %s (main's wait for another value: %s)\n", err(timed_ret), err(other));

    atomic_store(&arrived, 0);
    pthread_barrier_wait(&bar); /* 4 */
    pthread_barrier_wait(&bar);
    printf("bitset: bit 2 woke %ld, the bit 1 waiter returned %s\n", bits_none, err(bits_ret));

    atomic_store(&arrived, 0);
    pthread_barrier_wait(&bar); /* 5 */
    until_arrived(1);
    while (!atomic_load(&ack1)) {
        pthread_kill(a, SIGUSR1);
        pause_ms(5);
    }
    printf("signal: a wait on the node interrupted\n");
    pthread_barrier_wait(&bar);
    until_arrived(2);
    other = fwait(&sig_moved.v, 1, NULL); /* the word goes home: the wait moves */
    while (!atomic_load(&ack2)) {
        pthread_kill(a, SIGUSR2);
        pause_ms(5);
    }
    pthread_barrier_wait(&bar);
    printf("signal: a moved wait interrupted (main's wait for another value: %s)\n", err(other));
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    return 0;
}
