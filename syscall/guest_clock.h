/* The guest's clocks on a node whose host clocks are not the master's
 * (another host, another time namespace). A cluster is one machine to its
 * program, so CLOCK_MONOTONIC and CLOCK_BOOTTIME (and their variants, and
 * the generic timer CNTVCT_EL0) read the master's on every node: this
 * node's host clock plus an offset the master measured when the node
 * joined (master/clock_sync.c). CLOCK_REALTIME and the CPU-time clocks
 * are the host's. Both offsets are 0 on one node and on a slave sharing
 * the master's kernel and time namespace. */
#ifndef SHOAL_SYSCALL_GUEST_CLOCK_H
#define SHOAL_SYSCALL_GUEST_CLOCK_H

#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

struct guest_clock {
    _Atomic int64_t monotonic_ns; /* the master's CLOCK_MONOTONIC minus this host's */
    _Atomic int64_t boottime_ns;  /* the same for CLOCK_BOOTTIME */
};

/* The offset of host clock id (0 for the clocks that are the host's). */
int64_t guest_clock_offset(const struct guest_clock *gc, clockid_t id);
/* Adds ns to ts (normalized; clamped to [0, the largest timespec]). */
void guest_clock_shift(struct timespec *ts, int64_t ns);
/* The guest's time on clock id: the host's plus its offset. */
int guest_clock_gettime(const struct guest_clock *gc, clockid_t id, struct timespec *ts);
/* Nanoseconds since the epoch of the guest's clock id. */
int64_t guest_clock_ns(const struct guest_clock *gc, clockid_t id);

#endif
