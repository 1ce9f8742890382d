/* The /proc and /sys files whose host version would describe the
 * emulator or the host instead of the guest. Opening one gives a memfd
 * holding the guest's view, generated at open time:
 *   /proc/self/{cmdline,auxv,maps}      the guest's argv, auxv, mappings
 *   /proc/cpuinfo                       guest CPUs (AArch64 format)
 *   /sys/devices/system/cpu/{online,possible,present}
 * also when named relative to a /proc or /sys directory (proc_path_at).
 * /proc/self/exe is answered by the path syscalls (sys_fs.c), the task
 * directory, status and stat by proc_tasks.h; the rest of /proc (fd/,
 * ...) is the host's, which is right for a guest whose fds and ids are
 * the host's. */
#ifndef SHOAL_SYSCALL_PROC_FILES_H
#define SHOAL_SYSCALL_PROC_FILES_H

#include <stdbool.h>

#include "syscall/task.h"

/* True if path names /proc/self/NAME, /proc/thread-self/NAME or
 * /proc/<our pid>/NAME. */
bool proc_self_path(const char *path, const char *name);

/* Records whether the cwd is on procfs or sysfs (p->cwd_special): at
 * start and after every chdir and fchdir. */
void proc_note_cwd(struct process *p);

/* path as an absolute /proc or /sys path when it is relative to a
 * directory of procfs or sysfs (dirfd, or the cwd for AT_FDCWD), so
 * that the emulated files are found however they are named: the joined
 * path in buf (PATH_MAX bytes), "." components dropped; else (also for
 * a path with "..") path itself. Only to find emulated files: the host
 * call keeps the guest's dirfd and path. */
const char *proc_path_at(const struct process *p, int dirfd, const char *path, char *buf);

/* An fd for an emulated file, -errno, or PROC_NOT_EMULATED. */
#define PROC_NOT_EMULATED (-100000)
int proc_file_open(struct task *t, const char *path, int host_flags);

/* The number of CPUs the guest sees: p->guest_cpus (a cluster's total),
 * else the host's online CPUs. */
unsigned proc_cpu_count(const struct process *p);

#endif
