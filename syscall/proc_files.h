/* The /proc/self files whose host version would describe the emulator
 * instead of the guest: cmdline, auxv, maps. Opening one gives a memfd
 * holding the guest's view, generated at open time. */
#ifndef SHOAL_SYSCALL_PROC_FILES_H
#define SHOAL_SYSCALL_PROC_FILES_H

#include <stdbool.h>

#include "syscall/task.h"

/* True if path names /proc/self/NAME, /proc/thread-self/NAME or
 * /proc/<our pid>/NAME. */
bool proc_self_path(const char *path, const char *name);

/* An fd for an emulated /proc/self file, -errno, or PROC_NOT_EMULATED. */
#define PROC_NOT_EMULATED (-100000)
int proc_file_open(struct task *t, const char *path, int host_flags);

#endif
