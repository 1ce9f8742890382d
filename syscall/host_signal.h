/* The host side of guest signals.
 *
 * Numbering: guest signal n is host signal n, for every n in 1..64. Both
 * kernels use the asm-generic numbers, so only glibc's reservation of 32
 * and 33 (SIGCANCEL, SIGSETXID) stands in the way; shoal makes every
 * signal call raw (rt_sigaction with its own restorer, rt_sigprocmask),
 * so glibc's wrappers never filter them, and the emulator itself never
 * uses 32/33 (it calls no pthread_cancel, setuid-family or SIGEV_THREAD
 * timer functions of the host glibc). Guest glibc's own SIGCANCEL (32,
 * pthread_cancel) and SIGSETXID (33) therefore work as on Linux, and so
 * do all 31 real-time signals 34..64.
 *
 * Dispositions: a guest SIG_IGN is a host SIG_IGN, and a guest SIG_DFL
 * whose default is terminate, ignore, stop or continue is a host SIG_DFL,
 * so the host kernel acts exactly as Linux would (SIGCHLD auto-reaping and
 * SA_NOCLDSTOP/SA_NOCLDWAIT included), even while the thread sleeps in a
 * syscall. Everything else (guest handlers, core-dumping defaults) gets
 * the recording handler: it stores the host siginfo in the current
 * task's slot for that signal, raises the vCPU's attention flag if the
 * guest does not block the signal, and blocks further host signals on
 * this thread until the run loop has delivered it. Nothing else happens
 * inside a host handler.
 *
 * Masks: the host mask of a guest thread mirrors its guest mask, so the
 * host kernel keeps blocked signals pending (real-time ones queued) and
 * picks a non-blocking thread for process-directed ones. SIGSEGV, SIGBUS,
 * SIGILL, SIGFPE and SIGTRAP are never blocked on the host: the DBT needs
 * SIGSEGV/BUS for guest memory faults, and the others would be emulator
 * bugs. A guest-blocked one sent by kill() is recorded and kept until the
 * guest unblocks it. SIGSEGV/SIGBUS stay with the DBT's fault handler;
 * the ones sent by a process (si_code <= 0) are passed to the recorder. */
#ifndef SHOAL_SYSCALL_HOST_SIGNAL_H
#define SHOAL_SYSCALL_HOST_SIGNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "syscall/task.h"

#define SIGBIT(sig) (1ull << ((sig)-1))

/* Takes over the host dispositions for process p, whose first task is t:
 * chains the DBT's SIGSEGV/SIGBUS handler, installs the recorder where
 * needed, and starts the guest with the dispositions and mask shoal was
 * started with (SIG_IGN and blocked signals survive exec on Linux). Call
 * after dbt_install_fault_handler(). */
void host_signal_init(struct process *p, struct task *t);

/* The task the calling host thread runs (NULL: none), for the handler. */
void host_signal_set_current(struct task *t);

/* Makes the host disposition of sig match the guest action act. */
void host_signal_apply_action(int sig, const struct aarch64_sigaction *act);

/* Sets the host disposition of sig from p's guest action again (after
 * host glibc replaced it). */
void host_signal_reapply(struct process *p, int sig);

/* A cluster slave: default actions that terminate are recorded and
 * acted on by the run loop too (not by the host kernel), so the whole run
 * ends with the signal, not just this node. Call before
 * host_signal_init. */
void host_signal_record_defaults(bool on);
/* A cluster node: the default action of SIGTSTP, SIGTTIN and SIGTTOU is
 * recorded and taken by the run loop (process_cluster_ops.stop_run: the
 * whole run stops), not by the host kernel, which would stop this node
 * alone. With p, applied to p's actions at once. */
void host_signal_record_stops(struct process *p, bool on);

/* Blocks every host signal on this thread except the synchronous fault
 * signals (so the recorder cannot run; threads started now inherit it).
 * Returns the mask it replaced, for host_signal_restore. */
uint64_t host_signal_block_all(void);
/* Sets this thread's host mask back to `old`, as host_signal_block_all
 * returned it. */
void host_signal_restore(uint64_t old);
/* Sets this thread's host mask from guest mask m (see above). */
void host_signal_set_mask(uint64_t guest_mask);
/* The host mask a guest mask maps to. */
uint64_t host_signal_mask_of(uint64_t guest_mask);
/* Host signals pending for this thread or the process. */
uint64_t host_signal_pending(void);
/* Host signals the kernel holds for one thread of this process, in its
 * own queue (not the process's): bit n-1 for signal n; 0 if it has gone.
 * host_tid 0: the calling thread. */
uint64_t host_signal_thread_pending(int host_tid);

/* Ends the process as if killed by sig: no core file of the emulator,
 * same wait status as natively. Returns only for signals whose default
 * action does not terminate. */
void host_signal_die(int sig);

/* Interrupts the host syscall that thread tid of this process (one that
 * runs no guest code: a cluster proxy) makes through safe_syscall: a
 * SIGBUS marked as a kick, which that thread's handler only answers by
 * rewinding safe_syscall (SIGBUS is never blocked, whatever the guest's
 * actions and masks, which own every other number). The caller sets the
 * word safe_syscall tests first, so a call not yet in the kernel does not
 * start and one in it returns EINTR: no lost wake-up. */
void host_signal_kick(int tid);

#endif
