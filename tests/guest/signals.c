/* Signal delivery: sigaction handlers with siginfo, raise/kill/tgkill,
 * masks (blocked signals pending until unblocked), SA_RESETHAND, SA_NODEFER,
 * sigaltstack, a handler interrupting a syscall (EINTR vs SA_RESTART),
 * synchronous SIGILL/SIGFPE-free faults (SIGTRAP via brk, SIGILL via udf),
 * and that the handler sees/restores registers. Signals pending at unblock
 * are all set up at once, so handlers run in reverse order of delivery
 * (Linux and qemu agree on this). */
#include "guest.h"
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

static volatile int got[65], last_code, on_alt;
static volatile long long order[16];
static volatile int norder;
static char altstack[65536];
static sigjmp_buf jb;

static void h(int sig, siginfo_t *si, void *ucv) {
    got[sig]++;
    last_code = si->si_code;
    if (norder < 16) order[norder++] = sig;
    char local;
    on_alt = &local >= altstack && &local < altstack + sizeof altstack;
}
static void h_fault(int sig, siginfo_t *si, void *ucv) {
    ucontext_t *uc = ucv;
    got[sig]++;
    last_code = si->si_code;
    if (sig == SIGILL || sig == SIGTRAP) uc->uc_mcontext.pc += 4; /* skip the insn */
}
static void h_jump(int sig) {
    siglongjmp(jb, sig);
}

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = h;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGUSR2, &sa, NULL);
    sigaction(SIGRTMIN, &sa, NULL);
    sigaction(SIGRTMIN + 1, &sa, NULL);
    raise(SIGUSR1);
    printf("raise: got %d code SI_TKILL %d\n", got[SIGUSR1], last_code == SI_TKILL);
    kill(getpid(), SIGUSR2);
    printf("kill: got %d code SI_USER %d\n", got[SIGUSR2], last_code == SI_USER);
    syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGUSR1);
    printf("tgkill: got %d\n", got[SIGUSR1]);
    /* blocked signals stay pending; real-time ones queue */
    sigset_t set, old, pend;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGUSR2);
    sigaddset(&set, SIGRTMIN);
    sigaddset(&set, SIGRTMIN + 1);
    sigprocmask(SIG_BLOCK, &set, &old);
    norder = 0;
    raise(SIGUSR2);
    raise(SIGUSR2);
    raise(SIGRTMIN + 1);
    raise(SIGRTMIN);
    raise(SIGRTMIN);
    raise(SIGUSR1);
    sigpending(&pend);
    printf("pending USR1 %d USR2 %d RTMIN %d, none delivered yet %d\n", sigismember(&pend, SIGUSR1),
           sigismember(&pend, SIGUSR2), sigismember(&pend, SIGRTMIN), norder == 0);
    sigprocmask(SIG_SETMASK, &old, NULL);
    printf("delivered %d signals in order:", norder);
    for (int i = 0; i < norder; i++)
        printf(" %s", order[i] == SIGUSR1    ? "USR1"
                      : order[i] == SIGUSR2  ? "USR2"
                      : order[i] == SIGRTMIN ? "RTMIN"
                                             : "RTMIN+1");
    printf("\n");
    /* sigaltstack */
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
    CHECK(sigaltstack(&ss, NULL) == 0);
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigaction(SIGUSR1, &sa, NULL);
    raise(SIGUSR1);
    printf("handler ran on alternate stack: %d\n", on_alt);
    /* SA_RESETHAND: second raise uses default (ignored for SIGURG-like? use SIGWINCH default
     * ignore) */
    sa.sa_flags = SA_SIGINFO | SA_RESETHAND;
    sigaction(SIGWINCH, &sa, NULL);
    raise(SIGWINCH);
    raise(SIGWINCH);
    printf("SA_RESETHAND handler ran %d time(s)\n", got[SIGWINCH]);
    /* sigsuspend */
    sigprocmask(SIG_BLOCK, &set, &old);
    raise(SIGUSR2);
    int before = got[SIGUSR2];
    sigset_t waitmask = old;
    sigdelset(&waitmask, SIGUSR2);
    sigsuspend(&waitmask);
    printf("sigsuspend woke with handler run: %d errno EINTR %d\n", got[SIGUSR2] == before + 1,
           errno == EINTR);
    sigprocmask(SIG_SETMASK, &old, NULL);
    /* sigwaitinfo consumes without a handler */
    sigprocmask(SIG_BLOCK, &set, &old);
    union sigval sv = {.sival_int = 1234};
    sigqueue(getpid(), SIGRTMIN, sv);
    siginfo_t si;
    int sig = sigwaitinfo(&set, &si);
    printf("sigwaitinfo got RTMIN %d value %d code SI_QUEUE %d\n", sig == SIGRTMIN,
           si.si_value.sival_int, si.si_code == SI_QUEUE);
    sigprocmask(SIG_SETMASK, &old, NULL);
    /* synchronous: brk -> SIGTRAP, udf -> SIGILL, handler skips the insn */
    struct sigaction fa;
    memset(&fa, 0, sizeof fa);
    fa.sa_sigaction = h_fault;
    fa.sa_flags = SA_SIGINFO;
    sigaction(SIGILL, &fa, NULL);
    sigaction(SIGTRAP, &fa, NULL);
    __asm__ volatile(".inst 0x00000000"); /* udf #0 */
    printf("udf -> SIGILL handled %d\n", got[SIGILL]);
    __asm__ volatile("brk #0x3e8");
    printf("brk -> SIGTRAP handled %d\n", got[SIGTRAP]);
    /* null deref -> SIGSEGV with siglongjmp out of the handler */
    signal(SIGSEGV, h_jump);
    volatile int *np = (volatile int *)8;
    if (sigsetjmp(jb, 1) == 0) {
        *np = 3;
        printf("not reached\n");
    } else
        printf("SIGSEGV caught by siglongjmp\n");
    /* ignored signal */
    signal(SIGUSR2, SIG_IGN);
    raise(SIGUSR2);
    printf("SIG_IGN: survived\n");
    G_DONE();
}
