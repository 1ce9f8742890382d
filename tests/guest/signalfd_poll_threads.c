/* poll, select and epoll of a signalfd by a thread other than main (on a
 * cluster it runs on node 1, where its own signals are queued while the
 * fds are the master's). The thread blocks SIGUSR1 and SIGUSR2 and
 * makes a signalfd of SIGUSR1 alone. Its own SIGUSR1, queued before the
 * wait or sent by main while it waits, makes ppoll, pselect6 and
 * epoll_pwait report the fd readable (epoll with the data it was added
 * with, an epoll set holding that set, a one-shot entry reported once
 * until re-armed, an edge-triggered one once per signal), next to a
 * pipe that is
 * readable too or not; a pending SIGUSR2,
 * outside the fd's mask, does not; nothing pending is a timeout. A
 * signal to the process that every thread blocks is seen as well. Only
 * relations are printed. */
#include "guest.h"
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static volatile int worker_tid, step;

static void wait_step(int s) {
    while (step < s) {
        struct timespec t = {0, 1000000};
        nanosleep(&t, NULL);
    }
}

static void tkill_worker(int sig) {
    syscall(SYS_tgkill, getpid(), worker_tid, sig);
}

/* takes one SIGUSR1 record from fd: its signal and code */
static void take(int fd, const char *what) {
    struct signalfd_siginfo si;
    ssize_t n = read(fd, &si, sizeof si);
    printf("%s: read %s, signo %s, code %s\n", what, n == (ssize_t)sizeof si ? "one" : "other",
           si.ssi_signo == SIGUSR1 ? "USR1" : "other", si.ssi_code == SI_TKILL ? "tkill" : "other");
}

static int poll_fd(int fd, int pipe_rd, int ms, short *rev, short *pipe_rev) {
    struct pollfd p[2] = {{.fd = fd, .events = POLLIN}, {.fd = pipe_rd, .events = POLLIN}};
    int r = poll(p, 2, ms);
    *rev = p[0].revents;
    *pipe_rev = p[1].revents;
    return r;
}

static int select_fd(int fd, int pipe_rd, long ms, int *fd_set_, int *pipe_set) {
    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(fd, &rd);
    FD_SET(pipe_rd, &rd);
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    int r = select((fd > pipe_rd ? fd : pipe_rd) + 1, &rd, NULL, NULL, &tv);
    *fd_set_ = FD_ISSET(fd, &rd) != 0;
    *pipe_set = FD_ISSET(pipe_rd, &rd) != 0;
    return r;
}

