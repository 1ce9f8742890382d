/* Two threads (one on another node in a cluster run) that each sleep
 * STEPS times 100 ms, then report: a run that lasts a few seconds whatever
 * the machine, for tests that act on a run while it lasts (tests/cluster:
 * stop-continue). With a second argument each thread also says on stderr
 * how long its sleeps took. usage: sleep_threads [STEPS [times]] */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static int steps = 30, times;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void *sleeper(void *arg) {
    struct timespec ts = {0, 100 * 1000 * 1000};
    double t0 = now();
    for (int i = 0; i < steps; i++)
        nanosleep(&ts, NULL);
    if (times) fprintf(stderr, "thread %ld: %.2f s\n", (long)arg, now() - t0);
    return arg;
}

int main(int argc, char **argv) {
    if (argc > 1) steps = atoi(argv[1]);
    times = argc > 2;
    pthread_t t[2];
    for (long i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, sleeper, (void *)i);
    long sum = 0;
    for (int i = 0; i < 2; i++) {
        void *r;
        pthread_join(t[i], &r);
        sum += (long)r;
    }
    printf("slept %d steps in 2 threads (%ld)\n", steps, sum);
    return 0;
}
