/* Time syscalls: struct timespec/timeval/tms are identical on both sides.
 * There is no guest vDSO, so glibc makes these real syscalls; shoal
 * answers clock_gettime and gettimeofday through the host libc, i.e. the
 * host vDSO (no host syscall for the common clocks, as qemu-user does:
 * the syscall kernel makes one per iteration). Other clocks fall back to
 * the syscall inside libc, with the same result and errno. */
#define _GNU_SOURCE
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/times.h>
#include <sys/timex.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "syscall/cpu_time.h"
#include "syscall/cpu_timer.h"
#include "syscall/guest_clock.h"
#include "syscall/syscall.h"

static struct timespec timespec_of(int64_t ns) {
    return (struct timespec){.tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000};
}

/* A reading made here goes to the guest's buffer by a copy: the host
 * vDSO writes user memory itself, and another thread may unmap the
 * buffer after its check. */
static int64_t put_timespec(struct task *t, uint64_t addr, const struct timespec *v) {
    return guest_copy_out(t, addr, v, sizeof *v) ? -EFAULT : 0;
}

/* The process's CPU time in a cluster: every node's threads (cpu_time.h). */
static bool cluster_cpu_clock(struct task *t, clockid_t id, struct timespec *v) {
    const struct process_cluster_ops *cl = t->proc->cluster;
    struct cpu_clock c;
    if (!cl || !cl->cpu_usage || !cpu_clock_of_process(id, getpid(), NULL, NULL)) return false;
    cpu_clock_decode(id, &c);
    struct cpu_usage u;
    cl->cpu_usage(t, &u, c.which != CPU_CLOCK_SCHED); /* clock(): the total alone */
    *v = timespec_of(cpu_usage_reading(&u, c.which));
    return true;
}

enum clock_answer {
    CLOCK_HOST,      /* the host answers */
    CLOCK_HERE,      /* *ret, and *v when it is 0 */
    CLOCK_DELEGATED, /* *ret is the whole call's, the guest's buffer written */
};

/* The CPU clock of a guest thread named by its tid (pthread_getcpuclockid)
 * in a cluster: guest tids are not the host's, and the thread may run on
 * another node. v NULL: no reading wanted. */
static enum clock_answer thread_cpu_clock(struct task *t, const uint64_t *a, bool getres,
                                          struct timespec *v, int64_t *ret) {
    const struct process_cluster_ops *cl = t->proc->cluster;
    struct cpu_clock c;
    if (!cl || !cpu_clock_decode((clockid_t)a[0], &c) || !c.thread || c.id == 0) return CLOCK_HOST;
    struct cpu_usage u = {0};
    int r = cpu_usage_local_thread(t->proc, c.id, &u);
    if (r && cl->cpu_usage_thread) {
        r = cl->cpu_usage_thread(t->proc, c.id, &u, NULL);
    } else if (r && cl->delegate) { /* a slave: the master knows where it runs */
        *ret = cl->delegate(t, syscall_lookup(getres ? 114 : 113), a);
        return CLOCK_DELEGATED;
    }
    *ret = r ? -EINVAL : 0; /* no such thread: as Linux answers */
    if (r || !v) return CLOCK_HERE;
    if (getres)
        cpu_clock_resolution(c.which, v);
    else
        *v = timespec_of(cpu_usage_reading(&u, c.which));
    return CLOCK_HERE;
}

SYSCALL_HANDLER(clock_gettime) {
    if (!GUEST_OUT(t, a[1], sizeof(struct timespec))) return -EFAULT;
    struct timespec v;
    int64_t ret;
    if (cluster_cpu_clock(t, (clockid_t)a[0], &v)) return put_timespec(t, a[1], &v);
    switch (thread_cpu_clock(t, a, false, &v, &ret)) {
    case CLOCK_DELEGATED: return ret;
    case CLOCK_HERE: return ret ? ret : put_timespec(t, a[1], &v);
    case CLOCK_HOST: break;
    }
    if ((clockid_t)a[0] == CLOCK_THREAD_CPUTIME_ID && t->moved_sched_ns) {
        /* a thread that moved here: its time before counts too */
        struct cpu_usage u = {0};
        cpu_usage_add_task(&u, t);
        v = timespec_of(u.sched_ns);
        return put_timespec(t, a[1], &v);
    }
    ret = host_result(guest_clock_gettime(&t->proc->clock, (clockid_t)a[0], &v));
    return ret ? ret : put_timespec(t, a[1], &v);
}

