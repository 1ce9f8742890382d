/* The cluster side of the command line: `shoal -n N ...` (a local
 * cluster), `shoal master ...` and `shoal slave ...` (nodes on separate
 * hosts). See docs/cluster.md. */
#ifndef SHOAL_CLI_CLUSTER_CLI_H
#define SHOAL_CLI_CLUSTER_CLI_H

#include "syscall/own_fds.h"

/* Handles a cluster invocation and never returns for one; returns for
 * anything else (including -n 1), after removing the cluster options it
 * read from argv (so options_parse sees the rest). inherited: the fds
 * open when shoal started (the guest's; own_fds.h). */
void cluster_cli_maybe_run(int *argc, char **argv, char **env, const struct fd_bits *inherited);

#endif
