/* Real-time signals: sigqueue values, several instances of one signal
 * queued in order, the lowest number first, a standard signal merged,
 * and sigtimedwait timing out with EAGAIN and taking a queued value.
 * (glibc's own 32, SIGCANCEL, is exercised by threads_many.) */
#include "guest.h"
#include <errno.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

static volatile int seq[32], vals[32], n;
static void h(int sig, siginfo_t *si, void *uc) {
    if (n < 32) {
        seq[n] = sig;
        vals[n] = si->si_code == SI_QUEUE ? si->si_value.sival_int : -1;
        n++;
    }
}

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = h;
    sa.sa_flags = SA_SIGINFO;
    /* the handler blocks every RT signal, so they run one after another */
    sigemptyset(&sa.sa_mask);
    for (int s = SIGRTMIN; s <= SIGRTMIN + 4; s++)
        sigaddset(&sa.sa_mask, s);
    sigaddset(&sa.sa_mask, SIGUSR1);
    for (int s = SIGRTMIN; s <= SIGRTMIN + 4; s++)
        sigaction(s, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);

    sigset_t all, old;
    sigemptyset(&all);
    for (int s = SIGRTMIN; s <= SIGRTMIN + 4; s++)
        sigaddset(&all, s);
    sigaddset(&all, SIGUSR1);
    sigprocmask(SIG_BLOCK, &all, &old);
    for (int i = 0; i < 3; i++)
        sigqueue(getpid(), SIGRTMIN + 3, (union sigval){.sival_int = 30 + i});
    sigqueue(getpid(), SIGRTMIN + 1, (union sigval){.sival_int = 10});
    raise(SIGUSR1);
    raise(SIGUSR1);
    sigqueue(getpid(), SIGRTMIN + 1, (union sigval){.sival_int = 11});
    sigprocmask(SIG_SETMASK, &old, NULL);
    printf("delivered %d:", n);
    for (int i = 0; i < n; i++) {
        if (seq[i] == SIGUSR1)
            printf(" USR1");
        else
            printf(" RTMIN+%d(%d)", seq[i] - SIGRTMIN, vals[i]);
    }
    printf("\n");

    sigprocmask(SIG_BLOCK, &all, &old);
    struct timespec ts = {0, 5 * 1000 * 1000};
    siginfo_t si;
    errno = 0;
    int r = sigtimedwait(&all, &si, &ts);
    printf("sigtimedwait with nothing pending: %d EAGAIN %d\n", r, errno == EAGAIN);
    sigqueue(getpid(), SIGRTMIN + 2, (union sigval){.sival_int = 99});
    r = sigtimedwait(&all, &si, &ts);
    printf("sigtimedwait: RTMIN+%d value %d SI_QUEUE %d pid ok %d\n", r - SIGRTMIN,
           si.si_value.sival_int, si.si_code == SI_QUEUE, si.si_pid == getpid());
    sigprocmask(SIG_SETMASK, &old, NULL);

    G_DONE();
}
