/* Timer signals queued by the emulator (a relayed timer's, timer_relay.h,
 * or a CPU-time timer's, cpu_timer.h) keep Linux's rules: one instance of
 * a timer's signal is pending at a time, and an expiry while it waits
 * adds to its si_overrun instead of queuing another; and a pending
 * signal whose timer is re-armed or deleted is dropped, not delivered
 * (Linux drops it when it is dequeued). The host kernel queues every
 * rt_tgsigqueueinfo, so a thread that could not take them for a while
 * (busy in a fault, its node starved) would otherwise find hundreds of
 * instances of one timer's signal, delivered back to back. Each thread
 * keeps the timers whose signal is queued for it and not yet taken,
 * under its process's timer_sig_lock. The timer's owner (the master)
 * tells the thread's node of a re-arm or delete with a notice that
 * travels as the timer's signals do, behind every expiry it sent before
 * (timer_signal_disarm_info), and queues nothing. */
#ifndef SHOAL_SYSCALL_TIMER_SIGNAL_H
#define SHOAL_SYSCALL_TIMER_SIGNAL_H

#include <stdbool.h>

#include "syscall/linux_abi.h"

struct task;

/* The timer signal `info` for t: true if it was folded into the one of
 * the same timer still waiting for t, or was a disarm notice (the caller
 * queues nothing); false if the caller is to queue it, as the one
 * waiting from now on. Another kind of signal: false. */
bool timer_signal_fold(struct task *t, int sig, const struct aarch64_siginfo *info);

/* t takes `info` (unwrapped; any kind): a timer's signal gets the
 * expiries folded into it added to its si_overrun. False: its timer was
 * re-armed or deleted since it was queued, and it is dropped (the caller
 * takes the next one). */
bool timer_signal_taken(struct task *t, int sig, struct aarch64_siginfo *info);

/* t took `info` for the guest (a delivery, a sigwait): a timer signal
 * of the emulator's makes its timer's timer_getoverrun report this
 * si_overrun (process_cluster_ops.timer_taken). */
void timer_signal_report(struct task *t, const struct aarch64_siginfo *info);

/* Whether this host's kernel drops a pending timer signal whose timer
 * was re-armed or deleted since (recent Linux does; older kernels
 * deliver it), found once with a timer of a thread of its own: the
 * emulated timers do as the host's, so a node-0 thread's timer and a
 * relayed one agree. */
bool timer_signal_host_drops(void);

/* The SI_TIMER siginfo of an expiry of timer id: si_timerid, si_overrun,
 * si_value. */
void timer_signal_info(struct aarch64_siginfo *info, int sig, int32_t id, int32_t overrun,
                       uint64_t value);

/* The notice that timer id (signal sig) was re-armed or deleted, sent
 * to its thread as the timer's signals are when the host drops such
 * signals. */
void timer_signal_disarm_info(struct aarch64_siginfo *info, int sig, int32_t id);

/* A thread's list, at its end. */
void timer_signal_free(struct task *t);

#endif
