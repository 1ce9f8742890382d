#define _GNU_SOURCE
#include "syscall/guest_signal.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/log.h"

enum sig_default signal_default_action(int sig) {
    switch (sig) {
    case SIGCHLD:
    case SIGURG:
    case SIGWINCH: return SIG_DEFAULT_IGNORE;
    case SIGSTOP:
    case SIGTSTP:
    case SIGTTIN:
    case SIGTTOU: return SIG_DEFAULT_STOP;
    case SIGCONT: return SIG_DEFAULT_CONT;
    default: return SIG_DEFAULT_TERM;
    }
}

static uint64_t guest_handler(struct process *p, int sig) {
    pthread_mutex_lock(&p->sig_lock);
    uint64_t h = p->sigaction[sig].handler;
    pthread_mutex_unlock(&p->sig_lock);
    return h;
}

static const char *sig_name(int sig, char *buf, size_t len) {
    const char *abbrev = sigabbrev_np(sig);
    if (abbrev)
        snprintf(buf, len, "SIG%s", abbrev);
    else
        snprintf(buf, len, "signal %d", sig);
    return buf;
}

_Noreturn void signal_deliver_sync(struct task *t, int sig, int code, uint64_t addr) {
    struct process *p = t->proc;
    char name[32];
    sig_name(sig, name, sizeof name);
    if (p->strace) {
        char line[160];
        int n =
            snprintf(line, sizeof line, "--- %s {si_signo=%s, si_code=%d, si_addr=0x%llx} ---\n",
                     name, name, code, (unsigned long long)addr);
        ssize_t r = write(2, line, (size_t)n);
        (void)r;
    }
    uint64_t h = guest_handler(p, sig);
    if (h != GUEST_SIG_DFL && h != GUEST_SIG_IGN)
        log_warn("guest signal handlers are not supported yet: %s at pc 0x%llx is fatal", name,
                 (unsigned long long)t->cpu.pc);
    /* Like Linux's force_sig: a synchronous signal cannot be ignored or blocked. */
    process_die_of_signal(p, sig);
}

/* Signals the emulator keeps for itself: its fault handler (SEGV, BUS),
 * the unchangeable ones, and glibc's internal 32 and 33. */
static bool host_reserved(int sig) {
    return sig == SIGSEGV || sig == SIGBUS || sig == SIGKILL || sig == SIGSTOP ||
           (sig >= 32 && sig < SIGRTMIN);
}

void signal_mirror_action(int sig, uint64_t handler) {
    if (host_reserved(sig)) return;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler == GUEST_SIG_IGN ? SIG_IGN : SIG_DFL;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
}

void signal_mirror_mask(uint64_t guest_mask) {
    sigset_t set;
    sigemptyset(&set);
    for (int sig = 1; sig <= GUEST_NSIG; sig++)
        if ((guest_mask & (1ull << (sig - 1))) && !host_reserved(sig) && sig != SIGILL &&
            sig != SIGFPE && sig != SIGTRAP)
            sigaddset(&set, sig);
    pthread_sigmask(SIG_SETMASK, &set, NULL);
}

static int64_t host_send(int tid, int sig) {
    long r = tid ? syscall(SYS_tgkill, getpid(), tid, sig) : kill(getpid(), sig);
    return r < 0 ? -errno : 0;
}

int64_t signal_send_own(struct task *t, int tid, int sig) {
    struct process *p = t->proc;
    uint64_t h = guest_handler(p, sig);
    bool reserved = host_reserved(sig);
    if (!reserved && (h == GUEST_SIG_DFL || h == GUEST_SIG_IGN)) return host_send(tid, sig);
    if (h == GUEST_SIG_IGN) return 0;
    if (h != GUEST_SIG_DFL) {
        char name[32];
        log_warn("guest signal handlers are not supported yet: %s takes its default action",
                 sig_name(sig, name, sizeof name));
    }
    switch (signal_default_action(sig)) {
    case SIG_DEFAULT_TERM: process_die_of_signal(p, sig);
    case SIG_DEFAULT_STOP: return host_send(tid, SIGSTOP);
    case SIG_DEFAULT_IGNORE:
    case SIG_DEFAULT_CONT: return 0;
    }
    return 0;
}
