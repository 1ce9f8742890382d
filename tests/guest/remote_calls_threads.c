/* Process-wide calls made from a second thread: in a cluster run
 * (round-robin) that thread is on node 1, so each call is delegated to
 * the master with its buffers shipped (their rows describe them) and
 * the outputs the call wrote taken back. xattrs (a size query first),
 * socketpair, signalfd, epoll_pwait/epoll_pwait2 with a signal mask
 * that lets a pending signal in, utimensat, itimers, POSIX timers
 * (one aimed at this thread: the master relays it) and timerfds,
 * getresuid/getresgid, waitid/wait4 on a child before and after it
 * exits (with and without status and rusage), sigqueue,
 * rt_tgsigqueueinfo and pidfd_send_signal with a siginfo, sendfile,
 * splice and copy_file_range with and without offsets, and POSIX
 * message queues. Prints no pids, ids, times or addresses: whether
 * each value is what it must be, outputs a call does not write left
 * alone. Works in the scratch directory the runner gives (cwd). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "call_check.h"
#include "guest.h"
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#ifndef sigev_notify_thread_id
#define sigev_notify_thread_id _sigev_un._tid
#endif

static volatile sig_atomic_t usr2_hits;
static void on_usr2(int sig) {
    (void)sig;
    usr2_hits++;
}

/* Rounded to whole seconds, for values that count down. */
static long secs(const struct timespec *ts) {
    return ts->tv_sec + (ts->tv_nsec >= 500000000);
}
static long secs_tv(const struct timeval *tv) {
    return tv->tv_sec + (tv->tv_usec >= 500000);
}

/* A value that counts down from want, shown as want while it is within
 * 5 seconds of it (a loaded machine may take a while between calls). */
static long about(long v, long want) {
    return v <= want && v > want - 5 ? want : v;
}

static void xattrs(void) {
    int fd = open("rc_xattr", O_CREAT | O_RDWR | O_TRUNC, 0644);
    CHECK(fd >= 0);
    CALL(setxattr("rc_xattr", "user.shoal", "remote value", 12, 0));
    printf("setxattr: %ld errno %d\n", rv, rv ? err : 0);
    if (rv) { /* no user xattrs on this filesystem: the same errno each time */
        close(fd);
        unlink("rc_xattr");
        return;
    }
    printf("fsetxattr: %ld\n", CALL(fsetxattr(fd, "user.other", "xy", 2, 0)));
    char buf[64];
    memset(buf, 0xAA, sizeof buf);
    long n = CALL(getxattr("rc_xattr", "user.shoal", NULL, 0));
    printf("getxattr size query: %ld\n", n);
    CALL(getxattr("rc_xattr", "user.shoal", buf, 0));
    printf("getxattr size 0 with a buffer: %ld untouched %d\n", rv,
           all_bytes(buf, sizeof buf, 0xAA));
    CALL(getxattr("rc_xattr", "user.shoal", buf, (size_t)n));
    printf("getxattr: %ld %.12s next untouched %d\n", rv, buf, (unsigned char)buf[12] == 0xAA);
    memset(buf, 0xAA, sizeof buf);
    CALL(fgetxattr(fd, "user.shoal", buf, sizeof buf));
    printf("fgetxattr big buffer: %ld %.12s rest untouched %d\n", rv, buf,
           all_bytes(buf + 12, sizeof buf - 12, 0xAA));
    memset(buf, 0xAA, sizeof buf);
    CALL(lgetxattr("rc_xattr", "user.shoal", buf, 5));
    printf("lgetxattr too small: %ld ERANGE %d untouched %d\n", rv, err == ERANGE,
           all_bytes(buf, sizeof buf, 0xAA));
    n = CALL(listxattr("rc_xattr", NULL, 0));
    printf("listxattr size query: %ld\n", n);
    memset(buf, 0xAA, sizeof buf);
    long m = CALL(llistxattr("rc_xattr", buf, sizeof buf));
    int shoal = 0, other = 0;
    for (char *p = buf; p < buf + (m > 0 ? m : 0); p += strlen(p) + 1) {
        shoal += !strcmp(p, "user.shoal");
        other += !strcmp(p, "user.other");
    }
    printf("llistxattr: same size %d shoal %d other %d next untouched %d\n", m == n, shoal, other,
           m > 0 && m < (long)sizeof buf && (unsigned char)buf[m] == 0xAA);
    memset(buf, 0xAA, sizeof buf);
    CALL(flistxattr(fd, buf, 0));
    printf("flistxattr size query with a buffer: %d untouched %d\n", rv == n,
           all_bytes(buf, sizeof buf, 0xAA));
    CALL(syscall(SYS_getxattr, "rc_xattr", "user.shoal", 16, 12));
    printf("getxattr to a bad pointer: %ld EFAULT %d\n", rv, err == EFAULT);
    long r1 = CALL(removexattr("rc_xattr", "user.shoal"));
    printf("removexattr: %ld %ld\n", r1, CALL(fremovexattr(fd, "user.other")));
    close(fd);
    unlink("rc_xattr");
}

