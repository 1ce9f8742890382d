/* Sockets: TCP over loopback between two threads (bind to port 0,
 * getsockname, listen, accept4, connect, send/recv, shutdown,
 * getpeername, socket options), UDP sendto/recvfrom, a socketpair with
 * sendmsg/recvmsg carrying an fd (SCM_RIGHTS) and scattered iovecs, and
 * sendmmsg/recvmmsg. Nothing printed depends on ports or fd numbers. */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

static struct sockaddr_in server_addr;

static void *client(void *arg) {
    (void)arg;
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (connect(s, (struct sockaddr *)&server_addr, sizeof server_addr)) {
        printf("connect: %s\n", strerror(errno));
        return NULL;
    }
    const char msg[] = "hello over tcp";
    send(s, msg, sizeof msg, 0);
    char buf[64] = {0};
    ssize_t n = recv(s, buf, sizeof buf, MSG_WAITALL);
    printf("client got %zd bytes: %s\n", n, buf);
    shutdown(s, SHUT_WR);
    close(s);
    return NULL;
}

static void tcp(void) {
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1, v = 0;
    socklen_t vl = sizeof v;
    printf("setsockopt SO_REUSEADDR=%d\n",
           setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one));
    printf("getsockopt=%d value=%d len=%u\n", getsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &v, &vl),
           v != 0, vl);
    vl = sizeof v;
    getsockopt(ls, SOL_SOCKET, SO_TYPE, &v, &vl);
    printf("SO_TYPE stream=%d\n", v == SOCK_STREAM);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    printf("bind=%d listen=%d\n", bind(ls, (struct sockaddr *)&a, sizeof a), listen(ls, 4));
    socklen_t al = sizeof server_addr;
    getsockname(ls, (struct sockaddr *)&server_addr, &al);
    printf("getsockname len=%u family=%d port-set=%d\n", al, server_addr.sin_family,
           server_addr.sin_port != 0);
    pthread_t th;
    pthread_create(&th, NULL, client, NULL);
    struct sockaddr_in peer;
    socklen_t pl = sizeof peer;
    int c = accept4(ls, (struct sockaddr *)&peer, &pl, SOCK_CLOEXEC);
    printf("accept4 ok=%d peer len=%u addr=%s\n", c >= 0, pl, inet_ntoa(peer.sin_addr));
    char buf[64];
    ssize_t n = recv(c, buf, sizeof buf, 0);
    printf("server got %zd bytes: %s\n", n, buf);
    struct sockaddr_in pn;
    socklen_t pnl = sizeof pn;
    getpeername(c, (struct sockaddr *)&pn, &pnl);
    printf("getpeername same port=%d\n", pn.sin_port == peer.sin_port);
    one = 1;
    printf("TCP_NODELAY=%d\n", setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one));
    char reply[64] = "reply from server";
    send(c, reply, sizeof reply, 0);
    n = recv(c, buf, sizeof buf, 0);
    printf("after shutdown recv=%zd\n", n);
    pthread_join(th, NULL);
    close(c);
    close(ls);
    /* errors */
    printf("connect refused: %s\n", connect(socket(AF_INET, SOCK_STREAM, 0),
                                            (struct sockaddr *)&server_addr, sizeof server_addr)
                                        ? strerror(errno)
                                        : "connected?");
    printf("bad fd: %s\n", bind(-1, (struct sockaddr *)&a, sizeof a) ? strerror(errno) : "?");
    printf("bad addr: %s\n", bind(ls, (struct sockaddr *)8, sizeof a) ? strerror(errno) : "?");
}

