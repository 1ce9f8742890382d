/* Pipes within one process: blocking reads with a writer thread, EOF,
 * partial reads, poll, O_NONBLOCK (EAGAIN), pipe2, EPIPE with SIGPIPE
 * ignored, dup2 onto stdout. */
#include "guest.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

static int pfd[2];
static void *writer(void *arg) {
    char buf[1000];
    for (int i = 0; i < 200; i++) {
        for (int k = 0; k < 1000; k++)
            buf[k] = (char)(i + k);
        size_t off = 0;
        while (off < sizeof buf) {
            ssize_t w = write(pfd[1], buf + off, sizeof buf - off);
            if (w <= 0) return NULL;
            off += w;
        }
    }
    close(pfd[1]);
    return arg;
}

int main(void) {
    CHECK(pipe(pfd) == 0);
    pthread_t t;
    pthread_create(&t, NULL, writer, NULL);
    uint64_t h = 0;
    size_t total = 0;
    char buf[777];
    for (;;) {
        ssize_t r = read(pfd[0], buf, sizeof buf);
        if (r == 0) break;
        CHECK(r > 0);
        if (r < 0) break;
        h = g_fnv(h, buf, r);
        total += r;
    }
    pthread_join(t, NULL);
    close(pfd[0]);
    printf("threaded pipe: %zu bytes checksum %016llx\n", total, (unsigned long long)h);

    int q[2];
    CHECK(pipe2(q, O_NONBLOCK | O_CLOEXEC) == 0);
    CHECK(read(q[0], buf, 10) == -1 && errno == EAGAIN);
    struct pollfd pf = {q[0], POLLIN, 0};
    printf("poll empty: %d\n", poll(&pf, 1, 0));
    CHECK(write(q[1], "hello", 5) == 5);
    printf("poll data: %d revents POLLIN %d\n", poll(&pf, 1, 100), !!(pf.revents & POLLIN));
    CHECK(read(q[0], buf, 3) == 3 && read(q[0], buf + 3, 10) == 2);
    printf("partial reads: %.5s\n", buf);
    /* fill the pipe until EAGAIN */
    size_t filled = 0;
    ssize_t w;
    memset(buf, 'x', sizeof buf);
    while ((w = write(q[1], buf, sizeof buf)) > 0)
        filled += w;
    printf("filled >= 4096: %d errno EAGAIN %d\n", filled >= 4096, errno == EAGAIN);
    close(q[0]);
    signal(SIGPIPE, SIG_IGN);
    errno = 0;
    printf("write to closed pipe: %zd EPIPE %d\n", write(q[1], "z", 1), errno == EPIPE);
    close(q[1]);
    /* dup2 a pipe onto stdout and read back what printf wrote */
    int r2[2];
    CHECK(pipe(r2) == 0);
    fflush(stdout);
    int saved = dup(1);
    dup2(r2[1], 1);
    printf("through the pipe %d\n", 42);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    close(r2[1]);
    ssize_t n = read(r2[0], buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    printf("captured: %s", buf);
    close(r2[0]);
    G_DONE();
}