SYSCALL_HANDLER(clock_getres) {
    if (a[1] && !GUEST_OUT(t, a[1], sizeof(struct timespec))) return -EFAULT;
    struct timespec v, *vp = a[1] ? &v : NULL;
    int64_t ret;
    switch (thread_cpu_clock(t, a, true, vp, &ret)) {
    case CLOCK_DELEGATED: return ret;
    case CLOCK_HERE: break;
    case CLOCK_HOST: ret = host_result(syscall(SYS_clock_getres, (clockid_t)a[0], vp)); break;
    }
    return ret || !vp ? ret : put_timespec(t, a[1], &v);
}

/* Setting and steering the clocks is the host's, as under qemu: Linux
 * wants CAP_SYS_TIME (EPERM without it) and checks the arguments first.
 * In a cluster it is the master's host (the rows are global), whose
 * CLOCK_REALTIME the other nodes do not share when they run elsewhere
 * (guest_clock.h). A bad guest pointer is GUEST_BAD_PTR, so the kernel
 * says EFAULT where Linux would, after its other checks. */
SYSCALL_HANDLER(clock_settime) {
    const void *ts = GUEST_IN(t, a[1], sizeof(struct timespec));
    struct cpu_clock c;
    if ((clockid_t)a[0] < 0 && cpu_clock_decode((clockid_t)a[0], &c)) {
        /* a thread's or process's CPU clock by its id (not the constants,
         * which Linux cannot set: EINVAL): EPERM once it names one */
        uint64_t q[6] = {a[0], 0, 0, 0, 0, 0};
        int64_t ret;
        if (thread_cpu_clock(t, q, true, NULL, &ret) == CLOCK_HOST)
            ret = host_result(syscall(SYS_clock_getres, (clockid_t)a[0], NULL));
        return ret ? ret : ts ? -EPERM : -EFAULT;
    }
    return host_result(syscall(SYS_clock_settime, (clockid_t)a[0], ts ? ts : GUEST_BAD_PTR));
}

SYSCALL_HANDLER(settimeofday) {
    const void *tv = NULL, *tz = NULL;
    if (a[0] && !(tv = GUEST_IN(t, a[0], sizeof(struct timeval)))) tv = GUEST_BAD_PTR;
    if (a[1] && !(tz = GUEST_IN(t, a[1], sizeof(struct timezone)))) tz = GUEST_BAD_PTR;
    return host_result(syscall(SYS_settimeofday, tv, tz));
}

/* struct timex has the same layout on both (LP64, no arch fields); modes
 * 0 only reads the kernel's clock discipline. */
SYSCALL_HANDLER(adjtimex) {
    void *tx = guest_buf(t, a[0], sizeof(struct timex), PROT_READ | PROT_WRITE);
    return host_result(syscall(SYS_adjtimex, tx ? tx : GUEST_BAD_PTR));
}

SYSCALL_HANDLER(clock_adjtime) {
    /* a CPU-time clock: EOPNOTSUPP whatever its id names, as Linux */
    void *tx = guest_buf(t, a[1], sizeof(struct timex), PROT_READ | PROT_WRITE);
    return host_result(syscall(SYS_clock_adjtime, (clockid_t)a[0], tx ? tx : GUEST_BAD_PTR));
}

SYSCALL_HANDLER(gettimeofday) {
    if (a[0] && !GUEST_OUT(t, a[0], sizeof(struct timeval))) return -EFAULT;
    if (a[1] && !GUEST_OUT(t, a[1], sizeof(struct timezone))) return -EFAULT;
    /* read here and copied out: the host vDSO writes user memory itself */
    struct timeval tv;
    struct timezone tz;
    int64_t r = host_result(gettimeofday(&tv, a[1] ? (void *)&tz : NULL));
    if (!r && a[0] && guest_copy_out(t, a[0], &tv, sizeof tv)) return -EFAULT;
    if (!r && a[1] && guest_copy_out(t, a[1], &tz, sizeof tz)) return -EFAULT;
    return r;
}

SYSCALL_HANDLER(nanosleep) {
    const void *req = GUEST_IN(t, a[0], sizeof(struct timespec));
    void *rem = NULL;
    if (!req || (a[1] && !(rem = GUEST_OUT(t, a[1], sizeof(struct timespec))))) return -EFAULT;
    /* Linux restarts with the time left; a restart here (no handler ran)
     * sleeps the whole request again. */
    return blocking_syscall(t, GUEST_ERESTART_RESTARTBLOCK, SYS_nanosleep, req, rem);
}

