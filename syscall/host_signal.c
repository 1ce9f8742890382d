/* Host signal dispositions, masks and the recording handler (see
 * host_signal.h). All calls are raw syscalls: glibc's wrappers refuse or
 * silently drop signals 32 and 33, which belong to the guest here. */
#define _GNU_SOURCE
#include "syscall/host_signal.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "syscall/guest_signal.h"
#include "syscall/safe_syscall.h"

/* The kernel's struct sigaction (x86-64 and asm-generic alike). */
struct ksigaction {
    void *handler;
    unsigned long flags;
    void (*restorer)(void);
    uint64_t mask;
};
#define KSA_RESTORER 0x04000000ul
#define KSIG_DFL     ((void *)0)
#define KSIG_IGN     ((void *)1)

/* Synchronous fault signals: never blocked on the host (host_signal.h). */
#define NEVER_BLOCK                                                                                \
    (SIGBIT(SIGSEGV) | SIGBIT(SIGBUS) | SIGBIT(SIGILL) | SIGBIT(SIGFPE) | SIGBIT(SIGTRAP) |        \
     SIGBIT(SIGKILL) | SIGBIT(SIGSTOP))
#define ALL_SIGNALS (~0ull)
/* Host glibc's SIGCANCEL (the guest's SIGCANCEL/SIGTIMER too). */
#define HOST_SIGCANCEL 32

#if defined(__x86_64__)
/* x86-64 handlers must name their return trampoline (SA_RESTORER). */
__asm__(".text\n"
        ".globl shoal_host_sigreturn\n"
        ".hidden shoal_host_sigreturn\n"
        ".type shoal_host_sigreturn, @function\n"
        "shoal_host_sigreturn:\n"
        "    mov $15, %eax\n" /* rt_sigreturn */
        "    syscall\n"
        "    hlt\n"
        ".size shoal_host_sigreturn, .-shoal_host_sigreturn\n");
void shoal_host_sigreturn(void);
#endif

/* Host signal handlers can only find their context through globals: the
 * task this thread runs, and the DBT's fault handler we chain to. */
static __thread struct task *current_task;
static void (*dbt_fault_handler)(int, siginfo_t *, void *);
/* Host dispositions are per host process, so this is too. */
static bool record_defaults, record_stops;

static long raw_sigaction(int sig, const struct ksigaction *act, struct ksigaction *old) {
    struct ksigaction k;
    if (act) {
        k = *act;
#if defined(__x86_64__)
        k.flags |= KSA_RESTORER;
        k.restorer = shoal_host_sigreturn;
#endif
    }
    return syscall(SYS_rt_sigaction, sig, act ? &k : NULL, old, 8);
}

static void raw_setmask(int how, uint64_t set) {
    syscall(SYS_rt_sigprocmask, how, &set, NULL, 8);
}

/* A 32 or 33 (the only signals a starting host thread leaves unblocked:
 * host_signal_apply_action) that reached this thread before it ran a
 * task, kept here without a syscall that could fail (the kernel's
 * per-user queue limit) until host_signal_set_current hands it to the
 * task. */
#define EARLY_FIRST 32
static void requeue(int sig, const siginfo_t *si, int tid);
static __thread uint64_t early_bits;
static __thread siginfo_t early_info[2];

/* Whether the recorder kept sig for the task this thread will run. */
static bool keep_early(int sig, const siginfo_t *si) {
    if (sig < EARLY_FIRST || sig > EARLY_FIRST + 1 || (early_bits & SIGBIT(sig))) return false;
    early_info[sig - EARLY_FIRST] = *si;
    early_bits |= SIGBIT(sig);
    return true;
}

void host_signal_set_current(struct task *t) {
    current_task = t;
    if (!t || !early_bits) return;
    /* Blocked while they move: the recorder touches the same fields. */
    uint64_t old = host_signal_block_all();
    for (int sig = EARLY_FIRST; sig <= EARLY_FIRST + 1; sig++) {
        if (!(early_bits & SIGBIT(sig))) continue;
        struct task_signals *s = &t->sig;
        if (s->recorded & SIGBIT(sig)) {
            requeue(sig, &early_info[sig - EARLY_FIRST], (int)gettid());
        } else {
            memcpy(&s->info[sig], &early_info[sig - EARLY_FIRST], sizeof s->info[sig]);
            s->recorded |= SIGBIT(sig);
        }
        if (!(t->sigmask & SIGBIT(sig))) {
            s->pending = 1;
            t->cpu.attention = 1;
        }
    }
    early_bits = 0;
    host_signal_restore(old);
}

uint64_t host_signal_mask_of(uint64_t guest_mask) {
    return guest_mask & ~NEVER_BLOCK;
}

uint64_t host_signal_block_all(void) {
    uint64_t old = 0, all = ALL_SIGNALS & ~NEVER_BLOCK;
    syscall(SYS_rt_sigprocmask, SIG_BLOCK, &all, &old, 8);
    return old;
}

void host_signal_restore(uint64_t old) {
    raw_setmask(SIG_SETMASK, old);
}

void host_signal_set_mask(uint64_t guest_mask) {
    raw_setmask(SIG_SETMASK, host_signal_mask_of(guest_mask));
}

