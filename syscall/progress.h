/* Progress of a long run ([stats] progress_ms): one line on the run's
 * stderr every interval while the guest runs, with what the run did
 * since the last one, as rates. A lone run tells its threads, system
 * calls and translations; a cluster's master (master/progress.c) adds
 * what it sees of every node: threads per node, the directory's page
 * requests by kind, invalidations, pushed pages, delegated calls and its
 * links' traffic. The lines go to a copy of fd 2 made when the run
 * starts, one of the emulator's own fds, out of the guest's range
 * (own_fds_dup_high): a guest that closes or redirects its stderr does
 * not get them in its files, and its fd numbers are those it would get
 * without them. */
#ifndef SHOAL_SYSCALL_PROGRESS_H
#define SHOAL_SYSCALL_PROGRESS_H

#include <stddef.h>

struct process;

/* Writes the line's text after "shoal: T s: " into buf (no newline),
 * from the counters now and those kept in ctx at the last call, dt_s
 * seconds ago (the first call: since the run began); keeps them. */
typedef void (*progress_line_fn)(void *ctx, struct process *p, double dt_s, char *buf, size_t len);

/* Starts the reporter: every interval_ms (> 0), line(ctx, ...) on a
 * detached thread, for as long as the process lives; line NULL: a lone
 * run's (progress_lone_line). Call before own_fds_claim, so that its copy
 * of stderr is one of the emulator's fds. 0 or -errno. */
int progress_start(struct process *p, unsigned interval_ms, progress_line_fn line, void *ctx);

/* The rate of a counter, per second, rounded: now less *was over dt_s;
 * *was becomes now. */
unsigned long long progress_rate(unsigned long long now, unsigned long long *was, double dt_s);

/* A lone run's line: threads, guest instructions (when the JIT counts
 * them: dbt_options.count_insns, on with a progress line or --stats),
 * system calls and blocks translated. ctx: a struct progress_lone,
 * zeroed before the first call. */
struct progress_lone {
    unsigned long long insns, syscalls, blocks;
};
void progress_lone_line(void *ctx, struct process *p, double dt_s, char *buf, size_t len);

#endif
