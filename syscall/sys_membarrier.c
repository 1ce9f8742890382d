/* membarrier: guest threads are host threads, so the host call orders
 * them as Linux orders a native process's threads (the expedited
 * commands interrupt exactly the CPUs running this process). The rseq
 * commands are not offered: rseq itself is ENOSYS here. In a cluster
 * the call runs on the master: node 0's threads get the barrier from
 * the host, other nodes' memory reaches node 0 only through the DSM's
 * page transfers, which order it there (docs/cluster.md). */
#define _GNU_SOURCE
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "syscall/syscall.h"

#define MEMBARRIER_RSEQ_CMDS                                                                       \
    (MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ | MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ)

SYSCALL_HANDLER(membarrier) {
    int cmd = (int)a[0];
    if (cmd & MEMBARRIER_RSEQ_CMDS) return -EINVAL;
    long r = syscall(SYS_membarrier, cmd, (unsigned)a[1], (int)a[2]);
    if (r < 0) return -errno;
    return cmd == MEMBARRIER_CMD_QUERY ? r & ~(long)MEMBARRIER_RSEQ_CMDS : r;
}

const struct syscall_row sys_membarrier_rows[] = {
    {283, "membarrier", sys_membarrier, "dxd", 'd', SC_GLOBAL},
    SYSCALL_ROWS_END,
};
