/* Waiting for fds: epoll (struct epoll_event is 16 bytes on AArch64 and
 * packed 12 on x86-64: the data words must survive) on pipes and an
 * eventfd, epoll_pwait with a mask, timerfd expirations, select and
 * pselect, poll, signalfd. */

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

static void epoll_test(void) {
    int ep = epoll_create1(EPOLL_CLOEXEC);
    int p1[2], p2[2];
    if (pipe(p1) || pipe(p2)) return;
    int ev = eventfd(0, EFD_NONBLOCK);
    struct epoll_event e = {.events = EPOLLIN, .data.u64 = 0x1122334455667788ull};
    printf("ctl add p1=%d\n", epoll_ctl(ep, EPOLL_CTL_ADD, p1[0], &e));
    e.data.u64 = 0xa0a0b0b0c0c0d0d0ull;
    printf("ctl add p2=%d\n", epoll_ctl(ep, EPOLL_CTL_ADD, p2[0], &e));
    e.events = EPOLLIN | EPOLLET;
    e.data.u64 = 0xeeeeeeee00000001ull;
    printf("ctl add eventfd=%d\n", epoll_ctl(ep, EPOLL_CTL_ADD, ev, &e));
    printf("ctl add again: %s\n", epoll_ctl(ep, EPOLL_CTL_ADD, ev, &e) ? strerror(errno) : "?");
    struct epoll_event out[8];
    memset(out, 0x5a, sizeof out);
    printf("wait empty=%d\n", epoll_wait(ep, out, 8, 0));
    write(p2[1], "x", 1);
    uint64_t one = 5;
    write(ev, &one, sizeof one);
    int n = epoll_wait(ep, out, 8, 1000);
    uint64_t seen = 0;
    for (int i = 0; i < n; i++)
        seen ^= out[i].data.u64 * (out[i].events == EPOLLIN ? 3 : 1);
    printf("wait=%d xor=%016llx\n", n, (unsigned long long)seen);
    /* edge-triggered: no new event until new data */
    n = epoll_wait(ep, out, 8, 0);
    printf("again=%d (pipe still readable, eventfd edge consumed)\n", n);
    e.events = EPOLLOUT;
    e.data.u64 = 77;
    printf("ctl mod p2=%d\n", epoll_ctl(ep, EPOLL_CTL_MOD, p2[0], &e));
    printf("ctl del p1=%d\n", epoll_ctl(ep, EPOLL_CTL_DEL, p1[0], NULL));
    sigset_t mask;
    sigemptyset(&mask);
    n = epoll_pwait(ep, out, 1, 0, &mask);
    printf("pwait maxevents 1=%d\n", n);
    printf("bad maxevents: %s\n", epoll_wait(ep, out, 0, 0) ? strerror(errno) : "?");
    struct epoll_event *volatile badp = (struct epoll_event *)8;
    printf("bad buffer: %s\n", epoll_wait(ep, badp, 4, 0) ? strerror(errno) : "?");
    uint64_t cnt = 0;
    printf("eventfd read=%zd value=%llu\n", read(ev, &cnt, sizeof cnt), (unsigned long long)cnt);
    printf("eventfd empty: %s\n", read(ev, &cnt, sizeof cnt) < 0 ? strerror(errno) : "?");
    close(ep);
    close(ev);
    close(p1[0]), close(p1[1]), close(p2[0]), close(p2[1]);
}

static void timerfd_test(void) {
    int tf = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
    struct itimerspec its = {.it_interval = {0, 5000000}, .it_value = {0, 5000000}}, cur;
    printf("settime=%d\n", timerfd_settime(tf, 0, &its, NULL));
    timerfd_gettime(tf, &cur);
    printf("gettime interval=%ldns armed=%d\n", cur.it_interval.tv_nsec,
           cur.it_value.tv_sec > 0 || cur.it_value.tv_nsec > 0);
    uint64_t total = 0, x;
    int reads = 0;
    while (total < 4) {
        if (read(tf, &x, sizeof x) != sizeof x) break;
        total += x;
        reads++;
    }
    printf("expirations>=4: %d\n", total >= 4);
    struct itimerspec off = {{0, 0}, {0, 0}}, old;
    timerfd_settime(tf, 0, &off, &old);
    printf("disarmed, old interval=%ldns\n", old.it_interval.tv_nsec);
    /* absolute one-shot in the past: expires at once */
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    struct itimerspec abs = {{0, 0}, now};
    timerfd_settime(tf, TFD_TIMER_ABSTIME, &abs, NULL);
    printf("abs read=%zd count=%llu\n", read(tf, &x, sizeof x), (unsigned long long)x);
    printf("bad fd: %s\n", timerfd_settime(0, 0, &its, NULL) ? strerror(errno) : "?");
    close(tf);
}

static void select_test(void) {
    int p[2];
    if (pipe(p)) return;
    fd_set r, w;
    FD_ZERO(&r);
    FD_ZERO(&w);
    FD_SET(p[0], &r);
    FD_SET(p[1], &w);
    struct timeval tv = {0, 0};
    int n = select(p[1] + 1, &r, &w, NULL, &tv);
    printf("select=%d r=%d w=%d\n", n, FD_ISSET(p[0], &r), FD_ISSET(p[1], &w));
    write(p[1], "abc", 3);
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    struct timespec ts = {1, 0};
    sigset_t mask;
    sigemptyset(&mask);
    n = pselect(p[0] + 1, &r, NULL, NULL, &ts, &mask);
    printf("pselect=%d r=%d\n", n, FD_ISSET(p[0], &r));
    tv = (struct timeval){0, 20000};
    FD_ZERO(&r);
    n = select(0, NULL, NULL, NULL, &tv);
    printf("select timeout=%d tv=%ld.%06ld\n", n, (long)tv.tv_sec, (long)tv.tv_usec);
    struct pollfd pf[2] = {{p[0], POLLIN, 0}, {p[1], POLLOUT, 0}};
    n = poll(pf, 2, 100);
    printf("poll=%d revents=%x %x\n", n, pf[0].revents, pf[1].revents);
    close(p[1]);
    char b[4];
    read(p[0], b, 3);
    n = poll(pf, 1, 100);
    printf("poll hup=%d revents=%x\n", n, pf[0].revents);
    printf("select bad set: %s\n",
           select(4, (fd_set *)8, NULL, NULL, &tv) < 0 ? strerror(errno) : "?");
    close(p[0]);
}

static void signalfd_test(void) {
    sigset_t m;
    sigemptyset(&m);
    sigaddset(&m, SIGUSR1);
    sigprocmask(SIG_BLOCK, &m, NULL);
    int sf = signalfd(-1, &m, SFD_CLOEXEC);
    raise(SIGUSR1);
    struct signalfd_siginfo si;
    ssize_t n = read(sf, &si, sizeof si);
    printf("signalfd read=%zd signo=%u code-user=%d\n", n, si.ssi_signo, si.ssi_code == SI_TKILL);
    close(sf);
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    epoll_test();
    timerfd_test();
    select_test();
    signalfd_test();
    return 0;
}
