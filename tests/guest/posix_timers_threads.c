/* POSIX timers and threads: SIGEV_THREAD_ID aimed at another thread
 * (which takes it in sigwaitinfo), and glibc's SIGEV_THREAD (a helper
 * thread it notifies with SIGEV_THREAD_ID and its SIGTIMER, 32, which
 * runs the callback). Only relations are printed. */
#include "guest.h"
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int waiter_tid, calls, last_value;

static void *waiter(void *arg) {
    (void)arg;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGRTMIN + 1);
    pthread_mutex_lock(&lock);
    waiter_tid = (int)syscall(SYS_gettid);
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&lock);
    siginfo_t si;
    int s = sigwaitinfo(&set, &si);
    printf("waiter: sig=%d code_is_SI_TIMER=%d value=%d\n", s == SIGRTMIN + 1,
           si.si_code == SI_TIMER, si.si_value.sival_int);
    return NULL;
}

static void callback(union sigval v) {
    pthread_mutex_lock(&lock);
    calls++;
    last_value = v.sival_int;
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&lock);
}

int main(void) {
    /* Blocked in every thread (inherited), so only sigwaitinfo takes it. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGRTMIN + 1);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    pthread_t th;
    pthread_create(&th, NULL, waiter, NULL);
    pthread_mutex_lock(&lock);
    while (!waiter_tid)
        pthread_cond_wait(&cond, &lock);
    pthread_mutex_unlock(&lock);

    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_THREAD_ID;
    ev.sigev_signo = SIGRTMIN + 1;
    ev.sigev_value.sival_int = 5;
    ev._sigev_un._tid = waiter_tid;
    timer_t id;
    CHECK(timer_create(CLOCK_MONOTONIC, &ev, &id) == 0);
    struct itimerspec its = {{0, 0}, {0, 2000000}};
    CHECK(timer_settime(id, 0, &its, NULL) == 0);
    pthread_join(th, NULL);
    CHECK(timer_delete(id) == 0);

    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_THREAD_ID;
    ev.sigev_signo = SIGRTMIN + 1;
    ev._sigev_un._tid = 999999; /* no such thread in this process */
    errno = 0;
    printf("thread-id of a stranger: %d EINVAL %d\n", timer_create(CLOCK_MONOTONIC, &ev, &id),
           errno == EINVAL);

    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_THREAD;
    ev.sigev_notify_function = callback;
    ev.sigev_value.sival_int = 11;
    CHECK(timer_create(CLOCK_MONOTONIC, &ev, &id) == 0);
    struct itimerspec periodic = {{0, 2000000}, {0, 2000000}};
    CHECK(timer_settime(id, 0, &periodic, NULL) == 0);
    pthread_mutex_lock(&lock);
    while (calls < 3)
        pthread_cond_wait(&cond, &lock);
    pthread_mutex_unlock(&lock);
    CHECK(timer_delete(id) == 0);
    printf("thread: callback ran 3+ times with value %d\n", last_value);
    G_DONE();
}
