/* Process identity, limits and system information. */
#define _GNU_SOURCE
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "syscall/cpu_map.h"
#include "syscall/cpu_time.h"
#include "syscall/cpu_timer.h"
#include "syscall/syscall.h"

SYSCALL_HANDLER(getpid) {
    return getpid();
}
SYSCALL_HANDLER(getppid) {
    return getppid();
}
SYSCALL_HANDLER(getuid) {
    return getuid();
}
SYSCALL_HANDLER(geteuid) {
    return geteuid();
}
SYSCALL_HANDLER(getgid) {
    return getgid();
}
SYSCALL_HANDLER(getegid) {
    return getegid();
}
SYSCALL_HANDLER(getpgid) {
    return host_result(getpgid((pid_t)a[0]));
}
SYSCALL_HANDLER(setpgid) {
    return host_result(setpgid((pid_t)a[0], (pid_t)a[1]));
}
SYSCALL_HANDLER(getsid) {
    return host_result(getsid((pid_t)a[0]));
}
SYSCALL_HANDLER(setsid) {
    return host_result(setsid());
}

static int64_t put_ids(struct task *t, const uint64_t *addr, const uint32_t *ids) {
    for (int i = 0; i < 3; i++)
        if (guest_copy_out(t, addr[i], &ids[i], sizeof ids[i])) return -EFAULT;
    return 0;
}

SYSCALL_HANDLER(getresuid) {
    uid_t r, e, s;
    getresuid(&r, &e, &s);
    return put_ids(t, a, (uint32_t[]){r, e, s});
}

SYSCALL_HANDLER(getresgid) {
    gid_t r, e, s;
    getresgid(&r, &e, &s);
    return put_ids(t, a, (uint32_t[]){r, e, s});
}

SYSCALL_HANDLER(getgroups) {
    if ((int)a[0] < 0) return -EINVAL;
    void *list = a[0] ? GUEST_OUT(t, a[1], a[0] * sizeof(gid_t)) : NULL;
    if (a[0] && !list) return -EFAULT;
    return host_result(getgroups((int)a[0], list));
}

SYSCALL_HANDLER(uname) {
    struct utsname u; /* same layout on both sides */
    if (uname(&u) != 0) return -errno;
    strcpy(u.machine, "aarch64");
    return gs_copy_out(&t->proc->mem, a[0], &u, sizeof u);
}

/* Limits that would constrain the emulator itself (its reserved guest
 * region, its own stacks) are accepted but not applied, as qemu does. */
static bool emulator_limit(int resource) {
    return resource == RLIMIT_AS || resource == RLIMIT_DATA || resource == RLIMIT_STACK;
}

SYSCALL_HANDLER(prlimit64) {
    pid_t pid = (pid_t)a[0];
    int res = (int)a[1];
    struct rlimit nl, ol; /* two 64-bit words on both sides */
    const struct rlimit *newp = NULL;
    if (a[2]) {
        if (guest_copy_in(t, &nl, a[2], sizeof nl)) return -EFAULT;
        newp = &nl;
    }
    bool self = pid == 0 || pid == getpid();
    if (newp && self && emulator_limit(res)) newp = NULL;
    if (self && res == RLIMIT_CPU && cpu_timer_rlimit(t->proc)) {
        /* over every node's CPU time (cpu_timer.h) */
        int r = newp ? cpu_timer_setrlimit(t->proc, newp, &ol) : cpu_timer_getrlimit(t->proc, &ol);
        if (r) return r;
    } else if (prlimit(pid, res, newp, &ol) != 0) {
        return -errno;
    }
    if (a[3] && guest_copy_out(t, a[3], &ol, sizeof ol)) return -EFAULT;
    return 0;
}

SYSCALL_HANDLER(getrlimit) {
    struct rlimit rl;
    if ((int)a[0] == RLIMIT_CPU && cpu_timer_rlimit(t->proc)) {
        int r = cpu_timer_getrlimit(t->proc, &rl);
        if (r) return r;
    } else if (getrlimit((int)a[0], &rl) != 0) {
        return -errno;
    }
    return guest_copy_out(t, a[1], &rl, sizeof rl);
}

