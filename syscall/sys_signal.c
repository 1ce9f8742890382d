/* Signal syscalls. Actions are per process, masks, alternate stacks and
 * recorded signals per task (guest_signal.c); sending goes straight to
 * the host kernel, since guest signal numbers, pids and tids are the
 * host's (host_signal.h), so it routes, queues and masks as Linux. In a
 * cluster (these rows run on the master) a changed action is sent to
 * every node, and a signal for a thread of another node is routed there
 * (process_cluster_ops); process-directed ones stay the host kernel's,
 * the master's router takes those no thread here accepts. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "syscall/guest_signal.h"
#include "syscall/host_signal.h"
#include "syscall/safe_syscall.h"
#include "syscall/syscall.h"

static bool valid_sig(uint64_t sig) {
    return sig >= 1 && sig <= GUEST_NSIG;
}

/* Whether act makes sig ignored (so pending instances are dropped). */
static bool ignores(int sig, const struct aarch64_sigaction *act) {
    return act->handler == GUEST_SIG_IGN ||
           (act->handler == GUEST_SIG_DFL && signal_default_action(sig) == SIG_DEFAULT_IGNORE);
}

SYSCALL_HANDLER(rt_sigaction) {
    int sig = (int)a[0];
    if (a[3] != 8 || !valid_sig(a[0])) return -EINVAL;
    struct aarch64_sigaction act, old;
    if (a[1]) {
        if (sig == SIGKILL || sig == SIGSTOP) return -EINVAL;
        if (guest_copy_in(t, &act, a[1], sizeof act)) return -EFAULT;
        act.flags &= GUEST_SA_KNOWN;
        act.mask &= ~GUEST_UNBLOCKABLE;
    }
    struct process *p = t->proc;
    pthread_mutex_lock(&p->sig_lock);
    old = p->sigaction[sig];
    if (a[1]) {
        p->sigaction[sig] = act;
        host_signal_apply_action(sig, &act);
    }
    pthread_mutex_unlock(&p->sig_lock);
    if (a[1] && p->cluster && p->cluster->sigaction_changed) p->cluster->sigaction_changed(p, sig);
    /* Linux drops pending instances of a newly ignored signal; the host
     * kernel does it for its queues, this does it for ours. */
    if (a[1] && ignores(sig, &act)) signal_discard_recorded(t, sig);
    if (a[2] && guest_copy_out(t, a[2], &old, sizeof old)) return -EFAULT;
    return 0;
}

SYSCALL_HANDLER(rt_sigprocmask) {
    if (a[3] != 8) return -EINVAL;
    uint64_t set = 0, old = t->sigmask;
    if (a[1]) {
        if (gs_copy_in(&t->proc->mem, &set, a[1], sizeof set)) return -EFAULT;
        uint64_t m;
        switch (a[0]) {
        case SIG_BLOCK: m = t->sigmask | set; break;
        case SIG_UNBLOCK: m = t->sigmask & ~set; break;
        case SIG_SETMASK: m = set; break;
        default: return -EINVAL;
        }
        signal_set_mask(t, m);
    }
    /* Like Linux: a bad oldset still leaves the new mask in place. */
    if (a[2] && gs_copy_out(&t->proc->mem, a[2], &old, sizeof old)) return -EFAULT;
    return 0;
}

SYSCALL_HANDLER(rt_sigpending) {
    if (a[1] > 8) return -EINVAL;
    uint64_t set = t->sig.recorded | host_signal_pending();
    /* a proxy: the process's, which the thread's node masks and adds
     * to the thread's own */
    if (t->proxy) return gs_copy_out(&t->proc->mem, a[0], &set, a[1]);
    const struct process_cluster_ops *cl = t->proc->cluster;
    if (cl && cl->process_pending) {
        uint64_t shared;
        int r = cl->process_pending(t, a, &shared);
        if (r) return r;
        set |= shared;
    }
    /* Linux reports the pending signals that are also blocked. */
    set &= t->sigmask;
    return gs_copy_out(&t->proc->mem, a[0], &set, a[1]);
}

