/* Signal syscalls: actions, masks and alternate stacks are stored per
 * process / per task; sending to ourselves acts at once (guest_signal.c),
 * sending to other processes goes to the host. */
#define _GNU_SOURCE
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "syscall/guest_signal.h"
#include "syscall/syscall.h"

#define UNBLOCKABLE ((1ull << (SIGKILL - 1)) | (1ull << (SIGSTOP - 1)))

static bool valid_sig(uint64_t sig) {
    return sig >= 1 && sig <= GUEST_NSIG;
}

SYSCALL_HANDLER(rt_sigaction) {
    int sig = (int)a[0];
    if (a[3] != 8 || !valid_sig(a[0])) return -EINVAL;
    struct aarch64_sigaction act, old;
    if (a[1]) {
        if (sig == SIGKILL || sig == SIGSTOP) return -EINVAL;
        if (gs_copy_in(&t->proc->mem, &act, a[1], sizeof act)) return -EFAULT;
    }
    struct process *p = t->proc;
    pthread_mutex_lock(&p->sig_lock);
    old = p->sigaction[sig];
    if (a[1]) {
        act.mask &= ~UNBLOCKABLE;
        p->sigaction[sig] = act;
        signal_mirror_action(sig, act.handler);
    }
    pthread_mutex_unlock(&p->sig_lock);
    if (a[2] && gs_copy_out(&p->mem, a[2], &old, sizeof old)) return -EFAULT;
    return 0;
}

SYSCALL_HANDLER(rt_sigprocmask) {
    if (a[3] != 8) return -EINVAL;
    uint64_t set = 0, old = t->sigmask;
    if (a[1]) {
        if (gs_copy_in(&t->proc->mem, &set, a[1], sizeof set)) return -EFAULT;
        switch (a[0]) {
        case SIG_BLOCK: t->sigmask |= set; break;
        case SIG_UNBLOCK: t->sigmask &= ~set; break;
        case SIG_SETMASK: t->sigmask = set; break;
        default: return -EINVAL;
        }
        t->sigmask &= ~UNBLOCKABLE;
        signal_mirror_mask(t->sigmask);
    }
    /* Like Linux: a bad oldset still leaves the new mask in place. */
    if (a[2] && gs_copy_out(&t->proc->mem, a[2], &old, sizeof old)) return -EFAULT;
    return 0;
}

SYSCALL_HANDLER(rt_sigpending) {
    if (a[1] != 8) return -EINVAL;
    uint64_t none = 0;
    return gs_copy_out(&t->proc->mem, a[0], &none, sizeof none);
}

SYSCALL_HANDLER(sigaltstack) {
    struct aarch64_stack_t old = t->altstack, ss;
    if (a[0]) {
        if (gs_copy_in(&t->proc->mem, &ss, a[0], sizeof ss)) return -EFAULT;
        int mode = ss.ss_flags & ~(int32_t)(1u << 31); /* SS_AUTODISARM */
        if (mode != 0 && mode != GUEST_SS_DISABLE) return -EINVAL;
        if (mode == GUEST_SS_DISABLE) {
            ss.ss_sp = 0;
            ss.ss_size = 0;
        } else if (ss.ss_size < GUEST_MINSIGSTKSZ) {
            return -ENOMEM;
        }
        t->altstack = ss;
    }
    if (a[1] && gs_copy_out(&t->proc->mem, a[1], &old, sizeof old)) return -EFAULT;
    return 0;
}

SYSCALL_HANDLER(kill) {
    pid_t pid = (pid_t)a[0];
    int sig = (int)a[1];
    if (sig < 0 || sig > GUEST_NSIG) return -EINVAL;
    if (pid != getpid() || sig == 0) return host_result(kill(pid, sig));
    return signal_send_own(t, 0, sig);
}

/* True if tid is a thread of this process. */
static bool own_thread(pid_t tid) {
    return syscall(SYS_tgkill, getpid(), tid, 0) == 0;
}

SYSCALL_HANDLER(tgkill) {
    pid_t tgid = (pid_t)a[0], tid = (pid_t)a[1];
    int sig = (int)a[2];
    if (sig < 0 || sig > GUEST_NSIG || tgid <= 0 || tid <= 0) return -EINVAL;
    if (tgid != getpid() || sig == 0) return host_result(syscall(SYS_tgkill, tgid, tid, sig));
    if (!own_thread(tid)) return -ESRCH;
    return signal_send_own(t, tid, sig);
}

SYSCALL_HANDLER(tkill) {
    pid_t tid = (pid_t)a[0];
    int sig = (int)a[1];
    if (sig < 0 || sig > GUEST_NSIG || tid <= 0) return -EINVAL;
    if (sig == 0 || !own_thread(tid)) return host_result(syscall(SYS_tkill, tid, sig));
    return signal_send_own(t, tid, sig);
}

SYSCALL_HANDLER(rt_sigreturn) {
    return -ENOSYS;
}

const struct syscall_row sys_signal_rows[] = {
    {129, "kill", sys_kill, "dS", 'd', SC_GLOBAL},
    {130, "tkill", sys_tkill, "dS", 'd', SC_GLOBAL},
    {131, "tgkill", sys_tgkill, "ddS", 'd', SC_GLOBAL},
    {132, "sigaltstack", sys_sigaltstack, "pp", 'd', SC_LOCAL},
    {134, "rt_sigaction", sys_rt_sigaction, "Sppu", 'd', SC_GLOBAL},
    {135, "rt_sigprocmask", sys_rt_sigprocmask, "dppu", 'd', SC_LOCAL},
    {136, "rt_sigpending", sys_rt_sigpending, "pu", 'd', SC_LOCAL},
    {139, "rt_sigreturn", sys_rt_sigreturn, "", 'd', SC_LOCAL},
    SYSCALL_ROWS_END,
};
