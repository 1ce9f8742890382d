/* A slave node: connects to a master, receives the address-space layout,
 * runs the guest threads the master places here, sends their global
 * syscalls to the master, and keeps its pages coherent through the
 * master's directory. It needs no copy of the program. */
#ifndef SHOAL_SLAVE_SLAVE_H
#define SHOAL_SLAVE_SLAVE_H

#include <stdbool.h>
#include <stdint.h>

#include "dbt/dbt.h"
#include "net/emul.h"
#include "net/key.h"

struct slave_config {
    const char *host;
    uint16_t port;
    struct net_key key;
    unsigned connect_timeout_ms; /* 0: 30000 */
    unsigned peer_ms;            /* silence that means the master is gone; 0: never */
    unsigned heartbeat_ms;       /* keep-alive interval; 0: none */
    unsigned handshake_ms;       /* 0: the transport's default */
    uint64_t max_queue_bytes;    /* as cluster_timeouts.max_queue_bytes */
    unsigned busy_poll_us;       /* net_config.busy_poll_us (network.busy_poll_us) */
    struct net_emul_config emul; /* emulated network on this slave's links */
    struct dbt_options dbt;
    bool verbose;
};

/* Serves one run and returns the process exit status to use: 0 when the
 * master ended the run, 1 when it could not connect or lost the master. */
int slave_run_once(const struct slave_config *cfg);

#endif
