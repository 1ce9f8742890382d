/* A taken guest signal as a signalfd read returns it: struct
 * signalfd_siginfo (128 bytes, the same on AArch64 and x86-64), filled
 * field by field from the siginfo by the union member its signal and
 * si_code select, as Linux's signalfd_copyinfo does. Used where the
 * emulator itself answers a signalfd read (a thread of a cluster's
 * slave: signalfd_read.h); the host kernel formats the others. */
#ifndef SHOAL_SYSCALL_SIGNALFD_INFO_H
#define SHOAL_SYSCALL_SIGNALFD_INFO_H

#include <sys/signalfd.h>

#include "syscall/linux_abi.h"

void signalfd_info_from(struct signalfd_siginfo *out, const struct aarch64_siginfo *in);

#endif