SYSCALL_HANDLER(clock_nanosleep) {
    const void *req = GUEST_IN(t, a[2], sizeof(struct timespec));
    void *rem = NULL;
    if (!req || (a[3] && !(rem = GUEST_OUT(t, a[3], sizeof(struct timespec))))) return -EFAULT;
    /* a cluster's CPU clocks count every node's threads: no host clock
     * to sleep on (cpu_timer.h) */
    if (cpu_timer_clock(t, (clockid_t)a[0])) {
        struct timespec r, q;
        memcpy(&q, req, sizeof q); /* checked above */
        int64_t ret = cpu_timer_nanosleep(t, (clockid_t)a[0], (int)a[1], &q, rem ? &r : NULL);
        if (ret < 0 && ret != -EINVAL && rem && guest_copy_out(t, a[3], &r, sizeof r))
            return -EFAULT;
        return ret;
    }
    /* a deadline on the master's clock, as this host's */
    int64_t off = guest_clock_offset(&t->proc->clock, (clockid_t)a[0]);
    struct timespec host_req;
    if ((a[1] & TIMER_ABSTIME) && off) {
        if (guest_copy_in(t, &host_req, a[2], sizeof host_req)) return -EFAULT;
        if (host_req.tv_nsec >= 0 && host_req.tv_nsec < 1000000000)
            guest_clock_shift(&host_req, -off); /* the kernel says EINVAL to the rest */
        req = &host_req;
    }
    return blocking_syscall(t, GUEST_ERESTART_RESTARTBLOCK, SYS_clock_nanosleep, (clockid_t)a[0],
                            (int)a[1], req, rem);
}

/* In a cluster: the master's clock and children, every node's threads'
 * CPU time (cpu_time.h). */
SYSCALL_HANDLER(times) {
    void *buf = NULL;
    if (a[0] && !(buf = GUEST_OUT(t, a[0], sizeof(struct tms)))) return -EFAULT;
    const struct process_cluster_ops *cl = t->proc->cluster;
    if (!buf || !cl || !cl->cpu_usage) return host_result(syscall(SYS_times, buf));
    struct tms h;
    long r = syscall(SYS_times, &h);
    if (r == -1) return -errno;
    struct cpu_usage u;
    cl->cpu_usage(t, &u, true);
    uint64_t user, sys;
    cpu_usage_to_ticks(&u, &user, &sys);
    h.tms_utime = (clock_t)user;
    h.tms_stime = (clock_t)sys;
    return guest_copy_out(t, a[0], &h, sizeof h) ? -EFAULT : r;
}

/* alarm(3) is setitimer(ITIMER_REAL) on AArch64; struct itimerval is
 * the same on both sides. The signals go to the process (host_signal.h). */
SYSCALL_HANDLER(getitimer) {
    void *v = GUEST_OUT(t, a[1], sizeof(struct itimerval));
    if (!v) return -EFAULT;
    /* CPU-time itimers in a cluster count every node (cpu_timer.h) */
    if (cpu_timer_itimer(t->proc, (int)a[0])) return cpu_timer_getitimer(t->proc, (int)a[0], v);
    return host_result(syscall(SYS_getitimer, (int)a[0], v));
}

SYSCALL_HANDLER(setitimer) {
    const void *nv = NULL;
    void *ov = NULL;
    if (a[1] && !(nv = GUEST_IN(t, a[1], sizeof(struct itimerval)))) return -EFAULT;
    if (a[2] && !(ov = GUEST_OUT(t, a[2], sizeof(struct itimerval)))) return -EFAULT;
    if (cpu_timer_itimer(t->proc, (int)a[0]))
        return cpu_timer_setitimer(t->proc, (int)a[0], nv, ov);
    return host_result(syscall(SYS_setitimer, (int)a[0], nv, ov));
}

const struct syscall_row sys_time_rows[] = {
    {101, "nanosleep", sys_nanosleep, "pp", 'd', SC_LOCAL},
    {102, "getitimer", sys_getitimer, "dN", 'd', SC_GLOBAL},
    {103, "setitimer", sys_setitimer, "dcN", 'd', SC_GLOBAL},
    {112, "clock_settime", sys_clock_settime, "dr", 'd', SC_GLOBAL},
    {113, "clock_gettime", sys_clock_gettime, "dt", 'd', SC_LOCAL},
    {114, "clock_getres", sys_clock_getres, "dt", 'd', SC_LOCAL},
    {115, "clock_nanosleep", sys_clock_nanosleep, "dxpp", 'd', SC_LOCAL},
    {153, "times", sys_times, "N", 'd', SC_GLOBAL},
    {169, "gettimeofday", sys_gettimeofday, "pp", 'd', SC_LOCAL},
    {170, "settimeofday", sys_settimeofday, "rp", 'd', SC_GLOBAL},
    {171, "adjtimex", sys_adjtimex, "p", 'd', SC_GLOBAL},
    {266, "clock_adjtime", sys_clock_adjtime, "dp", 'd', SC_GLOBAL},
    SYSCALL_ROWS_END,
};
