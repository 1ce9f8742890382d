/* Ending a `shoal run --hosts` at once when an ssh client ends before its
 * slave joined (launch_watch.c). */
#ifndef SHOAL_CLI_LAUNCH_WATCH_H
#define SHOAL_CLI_LAUNCH_WATCH_H

#include <stddef.h>
#include <sys/types.h>

struct master;
struct launch_watch;

/* Watches the n ssh clients pids (to hosts[i]): one that ends before
 * launch_watch_stop ends the run with status 1 (master_abort), naming
 * its host. NULL when it cannot (the join timeout still applies). */
struct launch_watch *launch_watch_start(struct master *m, const pid_t *pids, char *const *hosts,
                                        size_t n);

/* Stops the watch (every slave joined, or the run ends anyway): the
 * watchers stay quiet from now on. */
void launch_watch_stop(struct launch_watch *w);

#endif
