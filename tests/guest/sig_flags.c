/* sigaction flags and masks: SA_RESETHAND (one shot), SA_NODEFER (the
 * handler interrupts itself) versus the default (the signal waits until
 * the handler returns), sa_mask holding off another signal, the old
 * action read back, SIG_IGN dropping a pending signal, default-ignored
 * signals, sigpending, and the mask a handler leaves behind. */
#include "guest.h"
#include <errno.h>
#include <signal.h>
#include <unistd.h>

static volatile int depth, max_depth, runs, order[8], norder;

static void h_reraise(int sig) {
    runs++;
    depth++;
    if (depth > max_depth) max_depth = depth;
    if (runs < 3) raise(sig);
    depth--;
}
static void h_log(int sig) {
    if (norder < 8) order[norder++] = sig;
    if (sig == SIGUSR1) raise(SIGUSR2); /* held off by sa_mask */
    if (norder < 8) order[norder++] = -sig;
}
static void h_count(int sig) {
    runs++;
}

static void set(int sig, void (*fn)(int), int flags, int masked) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fn;
    sa.sa_flags = flags;
    sigemptyset(&sa.sa_mask);
    if (masked) sigaddset(&sa.sa_mask, masked);
    CHECK(sigaction(sig, &sa, NULL) == 0);
}

int main(void) {
    set(SIGUSR1, h_reraise, 0, 0);
    raise(SIGUSR1);
    printf("default: %d runs, max nesting %d\n", runs, max_depth);
    runs = max_depth = 0;
    set(SIGUSR1, h_reraise, SA_NODEFER, 0);
    raise(SIGUSR1);
    printf("SA_NODEFER: %d runs, max nesting %d\n", runs, max_depth);

    set(SIGUSR1, h_log, 0, SIGUSR2);
    set(SIGUSR2, h_log, 0, 0);
    raise(SIGUSR1);
    printf("sa_mask order:");
    for (int i = 0; i < norder; i++)
        printf(" %s%s", order[i] < 0 ? "end-" : "", abs(order[i]) == SIGUSR1 ? "USR1" : "USR2");
    printf("\n");

    runs = 0;
    set(SIGUSR1, h_count, SA_RESETHAND | SA_RESTART, 0);
    raise(SIGUSR1);
    struct sigaction now;
    sigaction(SIGUSR1, NULL, &now);
    printf("SA_RESETHAND: ran %d, now SIG_DFL %d\n", runs, now.sa_handler == SIG_DFL);

    set(SIGUSR2, h_count, SA_RESTART | SA_NODEFER | SA_ONSTACK, SIGINT);
    struct sigaction rb;
    sigaction(SIGUSR2, NULL, &rb);
    printf("read back: handler %d flags %#x mask INT %d TERM %d\n", rb.sa_handler == h_count,
           rb.sa_flags & (SA_RESTART | SA_NODEFER | SA_ONSTACK | SA_SIGINFO | SA_RESETHAND),
           sigismember(&rb.sa_mask, SIGINT), sigismember(&rb.sa_mask, SIGTERM));
    printf("SIGKILL action EINVAL %d, signal 65 EINVAL %d\n",
           sigaction(SIGKILL, &rb, NULL) == -1 && errno == EINVAL,
           sigaction(65, &rb, NULL) == -1 && errno == EINVAL);

    sigset_t b, pend, old;
    sigemptyset(&b);
    sigaddset(&b, SIGUSR2);
    sigaddset(&b, SIGKILL); /* silently not blocked */
    sigprocmask(SIG_BLOCK, &b, &old);
    runs = 0;
    raise(SIGUSR2);
    sigpending(&pend);
    printf("blocked: pending %d ran %d\n", sigismember(&pend, SIGUSR2), runs);
    signal(SIGUSR2, SIG_IGN);
    sigpending(&pend);
    printf("SIG_IGN drops it: pending %d\n", sigismember(&pend, SIGUSR2));
    set(SIGUSR2, h_count, 0, 0);
    sigprocmask(SIG_SETMASK, &old, NULL);
    printf("after unblock: ran %d\n", runs);
    sigprocmask(SIG_BLOCK, NULL, &old);
    printf("SIGKILL in mask %d, how=7 EINVAL %d\n", sigismember(&old, SIGKILL),
           sigprocmask(7, &b, NULL) == -1 && errno == EINVAL);

    raise(SIGCHLD);
    raise(SIGURG);
    raise(SIGWINCH);
    printf("default-ignored SIGCHLD SIGURG SIGWINCH: survived\n");
    signal(SIGTERM, SIG_IGN);
    kill(getpid(), SIGTERM);
    printf("ignored SIGTERM: survived\n");
    G_DONE();
}
