/* POSIX timers on the calling thread: timer_create with SIGEV_SIGNAL,
 * SIGEV_NONE, SIGEV_THREAD_ID (this thread) and the default sigevent,
 * on CLOCK_REALTIME/MONOTONIC/PROCESS_CPUTIME_ID/THREAD_CPUTIME_ID;
 * timer_settime (relative, absolute, periodic, disarm), timer_gettime,
 * timer_getoverrun, timer_delete, and the delivered siginfo (si_code
 * SI_TIMER, si_value, si_overrun, si_timerid). Only relations are
 * printed, never times or ids. */
#include "guest.h"
#include <errno.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t got;
static volatile int got_code, got_value, got_tid, got_overrun, got_timerid;

static void on_timer(int sig, siginfo_t *si, void *uc) {
    (void)uc;
    got = sig;
    got_code = si->si_code;
    got_value = si->si_value.sival_int;
    got_overrun = si->si_overrun;
    got_timerid = si->si_timerid;
    got_tid = (int)syscall(SYS_gettid);
}

static long long ns(struct timespec t) {
    return t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* The signal is blocked between the test of `got` and sigsuspend, which
 * unblocks it atomically: one that lands after the test and before the
 * call would otherwise leave sigsuspend waiting for ever (a window of a
 * few instructions natively, but under an emulator translating the
 * code on its way, it can be wider than the timer). */
static void wait_for(int sig) {
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, sig);
    sigprocmask(SIG_BLOCK, &block, &old);
    while (got != sig)
        sigsuspend(&old);
    sigprocmask(SIG_SETMASK, &old, NULL);
}

