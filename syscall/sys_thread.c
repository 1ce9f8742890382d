/* Thread lifetime syscalls. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "syscall/cpu_map.h"
#include "syscall/robust_list.h"
#include "syscall/syscall.h"
#include "syscall/thread.h"

SYSCALL_HANDLER(clone) {
    return thread_clone(t, a[0], a[1], a[2], a[3], a[4]);
}

/* glibc falls back to clone when clone3 is missing. */
SYSCALL_HANDLER(clone3) {
    return -ENOSYS;
}

SYSCALL_HANDLER(exit) {
    robust_list_exit(t); /* a slave thread's list is walked on its node */
    task_exit(t, (int)a[0] & 0xff);
}
SYSCALL_HANDLER(exit_group) {
    process_exit(t->proc, (int)a[0] & 0xff);
}

SYSCALL_HANDLER(set_tid_address) {
    t->clear_child_tid = a[0];
    return t->tid;
}

SYSCALL_HANDLER(gettid) {
    return t->tid;
}

/* Stored: the list holds guest pointers the host kernel cannot walk, so
 * the emulator walks it when the thread exits (robust_list.h). */
SYSCALL_HANDLER(set_robust_list) {
    if (a[1] != 24) return -EINVAL;
    t->robust_list = a[0];
    t->robust_list_len = a[1];
    return 0;
}

SYSCALL_HANDLER(get_robust_list) {
    if (a[0] != 0 && (int)a[0] != t->tid) return -EPERM;
    uint64_t head = t->robust_list, len = 24;
    if (gs_copy_out(&t->proc->mem, a[1], &head, sizeof head)) return -EFAULT;
    if (gs_copy_out(&t->proc->mem, a[2], &len, sizeof len)) return -EFAULT;
    return 0;
}

/* glibc registers rseq when it can; ENOSYS makes it go without. */
SYSCALL_HANDLER(rseq) {
    return -ENOSYS;
}

SYSCALL_HANDLER(sched_yield) {
    return host_result(sched_yield());
}

/* A cluster's guest sees all its vCPUs (process.guest_cpus) and names
 * them in its masks (cpu_map.h). The master keeps each thread's mask in
 * its task (a remote thread's: in its proxy); the thread pid names, under
 * the stats lock (a task on the live list cannot go away), or NULL when
 * pid is not a thread of this process: another process (a forked child,
 * on node 0, whose CPUs are node 0's host CPUs) is the host's to answer. */
static struct task *affinity_task(struct task *t, pid_t pid) {
    if (pid == 0 || pid == t->tid) return t;
    /* by tid (host_tid only once the thread runs: glibc sets a new
     * thread's mask from attr right after clone) */
    return process_task(t->proc, pid);
}

static int64_t host_getaffinity(struct task *t, const uint64_t *a) {
    void *mask = GUEST_OUT(t, a[2], a[1]);
    return mask ? host_result(syscall(SYS_sched_getaffinity, (pid_t)a[0], a[1], mask)) : -EFAULT;
}

SYSCALL_HANDLER(sched_getaffinity) {
    struct process *p = t->proc;
    size_t size = cpu_map_mask_bytes(p);
    if (!p->guest_cpus) return host_getaffinity(t, a);
    if (a[1] < size || (a[1] & 7)) return -EINVAL;
    /* made here and copied out: another thread may unmap the guest's */
    uint8_t *mask = malloc(size);
    if (!mask) return -ENOMEM;
    pthread_mutex_lock(&p->stats.lock);
    struct task *o = affinity_task(t, (pid_t)a[0]);
    memset(mask, o && !o->affinity ? 0xff : 0, size);
    if (o && o->affinity)
        memcpy(mask, o->affinity, o->affinity_bytes < size ? o->affinity_bytes : size);
    pthread_mutex_unlock(&p->stats.lock);
    if (!o) {
        free(mask);
        return host_getaffinity(t, a);
    }
    /* bits past the guest's CPUs are not CPUs */
    size_t whole = p->guest_cpus / 8;
    if (p->guest_cpus % 8) mask[whole++] &= (uint8_t)((1u << (p->guest_cpus % 8)) - 1);
    memset(mask + whole, 0, size - whole);
    int e = guest_copy_out(t, a[2], mask, size);
    free(mask);
    return e ? -EFAULT : (int64_t)size;
}

SYSCALL_HANDLER(sched_setaffinity) {
    struct process *p = t->proc;
    const uint8_t *mask = GUEST_IN(t, a[2], a[1]);
    if (!mask) return -EFAULT;
    if (!p->guest_cpus) return host_result(syscall(SYS_sched_setaffinity, (pid_t)a[0], a[1], mask));
    /* as Linux: EINVAL when the mask names none of the machine's CPUs */
    size_t size = cpu_map_mask_bytes(p);
    uint8_t *copy = calloc(1, size);
    if (!copy) return -ENOMEM;
    /* read through a copy: another thread may unmap the guest's (bits
     * past the guest's CPUs name none) */
    if (guest_copy_in(t, copy, a[2], a[1] < size ? a[1] : size)) {
        free(copy);
        return -EFAULT;
    }
    if (!cpu_map_any(p, copy, size)) {
        free(copy);
        return -EINVAL;
    }
    pthread_mutex_lock(&p->stats.lock);
    struct task *o = affinity_task(t, (pid_t)a[0]);
    int r = o ? cpu_map_set_affinity(o, copy, size) : 1;
    int remote = !r && o->proxy ? o->tid : 0;
    /* these calls run on the master (or a lone process): a thread of
     * its own has its guest tid as host tid */
    if (!r && !remote) r = cpu_map_pin(p, o->tid, copy, size);
    /* it may have to move to a node that owns its CPUs */
    if (!r && p->cluster && p->cluster->move_check) p->cluster->move_check(o);
    pthread_mutex_unlock(&p->stats.lock);
    /* a remote thread: its node pins it (the message goes ahead of this
     * call's answer on the FIFO link) */
    if (remote && p->cluster && p->cluster->affinity_changed)
        p->cluster->affinity_changed(p, remote, copy, size);
    free(copy);
    return r <= 0 ? r : host_result(syscall(SYS_sched_setaffinity, (pid_t)a[0], a[1], mask));
}