static void sockets_and_signalfd(void) {
    int sv[2] = {-7, -7};
    CALL(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    printf("socketpair: %ld fds %d\n", rv, sv[0] >= 0 && sv[1] >= 0 && sv[0] != sv[1]);
    char b[8] = {0};
    long w = CALL(write(sv[0], "hello", 5));
    CALL(read(sv[1], b, sizeof b));
    printf("through it: %ld %ld %.5s\n", w, rv, b);
    close(sv[0]);
    close(sv[1]);
    CALL(syscall(SYS_socketpair, AF_UNIX, SOCK_STREAM, 0, 16));
    printf("socketpair to a bad pointer: %ld EFAULT %d\n", rv, err == EFAULT);

    sigset_t m;
    sigemptyset(&m);
    sigaddset(&m, SIGUSR1);
    int sf = (int)CALL(signalfd(-1, &m, SFD_NONBLOCK | SFD_CLOEXEC));
    struct signalfd_siginfo si;
    CALL(read(sf, &si, sizeof si));
    printf("signalfd: ok %d read with nothing pending %ld EAGAIN %d\n", sf >= 0, rv, err == EAGAIN);
    sigaddset(&m, SIGUSR2);
    printf("signalfd new mask: same fd %d\n", CALL(signalfd(sf, &m, 0)) == sf);
    CALL(syscall(SYS_signalfd4, -1, &m, 4, 0));
    printf("signalfd4 size 4: %ld EINVAL %d\n", rv, err == EINVAL);
    CALL(syscall(SYS_signalfd4, -1, 16, 8, 0));
    printf("signalfd4 bad mask: %ld EFAULT %d\n", rv, err == EFAULT);
    close(sf);
}

/* SIGUSR2 is blocked in this thread and pending: a mask without it lets
 * it in, and the wait ends with EINTR once the handler ran. */
static void epoll_masks(void) {
    int p[2];
    CHECK(pipe(p) == 0);
    int ep = epoll_create1(0);
    struct epoll_event e = {.events = EPOLLIN, .data.u64 = 0x0102030405060708ull}, ev[4];
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &e) == 0);
    CHECK(write(p[1], "x", 1) == 1);
    sigset_t none, usr2;
    sigemptyset(&none);
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    memset(ev, 0xAA, sizeof ev);
    CALL(epoll_pwait(ep, ev, 4, 1000, &usr2));
    printf("epoll_pwait ready: %ld data %llx\n", rv, (unsigned long long)ev[0].data.u64);
    struct timespec tmo = {0, 2000000};
    memset(ev, 0xAA, sizeof ev);
    CALL(syscall(SYS_epoll_pwait2, ep, ev, 4, &tmo, &usr2, 8));
    printf("epoll_pwait2 ready: %ld data %llx timeout left alone %d\n", rv,
           (unsigned long long)ev[0].data.u64, tmo.tv_sec == 0 && tmo.tv_nsec == 2000000);
    char c;
    CHECK(read(p[0], &c, 1) == 1);
    printf("epoll_pwait2 timed out: %ld\n",
           CALL(syscall(SYS_epoll_pwait2, ep, ev, 4, &tmo, NULL, 8)));

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr2;
    sigaction(SIGUSR2, &sa, NULL);
    pthread_sigmask(SIG_BLOCK, &usr2, NULL);
    usr2_hits = 0;
    syscall(SYS_tgkill, getpid(), gettid(), SIGUSR2);
    CALL(epoll_pwait(ep, ev, 4, 0, &usr2));
    printf("epoll_pwait, SIGUSR2 still blocked: %ld hits %d\n", rv, usr2_hits);
    CALL(epoll_pwait(ep, ev, 4, 5000, &none));
    printf("epoll_pwait letting SIGUSR2 in: %ld EINTR %d hits %d\n", rv, err == EINTR, usr2_hits);
    sigset_t now;
    pthread_sigmask(SIG_BLOCK, NULL, &now);
    printf("mask restored: %d\n", sigismember(&now, SIGUSR2));
    syscall(SYS_tgkill, getpid(), gettid(), SIGUSR2);
    struct timespec tmo5 = {5, 0};
    CALL(syscall(SYS_epoll_pwait2, ep, ev, 4, &tmo5, &none, 8));
    printf("epoll_pwait2 letting SIGUSR2 in: %ld EINTR %d hits %d\n", rv, err == EINTR, usr2_hits);
    CALL(syscall(SYS_epoll_pwait, ep, ev, 4, 0, &none, 4));
    printf("epoll_pwait mask size 4: %ld EINVAL %d\n", rv, err == EINVAL);
    close(ep);
    close(p[0]);
    close(p[1]);
}

