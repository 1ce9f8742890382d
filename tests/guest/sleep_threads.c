/* Two threads (one on another node in a cluster run) that each sleep
 * STEPS times 100 ms, then report: a run that lasts a few seconds whatever
 * the machine, for tests that act on a run while it lasts (tests/cluster:
 * stop-continue). usage: sleep_threads [STEPS] */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static int steps = 30;

static void *sleeper(void *arg)
{
    struct timespec ts = {0, 100 * 1000 * 1000};
    for (int i = 0; i < steps; i++) nanosleep(&ts, NULL);
    return arg;
}

int main(int argc, char **argv)
{
    if (argc > 1) steps = atoi(argv[1]);
    pthread_t t[2];
    for (long i = 0; i < 2; i++) pthread_create(&t[i], NULL, sleeper, (void *)i);
    long sum = 0;
    for (int i = 0; i < 2; i++) {
        void *r;
        pthread_join(t[i], &r);
        sum += (long)r;
    }
    printf("slept %d steps in 2 threads (%ld)\n", steps, sum);
    return 0;
}
