/* File syscalls with multi-page, unaligned buffers, made from a second
 * thread: in a cluster run (round-robin) that thread is on node 1, so
 * every call is delegated and its buffers are shipped whole (and taken
 * back) instead of read through the DSM; a 9 MiB buffer is larger than
 * what a call ships and takes the DSM path. Checks that a short read
 * leaves the rest of the buffer alone, EFAULT for bad pointers, and
 * ppoll's pollfd array shipped with its revents taken back,
 * epoll_wait's events, select's sets, sendmsg/recvmsg with an fd in
 * the control data, ioctls, and sendmmsg/recvmmsg. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "guest.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/times.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

static char dir[256];

static char *P(const char *name) {
    static char b[4][400];
    static int k;
    k = (k + 1) & 3;
    snprintf(b[k], sizeof b[k], "%s/%s", dir, name);
    return b[k];
}

static void fill(unsigned char *p, size_t n, uint64_t seed) {
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(g_rand(&seed) >> 56);
}

static int cmpstr(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list_dir(void) {
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    /* a buffer over two pages, unaligned */
    char *buf = malloc(8192 + 64) + 7, *names[16];
    int n = 0;
    long r;
    while ((r = syscall(SYS_getdents64, fd, buf, 8192)) > 0)
        for (long off = 0; off < r;) {
            struct {
                uint64_t ino;
                int64_t off;
                unsigned short reclen;
                unsigned char type;
                char name[];
            } *d = (void *)(buf + off);
            if (strcmp(d->name, ".") && strcmp(d->name, "..") && n < 16)
                names[n++] = strdup(d->name);
            off += d->reclen;
        }
    close(fd);
    qsort(names, n, sizeof *names, cmpstr);
    printf("dir:");
    for (int i = 0; i < n; i++)
        printf(" %s", names[i]);
    printf("\n");
}

