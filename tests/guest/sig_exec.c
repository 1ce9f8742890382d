/* execve keeps what Linux keeps: a signal set to SIG_IGN stays ignored,
 * a caught one is reset to SIG_DFL, the mask and pending blocked
 * signals stay; the new program prints what it finds. The parent role
 * ignores SIGUSR1, catches SIGTERM, blocks SIGUSR2 and SIGRTMIN+3,
 * queues a blocked SIGRTMIN+3 with a value, and execs itself.
 *
 * qemu-user cannot execve an AArch64 program without binfmt_misc, so
 * the reference is this source built for the host and run natively
 * (tests/guest/native_compare.cmake). */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void on_term(int sig) {
    (void)sig;
}

static const char *disp(int sig) {
    struct sigaction sa;
    sigaction(sig, NULL, &sa);
    return sa.sa_handler == SIG_IGN ? "SIG_IGN" : sa.sa_handler == SIG_DFL ? "SIG_DFL" : "handler";
}

static int child(void) {
    sigset_t cur, pend;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    printf("after exec: SIGUSR1 %s, SIGTERM %s, SIGINT %s\n", disp(SIGUSR1), disp(SIGTERM),
           disp(SIGINT));
    printf("after exec: blocked USR2 %d RTMIN+3 %d USR1 %d\n", sigismember(&cur, SIGUSR2),
           sigismember(&cur, SIGRTMIN + 3), sigismember(&cur, SIGUSR1));
    sigpending(&pend);
    printf("after exec: pending RTMIN+3 %d\n", sigismember(&pend, SIGRTMIN + 3));
    siginfo_t si;
    struct timespec zero = {0, 0};
    sigset_t want;
    sigemptyset(&want);
    sigaddset(&want, SIGRTMIN + 3);
    int s = sigtimedwait(&want, &si, &zero);
    printf("after exec: took RTMIN+3 %d with value %d\n", s == SIGRTMIN + 3, si.si_value.sival_int);
    /* An ignored signal sent now is dropped; the blocked one waits. */
    raise(SIGUSR1);
    raise(SIGUSR2);
    sigpending(&pend);
    printf("after exec: raised USR1 dropped %d, USR2 pending %d\n", !sigismember(&pend, SIGUSR1),
           sigismember(&pend, SIGUSR2));
    signal(SIGUSR2, SIG_IGN); /* drops the pending one, so exit stays clean */
    return 0;
}

int main(int argc, char **argv) {
    if (argc > 1 && !strcmp(argv[1], "child")) return child();
    signal(SIGUSR1, SIG_IGN);
    signal(SIGTERM, on_term);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    sigaddset(&set, SIGRTMIN + 3);
    sigprocmask(SIG_BLOCK, &set, NULL);
    union sigval v = {.sival_int = 77};
    sigqueue(getpid(), SIGRTMIN + 3, v);
    printf("before exec: SIGUSR1 %s, SIGTERM %s\n", disp(SIGUSR1), disp(SIGTERM));
    fflush(stdout);
    char *args[] = {argv[0], "child", NULL};
    execv("/proc/self/exe", args);
    perror("execv");
    return 1;
}