static void *worker(void *arg) {
    int pipe_rd = ((int *)arg)[0], pipe_wr = ((int *)arg)[1];
    sigset_t set, usr1;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    int fd = signalfd(-1, &usr1, SFD_CLOEXEC);
    worker_tid = (int)syscall(SYS_gettid);
    short rev, prev;
    int fs, ps;

    /* nothing pending: a timeout */
    int r = poll_fd(fd, pipe_rd, 20, &rev, &prev);
    printf("poll, none: %d, fd %s\n", r, rev ? "ready" : "quiet");
    r = select_fd(fd, pipe_rd, 20, &fs, &ps);
    printf("select, none: %d, fd %s\n", r, fs ? "set" : "clear");

    /* SIGUSR2 pending, outside the mask: still nothing */
    tkill_worker(SIGUSR2);
    r = poll_fd(fd, pipe_rd, 0, &rev, &prev);
    printf("poll, USR2 pending: %d, fd %s\n", r, rev ? "ready" : "quiet");

    /* its own SIGUSR1 queued before the wait */
    tkill_worker(SIGUSR1);
    r = poll_fd(fd, pipe_rd, 5000, &rev, &prev);
    printf("poll, USR1 queued: %d, fd %s, pipe %s\n", r, rev == POLLIN ? "POLLIN" : "other",
           prev ? "ready" : "quiet");
    r = select_fd(fd, pipe_rd, 5000, &fs, &ps);
    printf("select, USR1 queued: %d, fd %s, pipe %s\n", r, fs ? "set" : "clear",
           ps ? "set" : "clear");
    /* and a readable pipe beside it: both count */
    (void)!write(pipe_wr, "x", 1);
    r = poll_fd(fd, pipe_rd, 5000, &rev, &prev);
    printf("poll, USR1 and pipe: %d, fd %s, pipe %s\n", r, rev == POLLIN ? "POLLIN" : "other",
           prev == POLLIN ? "POLLIN" : "other");
    r = select_fd(fd, pipe_rd, 5000, &fs, &ps);
    printf("select, USR1 and pipe: %d, fd %s, pipe %s\n", r, fs ? "set" : "clear",
           ps ? "set" : "clear");
    char c;
    (void)!read(pipe_rd, &c, 1);
    take(fd, "after poll");
    r = poll_fd(fd, pipe_rd, 0, &rev, &prev);
    printf("poll, taken: %d\n", r);

    /* epoll: the data it was added with */
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 0x5151000000abcdefull};
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    struct epoll_event pev = {.events = EPOLLIN, .data.u64 = 7};
    epoll_ctl(ep, EPOLL_CTL_ADD, pipe_rd, &pev);
    struct epoll_event got[4];
    r = epoll_wait(ep, got, 4, 20);
    printf("epoll, none: %d\n", r);
    tkill_worker(SIGUSR1);
    r = epoll_wait(ep, got, 4, 5000);
    printf("epoll, USR1 queued: %d, events %s, data %s\n", r,
           r == 1 && got[0].events == EPOLLIN ? "EPOLLIN" : "other",
           r == 1 && got[0].data.u64 == 0x5151000000abcdefull ? "kept" : "other");
    take(fd, "after epoll");
    /* an epoll set inside another, and polled itself */
    int outer = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event oev = {.events = EPOLLIN, .data.u64 = 99};
    epoll_ctl(outer, EPOLL_CTL_ADD, ep, &oev);
    r = epoll_wait(outer, got, 4, 20);
    printf("nested epoll, none: %d\n", r);
    tkill_worker(SIGUSR1);
    r = epoll_wait(outer, got, 4, 5000);
    printf("nested epoll, USR1 queued: %d, data %s\n", r,
           r == 1 && got[0].data.u64 == 99 ? "the inner set's" : "other");
    r = poll_fd(ep, pipe_rd, 5000, &rev, &prev);
    printf("poll of the epoll set, USR1 queued: %d, %s\n", r, rev == POLLIN ? "POLLIN" : "other");
    take(fd, "after nested epoll");
    close(outer);
    /* a one-shot entry: reported once, then nothing until re-armed */
    int once = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event one = {.events = EPOLLIN | EPOLLONESHOT, .data.u64 = 5};
    epoll_ctl(once, EPOLL_CTL_ADD, fd, &one);
    tkill_worker(SIGUSR1);
    r = epoll_wait(once, got, 4, 5000);
    int again = epoll_wait(once, got, 4, 20);
    epoll_ctl(once, EPOLL_CTL_MOD, fd, &one);
    int rearmed = epoll_wait(once, got, 4, 5000);
    printf("one-shot epoll: %d, then %d, re-armed %d\n", r, again, rearmed);
    take(fd, "after one-shot epoll");
    close(once);
    /* an edge-triggered entry: reported when the signal comes, not again
     * while it waits; taken and sent again, reported again */
    int edge = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event et = {.events = EPOLLIN | EPOLLET, .data.u64 = 6};
    epoll_ctl(edge, EPOLL_CTL_ADD, fd, &et);
    tkill_worker(SIGUSR1);
    r = epoll_wait(edge, got, 4, 5000);
    again = epoll_wait(edge, got, 4, 20);
    take(fd, "after edge-triggered epoll");
    tkill_worker(SIGUSR1);
    int next = epoll_wait(edge, got, 4, 5000);
    int then = epoll_wait(edge, got, 4, 20);
    printf("edge-triggered epoll: %d, then %d; sent again: %d, then %d\n", r, again, next, then);
    take(fd, "after edge-triggered epoll, sent again");
    close(edge);

    /* main sends SIGUSR1 while each wait sleeps */
    step = 1;
    r = poll_fd(fd, pipe_rd, 10000, &rev, &prev);
    printf("poll, USR1 while waiting: %d, fd %s\n", r, rev == POLLIN ? "POLLIN" : "other");
    take(fd, "after the wait in poll");
    step = 2;
    r = select_fd(fd, pipe_rd, 10000, &fs, &ps);
    printf("select, USR1 while waiting: %d, fd %s\n", r, fs ? "set" : "clear");
    take(fd, "after the wait in select");
    step = 3;
    r = epoll_wait(ep, got, 4, 10000);
    printf("epoll, USR1 while waiting: %d, data %s\n", r,
           r == 1 && got[0].data.u64 == 0x5151000000abcdefull ? "kept" : "other");
    take(fd, "after the wait in epoll");

    /* the process's SIGUSR1, which every thread blocks */
    step = 4;
    r = poll_fd(fd, pipe_rd, 10000, &rev, &prev);
    printf("poll, the process's USR1: %d, fd %s\n", r, rev == POLLIN ? "POLLIN" : "other");
    struct signalfd_siginfo si;
    r = (int)read(fd, &si, sizeof si);
    printf("the process's: %s, code %s\n",
           r == (int)sizeof si && si.ssi_signo == SIGUSR1 ? "USR1" : "other",
           si.ssi_code == SI_USER ? "user" : "other");

    /* SIGUSR2 is still pending: take it so nothing is left */
    sigset_t u2;
    sigemptyset(&u2);
    sigaddset(&u2, SIGUSR2);
    struct timespec now = {0, 0};
    printf("USR2 still pending: %s\n", sigtimedwait(&u2, NULL, &now) == SIGUSR2 ? "yes" : "no");
    close(ep);
    close(fd);
    return NULL;
}

int main(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    int p[2];
    if (pipe(p)) return 1;
    pthread_t th;
    pthread_create(&th, NULL, worker, p);
    for (int s = 1; s <= 3; s++) {
        wait_step(s);
        struct timespec t = {0, 50000000}; /* let the wait begin (either way, it must see it) */
        nanosleep(&t, NULL);
        tkill_worker(SIGUSR1);
    }
    wait_step(4);
    struct timespec t = {0, 50000000};
    nanosleep(&t, NULL);
    kill(getpid(), SIGUSR1);
    pthread_join(th, NULL);
    printf("done\n");
    return 0;
}
