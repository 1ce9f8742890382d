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

/* sig sent to this process (kill/tgkill/tkill of ourselves): acts on it now. */
void signal_deliver_self(struct task *t, int sig);

#endif
