/* Signals interrupting blocking calls of a thread that, in a cluster run,
 * is on a slave: the worker below is the first thread created, which
 * round-robin placement puts on node 1 at -n 2 and -n 4. Its read on a
 * pipe and its poll are delegated (run by its proxy on the master), its
 * nanosleep and clock_nanosleep run on its node. The main thread sends
 * SIGUSR1 with pthread_kill until the call is over:
 *   - read, SA_RESTART: the handler runs while the read waits (3 times),
 *     the read restarts each time and returns the byte written after;
 *   - read, no SA_RESTART: the read fails with EINTR;
 *   - nanosleep / clock_nanosleep / poll: EINTR under both;
 *   - ppoll whose mask unblocks SIGUSR1 (blocked otherwise): EINTR, the
 *     handler runs, and SIGUSR1 is blocked again afterwards;
 *   - SA_RESETHAND: once the worker's handler ran, the action is SIG_DFL
 *     for the main thread too (node 0 in a cluster), and a handler that
 *     reinstalls itself keeps its action;
 *   - process-directed SIGRTMIN that every thread blocks is held; the
 *     worker then unblocks it and takes both queued instances, in order,
 *     then waits for a third in sigtimedwait (in a cluster: the master
 *     holds them until the slave says its thread accepts them).
 * A signal that only reached the thread when its call returned would
 * leave the handler count at 0 (and the EINTR cases would read the byte
 * main writes after giving up). */
#include "guest.h"
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

enum op {
    OP_READ = 1,
    OP_NANOSLEEP,
    OP_CLOCK_NANOSLEEP,
    OP_POLL,
    OP_PPOLL_MASK,
    OP_UNBLOCK,
    OP_SIGWAIT,
    OP_QUIT
};
static volatile int blocked_after;

static int data[2], cmd[2];
static volatile int hits, started, done;
static volatile long result;
static volatile int result_errno, rem_ok;

static volatile int hits2;
static void h_count(int sig) {
    hits++;
}
static void h_count2(int sig) {
    hits2++;
}

static volatile int rt_count, rt_values[4], rt_on_worker;
static volatile long worker_tid;
static void h_rt(int sig, siginfo_t *si, void *uc) {
    if (rt_count < 4) rt_values[rt_count] = si->si_value.sival_int;
    rt_on_worker += syscall(SYS_gettid) == worker_tid;
    rt_count++;
}

static void reinstall(int sig) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = reinstall;
    sa.sa_flags = SA_RESETHAND | SA_RESTART;
    sigaction(sig, &sa, NULL);
    hits2++;
}

static void handler(int flags) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = h_count;
    sa.sa_flags = flags;
    sigaction(SIGUSR1, &sa, NULL);
}

static void *worker(void *arg) {
    worker_tid = syscall(SYS_gettid);
    sigset_t rt;
    sigemptyset(&rt);
    sigaddset(&rt, SIGRTMIN);
    for (;;) {
        char op;
        if (read(cmd[0], &op, 1) != 1) continue; /* a late signal: read again */
        started = op;
        long r = 0;
        errno = 0;
        if (op == OP_READ) {
            char c = 0;
            r = read(data[0], &c, 1);
            if (r == 1) r = c;
        } else if (op == OP_NANOSLEEP) {
            struct timespec req = {5, 0}, rem = {0, 0}, t0, t1;
            clock_gettime(CLOCK_MONOTONIC, &t0);
            r = nanosleep(&req, &rem);
            int e = errno;
            clock_gettime(CLOCK_MONOTONIC, &t1);
            errno = e;
            rem_ok = g_rem_fits(req, rem, t0, t1);
        } else if (op == OP_CLOCK_NANOSLEEP) {
            struct timespec req = {5, 0};
            r = clock_nanosleep(CLOCK_MONOTONIC, 0, &req, NULL);
        } else if (op == OP_POLL) {
            struct pollfd p = {.fd = data[0], .events = POLLIN};
            r = poll(&p, 1, 5000);
        } else if (op == OP_PPOLL_MASK) {
            sigset_t usr1, none, now;
            sigemptyset(&usr1);
            sigaddset(&usr1, SIGUSR1);
            sigemptyset(&none);
            pthread_sigmask(SIG_BLOCK, &usr1, NULL);
            struct pollfd p = {.fd = data[0], .events = POLLIN};
            struct timespec ts = {5, 0};
            r = ppoll(&p, 1, &ts, &none);
            result_errno = errno;
            pthread_sigmask(SIG_SETMASK, NULL, &now);
            blocked_after = sigismember(&now, SIGUSR1);
            pthread_sigmask(SIG_UNBLOCK, &usr1, NULL);
            errno = result_errno;
        } else if (op == OP_UNBLOCK) {
            pthread_sigmask(SIG_UNBLOCK, &rt, NULL);
            while (rt_count < 2)
                usleep(1000);
            pthread_sigmask(SIG_BLOCK, &rt, NULL);
        } else if (op == OP_SIGWAIT) {
            siginfo_t si;
            struct timespec ts = {10, 0};
            r = sigtimedwait(&rt, &si, &ts);
            if (r == SIGRTMIN) r = si.si_value.sival_int;
        } else {
            return NULL;
        }
        result_errno = errno;
        result = r;
        __atomic_store_n(&done, 1, __ATOMIC_RELEASE);
    }
}

static pthread_t th;

static void start(char op) {
    done = 0;
    started = 0;
    CHECK(write(cmd[1], &op, 1) == 1);
    while (started != op)
        usleep(1000);
}

