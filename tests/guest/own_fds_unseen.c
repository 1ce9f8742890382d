/* Every fd that /proc/self/fd does not list is closed as far as the
 * program can tell: reading, writing, duplicating, seeking, polling it
 * (POLLNVAL; select's EBADF), watching it with epoll, mapping it, using
 * it as a directory, passing it to another process, copying it with
 * pidfd_getfd says EBADF, reopening it through /proc/self/fd ENOENT,
 * from the main thread and from threads (which a cluster places on
 * other nodes, whose calls on fds run on the master). A cluster node's
 * own fds (its links, its event loops, its userfaultfd:
 * syscall/own_fds.h) live in the same fd table; a guest that could read
 * one would take a frame or a page fault meant for the emulator, one
 * that could write to a link would corrupt its frames. */
#include "guest.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define THREADS 2
#define FD_MAX  256

static int ep, fds[2], sv[2], self_pidfd;
static char listed[FD_MAX];

/* Whether every way of using fd fails with EBADF. */
static int closed_to_all(int fd) {
    struct stat st;
    char c = 'x';
    int n, bad = 0;
    struct epoll_event ev = {.events = EPOLLIN};
    bad += fstat(fd, &st) != -1 || errno != EBADF;
    bad += read(fd, &c, 1) != -1 || errno != EBADF;
    bad += write(fd, &c, 1) != -1 || errno != EBADF;
    bad += fcntl(fd, F_GETFD) != -1 || errno != EBADF;
    bad += dup(fd) != -1 || errno != EBADF;
    bad += lseek(fd, 0, SEEK_CUR) != -1 || errno != EBADF;
    bad += ioctl(fd, FIONREAD, &n) != -1 || errno != EBADF;
    bad += recv(fd, &c, 1, MSG_DONTWAIT) != -1 || errno != EBADF;
    bad += epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != -1 || errno != EBADF;
    bad += mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0) != MAP_FAILED || errno != EBADF;
    bad += fchdir(fd) != -1 || errno != EBADF;
    bad += openat(fd, "x", O_RDONLY) != -1 || errno != EBADF;
    /* polled, it is invalid at once (the pipe's end beside it is
     * writable, so nothing waits however it goes) */
    struct pollfd p[2] = {{.fd = fd, .events = POLLIN | POLLOUT},
                          {.fd = fds[1], .events = POLLOUT}};
    bad += poll(p, 2, -1) != 2 || p[0].revents != POLLNVAL || p[1].revents != POLLOUT;
    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(fd, &rd);
    struct timeval now = {0, 0};
    bad += select(fd + 1, &rd, NULL, NULL, &now) != -1 || errno != EBADF;
    /* not passed to another process */
    union {
        struct cmsghdr h;
        char b[CMSG_SPACE(sizeof(int))];
    } ctl;
    struct iovec iov = {&c, 1};
    struct msghdr m = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b, .msg_controllen = sizeof ctl.b};
    struct cmsghdr *h = CMSG_FIRSTHDR(&m);
    h->cmsg_level = SOL_SOCKET;
    h->cmsg_type = SCM_RIGHTS;
    h->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(h), &fd, sizeof fd);
    bad += sendmsg(sv[0], &m, MSG_DONTWAIT) != -1 || errno != EBADF;
    /* nor copied from this process, nor reopened through /proc */
    bad += syscall(SYS_pidfd_getfd, self_pidfd, fd, 0) != -1 || errno != EBADF;
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    bad += open(path, O_RDONLY) != -1 || errno != ENOENT;
    return !bad;
}

/* Whether every fd from 3 below FD_MAX that is not listed is closed to
 * all. */
static int unlisted_closed(void) {
    int ok = 1;
    for (int fd = 3; fd < FD_MAX; fd++)
        if (!listed[fd]) ok &= closed_to_all(fd);
    return ok;
}

/* One thread probes at a time: a failed openat (a probe) holds the
 * lowest free fd number for a moment, and Linux's select, which checks
 * the numbers in use before it looks at the files, then takes that
 * number for an open fd (qemu-aarch64 shows it too). */
static pthread_mutex_t probing = PTHREAD_MUTEX_INITIALIZER;

/* Thread 0 first makes a timer aimed at itself: in a cluster the master
 * relays it from fds it makes now, which are its own too. */
static void *check(void *arg) {
    char c = (char)('a' + (long)arg);
    timer_t timer;
    struct sigevent sev = {.sigev_notify = SIGEV_THREAD_ID, .sigev_signo = SIGRTMIN};
    sev._sigev_un._tid = gettid(); /* sigev_notify_thread_id in newer glibc */
    int timed = !arg && timer_create(CLOCK_MONOTONIC, &sev, &timer) == 0;
    pthread_mutex_lock(&probing);
    int ok = unlisted_closed();
    pthread_mutex_unlock(&probing);
    ok &= write(fds[1], &c, 1) == 1; /* always: main reads a byte from each */
    if (timed) timer_delete(timer);
    return (void *)(long)(ok && (arg || timed));
}

int main(void) {
    ep = epoll_create1(EPOLL_CLOEXEC);
    self_pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
    if (ep < 0 || self_pidfd < 0 || pipe(fds) || socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) return 1;
    /* Linux's select ignores numbers past the fd table's size, which
     * depends on what the launcher had open: grow the table past
     * FD_MAX so that select sees every number probed (it never shrinks) */
    int high = fcntl(fds[0], F_DUPFD, FD_MAX);
    if (high < 0 || close(high)) return 1;
    DIR *d = opendir("/proc/self/fd");
    if (!d) return 1;
    for (struct dirent *e; (e = readdir(d));) {
        int fd = atoi(e->d_name);
        if (e->d_name[0] != '.' && fd < FD_MAX && fd != dirfd(d)) listed[fd] = 1;
    }
    closedir(d);
    printf("main thread: every unlisted fd is closed: %d\n", unlisted_closed());
    pthread_t th[THREADS];
    for (long i = 0; i < THREADS; i++)
        pthread_create(&th[i], NULL, check, (void *)i);
    for (int i = 0; i < THREADS; i++) {
        void *ok;
        pthread_join(th[i], &ok);
        printf("thread %d: every unlisted fd is closed, its pipe write went through: %ld\n", i,
               (long)ok);
    }
    char got[THREADS];
    printf("the pipe holds every thread's byte: %d\n",
           read(fds[0], got, THREADS) == THREADS && got[0] != got[1]);
    return 0;
}
