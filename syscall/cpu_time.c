/* The guest process's CPU time across nodes (cpu_time.h). */
#define _GNU_SOURCE
#include "syscall/cpu_time.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "syscall/stats.h"
#include "syscall/task.h"

/* Linux's encoding of CPU clock ids (posix-timers): the pid or tid,
 * complemented, above three bits; bit 2 per-thread; bits 0-1 which. */
#define CPUCLOCK_PERTHREAD 4
#define CPUCLOCK_PID(id)   ((int)~((id) >> 3))

static int clock_which(clockid_t id) {
    return (int)(id & 3);
}

static clockid_t thread_clock(int tid, int which) {
    return (clockid_t)((~(unsigned)tid << 3) | CPUCLOCK_PERTHREAD | (unsigned)which);
}

bool cpu_clock_decode(clockid_t id, struct cpu_clock *c) {
    if (id == CLOCK_PROCESS_CPUTIME_ID || id == CLOCK_THREAD_CPUTIME_ID) {
        *c = (struct cpu_clock){0, id == CLOCK_THREAD_CPUTIME_ID, CPU_CLOCK_SCHED};
        return true;
    }
    if (id >= 0 || clock_which(id) > CPU_CLOCK_SCHED) return false;
    *c = (struct cpu_clock){CPUCLOCK_PID(id), (id & CPUCLOCK_PERTHREAD) != 0,
                            (enum cpu_clock_which)clock_which(id)};
    return true;
}

void cpu_clock_resolution(enum cpu_clock_which which, struct timespec *ts) {
    if (clock_getres(thread_clock(0, (int)which), ts)) *ts = (struct timespec){0, 1};
}

int64_t cpu_usage_reading(const struct cpu_usage *u, enum cpu_clock_which which) {
    return which == CPU_CLOCK_SCHED  ? u->sched_ns
           : which == CPU_CLOCK_VIRT ? u->user_ns
                                     : u->user_ns + u->sys_ns;
}

