/* The guest's CPUs on a cluster (cpu_map.h). */
#define _GNU_SOURCE
#include "syscall/cpu_map.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "syscall/task.h"

static bool bit(const uint8_t *mask, size_t bytes, unsigned i) {
    return i / 8 < bytes && (mask[i / 8] >> (i % 8) & 1);
}

unsigned cpu_map_guest_cpu(const struct process *p, unsigned cpu) {
    unsigned n = p->cpu_count ? p->cpu_count : 1;
    return p->cpu_base + (cpu < n ? cpu : cpu % n);
}

size_t cpu_map_mask_bytes(const struct process *p) {
    return ((size_t)p->guest_cpus + 63) / 64 * 8;
}

bool cpu_map_any(const struct process *p, const uint8_t *mask, size_t bytes) {
    for (unsigned i = 0; i < p->guest_cpus && i / 8 < bytes; i++)
        if (bit(mask, bytes, i)) return true;
    return false;
}

int cpu_map_set_affinity(struct task *t, const uint8_t *mask, size_t bytes) {
    uint8_t *copy = NULL;
    if (mask && !(copy = malloc(bytes ? bytes : 1))) return -ENOMEM;
    if (copy) memcpy(copy, mask, bytes);
    free(t->affinity);
    t->affinity = copy;
    t->affinity_bytes = copy ? bytes : 0;
    return 0;
}

int cpu_map_pin(const struct process *p, int tid, const uint8_t *mask, size_t bytes) {
    unsigned n = p->cpu_count ? p->cpu_count : 1;
    cpu_set_t *set = CPU_ALLOC(n);
    if (!set) return -ENOMEM;
    size_t size = CPU_ALLOC_SIZE(n);
    CPU_ZERO_S(size, set);
    unsigned on = 0;
    for (unsigned i = 0; mask && i < n; i++)
        if (bit(mask, bytes, p->cpu_base + i)) {
            CPU_SET_S(i, size, set);
            on++;
        }
    for (unsigned i = 0; !on && i < n; i++)
        CPU_SET_S(i, size, set);
    int r = syscall(SYS_sched_setaffinity, tid, size, set) ? -errno : 0;
    CPU_FREE(set);
    return r;
}
