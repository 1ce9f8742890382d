/* What the storm programs (syscall_storm.c, signal_storm.c) share: their
 * arguments, and the end of a run in the middle of the storm. */
#ifndef SHOAL_GUEST_STORM_H
#define SHOAL_GUEST_STORM_H
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

/* usage: PROGRAM THREADS SEED ITERATIONS [EXIT_AT] */
struct storm_args {
    int threads;
    uint64_t seed;
    int iterations;
    int exit_at;           /* > 0: thread 0 ends the run there, the others storming on */
    void (*at_exit)(void); /* if set, called just before that end */
};

/* The arguments, or exit status 2 when the thread count is not in
 * 1..max_threads. Closes the fds inherited from the caller (make's
 * jobserver pipe, a file of the test harness): not the storm's to
 * change. */
static inline struct storm_args storm_args(int argc, char **argv, int max_threads) {
    struct storm_args a = {
        .threads = argc > 1 ? atoi(argv[1]) : 4,
        .seed = argc > 2 ? strtoull(argv[2], NULL, 0) : 1,
        .iterations = argc > 3 ? atoi(argv[3]) : 3000,
        .exit_at = argc > 4 ? atoi(argv[4]) : 0,
    };
    if (a.threads < 1 || a.threads > max_threads) exit(2);
    syscall(SYS_close_range, 3, ~0u, 0);
    return a;
}

/* Thread 0 at its iteration exit_at: "survived", and the run ends with
 * exit_group, whatever the other threads are doing. */
static inline void storm_exit_here(const struct storm_args *a, int thread, int iteration) {
    if (thread != 0 || a->exit_at <= 0 || iteration != a->exit_at) return;
    if (a->at_exit) a->at_exit();
    printf("survived\n");
    fflush(stdout);
    syscall(SYS_exit_group, 0);
}

#endif
