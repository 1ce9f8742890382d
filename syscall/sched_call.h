/* The scheduling calls that name a thread (sys_sched.c): nice values,
 * policies and parameters, I/O priorities. A cluster node runs them for a
 * thread of its own that another node's thread named (ThreadCall). */
#ifndef SHOAL_SYSCALL_SCHED_CALL_H
#define SHOAL_SYSCALL_SCHED_CALL_H

#include <stddef.h>
#include <stdint.h>

/* Which argument of syscall nr names a thread or process (the who of
 * PRIO_PROCESS and IOPRIO_WHO_PROCESS, the pid of sched_*), or -1. */
int sched_target_arg(int nr, const uint64_t *a);
/* The most bytes a call reads or writes: struct sched_attr as far as
 * Linux's own (56 bytes, SCHED_ATTR_SIZE_VER1) and room to spare. */
#define SCHED_IO_MAX 64
/* The bytes nr reads (struct sched_param, sched_attr) and writes
 * (sched_param, timespec, sched_attr): at most SCHED_IO_MAX. */
void sched_io_sizes(int nr, size_t *in, size_t *out);
/* The host call nr with args a (the target already a host id): result
 * or -errno. */
int64_t sched_host_call(int nr, const uint64_t *a, const void *in, void *out);

#endif
