/* POSIX timers (timer_create family). Host timers do the work: guest
 * signal n is host signal n and guest tids are host tids, so a host
 * timer created with the guest's sigevent signals the right host thread
 * (SIGEV_THREAD_ID) or the process (SIGEV_SIGNAL), and the recorder
 * hands the kernel's siginfo (SI_TIMER, si_timerid, si_overrun,
 * si_value) to the guest unchanged. struct sigevent and itimerspec have
 * the same layout on AArch64 and x86-64. Guest timer ids are the host
 * kernel's: the emulator itself creates no POSIX timers, so the ids the
 * guest sees are the ones Linux would give it. CPU-time clocks measure
 * the host process / thread, which is the guest's on one node; in a
 * cluster the master keeps timers on them itself (cpu_timer.h). */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "syscall/cpu_time.h"
#include "syscall/cpu_timer.h"
#include "syscall/syscall.h"
#include "syscall/timer_relay.h"

/* The kernel's struct sigevent (64 bytes on both sides). */
struct ksigevent {
    uint64_t value;
    int32_t signo;
    int32_t notify;
    int32_t tid; /* SIGEV_THREAD_ID */
    int32_t pad[11];
};
_Static_assert(sizeof(struct ksigevent) == 64, "struct sigevent is 64 bytes");

#define GUEST_SIGEV_THREAD_ID 4

/* In a cluster (the master runs these rows): whether the relay sends
 * the timer's signals to thread tid (timer_relay.h): a thread of another
 * node, or, on a clock a timerfd has, any thread of a cluster whose
 * threads move between nodes (a host timer would keep signalling the
 * host thread the thread left). */
static bool relay_target(struct task *t, clockid_t clock, int tid) {
    const struct process_cluster_ops *cl = t->proc->cluster;
    if (!cl || !cl->signal_remote) return false;
    if (cl->signal_remote(t->proc, tid, 0, NULL) == 0) return true;
    struct cpu_clock c;
    return cl->move_check && !cpu_clock_decode(clock, &c) && process_host_tid(t->proc, tid) != 0;
}

static bool relayed(struct task *t, int id) {
    return t->proc->cluster && timer_relay_has(t->proc, id);
}

SYSCALL_HANDLER(timer_create) {
    struct ksigevent ev, *evp = NULL;
    if (a[1]) {
        if (guest_copy_in(t, &ev, a[1], sizeof ev)) return -EFAULT;
        evp = &ev;
    }
    int *id = GUEST_OUT(t, a[2], sizeof(int32_t));
    if (!id) return -EFAULT;
    /* a CPU clock in a cluster: the master counts every node (cpu_timer.h);
     * no sigevent is SIGEV_SIGNAL with SIGALRM and the id as value */
    if (cpu_timer_clock(t, (clockid_t)a[0]))
        return evp ? cpu_timer_create(t, (clockid_t)a[0], ev.notify, ev.signo, ev.tid, ev.value, id)
                   : cpu_timer_create(t, (clockid_t)a[0], CPU_TIMER_NO_SIGEVENT, 0, 0, 0, id);
    if (evp && ev.notify == GUEST_SIGEV_THREAD_ID && relay_target(t, (clockid_t)a[0], ev.tid))
        return timer_relay_create(t->proc, (int)a[0], ev.tid, ev.signo, ev.value, id);
    return host_result(syscall(SYS_timer_create, (clockid_t)a[0], evp, id));
}

SYSCALL_HANDLER(timer_settime) {
    const void *nv = GUEST_IN(t, a[2], sizeof(struct itimerspec));
    void *ov = NULL;
    if (!nv || (a[3] && !(ov = GUEST_OUT(t, a[3], sizeof(struct itimerspec))))) return -EFAULT;
    if (relayed(t, (int)a[0])) return timer_relay_settime(t->proc, (int)a[0], (int)a[1], nv, ov);
    if (cpu_timer_has(t->proc, (int)a[0]))
        return cpu_timer_settime(t->proc, (int)a[0], (int)a[1], nv, ov);
    return host_result(syscall(SYS_timer_settime, (int)a[0], (int)a[1], nv, ov));
}

SYSCALL_HANDLER(timer_gettime) {
    void *cur = GUEST_OUT(t, a[1], sizeof(struct itimerspec));
    if (!cur) return -EFAULT;
    if (cpu_timer_has(t->proc, (int)a[0])) return cpu_timer_gettime(t->proc, (int)a[0], cur);
    return host_result(syscall(SYS_timer_gettime, (int)a[0], cur));
}

SYSCALL_HANDLER(timer_getoverrun) {
    if (relayed(t, (int)a[0])) return timer_relay_getoverrun(t->proc, (int)a[0]);
    if (cpu_timer_has(t->proc, (int)a[0])) return cpu_timer_getoverrun(t->proc, (int)a[0]);
    return host_result(syscall(SYS_timer_getoverrun, (int)a[0]));
}

SYSCALL_HANDLER(timer_delete) {
    if (relayed(t, (int)a[0])) return timer_relay_delete(t->proc, (int)a[0]);
    if (cpu_timer_has(t->proc, (int)a[0])) return cpu_timer_delete(t->proc, (int)a[0]);
    return host_result(syscall(SYS_timer_delete, (int)a[0]));
}

/* Timers belong to the process (ids, and the signals they send), so they
 * live on the master in a cluster. */
const struct syscall_row sys_timer_rows[] = {
    {107, "timer_create", sys_timer_create, "daU", 'd', SC_GLOBAL},
    {108, "timer_gettime", sys_timer_gettime, "dN", 'd', SC_GLOBAL},
    {109, "timer_getoverrun", sys_timer_getoverrun, "d", 'd', SC_GLOBAL},
    {110, "timer_settime", sys_timer_settime, "dxcN", 'd', SC_GLOBAL},
    {111, "timer_delete", sys_timer_delete, "d", 'd', SC_GLOBAL},
    SYSCALL_ROWS_END,
};
