/* The signal lines of /proc/thread-self/status: pending (the thread's
 * own and the process's), blocked, ignored and caught signals, read by
 * the main thread and by a second thread (on node 1 in a cluster) that
 * blocks and raises a signal of its own. SigCgt: lists the guest's
 * handlers, not the emulator's own (SIGSEGV, SIGBUS, ...).
 *
 * qemu-user shows its own handlers there, so the reference is this
 * source built for the host and run natively
 * (tests/guest/native_compare.cmake). */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static void handler(int sig) {
    (void)sig;
}

/* Every Sig* line but SigQ (its limit is the host's), and ShdPnd. */
static void show(const char *who) {
    char line[256];
    FILE *f = fopen("/proc/thread-self/status", "r");
    if (!f) {
        printf("%s: no status\n", who);
        return;
    }
    while (fgets(line, sizeof line, f))
        if ((!strncmp(line, "Sig", 3) && strncmp(line, "SigQ", 4)) || !strncmp(line, "ShdPnd", 6))
            printf("%s %s", who, line);
    fclose(f);
}

static void *second(void *arg) {
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR2);
    sigaddset(&s, SIGALRM);
    pthread_sigmask(SIG_BLOCK, &s, NULL);
    raise(SIGUSR2); /* pending on this thread alone */
    show("thread");
    return arg;
}

/* Every action SIG_DFL and nothing blocked, whatever the launcher left
 * (nohup ignores SIGHUP; some ignore glibc's own 32 and 33, which only
 * the raw call may set): the lines then depend on this program alone.
 * The kernel's struct sigaction is laid out alike on both machines. */
static void reset_signals(void) {
    struct {
        void (*handler)(int);
        unsigned long flags;
        void (*restorer)(void);
        unsigned long mask;
    } dfl = {SIG_DFL, 0, NULL, 0};
    for (int sig = 1; sig <= 64; sig++)
        if (sig != SIGKILL && sig != SIGSTOP) syscall(SYS_rt_sigaction, sig, &dfl, NULL, 8);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

int main(void) {
    reset_signals();
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    sigaddset(&s, SIGHUP);
    sigprocmask(SIG_BLOCK, &s, NULL);
    signal(SIGTERM, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGINT, handler);
    signal(SIGSEGV, handler);
    signal(SIGCHLD, handler);
    raise(SIGUSR1);         /* the main thread's own */
    kill(getpid(), SIGHUP); /* the process's */
    show("main");
    fflush(stdout);
    pthread_t t;
    pthread_create(&t, NULL, second, NULL);
    pthread_join(t, NULL);
    /* the handlers go: nothing caught any more but glibc's own */
    signal(SIGINT, SIG_DFL);
    signal(SIGSEGV, SIG_DFL);
    signal(SIGCHLD, SIG_DFL);
    show("after");
    return 0;
}
