/* signalfd read by a thread other than main (on a cluster it runs on
 * node 1, where its own signals are queued while the fd table is the
 * master's): the thread blocks its signals and reads them from a
 * signalfd. A tgkill from main comes while the read waits; signals
 * queued before a read of two records come together, with their
 * values; a timer aimed at the thread (SIGEV_THREAD_ID) comes as
 * SI_TIMER with its value; readv takes records across its buffers; a
 * signal to the process that every thread
 * blocks comes to the waiting read; a signal with a handler (no
 * SA_RESTART) cuts a waiting read short with EINTR; a non-blocking
 * signalfd with nothing queued is EAGAIN, a buffer under one record
 * EINVAL. Only relations are printed. */
#include "guest.h"
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

static volatile int worker_tid, step;
static volatile sig_atomic_t handled;

static void on_winch(int sig) {
    (void)sig;
    handled++;
}

static void wait_step(int s) {
    while (step < s) {
        struct timespec t = {0, 1000000};
        nanosleep(&t, NULL);
    }
}

static void queue_to(int tid, int sig, int value) {
    siginfo_t si;
    memset(&si, 0, sizeof si);
    si.si_signo = sig;
    si.si_code = SI_QUEUE;
    si.si_pid = getpid();
    si.si_uid = getuid();
    si.si_value.sival_int = value;
    syscall(SYS_rt_tgsigqueueinfo, getpid(), tid, sig, &si);
}

static void *worker(void *arg) {
    (void)arg;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGUSR2);
    sigaddset(&set, SIGRTMIN);
    sigaddset(&set, SIGRTMIN + 1);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    int fd = signalfd(-1, &set, SFD_CLOEXEC);
    int nfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    struct signalfd_siginfo si[2];
    char small[64];
    errno = 0;
    ssize_t r = read(nfd, si, sizeof si);
    printf("nothing queued, non-blocking: EAGAIN %d\n", r == -1 && errno == EAGAIN);
    errno = 0;
    r = read(fd, small, sizeof small);
    printf("buffer under a record: EINVAL %d\n", r == -1 && errno == EINVAL);

    worker_tid = (int)syscall(SYS_gettid);
    /* main sends SIGUSR1 while this waits */
    r = read(fd, si, sizeof si[0]);
    printf("tgkill while waiting: one record %d, SIGUSR1 %d, SI_TKILL %d, pid %d\n",
           r == (ssize_t)sizeof si[0], si[0].ssi_signo == SIGUSR1, si[0].ssi_code == SI_TKILL,
           si[0].ssi_pid == (uint32_t)getpid());

    /* two queued before the read: both in one read, lowest first */
    queue_to(worker_tid, SIGRTMIN + 1, 22);
    queue_to(worker_tid, SIGRTMIN, 11);
    r = read(nfd, si, sizeof si);
    printf("two queued: two records %d, in order %d, SI_QUEUE %d, values %d\n",
           r == (ssize_t)sizeof si,
           si[0].ssi_signo == (uint32_t)SIGRTMIN && si[1].ssi_signo == (uint32_t)SIGRTMIN + 1,
           si[0].ssi_code == SI_QUEUE && si[1].ssi_code == SI_QUEUE,
           si[0].ssi_int == 11 && si[1].ssi_int == 22);

    /* the same through readv, the records across two buffers (standard
     * signals: qemu-aarch64 renumbers real-time ones only in a read) */
    queue_to(worker_tid, SIGUSR2, 44);
    queue_to(worker_tid, SIGUSR1, 33);
    char bytes[sizeof si];
    struct iovec iov[2] = {{bytes, 100}, {bytes + 100, sizeof bytes - 100}};
    r = readv(nfd, iov, 2);
    memcpy(si, bytes, sizeof si);
    printf("readv: two records %d, in order %d, values %d\n", r == (ssize_t)sizeof si,
           si[0].ssi_signo == SIGUSR1 && si[1].ssi_signo == SIGUSR2,
           si[0].ssi_int == 33 && si[1].ssi_int == 44);

    /* a timer of this thread's */
    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_THREAD_ID;
    ev.sigev_signo = SIGRTMIN;
    ev.sigev_value.sival_int = 33;
    ev._sigev_un._tid = worker_tid;
    timer_t tm;
    int made = timer_create(CLOCK_MONOTONIC, &ev, &tm) == 0;
    struct itimerspec once = {{0, 0}, {0, 20000000}};
    timer_settime(tm, 0, &once, NULL);
    r = read(fd, si, sizeof si[0]);
    printf("timer: made %d, one record %d, SIGRTMIN %d, SI_TIMER %d, value %d, overrun 0 %d\n",
           made, r == (ssize_t)sizeof si[0], si[0].ssi_signo == (uint32_t)SIGRTMIN,
           si[0].ssi_code == SI_TIMER, si[0].ssi_int == 33, si[0].ssi_overrun == 0);
    timer_delete(tm);

    /* the process's, blocked by every thread: main sends it while this waits */
    step = 1;
    r = read(fd, si, sizeof si[0]);
    printf("kill of the process: one record %d, SIGUSR2 %d, SI_USER %d\n",
           r == (ssize_t)sizeof si[0], si[0].ssi_signo == SIGUSR2, si[0].ssi_code == SI_USER);
    errno = 0;
    r = read(nfd, si, sizeof si);
    printf("then nothing: EAGAIN %d\n", r == -1 && errno == EAGAIN);

    /* main sends SIGWINCH, which has a handler, while this waits */
    step = 2;
    errno = 0;
    r = read(fd, si, sizeof si[0]);
    printf("a handler's signal while waiting: EINTR %d, handled %d\n", r == -1 && errno == EINTR,
           handled == 1);
    close(fd);
    close(nfd);
    return NULL;
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_winch;
    sigaction(SIGWINCH, &sa, NULL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    pthread_t t;
    pthread_create(&t, NULL, worker, NULL);
    while (!worker_tid) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    struct timespec later = {0, 50000000};
    nanosleep(&later, NULL);
    syscall(SYS_tgkill, getpid(), worker_tid, SIGUSR1);
    wait_step(1);
    nanosleep(&later, NULL);
    kill(getpid(), SIGUSR2);
    wait_step(2);
    nanosleep(&later, NULL);
    syscall(SYS_tgkill, getpid(), worker_tid, SIGWINCH);
    pthread_join(t, NULL);
    return 0;
}
