/* Scheduling and file calls Debian programs make (nice, renice, chrt,
 * ionice, dpkg's sync_file_range, Python's os.preadv): getpriority/
 * setpriority (per thread, as on Linux), sched_getscheduler/setscheduler/
 * getparam/setparam, the priority ranges, sched_rr_get_interval,
 * ioprio_get/set, and sync_file_range, syncfs, readahead and
 * preadv2/pwritev2 on a file. Prints relations that hold for root and for
 * other users alike (started at a nice value of at most 13: it only
 * raises it, by 6 in all). qemu-user 7.2 has no preadv2/pwritev2, so the
 * reference is this source built for the host and run natively
 * (tests/guest/native_compare.cmake). */
#include "guest.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define IOPRIO_CLASS_BE   2
#define IOPRIO_WHO_THREAD 1
#define IOPRIO_PRIO(c, l) (((c) << 13) | (l))

static volatile int worker_start = -100, worker_nice = -100;

/* Raises only its own nice (lowering it needs privilege). */
static void *worker(void *arg) {
    (void)arg;
    worker_start = getpriority(PRIO_PROCESS, 0);
    setpriority(PRIO_PROCESS, 0, worker_start + 2);
    worker_nice = getpriority(PRIO_PROCESS, 0);
    return NULL;
}

int main(void) {
    errno = 0;
    int n0 = getpriority(PRIO_PROCESS, 0);
    printf("getpriority: no error %d\n", errno == 0);
    CHECK(setpriority(PRIO_PROCESS, 0, n0 + 3) == 0);
    printf("setpriority +3: reads back %d\n", getpriority(PRIO_PROCESS, 0) == n0 + 3);
    errno = 0;
    int r = nice(1);
    printf("nice(1): %d\n", r == n0 + 4 && errno == 0);
    printf("bad which: EINVAL %d\n", getpriority(99, 0) == -1 && errno == EINVAL);

    pthread_t th;
    pthread_create(&th, NULL, worker, NULL);
    pthread_join(th, NULL);
    printf("a thread inherits nice %d; its setpriority(0): its own nice %d, the main thread's "
           "unchanged %d\n",
           worker_start == n0 + 4, worker_nice == n0 + 6, getpriority(PRIO_PROCESS, 0) == n0 + 4);

    printf("policy SCHED_OTHER %d\n", sched_getscheduler(0) == SCHED_OTHER);
    printf("priority ranges: FIFO %d..%d RR %d..%d OTHER %d..%d\n",
           sched_get_priority_min(SCHED_FIFO), sched_get_priority_max(SCHED_FIFO),
           sched_get_priority_min(SCHED_RR), sched_get_priority_max(SCHED_RR),
           sched_get_priority_min(SCHED_OTHER), sched_get_priority_max(SCHED_OTHER));
    printf("bad policy: EINVAL %d\n", sched_get_priority_max(77) == -1 && errno == EINVAL);
    struct sched_param sp = {.sched_priority = 5};
    CHECK(sched_getparam(0, &sp) == 0);
    printf("sched_getparam: priority %d\n", sp.sched_priority);
    sp.sched_priority = 0;
    CHECK(sched_setscheduler(0, SCHED_BATCH, &sp) == 0);
    printf("SCHED_BATCH set: reads back %d\n", sched_getscheduler(0) == SCHED_BATCH);
    CHECK(sched_setparam(0, &sp) == 0);
    sp.sched_priority = 50;
    printf("SCHED_OTHER with priority 50: EINVAL %d\n",
           sched_setscheduler(0, SCHED_OTHER, &sp) == -1 && errno == EINVAL);
    sp.sched_priority = 0;
    CHECK(sched_setscheduler(0, SCHED_OTHER, &sp) == 0);
    struct timespec ts = {-1, -1};
    int rr = sched_rr_get_interval(0, &ts);
    printf("sched_rr_get_interval: %d, a time %d\n", rr == 0,
           ts.tv_sec >= 0 && ts.tv_nsec >= 0 && ts.tv_nsec < 1000000000);

    long io0 = syscall(SYS_ioprio_get, IOPRIO_WHO_THREAD, 0);
    printf("ioprio_get: not an error %d\n", io0 >= 0);
    CHECK(syscall(SYS_ioprio_set, IOPRIO_WHO_THREAD, 0, IOPRIO_PRIO(IOPRIO_CLASS_BE, 6)) == 0);
    printf("ioprio_set BE/6: reads back %d\n",
           syscall(SYS_ioprio_get, IOPRIO_WHO_THREAD, 0) == IOPRIO_PRIO(IOPRIO_CLASS_BE, 6));

    char name[] = "sched-XXXXXX";
    int fd = mkstemp(name);
    CHECK(fd >= 0);
    unlink(name);
    char buf[8192];
    memset(buf, 'q', sizeof buf);
    CHECK(write(fd, buf, sizeof buf) == (ssize_t)sizeof buf);
    printf("sync_file_range: %d, bad flags EINVAL %d\n",
           sync_file_range(fd, 0, 4096, SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER) == 0,
           sync_file_range(fd, 0, 4096, 0x100) == -1 && errno == EINVAL);
    printf("syncfs: %d, bad fd EBADF %d\n", syncfs(fd) == 0, syncfs(-1) == -1 && errno == EBADF);
    printf("readahead: %d\n", readahead(fd, 0, sizeof buf) == 0);
    char a[3] = "abc", b[4] = "defg", in[7] = {0};
    struct iovec wv[2] = {{a, 3}, {b, 4}}, rv[2] = {{in, 2}, {in + 2, 5}};
    printf("pwritev2 RWF_DSYNC at 100: %zd\n", pwritev2(fd, wv, 2, 100, RWF_DSYNC));
    CHECK(lseek(fd, 100, SEEK_SET) == 100);
    ssize_t got = preadv2(fd, rv, 2, -1, 0);
    printf("preadv2 at the file position: %zd '%.7s', position then %ld\n", got, in,
           (long)lseek(fd, 0, SEEK_CUR));
    printf("preadv2 unknown flag: EOPNOTSUPP %d\n",
           preadv2(fd, rv, 2, 0, 0x40000000) == -1 && errno == EOPNOTSUPP);
    close(fd);
    G_DONE();
}
