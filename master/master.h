/* The master node (node 0) of a cluster run: it owns the guest process
 * (loaded here), the MSI directory with the home copy of every page, the
 * fd table and the other global state, and a proxy thread per guest
 * thread running on another node, which runs that thread's global
 * syscalls here. See master/DESIGN.md. */
#ifndef SHOAL_MASTER_MASTER_H
#define SHOAL_MASTER_MASTER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "dsm/fault.h"
#include "net/emul.h"
#include "net/key.h"
#include "sched/placement.h"
#include "syscall/task.h"

/* Timeouts (milliseconds) of a cluster run (network.* in
 * docs/config.md). */
struct cluster_timeouts {
    unsigned join_ms;      /* all slaves joined and set up (0: 30000) */
    unsigned peer_ms;      /* silence that means a node is lost (0: never) */
    unsigned heartbeat_ms; /* keep-alive interval (0: none) */
    unsigned handshake_ms; /* a connection authenticated within (0: the transport's) */
    /* bytes queued per peer at most (net_config.max_queue_bytes); 0:
     * NET_MAX_QUEUE_DEFAULT, UINT64_MAX: no cap */
    uint64_t max_queue_bytes;
    unsigned busy_poll_us; /* net_config.busy_poll_us (network.busy_poll_us) */
    unsigned exit_ms;      /* at the end, slaves get this long to go (0: 2000) */
};

struct master_config {
    unsigned nodes; /* >= 2: this one and nodes-1 slaves */
    const char *listen_host;
    uint16_t listen_port; /* 0: any */
    struct net_key key;
    enum dsm_fault_mech mech;
    enum sched_policy policy;
    unsigned group_size; /* threads per node for SCHED_BLOCK; 0: 1 */
    struct cluster_timeouts timeouts;
    struct net_emul_config emul; /* emulated network on the master's links */
    bool verbose;                /* -v: a summary on stderr at the end */
    /* for the slaves' translators: bit 0 interp, 1 no-regalloc, 2 no-chain,
     * 3 count guest instructions (--stats) */
    uint32_t dbt_flags;
    uint64_t code_size;
    /* -d and -D for the slaves' translators (ClusterSetup.log_items,
     * log_path): each writes log_path.nodeN, or its stderr when NULL */
    uint32_t log_items;
    const char *log_path;
};

struct master;

/* Makes proc the cluster's process: fault capture on its memory (every
 * page the loader wrote is node 0's, in M), the directory, hooks for
 * layout changes, clone and exit, and a listener. *bound gets the port.
 * 0 or -errno (logged). */
int master_create(const struct master_config *cfg, struct process *proc, struct master **out,
                  uint16_t *bound);
/* Local slaves this process started: killed and reaped at the end; a
 * directory removed at the end (the key file's). */
void master_own_children(struct master *m, const pid_t *pids, size_t n, const char *tmpdir,
                         const char *keyfile);
/* Waits until every slave is set up (timeouts.join_ms). 0, or -ETIMEDOUT
 * / -ECONNABORTED with a message logged. */
int master_wait_ready(struct master *m);
/* [stats] progress_ms: a progress line every interval_ms on stderr with
 * what the master sees of every node (syscall/progress.h). Before
 * own_fds_claim. 0 or -errno. */
int master_progress_start(struct master *m, unsigned interval_ms);
/* Ends the run now (a node is gone, or start-up failed): kills local
 * slaves, removes the temp dir, exits with status. */
_Noreturn void master_abort(struct master *m, int status);

#endif
