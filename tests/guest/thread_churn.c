/* Thread churn for tests/cluster's thread-churn-n2: ROUNDS rounds of 4
 * threads created and joined (each mallocs and frees a little), with the
 * resident memory /proc/self/statm reports (in a cluster, the master's
 * host process) printed after the first round, half the rounds and the
 * last (the first figure warms up what reading it takes). What
 * the emulator keeps per thread that ended must not grow with their
 * number: before, every remote thread left its proxy on the master and
 * every thread its --stats entry, --stats or not. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest.h"

static void *worker(void *arg) {
    char *p = malloc(1000);
    if (p) memset(p, 1, 1000);
    free(p);
    return arg;
}

int main(int argc, char **argv) {
    int rounds = argc > 1 ? atoi(argv[1]) : 1000;
    long joined = 0;
    for (int i = 1; i <= rounds; i++) {
        pthread_t t[4];
        for (int j = 0; j < 4; j++)
            if (pthread_create(&t[j], NULL, worker, NULL)) {
                printf("pthread_create failed in round %d\n", i);
                return 1;
            }
        for (int j = 0; j < 4; j++)
            joined += pthread_join(t[j], NULL) == 0;
        if (i == 1 || i == rounds / 2 || i == rounds)
            printf("rss %ld KiB after round %d\n", g_rss_kib(), i);
    }
    printf("joined %ld threads\n", joined);
    return 0;
}