static void one_shot(clockid_t clk, const char *name) {
    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = SIGRTMIN;
    ev.sigev_value.sival_int = 42;
    timer_t id;
    CHECK(timer_create(clk, &ev, &id) == 0);
    struct itimerspec its = {{0, 0}, {0, 5000000}};
    got = 0;
    CHECK(timer_settime(id, 0, &its, NULL) == 0);
    if (clk == CLOCK_PROCESS_CPUTIME_ID || clk == CLOCK_THREAD_CPUTIME_ID) {
        volatile unsigned long spin = 0; /* CPU time only moves while running */
        while (!got)
            spin++;
    } else {
        wait_for(SIGRTMIN);
    }
    printf("%s: sig=RTMIN:%d code_is_SI_TIMER=%d value=%d overrun=%d\n", name, got == SIGRTMIN,
           got_code == SI_TIMER, got_value, got_overrun);
    struct itimerspec cur;
    CHECK(timer_gettime(id, &cur) == 0);
    printf("%s: disarmed after firing: %d\n", name,
           cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0);
    CHECK(timer_delete(id) == 0);
}

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_timer;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGRTMIN, &sa, NULL);
    sigaction(SIGALRM, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);

    one_shot(CLOCK_MONOTONIC, "monotonic");
    one_shot(CLOCK_REALTIME, "realtime");
    one_shot(CLOCK_PROCESS_CPUTIME_ID, "process-cpu");
    one_shot(CLOCK_THREAD_CPUTIME_ID, "thread-cpu");

    /* SIGEV_NONE: never signals, but counts down. */
    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_NONE;
    timer_t quiet;
    CHECK(timer_create(CLOCK_MONOTONIC, &ev, &quiet) == 0);
    struct itimerspec its = {{0, 0}, {10, 0}}, cur, old;
    CHECK(timer_settime(quiet, 0, &its, NULL) == 0);
    CHECK(timer_gettime(quiet, &cur) == 0);
    printf("none: remaining in (0,10s]: %d, no interval: %d\n",
           ns(cur.it_value) > 0 && ns(cur.it_value) <= 10000000000LL,
           cur.it_interval.tv_sec == 0 && cur.it_interval.tv_nsec == 0);
    struct itimerspec off = {{0, 0}, {0, 0}};
    CHECK(timer_settime(quiet, 0, &off, &old) == 0);
    printf("none: disarm returns old value > 9s: %d\n", ns(old.it_value) > 9000000000LL);
    CHECK(timer_gettime(quiet, &cur) == 0);
    CHECK(timer_delete(quiet) == 0);
    errno = 0;
    printf("deleted timer: settime=%d errno=EINVAL:%d\n", timer_settime(quiet, 0, &its, NULL),
           errno == EINVAL);

    /* SIGEV_THREAD_ID to this thread, absolute expiry. */
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_THREAD_ID;
    ev.sigev_signo = SIGUSR1;
    ev.sigev_value.sival_int = 7;
    ev._sigev_un._tid = (int)syscall(SYS_gettid);
    timer_t tt;
    CHECK(timer_create(CLOCK_MONOTONIC, &ev, &tt) == 0);
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    now.tv_nsec += 3000000;
    if (now.tv_nsec >= 1000000000) {
        now.tv_sec++;
        now.tv_nsec -= 1000000000;
    }
    struct itimerspec abs = {{0, 0}, now};
    got = 0;
    CHECK(timer_settime(tt, TIMER_ABSTIME, &abs, NULL) == 0);
    wait_for(SIGUSR1);
    printf("thread-id: sig=USR1:%d code_is_SI_TIMER=%d value=%d this_thread=%d\n", got == SIGUSR1,
           got_code == SI_TIMER, got_value, got_tid == (int)syscall(SYS_gettid));
    CHECK(timer_delete(tt) == 0);

    /* Periodic with the signal blocked: one pending instance, overruns. */
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = SIGRTMIN + 2;
    ev.sigev_value.sival_int = 99;
    timer_t per;
    CHECK(timer_create(CLOCK_MONOTONIC, &ev, &per) == 0);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGRTMIN + 2);
    sigprocmask(SIG_BLOCK, &set, NULL);
    struct itimerspec periodic = {{0, 1000000}, {0, 1000000}};
    CHECK(timer_settime(per, 0, &periodic, NULL) == 0);
    struct timespec nap = {0, 30000000};
    nanosleep(&nap, NULL);
    siginfo_t si;
    int s = sigwaitinfo(&set, &si);
    printf("periodic: sig=%d code_is_SI_TIMER=%d value=%d overrun>0:%d getoverrun>0:%d\n",
           s == SIGRTMIN + 2, si.si_code == SI_TIMER, si.si_value.sival_int, si.si_overrun > 0,
           timer_getoverrun(per) > 0);
    CHECK(timer_gettime(per, &cur) == 0);
    printf("periodic: interval 1ms: %d, still armed: %d\n", ns(cur.it_interval) == 1000000,
           ns(cur.it_value) > 0);
    CHECK(timer_delete(per) == 0);
    struct timespec zero = {0, 0};
    printf("no signal left after delete: %d\n",
           sigtimedwait(&set, &si, &zero) == -1 && errno == EAGAIN);

    /* NULL sigevent: SIGALRM with si_value = the timer id. */
    timer_t dflt;
    CHECK(timer_create(CLOCK_MONOTONIC, NULL, &dflt) == 0);
    struct itimerspec shortone = {{0, 0}, {0, 2000000}};
    got = 0;
    CHECK(timer_settime(dflt, 0, &shortone, NULL) == 0);
    wait_for(SIGALRM);
    printf("default: sig=ALRM:%d code_is_SI_TIMER=%d\n", got == SIGALRM, got_code == SI_TIMER);
    CHECK(timer_delete(dflt) == 0);

    /* Errors. */
    timer_t bad;
    errno = 0;
    printf("bad clock: %d errno=EINVAL:%d\n", timer_create(1234, NULL, &bad), errno == EINVAL);
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = 0;
    errno = 0;
    printf("bad signo: %d errno=EINVAL:%d\n", timer_create(CLOCK_MONOTONIC, &ev, &bad),
           errno == EINVAL);
    struct itimerspec badns = {{0, 0}, {0, 1000000000}};
    CHECK(timer_create(CLOCK_MONOTONIC, NULL, &bad) == 0);
    errno = 0;
    printf("bad nsec: %d errno=EINVAL:%d\n", timer_settime(bad, 0, &badns, NULL), errno == EINVAL);
    CHECK(timer_delete(bad) == 0);
    G_DONE();
}
