/* Whole writes to a file descriptor. */
#ifndef SHOAL_COMMON_FD_IO_H
#define SHOAL_COMMON_FD_IO_H

#include <stddef.h>

/* Writes all n bytes of p to fd, again after a signal interrupts it: 0,
 * or -errno (-EIO if the file takes no more). */
int fd_write_all(int fd, const void *p, size_t n);

#endif