static void udp(void) {
    int r = socket(AF_INET, SOCK_DGRAM, 0), s = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bind(r, (struct sockaddr *)&a, sizeof a);
    socklen_t al = sizeof a;
    getsockname(r, (struct sockaddr *)&a, &al);
    ssize_t n = sendto(s, "datagram", 8, 0, (struct sockaddr *)&a, sizeof a);
    char buf[32] = {0};
    struct sockaddr_in from;
    socklen_t fl = sizeof from;
    ssize_t m = recvfrom(r, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
    printf("udp sent=%zd got=%zd '%s' from-len=%u loopback=%d\n", n, m, buf, fl,
           from.sin_addr.s_addr == htonl(INADDR_LOOPBACK));
    /* sendmmsg/recvmmsg: three datagrams */
    struct iovec iov[3];
    struct mmsghdr mm[3];
    char payload[3][8] = {"one", "two", "three"};
    memset(mm, 0, sizeof mm);
    for (int i = 0; i < 3; i++) {
        iov[i] = (struct iovec){payload[i], strlen(payload[i])};
        mm[i].msg_hdr.msg_iov = &iov[i];
        mm[i].msg_hdr.msg_iovlen = 1;
        mm[i].msg_hdr.msg_name = &a;
        mm[i].msg_hdr.msg_namelen = sizeof a;
    }
    printf("sendmmsg=%d len2=%u\n", sendmmsg(s, mm, 3, 0), mm[2].msg_len);
    char rb[3][16];
    struct iovec riov[3];
    struct mmsghdr rm[3];
    memset(rm, 0, sizeof rm);
    memset(rb, 0, sizeof rb);
    for (int i = 0; i < 3; i++) {
        riov[i] = (struct iovec){rb[i], sizeof rb[i]};
        rm[i].msg_hdr.msg_iov = &riov[i];
        rm[i].msg_hdr.msg_iovlen = 1;
    }
    int k = recvmmsg(r, rm, 3, 0, NULL);
    printf("recvmmsg=%d %s/%u %s/%u %s/%u\n", k, rb[0], rm[0].msg_len, rb[1], rm[1].msg_len, rb[2],
           rm[2].msg_len);
    close(r);
    close(s);
}

static void scm_rights(void) {
    int sv[2], p[2];
    printf("socketpair=%d\n", socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    if (pipe(p)) return;
    char head[] = "fd:", tail[] = "pipe";
    struct iovec iov[2] = {{head, 3}, {tail, 4}};
    union {
        struct cmsghdr c;
        char buf[CMSG_SPACE(sizeof(int))];
    } u;
    memset(&u, 0, sizeof u);
    struct msghdr m = {
        .msg_iov = iov, .msg_iovlen = 2, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &p[1], sizeof(int));
    printf("sendmsg=%zd\n", sendmsg(sv[0], &m, 0));
    close(p[1]);

    char r1[2], r2[16] = {0};
    struct iovec riov[2] = {{r1, 2}, {r2, sizeof r2 - 1}};
    union {
        struct cmsghdr c;
        char buf[CMSG_SPACE(sizeof(int)) + 16];
    } ru;
    memset(&ru, 0, sizeof ru);
    struct msghdr rm = {
        .msg_iov = riov, .msg_iovlen = 2, .msg_control = ru.buf, .msg_controllen = sizeof ru.buf};
    ssize_t n = recvmsg(sv[1], &rm, MSG_CMSG_CLOEXEC);
    printf("recvmsg=%zd '%.2s' '%s' controllen=%zu flags=%d\n", n, r1, r2,
           (size_t)rm.msg_controllen, rm.msg_flags);
    struct cmsghdr *rc = CMSG_FIRSTHDR(&rm);
    if (rc && rc->cmsg_level == SOL_SOCKET && rc->cmsg_type == SCM_RIGHTS) {
        int fd;
        memcpy(&fd, CMSG_DATA(rc), sizeof fd);
        printf("got fd: new=%d\n", fd != p[1]);
        write(fd, "through the passed fd", 21);
        close(fd);
        char b[32] = {0};
        printf("pipe read %zd: %s\n", read(p[0], b, sizeof b - 1), b);
    } else {
        printf("no SCM_RIGHTS\n");
    }
    /* truncated control data */
    struct msghdr tm = {
        .msg_iov = iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf};
    c = CMSG_FIRSTHDR(&tm);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &p[0], sizeof(int));
    sendmsg(sv[0], &tm, 0);
    char small[4];
    struct msghdr sm = {
        .msg_iov = riov, .msg_iovlen = 1, .msg_control = small, .msg_controllen = 4};
    n = recvmsg(sv[1], &sm, 0);
    printf("truncated: n=%zd ctrunc=%d controllen=%zu\n", n, !!(sm.msg_flags & MSG_CTRUNC),
           (size_t)sm.msg_controllen);
    /* a bad iovec pointer */
    struct iovec bad = {(void *)16, 4};
    struct msghdr bm = {.msg_iov = &bad, .msg_iovlen = 1};
    printf("bad iov: %s\n", sendmsg(sv[0], &bm, 0) < 0 ? strerror(errno) : "sent?");
    close(sv[0]);
    close(sv[1]);
    close(p[0]);
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    tcp();
    udp();
    scm_rights();
    return 0;
}