/* A wait for any child where the host process has children that are
 * not the guest's (a cluster master's slaves): ECHILD when the guest has
 * none, as Linux says (a blocking wait would wait for a slave). */
static bool no_guest_children(struct task *t) {
    const struct process_cluster_ops *cl = t->proc->cluster;
    return cl && cl->has_children && !cl->has_children(t->proc);
}

/* struct rusage: the generic layout on both sides ('R') */
_Static_assert(sizeof(struct rusage) == 144, "struct rusage is generic");

/* Linux writes the status and the rusage only when a child was reaped
 * (ret > 0; not under WNOHANG with none ready): the host's go to the
 * guest then, so that a delegated call sends back nothing else. The
 * pointers are checked first, so no child is reaped and lost to a bad
 * one. */
SYSCALL_HANDLER(wait4) {
    if ((pid_t)a[0] == -1 && no_guest_children(t)) return -ECHILD;
    int status;
    struct rusage ru;
    if ((a[1] && !guest_writable(t, a[1], sizeof status)) ||
        (a[3] && !guest_writable(t, a[3], sizeof ru)))
        return -EFAULT;
    int64_t r = blocking_syscall(t, GUEST_ERESTARTSYS, SYS_wait4, (pid_t)a[0],
                                 a[1] ? &status : NULL, (int)a[2], a[3] ? &ru : NULL);
    if (r > 0 && ((a[1] && guest_copy_out(t, a[1], &status, sizeof status)) ||
                  (a[3] && guest_copy_out(t, a[3], &ru, sizeof ru))))
        return -EFAULT; /* unmapped meanwhile by another thread */
    return r;
}

/* siginfo_t: Linux writes six of its fields (si_signo, si_errno, si_code,
 * si_pid, si_uid, si_status) whatever the outcome, zeros when no child
 * was waited for, and nothing else: the kernel writes the row's copy,
 * read and written ('D'), and only the bytes it changed go back. The
 * rusage only when a child was waited for (si_signo SIGCHLD). */
SYSCALL_HANDLER(waitid) {
    siginfo_t own = {0}, *info = &own;
    struct rusage ru;
    if (a[2] && !(info = guest_buf(t, a[2], sizeof *info, PROT_READ | PROT_WRITE))) return -EFAULT;
    if ((int)a[0] == P_ALL && no_guest_children(t)) {
        /* as Linux's ECHILD: the six fields zeroed (through a copy:
         * another thread may unmap the guest's) */
        if (info != &own && guest_copy_in(t, &own, a[2], sizeof own)) return -EFAULT;
        own.si_signo = own.si_errno = own.si_code = 0;
        own.si_pid = 0;
        own.si_uid = 0;
        own.si_status = 0;
        if (info != &own && guest_copy_out(t, a[2], &own, sizeof own)) return -EFAULT;
        return -ECHILD;
    }
    if (a[4] && !guest_writable(t, a[4], sizeof ru)) return -EFAULT;
    int64_t r = blocking_syscall(t, GUEST_ERESTARTSYS, SYS_waitid, (int)a[0], (pid_t)a[1], info,
                                 (int)a[3], a[4] ? &ru : NULL);
    int signo = own.si_signo;
    if (r == 0 && a[4] && info != &own && guest_buf_read(t, &signo, info, sizeof signo))
        return -EFAULT;
    if (r == 0 && a[4] && signo == SIGCHLD && guest_copy_out(t, a[4], &ru, sizeof ru))
        return -EFAULT;
    return r;
}

const struct syscall_row sys_thread_rows[] = {
    {93, "exit", sys_exit, "d", 'n', SC_GLOBAL},
    {94, "exit_group", sys_exit_group, "d", 'n', SC_GLOBAL},
    {95, "waitid", sys_waitid, "ddDxR", 'd', SC_GLOBAL},
    {96, "set_tid_address", sys_set_tid_address, "p", 'd', SC_LOCAL},
    {99, "set_robust_list", sys_set_robust_list, "pu", 'd', SC_LOCAL},
    {100, "get_robust_list", sys_get_robust_list, "dpp", 'd', SC_LOCAL},
    {122, "sched_setaffinity", sys_sched_setaffinity, "dum", 'd', SC_GLOBAL},
    {123, "sched_getaffinity", sys_sched_getaffinity, "dun", 'd', SC_GLOBAL},
    {124, "sched_yield", sys_sched_yield, "", 'd', SC_LOCAL},
    {178, "gettid", sys_gettid, "", 'd', SC_LOCAL},
    {220, "clone", sys_clone, "xpppp", 'd', SC_GLOBAL},
    {260, "wait4", sys_wait4, "dUxR", 'd', SC_GLOBAL},
    {293, "rseq", sys_rseq, "puxx", 'd', SC_LOCAL},
    {435, "clone3", sys_clone3, "pu", 'd', SC_GLOBAL},
    SYSCALL_ROWS_END,
};