static int64_t clock_ns(clockid_t id) {
    struct timespec ts;
    if (clock_gettime(id, &ts)) return -1;
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void cpu_usage_add_thread(struct cpu_usage *u, int tid, bool split) {
    if (tid <= 0) return;
    int64_t sched = clock_ns(thread_clock(tid, CPU_CLOCK_SCHED));
    if (sched < 0) return; /* gone, or not a thread of this process */
    if (!split) {
        u->sched_ns += sched;
        return;
    }
    int64_t prof = clock_ns(thread_clock(tid, CPU_CLOCK_PROF));
    int64_t virt = clock_ns(thread_clock(tid, CPU_CLOCK_VIRT));
    /* user and system in the ratio of the ticks the kernel charged, as
     * getrusage scales them to the scheduler's total */
    int64_t user = sched;
    if (prof > 0 && virt >= 0 && virt <= prof) user = (int64_t)((double)sched * virt / prof);
    u->user_ns += user;
    u->sys_ns += sched - user;
    u->sched_ns += sched;
}

void cpu_usage_add_task(struct cpu_usage *u, const struct task *t) {
    cpu_usage_add_thread(u, t->host_tid, true);
    u->user_ns += t->moved_user_ns;
    u->sys_ns += t->moved_sys_ns;
    u->sched_ns += t->moved_sched_ns;
}

void cpu_usage_merge(struct cpu_usage *a, const struct cpu_usage *b) {
    a->user_ns += b->user_ns;
    a->sys_ns += b->sys_ns;
    a->sched_ns += b->sched_ns;
    if (b->maxrss_kb > a->maxrss_kb) a->maxrss_kb = b->maxrss_kb;
    a->minflt += b->minflt;
    a->majflt += b->majflt;
    a->inblock += b->inblock;
    a->oublock += b->oublock;
    a->nvcsw += b->nvcsw;
    a->nivcsw += b->nivcsw;
}

static void host_counters(struct cpu_usage *u) {
    struct rusage r;
    if (getrusage(RUSAGE_SELF, &r)) return;
    u->maxrss_kb = r.ru_maxrss;
    u->minflt = r.ru_minflt;
    u->majflt = r.ru_majflt;
    u->inblock = r.ru_inblock;
    u->oublock = r.ru_oublock;
    u->nvcsw = r.ru_nvcsw;
    u->nivcsw = r.ru_nivcsw;
}

/* The host thread running t: its own, or a proxy's (the master's thread
 * that makes a remote thread's delegated calls); 0: none yet. */
static int host_thread(const struct task *t) {
    return t->host_tid ? t->host_tid : t->proxy ? t->tid : 0;
}

void cpu_usage_node(struct process *p, struct cpu_usage *u, bool split) {
    memset(u, 0, sizeof *u);
    struct run_stats *s = &p->stats;
    pthread_mutex_lock(&s->lock); /* a task on the list cannot go away */
    u->user_ns = s->ended_user_ns;
    u->sys_ns = s->ended_sys_ns;
    u->sched_ns = s->ended_sched_ns;
    for (struct task *t = s->live; t; t = t->stats_next)
        cpu_usage_add_thread(u, host_thread(t), split);
    pthread_mutex_unlock(&s->lock);
    host_counters(u);
}

int cpu_usage_local_thread(struct process *p, int tid, struct cpu_usage *u) {
    pthread_mutex_lock(&p->stats.lock); /* a task on the list cannot go away */
    const struct task *t = process_local_task(p, tid);
    /* no host thread yet: made, not run (clone has returned) */
    if (t && t->host_tid) cpu_usage_add_task(u, t);
    pthread_mutex_unlock(&p->stats.lock);
    return t ? 0 : -ESRCH;
}

void cpu_usage_ended(struct run_stats *s, const struct task *t) {
    if (!t->proc || !t->proc->cluster) return; /* only a cluster sums its threads' times */
    struct cpu_usage u = {0};
    cpu_usage_add_thread(&u, host_thread(t), true);
    s->ended_user_ns += u.user_ns;
    s->ended_sys_ns += u.sys_ns;
    s->ended_sched_ns += u.sched_ns;
}

bool cpu_time_call(int nr, const uint64_t *a, bool *split) {
    struct cpu_clock c;
    switch (nr) {
    case 113: /* clock_gettime of a process CPU clock */
        if (!cpu_clock_decode((clockid_t)a[0], &c) || c.thread) return false;
        *split = c.which != CPU_CLOCK_SCHED;
        return true;
    case 165: /* getrusage(RUSAGE_SELF) */ *split = true; return (int)a[0] == RUSAGE_SELF;
    case 153: /* times */ *split = true; return true;
    default: return false;
    }
}

static struct timeval timeval_of(int64_t ns) {
    return (struct timeval){.tv_sec = ns / 1000000000, .tv_usec = ns % 1000000000 / 1000};
}

void cpu_usage_to_rusage(const struct cpu_usage *u, struct rusage *r) {
    memset(r, 0, sizeof *r);
    r->ru_utime = timeval_of(u->user_ns);
    r->ru_stime = timeval_of(u->sys_ns);
    r->ru_maxrss = u->maxrss_kb;
    r->ru_minflt = u->minflt;
    r->ru_majflt = u->majflt;
    r->ru_inblock = u->inblock;
    r->ru_oublock = u->oublock;
    r->ru_nvcsw = u->nvcsw;
    r->ru_nivcsw = u->nivcsw;
}

void cpu_usage_to_ticks(const struct cpu_usage *u, uint64_t *user, uint64_t *sys) {
    int64_t tick = 1000000000 / sysconf(_SC_CLK_TCK);
    *user = (uint64_t)(u->user_ns / tick);
    *sys = (uint64_t)(u->sys_ns / tick);
}

bool cpu_clock_of_process(clockid_t id, int self, const struct cpu_usage *u, int64_t *ns) {
    struct cpu_clock c;
    if (!cpu_clock_decode(id, &c) || c.thread || (c.id != 0 && c.id != self)) return false;
    if (u && ns) *ns = cpu_usage_reading(u, c.which);
    return true;
}

bool cpu_clock_per_process(clockid_t id) {
    return id == CLOCK_PROCESS_CPUTIME_ID || (id < 0 && !(id & CPUCLOCK_PERTHREAD));
}
