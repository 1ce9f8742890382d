/* Interruptible host syscalls without a lost-wakeup race.
 *
 * A blocking host syscall made for the guest (read on a pipe, futex wait,
 * sigsuspend...) must return when a guest signal arrives. Host handlers
 * are installed without SA_RESTART, so a signal that lands while the
 * thread sleeps in the kernel makes the syscall fail with EINTR. A signal
 * that lands just before the syscall instruction would be missed, and
 * the thread would sleep with a signal pending. safe_syscall() closes
 * that window as qemu's safe_syscall does: it tests *pending immediately
 * before the `syscall` instruction, and the host signal handler calls
 * safe_syscall_rewind(), which moves an interrupted pc that lies between
 * the test and the instruction back to the test. So either the syscall
 * starts with no signal recorded, or it is not made and
 * -SAFE_SYSCALL_NOT_STARTED returned.
 *
 * On hosts other than x86-64 a plain C fallback keeps the (tiny) window
 * between the test and the call. */
#ifndef SHOAL_SYSCALL_SAFE_SYSCALL_H
#define SHOAL_SYSCALL_SAFE_SYSCALL_H

#include <errno.h>

/* What safe_syscall_base returns, negated, when a signal was recorded
 * before the call was made: not an errno of any host. The call did
 * nothing, as if the signal had come before the guest's SVC. */
#define SAFE_SYSCALL_NOT_STARTED 4095

/* Makes host syscall nr unless *pending is non-zero. Returns the raw
 * kernel result: a value, or -errno (-EINTR when a signal interrupted
 * it), or -SAFE_SYSCALL_NOT_STARTED. */
long safe_syscall_base(volatile int *pending, long nr, long a1, long a2, long a3, long a4, long a5,
                       long a6);

/* The same, with a call not made reported as -EINTR. */
static inline long safe_syscall_eintr(long r) {
    return r == -SAFE_SYSCALL_NOT_STARTED ? -EINTR : r;
}
#define safe_syscall(pending, nr, a1, a2, a3, a4, a5, a6)                                          \
    safe_syscall_eintr(safe_syscall_base(pending, nr, (long)(a1), (long)(a2), (long)(a3),          \
                                         (long)(a4), (long)(a5), (long)(a6)))

/* From a host signal handler: if the interrupted pc (in the host
 * ucontext_t uc) is inside safe_syscall's test-and-call window, move it
 * back to the test. */
void safe_syscall_rewind(void *uc);

#endif
