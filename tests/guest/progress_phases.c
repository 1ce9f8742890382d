/* Two phases for tests/cluster's progress-n2 ([stats] progress_ms): three
 * threads that compute for 300 ms and then sleep 200 ms each (on nodes
 * 1, 0 and 1 of a two-node cluster, round-robin), joined; then main
 * alone, which closes its stderr and sleeps 700 ms. The progress lines
 * must count the threads per node in both phases (node 0's thread gone
 * in the second), show guest instructions run on both nodes in the
 * first, and go on after the guest closed fd 2. With "exec FILE": main then runs itself again
 * ("sleep") with its stderr on FILE, which must stay empty: progress
 * lines are the first program's. */
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    while (nanosleep(&ts, &ts))
        continue;
}

static long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000ll + ts.tv_nsec / 1000000;
}

static void *sleeper(void *arg) {
    long long until = now_ms() + 300;
    volatile unsigned x = 1;
    while (now_ms() < until)
        for (int i = 0; i < 10000; i++)
            x = x * 1103515245u + 12345u;
    sleep_ms(200);
    return arg;
}

int main(int argc, char **argv) {
    if (argc > 1 && !strcmp(argv[1], "sleep")) {
        sleep_ms(400);
        printf("slept\n");
        return 0;
    }
    pthread_t t[3];
    for (long i = 0; i < 3; i++)
        pthread_create(&t[i], NULL, sleeper, (void *)i);
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    printf("joined\n");
    fflush(stdout);
    close(2);
    sleep_ms(700);
    printf("done\n");
    if (argc > 2 && !strcmp(argv[1], "exec")) {
        fflush(stdout);
        int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd != 2) return 1; /* the lowest free fd: 2 */
        execl(argv[0], argv[0], "sleep", (char *)NULL);
        return 2;
    }
    return 0;
}
