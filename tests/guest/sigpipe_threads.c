/* Signals the kernel sends a thread for its own call, made by a thread
 * other than main (on a cluster it runs on node 1 and its calls run on
 * the master): a write to a pipe nobody reads is EPIPE with SIGPIPE, a
 * send with MSG_NOSIGNAL EPIPE alone, a write past RLIMIT_FSIZE EFBIG
 * with SIGXFSZ; each signal reaches that thread's handler as the call
 * returns. Then, SIGPIPE's default action back, the next such write
 * ends the process with SIGPIPE. Only relations are printed. */
#include "guest.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

static volatile sig_atomic_t pipes, fsizes, wrong_thread;
static volatile int worker_tid;

static void on_signal(int sig, siginfo_t *si, void *uc) {
    (void)uc;
    if ((int)syscall(SYS_gettid) != worker_tid) wrong_thread = 1;
    if (sig == SIGPIPE && si->si_code == SI_USER) pipes++;
    if (sig == SIGXFSZ) fsizes++;
}

static void *worker(void *arg) {
    const char *dir = arg;
    worker_tid = (int)syscall(SYS_gettid);
    int p[2];
    pipe(p);
    close(p[0]);
    errno = 0;
    ssize_t r = write(p[1], "x", 1);
    printf("pipe without a reader: EPIPE %d, SIGPIPE as it returned %d\n",
           r == -1 && errno == EPIPE, pipes == 1);

    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    close(sv[1]);
    errno = 0;
    r = send(sv[0], "x", 1, MSG_NOSIGNAL);
    printf("send with MSG_NOSIGNAL: EPIPE %d, no signal %d\n", r == -1 && errno == EPIPE,
           pipes == 1);
    close(sv[0]);

    char path[256];
    snprintf(path, sizeof path, "%s/sigpipe_threads.%d", dir, (int)getpid());
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    struct rlimit small = {16, RLIM_INFINITY}, old;
    getrlimit(RLIMIT_FSIZE, &old);
    setrlimit(RLIMIT_FSIZE, &small);
    char buf[32];
    memset(buf, 'y', sizeof buf);
    r = write(fd, buf, sizeof buf); /* up to the limit */
    errno = 0;
    ssize_t r2 = write(fd, buf, sizeof buf); /* at it */
    int efbig = r2 == -1 && errno == EFBIG, xfsz = fsizes == 1;
    setrlimit(RLIMIT_FSIZE, &old); /* stdout may be a file too */
    printf("past RLIMIT_FSIZE: 16 written %d, then EFBIG %d, SIGXFSZ as it returned %d\n", r == 16,
           efbig, xfsz);
    close(fd);
    unlink(path);
    printf("every signal on the thread that called: %d\n", !wrong_thread);

    signal(SIGPIPE, SIG_DFL);
    write(p[1], "x", 1);
    printf("not reached: the process ends with SIGPIPE\n");
    return NULL;
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_signal;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGPIPE, &sa, NULL);
    sigaction(SIGXFSZ, &sa, NULL);
    const char *dir = getenv("TMPDIR");
    pthread_t t;
    pthread_create(&t, NULL, worker, (void *)(dir ? dir : "/tmp"));
    pthread_join(t, NULL);
    return 0;
}
