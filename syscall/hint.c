/* The guest's placement hints (include/shoal/hint.h), decoded by dbt/
 * and reported here through dbt_options.hint_group. On one node a hint
 * only records the group in the task: thread.c gives the next clone its
 * group. In a cluster the next-thread mark travels with the clone (the
 * master's sched_place reads it, master/proxy.c), and a thread's own
 * group goes to the master at once (process_cluster_ops.hint_group), whose
 * sched/ binds a group not yet placed to this node (sched_group_seen).
 * Negative groups clear the mark. */
#include "syscall/task.h"

void task_hint_group(struct cpu *cpu, int64_t group, bool next_thread) {
    struct task *t = cpu->opaque;
    if (group < 0) group = -1;
    if (next_thread) {
        t->hint_next_group = group;
        return;
    }
    /* under placement=hint the thread's current group is placed already
     * (at its creation or by this mark before) and never moves: the same
     * mark again changes nothing, and a loop of marks costs no message */
    if (group == t->hint_group) return;
    t->hint_group = group;
    const struct process_cluster_ops *cl = t->proc->cluster;
    if (group >= 0 && cl && cl->hint_group) cl->hint_group(t, group);
}
