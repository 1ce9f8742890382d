/* clock_gettime (monotonic, realtime, process/thread CPU), nanosleep,
 * gettimeofday, time: only relations are printed, never times. Setting
 * and steering the clocks: only the checks Linux makes before it asks
 * for the privilege, so nothing is changed even as root. */
#include "guest.h"
#include <time.h>
#include <sys/time.h>
#include <sys/syscall.h>
#include <sys/timex.h>
#include <unistd.h>
#include <errno.h>

/* prints what call returned and whether errno is then e */
#define SAYS(what, call, e)                                                                        \
    do {                                                                                           \
        errno = 0;                                                                                 \
        int r_ = (int)(call);                                                                      \
        printf("%s: %d %d\n", what, r_, errno == (e));                                             \
    } while (0)

static long long ns(struct timespec t) {
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(void) {
    struct timespec a, b, r;
    int mono = 1;
    CHECK(clock_gettime(CLOCK_MONOTONIC, &a) == 0);
    for (int i = 0; i < 2000; i++) {
        clock_gettime(CLOCK_MONOTONIC, &b);
        if (ns(b) < ns(a)) mono = 0;
        a = b;
    }
    printf("monotonic never goes back: %d\n", mono);
    clock_gettime(CLOCK_MONOTONIC, &a);
    struct timespec req = {0, 2000000}; /* 2 ms */
    CHECK(nanosleep(&req, NULL) == 0);
    clock_gettime(CLOCK_MONOTONIC, &b);
    printf("nanosleep 2ms took >= 2ms: %d, < 2s: %d\n", ns(b) - ns(a) >= 2000000,
           ns(b) - ns(a) < 2000000000LL);
    clock_gettime(CLOCK_MONOTONIC, &a);
    CHECK(clock_nanosleep(CLOCK_MONOTONIC, 0, &req, NULL) == 0);
    clock_gettime(CLOCK_MONOTONIC, &b);
    printf("clock_nanosleep relative >= 2ms: %d\n", ns(b) - ns(a) >= 2000000);
    struct timespec until = b;
    until.tv_nsec += 3000000;
    if (until.tv_nsec >= 1000000000) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000;
    }
    CHECK(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL) == 0);
    clock_gettime(CLOCK_MONOTONIC, &a);
    printf("clock_nanosleep absolute reached deadline: %d\n", ns(a) >= ns(until));
    struct timespec rt;
    struct timeval tv;
    clock_gettime(CLOCK_REALTIME, &rt);
    gettimeofday(&tv, NULL);
    time_t t = time(NULL);
    printf("realtime after 2020: %d, gettimeofday agrees within 5s: %d, time() agrees: %d\n",
           rt.tv_sec > 1577836800,
           (long long)tv.tv_sec - rt.tv_sec < 5 && rt.tv_sec - (long long)tv.tv_sec < 5,
           (long long)t - rt.tv_sec < 5 && rt.tv_sec - (long long)t < 5);
    printf("nsec in range: %d %d\n", rt.tv_nsec >= 0 && rt.tv_nsec < 1000000000,
           tv.tv_usec >= 0 && tv.tv_usec < 1000000);
    CHECK(clock_getres(CLOCK_MONOTONIC, &r) == 0);
    printf("monotonic resolution <= 1ms: %d\n", ns(r) > 0 && ns(r) <= 1000000);
    struct timespec c0, c1;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
    volatile double x = 0;
    for (int i = 0; i < 200000; i++)
        x += i * 0.5;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
    printf("process cputime advances: %d\n", ns(c1) >= ns(c0));
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
    printf("thread cputime ok: %d\n", ns(c0) >= 0);
    clock_gettime(CLOCK_MONOTONIC_COARSE, &c0);
    clock_gettime(CLOCK_BOOTTIME, &c1);
    printf("coarse/boottime ok: %d\n", ns(c0) > 0 && ns(c1) > 0);
    errno = 0;
    printf("bad clock: %d EINVAL %d\n", clock_gettime((clockid_t)12345, &a), errno == EINVAL);
    /* setting: a bad time, a clock that cannot be set, a bad pointer (bad
     * pointers through syscall: glibc's settimeofday reads its argument) */
    struct timespec bad_ns = {1, 2000000000};
    SAYS("clock_settime bad nsec", clock_settime(CLOCK_REALTIME, &bad_ns), EINVAL);
    SAYS("clock_settime monotonic", clock_settime(CLOCK_MONOTONIC, &req), EINVAL);
    SAYS("clock_settime bad pointer", syscall(SYS_clock_settime, CLOCK_REALTIME, 16), EFAULT);
    SAYS("clock_settime process cputime", clock_settime(CLOCK_PROCESS_CPUTIME_ID, &req), EINVAL);
    SAYS("clock_settime bad clock", clock_settime((clockid_t)12345, &req), EINVAL);
    struct timeval bad_us = {1, 2000000};
    SAYS("settimeofday bad usec", settimeofday(&bad_us, NULL), EINVAL);
    SAYS("settimeofday bad pointer", syscall(SYS_settimeofday, 16, 0), EFAULT);
    /* steering: modes 0 only reads; ADJ_ADJTIME without the single-shot
     * bit is refused before any privilege is asked */
    struct timex tx = {.modes = 0};
    int state = adjtimex(&tx);
    printf("adjtimex read: state in range %d, tick set %d\n",
           state >= TIME_OK && state <= TIME_ERROR, tx.tick > 0);
    struct timex tc = {.modes = 0};
    printf("clock_adjtime realtime read agrees: %d\n", clock_adjtime(CLOCK_REALTIME, &tc) == state);
    tx.modes = 0x8000; /* ADJ_ADJTIME */
    SAYS("adjtimex bad modes", adjtimex(&tx), EINVAL);
    SAYS("adjtimex bad pointer", syscall(SYS_adjtimex, 16), EFAULT);
    tc.modes = 0;
    SAYS("clock_adjtime monotonic", clock_adjtime(CLOCK_MONOTONIC, &tc), EOPNOTSUPP);
    SAYS("clock_adjtime thread cputime", clock_adjtime(CLOCK_THREAD_CPUTIME_ID, &tc), EOPNOTSUPP);
    struct tm tm;
    time_t fixed = 1700000000;
    gmtime_r(&fixed, &tm);
    char buf[64];
    strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S %a %j", &tm);
    printf("gmtime(1700000000) = %s\n", buf);
    G_DONE();
}