static void utimes_test(void) {
    int fd = open("rc_times", O_CREAT | O_RDWR | O_TRUNC, 0644);
    CHECK(fd >= 0);
    struct timespec ts[2] = {{1000000000, 123}, {1500000000, 456789}};
    struct stat st;
    printf("utimensat: %ld\n", CALL(utimensat(AT_FDCWD, "rc_times", ts, 0)));
    stat("rc_times", &st);
    printf("times: %ld.%09ld %ld.%09ld\n", (long)st.st_atim.tv_sec, st.st_atim.tv_nsec,
           (long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    struct timespec omit[2] = {{0, UTIME_OMIT}, {1600000000, 1}};
    printf("utimensat UTIME_OMIT: %ld\n", CALL(utimensat(AT_FDCWD, "rc_times", omit, 0)));
    fstat(fd, &st);
    printf("times: %ld.%09ld %ld.%09ld\n", (long)st.st_atim.tv_sec, st.st_atim.tv_nsec,
           (long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    printf("futimens NULL (now): %ld\n", CALL(futimens(fd, NULL)));
    fstat(fd, &st);
    printf("now: %d\n", st.st_mtim.tv_sec > 1600000000 && st.st_atim.tv_sec > 1600000000);
    CALL(syscall(SYS_utimensat, AT_FDCWD, "rc_times", 16, 0));
    printf("utimensat bad times: %ld EFAULT %d\n", rv, err == EFAULT);
    close(fd);
    unlink("rc_times");
}

static void itimers(void) {
    struct itimerval v = {{0, 0}, {100, 0}}, old, cur;
    memset(&old, 0x55, sizeof old);
    CALL(setitimer(ITIMER_REAL, &v, &old));
    printf("setitimer: %ld old zero %d\n", rv, all_bytes(&old, sizeof old, 0));
    memset(&cur, 0x55, sizeof cur);
    CALL(getitimer(ITIMER_REAL, &cur));
    printf("getitimer: %ld value %ld interval %ld\n", rv, about(secs_tv(&cur.it_value), 100),
           secs_tv(&cur.it_interval));
    struct itimerval v2 = {{7, 0}, {200, 0}};
    memset(&old, 0x55, sizeof old);
    CALL(setitimer(ITIMER_REAL, &v2, &old));
    printf("setitimer again: %ld old value %ld\n", rv, about(secs_tv(&old.it_value), 100));
    getitimer(ITIMER_REAL, &cur);
    printf("getitimer: value %ld interval %ld\n", about(secs_tv(&cur.it_value), 200),
           secs_tv(&cur.it_interval));
    struct itimerval zero = {{0, 0}, {0, 0}};
    CALL(setitimer(ITIMER_REAL, &zero, &old));
    printf("setitimer off: %ld old interval %ld\n", rv, secs_tv(&old.it_interval));
    memset(&cur, 0x55, sizeof cur);
    getitimer(ITIMER_REAL, &cur);
    printf("getitimer off: %d\n", all_bytes(&cur, sizeof cur, 0));
    memset(&cur, 0x55, sizeof cur);
    CALL(getitimer(99, &cur));
    printf("getitimer bad which: %ld EINVAL %d untouched %d\n", rv, err == EINVAL,
           all_bytes(&cur, sizeof cur, 0x55));
    CALL(syscall(SYS_getitimer, ITIMER_REAL, 16));
    printf("getitimer bad pointer: %ld EFAULT %d\n", rv, err == EFAULT);
}

static void posix_timers(void) {
    struct sigevent sev;
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_NONE;
    timer_t id = (timer_t)(long)-99;
    CALL(timer_create(CLOCK_MONOTONIC, &sev, &id));
    printf("timer_create: %ld id set %d\n", rv, id != (timer_t)(long)-99);
    struct itimerspec its = {{0, 0}, {50, 0}}, old, cur;
    memset(&old, 0x55, sizeof old);
    CALL(timer_settime(id, 0, &its, &old));
    printf("timer_settime: %ld old zero %d\n", rv, all_bytes(&old, sizeof old, 0));
    memset(&cur, 0x55, sizeof cur);
    CALL(timer_gettime(id, &cur));
    printf("timer_gettime: %ld value %ld\n", rv, about(secs(&cur.it_value), 50));
    struct itimerspec its2 = {{3, 0}, {60, 0}};
    CALL(timer_settime(id, 0, &its2, &old));
    printf("timer_settime again: %ld old value %ld\n", rv, about(secs(&old.it_value), 50));
    timer_gettime(id, &cur);
    printf("timer_gettime: value %ld interval %ld\n", about(secs(&cur.it_value), 60),
           secs(&cur.it_interval));
    printf("timer_delete: %ld\n", CALL(timer_delete(id)));
    memset(&cur, 0x55, sizeof cur);
    CALL(timer_gettime(id, &cur));
    printf("timer_gettime deleted: %ld EINVAL %d untouched %d\n", rv, err == EINVAL,
           all_bytes(&cur, sizeof cur, 0x55));

    /* at this thread (SIGEV_THREAD_ID): expiries reach it wherever it runs */
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &usr1, NULL);
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_THREAD_ID;
    sev.sigev_signo = SIGUSR1;
    sev.sigev_value.sival_int = 77;
    sev.sigev_notify_thread_id = gettid();
    timer_t tid_timer;
    printf("timer_create at this thread: %ld\n",
           CALL(timer_create(CLOCK_MONOTONIC, &sev, &tid_timer)));
    struct itimerspec soon = {{0, 0}, {0, 5000000}};
    printf("timer_settime: %ld\n", CALL(timer_settime(tid_timer, 0, &soon, NULL)));
    siginfo_t si;
    struct timespec wait5 = {5, 0};
    int sig = sigtimedwait(&usr1, &si, &wait5);
    printf("expiry: SIGUSR1 %d SI_TIMER %d value %d\n", sig == SIGUSR1, si.si_code == SI_TIMER,
           si.si_value.sival_int);
    timer_gettime(tid_timer, &cur);
    printf("disarmed after it: %d\n", cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0);
    printf("timer_getoverrun: %ld\n", CALL(timer_getoverrun(tid_timer)));
    printf("timer_delete: %ld\n", CALL(timer_delete(tid_timer)));

    int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
    struct itimerspec t30 = {{0, 0}, {30, 0}};
    memset(&old, 0x55, sizeof old);
    CALL(timerfd_settime(tfd, 0, &t30, &old));
    printf("timerfd_settime: %ld old zero %d\n", rv, all_bytes(&old, sizeof old, 0));
    memset(&cur, 0x55, sizeof cur);
    CALL(timerfd_gettime(tfd, &cur));
    printf("timerfd_gettime: %ld value %ld\n", rv, about(secs(&cur.it_value), 30));
    struct itimerspec t1ms = {{0, 0}, {0, 1000000}};
    CALL(timerfd_settime(tfd, 0, &t1ms, &old));
    printf("timerfd_settime soon: %ld old value %ld\n", rv, about(secs(&old.it_value), 30));
    uint64_t exp = 0;
    CALL(read(tfd, &exp, sizeof exp));
    printf("timerfd read: %ld expirations %llu\n", rv, (unsigned long long)exp);
    CALL(syscall(SYS_timerfd_gettime, tfd, 16));
    printf("timerfd_gettime bad pointer: %ld EFAULT %d\n", rv, err == EFAULT);
    close(tfd);
}

static void ids(void) {
    uid_t r = 1, e = 1, s = 1;
    gid_t gr = 1, ge = 1, gs = 1;
    CALL(getresuid(&r, &e, &s));
    printf("getresuid: %ld real %d effective %d saved set %d\n", rv, r == getuid(), e == geteuid(),
           s != (uid_t)-1);
    CALL(getresgid(&gr, &ge, &gs));
    printf("getresgid: %ld real %d effective %d saved set %d\n", rv, gr == getgid(),
           ge == getegid(), gs != (gid_t)-1);
    CALL(syscall(SYS_getresuid, &r, &e, 16));
    printf("getresuid bad pointer: %ld EFAULT %d\n", rv, err == EFAULT);
}

static int sane_rusage(const struct rusage *ru) {
    return ru->ru_utime.tv_usec >= 0 && ru->ru_utime.tv_usec < 1000000 &&
           ru->ru_stime.tv_usec >= 0 && ru->ru_stime.tv_usec < 1000000 && ru->ru_maxrss > 0;
}

static void waits(void) {
    int go[2];
    CHECK(pipe(go) == 0);
    pid_t pid = fork();
    if (pid == 0) {
        char c;
        close(go[1]);
        _exit(read(go[0], &c, 1) == 1 ? 7 : 1);
    }
    close(go[0]);
    printf("fork: %d\n", pid > 0);
    /* not exited yet: no child reported; Linux leaves the outputs alone
     * but waitid's six fields of its siginfo (zeros here) */
    siginfo_t si;
    memset(&si, 0, 64);
    memset((char *)&si + 64, 0x5a, sizeof si - 64);
    struct rusage ru;
    memset(&ru, 0xff, sizeof ru);
    CALL(syscall(SYS_waitid, P_PID, pid, &si, WEXITED | WNOHANG, &ru));
    printf("waitid WNOHANG: %ld pid %d signo %d rest untouched %d rusage untouched %d\n", rv,
           si.si_pid, si.si_signo, all_bytes((char *)&si + 64, sizeof si - 64, 0x5a),
           all_bytes(&ru, sizeof ru, 0xff));
    int status = 0x5555;
    CALL(wait4(pid, &status, WNOHANG, &ru));
    printf("wait4 WNOHANG: %ld status untouched %d rusage untouched %d\n", rv, status == 0x5555,
           all_bytes(&ru, sizeof ru, 0xff));
    CHECK(write(go[1], "x", 1) == 1);
    close(go[1]);
    /* exited: reported and left to wait for (WNOWAIT) */
    memset(&si, 0, sizeof si);
    CALL(syscall(SYS_waitid, P_PID, pid, &si, WEXITED | WNOWAIT, &ru));
    printf("waitid: %ld SIGCHLD %d CLD_EXITED %d status %d pid %d rusage sane %d\n", rv,
           si.si_signo == SIGCHLD, si.si_code == CLD_EXITED, si.si_status, si.si_pid == pid,
           sane_rusage(&ru));
    memset(&ru, 0xff, sizeof ru);
    status = 0x5555;
    CALL(wait4(pid, &status, 0, &ru));
    printf("wait4: pid %d exited %d code %d rusage sane %d\n", rv == pid, WIFEXITED(status),
           WEXITSTATUS(status), sane_rusage(&ru));
    pid = fork();
    if (pid == 0) _exit(3);
    printf("wait4 without status or rusage: pid %d\n", CALL(wait4(pid, NULL, 0, NULL)) == pid);
    pid = fork();
    if (pid == 0) _exit(4);
    memset(&si, 0, sizeof si);
    CALL(waitid(P_PID, (id_t)pid, &si, WEXITED));
    printf("waitid without rusage: %ld status %d\n", rv, si.si_status);
    status = 0x5555;
    CALL(wait4(-1, &status, WNOHANG, NULL));
    printf("wait4 no children: %ld ECHILD %d status untouched %d\n", rv, err == ECHILD,
           status == 0x5555);
    /* Linux zeroes the six fields with ECHILD too */
    memset(&si, 0x5a, sizeof si);
    CALL(waitid(P_ALL, 0, &si, WEXITED | WNOHANG));
    printf("waitid no children: %ld ECHILD %d fields zeroed %d rest untouched %d\n", rv,
           err == ECHILD,
           si.si_signo == 0 && si.si_code == 0 && si.si_pid == 0 && si.si_status == 0,
           all_bytes((char *)&si + 32, sizeof si - 32, 0x5a));
}

static void queued_signals(void) {
    sigset_t rt;
    sigemptyset(&rt);
    sigaddset(&rt, SIGRTMIN);
    siginfo_t si;
    struct timespec wait5 = {5, 0};
    /* process-directed, blocked everywhere: held until taken here */
    printf("sigqueue: %ld\n", CALL(sigqueue(getpid(), SIGRTMIN, (union sigval){.sival_int = 42})));
    int sig = sigtimedwait(&rt, &si, &wait5);
    printf("taken: %d SI_QUEUE %d value %d\n", sig == SIGRTMIN, si.si_code == SI_QUEUE,
           si.si_value.sival_int);
    siginfo_t q;
    memset(&q, 0, sizeof q);
    q.si_signo = SIGRTMIN;
    q.si_code = SI_QUEUE;
    q.si_pid = getpid();
    q.si_uid = getuid();
    q.si_value.sival_int = 43;
    CALL(syscall(SYS_rt_tgsigqueueinfo, getpid(), gettid(), SIGRTMIN, &q));
    printf("rt_tgsigqueueinfo: %ld\n", rv);
    sig = sigtimedwait(&rt, &si, &wait5);
    printf("taken: %d SI_QUEUE %d value %d\n", sig == SIGRTMIN, si.si_code == SI_QUEUE,
           si.si_value.sival_int);
    q.si_value.sival_int = 44;
    int pfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
    CALL(syscall(SYS_pidfd_send_signal, pfd, SIGRTMIN, &q, 0));
    printf("pidfd_send_signal: %ld\n", rv);
    sig = sigtimedwait(&rt, &si, &wait5);
    printf("taken: %d SI_QUEUE %d value %d\n", sig == SIGRTMIN, si.si_code == SI_QUEUE,
           si.si_value.sival_int);
    close(pfd);
    CALL(syscall(SYS_rt_sigqueueinfo, getpid(), SIGRTMIN, 16));
    printf("rt_sigqueueinfo bad info: %ld EFAULT %d\n", rv, err == EFAULT);
}

static void file_moves(void) {
    int fd = open("rc_src", O_CREAT | O_RDWR | O_TRUNC, 0644);
    CHECK(fd >= 0);
    CHECK(write(fd, "0123456789abcdefghij", 20) == 20);
    lseek(fd, 0, SEEK_SET);
    int p[2];
    CHECK(pipe(p) == 0);
    char b[32];
    off_t off = 4;
    long n = CALL(sendfile(p[1], fd, &off, 6));
    long pos = lseek(fd, 0, SEEK_CUR);
    memset(b, 0, sizeof b);
    long got = read(p[0], b, sizeof b);
    printf("sendfile at an offset: %ld offset now %ld file offset %ld got %.*s\n", n, (long)off,
           pos, (int)got, b);
    n = CALL(sendfile(p[1], fd, NULL, 3));
    pos = lseek(fd, 0, SEEK_CUR);
    memset(b, 0, sizeof b);
    got = read(p[0], b, sizeof b);
    printf("sendfile at the file offset: %ld file offset %ld got %.*s\n", n, pos, (int)got, b);
    loff_t in = 10;
    n = CALL(splice(fd, &in, p[1], NULL, 5, 0));
    memset(b, 0, sizeof b);
    got = read(p[0], b, sizeof b);
    printf("splice at an offset: %ld offset now %lld got %.*s\n", n, (long long)in, (int)got, b);
    CHECK(write(p[1], "PIPE", 4) == 4);
    int out = open("rc_dst", O_CREAT | O_RDWR | O_TRUNC, 0644);
    loff_t o = 2;
    n = CALL(splice(p[0], NULL, out, &o, 4, 0));
    printf("splice to an offset: %ld offset now %lld file offset %ld\n", n, (long long)o,
           (long)lseek(out, 0, SEEK_CUR));
    loff_t ci = 15, co = 6;
    n = CALL(copy_file_range(fd, &ci, out, &co, 5, 0));
    printf("copy_file_range with offsets: %ld now %lld %lld\n", n, (long long)ci, (long long)co);
    lseek(fd, 0, SEEK_SET);
    lseek(out, 11, SEEK_SET);
    n = CALL(copy_file_range(fd, NULL, out, NULL, 3, 0));
    pos = lseek(fd, 0, SEEK_CUR);
    printf("copy_file_range at the file offsets: %ld now %ld %ld\n", n, pos,
           (long)lseek(out, 0, SEEK_CUR));
    memset(b, 0, sizeof b);
    n = pread(out, b, sizeof b, 0);
    for (long i = 0; i < n; i++)
        if (!b[i]) b[i] = '.';
    printf("destination: %ld %.*s\n", n, (int)n, b);
    ci = 40;
    co = 0;
    n = CALL(copy_file_range(fd, &ci, out, &co, 5, 0));
    printf("copy_file_range past the end: %ld offsets left %lld %lld\n", n, (long long)ci,
           (long long)co);
    off = 18;
    n = CALL(sendfile(p[1], fd, &off, 10));
    printf("sendfile near the end: %ld offset now %ld\n", n, (long)off);
    off = 40;
    n = CALL(sendfile(p[1], fd, &off, 10));
    printf("sendfile past the end: %ld offset now %ld\n", n, (long)off);
    CALL(sendfile(p[1], fd, (off_t *)16, 1));
    printf("sendfile bad offset: %ld EFAULT %d\n", rv, err == EFAULT);
    close(p[0]);
    close(p[1]);
    close(fd);
    close(out);
    unlink("rc_src");
    unlink("rc_dst");
}

static void message_queues(void) {
    char name[64];
    snprintf(name, sizeof name, "/shoal_rc_%d", (int)getpid());
    struct mq_attr attr = {.mq_maxmsg = 4, .mq_msgsize = 48}, got;
    mqd_t q = (mqd_t)CALL(mq_open(name, O_CREAT | O_EXCL | O_RDWR, 0600, &attr));
    printf("mq_open: ok %d errno %d\n", q != (mqd_t)-1, q == (mqd_t)-1 ? err : 0);
    if (q == (mqd_t)-1) return;
    memset(&got, 0x55, sizeof got);
    CALL(mq_getattr(q, &got));
    printf("mq_getattr: %ld maxmsg %ld msgsize %ld curmsgs %ld flags %ld\n", rv, got.mq_maxmsg,
           got.mq_msgsize, got.mq_curmsgs, got.mq_flags);
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += 5;
    long s1 = CALL(mq_timedsend(q, "low one", 7, 1, &dl));
    printf("mq_timedsend: %ld %ld\n", s1, CALL(mq_timedsend(q, "the high one", 12, 9, &dl)));
    printf("mq_send: %ld\n", CALL(mq_send(q, "mid", 3, 5)));
    char msg[64];
    unsigned prio = 12345;
    memset(msg, 0xAA, sizeof msg);
    long n = CALL(mq_timedreceive(q, msg, sizeof msg, &prio, &dl));
    printf("mq_timedreceive: %ld %.*s prio %u rest untouched %d\n", n, (int)n, msg, prio,
           all_bytes(msg + 12, sizeof msg - 12, 0xAA));
    memset(msg, 0xAA, sizeof msg);
    n = CALL(mq_receive(q, msg, sizeof msg, NULL));
    printf("mq_receive without prio: %ld %.*s\n", n, (int)n, msg);
    prio = 12345;
    n = CALL(mq_receive(q, msg, 10, &prio));
    printf("buffer below msgsize: %ld EMSGSIZE %d prio untouched %d\n", n, err == EMSGSIZE,
           prio == 12345);
    struct sigevent sev;
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_SIGNAL;
    sev.sigev_signo = SIGUSR1;
    printf("mq_notify: %ld\n", CALL(mq_notify(q, &sev)));
    CALL(mq_notify(q, &sev));
    printf("mq_notify again: %ld EBUSY %d\n", rv, err == EBUSY);
    printf("mq_notify off: %ld\n", CALL(mq_notify(q, NULL)));
    struct mq_attr nb = {.mq_flags = O_NONBLOCK}, old;
    memset(&old, 0x55, sizeof old);
    CALL(mq_setattr(q, &nb, &old));
    printf("mq_setattr: %ld old flags %ld curmsgs %ld\n", rv, old.mq_flags, old.mq_curmsgs);
    n = CALL(mq_receive(q, msg, sizeof msg, &prio));
    printf("mq_receive: %ld %.*s prio %u\n", n, n > 0 ? (int)n : 0, msg, prio);
    struct timespec past = {1, 0};
    n = CALL(mq_timedreceive(q, msg, sizeof msg, &prio, &past));
    printf("empty and nonblocking: %ld EAGAIN %d\n", n, err == EAGAIN);
    mq_getattr(q, &got);
    printf("flags nonblocking %d\n", (got.mq_flags & O_NONBLOCK) != 0);
    CALL(syscall(SYS_mq_getsetattr, q, NULL, 16));
    printf("mq_getsetattr bad old: %ld EFAULT %d\n", rv, err == EFAULT);
    mq_close(q);
    printf("mq_unlink: %ld\n", CALL(mq_unlink(name)));
    struct mq_attr bad = {.mq_maxmsg = 0, .mq_msgsize = 8};
    CALL(mq_open(name, O_CREAT | O_RDWR, 0600, &bad));
    printf("mq_open bad attr: %ld EINVAL %d\n", rv, err == EINVAL);
}

static void *worker(void *arg) {
    (void)arg;
    xattrs();
    sockets_and_signalfd();
    epoll_masks();
    utimes_test();
    itimers();
    posix_timers();
    ids();
    waits();
    queued_signals();
    file_moves();
    message_queues();
    return NULL;
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    /* blocked in every thread: sigqueue's signals wait for the worker */
    sigset_t rt;
    sigemptyset(&rt);
    sigaddset(&rt, SIGRTMIN);
    pthread_sigmask(SIG_BLOCK, &rt, NULL);
    pthread_t th;
    CHECK(pthread_create(&th, NULL, worker, NULL) == 0);
    CHECK(pthread_join(th, NULL) == 0);
    G_DONE();
}