uint64_t host_signal_pending(void) {
    uint64_t set = 0;
    syscall(SYS_rt_sigpending, &set, 8);
    return set;
}

uint64_t host_signal_thread_pending(int host_tid) {
    char path[64];
    if (host_tid)
        snprintf(path, sizeof path, "/proc/self/task/%d/status", host_tid);
    else
        snprintf(path, sizeof path, "/proc/thread-self/status");
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    char line[256];
    unsigned long long set = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "SigPnd: %llx", &set) == 1) break;
    fclose(f);
    return set;
}

static void write_msg(const char *s) {
    ssize_t r = write(2, s, strlen(s));
    (void)r;
}

/* The recorder. Async-signal-safe: plain stores to this thread's task,
 * and raw syscalls. */
/* Queues sig again (Linux refuses kernel and kill codes from a thread
 * that is not the leader, so they travel wrapped: guest_signal.h). */
static void requeue(int sig, const siginfo_t *si, int tid) {
    struct aarch64_siginfo info;
    memcpy(&info, si, sizeof info);
    signal_wrap_routed(&info);
    if (tid)
        syscall(SYS_rt_tgsigqueueinfo, getpid(), tid, sig, &info);
    else
        syscall(SYS_rt_sigqueueinfo, getpid(), sig, &info);
}

static void record(int sig, siginfo_t *si, void *ucv) {
    int saved_errno = errno;
    ucontext_t *uc = ucv;
    uint64_t *uc_mask = (uint64_t *)(void *)&uc->uc_sigmask; /* the kernel's 64 bits */
    struct task *t = current_task;
    uint64_t bit = SIGBIT(sig);
    if (!t) {
        /* A thread not running a task yet (starting up), which blocks
         * every signal but the ones it cannot: host glibc's start_thread
         * unblocks its SIGCANCEL (32), the guest's SIGCANCEL/SIGTIMER. A
         * 32 is most likely aimed at this very thread (pthread_cancel's
         * tgkill, or a SIGEV_THREAD_ID timer for glibc's SIGEV_THREAD
         * helper as soon as clone returned), so it is kept for the task
         * (keep_early; queued again at this thread if that slot is
         * taken), and this thread blocks everything until task_run sets
         * the guest mask; handed to the process, it would kill a thread
         * that has 32 at its default action. A never-blocked one (a
         * kill()ed SIGSEGV) goes back to the process. */
        if (bit & NEVER_BLOCK)
            requeue(sig, si, 0);
        else if (!keep_early(sig, si))
            requeue(sig, si, (int)gettid());
        *uc_mask |= ALL_SIGNALS & ~NEVER_BLOCK;
        errno = saved_errno;
        return;
    }
    struct task_signals *s = &t->sig;
    if (!(s->recorded & bit)) {
        memcpy(&s->info[sig], si, sizeof s->info[sig]);
        __atomic_signal_fence(__ATOMIC_SEQ_CST);
        s->recorded |= bit;
    } else if (sig >= 32) {
        /* A second real-time instance before the first was delivered
         * (only after a fault reset the mask): queue it again at the
         * kernel, blocked here until the run loop sets the mask. */
        requeue(sig, si, (int)gettid());
        *uc_mask |= bit;
    } /* a second standard signal merges with the first, as on Linux */
    if (!(t->sigmask & bit)) {
        s->pending = 1;
        t->cpu.attention = 1;
        /* Until the run loop delivers it, further signals wait in the
         * kernel (or go to another thread), as qemu does. */
        *uc_mask |= ALL_SIGNALS & ~NEVER_BLOCK;
        safe_syscall_rewind(ucv);
    }
    errno = saved_errno;
}

/* SIGILL/SIGFPE/SIGTRAP: the ones the kernel raises (si_code > 0) come
 * from the emulator's own code, since guest code never runs natively. */
static void record_or_die(int sig, siginfo_t *si, void *uc) {
    if (si->si_code > 0 && (sig == SIGILL || sig == SIGFPE || sig == SIGTRAP)) {
        write_msg("shoal: internal error: host fault signal in the emulator\n");
        struct ksigaction dfl = {.handler = KSIG_DFL};
        raw_sigaction(sig, &dfl, NULL); /* re-executing the insn kills us */
        return;
    }
    record(sig, si, uc);
}

#define KICK_VALUE 0x5ea1c1c4

/* A kick (host_signal_kick) for a thread that runs no guest code. A guest
 * thread (current_task set) never takes one for a kick: the guest could
 * queue the same value itself. */
static bool is_kick(int sig, const siginfo_t *si) {
    return sig == SIGBUS && !current_task && si->si_code == SI_QUEUE && si->si_pid == getpid() &&
           si->si_value.sival_int == KICK_VALUE;
}

void host_signal_kick(int tid) {
    siginfo_t si;
    memset(&si, 0, sizeof si);
    si.si_signo = SIGBUS;
    si.si_code = SI_QUEUE;
    si.si_pid = getpid();
    si.si_uid = getuid();
    si.si_value.sival_int = KICK_VALUE;
    syscall(SYS_rt_tgsigqueueinfo, getpid(), tid, SIGBUS, &si);
}

