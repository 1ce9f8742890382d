/* Timers on CPU-time clocks while the threads that spend the time run on
 * other nodes: each worker arms a one-shot and a periodic timer on its
 * own CPU clock (signals to itself), then pins itself to another CPU
 * (on a cluster, maybe another node) and spins until they fired; main,
 * blocked in sigtimedwait, takes the signals of a timer on a worker's
 * clock (pthread_getcpuclockid), of a process CPU clock timer with no
 * sigevent (SIGALRM, the id as value), and of ITIMER_PROF and
 * ITIMER_VIRTUAL, all of it spent by the spinning workers. Checks that
 * no timer fires before its clock reached it, the values the family
 * reports (gettime, the old value of setitimer, overruns: in a handler
 * or after sigtimedwait timer_getoverrun is the si_overrun just taken)
 * and that a deleted or disarmed timer stays silent. Prints no times: whether each
 * value is what it must be. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#ifndef sigev_notify_thread_id /* glibc before 2.35 names it only this way */
#define sigev_notify_thread_id _sigev_un._tid
#endif

#define WORKERS 4
#define MS      1000000LL

static int ncpu;
static _Atomic int stop_spinning;
static _Atomic int spinners;
static __thread volatile sig_atomic_t one_shot, periodic, getoverrun_agrees = 1, deleting;
static __thread timer_t periodic_timer;
static char report[WORKERS][160];