static void *io(void *arg) {
    (void)arg;
    const char *t = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/shoal-remoteio-XXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(dir)) return printf("mkdtemp failed\n"), NULL;
    const size_t big = 200 * 1024 + 123;
    unsigned char *src = malloc(big + 16) + 3, *dst = malloc(big + 4096 + 16) + 5;
    fill(src, big, 1);
    int fd = open(P("data"), O_CREAT | O_RDWR | O_TRUNC, 0640);
    printf("write: %ld\n", (long)write(fd, src, big));
    unsigned char patch[5000];
    fill(patch, sizeof patch, 2);
    memcpy(src + 1000, patch, sizeof patch);
    printf("pwrite: %ld\n", (long)pwrite(fd, patch, sizeof patch, 1000));
    struct iovec wv[3] = {{src, 0}, {(char *)"tail-one;", 9}, {(char *)"tail-two", 8}};
    lseek(fd, 0, SEEK_END);
    printf("writev: %ld\n", (long)writev(fd, wv, 3));

    struct stat st;
    fstat(fd, &st);
    printf("fstat size %ld\n", (long)st.st_size);
    stat(P("data"), &st);
    printf("stat size %ld mode %o\n", (long)st.st_size, st.st_mode & 0777);
    struct statx sx;
    printf("statx: %d size %llu\n", statx(AT_FDCWD, P("data"), 0, STATX_SIZE, &sx),
           (unsigned long long)sx.stx_size);

    /* a read with room to spare: only the bytes read may change */
    lseek(fd, 0, SEEK_SET);
    memset(dst, 0xAA, big + 4096);
    long r = read(fd, dst, big + 4096);
    int untouched = 1;
    for (size_t i = (size_t)r; i < big + 4096; i++)
        untouched &= dst[i] == 0xAA;
    printf("read: %ld, same as written %d, rest untouched %d, tail %.17s\n", r,
           !memcmp(dst, src, big), untouched, (char *)dst + big);
    memset(dst, 0, big);
    printf("pread: %ld same %d\n", (long)pread(fd, dst, 7000, 333), !memcmp(dst, src + 333, 7000));
    unsigned char a[3000], b[6000];
    struct iovec rv[3] = {{a, sizeof a}, {dst, 0}, {b, sizeof b}};
    lseek(fd, 4000, SEEK_SET);
    printf("readv: %ld same %d %d\n", (long)readv(fd, rv, 3), !memcmp(a, src + 4000, sizeof a),
           !memcmp(b, src + 7000, sizeof b));

    /* larger than one call ships: the DSM path */
    size_t huge = 9u << 20;
    unsigned char *h = malloc(huge), *h2 = malloc(huge);
    fill(h, huge, 3);
    int fd2 = open(P("huge"), O_CREAT | O_RDWR | O_TRUNC, 0600);
    printf("huge write: %ld\n", (long)write(fd2, h, huge));
    printf("huge pread: %ld same %d\n", (long)pread(fd2, h2, huge, 0), !memcmp(h, h2, huge));
    close(fd2);

    printf("read to a bad pointer: %ld errno %d\n", syscall(SYS_read, fd, (void *)16, 10), errno);
    printf("write from a bad pointer: %ld errno %d\n", syscall(SYS_write, fd, (void *)16, 10),
           errno);
    close(fd);

    symlink("target-name", P("link"));
    char lbuf[64];
    memset(lbuf, 0, sizeof lbuf);
    printf("readlink: %ld %s\n", (long)readlink(P("link"), lbuf, sizeof lbuf), lbuf);
    list_dir();

    char cwd[512], old[512];
    getcwd(old, sizeof old);
    chdir(dir);
    printf("getcwd is the dir: %d\n", getcwd(cwd, sizeof cwd) && !strcmp(cwd, dir));
    chdir(old);

    int p[2];
    printf("pipe2: %d\n", pipe2(p, O_CLOEXEC));
    write(p[1], "through the pipe", 16);
    char pb[32] = {0};
    printf("pipe read: %ld %s\n", (long)read(p[0], pb, sizeof pb), pb);
    close(p[0]);
    close(p[1]);
    struct statfs sf;
    printf("statfs ok %d\n", statfs(dir, &sf) == 0 && sf.f_bsize > 0);

    /* datagrams: bind's and sendto's addresses and data in, recvfrom's
     * data out (a short buffer: the rest of the datagram is dropped) */
    struct sockaddr_un un = {.sun_family = AF_UNIX};
    snprintf(un.sun_path, sizeof un.sun_path, "%s", P("sock"));
    int rx = socket(AF_UNIX, SOCK_DGRAM, 0), tx = socket(AF_UNIX, SOCK_DGRAM, 0);
    printf("bind: %d\n", bind(rx, (struct sockaddr *)&un, sizeof un));
    struct sockaddr_un got_un;
    memset(&got_un, 0xAA, sizeof got_un);
    socklen_t ulen = sizeof got_un;
    printf("getsockname: %d len ok %d path ok %d\n",
           getsockname(rx, (struct sockaddr *)&got_un, &ulen),
           ulen == offsetof(struct sockaddr_un, sun_path) + strlen(un.sun_path) + 1,
           !strcmp(got_un.sun_path, un.sun_path));
    /* a stream listener: accept's address and the peer's name come back */
    struct sockaddr_un ln = {.sun_family = AF_UNIX};
    snprintf(ln.sun_path, sizeof ln.sun_path, "%s", P("lsock"));
    int ls = socket(AF_UNIX, SOCK_STREAM, 0), cs = socket(AF_UNIX, SOCK_STREAM, 0);
    printf("listen: %d %d\n", bind(ls, (struct sockaddr *)&ln, sizeof ln), listen(ls, 1));
    printf("connect: %d\n", connect(cs, (struct sockaddr *)&ln, sizeof ln));
    memset(&got_un, 0xAA, sizeof got_un);
    ulen = sizeof got_un;
    int as = accept(ls, (struct sockaddr *)&got_un, &ulen);
    printf("accept: %d len %u family %d\n", as >= 0, (unsigned)ulen, got_un.sun_family);
    memset(&got_un, 0xAA, sizeof got_un);
    ulen = sizeof got_un;
    printf("getpeername: %d path ok %d\n", getpeername(cs, (struct sockaddr *)&got_un, &ulen),
           !strcmp(got_un.sun_path, ln.sun_path));
    close(as);
    close(cs);
    close(ls);
    unlink(P("lsock"));
    printf("sendto: %ld\n", (long)sendto(tx, src, 3000, 0, (struct sockaddr *)&un, sizeof un));
    printf("sendto: %ld\n", (long)sendto(tx, src + 5, 3000, 0, (struct sockaddr *)&un, sizeof un));
    memset(dst, 0xAA, 8192);
    r = recvfrom(rx, dst, 8192, 0, NULL, NULL);
    printf("recvfrom: %ld same %d rest untouched %d\n", r, !memcmp(dst, src, 3000),
           dst[3000] == 0xAA && dst[8191] == 0xAA);
    r = recvfrom(rx, dst, 100, 0, NULL, NULL);
    printf("recvfrom short: %ld same %d next untouched %d\n", r, !memcmp(dst, src + 5, 100),
           dst[100] == src[100]);
    close(rx);
    close(tx);

    /* ppoll: the pollfd array goes with the call and its revents come
     * back (all of them, a stale one cleared too; the fds untouched) */
    int pp[2];
    if (pipe(pp)) return NULL;
    printf("write: %ld\n", (long)write(pp[1], "x", 1));
    struct pollfd pf[4] = {
        {pp[0], POLLIN, 0x777}, {pp[1], POLLOUT, 0}, {-1, POLLIN, 0x555}, {9999, POLLIN, 0}};
    r = poll(pf, 4, 0);
    printf("poll: %ld revents %x %x %x %x fds %d %d\n", r, pf[0].revents, pf[1].revents,
           pf[2].revents, pf[3].revents, pf[2].fd, pf[3].fd);
    printf("read: %ld\n", (long)read(pp[0], dst, 1));
    pf[0].revents = 0x777;
    r = poll(pf, 1, 10);
    printf("poll timed out: %ld revents %x fd same %d\n", r, pf[0].revents, pf[0].fd == pp[0]);
    /* epoll_wait: the events come back (their data words whole), the
     * entries past them untouched */
    int ep = epoll_create1(0);
    struct epoll_event e = {.events = EPOLLIN, .data.u64 = 0x1122334455667788ull}, ev[4];
    printf("epoll_ctl: %d\n", epoll_ctl(ep, EPOLL_CTL_ADD, pp[0], &e));
    printf("write: %ld\n", (long)write(pp[1], "y", 1));
    memset(ev, 0xAA, sizeof ev);
    r = epoll_wait(ep, ev, 4, 0);
    printf("epoll_wait: %ld events %x data %llx next untouched %d\n", r, ev[0].events,
           (unsigned long long)ev[0].data.u64, ((unsigned char *)&ev[1])[0] == 0xAA);
    close(ep);
    /* select (pselect6): the sets come back with what is ready */
    fd_set rs, ws, es;
    FD_ZERO(&rs);
    FD_ZERO(&ws);
    FD_ZERO(&es);
    FD_SET(pp[0], &rs);
    FD_SET(pp[1], &rs);
    FD_SET(pp[1], &ws);
    FD_SET(pp[0], &es);
    struct timeval tv = {0, 0};
    r = select(pp[1] + 1, &rs, &ws, &es, &tv);
    printf("select: %ld read %d %d write %d except %d\n", r, FD_ISSET(pp[0], &rs),
           FD_ISSET(pp[1], &rs), FD_ISSET(pp[1], &ws), FD_ISSET(pp[0], &es));
    /* sendmsg / recvmsg: two iovecs each way, an fd passed in the control
     * data, the header's name length and flags written back */
    int sv[2];
    printf("socketpair: %d\n", socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
    int sndbuf = 65536, got = 0;
    socklen_t gotlen = sizeof got;
    printf("setsockopt: %d\n", setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf));
    printf("getsockopt: %d doubled %d\n", getsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &got, &gotlen),
           got == 2 * sndbuf && gotlen == sizeof got);
    char m1[] = "hello ", m2[] = "msghdr";
    struct iovec siov[2] = {{m1, 6}, {m2, 6}};
    union {
        struct cmsghdr h;
        char b[CMSG_SPACE(sizeof(int))];
    } sc, rc;
    memset(&sc, 0, sizeof sc);
    struct msghdr sm = {
        .msg_iov = siov, .msg_iovlen = 2, .msg_control = sc.b, .msg_controllen = sizeof sc.b};
    struct cmsghdr *c = CMSG_FIRSTHDR(&sm);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &pp[1], sizeof(int));
    printf("sendmsg: %ld\n", (long)sendmsg(sv[0], &sm, 0));
    char r1[4], r2[16];
    memset(r1, '.', sizeof r1);
    memset(r2, '.', sizeof r2);
    memset(&rc, 0xAA, sizeof rc);
    struct iovec riov[2] = {{r1, 4}, {r2, 16}};
    struct sockaddr_un from;
    memset(&from, 0xAA, sizeof from);
    struct msghdr rm = {.msg_name = &from,
                        .msg_namelen = sizeof from,
                        .msg_iov = riov,
                        .msg_iovlen = 2,
                        .msg_control = rc.b,
                        .msg_controllen = sizeof rc.b,
                        .msg_flags = 0x7777};
    r = recvmsg(sv[1], &rm, 0);
    struct cmsghdr *rcm = CMSG_FIRSTHDR(&rm);
    int passed = -1;
    if (rcm && rcm->cmsg_type == SCM_RIGHTS) memcpy(&passed, CMSG_DATA(rcm), sizeof passed);
    printf("recvmsg: %ld data %.4s|%.12s rest %c namelen %u flags %x cmsg %d fd usable %d\n", r, r1,
           r2, r2[12], (unsigned)rm.msg_namelen, rm.msg_flags, rcm ? rcm->cmsg_type : -1,
           passed >= 0 && write(passed, "z", 1) == 1);
    if (passed >= 0) close(passed);
    /* ioctl: FIONREAD's count comes back, TCGETS on a pipe fails and
     * leaves its buffer alone, FIONBIO's flag goes with the call */
    int avail = -1, nb = 1;
    printf("ioctl FIONREAD: %d avail %d\n", ioctl(pp[0], FIONREAD, &avail), avail);
    unsigned char tio[64];
    memset(tio, 0xAA, sizeof tio);
    r = ioctl(pp[0], TCGETS, tio);
    printf("ioctl TCGETS on a pipe: %ld errno %d untouched %d\n", r, r < 0 ? errno : 0,
           tio[0] == 0xAA && tio[35] == 0xAA);
    printf("ioctl FIONBIO: %d nonblocking %d\n", ioctl(pp[0], FIONBIO, &nb),
           (fcntl(pp[0], F_GETFL) & O_NONBLOCK) != 0);
    /* sendmmsg / recvmmsg: three datagrams, their lengths written back;
     * four receive slots of two iovecs, the fourth left alone */
    char d0[] = "first", d1[] = "second!", d2[] = "3rd";
    struct iovec mi[3] = {{d0, 5}, {d1, 7}, {d2, 3}};
    struct mmsghdr mo[3], mr[4];
    memset(mo, 0, sizeof mo);
    memset(mr, 0, sizeof mr);
    for (int k = 0; k < 3; k++) {
        mo[k].msg_hdr.msg_iov = &mi[k];
        mo[k].msg_hdr.msg_iovlen = 1;
        mo[k].msg_len = 0xdead;
    }
    r = sendmmsg(sv[0], mo, 3, 0);
    printf("sendmmsg: %ld lens %u %u %u\n", r, mo[0].msg_len, mo[1].msg_len, mo[2].msg_len);
    char rb[4][8];
    struct iovec ri[4][2];
    memset(rb, '.', sizeof rb);
    for (int k = 0; k < 4; k++) {
        ri[k][0] = (struct iovec){rb[k], 4};
        ri[k][1] = (struct iovec){rb[k] + 4, 4};
        mr[k].msg_hdr.msg_iov = ri[k];
        mr[k].msg_hdr.msg_iovlen = 2;
        mr[k].msg_hdr.msg_flags = 0x7777;
        mr[k].msg_len = 0xbeef;
    }
    struct timespec mto = {5, 0};
    r = recvmmsg(sv[1], mr, 4, MSG_WAITFORONE, &mto);
    printf("recvmmsg: %ld lens %u %u %u %u data %.8s|%.8s|%.8s|%.8s flags %x %x timeout not "
           "grown %d\n",
           r, mr[0].msg_len, mr[1].msg_len, mr[2].msg_len, mr[3].msg_len, rb[0], rb[1], rb[2],
           rb[3], mr[0].msg_hdr.msg_flags, mr[3].msg_hdr.msg_flags,
           mto.tv_sec < 5 || (mto.tv_sec == 5 && mto.tv_nsec == 0));
    close(sv[0]);
    close(sv[1]);
    close(pp[0]);
    close(pp[1]);

    /* limits and CPU time: fixed-size structs read and written back */
    struct rlimit rl, orl, core0 = {0, 0};
    getrlimit(RLIMIT_CORE, &rl);
    core0.rlim_max = rl.rlim_max;
    memset(&orl, 0x55, sizeof orl);
    r = prlimit(0, RLIMIT_CORE, &core0, &orl);
    printf("prlimit: %ld old returned %d\n", r,
           orl.rlim_cur == rl.rlim_cur && orl.rlim_max == rl.rlim_max);
    memset(&orl, 0x55, sizeof orl);
    printf("getrlimit: %d cur %lu\n", getrlimit(RLIMIT_CORE, &orl), (unsigned long)orl.rlim_cur);
    printf("setrlimit back: %d\n", setrlimit(RLIMIT_CORE, &rl));
    getrlimit(RLIMIT_CORE, &orl);
    printf("restored: %d\n", orl.rlim_cur == rl.rlim_cur);
    struct rusage ru;
    memset(&ru, 0xff, sizeof ru);
    printf("getrusage: %d filled %d\n", getrusage(RUSAGE_SELF, &ru),
           ru.ru_utime.tv_usec >= 0 && ru.ru_utime.tv_usec < 1000000 && ru.ru_maxrss > 0 &&
               ru.ru_nvcsw >= 0);
    struct tms tm;
    memset(&tm, 0xff, sizeof tm);
    clock_t ticks = times(&tm);
    printf("times: %d\n", ticks != (clock_t)-1 && tm.tms_utime >= 0 && tm.tms_cstime >= 0);
    struct timespec cts = {-1, -1};
    printf("process clock: %d %d\n", clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cts),
           cts.tv_sec >= 0 && cts.tv_nsec >= 0 && cts.tv_nsec < 1000000000);

    unlink(P("data"));
    unlink(P("huge"));
    unlink(P("link"));
    unlink(P("sock"));
    printf("rmdir: %d\n", rmdir(dir));
    return NULL;
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    pthread_t th;
    pthread_create(&th, NULL, io, NULL);
    pthread_join(th, NULL);
    return 0;
}