/* SIGSEGV/SIGBUS: faults go to the DBT, kill()s to the recorder. */
static void fault_entry(int sig, siginfo_t *si, void *uc) {
    if (is_kick(sig, si)) {
        safe_syscall_rewind(uc); /* the sender set the word it tests */
        return;
    }
    if (si->si_code <= 0)
        record(sig, si, uc);
    else
        dbt_fault_handler(sig, si, uc);
}

static void install(int sig, void (*fn)(int, siginfo_t *, void *), unsigned long flags) {
    struct ksigaction ka = {
        .handler = (void *)fn,
        .flags = SA_SIGINFO | flags,
        /* The recorder must not interrupt itself: it updates a bit set. */
        .mask = ALL_SIGNALS & ~NEVER_BLOCK,
    };
    raw_sigaction(sig, &ka, NULL);
}

void host_signal_record_defaults(bool on) {
    record_defaults = on;
}

void host_signal_record_stops(struct process *p, bool on) {
    record_stops = on;
    static const int stops[] = {SIGTSTP, SIGTTIN, SIGTTOU};
    for (size_t i = 0; p && i < sizeof stops / sizeof stops[0]; i++)
        host_signal_reapply(p, stops[i]);
}

void host_signal_apply_action(int sig, const struct aarch64_sigaction *act) {
    if (sig == SIGSEGV || sig == SIGBUS || sig == SIGKILL || sig == SIGSTOP) return;
    unsigned long chld = 0;
    if (sig == SIGCHLD) chld = act->flags & (SA_NOCLDSTOP | SA_NOCLDWAIT);
    enum sig_default dfl = signal_default_action(sig);
    /* 32 never terminates natively: host glibc's start_thread unblocks
     * its SIGCANCEL (32) in every new host thread, before task_run gives
     * it the guest's mask, and a 32 aimed at that thread (glibc's
     * SIGEV_THREAD helper gets its first SIGTIMER as soon as clone has
     * returned) would kill the whole process. The recorder keeps it for
     * the thread instead (record). Nor is 32 or 33 ignored natively: in
     * that same window the kernel would discard a 32 the guest thread
     * blocks (it waits for it in sigwaitinfo), and a run started with
     * them ignored (as `make` can leave them: ignored signals survive
     * exec) lost every first SIGTIMER. The run loop drops what the guest
     * ignores (deliver). */
    bool native = dfl != SIG_DEFAULT_CORE && (!record_defaults || dfl != SIG_DEFAULT_TERM) &&
                  (!record_stops || dfl != SIG_DEFAULT_STOP) && sig != HOST_SIGCANCEL;
    bool glibc_own = sig == HOST_SIGCANCEL || sig == HOST_SIGCANCEL + 1;
    if ((act->handler == GUEST_SIG_IGN && !glibc_own) ||
        (act->handler == GUEST_SIG_DFL && native)) {
        struct ksigaction ka = {.handler = act->handler == GUEST_SIG_IGN ? KSIG_IGN : KSIG_DFL,
                                .flags = chld};
        raw_sigaction(sig, &ka, NULL);
        return;
    }
    install(sig, record_or_die, chld);
}

void host_signal_reapply(struct process *p, int sig) {
    pthread_mutex_lock(&p->sig_lock);
    host_signal_apply_action(sig, &p->sigaction[sig]);
    pthread_mutex_unlock(&p->sig_lock);
}

void host_signal_init(struct process *p, struct task *t) {
    struct ksigaction old;
    raw_sigaction(SIGSEGV, NULL, &old);
    if (old.handler != (void *)fault_entry) /* a second process in one host process (tests) */
        dbt_fault_handler = (void (*)(int, siginfo_t *, void *))old.handler;
    /* SA_NODEFER as the DBT installs it: it siglongjmps out. */
    install(SIGSEGV, fault_entry, SA_NODEFER);
    install(SIGBUS, fault_entry, SA_NODEFER);
    for (int sig = 1; sig <= GUEST_NSIG; sig++) {
        if (sig == SIGSEGV || sig == SIGBUS || sig == SIGKILL || sig == SIGSTOP) continue;
        if (raw_sigaction(sig, NULL, &old) != 0) continue;
        p->sigaction[sig].handler = old.handler == KSIG_IGN ? GUEST_SIG_IGN : GUEST_SIG_DFL;
        host_signal_apply_action(sig, &p->sigaction[sig]);
    }
    uint64_t mask = 0;
    syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &mask, 8);
    t->sigmask = mask & ~(SIGBIT(SIGKILL) | SIGBIT(SIGSTOP));
}

void host_signal_die(int sig) {
    /* Die like the native process would, without dumping the emulator's core. */
    struct rlimit none = {0, 0};
    setrlimit(RLIMIT_CORE, &none);
    struct ksigaction dfl = {.handler = KSIG_DFL};
    raw_sigaction(sig, &dfl, NULL);
    raw_setmask(SIG_UNBLOCK, SIGBIT(sig));
    syscall(SYS_tgkill, getpid(), gettid(), sig);
}
