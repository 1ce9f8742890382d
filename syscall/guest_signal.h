/* Guest signals, Linux/arm64 semantics: actions, per-thread masks and
 * pending signals, delivery to guest handlers on a Linux-layout signal
 * frame (sigframe.h), rt_sigreturn, alternate stacks, syscall restart,
 * and default actions. The host side (numbering, recording handler,
 * masks) is in host_signal.h. */
#ifndef SHOAL_SYSCALL_GUEST_SIGNAL_H
#define SHOAL_SYSCALL_GUEST_SIGNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "syscall/task.h"

/* Kernel-internal restart codes a syscall handler may return instead of
 * -EINTR when a signal interrupted it; the guest never sees them.
 *   ERESTARTSYS: restarted if the handler has SA_RESTART, else -EINTR
 *   ERESTARTNOINTR: always restarted
 *   ERESTARTNOHAND: -EINTR if a handler runs (pause, sigsuspend, ppoll)
 *   ERESTART_RESTARTBLOCK: like NOHAND (nanosleep, timed futex waits)
 * Without a handler (the signal was ignored or stopped us) all restart. */
#define GUEST_ERESTARTSYS           512
#define GUEST_ERESTARTNOINTR        513
#define GUEST_ERESTARTNOHAND        514
#define GUEST_ERESTART_RESTARTBLOCK 516
#define GUEST_NR_RT_SIGRETURN       139

#define GUEST_UNBLOCKABLE ((1ull << (9 - 1)) | (1ull << (19 - 1))) /* SIGKILL, SIGSTOP */

/* What the default action of sig does to the process. */
enum sig_default {
    SIG_DEFAULT_TERM,
    SIG_DEFAULT_CORE, /* terminate "with core": shoal dumps no core of itself */
    SIG_DEFAULT_IGNORE,
    SIG_DEFAULT_STOP,
    SIG_DEFAULT_CONT,
};
enum sig_default signal_default_action(int sig);

/* Host dispositions and the sigreturn trampoline page for a new
 * process whose first task is t. 0 or -errno. */
int signal_process_init(struct process *p, struct task *t);

/* A synchronous signal (fault, undefined insn, BRK) at cpu->pc, with
 * Linux's force_sig semantics: if blocked or ignored, the action becomes
 * SIG_DFL (and the signal unblocked), so it kills. Delivered by the next
 * signal_handle(). fault_address goes to sigcontext.fault_address. */
void signal_force(struct task *t, int sig, int code, uint64_t addr, uint64_t fault_address);

/* The synchronous signal dbt_run() returned (CPU_EXIT_SIGNAL), forced
 * as above. A SIGSEGV's si_code follows the guest mappings: SEGV_MAPERR
 * where nothing is mapped (the host sees the PROT_NONE reservation
 * there), SEGV_ACCERR where a mapping forbids the access. */
void signal_from_cpu(struct task *t);

/* Delivers what is pending for t, as Linux does on the way back to user
 * mode: synchronous signals first, then the lowest deliverable number;
 * every deliverable signal gets its frame (the last one's handler runs
 * first); default actions terminate, ignore or stop. Also settles the
 * restart of an interrupted syscall (t->sig.restart). */
void signal_handle(struct task *t);

/* Sets t's mask (SIGKILL/SIGSTOP never blocked), the host mask with it,
 * and raises attention if a recorded signal became deliverable. */
void signal_set_mask(struct task *t, uint64_t mask);
/* t's mask or sigtimedwait set changed: in a cluster, a signal the run
 * holds for want of a thread that accepts it may now go to t
 * (process_cluster_ops.mask_opened). */
void signal_mask_opened(struct task *t);

/* rt_sigreturn: restores registers, mask and alternate stack from the
 * frame at sp. A bad frame leaves the registers alone and forces a
 * SIGSEGV. Returns the value for x0. */
int64_t signal_sigreturn(struct task *t);

/* A signal one thread of this host process queues for another with
 * rt_tgsigqueueinfo (a cluster node delivering a routed signal): Linux
 * accepts only negative si_codes other than SI_TKILL from a thread other
 * than the target process's leader, so other codes travel wrapped (a
 * private code, the real one in the union's unused tail) and are
 * unwrapped wherever the guest gets a siginfo. */
void signal_wrap_routed(struct aarch64_siginfo *info);
void signal_unwrap_routed(struct aarch64_siginfo *info);
/* Queues sig with info (wrapped as above) for host thread host_tid of
 * this process. 0 or -errno. */
int signal_queue_routed(int host_tid, int sig, const struct aarch64_siginfo *info);
/* Queues sig with info for guest thread t, which host thread host_tid
 * runs: as signal_queue_routed, but a timer's signal that finds one of
 * the same timer still waiting for t is folded into it (timer_signal.h).
 * 0 or -errno. */
int signal_queue_task(struct task *t, int host_tid, int sig, const struct aarch64_siginfo *info);
/* The master or a lone process: queues sig with info for guest thread
 * tid if it is one of this node's (not a proxy) and still lives (its
 * host tid cannot be reused meanwhile: the stats lock). Whether it was. */
bool signal_queue_local(struct process *p, int tid, int sig, const struct aarch64_siginfo *info);

/* A cluster's master: sig with info for guest thread tid wherever it
 * runs (another node's, one moving, or one of this node's); nothing for
 * a thread that has gone, as on Linux. */
void signal_to_cluster_thread(struct process *p, int tid, int sig,
                              const struct aarch64_siginfo *info);

/* Removes the lowest recorded signal in set (synchronous ones first)
 * into *info; returns its number or 0. For rt_sigtimedwait. */
int signal_take_recorded(struct task *t, uint64_t set, struct aarch64_siginfo *info);

/* Takes a signal of set for t as sigtimedwait does: one recorded here
 * first, else one the host queued for its thread or its process,
 * waiting up to *ts (NULL: for ever) with set as its sigwait set
 * meanwhile (a cluster's router may then send it the process's). A
 * timer's signal comes with the expiries folded into it, and the timer
 * hears its overrun (timer_signal.h). The signal's number, or the raw
 * safe_syscall_base result: -EAGAIN, -EINTR, -SAFE_SYSCALL_NOT_STARTED. */
struct timespec;
int64_t signal_wait_take(struct task *t, uint64_t set, const struct timespec *ts,
                         struct aarch64_siginfo *info);
/* Forgets a recorded sig (its action became "ignore"). */
void signal_discard_recorded(struct task *t, int sig);

/* Alternate stack, as Linux's sigaltstack: the flags reported for sp
 * (SS_DISABLE, SS_ONSTACK or 0), and setting it (0, -EPERM while on it,
 * -EINVAL, -ENOMEM). */
int signal_altstack_flags(const struct task *t, uint64_t sp);
int signal_altstack_set(struct task *t, const struct aarch64_stack_t *ss, uint64_t sp);

#endif
