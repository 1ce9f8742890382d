/* Whole writes to a file descriptor, and the emulator's own output. */
#ifndef SHOAL_COMMON_FD_IO_H
#define SHOAL_COMMON_FD_IO_H

#include <stddef.h>
#include <sys/types.h>

/* Writes all n bytes of p to fd, again after a signal interrupts it: 0,
 * or -errno (-EIO if the file takes no more). */
int fd_write_all(int fd, const void *p, size_t n);

/* The emulator's own output (a log line, --strace, the -D file): one
 * write of n bytes of p to fd, its result as write(2)'s. The guest's
 * RLIMIT_FSIZE is the process's, so a write past it fails with EFBIG
 * and the kernel sends this thread SIGXFSZ; that signal is taken back
 * (unless one was pending already), or the guest would get it, and
 * under --strace the line of its delivery would make another. */
ssize_t fd_write_own(int fd, const void *p, size_t n);

#endif
