/* The ioctls shoal passes through (terminal and fd ones) and the bytes
 * each reads or writes at its argument: one table for the handler and
 * for the buffers a delegated ioctl ships (syscall/sc_bufs.h). */
#ifndef SHOAL_SYSCALL_IOCTL_ROWS_H
#define SHOAL_SYSCALL_IOCTL_ROWS_H

#include <stddef.h>
#include <stdint.h>

struct ioctl_row {
    uint32_t req;
    uint16_t size; /* bytes at arg; 0: arg is a plain value */
    int prot;      /* PROT_READ: the kernel reads arg, PROT_WRITE: it writes it */
};

/* The row of request req, or NULL for one shoal does not pass. */
const struct ioctl_row *ioctl_row_of(uint64_t req);
/* Every row (count in *n): what syscall_rows_fingerprint digests. */
const struct ioctl_row *ioctl_rows_all(size_t *n);

#endif
