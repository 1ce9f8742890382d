/* sigpending from a thread other than main (on a cluster it runs on
 * node 1, while the process's signals wait in the master's kernel):
 * a signal to the process that every thread blocks is pending for each
 * of them as soon as kill has returned; a signal to one thread is
 * pending for it alone. Then the worker takes both with sigwaitinfo,
 * and nothing is pending for anyone. Only relations are printed. */
#include "guest.h"
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

static volatile int worker_tid, step;

static void wait_step(int s) {
    while (step < s) {
        struct timespec t = {0, 1000000};
        nanosleep(&t, NULL);
    }
}

static int pending(int sig) {
    sigset_t p;
    sigemptyset(&p);
    sigpending(&p);
    return sigismember(&p, sig);
}

static void *worker(void *arg) {
    (void)arg;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    worker_tid = (int)syscall(SYS_gettid);
    wait_step(1); /* main has sent both */
    printf("worker: the process's SIGUSR2 %d, its own SIGUSR1 %d\n", pending(SIGUSR2),
           pending(SIGUSR1));
    sigaddset(&set, SIGUSR2);
    siginfo_t si;
    int a = sigwaitinfo(&set, &si), b = sigwaitinfo(&set, &si);
    printf("worker took both: %d\n",
           (a == SIGUSR1 && b == SIGUSR2) || (a == SIGUSR2 && b == SIGUSR1));
    printf("worker: then nothing pending %d\n", !pending(SIGUSR1) && !pending(SIGUSR2));
    step = 2;
    return NULL;
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &set, NULL); /* the worker inherits it */
    pthread_t t;
    pthread_create(&t, NULL, worker, NULL);
    while (!worker_tid) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    kill(getpid(), SIGUSR2);
    syscall(SYS_tgkill, getpid(), worker_tid, SIGUSR1);
    printf("main: the process's SIGUSR2 %d, the worker's SIGUSR1 %d\n", pending(SIGUSR2),
           pending(SIGUSR1));
    step = 1;
    wait_step(2);
    printf("main: then nothing pending %d\n", !pending(SIGUSR2));
    pthread_join(t, NULL);
    return 0;
}
