/* Bounce copies of a syscall's guest buffers, for a node whose fault
 * capture the kernel cannot wait for (the DSM's mprotect fallback: a
 * system call's access to a page the DSM holds absent or read-only is
 * EFAULT, where userfaultfd would hold it until the page arrives). The
 * buffers a row describes (sc_bufs.h) are copied in before the call and
 * out after it by the emulator, whose accesses fault like the guest's;
 * any other buffer a handler takes with guest_buf gets a copy then, whose
 * changed bytes are stored after the call; the page each other pointer
 * argument points at is read first. */
#ifndef SHOAL_SYSCALL_SC_BOUNCE_H
#define SHOAL_SYSCALL_SC_BOUNCE_H

#include "syscall/syscall.h"

/* Bytes bounced per call at most: a larger buffer is handed to the
 * kernel in place (and may see EFAULT). */
#define SC_BOUNCE_MAX (256u << 20)

/* Runs row's handler for t with bounce copies (see above). */
int64_t sc_bounce_call(struct task *t, const struct syscall_row *row, const uint64_t *a);

#endif