/* Sends SIGUSR1 until the call is over (at most ~5 s); a byte then
 * unblocks a read that was never interrupted. */
static void signal_until_done(void) {
    for (int i = 0; i < 1000 && !__atomic_load_n(&done, __ATOMIC_ACQUIRE); i++) {
        usleep(5000);
        pthread_kill(th, SIGUSR1);
    }
    if (!done) {
        char c = 'L';
        write(data[1], &c, 1);
    }
    while (!__atomic_load_n(&done, __ATOMIC_ACQUIRE))
        usleep(1000);
}

int main(void) {
    CHECK(pipe(data) == 0);
    CHECK(pipe(cmd) == 0);
    handler(SA_RESTART);
    /* the worker starts with SIGRTMIN blocked too */
    sigset_t rt;
    sigemptyset(&rt);
    sigaddset(&rt, SIGRTMIN);
    pthread_sigmask(SIG_BLOCK, &rt, NULL);
    struct sigaction rsa;
    memset(&rsa, 0, sizeof rsa);
    rsa.sa_sigaction = h_rt;
    rsa.sa_flags = SA_SIGINFO;
    sigaction(SIGRTMIN, &rsa, NULL);
    CHECK(pthread_create(&th, NULL, worker, NULL) == 0);

    /* read, SA_RESTART: three handler runs while it waits, then a byte */
    hits = 0;
    start(OP_READ);
    int ran = 1;
    for (int k = 1; k <= 3 && ran; k++) {
        usleep(5000);
        pthread_kill(th, SIGUSR1);
        int i;
        for (i = 0; i < 3000 && hits < k; i++)
            usleep(1000);
        ran = hits >= k;
    }
    char t = 'T';
    CHECK(write(data[1], &t, 1) == 1);
    while (!__atomic_load_n(&done, __ATOMIC_ACQUIRE))
        usleep(1000);
    printf("read, SA_RESTART: handler ran 3 times while it waited %d; read returned '%c'\n", ran,
           result > 0 ? (char)result : '?');

    handler(0);
    hits = 0;
    start(OP_READ);
    signal_until_done();
    printf("read, no SA_RESTART: %ld EINTR %d handler ran %d\n", result, result_errno == EINTR,
           hits > 0);

    static const int flags[2] = {SA_RESTART, 0};
    for (int f = 0; f < 2; f++) {
        handler(flags[f]);
        const char *name = flags[f] ? "SA_RESTART" : "no SA_RESTART";
        hits = 0;
        start(OP_NANOSLEEP);
        signal_until_done();
        printf("nanosleep, %s: %ld EINTR %d time left fits the time slept %d handler ran %d\n",
               name, result, result_errno == EINTR, rem_ok, hits > 0);
        hits = 0;
        start(OP_CLOCK_NANOSLEEP);
        signal_until_done();
        printf("clock_nanosleep, %s: returned EINTR %d handler ran %d\n", name, result == EINTR,
               hits > 0);
        hits = 0;
        start(OP_POLL);
        signal_until_done();
        printf("poll, %s: %ld EINTR %d handler ran %d\n", name, result, result_errno == EINTR,
               hits > 0);
    }

    handler(SA_RESTART);
    hits = 0;
    start(OP_PPOLL_MASK);
    signal_until_done();
    printf("ppoll with a mask that unblocks SIGUSR1: %ld EINTR %d handler ran %d, blocked again "
           "after %d\n",
           result, result_errno == EINTR, hits > 0, blocked_after);

    /* SA_RESETHAND, on SIGUSR2 (SIGUSR1s sent above may still be on
     * their way): the worker waits for a command (its read fails with
     * EINTR, and it reads again) */
    struct sigaction sa, now;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = h_count2;
    sa.sa_flags = SA_RESETHAND;
    sigaction(SIGUSR2, &sa, NULL);
    hits2 = 0;
    pthread_kill(th, SIGUSR2);
    while (!hits2)
        usleep(1000);
    CHECK(sigaction(SIGUSR2, NULL, &now) == 0);
    printf("SA_RESETHAND: handler ran %d, then SIG_DFL here %d\n", hits2,
           now.sa_handler == SIG_DFL);
    reinstall(SIGUSR2);
    hits2 = 0;
    pthread_kill(th, SIGUSR2);
    while (!hits2)
        usleep(1000);
    CHECK(sigaction(SIGUSR2, NULL, &now) == 0);
    printf("SA_RESETHAND, reinstalled by the handler: handler ran %d, still installed %d\n", hits2,
           now.sa_handler == reinstall);

    /* process-directed, held until the worker takes them */
    union sigval v;
    v.sival_int = 7;
    CHECK(sigqueue(getpid(), SIGRTMIN, v) == 0);
    v.sival_int = 8;
    CHECK(sigqueue(getpid(), SIGRTMIN, v) == 0);
    start(OP_UNBLOCK);
    while (!__atomic_load_n(&done, __ATOMIC_ACQUIRE))
        usleep(1000);
    printf("held SIGRTMIN: %d taken by the worker %d, values %d %d\n", rt_count, rt_on_worker,
           rt_values[0], rt_values[1]);
    v.sival_int = 9;
    CHECK(sigqueue(getpid(), SIGRTMIN, v) == 0);
    start(OP_SIGWAIT);
    while (!__atomic_load_n(&done, __ATOMIC_ACQUIRE))
        usleep(1000);
    printf("sigtimedwait in the worker: value %ld\n", result);

    char q = OP_QUIT;
    CHECK(write(cmd[1], &q, 1) == 1);
    CHECK(pthread_join(th, NULL) == 0);
    G_DONE();
}
