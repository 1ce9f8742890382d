/* Raw TCP ping-pong: the floor under remote page-fault latency (issue 3
 * compares a remote read fault against it). A client sends a 16-byte
 * request, the server answers with 4 KiB (one page); N round trips on
 * plain blocking sockets with TCP_NODELAY, no event loop, no protobuf.
 *
 *   net_pingpong [-n ROUNDS] [-w WARMUP]      both ends here, over loopback
 *   net_pingpong -s PORT                      server only (another host)
 *   net_pingpong -c HOST:PORT [-n] [-w]       client only
 *   -p: both ends here busy-poll their reads instead of sleeping
 *
 * Prints CSV on stdout: rounds,request_bytes,reply_bytes,median_us,p99_us,
 * min_us,mean_us. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define REQ_BYTES   16
#define REPLY_BYTES 4096

/* -p: reads busy-poll (non-blocking, yielding the CPU between tries)
 * instead of sleeping in the kernel, as shoal's transport does while an
 * answer is due ([network] busy_poll_us) */
static int poll_reads;

static int io_all(int fd, void *buf, size_t n, int writing) {
    char *p = buf;
    while (n) {
        ssize_t r = writing      ? write(fd, p, n)
                    : poll_reads ? recv(fd, p, n, MSG_DONTWAIT)
                                 : read(fd, p, n);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0 && !writing && poll_reads && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            sched_yield();
            continue;
        }
        if (r <= 0) return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

static void nodelay(int fd) {
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/* Answers requests on one connection until the client closes it. */
static void serve_conn(int fd) {
    char req[REQ_BYTES], reply[REPLY_BYTES];
    memset(reply, 0x5a, sizeof reply);
    nodelay(fd);
    while (io_all(fd, req, sizeof req, 0) == 0) {
        memcpy(reply, req, sizeof req); /* echo, so the client can check */
        if (io_all(fd, reply, sizeof reply, 1)) break;
    }
    close(fd);
}

static int listen_on(uint16_t port, uint16_t *bound) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(bound ? INADDR_LOOPBACK : INADDR_ANY);
    socklen_t len = sizeof a;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) || listen(fd, 4) ||
        getsockname(fd, (struct sockaddr *)&a, &len)) {
        perror("net_pingpong: listen");
        close(fd);
        return -1;
    }
    if (bound) *bound = ntohs(a.sin_port);
    return fd;
}

static void *server_thread(void *arg) {
    int lfd = (int)(intptr_t)arg;
    int fd = accept(lfd, NULL, NULL);
    close(lfd);
    if (fd >= 0) serve_conn(fd);
    return NULL;
}

static int connect_to(const char *host, const char *port) {
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res;
    int r = getaddrinfo(host, port, &hints, &res);
    if (r) {
        fprintf(stderr, "net_pingpong: %s:%s: %s\n", host, port, gai_strerror(r));
        return -1;
    }
    int fd = socket(res->ai_family, SOCK_STREAM, 0);
    if (fd >= 0 && connect(fd, res->ai_addr, res->ai_addrlen)) {
        perror("net_pingpong: connect");
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd >= 0) nodelay(fd);
    return fd;
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int run_client(int fd, long rounds, long warmup) {
    char req[REQ_BYTES], reply[REPLY_BYTES];
    uint64_t *ns = malloc(sizeof *ns * (size_t)rounds);
    if (!ns) return 1;
    for (long i = -warmup; i < rounds; i++) {
        memset(req, 0, sizeof req);
        memcpy(req, &i, sizeof i);
        uint64_t t0 = now_ns();
        if (io_all(fd, req, sizeof req, 1) || io_all(fd, reply, sizeof reply, 0)) {
            fprintf(stderr, "net_pingpong: connection lost at round %ld\n", i);
            free(ns);
            return 1;
        }
        uint64_t t1 = now_ns();
        if (memcmp(reply, req, sizeof req)) {
            fprintf(stderr, "net_pingpong: reply does not echo request %ld\n", i);
            free(ns);
            return 1;
        }
        if (i >= 0) ns[i] = t1 - t0;
    }
    double sum = 0;
    for (long i = 0; i < rounds; i++)
        sum += (double)ns[i];
    qsort(ns, (size_t)rounds, sizeof *ns, cmp_u64);
    long p99 = (rounds * 99 + 99) / 100 - 1;
    printf("rounds,request_bytes,reply_bytes,median_us,p99_us,min_us,mean_us\n");
    printf("%ld,%d,%d,%.2f,%.2f,%.2f,%.2f\n", rounds, REQ_BYTES, REPLY_BYTES, ns[rounds / 2] / 1e3,
           ns[p99] / 1e3, ns[0] / 1e3, sum / (double)rounds / 1e3);
    free(ns);
    return 0;
}

static void usage(void) {
    fprintf(stderr, "usage: net_pingpong [-p] [-n ROUNDS] [-w WARMUP] [-s PORT | -c HOST:PORT]\n");
    exit(2);
}

int main(int argc, char **argv) {
    long rounds = 10000, warmup = 1000;
    const char *serve = NULL, *connect_arg = NULL;
    int opt;
    while ((opt = getopt(argc, argv, "n:w:s:c:p")) != -1) {
        switch (opt) {
        case 'n': rounds = strtol(optarg, NULL, 10); break;
        case 'w': warmup = strtol(optarg, NULL, 10); break;
        case 's': serve = optarg; break;
        case 'c': connect_arg = optarg; break;
        case 'p': poll_reads = 1; break;
        default: usage();
        }
    }
    if (rounds < 1 || warmup < 0 || (serve && connect_arg)) usage();
    signal(SIGPIPE, SIG_IGN); /* a vanished peer is an error, not a kill */
    if (serve) {
        int lfd = listen_on((uint16_t)atoi(serve), NULL);
        if (lfd < 0) return 1;
        for (;;) {
            int fd = accept(lfd, NULL, NULL);
            if (fd >= 0) serve_conn(fd);
        }
    }
    if (connect_arg) {
        char host[256];
        const char *colon = strrchr(connect_arg, ':');
        if (!colon || (size_t)(colon - connect_arg) >= sizeof host) usage();
        memcpy(host, connect_arg, (size_t)(colon - connect_arg));
        host[colon - connect_arg] = 0;
        int fd = connect_to(host, colon + 1);
        if (fd < 0) return 1;
        int r = run_client(fd, rounds, warmup);
        close(fd);
        return r;
    }
    uint16_t port;
    int lfd = listen_on(0, &port);
    if (lfd < 0) return 1;
    pthread_t th;
    pthread_create(&th, NULL, server_thread, (void *)(intptr_t)lfd);
    char ps[8];
    snprintf(ps, sizeof ps, "%u", port);
    int fd = connect_to("127.0.0.1", ps);
    if (fd < 0) return 1;
    int r = run_client(fd, rounds, warmup);
    close(fd);
    pthread_join(th, NULL);
    return r;
}