SYSCALL_HANDLER(rt_sigsuspend) {
    if (a[1] != 8) return -EINVAL;
    uint64_t mask;
    if (gs_copy_in(&t->proc->mem, &mask, a[0], sizeof mask)) return -EFAULT;
    t->sig.saved_mask = t->sigmask;
    t->sig.saved_mask_valid = true;
    signal_set_mask(t, mask);
    uint64_t hmask = host_signal_mask_of(t->sigmask);
    /* Returns when any host handler ran (or one is already recorded);
     * signal_handle() then delivers, or restarts us if nothing was
     * deliverable. */
    safe_syscall(&t->sig.pending, SYS_rt_sigsuspend, &hmask, 8, 0, 0, 0, 0);
    return -GUEST_ERESTARTNOHAND;
}

SYSCALL_HANDLER(rt_sigtimedwait) {
    if (a[3] != 8) return -EINVAL;
    uint64_t set;
    if (gs_copy_in(&t->proc->mem, &set, a[0], sizeof set)) return -EFAULT;
    set &= ~GUEST_UNBLOCKABLE;
    const void *ts = NULL;
    if (a[2] && !(ts = GUEST_IN(t, a[2], sizeof(struct timespec)))) return -EFAULT;
    struct aarch64_siginfo info;
    int64_t sig = signal_wait_take(t, set, ts, &info);
    if (sig <= 0) return safe_syscall_eintr(sig); /* -EAGAIN, -EINTR (not restarted, as on Linux) */
    if (a[1] && gs_copy_out(&t->proc->mem, a[1], &info, sizeof info)) return -EFAULT;
    return sig;
}

SYSCALL_HANDLER(sigaltstack) {
    uint64_t sp = t->cpu.x[31];
    struct aarch64_stack_t old = t->altstack, ss;
    old.ss_flags = signal_altstack_flags(t, sp) |
                   (int32_t)((uint32_t)t->altstack.ss_flags & GUEST_SS_AUTODISARM);
    old.pad = 0;
    if (a[0]) {
        if (gs_copy_in(&t->proc->mem, &ss, a[0], sizeof ss)) return -EFAULT;
        int r = signal_altstack_set(t, &ss, sp);
        if (r) return r;
    }
    if (a[1] && gs_copy_out(&t->proc->mem, a[1], &old, sizeof old)) return -EFAULT;
    return 0;
}

SYSCALL_HANDLER(kill) {
    if (a[1] > GUEST_NSIG) return -EINVAL;
    return host_result(kill((pid_t)a[0], (int)a[1]));
}

/* What the kernel fills in for a signal sent by tkill/tgkill: the
 * process's pid (the master's, in a cluster) and uid. */
static void tkill_info(struct aarch64_siginfo *info, int sig) {
    memset(info, 0, sizeof *info);
    info->si_signo = sig;
    info->si_code = GUEST_SI_TKILL;
    info->u.kill.pid = getpid();
    info->u.kill.uid = getuid();
}

/* A thread-directed signal: to another node if tid runs there (1: it
 * does not, send it on this host). */
static int send_remote(struct task *t, int tid, int sig, const struct aarch64_siginfo *info) {
    const struct process_cluster_ops *cl = t->proc->cluster;
    if (!cl || !cl->signal_remote) return 1;
    return cl->signal_remote(t->proc, tid, sig, info);
}

SYSCALL_HANDLER(tgkill) {
    if (a[2] > GUEST_NSIG) return -EINVAL;
    if ((int64_t)a[0] == getpid() && (int)a[1] > 0) {
        struct aarch64_siginfo info;
        tkill_info(&info, (int)a[2]);
        int r = send_remote(t, (int)a[1], (int)a[2], &info);
        if (r <= 0) return r;
    }
    return host_result(syscall(SYS_tgkill, (pid_t)a[0], (pid_t)a[1], (int)a[2]));
}

