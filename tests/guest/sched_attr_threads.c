/* sched_setattr and sched_getattr (no glibc wrapper: chrt calls them
 * first) on the calling thread and on a worker named by its tid, which a
 * cluster places on another node: the worker sees what main set, main
 * reads back what the worker set. And Linux's checks of struct
 * sched_attr's size: the first version (48 bytes) and longer ones are
 * taken when the bytes past the kernel's own are zero, a short or dirty
 * one is E2BIG with the kernel's size written back, getattr writes as
 * much as asked up to its own. Prints relations that hold for root and
 * other users alike (nice only rises, SCHED_BATCH needs no privilege). */
#include "guest.h"
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

struct attr {
    uint32_t size, policy;
    uint64_t flags;
    int32_t nice;
    uint32_t priority;
    uint64_t runtime, deadline, period;
    uint32_t util_min, util_max;
    uint8_t more[72]; /* a later version's room */
};

static long setattr(int tid, struct attr *a, unsigned flags) {
    return syscall(SYS_sched_setattr, tid, a, flags);
}
static long getattr(int tid, struct attr *a, unsigned size, unsigned flags) {
    return syscall(SYS_sched_getattr, tid, a, size, flags);
}

static int n0;
static _Atomic int worker_tid, step;
static int worker_saw_nice, worker_saw_batch;

static void *worker(void *arg) {
    (void)arg;
    atomic_store(&worker_tid, (int)syscall(SYS_gettid));
    while (atomic_load(&step) < 1)
        usleep(1000);
    struct attr a = {0};
    CHECK(getattr(0, &a, 56, 0) == 0);
    worker_saw_nice = a.nice == n0 + 2;
    worker_saw_batch = a.policy == SCHED_BATCH;
    /* its own change, which main then reads */
    a = (struct attr){.size = 48, .policy = SCHED_OTHER, .nice = n0 + 3};
    CHECK(setattr(0, &a, 0) == 0);
    atomic_store(&step, 2);
    while (atomic_load(&step) < 3)
        usleep(1000);
    return NULL;
}

int main(void) {
    n0 = getpriority(PRIO_PROCESS, 0);
    struct attr a = {0};
    printf("getattr self: %ld, size 56 %d, SCHED_OTHER %d, nice %d\n", getattr(0, &a, 56, 0),
           a.size == 56, a.policy == SCHED_OTHER, a.nice == n0);
    a = (struct attr){.size = 0, .policy = SCHED_OTHER, .nice = n0 + 1}; /* 0: the first version */
    printf("setattr self, size 0: %ld, getpriority says so %d\n", setattr(0, &a, 0),
           getpriority(PRIO_PROCESS, 0) == n0 + 1);

    pthread_t th;
    CHECK(pthread_create(&th, NULL, worker, NULL) == 0);
    while (!atomic_load(&worker_tid))
        usleep(1000);
    int tid = atomic_load(&worker_tid);
    a = (struct attr){.size = 56, .policy = SCHED_BATCH, .nice = n0 + 2};
    printf("setattr worker by tid: %ld\n", setattr(tid, &a, 0));
    struct attr w = {0};
    printf("getattr worker by tid: %ld, SCHED_BATCH %d, nice +2 %d\n", getattr(tid, &w, 56, 0),
           w.policy == SCHED_BATCH, w.nice == n0 + 2);
    atomic_store(&step, 1);
    while (atomic_load(&step) < 2)
        usleep(1000);
    printf("worker saw main's: nice +2 %d, SCHED_BATCH %d\n", worker_saw_nice, worker_saw_batch);
    w = (struct attr){0};
    printf("main reads the worker's own change: %ld, SCHED_OTHER %d, nice +3 %d\n",
           getattr(tid, &w, 48, 0), w.policy == SCHED_OTHER, w.nice == n0 + 3);
    atomic_store(&step, 3);
    pthread_join(th, NULL);

    /* sizes */
    a = (struct attr){.size = 100, .policy = SCHED_OTHER, .nice = n0 + 1};
    printf("setattr 100 bytes, the rest zero: %ld\n", setattr(0, &a, 0));
    a.more[30] = 1;
    errno = 0;
    long r = setattr(0, &a, 0);
    printf("setattr 100 bytes, byte 86 set: %ld E2BIG %d, size now %u\n", r, errno == E2BIG,
           a.size);
    a = (struct attr){.size = 20};
    errno = 0;
    r = setattr(0, &a, 0);
    printf("setattr 20 bytes: %ld E2BIG %d, size now %u\n", r, errno == E2BIG, a.size);
    a = (struct attr){.size = 56, .policy = SCHED_OTHER, .nice = n0 + 1};
    errno = 0;
    printf("setattr flags 1: %ld EINVAL %d\n", setattr(0, &a, 1), errno == EINVAL);
    errno = 0;
    printf("setattr NULL: %ld EINVAL %d\n", setattr(0, NULL, 0), errno == EINVAL);
    errno = 0;
    printf("setattr bad pointer: %ld EFAULT %d\n", syscall(SYS_sched_setattr, 0, 16, 0),
           errno == EFAULT);
    memset(&a, 0xff, sizeof a);
    printf("getattr 128 bytes: %ld, size %u, byte 60 untouched %d\n", getattr(0, &a, 128, 0),
           a.size, ((uint8_t *)&a)[60] == 0xff);
    memset(&a, 0xff, sizeof a);
    printf("getattr 48 bytes: %ld, size %u, util_min untouched %d\n", getattr(0, &a, 48, 0), a.size,
           a.util_min == 0xffffffffu);
    errno = 0;
    printf("getattr 40 bytes: %ld EINVAL %d\n", getattr(0, &a, 40, 0), errno == EINVAL);
    errno = 0;
    printf("getattr pid -1: %ld EINVAL %d\n", getattr(-1, &a, 56, 0), errno == EINVAL);
    errno = 0;
    printf("getattr bad pointer: %ld EFAULT %d\n", syscall(SYS_sched_getattr, 0, 16, 56, 0),
           errno == EFAULT);
    return 0;
}