SYSCALL_HANDLER(setrlimit) {
    struct rlimit rl;
    if (guest_copy_in(t, &rl, a[1], sizeof rl)) return -EFAULT;
    if (emulator_limit((int)a[0])) return 0;
    if ((int)a[0] == RLIMIT_CPU && cpu_timer_rlimit(t->proc))
        return cpu_timer_setrlimit(t->proc, &rl, NULL);
    return host_result(setrlimit((int)a[0], &rl));
}

/* RUSAGE_SELF in a cluster: every node's threads (cpu_time.h); a
 * thread's own (RUSAGE_THREAD) runs on its node. */
SYSCALL_HANDLER(getrusage) {
    void *ru = GUEST_OUT(t, a[1], sizeof(struct rusage)); /* generic layout */
    if (!ru) return -EFAULT;
    const struct process_cluster_ops *cl = t->proc->cluster;
    if ((int)a[0] == RUSAGE_THREAD && t->moved_sched_ns) {
        /* a thread that moved here: its time before counts too */
        struct rusage r;
        if (getrusage(RUSAGE_THREAD, &r)) return -errno;
        struct cpu_usage u = {0};
        cpu_usage_add_task(&u, t);
        r.ru_utime = (struct timeval){u.user_ns / 1000000000, u.user_ns % 1000000000 / 1000};
        r.ru_stime = (struct timeval){u.sys_ns / 1000000000, u.sys_ns % 1000000000 / 1000};
        return guest_copy_out(t, a[1], &r, sizeof r) ? -EFAULT : 0;
    }
    if ((int)a[0] != RUSAGE_SELF || !cl || !cl->cpu_usage)
        return host_result(getrusage((int)a[0], ru));
    struct cpu_usage u;
    struct rusage r;
    cl->cpu_usage(t, &u, true);
    cpu_usage_to_rusage(&u, &r);
    return guest_copy_out(t, a[1], &r, sizeof r) ? -EFAULT : 0;
}

SYSCALL_HANDLER(sysinfo) {
    struct sysinfo si; /* the same on 64-bit */
    if (sysinfo(&si)) return -errno;
    /* the uptime of the master's CLOCK_BOOTTIME (guest_clock.h) */
    si.uptime += (long)(guest_clock_offset(&t->proc->clock, CLOCK_BOOTTIME) / 1000000000);
    return guest_copy_out(t, a[0], &si, sizeof si) ? -EFAULT : 0;
}

SYSCALL_HANDLER(getrandom) {
    void *buf = GUEST_OUT(t, a[0], a[1]);
    return buf ? host_result(getrandom(buf, a[1], (unsigned)a[2])) : -EFAULT;
}

SYSCALL_HANDLER(getcpu) {
    unsigned cpu, node;
    if (syscall(SYS_getcpu, &cpu, &node, NULL) != 0) return -errno;
    if (t->proc->guest_cpus) { /* one machine's CPUs; a node is a NUMA node */
        cpu = cpu_map_guest_cpu(t->proc, cpu);
        node = t->proc->cpu_node;
    }
    if (a[0] && gs_copy_out(&t->proc->mem, a[0], &cpu, sizeof cpu)) return -EFAULT;
    if (a[1] && gs_copy_out(&t->proc->mem, a[1], &node, sizeof node)) return -EFAULT;
    return 0;
}

