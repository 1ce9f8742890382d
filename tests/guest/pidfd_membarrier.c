/* pidfd_open / pidfd_send_signal (with and without a siginfo) /
 * pidfd_getfd on this process, and membarrier (query, the private
 * expedited commands and their registration, with other threads
 * running). */
#include "guest.h"
#include <errno.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

static volatile sig_atomic_t got;
static volatile int got_code, got_value;
static void on_usr1(int sig, siginfo_t *si, void *uc) {
    (void)uc;
    got = sig;
    got_code = si->si_code;
    got_value = si->si_value.sival_int;
}

static void pidfds(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_usr1;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);
    int pfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
    printf("pidfd_open: ok %d\n", pfd >= 0);
    got = 0;
    printf("pidfd_send_signal: %ld\n", syscall(SYS_pidfd_send_signal, pfd, SIGUSR1, NULL, 0));
    while (!got)
        ;
    printf("got USR1 code SI_USER %d\n", got_code == SI_USER);
    siginfo_t si;
    memset(&si, 0, sizeof si);
    si.si_signo = SIGUSR1;
    si.si_code = SI_QUEUE;
    si.si_pid = getpid();
    si.si_uid = getuid();
    si.si_value.sival_int = 9;
    got = 0;
    printf("pidfd_send_signal with info: %ld\n",
           syscall(SYS_pidfd_send_signal, pfd, SIGUSR1, &si, 0));
    while (!got)
        ;
    printf("got USR1 code SI_QUEUE %d value %d\n", got_code == SI_QUEUE, got_value);
    errno = 0;
    printf("bad flags: %ld EINVAL %d\n",
           syscall(SYS_pidfd_send_signal, pfd, SIGUSR1, NULL, 1 << 10), errno == EINVAL);
    int p[2];
    CHECK(pipe(p) == 0);
    int dup = (int)syscall(SYS_pidfd_getfd, pfd, p[1], 0);
    printf("pidfd_getfd: ok %d\n", dup >= 0 && dup != p[1]);
    CHECK(write(dup, "x", 1) == 1);
    char c = 0;
    printf("same pipe: %zd %c\n", read(p[0], &c, 1), c);
    errno = 0;
    printf("pidfd_getfd of a closed fd: %ld EBADF %d\n", syscall(SYS_pidfd_getfd, pfd, 999, 0),
           errno == EBADF);
    errno = 0;
    printf("pidfd_open of no process: %ld ESRCH %d\n", syscall(SYS_pidfd_open, 0x3ffffff, 0),
           errno == ESRCH);
    close(dup);
    close(p[0]);
    close(p[1]);
    close(pfd);
}

static volatile int stop;
static void *spin(void *arg) {
    (void)arg;
    while (!stop)
        ;
    return NULL;
}

static void barriers(void) {
    pthread_t th[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&th[i], NULL, spin, NULL);
    long q = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
    printf("membarrier query: private_expedited %d register %d global %d\n",
           !!(q & MEMBARRIER_CMD_PRIVATE_EXPEDITED),
           !!(q & MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED), !!(q & MEMBARRIER_CMD_GLOBAL));
    errno = 0;
    printf("private expedited unregistered: %ld EPERM %d\n",
           syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0), errno == EPERM);
    printf("register: %ld\n",
           syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0));
    printf("private expedited: %ld\n",
           syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0));
    printf("global: %ld\n", syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0));
    errno = 0;
    printf("unknown command: %ld EINVAL %d\n", syscall(SYS_membarrier, 1 << 20, 0, 0),
           errno == EINVAL);
    stop = 1;
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
}

int main(void) {
    pidfds();
    barriers();
    G_DONE();
}
