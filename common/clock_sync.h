/* A node's host clocks against the master's, so the guest reads one
 * CLOCK_MONOTONIC and CLOCK_BOOTTIME on every node (syscall/guest_clock.h).
 * Same kernel (the boot ids agree): the clocks differ only by the time
 * namespaces' offsets, known exactly. Another kernel: the offset is
 * estimated from the set-up round trip, as NTP does: the master stamps
 * ClusterSetup's send, the node its arrival and ClusterReady's send, the
 * master that arrival; the error is at most half the round trip (less
 * the node's time in between). */
#ifndef SHOAL_COMMON_CLOCK_SYNC_H
#define SHOAL_COMMON_CLOCK_SYNC_H

#include <stdbool.h>
#include <stdint.h>

struct clock_host {
    char boot_id[40];     /* /proc/sys/kernel/random/boot_id; "" if unknown */
    int64_t timens_mono;  /* this process's time namespace offsets */
    int64_t timens_boot;  /* (/proc/self/timens_offsets; 0 without) */
    int64_t suspended_ns; /* CLOCK_BOOTTIME - CLOCK_MONOTONIC now */
};

/* The calling process's. */
void clock_host_read(struct clock_host *h);
/* CLOCK_MONOTONIC in ns. */
uint64_t clock_mono_ns(void);

/* The four stamps of the set-up round trip: master's clock at the send
 * and arrival, the node's at the arrival and send in between. */
struct clock_stamps {
    uint64_t master_tx, node_rx, node_tx, master_rx;
};

/* The master's clock minus the node's from one round trip:
 * ((master tx - node rx) + (master rx - node tx)) / 2. */
int64_t clock_sync_estimate(const struct clock_stamps *s);

struct clock_offsets {
    int64_t monotonic_ns, boottime_ns; /* the master's clock minus the node's */
    bool exact;                        /* same kernel: from the namespaces */
    uint64_t error_ns;                 /* the estimate's bound (0 when exact) */
};

void clock_sync_offsets(const struct clock_host *master, const struct clock_host *node,
                        const struct clock_stamps *s, struct clock_offsets *out);

#endif
