#define _GNU_SOURCE
#include "syscall/thread.h"

#include <errno.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "common/detached_thread.h"
#include "common/log.h"
#include "syscall/cpu_map.h"
#include "syscall/host_signal.h"
#include "syscall/shared_file.h"
#include "syscall/vfork.h"

#define HOST_THREAD_STACK (4u << 20) /* our own frames: syscall buffers, interpreter */

/* What glibc's pthread_create passes, plus flags that change nothing here. */
#define THREAD_FLAGS                                                                               \
    (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM |            \
     CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID |              \
     CLONE_DETACHED)
#define FORK_FLAGS                                                                                 \
    (CSIGNAL | CLONE_VM | CLONE_VFORK | CLONE_PARENT_SETTID | CLONE_CHILD_SETTID |                 \
     CLONE_CHILD_CLEARTID)

struct thread_start {
    struct task *task;
    uint64_t flags, ptid, ctid;
    sem_t started;
    int tid;
};

static void write_tid(struct task *t, uint64_t addr, int tid) {
    uint32_t v = (uint32_t)tid;
    gs_copy_out(&t->proc->mem, addr, &v, sizeof v);
}

static void *thread_main(void *arg) {
    struct thread_start *s = arg;
    struct task *t = s->task;
    t->tid = gettid();
    /* its creator's CPU mask (a cluster's numbering, cpu_map.h): the
     * creator may be a remote thread's proxy, not pinned as it is */
    struct process *p = t->proc;
    if (p->guest_cpus) {
        pthread_mutex_lock(&p->stats.lock);
        if (t->affinity) cpu_map_pin(p, t->tid, t->affinity, t->affinity_bytes);
        pthread_mutex_unlock(&p->stats.lock);
    }
    /* The child writes both ids before any guest code of either thread can
     * look: the parent waits on `started` before returning from clone. */
    if (s->flags & CLONE_PARENT_SETTID) write_tid(t, s->ptid, t->tid);
    if (s->flags & CLONE_CHILD_SETTID) write_tid(t, s->ctid, t->tid);
    s->tid = t->tid;
    sem_post(&s->started);
    task_run(t);
}

struct task *thread_task_from(struct task *parent, uint64_t flags, uint64_t newsp, uint64_t tls,
                              uint64_t ctid) {
    struct task *t = task_new(parent->proc);
    void *jump_cache = t->cpu.jump_cache;
    t->cpu = parent->cpu;
    t->cpu.jump_cache = jump_cache;
    t->cpu.fault_jb = NULL;
    t->cpu.opaque = t;
    t->cpu.attention = 0;
    t->cpu.excl_size = 0;
    t->cpu.icount = 0; /* its own instructions only (--stats, progress lines) */
    t->cpu.x[0] = 0;
    if (newsp) t->cpu.x[31] = newsp;
    if (flags & CLONE_SETTLS) t->cpu.tpidr_el0 = tls;
    t->sigmask = parent->sigmask;
    /* the creator's CPU affinity, as Linux copies it (the host thread
     * inherits the host part) */
    cpu_map_set_affinity(t, parent->affinity, parent->affinity_bytes);
    t->clear_child_tid = (flags & CLONE_CHILD_CLEARTID) ? ctid : 0;
    return t;
}

static int64_t new_thread(struct task *parent, uint64_t flags, uint64_t newsp, uint64_t ptid,
                          uint64_t tls, uint64_t ctid) {
    struct process *p = parent->proc;
    if (!gs_thread_room(&p->mem)) return -EAGAIN; /* its host stack must fit (guest_mem.h) */
    struct task *t = thread_task_from(parent, flags, newsp, tls, ctid);
    /* SHOAL_HINT_NEXT_GROUP marks one clone: this one. */
    t->hint_group = parent->hint_next_group;
    parent->hint_next_group = -1;

    struct thread_start s = {.task = t, .flags = flags, .ptid = ptid, .ctid = ctid};
    sem_init(&s.started, 0, 0);
    atomic_fetch_add(&p->live_threads, 1);
    /* The child starts with host signals blocked until task_run() has
     * made it a guest thread the recorder knows (host glibc still
     * unblocks its SIGCANCEL there, which the recorder hands back). */
    /* before the first guest thread but this one exists: no guest fork
     * can run while the loader holds its lock (task_exit: the same, for
     * threads made elsewhere) */
    thread_exit_prepare();
    host_signal_block_all();
    int e = thread_start_detached(NULL, HOST_THREAD_STACK, thread_main, &s);
    /* The first pthread_create of a single-threaded host process installs
     * host glibc's own SIGCANCEL/SIGSETXID handlers (its late_init): 32
     * and 33 are the guest's (host_signal.h), so put the guest's back
     * before any signal can reach them (all blocked here). */
    host_signal_reapply(p, 32);
    host_signal_reapply(p, 33);
    host_signal_set_mask(parent->sigmask);
    if (e) {
        atomic_fetch_sub(&p->live_threads, 1);
        task_free(t);
        sem_destroy(&s.started);
        return -EAGAIN;
    }
    while (sem_wait(&s.started) != 0)
        continue;
    sem_destroy(&s.started);
    return s.tid;
}

