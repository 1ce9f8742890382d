/* The guest's placement hints (include/shoal/hint.h), decoded by dbt/
 * and reported here through dbt_options.hint_group. On one node a hint
 * only records the group in the task: thread.c gives the next clone its
 * group. A cluster node also reports it to the master, whose sched/
 * places the clone (sched_place) or binds the group to this node
 * (sched_group_seen). Negative groups clear the mark. */
#include "syscall/task.h"

void task_hint_group(struct cpu *cpu, int64_t group, bool next_thread) {
    struct task *t = cpu->opaque;
    if (group < 0) group = -1;
    if (next_thread)
        t->hint_next_group = group;
    else
        t->hint_group = group;
}