SYSCALL_HANDLER(tkill) {
    if (a[1] > GUEST_NSIG) return -EINVAL;
    if ((int)a[0] > 0) {
        struct aarch64_siginfo info;
        tkill_info(&info, (int)a[1]);
        int r = send_remote(t, (int)a[0], (int)a[1], &info);
        if (r <= 0) return r;
    }
    return host_result(syscall(SYS_tkill, (pid_t)a[0], (int)a[1]));
}

/* sigqueue(3), pthread_sigqueue(3): the guest's siginfo is passed as is
 * (same layout); the host kernel checks si_code against the target. */
SYSCALL_HANDLER(rt_sigqueueinfo) {
    struct aarch64_siginfo info;
    if (a[1] > GUEST_NSIG) return -EINVAL;
    if (guest_copy_in(t, &info, a[2], sizeof info)) return -EFAULT;
    return host_result(syscall(SYS_rt_sigqueueinfo, (pid_t)a[0], (int)a[1], &info));
}

SYSCALL_HANDLER(rt_tgsigqueueinfo) {
    struct aarch64_siginfo info;
    if (a[2] > GUEST_NSIG) return -EINVAL;
    if (guest_copy_in(t, &info, a[3], sizeof info)) return -EFAULT;
    if ((int64_t)a[0] == getpid() && (int)a[1] > 0) {
        info.si_signo = (int)a[2];
        int r = send_remote(t, (int)a[1], (int)a[2], &info);
        if (r <= 0) return r;
    }
    return host_result(syscall(SYS_rt_tgsigqueueinfo, (pid_t)a[0], (pid_t)a[1], (int)a[2], &info));
}

/* signalfd4: the mask and struct signalfd_siginfo are the same on both
 * sides, and so are SFD_NONBLOCK/SFD_CLOEXEC (O_NONBLOCK/O_CLOEXEC). */
SYSCALL_HANDLER(signalfd4) {
    uint64_t mask;
    if (a[2] != 8) return -EINVAL;
    if (guest_copy_in(t, &mask, a[1], sizeof mask)) return -EFAULT;
    int64_t r = host_result(syscall(SYS_signalfd4, (int)a[0], &mask, 8, (int)a[3]));
    if (r >= 0) atomic_store(&t->proc->signalfds, true);
    return r;
}

SYSCALL_HANDLER(rt_sigreturn) {
    return signal_sigreturn(t);
}

const struct syscall_row sys_signal_rows[] = {
    {74, "signalfd4", sys_signalfd4, "#iux", 'd', SC_GLOBAL},
    {129, "kill", sys_kill, "dS", 'd', SC_GLOBAL},
    {130, "tkill", sys_tkill, "dS", 'd', SC_GLOBAL},
    {131, "tgkill", sys_tgkill, "ddS", 'd', SC_GLOBAL},
    {132, "sigaltstack", sys_sigaltstack, "pp", 'd', SC_LOCAL},
    {133, "rt_sigsuspend", sys_rt_sigsuspend, "pu", 'd', SC_LOCAL},
    /* struct sigaction (arm64's kernel layout: handler, flags, restorer,
     * mask): 32 bytes read ('c') and written ('N') */
    {134, "rt_sigaction", sys_rt_sigaction, "ScNu", 'd', SC_GLOBAL},
    {135, "rt_sigprocmask", sys_rt_sigprocmask, "dppu", 'd', SC_LOCAL},
    {136, "rt_sigpending", sys_rt_sigpending, "pu", 'd', SC_LOCAL},
    {137, "rt_sigtimedwait", sys_rt_sigtimedwait, "pppu", 'd', SC_LOCAL},
    {138, "rt_sigqueueinfo", sys_rt_sigqueueinfo, "dSy", 'd', SC_GLOBAL},
    {139, "rt_sigreturn", sys_rt_sigreturn, "", 'x', SC_LOCAL},
    {240, "rt_tgsigqueueinfo", sys_rt_tgsigqueueinfo, "ddSy", 'd', SC_GLOBAL},
    SYSCALL_ROWS_END,
};
