/* Guest signal semantics (see guest_signal.h): choosing the next signal,
 * default actions, building the frame on the guest stack, rt_sigreturn,
 * alternate stacks, syscall restart. Follows arch/arm64/kernel/signal.c
 * and kernel/signal.c. */
#define _GNU_SOURCE
#include "common/fd_io.h"
#include "syscall/guest_signal.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "syscall/file_eof.h"
#include "syscall/host_signal.h"
#include "syscall/safe_syscall.h"
#include "syscall/sigframe.h"
#include "syscall/syscall.h"
#include "syscall/timer_signal.h"

/* Linux dequeues these first (SYNCHRONOUS_MASK). */
#define SYNC_SIGNALS                                                                               \
    (SIGBIT(SIGSEGV) | SIGBIT(SIGBUS) | SIGBIT(SIGILL) | SIGBIT(SIGTRAP) | SIGBIT(SIGFPE) |        \
     SIGBIT(SIGSYS))

enum sig_default signal_default_action(int sig) {
    switch (sig) {
    case SIGQUIT:
    case SIGILL:
    case SIGTRAP:
    case SIGABRT:
    case SIGBUS:
    case SIGFPE:
    case SIGSEGV:
    case SIGXCPU:
    case SIGXFSZ:
    case SIGSYS: return SIG_DEFAULT_CORE;
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

/* The page the guest's handlers return to when they have no
 * SA_RESTORER, like the vDSO's __kernel_rt_sigreturn: a NOP first, so an
 * unwinder looking up return address - 1 stays inside this page. */
static int map_trampoline(struct process *p) {
    int64_t page = gs_mmap(&p->mem, 0, GUEST_PAGE_SIZE, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page < 0) return (int)page;
    const uint32_t code[] = {AARCH64_INSN_NOP, AARCH64_INSN_MOV_X8_139, AARCH64_INSN_SVC_0};
    gs_copy_out(&p->mem, (uint64_t)page, code, sizeof code);
    gs_mprotect(&p->mem, (uint64_t)page, GUEST_PAGE_SIZE, PROT_READ | PROT_EXEC);
    p->sigtramp = (uint64_t)page + 4;
    return 0;
}

int signal_process_init(struct process *p, struct task *t) {
    host_signal_init(p, t);
    return map_trampoline(p);
}

/* --strace: "TID --- SIGSEGV {si_signo=SIGSEGV, si_code=1, si_addr=...} ---". */
static void strace_signal(struct task *t, const struct aarch64_siginfo *si) {
    if (!t->proc->strace) return;
    char line[256];
    strace_format_signal(t->tid, si, line, sizeof line);
    ssize_t r = fd_write_own(2, line, strlen(line));
    (void)r;
}

/* Recomputes `pending` (call with host signals blocked). */
static void update_pending(struct task *t) {
    struct task_signals *s = &t->sig;
    bool any = s->sync_valid || (s->recorded & ~t->sigmask);
    s->pending = any;
    if (any) t->cpu.attention = 1;
}

void signal_set_mask(struct task *t, uint64_t mask) {
    if (t->proxy) {
        /* a cluster proxy's host thread blocks every signal, and its
         * pending word is the kick's (host_signal_kick): only the mask
         * it runs the call with changes */
        t->sigmask = mask & ~GUEST_UNBLOCKABLE;
        return;
    }
    host_signal_block_all();
    t->sigmask = mask & ~GUEST_UNBLOCKABLE;
    update_pending(t);
    host_signal_set_mask(t->sigmask);
    signal_mask_opened(t);
}

void signal_mask_opened(struct task *t) {
    const struct process_cluster_ops *cl = t->proc->cluster;
    if (cl && cl->mask_opened) cl->mask_opened(t);
}

/* The kernel keeps only the first 48 bytes of a siginfo (its
 * kernel_siginfo) and refuses codes it does not know with a non-zero
 * rest, so the wrapper is a code it knows (SI_ASYNCNL, which no guest
 * sends) and the tag sits in the last 8 of those 48 bytes (unused by
 * kill, tkill and sigqueue; a SIGCHLD's si_stime is lost). */
#define ROUTED_CODE  (-60)       /* SI_ASYNCNL */
#define ROUTED_MAGIC 0x53484f4cu /* "SHOL" */
#define ROUTED_TAG   24          /* offset in the union: bytes 40..47 of the siginfo */

void signal_wrap_routed(struct aarch64_siginfo *info) {
    if (info->si_code < 0 && info->si_code != GUEST_SI_TKILL) return;
    uint32_t tag[2] = {ROUTED_MAGIC, (uint32_t)info->si_code};
    memcpy(&info->u.raw[ROUTED_TAG], tag, sizeof tag);
    info->si_code = ROUTED_CODE;
}

void signal_unwrap_routed(struct aarch64_siginfo *info) {
    uint32_t tag[2];
    if (info->si_code != ROUTED_CODE) return;
    memcpy(tag, &info->u.raw[ROUTED_TAG], sizeof tag);
    if (tag[0] != ROUTED_MAGIC) return;
    info->si_code = (int32_t)tag[1];
    memset(&info->u.raw[ROUTED_TAG], 0, sizeof tag);
}

int signal_queue_routed(int host_tid, int sig, const struct aarch64_siginfo *info) {
    struct aarch64_siginfo i = *info;
    i.si_signo = sig;
    signal_wrap_routed(&i);
    return syscall(SYS_rt_tgsigqueueinfo, getpid(), host_tid, sig, &i) ? -errno : 0;
}

int signal_queue_task(struct task *t, int host_tid, int sig, const struct aarch64_siginfo *info) {
    if (timer_signal_fold(t, sig, info)) return 0;
    return signal_queue_routed(host_tid, sig, info);
}

bool signal_queue_local(struct process *p, int tid, int sig, const struct aarch64_siginfo *info) {
    pthread_mutex_lock(&p->stats.lock);
    struct task *t = process_local_task(p, tid);
    /* a thread made but not yet run: its host tid is its tid here */
    if (t) signal_queue_task(t, t->host_tid ? t->host_tid : t->tid, sig, info);
    pthread_mutex_unlock(&p->stats.lock);
    return t != NULL;
}

void signal_to_cluster_thread(struct process *p, int tid, int sig,
                              const struct aarch64_siginfo *info) {
    const struct process_cluster_ops *cl = p->cluster;
    if (!cl || !cl->signal_remote || cl->signal_remote(p, tid, sig, info) != 1) return;
    signal_queue_local(p, tid, sig, info); /* a thread of this node */
}

static int take_lowest(struct task *t, uint64_t avail, struct aarch64_siginfo *info) {
    for (;;) {
        if (!avail) return 0;
        uint64_t from = avail & SYNC_SIGNALS ? avail & SYNC_SIGNALS : avail;
        int sig = __builtin_ctzll(from) + 1;
        *info = t->sig.info[sig];
        info->si_signo = sig;
        signal_unwrap_routed(info);
        t->sig.recorded &= ~SIGBIT(sig);
        avail &= ~SIGBIT(sig);
        /* a signal of a timer re-armed or deleted since is no signal */
        if (!timer_signal_taken(t, sig, info)) continue;
        timer_signal_report(t, info);
        return sig;
    }
}

int signal_take_recorded(struct task *t, uint64_t set, struct aarch64_siginfo *info) {
    host_signal_block_all();
    int sig = take_lowest(t, t->sig.recorded & set, info);
    update_pending(t);
    host_signal_set_mask(t->sigmask);
    return sig;
}

int64_t signal_wait_take(struct task *t, uint64_t set, const struct timespec *ts,
                         struct aarch64_siginfo *info) {
    memset(info, 0, sizeof *info);
    int64_t sig = signal_take_recorded(t, set, info);
    if (sig) return sig;
    atomic_store(&t->sigwait_set, set);
    signal_mask_opened(t);
    do {
        sig = safe_syscall_base(&t->sig.pending, SYS_rt_sigtimedwait, (long)&set, (long)info,
                                (long)ts, 8, 0, 0);
        if (sig > 0) signal_unwrap_routed(info);
        /* a signal of a timer re-armed or deleted since: wait on (up to
         * ts again) */
    } while (sig > 0 && !timer_signal_taken(t, (int)sig, info));
    atomic_store(&t->sigwait_set, 0);
    if (sig <= 0) return sig;
    timer_signal_report(t, info);
    return sig;
}

void signal_discard_recorded(struct task *t, int sig) {
    if (!(t->sig.recorded & SIGBIT(sig))) return;
    host_signal_block_all();
    t->sig.recorded &= ~SIGBIT(sig);
    update_pending(t);
    host_signal_set_mask(t->sigmask);
}

/* Sets the action of sig to SIG_DFL (host disposition included). */
static void reset_to_default(struct process *p, int sig) {
    p->sigaction[sig].handler = GUEST_SIG_DFL;
    host_signal_apply_action(sig, &p->sigaction[sig]);
}

void signal_force(struct task *t, int sig, int code, uint64_t addr, uint64_t fault_address) {
    struct process *p = t->proc;
    pthread_mutex_lock(&p->sig_lock);
    bool blocked = t->sigmask & SIGBIT(sig);
    if (blocked || p->sigaction[sig].handler == GUEST_SIG_IGN) {
        reset_to_default(p, sig);
        t->sigmask &= ~SIGBIT(sig);
    }
    pthread_mutex_unlock(&p->sig_lock);
    struct task_signals *s = &t->sig;
    memset(&s->sync, 0, sizeof s->sync);
    s->sync.si_signo = sig;
    s->sync.si_code = code;
    s->sync.u.addr = addr;
    s->sync_valid = true;
    s->fault_address = fault_address;
    s->pending = 1;
    t->cpu.attention = 1;
}

/* A SIGSEGV on a node whose layout may be behind the master's (a change
 * that only adds, guest_mem.h catch_up): the instruction runs again
 * once the node caught up, with its own queue first; it takes the signal
 * when it faults again at the same place and asking the master changed
 * nothing. A fault leaves guest state as it was before the instruction
 * (a handler that returns runs it again), so running it again is safe. */
static bool retry_caught_up(struct task *t, uint64_t addr) {
    struct guest_space *gs = &t->proc->mem;
    struct task_signals *s = &t->sig;
    if (!gs->catch_up) return false;
    bool again = s->retry_valid && s->retry_pc == t->cpu.pc && s->retry_addr == addr;
    gs->catch_up(gs->catch_up_opaque, again);
    uint64_t now = atomic_load(&gs->changes);
    if (again && now == s->retry_changes) return false;
    s->retry_valid = true;
    s->retry_pc = t->cpu.pc;
    s->retry_addr = addr;
    s->retry_changes = now;
    return true;
}

void signal_from_cpu(struct task *t) {
    struct cpu *cpu = &t->cpu;
    int sig = cpu->exit_signo, code = cpu->exit_code;
    uint64_t addr = cpu->exit_addr;
    struct guest_vma v;
    if (sig == SIGSEGV && (code == SEGV_MAPERR || code == SEGV_ACCERR) && retry_caught_up(t, addr))
        return;
    if (sig == SIGSEGV && (code == SEGV_MAPERR || code == SEGV_ACCERR))
        code = gs_find(&t->proc->mem, addr, &v) ? SEGV_ACCERR : SEGV_MAPERR;
    /* a cluster's file copy past the end of its file: Linux's SIGBUS */
    if (sig == SIGSEGV && code == SEGV_ACCERR && gs_past_eof(&t->proc->mem, addr)) {
        sig = SIGBUS;
        code = BUS_ADRERR;
    }
    /* arm64 reports the faulting address of data aborts only. */
    signal_force(t, sig, code, addr, (sig == SIGSEGV || sig == SIGBUS) ? addr : 0);
}

/* Linux's force_sigsegv after a frame could not be written. */
static void force_sigsegv(struct task *t, int failed_sig) {
    if (failed_sig == SIGSEGV) {
        pthread_mutex_lock(&t->proc->sig_lock);
        reset_to_default(t->proc, SIGSEGV);
        pthread_mutex_unlock(&t->proc->sig_lock);
    }
    signal_force(t, SIGSEGV, GUEST_SI_KERNEL, 0, t->sig.fault_address);
}

static bool on_altstack(const struct task *t, uint64_t sp) {
    const struct aarch64_stack_t *ss = &t->altstack;
    if ((uint32_t)ss->ss_flags & GUEST_SS_AUTODISARM) return false;
    return sp > ss->ss_sp && sp - ss->ss_sp <= ss->ss_size;
}

int signal_altstack_flags(const struct task *t, uint64_t sp) {
    if (!t->altstack.ss_size) return GUEST_SS_DISABLE;
    return on_altstack(t, sp) ? GUEST_SS_ONSTACK : 0;
}

int signal_altstack_set(struct task *t, const struct aarch64_stack_t *ss, uint64_t sp) {
    if (on_altstack(t, sp)) return -EPERM;
    int mode = (int)((uint32_t)ss->ss_flags & ~GUEST_SS_AUTODISARM);
    if (mode != 0 && mode != GUEST_SS_ONSTACK && mode != GUEST_SS_DISABLE) return -EINVAL;
    struct aarch64_stack_t n = *ss;
    n.pad = 0;
    if (mode == GUEST_SS_DISABLE) {
        n.ss_sp = 0;
        n.ss_size = 0;
    } else if (n.ss_size < GUEST_MINSIGSTKSZ) {
        return -ENOMEM;
    }
    t->altstack = n;
    return 0;
}

/* Writes the frame for sig on the guest stack and points the vCPU at the
 * handler (arm64 setup_rt_frame). False if the stack cannot take it. */
static bool setup_frame(struct task *t, int sig, const struct aarch64_siginfo *info,
                        const struct aarch64_sigaction *act) {
    struct cpu *cpu = &t->cpu;
    struct task_signals *s = &t->sig;
    uint64_t sp = cpu->x[31];
    if ((act->flags & GUEST_SA_ONSTACK) && signal_altstack_flags(t, sp) == 0)
        sp = t->altstack.ss_sp + t->altstack.ss_size;
    uint64_t record = (sp - 16) & ~15ull; /* the frame record {fp, lr} */
    uint64_t frame = record - sizeof(struct aarch64_rt_sigframe);
    if (record > sp || frame > record) return false; /* wrapped below 0 */

    struct aarch64_rt_sigframe f; /* 4.6 KiB; host thread stacks are MiBs */
    uint64_t saved_mask = s->saved_mask_valid ? s->saved_mask : t->sigmask;
    sigframe_build(&f, cpu, (act->flags & GUEST_SA_SIGINFO) ? info : NULL, saved_mask, &t->altstack,
                   s->fault_address);
    uint64_t fr[2] = {cpu->x[29], cpu->x[30]};
    struct guest_space *gs = &t->proc->mem;
    if (gs_copy_out(gs, frame, &f, sizeof f) || gs_copy_out(gs, record, fr, sizeof fr))
        return false;

    if ((uint32_t)t->altstack.ss_flags & GUEST_SS_AUTODISARM)
        t->altstack = (struct aarch64_stack_t){.ss_flags = GUEST_SS_DISABLE};
    cpu->x[0] = (uint64_t)sig;
    if (act->flags & GUEST_SA_SIGINFO) {
        cpu->x[1] = frame;
        cpu->x[2] = frame + offsetof(struct aarch64_rt_sigframe, uc);
    }
    cpu->x[29] = record;
    cpu->x[30] = (act->flags & GUEST_SA_RESTORER) ? act->restorer : t->proc->sigtramp;
    cpu->x[31] = frame;
    cpu->pc = act->handler;
    cpu->excl_size = 0;

    uint64_t mask = t->sigmask | act->mask;
    if (!(act->flags & GUEST_SA_NODEFER)) mask |= SIGBIT(sig);
    t->sigmask = mask & ~GUEST_UNBLOCKABLE;
    s->saved_mask_valid = false;
    return true;
}

/* The syscall the signal interrupted: restart it or let it fail with
 * -EINTR (arm64 do_signal). x0 already holds -EINTR. */
static void settle_restart(struct task *t, const struct aarch64_sigaction *act) {
    int64_t code = t->sig.restart;
    t->sig.restart = 0;
    if (!code) return;
    bool restart = !act || code == -GUEST_ERESTARTNOINTR ||
                   (code == -GUEST_ERESTARTSYS && (act->flags & GUEST_SA_RESTART));
    if (restart) {
        t->cpu.pc -= 4; /* back to the SVC */
        t->cpu.x[0] = t->sig.orig_x0;
    }
}

/* Acts on one signal; true if a handler frame was set up. */
static bool deliver(struct task *t, int sig, const struct aarch64_siginfo *info) {
    struct process *p = t->proc;
    pthread_mutex_lock(&p->sig_lock);
    struct aarch64_sigaction act = p->sigaction[sig];
    bool reset = act.handler != GUEST_SIG_DFL && act.handler != GUEST_SIG_IGN &&
                 (act.flags & GUEST_SA_RESETHAND);
    if (reset) reset_to_default(p, sig);
    pthread_mutex_unlock(&p->sig_lock);
    /* In a cluster the action is the run's: every node resets it before
     * the handler runs (a slave through the master, which resets only
     * if no rt_sigaction changed it since; the master broadcasts). */
    const struct process_cluster_ops *cl = p->cluster;
    if (reset && cl && cl->reset_hand)
        cl->reset_hand(t, sig, &act);
    else if (reset && cl && cl->sigaction_changed)
        cl->sigaction_changed(p, sig);

    if (act.handler == GUEST_SIG_IGN) return false;
    if (act.handler == GUEST_SIG_DFL) {
        switch (signal_default_action(sig)) {
        case SIG_DEFAULT_IGNORE:
        case SIG_DEFAULT_CONT: return false;
        case SIG_DEFAULT_STOP:
            /* The whole process stops, as on Linux; SIGCONT resumes it. */
            if (cl && cl->stop_run)
                cl->stop_run(p);
            else
                syscall(SYS_tgkill, getpid(), gettid(), SIGSTOP);
            return false;
        case SIG_DEFAULT_TERM:
        case SIG_DEFAULT_CORE: strace_signal(t, info); process_die_of_signal(p, sig);
        }
    }
    strace_signal(t, info);
    settle_restart(t, &act);
    if (!setup_frame(t, sig, info, &act)) {
        force_sigsegv(t, sig);
        return false;
    }
    return true;
}

static int take_next(struct task *t, struct aarch64_siginfo *info) {
    struct task_signals *s = &t->sig;
    if (s->sync_valid) {
        s->sync_valid = false;
        *info = s->sync;
        return info->si_signo;
    }
    return take_lowest(t, s->recorded & ~t->sigmask, info);
}

void signal_handle(struct task *t) {
    struct task_signals *s = &t->sig;
    for (;;) {
        /* The recorder must not change `recorded` while we pick from it. */
        host_signal_block_all();
        t->cpu.attention = 0;
        struct aarch64_siginfo info;
        int sig = take_next(t, &info);
        if (!sig) break;
        deliver(t, sig, &info);
        /* Lets the next host signal in; its handler frame goes on top. */
        host_signal_set_mask(t->sigmask);
    }
    if (s->restart) {
        /* No handler ran: the syscall restarts, with its original mask. */
        settle_restart(t, NULL);
        if (s->saved_mask_valid) t->sigmask = s->saved_mask;
    }
    s->saved_mask_valid = false;
    update_pending(t);
    host_signal_set_mask(t->sigmask);
}

int64_t signal_sigreturn(struct task *t) {
    struct cpu *cpu = &t->cpu;
    struct task_signals *s = &t->sig;
    struct aarch64_rt_sigframe f;
    uint64_t sp = cpu->x[31];
    s->restart = 0;
    if ((sp & 15) || gs_copy_in(&t->proc->mem, &f, sp, sizeof f) || !sigframe_restore(&f, cpu)) {
        /* arm64_notify_segfault(sp): the registers stay as they were. */
        struct guest_vma v;
        int code = gs_find(&t->proc->mem, sp, &v) ? 2 /* SEGV_ACCERR */ : 1 /* SEGV_MAPERR */;
        signal_force(t, SIGSEGV, code, sp, 0);
        return (int64_t)cpu->x[0];
    }
    s->saved_mask_valid = false;
    signal_set_mask(t, f.uc.uc_sigmask);
    /* Like restore_altstack: errors other than EFAULT are ignored. */
    signal_altstack_set(t, &f.uc.uc_stack, cpu->x[31]);
    return (int64_t)cpu->x[0];
}
