/* Scheduling priorities and policies: nice values (getpriority/
 * setpriority), the sched_* policy and parameter calls and I/O priorities
 * (ioprio). Guest threads are host threads and pids/tids are the host's,
 * so each is the host call; struct sched_param (one int) and timespec
 * have the same layout on both sides. getpriority returns the kernel's
 * 20 - nice, which guest libc converts as it would on Linux.
 *
 * The rows are SC_LOCAL: with who/pid 0 Linux acts on the calling thread
 * (nice and policies are per thread), so the call must run on the host
 * thread that runs the guest thread, never on a cluster master's proxy. */
#define _GNU_SOURCE
#include <sched.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "syscall/syscall.h"

SYSCALL_HANDLER(getpriority) {
    return host_result(syscall(SYS_getpriority, (int)a[0], (int)a[1]));
}

SYSCALL_HANDLER(setpriority) {
    return host_result(syscall(SYS_setpriority, (int)a[0], (int)a[1], (int)a[2]));
}

SYSCALL_HANDLER(sched_setparam) {
    void *p = GUEST_IN(t, a[1], sizeof(struct sched_param));
    return p ? host_result(syscall(SYS_sched_setparam, (pid_t)a[0], p)) : -EFAULT;
}

SYSCALL_HANDLER(sched_getparam) {
    void *p = GUEST_OUT(t, a[1], sizeof(struct sched_param));
    return p ? host_result(syscall(SYS_sched_getparam, (pid_t)a[0], p)) : -EFAULT;
}

SYSCALL_HANDLER(sched_setscheduler) {
    void *p = GUEST_IN(t, a[2], sizeof(struct sched_param));
    return p ? host_result(syscall(SYS_sched_setscheduler, (pid_t)a[0], (int)a[1], p)) : -EFAULT;
}

SYSCALL_HANDLER(sched_getscheduler) {
    return host_result(syscall(SYS_sched_getscheduler, (pid_t)a[0]));
}

SYSCALL_HANDLER(sched_get_priority_max) {
    return host_result(syscall(SYS_sched_get_priority_max, (int)a[0]));
}

SYSCALL_HANDLER(sched_get_priority_min) {
    return host_result(syscall(SYS_sched_get_priority_min, (int)a[0]));
}

SYSCALL_HANDLER(sched_rr_get_interval) {
    void *ts = GUEST_OUT(t, a[1], sizeof(struct timespec));
    return ts ? host_result(syscall(SYS_sched_rr_get_interval, (pid_t)a[0], ts)) : -EFAULT;
}

SYSCALL_HANDLER(ioprio_set) {
    return host_result(syscall(SYS_ioprio_set, (int)a[0], (int)a[1], (int)a[2]));
}

SYSCALL_HANDLER(ioprio_get) {
    return host_result(syscall(SYS_ioprio_get, (int)a[0], (int)a[1]));
}

const struct syscall_row sys_sched_rows[] = {
    {30, "ioprio_set", sys_ioprio_set, "ddd", 'd', SC_LOCAL},
    {31, "ioprio_get", sys_ioprio_get, "dd", 'd', SC_LOCAL},
    {118, "sched_setparam", sys_sched_setparam, "dp", 'd', SC_LOCAL},
    {119, "sched_setscheduler", sys_sched_setscheduler, "ddp", 'd', SC_LOCAL},
    {120, "sched_getscheduler", sys_sched_getscheduler, "d", 'd', SC_LOCAL},
    {121, "sched_getparam", sys_sched_getparam, "dp", 'd', SC_LOCAL},
    {125, "sched_get_priority_max", sys_sched_get_priority_max, "d", 'd', SC_LOCAL},
    {126, "sched_get_priority_min", sys_sched_get_priority_min, "d", 'd', SC_LOCAL},
    {127, "sched_rr_get_interval", sys_sched_rr_get_interval, "dp", 'd', SC_LOCAL},
    {140, "setpriority", sys_setpriority, "ddd", 'd', SC_LOCAL},
    {141, "getpriority", sys_getpriority, "dd", 'd', SC_LOCAL},
    SYSCALL_ROWS_END,
};