/* The child of a fork in a cluster run: a lone process from now on (its
 * memory is whole here: fork_prepare). */
static void leave_cluster(struct task *t) {
    struct process *p = t->proc;
    p->cluster->fork_done(t, true);
    p->cluster = NULL;
    p->cluster_ctx = NULL;
    own_fds_forget(p);
    p->mem.layout = NULL;
    p->mem.layout_opaque = NULL;
    p->mem.alias = NULL;
    p->mem.copy_files = false;
    sf_forked_child(&p->mem);           /* after fork_done: the child's memory is whole */
    host_signal_record_stops(p, false); /* a stop stops this process alone */
}

/* A new process sharing nothing: a host fork of the whole emulator. */
static int64_t new_process(struct task *t, uint64_t flags, uint64_t newsp, uint64_t ptid,
                           uint64_t ctid) {
    const struct process_cluster_ops *cl = t->proc->cluster;
    if (cl && (!cl->fork_prepare || !cl->fork_done)) return -ENOSYS;
    struct vfork_pipe vp;
    if (flags & CLONE_VFORK) {
        int r = vfork_open(t->proc, &vp);
        if (r) return r;
    }
    if (cl) {
        int r = cl->fork_prepare(t);
        if (r) {
            if (flags & CLONE_VFORK) vfork_parent_wait(t->proc, &vp, -1);
            return r;
        }
    }
    /* No emulator lock may be held by another thread at the fork: the
     * child has only this one (cl: fork_prepare holds the space). The
     * child's locks start afresh rather than being unlocked: a glibc
     * lock hands itself over to threads that waited for it, which the
     * child does not have. */
    struct process *p = t->proc;
    if (!cl) pthread_rwlock_wrlock(&p->mem.lock);
    pthread_mutex_lock(&p->sig_lock);
    dbt_fork_prepare(p->dbt);
    pid_t pid = fork();
    int e = errno;
    dbt_fork_done(p->dbt, pid == 0);
    if (pid == 0) {
        pthread_mutex_init(&p->sig_lock, NULL);
    } else {
        pthread_mutex_unlock(&p->sig_lock);
        if (!cl) pthread_rwlock_unlock(&p->mem.lock);
    }
    if (cl && pid != 0) cl->fork_done(t, false);
    if (pid == 0) {
        if (cl) leave_cluster(t); /* lets go of fork_prepare's hold first */
        pthread_rwlock_init(&p->mem.lock, NULL);
        stats_forked_child(&p->stats, t);
        vfork_forget(t->proc); /* a vfork child's own child is not one */
        vfork_close_others(t->proc, (flags & CLONE_VFORK) ? &vp : NULL);
        if (flags & CLONE_VFORK) vfork_child_start(t->proc, &vp, flags & CLONE_VM);
        t->tid = gettid();
        /* Linux clears the child's pending signals. */
        memset(&t->sig, 0, sizeof t->sig);
        t->cpu.attention = 0;
        atomic_store(&t->proc->live_threads, 1);
        if (newsp) t->cpu.x[31] = newsp;
        if (flags & CLONE_CHILD_SETTID) write_tid(t, ctid, t->tid);
        if (flags & CLONE_CHILD_CLEARTID) t->clear_child_tid = ctid;
        return 0;
    }
    if (pid > 0 && (flags & CLONE_PARENT_SETTID)) write_tid(t, ptid, pid);
    /* CLONE_VFORK: suspended until the child execs or ends */
    if (flags & CLONE_VFORK) vfork_parent_wait(t->proc, &vp, pid);
    return pid < 0 ? -e : pid;
}

int64_t thread_clone(struct task *t, uint64_t flags, uint64_t newsp, uint64_t ptid, uint64_t tls,
                     uint64_t ctid) {
    if (flags & CLONE_THREAD) {
        if ((flags & ~(uint64_t)THREAD_FLAGS) || !(flags & CLONE_VM) || !(flags & CLONE_SIGHAND))
            return -EINVAL;
        const struct process_cluster_ops *cl = t->proc->cluster;
        if (cl && cl->clone_thread) {
            int64_t r = cl->clone_thread(t, flags, newsp, ptid, tls, ctid);
            if (r) return r;
        }
        return new_thread(t, flags, newsp, ptid, tls, ctid);
    }
    if (flags & ~(uint64_t)FORK_FLAGS) return -EINVAL;
    /* In a cluster the child is a lone process on this node (new_process).
     * CLONE_VM without CLONE_THREAD is a fork too: with CLONE_VFORK (vfork,
     * posix_spawn) the parent waits and gets the child's stores back
     * (vfork.h); without it the two would share memory while both run,
     * which a fork cannot give (syscall/DESIGN.md). */
    return new_process(t, flags, newsp, ptid, ctid);
}
