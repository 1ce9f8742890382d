/* Futex round trips between two threads: each waits (FUTEX_WAIT) until
 * the other flips the word and wakes it (FUTEX_WAKE), ROUNDS times. With
 * "remote" both are new threads (in a cluster run: nodes 1 and 2 on 3
 * nodes, round-robin); else main (node 0) plays one side.
 * usage: futex_pingpong [ROUNDS [remote]] */
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static _Atomic unsigned word;
static long rounds = 2000;

static void wait_while(unsigned v) {
    while (atomic_load(&word) == v)
        syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, v, NULL, NULL, 0);
}

static void flip_to(unsigned v) {
    atomic_store(&word, v);
    syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void *side(void *arg) {
    unsigned me = (unsigned)(long)arg;
    for (long i = 0; i < rounds; i++) {
        wait_while(!me);
        flip_to(!me);
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc > 1) rounds = atol(argv[1]);
    int remote = argc > 2 && !strcmp(argv[2], "remote");
    struct timespec a, b;
    pthread_t t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &a);
    pthread_create(&t1, NULL, side, (void *)1L);
    if (remote) {
        pthread_create(&t0, NULL, side, (void *)0L);
        pthread_join(t0, NULL);
    } else {
        side((void *)0L);
    }
    pthread_join(t1, NULL);
    clock_gettime(CLOCK_MONOTONIC, &b);
    double s = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) * 1e-9;
    printf("futex_pingpong rounds=%ld remote=%d us_per_round=%.1f seconds=%.4f\n", rounds, remote,
           s * 1e6 / rounds, s);
    return 0;
}
