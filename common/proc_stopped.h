/* Whether a process is stopped (SIGSTOP and the like, or a debugger
 * holding it), from /proc: a cluster node that hears nothing from a
 * peer it launched, or from the master that launched it, waits for a
 * stopped one instead of declaring it lost. */
#ifndef SHOAL_COMMON_PROC_STOPPED_H
#define SHOAL_COMMON_PROC_STOPPED_H

#include <stdbool.h>
#include <sys/types.h>

/* pid's state letter in /proc (R, S, T, t, Z, ...; a thread id works
 * too), 0 when it cannot be read. */
char proc_state(pid_t pid);
/* pid's state is T (stopped) or t (stopped by a tracer); false when it
 * is anything else or cannot be read. */
bool proc_stopped(pid_t pid);
/* Our parent runs the executable we run (the local launcher's master,
 * for a slave it started); false when either cannot be read. */
bool proc_parent_is_same_exe(void);
/* Another child of our parent that runs our executable (a slave the same
 * local launcher started) is stopped. */
bool proc_sibling_stopped(void);

#endif
