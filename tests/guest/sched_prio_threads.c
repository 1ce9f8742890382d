/* A new thread starts with its creator's nice value and scheduling policy
 * (Linux copies them at clone), also when the creator and the new thread
 * run on different nodes of a cluster: main raises its nice value and
 * takes SCHED_BATCH, thread A inherits both, raises its own nice value,
 * takes SCHED_IDLE and creates thread B, which inherits A's (main keeps
 * its own); with SCHED_RESET_ON_FORK set, main's next thread C has the
 * policy without the flag (the kernel clears it in the child). Prints
 * relations that hold for root and other users alike (started at a nice
 * value of at most 15: it raises it by 4 in all). At -n 2 and -n 4 the
 * threads are placed round-robin: A on node 1, B on node 0 (-n 2) or 2
 * (-n 4), C on node 1 or 3. */
#include "guest.h"
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#ifndef SCHED_RESET_ON_FORK
#define SCHED_RESET_ON_FORK 0x40000000
#endif

static int n0;

struct seen {
    int nice, policy;
};

static void look(struct seen *s) {
    errno = 0;
    s->nice = getpriority(PRIO_PROCESS, 0);
    s->policy = sched_getscheduler(0);
}

static struct seen seen_b;

static void *thread_b(void *arg) {
    (void)arg;
    look(&seen_b);
    return NULL;
}

static void *thread_a(void *arg) {
    struct seen *s = arg;
    look(s);
    struct sched_param sp = {.sched_priority = 0};
    CHECK(setpriority(PRIO_PROCESS, 0, s->nice + 1) == 0);
    CHECK(sched_setscheduler(0, SCHED_IDLE, &sp) == 0);
    pthread_t b;
    CHECK(pthread_create(&b, NULL, thread_b, NULL) == 0);
    pthread_join(b, NULL);
    return NULL;
}

static void *thread_c(void *arg) {
    look(arg);
    return NULL;
}

int main(void) {
    n0 = getpriority(PRIO_PROCESS, 0);
    CHECK(setpriority(PRIO_PROCESS, 0, n0 + 3) == 0);
    struct sched_param sp = {.sched_priority = 0};
    CHECK(sched_setscheduler(0, SCHED_BATCH, &sp) == 0);
    printf("main: nice +3 %d, SCHED_BATCH %d\n", getpriority(PRIO_PROCESS, 0) == n0 + 3,
           sched_getscheduler(0) == SCHED_BATCH);

    struct seen a;
    pthread_t th;
    CHECK(pthread_create(&th, NULL, thread_a, &a) == 0);
    pthread_join(th, NULL);
    printf("thread A (made by main): nice +3 %d, SCHED_BATCH %d\n", a.nice == n0 + 3,
           a.policy == SCHED_BATCH);
    printf("thread B (made by A after nice +1 and SCHED_IDLE): nice +4 %d, SCHED_IDLE %d\n",
           seen_b.nice == n0 + 4, seen_b.policy == SCHED_IDLE);
    printf("main unchanged: nice +3 %d, SCHED_BATCH %d\n", getpriority(PRIO_PROCESS, 0) == n0 + 3,
           sched_getscheduler(0) == SCHED_BATCH);

    CHECK(sched_setscheduler(0, SCHED_BATCH | SCHED_RESET_ON_FORK, &sp) == 0);
    printf("main: SCHED_BATCH with SCHED_RESET_ON_FORK reads back %d\n",
           sched_getscheduler(0) == (SCHED_BATCH | SCHED_RESET_ON_FORK));
    struct seen c;
    CHECK(pthread_create(&th, NULL, thread_c, &c) == 0);
    pthread_join(th, NULL);
    printf("thread C: nice +3 %d, SCHED_BATCH without the flag %d\n", c.nice == n0 + 3,
           c.policy == SCHED_BATCH);
    G_DONE();
}
