/* The cluster side of the command line: `shoal -n N ...` (a local
 * cluster), `shoal master ...` and `shoal slave ...` (nodes on separate
 * hosts). See docs/cluster.md. */
#ifndef SHOAL_CLI_CLUSTER_CLI_H
#define SHOAL_CLI_CLUSTER_CLI_H

/* Handles a cluster invocation and never returns for one; returns for
 * anything else (including -n 1), after removing the cluster options it
 * read from argv (so options_parse sees the rest). */
void cluster_cli_maybe_run(int *argc, char **argv, char **env);

#endif
