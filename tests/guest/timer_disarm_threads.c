/* A timer's signal that waits (blocked) when its timer is deleted or
 * re-armed: recent Linux drops it, older kernels deliver it. On a
 * cluster a timer aimed at a thread (SIGEV_THREAD_ID) is the master's
 * and its signals are relayed (timers on CPU-time clocks too), so the
 * node must drop the waiting one as the host would. Main first runs each
 * case with a timer of the process (SIGEV_SIGNAL, alone: the host
 * kernel's timer everywhere); then a worker (node 1) runs it with a
 * wall-clock timer aimed at itself and with one on its CPU-time clock,
 * and the program prints whether the worker's signals came as the
 * process's did: the host's behaviour, whichever it is; and so does a
 * process timer on the process's CPU-time clock, which is the master's
 * on a cluster too, its signal waiting in the master's kernel. Cases: the timer
 * fired, then deleted; fired, then re-armed for later; fired, re-armed,
 * fired again. */
#include "guest.h"
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/syscall.h>
#include <unistd.h>

#define SIG (SIGRTMIN + 1)
#define MS  1000000L

static volatile sig_atomic_t got;

static void on_timer(int sig, siginfo_t *si, void *uc) {
    (void)sig;
    (void)uc;
    if (si->si_code == SI_TIMER && si->si_value.sival_int == 77) got++;
}

static void sleep_ms(long ms) {
    struct timespec t = {0, ms * MS};
    while (nanosleep(&t, &t) != 0)
        ;
}

/* ms of the clock pass: sleeping, or spinning on a CPU-time clock */
static void pass(clockid_t clock, long ms) {
    if (clock == CLOCK_MONOTONIC) {
        sleep_ms(ms);
        return;
    }
    struct timespec a, b;
    clock_gettime(clock, &a);
    do
        clock_gettime(clock, &b);
    while ((b.tv_sec - a.tv_sec) * 1000000000L + (b.tv_nsec - a.tv_nsec) < ms * MS);
}

enum { DELETED, REARMED, FIRED_AGAIN, CASES };

/* The signals that come once the calling thread unblocks SIG, in one
 * case: a timer on `clock` (aimed at this thread, or at the process)
 * fired while SIG was blocked. */
static int run_case(clockid_t clock, bool thread, int c) {
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, SIG);
    pthread_sigmask(SIG_BLOCK, &one, NULL);
    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = thread ? SIGEV_THREAD_ID : SIGEV_SIGNAL;
    ev.sigev_signo = SIG;
    ev.sigev_value.sival_int = 77;
    ev._sigev_un._tid = (int)syscall(SYS_gettid);
    timer_t t;
    if (timer_create(clock, &ev, &t)) return -1;
    const struct itimerspec soon = {{0, 0}, {0, 1 * MS}}, later = {{0, 0}, {100, 0}};
    timer_settime(t, 0, &soon, NULL);
    pass(clock, 20); /* it fired: its signal waits */
    if (c == DELETED) {
        timer_delete(t);
    } else {
        timer_settime(t, 0, c == REARMED ? &later : &soon, NULL);
        if (c == FIRED_AGAIN) pass(clock, 20);
    }
    got = 0;
    pthread_sigmask(SIG_UNBLOCK, &one, NULL);
    sleep_ms(20); /* whatever was on its way has come */
    /* a re-armed timer that fired again signals once, on any kernel: a
     * loaded machine may relay it late */
    for (int i = 0; c == FIRED_AGAIN && !got && i < 5000; i++)
        sleep_ms(1);
    if (c != DELETED) timer_delete(t);
    return got;
}

static int process_got[CASES];

static void *worker(void *arg) {
    (void)arg;
    const char *name[CASES] = {"deleted", "re-armed", "fired again"};
    const clockid_t clocks[2] = {CLOCK_MONOTONIC, CLOCK_THREAD_CPUTIME_ID};
    const char *what[2] = {"wall-clock", "CPU-time"};
    for (int k = 0; k < 2; k++)
        for (int c = 0; c < CASES; c++)
            printf("worker's %s timer, %s: as the process's %d\n", what[k], name[c],
                   run_case(clocks[k], true, c) == process_got[c]);
    return NULL;
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_timer;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIG, &sa, NULL);
    for (int c = 0; c < CASES; c++)
        process_got[c] = run_case(CLOCK_MONOTONIC, false, c);
    printf("the process's timer: fired again comes once %d\n", process_got[FIRED_AGAIN] == 1);
    /* a timer of the process on its CPU-time clock (on a cluster, the
     * master's, whose signal waits in the master's kernel) */
    const char *name[CASES] = {"deleted", "re-armed", "fired again"};
    for (int c = 0; c < CASES; c++)
        printf("the process's CPU-time timer, %s: as its wall-clock one %d\n", name[c],
               run_case(CLOCK_PROCESS_CPUTIME_ID, false, c) == process_got[c]);
    pthread_t t;
    pthread_create(&t, NULL, worker, NULL);
    pthread_join(t, NULL);
    return 0;
}
