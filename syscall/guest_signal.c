#define _GNU_SOURCE
#include "syscall/guest_signal.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/log.h"

enum sig_default signal_default_action(int sig)
{
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

static uint64_t guest_handler(struct process *p, int sig)
{
    pthread_mutex_lock(&p->sig_lock);
    uint64_t h = p->sigaction[sig].handler;
    pthread_mutex_unlock(&p->sig_lock);
    return h;
}

static const char *sig_name(int sig, char *buf, size_t len)
{
    const char *abbrev = sigabbrev_np(sig);
    if (abbrev) snprintf(buf, len, "SIG%s", abbrev);
    else snprintf(buf, len, "signal %d", sig);
    return buf;
}

_Noreturn void signal_deliver_sync(struct task *t, int sig, int code, uint64_t addr)
{
    struct process *p = t->proc;
    char name[32];
    sig_name(sig, name, sizeof name);
    if (p->strace) {
        char line[160];
        int n = snprintf(line, sizeof line, "--- %s {si_signo=%s, si_code=%d, si_addr=0x%llx} ---\n",
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

void signal_deliver_self(struct task *t, int sig)
{
    struct process *p = t->proc;
    if (sig == SIGKILL) process_die_of_signal(p, sig);
    if (sig == SIGSTOP) {
        syscall(SYS_tgkill, getpid(), gettid(), SIGSTOP);
        return;
    }
    uint64_t h = guest_handler(p, sig);
    if (h == GUEST_SIG_IGN) return;
    if (t->sigmask & (1ull << (sig - 1))) {
        /* Pending signals come with signal delivery; dropped for now. */
        if (p->strace) log_warn("blocked signal %d dropped", sig);
        return;
    }
    if (h != GUEST_SIG_DFL) {
        char name[32];
        log_warn("guest signal handlers are not supported yet: %s takes its default action",
                 sig_name(sig, name, sizeof name));
    }
    switch (signal_default_action(sig)) {
    case SIG_DEFAULT_TERM: process_die_of_signal(p, sig);
    case SIG_DEFAULT_STOP: syscall(SYS_tgkill, getpid(), gettid(), SIGSTOP); return;
    case SIG_DEFAULT_IGNORE:
    case SIG_DEFAULT_CONT: return;
    }
}
