/* Scheduling calls that name another thread by its tid act on that
 * thread, wherever it runs (on a cluster, its node): main reads and sets
 * a worker's nice value, policy and I/O priority by tid, the worker
 * reads main's and its own by tid and by 0. Prints relations that hold
 * for root and other users alike (started at a nice value of at most 15:
 * it only raises nice values). */
#include "guest.h"
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#define IOPRIO_WHO_PROCESS 1
#define IOPRIO_BE(level)   (2 << 13 | (level))

static int n0, main_tid;
static atomic_int worker_tid, step;

static int nice_of(int tid) {
    errno = 0;
    int v = getpriority(PRIO_PROCESS, (id_t)tid);
    return errno ? -100 : v;
}

static void wait_step(int s) {
    while (atomic_load(&step) < s)
        usleep(500);
}

static void *worker(void *arg) {
    (void)arg;
    setpriority(PRIO_PROCESS, 0, n0 + 2);
    struct sched_param sp = {0};
    sched_setscheduler(0, SCHED_BATCH, &sp);
    atomic_store(&worker_tid, (int)gettid());
    wait_step(1); /* main has read and set this thread's */
    int self = (int)gettid();
    printf("worker: own nice by 0 and by tid set by main: %d %d\n", nice_of(0) == n0 + 3,
           nice_of(self) == n0 + 3);
    printf("worker: own policy set by main: %d\n", sched_getscheduler(0) == SCHED_IDLE);
    printf("worker: own I/O priority set by main: %d\n",
           syscall(SYS_ioprio_get, IOPRIO_WHO_PROCESS, self) == IOPRIO_BE(6));
    printf("worker: main's nice by tid: %d\n", nice_of(main_tid) == n0);
    return NULL;
}

int main(void) {
    errno = 0;
    n0 = getpriority(PRIO_PROCESS, 0);
    main_tid = (int)gettid();
    pthread_t th;
    pthread_create(&th, NULL, worker, NULL);
    while (!atomic_load(&worker_tid))
        usleep(500);
    int w = atomic_load(&worker_tid);
    printf("main: worker's nice and policy by tid: %d %d\n", nice_of(w) == n0 + 2,
           sched_getscheduler(w) == SCHED_BATCH);
    struct sched_param sp = {0};
    printf("main sets them by tid: %d %d %d\n", setpriority(PRIO_PROCESS, (id_t)w, n0 + 3),
           sched_setscheduler(w, SCHED_IDLE, &sp),
           (int)syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, w, IOPRIO_BE(6)));
    struct timespec ts = {-1, -1};
    printf("main: worker's round-robin interval: %d %d\n", sched_rr_get_interval(w, &ts),
           ts.tv_sec >= 0 && ts.tv_nsec >= 0);
    sp.sched_priority = -1;
    printf("main: worker's param: %d %d\n", sched_getparam(w, &sp), sp.sched_priority);
    printf("main's own nice unchanged: %d\n", nice_of(0) == n0);
    atomic_store(&step, 1);
    pthread_join(th, NULL);
    return 0;
}
