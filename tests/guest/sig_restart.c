/* Signals interrupting blocking syscalls: a read on an empty pipe
 * interrupted by a timer (alarm-style setitimer) is restarted under
 * SA_RESTART (the handler writes the byte it then reads) and fails with
 * EINTR without it; nanosleep and ppoll fail with EINTR even under
 * SA_RESTART; sigsuspend and pause return after the handler; the same
 * read in a second thread, interrupted by pthread_kill. */
#include "guest.h"
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int pfd[2];
static volatile int hits;
static void h_write(int sig) {
    hits++;
    char c = 'x';
    write(pfd[1], &c, 1);
}
static void h_count(int sig) {
    hits++;
}

static void handler(int sig, void (*fn)(int), int flags) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fn;
    sa.sa_flags = flags;
    sigaction(sig, &sa, NULL);
}

static void arm_timer(int ms) {
    struct itimerval it = {{0, 0}, {0, ms * 1000}};
    setitimer(ITIMER_REAL, &it, NULL);
}

static volatile int reader_ready, reader_tid;
static void *reader(void *arg) {
    char c = 0;
    reader_tid = (int)syscall(SYS_gettid);
    reader_ready = 1;
    ssize_t n = read(pfd[0], &c, 1);
    int e = errno;
    if (n == 1) return (void *)(long)c;
    return (void *)(long)(e == EINTR ? -1 : -2);
}

/* Waits (at most ~5 s) until thread tid sleeps in the kernel: a fixed
 * delay is not enough on a loaded machine, and a signal that arrives
 * before the read blocks would not interrupt it. */
static void wait_sleeping(int tid) {
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", tid);
    for (int i = 0; i < 5000; i++) {
        FILE *f = fopen(path, "r");
        size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
        if (f) fclose(f);
        buf[n] = 0;
        const char *rp = strrchr(buf, ')');
        if (rp && rp[1] == ' ' && rp[2] == 'S') return;
        usleep(1000);
    }
}

static long thread_read(int flags) {
    handler(SIGUSR1, h_count, flags);
    reader_ready = 0;
    pthread_t th;
    pthread_create(&th, NULL, reader, NULL);
    while (!reader_ready)
        usleep(1000);
    wait_sleeping(reader_tid);
    usleep(2000);
    int before = hits;
    pthread_kill(th, SIGUSR1);
    /* the byte below must come after the handler, or it would satisfy the read */
    for (int i = 0; i < 2000 && hits == before; i++)
        usleep(1000);
    usleep(2000);
    char c = 'T';
    write(pfd[1], &c, 1); /* only read by a restarted read */
    void *r;
    pthread_join(th, &r);
    char drain;
    if ((long)r == -1) read(pfd[0], &drain, 1);
    return (long)r;
}

/* The main thread's timed cases: ITIMER_REAL is armed by a second
 * thread (SIGALRM blocked there, so the process-directed signal goes to
 * main) once main has said it is about to block and sleeps in the
 * kernel. Armed before the call, a timer that fires first (a loaded
 * machine, an emulator translating the call's code) would not interrupt
 * it: the read would return the handler's byte, pause would never
 * return. */
static volatile int main_tid, main_blocking;
static pthread_t kick_th;

static void *kicker(void *arg) {
    (void)arg;
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGALRM);
    pthread_sigmask(SIG_BLOCK, &s, NULL);
    while (!main_blocking)
        usleep(1000);
    wait_sleeping(main_tid);
    arm_timer(10);
    return NULL;
}

/* Call right before the blocking call; kick_done() right after it. */
static void kick_when_blocked(void) {
    main_blocking = 0;
    pthread_create(&kick_th, NULL, kicker, NULL);
    main_blocking = 1;
}

static void kick_done(void) {
    pthread_join(kick_th, NULL);
}

int main(void) {
    CHECK(pipe(pfd) == 0);
    main_tid = (int)syscall(SYS_gettid);
    char c = 0;

    handler(SIGALRM, h_write, SA_RESTART);
    kick_when_blocked();
    ssize_t n = read(pfd[0], &c, 1);
    kick_done();
    printf("SA_RESTART: read returned %zd '%c' after %d handler run(s)\n", n, c, hits);

    hits = 0;
    handler(SIGALRM, h_write, 0);
    kick_when_blocked();
    errno = 0;
    n = read(pfd[0], &c, 1);
    kick_done();
    printf("no SA_RESTART: read returned %zd EINTR %d, handler ran %d\n", n, errno == EINTR, hits);
    n = read(pfd[0], &c, 1);
    printf("the handler's byte is still there: %zd '%c'\n", n, c);

    hits = 0;
    handler(SIGALRM, h_count, SA_RESTART);
    struct timespec req = {5, 0}, rem = {0, 0};
    struct timespec t0, t1;
    kick_when_blocked();
    clock_gettime(CLOCK_MONOTONIC, &t0);
    errno = 0;
    int r = nanosleep(&req, &rem);
    int e = errno;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    kick_done();
    printf("nanosleep under SA_RESTART: %d EINTR %d, time left fits the time slept %d\n", r,
           e == EINTR, g_rem_fits(req, rem, t0, t1));

    struct pollfd p = {.fd = pfd[0], .events = POLLIN};
    kick_when_blocked();
    errno = 0;
    r = poll(&p, 1, 5000);
    kick_done();
    printf("poll under SA_RESTART: %d EINTR %d\n", r, errno == EINTR);

    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGALRM);
    sigprocmask(SIG_BLOCK, &block, &old);
    hits = 0;
    arm_timer(10);
    errno = 0;
    r = sigsuspend(&old);
    printf("sigsuspend: %d EINTR %d handler ran %d\n", r, errno == EINTR, hits);
    sigset_t now;
    sigprocmask(SIG_SETMASK, NULL, &now);
    printf("mask restored after sigsuspend: SIGALRM blocked %d\n", sigismember(&now, SIGALRM));
    sigprocmask(SIG_SETMASK, &old, NULL);

    kick_when_blocked();
    errno = 0;
    r = pause();
    kick_done();
    printf("pause: %d EINTR %d handler ran %d\n", r, errno == EINTR, hits);

    long tr = thread_read(SA_RESTART);
    printf("thread read, SA_RESTART: %s\n", tr == 'T'  ? "restarted, got 'T'"
                                            : tr == -1 ? "EINTR"
                                                       : "error");
    /* A signal that comes before the read has begun runs its handler and
     * the read after it, as on Linux; on a cluster the reader sleeps
     * (waiting for its node's answer) before the master has begun its
     * read, so on a loaded machine the signal may come that early: the
     * read then gets the byte. Again, until it came during the read. */
    for (int i = 0; i < 5 && (i == 0 || tr == 'T'); i++)
        tr = thread_read(0);
    printf("thread read, no SA_RESTART: %s\n", tr == 'T'  ? "restarted, got 'T'"
                                               : tr == -1 ? "EINTR"
                                                          : "error");
    G_DONE();
}
