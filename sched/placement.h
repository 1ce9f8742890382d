/* Thread placement: which node runs a new guest thread.
 *
 * One object per run, owned by the master, which calls sched_place for
 * every clone (from any thread: calls are serialized inside) and tells it
 * when threads end or mark themselves with a hint group. Policies:
 * round-robin, blocks of group_size threads, and hint groups; see
 * sched/DESIGN.md for the exact orders and the reasons. Nothing here has
 * a fixed size: any number of nodes, threads and groups.
 *
 * Errors: negative errno, nothing logged. */
#ifndef SHOAL_SCHED_PLACEMENT_H
#define SHOAL_SCHED_PLACEMENT_H

#include <stdint.h>

enum sched_policy {
    SCHED_ROUND_ROBIN, /* nodes 1, 2, ..., N-1, 0, 1, ... */
    SCHED_BLOCK,       /* group_size consecutive threads per node, same order */
    SCHED_HINT,        /* one node per hint group, groups spread evenly */
};

/* A thread that carries no hint group. */
#define SCHED_NO_GROUP (-1)

struct sched_config {
    enum sched_policy policy;
    unsigned nodes;      /* >= 1; node 0 is the master */
    unsigned group_size; /* SCHED_BLOCK: threads per block, >= 1 */
};

/* What the master knows about a thread being created. */
struct sched_thread_info {
    uint64_t tid;          /* its global guest tid */
    unsigned creator_node; /* where the thread that called clone runs */
    int64_t group;         /* its hint group (>= 0), or SCHED_NO_GROUP */
    /* the nodes it may run on (bit n: node n; its CPU affinity, which a
     * new thread takes from its creator), at least (nodes + 7) / 8
     * bytes; NULL: every node */
    const uint8_t *allowed;
};

struct sched;

/* The initial guest thread runs on node 0 and counts as one live thread
 * there from the start. Returns 0, -EINVAL (no nodes, group_size 0,
 * unknown policy) or -ENOMEM. */
int sched_create(const struct sched_config *cfg, struct sched **out);
void sched_destroy(struct sched *s);

/* The node for a new thread (0..nodes-1), counted as live there; or
 * -ENOMEM. Deterministic: the same sequence of calls gives the same
 * nodes. */
int sched_place(struct sched *s, const struct sched_thread_info *t);

/* A thread placed on node (or the initial thread, on 0) has ended. */
void sched_thread_exit(struct sched *s, unsigned node);
/* A live thread moved from one node to another (its CPU mask). */
void sched_thread_moved(struct sched *s, unsigned from, unsigned to);

/* A running thread on node marked itself with group (SHOAL_HINT_GROUP):
 * a group not yet placed stays where that thread is, so its later
 * threads join it. Returns the group's node, or -EINVAL / -ENOMEM. */
int sched_group_seen(struct sched *s, int64_t group, unsigned node);

/* The node of group, or -ENOENT if no thread of it was placed or seen. */
int sched_group_node(struct sched *s, int64_t group);

/* Live threads on node (placed and not ended). */
unsigned sched_node_load(struct sched *s, unsigned node);
/* Hint groups placed on node. */
unsigned sched_node_groups(struct sched *s, unsigned node);

/* Hook for automatic placement from observed sharing: the DSM would
 * report that threads a and b touched `pages` pages in common. Not
 * implemented (sched/DESIGN.md says what it needs: thread migration);
 * returns -ENOSYS and changes nothing. */
int sched_observe_sharing(struct sched *s, uint64_t tid_a, uint64_t tid_b, uint64_t pages);

/* "round-robin", "block", "hint". */
const char *sched_policy_name(enum sched_policy p);

#endif
