/* The guest's CPUs on a cluster: one machine with every node's CPUs,
 * numbered node by node (node 0's first); a node's own are [cpu_base,
 * cpu_base + cpu_count) of struct process, its host's online CPUs 0..
 * cpu_count-1 in order. The guest's affinity masks are in these numbers.
 * The master keeps every thread's mask (its task, or its proxy's for a
 * remote thread); a thread's host affinity is the part of its mask on
 * its own node, or the whole node when the mask names only other nodes'
 * CPUs; a thread that gives itself such a mask moves to a node it names
 * (master/thread_move.c). A lone process
 * (process.guest_cpus 0) is the host's as before. */
#ifndef SHOAL_SYSCALL_CPU_MAP_H
#define SHOAL_SYSCALL_CPU_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct process;

/* The guest CPU of host CPU cpu on this node. */
unsigned cpu_map_guest_cpu(const struct process *p, unsigned cpu);
/* The size of a guest mask as the kernel sizes them: whole longs. */
size_t cpu_map_mask_bytes(const struct process *p);
/* Whether mask (bytes long) names at least one of the guest's CPUs. */
bool cpu_map_any(const struct process *p, const uint8_t *mask, size_t bytes);
/* Pins host thread tid of this node to the part of mask on this node
 * (mask NULL or naming none of them: every CPU of the node). 0 or
 * -errno. */
int cpu_map_pin(const struct process *p, int tid, const uint8_t *mask, size_t bytes);

/* Sets task t's guest mask to a copy of mask (NULL: every CPU). 0 or
 * -ENOMEM. */
struct task;
int cpu_map_set_affinity(struct task *t, const uint8_t *mask, size_t bytes);

#endif