static long long clock_ns(clockid_t c) {
    struct timespec ts;
    clock_gettime(c, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void on_one_shot(int sig) {
    (void)sig;
    one_shot++;
}

static void on_periodic(int sig, siginfo_t *si, void *uc) {
    (void)sig;
    (void)uc;
    periodic++;
    /* a signal on its way as the timer is deleted has no timer to ask */
    if (!deleting) getoverrun_agrees &= timer_getoverrun(periodic_timer) == si->si_overrun;
}

/* A timer on the calling thread's CPU clock, stored at *id before it is
 * armed (a handler may use it at once). */
static void thread_timer(int sig, long long first_ns, long long every_ns, timer_t *id) {
    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_THREAD_ID;
    ev.sigev_signo = sig;
    ev.sigev_notify_thread_id = (pid_t)syscall(SYS_gettid);
    if (timer_create(CLOCK_THREAD_CPUTIME_ID, &ev, id)) {
        *id = (timer_t)-1;
        return;
    }
    struct itimerspec its = {{every_ns / 1000000000, every_ns % 1000000000},
                             {first_ns / 1000000000, first_ns % 1000000000}};
    timer_settime(*id, 0, &its, NULL);
}

static void *worker(void *arg) {
    int i = (int)(long)arg;
    long long start = clock_ns(CLOCK_THREAD_CPUTIME_ID);
    timer_t a;
    thread_timer(SIGRTMIN + 2, 30 * MS, 0, &a);
    thread_timer(SIGRTMIN + 3, 5 * MS, 5 * MS, &periodic_timer);
    timer_t b = periodic_timer;
    struct itimerspec left;
    timer_gettime(a, &left);
    long long l = left.it_value.tv_sec * 1000000000LL + left.it_value.tv_nsec;
    int gettime_ok = l > 0 && l <= 30 * MS && left.it_interval.tv_nsec == 0;
    /* another CPU: on a cluster the thread may move, and its timers with it */
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET((ncpu - 1 - i % ncpu + ncpu) % ncpu, &set);
    int pinned = sched_setaffinity(0, sizeof set, &set) == 0;
    long long fired_at = -1;
    while ((!one_shot || periodic < 3) && clock_ns(CLOCK_THREAD_CPUTIME_ID) - start < 3000 * MS)
        if (one_shot && fired_at < 0) fired_at = clock_ns(CLOCK_THREAD_CPUTIME_ID);
    if (one_shot && fired_at < 0) fired_at = clock_ns(CLOCK_THREAD_CPUTIME_ID);
    int overrun = timer_getoverrun(b);
    deleting = 1;
    timer_delete(b);
    int after_delete = periodic;
    long long until = clock_ns(CLOCK_THREAD_CPUTIME_ID) + 20 * MS;
    while (clock_ns(CLOCK_THREAD_CPUTIME_ID) < until)
        ;
    timer_delete(a);
    snprintf(report[i], sizeof report[i],
             "worker %d: pinned %d, gettime %d, one-shot %d (not early %d), periodic >= 3 %d, "
             "overrun >= 0 %d (in the handler as taken %d), silent once deleted %d",
             i, pinned, gettime_ok, one_shot, fired_at - start >= 30 * MS, periodic >= 3,
             overrun >= 0, getoverrun_agrees, periodic == after_delete);
    /* then spin for main's timers, until told */
    spinners++;
    while (!stop_spinning)
        ;
    return NULL;
}

/* The next of sig (blocked in every thread), or 0 after 10 s. */
static int wait_for(int sig, siginfo_t *info) {
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, sig);
    struct timespec t = {10, 0};
    return sigtimedwait(&s, info, &t) == sig;
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
    signal(SIGRTMIN + 2, on_one_shot);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_periodic;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGRTMIN + 3, &sa, NULL);
    /* main's signals are taken with sigtimedwait: blocked everywhere */
    sigset_t waited;
    sigemptyset(&waited);
    sigaddset(&waited, SIGRTMIN + 4);
    sigaddset(&waited, SIGALRM);
    sigaddset(&waited, SIGPROF);
    sigaddset(&waited, SIGVTALRM);
    pthread_sigmask(SIG_BLOCK, &waited, NULL);
    pthread_t th[WORKERS];
    for (long i = 0; i < WORKERS; i++)
        pthread_create(&th[i], NULL, worker, (void *)i);
    while (spinners < WORKERS)
        sched_yield();
    for (int i = 0; i < WORKERS; i++)
        puts(report[i]);

    /* a worker's clock, its signal to main */
    clockid_t wclock;
    int got_clock = pthread_getcpuclockid(th[0], &wclock) == 0;
    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_THREAD_ID;
    ev.sigev_signo = SIGRTMIN + 4;
    ev.sigev_value.sival_int = 77;
    ev.sigev_notify_thread_id = (pid_t)syscall(SYS_gettid);
    timer_t w;
    int made = timer_create(wclock, &ev, &w) == 0;
    struct timespec wnow;
    clock_gettime(wclock, &wnow);
    long long at = wnow.tv_sec * 1000000000LL + wnow.tv_nsec + 20 * MS;
    struct itimerspec abs = {{0, 0}, {at / 1000000000, at % 1000000000}};
    int armed = timer_settime(w, TIMER_ABSTIME, &abs, NULL) == 0;
    siginfo_t info;
    int got = wait_for(SIGRTMIN + 4, &info);
    clock_gettime(wclock, &wnow);
    int taken_overrun = got && timer_getoverrun(w) == info.si_overrun;
    printf("timer on a worker's clock: clock %d, made %d, armed %d, signal %d, SI_TIMER %d, "
           "value %d, not early %d, overrun as taken %d\n",
           got_clock, made, armed, got, got && info.si_code == SI_TIMER,
           got ? info.si_value.sival_int : -1, wnow.tv_sec * 1000000000LL + wnow.tv_nsec >= at,
           taken_overrun);
    timer_delete(w);

    /* the process's clock, no sigevent: SIGALRM with the id as value (the
     * kernel's id: glibc's timer_t may encode it) */
    int p;
    made = syscall(SYS_timer_create, CLOCK_PROCESS_CPUTIME_ID, NULL, &p) == 0;
    long long pstart = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
    struct itimerspec rel = {{0, 0}, {0, 50 * MS}};
    syscall(SYS_timer_settime, p, 0, &rel, NULL);
    got = wait_for(SIGALRM, &info);
    int id_ok = got && info.si_value.sival_int == p;
    printf("process clock timer: made %d, SIGALRM %d, SI_TIMER %d, id as value %d, not early %d\n",
           made, got, got && info.si_code == SI_TIMER, id_ok,
           clock_ns(CLOCK_PROCESS_CPUTIME_ID) - pstart >= 50 * MS);
    /* disarmed: gettime says 0 and nothing comes */
    struct itimerspec zero = {{0, 0}, {0, 0}}, cur;
    syscall(SYS_timer_settime, p, 0, &rel, NULL);
    syscall(SYS_timer_settime, p, 0, &zero, NULL);
    syscall(SYS_timer_gettime, p, &cur);
    int silent = cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0;
    syscall(SYS_timer_delete, p);

    /* the CPU-time itimers: the process's, spent by the workers */
    int which[2] = {ITIMER_PROF, ITIMER_VIRTUAL}, sigs[2] = {SIGPROF, SIGVTALRM};
    const char *names[2] = {"ITIMER_PROF", "ITIMER_VIRTUAL"};
    for (int k = 0; k < 2; k++) {
        struct itimerval v = {{0, 20000}, {0, 40000}}, old, now;
        int set = setitimer(which[k], &v, NULL) == 0;
        getitimer(which[k], &now);
        /* Linux may say up to a tick more than was set */
        int left_ok = now.it_value.tv_sec == 0 && now.it_value.tv_usec > 0 &&
                      now.it_value.tv_usec <= 50000 && now.it_interval.tv_usec == 20000;
        int first = wait_for(sigs[k], &info);
        int code = first && info.si_code == SI_KERNEL;
        int second = wait_for(sigs[k], &info); /* the interval reloads it */
        struct itimerval off = {{0, 0}, {0, 0}};
        setitimer(which[k], &off, &old);
        int old_ok = old.it_interval.tv_usec == 20000 && old.it_value.tv_usec <= 30000;
        getitimer(which[k], &now);
        printf("%s: set %d, getitimer %d, signal %d, SI_KERNEL %d, again %d, old value %d, "
               "off %d\n",
               names[k], set, left_ok, first, code, second, old_ok,
               now.it_value.tv_sec == 0 && now.it_value.tv_usec == 0);
        /* one more may have been pending when it was disarmed */
        sigset_t pend;
        struct timespec none = {0, 0};
        sigemptyset(&pend);
        sigaddset(&pend, sigs[k]);
        sigtimedwait(&pend, &info, &none);
    }
    printf("disarmed process timer silent %d\n", silent);

    /* no such thread's clock */
    clockid_t bogus = (clockid_t)((~0x3ffffff0u << 3) | 6u); /* a tid's sched clock */
    errno = 0;
    timer_t none;
    printf("timer on no thread's clock: %d\n",
           timer_create(bogus, NULL, &none) == -1 && errno == EINVAL);

    stop_spinning = 1;
    for (int i = 0; i < WORKERS; i++)
        pthread_join(th[i], NULL);
    return 0;
}
