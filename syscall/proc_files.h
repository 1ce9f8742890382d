/* The /proc and /sys files whose host version would describe the
 * emulator or the host instead of the guest. Opening one gives a memfd
 * holding the guest's view, generated at open time:
 *   /proc/self/{cmdline,auxv,maps}      the guest's argv, auxv, mappings
 *   /proc/cpuinfo                       guest CPUs (AArch64 format)
 *   /sys/devices/system/cpu/{online,possible,present}
 * /proc/self/exe is answered by the path syscalls (sys_fs.c); the rest
 * of /proc (fd/, status, ...) is the host's, which is right for a guest
 * whose fds and ids are the host's. */
#ifndef SHOAL_SYSCALL_PROC_FILES_H
#define SHOAL_SYSCALL_PROC_FILES_H

#include <stdbool.h>

#include "syscall/task.h"

/* True if path names /proc/self/NAME, /proc/thread-self/NAME or
 * /proc/<our pid>/NAME. */
bool proc_self_path(const char *path, const char *name);

/* An fd for an emulated file, -errno, or PROC_NOT_EMULATED. */
#define PROC_NOT_EMULATED (-100000)
int proc_file_open(struct task *t, const char *path, int host_flags);

/* The number of CPUs the guest sees: p->guest_cpus (a cluster's total),
 * else the host's online CPUs. */
unsigned proc_cpu_count(const struct process *p);

#endif
