/* Guest signals. Today a guest can install actions (stored) but handlers
 * do not run yet: a signal whose action would run a handler is reported
 * and then handled by its default action. */
#ifndef SHOAL_SYSCALL_GUEST_SIGNAL_H
#define SHOAL_SYSCALL_GUEST_SIGNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "syscall/task.h"

/* What the default action of sig does to the process. */
enum sig_default { SIG_DEFAULT_TERM, SIG_DEFAULT_IGNORE, SIG_DEFAULT_STOP, SIG_DEFAULT_CONT };
enum sig_default signal_default_action(int sig);

/* A synchronous signal raised by guest code (fault, undefined insn, BRK). */
_Noreturn void signal_deliver_sync(struct task *t, int sig, int code, uint64_t addr);

/* kill/tgkill of this process (tid 0) or of one of its threads. Default
 * and ignore actions are mirrored to the host (signal_mirror_action), so
 * the host kernel does the right thing, pending included; handlers are
 * not run yet: the default action applies, with a warning. Returns 0 or
 * -errno. */
int64_t signal_send_own(struct task *t, int tid, int sig);

/* Mirrors a guest SIG_DFL/SIG_IGN to the host disposition, and the guest
 * mask to the host thread's mask, for the signals the emulator does not
 * use itself. */
void signal_mirror_action(int sig, uint64_t handler);
void signal_mirror_mask(uint64_t guest_mask);

#endif
