/* One CLOCK_MONOTONIC and CLOCK_BOOTTIME for every thread: a time one
 * thread reads is never ahead of what another reads after it, a deadline
 * one thread computes means the same to another (clock_nanosleep with
 * TIMER_ABSTIME, a condition variable's wait on CLOCK_MONOTONIC), and the
 * generic timer (CNTVCT_EL0) counts with CLOCK_MONOTONIC. In a cluster
 * run the second thread is on another node, which may be another host or
 * another time namespace (cluster/clock-offset runs it so). Prints only
 * what holds on any machine. */
#include "guest.h"
#include <pthread.h>
#include <errno.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ns(clockid_t c) {
    struct timespec ts;
    clock_gettime(c, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t cntvct_ns(void) {
    uint64_t v, f;
    __asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(v));
    __asm__ volatile("mrs %0, cntfrq_el0" : "=r"(f));
    return (int64_t)((unsigned __int128)v * 1000000000u / f);
}

static struct {
    int64_t mono, boot, cnt; /* the main thread's, before the thread starts */
    long uptime;             /* sysinfo's, in seconds */
} before;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv;
static int64_t after_mono; /* the thread's, last thing it does */

#define S  1000000000ll
#define MS 1000000ll

static void *second(void *arg) {
    (void)arg;
    int64_t mono = now_ns(CLOCK_MONOTONIC), boot = now_ns(CLOCK_BOOTTIME), cnt = cntvct_ns();
    printf("thread: monotonic after main's: %d\n",
           mono >= before.mono && mono - before.mono < 60 * S);
    printf("thread: boottime after main's: %d\n",
           boot >= before.boot && boot - before.boot < 60 * S);
    /* the counter ticks at 62.5 MHz: 16 ns of rounding */
    printf("thread: cntvct after main's: %d\n",
           cnt + 16 >= before.cnt && cnt - before.cnt < 60 * S);
    struct sysinfo si;
    sysinfo(&si);
    printf("thread: uptime with main's: %d\n",
           si.uptime >= before.uptime - 1 && si.uptime < before.uptime + 60);
    /* both advance alike over 50 ms */
    int64_t m0 = now_ns(CLOCK_MONOTONIC), c0 = cntvct_ns();
    struct timespec nap = {0, 50 * MS};
    nanosleep(&nap, NULL);
    int64_t dm = now_ns(CLOCK_MONOTONIC) - m0, dc = cntvct_ns() - c0;
    printf("thread: cntvct advances with monotonic: %d\n", dc - dm < 20 * MS && dm - dc < 20 * MS);

    /* sleep until main's time + 300 ms */
    struct timespec until = {(before.mono + 300 * MS) / S, (before.mono + 300 * MS) % S};
    int r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL);
    int64_t woke = now_ns(CLOCK_MONOTONIC);
    printf("thread: slept until main's time + 300 ms: %d %d\n", r,
           woke >= before.mono + 300 * MS && woke < before.mono + 30 * S);

    /* a condition variable nobody signals, until main's time + 600 ms */
    struct timespec dl = {(before.mono + 600 * MS) / S, (before.mono + 600 * MS) % S};
    pthread_mutex_lock(&mu);
    r = pthread_cond_timedwait(&cv, &mu, &dl);
    pthread_mutex_unlock(&mu);
    woke = now_ns(CLOCK_MONOTONIC);
    printf("thread: waited until main's time + 600 ms: %s %d\n", r == ETIMEDOUT ? "ETIMEDOUT" : "?",
           woke >= before.mono + 600 * MS && woke < before.mono + 30 * S);
    after_mono = now_ns(CLOCK_MONOTONIC);
    return NULL;
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&cv, &ca);
    before.mono = now_ns(CLOCK_MONOTONIC);
    before.boot = now_ns(CLOCK_BOOTTIME);
    before.cnt = cntvct_ns();
    struct sysinfo si;
    sysinfo(&si);
    before.uptime = si.uptime;

    pthread_t t;
    if (pthread_create(&t, NULL, second, NULL)) return 1;
    pthread_join(t, NULL);
    int64_t mono = now_ns(CLOCK_MONOTONIC);
    printf("main: monotonic after the thread's: %d\n",
           mono >= after_mono && mono - after_mono < 60 * S);
    return 0;
}