SYSCALL_HANDLER(prctl) {
    switch ((int)a[0]) {
    case PR_SET_NAME: {
        /* 16 bytes (a delegated call's shipped copy: the row's 'Z'), or
         * the string alone where memory ends sooner */
        char name[16] = {0};
        if (guest_copy_in(t, name, a[1], sizeof name)) {
            long n = gs_strcpy_in(&t->proc->mem, name, a[1], sizeof name);
            if (n == -EFAULT) return -EFAULT;
        }
        name[15] = 0;
        return host_result(prctl(PR_SET_NAME, name));
    }
    case PR_GET_NAME: {
        char name[16];
        if (prctl(PR_GET_NAME, name) != 0) return -errno;
        return guest_copy_out(t, a[1], name, sizeof name);
    }
    case PR_GET_DUMPABLE:
    case PR_SET_DUMPABLE:
    case PR_GET_PDEATHSIG:
    case PR_SET_PDEATHSIG:
    case PR_GET_NO_NEW_PRIVS:
    case PR_SET_NO_NEW_PRIVS:
    case PR_GET_TIMERSLACK:
    case PR_SET_TIMERSLACK:
    case PR_GET_CHILD_SUBREAPER:
    case PR_SET_CHILD_SUBREAPER:
    /* the thread's capability state, machine-check policy, I/O flusher
     * flag: numbers only, the host's (qemu passes them too) */
    case PR_GET_KEEPCAPS:
    case PR_SET_KEEPCAPS:
    case PR_CAPBSET_READ:
    case PR_CAPBSET_DROP:
    case PR_GET_SECUREBITS:
    case PR_SET_SECUREBITS:
    case PR_CAP_AMBIENT:
    case PR_MCE_KILL:
    case PR_MCE_KILL_GET:
    case PR_SET_IO_FLUSHER:
    case PR_GET_IO_FLUSHER:
        if ((int)a[0] == PR_GET_PDEATHSIG || (int)a[0] == PR_GET_CHILD_SUBREAPER) {
            int v;
            if (prctl((int)a[0], &v) != 0) return -errno;
            return guest_copy_out(t, a[1], &v, sizeof v);
        }
        return host_result(prctl((int)a[0], a[1], a[2], a[3], a[4]));
    default: return -EINVAL;
    }
}

SYSCALL_HANDLER(personality) {
    /* Only the query and PER_LINUX: address-space tweaks are ours to decide. */
    if ((uint32_t)a[0] == 0xffffffffu || a[0] == 0) return 0;
    return -EINVAL;
}

const struct syscall_row sys_proc_rows[] = {
    {92, "personality", sys_personality, "x", 'd', SC_LOCAL},
    {148, "getresuid", sys_getresuid, "UUU", 'd', SC_GLOBAL},
    {150, "getresgid", sys_getresgid, "UUU", 'd', SC_GLOBAL},
    {154, "setpgid", sys_setpgid, "dd", 'd', SC_GLOBAL},
    {155, "getpgid", sys_getpgid, "d", 'd', SC_LOCAL},
    {156, "getsid", sys_getsid, "d", 'd', SC_LOCAL},
    {157, "setsid", sys_setsid, "", 'd', SC_GLOBAL},
    {158, "getgroups", sys_getgroups, "dj", 'd', SC_GLOBAL},
    {160, "uname", sys_uname, "p", 'd', SC_LOCAL},
    {163, "getrlimit", sys_getrlimit, "dL", 'd', SC_GLOBAL},
    {164, "setrlimit", sys_setrlimit, "dr", 'd', SC_GLOBAL},
    {165, "getrusage", sys_getrusage, "dR", 'd', SC_GLOBAL},
    {167, "prctl", sys_prctl, "dZxxx", 'd', SC_GLOBAL},
    {168, "getcpu", sys_getcpu, "ppp", 'd', SC_LOCAL},
    {172, "getpid", sys_getpid, "", 'd', SC_LOCAL},
    {173, "getppid", sys_getppid, "", 'd', SC_LOCAL},
    {174, "getuid", sys_getuid, "", 'd', SC_GLOBAL},
    {175, "geteuid", sys_geteuid, "", 'd', SC_GLOBAL},
    {176, "getgid", sys_getgid, "", 'd', SC_GLOBAL},
    {177, "getegid", sys_getegid, "", 'd', SC_GLOBAL},
    {179, "sysinfo", sys_sysinfo, "p", 'd', SC_LOCAL},
    {261, "prlimit64", sys_prlimit64, "ddrL", 'd', SC_GLOBAL},
    {278, "getrandom", sys_getrandom, "pux", 'd', SC_LOCAL},
    SYSCALL_ROWS_END,
};
