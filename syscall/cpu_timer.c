/* See cpu_timer.h. One table per process, made at its first such timer:
 * entries under a mutex, and a sampler thread that blocks every signal
 * (it must never take one of the guest's) and reads the clocks of the
 * armed timers one at a time, without the lock (a reading may wait for
 * another node's answer). */
#define _GNU_SOURCE
#include "syscall/cpu_timer.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#include "common/clock_sync.h"
#include "common/detached_thread.h"
#include "syscall/cpu_time.h"
#include "syscall/guest_signal.h"
#include "syscall/host_signal.h"
#include "syscall/proc_files.h"
#include "syscall/syscall.h"
#include "syscall/timer_signal.h"

#define GUEST_SI_KERNEL 0x80
#define SIGRTMIN_HOST   32 /* the kernel's, not glibc's */
#define NS              1000000000LL
#define READ_TRIES      1000

struct cpu_timer {
    int id;               /* POSIX: the placeholder's; itimers: ITIMER_ID(which) */
    struct cpu_clock clk; /* clk.id: the thread's tid, or 0 for the process */
    int notify, signo, tid, si_code;
    uint64_t value;
    int64_t expiry_ns; /* on the clock; 0: disarmed */
    int64_t interval_ns;
    int overrun;         /* of its latest expiry: the signal's si_overrun */
    int overrun_last;    /* of the signal taken last: timer_getoverrun */
    int64_t next_sample; /* CLOCK_MONOTONIC ns of its next reading */
    int64_t last_read;   /* the clock at its last reading */
    int64_t idle_wait;   /* while the clock stands still: the wait, doubled each time */
    uint64_t gen;        /* changed by settime: a reading taken before is stale */
    /* SIGEV_THREAD_ID: one send at a time (an expiry or a disarm notice),
     * so the thread's node gets them in the order they were decided;
     * `fired`: an expiry went out since the timer was last armed */
    bool sending, fired;
};

/* the itimers' entries and RLIMIT_CPU's: ids no POSIX timer has */
#define ITIMER_ID(which) (-1 - (which))
#define RLIMIT_ID        (-10)

struct cpu_timers {
    struct process *p;
    pid_t pid; /* a forked child (a lone process) has none of these timers */
    pthread_mutex_t lock;
    pthread_cond_t cond; /* CLOCK_MONOTONIC: a timer armed, or the sampler's sleep */
    pthread_cond_t sent; /* a timer's send is over */
    struct cpu_timer *v;
    size_t n, cap;
    uint64_t gen;
    /* RLIMIT_CPU as the program sees it, once it set one (rlim_set) */
    bool rlim_set;
    struct rlimit rlim;
};

static pthread_mutex_t create_lock = PTHREAD_MUTEX_INITIALIZER;

static int64_t ts_ns(const struct timespec *ts) {
    return ts->tv_sec * NS + ts->tv_nsec;
}

static struct timespec ns_ts(int64_t ns) {
    return (struct timespec){.tv_sec = ns / NS, .tv_nsec = ns % NS};
}

static struct cpu_timer *find(struct cpu_timers *s, int id) {
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].id == id) return &s->v[i];
    return NULL;
}

/* Whether tid is a thread of the program (on any node). */
static bool is_thread(struct process *p, int tid) {
    const struct process_cluster_ops *cl = p->cluster;
    if (process_host_tid(p, tid)) return true;
    return cl && cl->signal_remote && cl->signal_remote(p, tid, 0, NULL) == 0;
}

/* The reading of clock c now: the program's over every node, or one
 * thread's where it runs. -ESRCH: the thread is gone. */
static int read_clock(struct process *p, const struct cpu_clock *c, int64_t *ns) {
    const struct process_cluster_ops *cl = p->cluster;
    struct cpu_usage u = {0};
    if (c->thread) {
        if (!cl || !cl->cpu_usage_thread) return -ESRCH;
        /* a thread moving between nodes is on none for a moment: read
         * again (READ_TRIES ms at most) while it still lives */
        for (int tries = 0; cl->cpu_usage_thread(p, c->id, &u, NULL); tries++) {
            if (tries == READ_TRIES || !is_thread(p, c->id)) return -ESRCH;
            nanosleep(&(struct timespec){0, 1000000}, NULL);
        }
    } else {
        if (!cl || !cl->cpu_usage_process) return -ESRCH;
        cl->cpu_usage_process(p, &u, c->which != CPU_CLOCK_SCHED);
    }
    *ns = cpu_usage_reading(&u, c->which);
    return 0;
}

/* When e could expire at the earliest, its clock reading `now`: the time
 * left spent by every CPU that can spend it. */
static int64_t next_sample(struct process *p, const struct cpu_timer *e, int64_t now) {
    int64_t cpus = e->clk.thread ? 1 : (int64_t)proc_cpu_count(p);
    int64_t wait = (e->expiry_ns - now) / (cpus > 0 ? cpus : 1);
    if (wait < CPU_TIMER_MIN_NS) wait = CPU_TIMER_MIN_NS;
    return (int64_t)clock_mono_ns() + (wait > e->idle_wait ? wait : e->idle_wait);
}

/* A clock that has not moved since the last reading (its threads sleep)
 * is read half as often each time, down to every CPU_TIMER_IDLE_NS: a
 * short timer of a sleeping thread must not cost a round trip every
 * millisecond. Called with the reading now. */
static void note_reading(struct cpu_timer *e, int64_t now) {
    if (now != e->last_read)
        e->idle_wait = 0;
    else if (e->idle_wait < CPU_TIMER_IDLE_NS)
        e->idle_wait = e->idle_wait ? 2 * e->idle_wait : CPU_TIMER_MIN_NS;
    e->last_read = now;
}

/* An expiry of e (a copy), overrun as counted: its signal. */
static void deliver(struct process *p, const struct cpu_timer *e) {
    if (e->notify == SIGEV_NONE) return;
    struct aarch64_siginfo info;
    if (e->si_code == GUEST_SI_TIMER) {
        timer_signal_info(&info, e->signo, e->id, e->overrun, e->value);
    } else {
        memset(&info, 0, sizeof info);
        info.si_signo = e->signo;
        info.si_code = e->si_code;
    }
    if (e->notify == SIGEV_THREAD_ID) {
        signal_to_cluster_thread(p, e->tid, e->signo, &info);
        return;
    }
    /* the process's: pending in the master's host process, where a node-0
     * thread takes it or the signal router sends it to a slave's thread
     * (master/signals.c); siginfo_t is the same on both sides. Named by
     * this thread's tid, which the kernel takes for its process, because
     * only a signal "to itself" may carry a kernel si_code (SI_KERNEL) */
    syscall(SYS_rt_sigqueueinfo, gettid(), e->signo, &info);
}

/* Under s->lock: timer id once no send of it is under way (NULL: it was
 * deleted meanwhile). */
static struct cpu_timer *find_idle(struct cpu_timers *s, int id) {
    struct cpu_timer *e;
    while ((e = find(s, id)) && e->sending)
        pthread_cond_wait(&s->sent, &s->lock);
    return e;
}

/* Under s->lock: timer id's send is over. */
static void sent(struct cpu_timers *s, int id) {
    struct cpu_timer *e = find(s, id);
    if (e) e->sending = false;
    pthread_cond_broadcast(&s->sent);
}

/* RLIMIT_CPU's second on the clock that sec seconds reach (0: never). */
static int64_t rlimit_ns(rlim_t sec) {
    return sec >= (rlim_t)(INT64_MAX / NS) ? 0 : (int64_t)sec * NS;
}

/* Under s->lock: RLIMIT_CPU's entry e reached its soft limit at clock
 * now. As Linux: SIGKILL at the hard limit, else SIGXCPU with the soft
 * limit a second later; the signal to send. */
static int rlimit_reached(struct cpu_timers *s, struct cpu_timer *e, int64_t now) {
    int64_t hard = rlimit_ns(s->rlim.rlim_max); /* 0: RLIM_INFINITY */
    if (hard && now >= hard) {
        e->expiry_ns = 0;
        return SIGKILL;
    }
    s->rlim.rlim_cur++;
    e->expiry_ns = rlimit_ns(s->rlim.rlim_cur);
    return SIGXCPU;
}

/* Reads the clock of the armed timer due first, fires it if it expired,
 * and schedules its next reading. Called and returns with s->lock held. */
static void sample_one(struct cpu_timers *s, size_t i) {
    struct cpu_timer e = s->v[i];
    pthread_mutex_unlock(&s->lock);
    int64_t now = 0;
    int r = read_clock(s->p, &e.clk, &now);
    pthread_mutex_lock(&s->lock);
    struct cpu_timer *cur = find_idle(s, e.id);
    if (!cur || cur->gen != e.gen || !cur->expiry_ns) return; /* changed meanwhile */
    if (r) { /* its thread has gone: its clock stands still for ever */
        cur->expiry_ns = 0;
        return;
    }
    bool fire = now >= cur->expiry_ns;
    if (cur->id == RLIMIT_ID) {
        note_reading(cur, now);
        int sig = fire ? rlimit_reached(s, cur, now) : 0;
        if (cur->expiry_ns) cur->next_sample = next_sample(s->p, cur, now);
        pthread_mutex_unlock(&s->lock);
        if (sig == SIGKILL) kill(getpid(), SIGKILL);
        if (sig == SIGXCPU)
            deliver(s->p, &(struct cpu_timer){.notify = SIGEV_SIGNAL,
                                              .signo = SIGXCPU,
                                              .si_code = GUEST_SI_KERNEL});
        pthread_mutex_lock(&s->lock);
        return;
    }
    if (fire && cur->interval_ns) {
        int64_t missed = (now - cur->expiry_ns) / cur->interval_ns;
        cur->overrun = missed > INT32_MAX ? INT32_MAX : (int)missed;
        cur->expiry_ns += (missed + 1) * cur->interval_ns;
    } else if (fire) {
        cur->overrun = 0;
        cur->expiry_ns = 0;
    }
    note_reading(cur, now);
    if (cur->expiry_ns) cur->next_sample = next_sample(s->p, cur, now);
    e = *cur;
    if (!fire) return;
    /* a POSIX timer's send is one at a time, so a re-arm or delete
     * finds its signal queued (send_disarm) */
    bool posix = e.id >= 0 && e.notify != SIGEV_NONE;
    cur->sending = cur->fired = posix;
    pthread_mutex_unlock(&s->lock);
    deliver(s->p, &e);
    pthread_mutex_lock(&s->lock);
    if (posix) sent(s, e.id);
}

/* A process timer's signal that waits in this process's kernel queue
 * (every thread blocks it) is taken out, as Linux drops its own timer's
 * at a re-arm or delete. sigtimedwait takes the calling thread's own
 * instances first, so it is left alone if that thread has one of sig
 * (a tgkill'd one it blocks); others of sig taken out on the way go
 * back in their order. */
static void drop_process_signal(int sig, int id) {
    if (host_signal_thread_pending(0) & SIGBIT(sig)) return;
    uint64_t set = SIGBIT(sig);
    static const struct timespec now = {0, 0};
    siginfo_t kept[64];
    int n = 0;
    bool dropped = false;
    for (;;) {
        siginfo_t si;
        if (syscall(SYS_rt_sigtimedwait, &set, &si, &now, 8) != sig) break;
        if (!dropped && si.si_code == SI_TIMER && si.si_timerid == id) {
            dropped = true;
        } else {
            kept[n++] = si;
        }
        /* a standard signal has one instance; a queue this long is not a
         * timer's doing */
        if (sig < SIGRTMIN_HOST || n == 64) break;
    }
    for (int i = 0; i < n; i++)
        syscall(SYS_rt_sigqueueinfo, gettid(), sig, &kept[i]);
}

/* Under s->lock, e idle: a POSIX timer that fired since it was armed was
 * re-armed or deleted: a SIGEV_THREAD_ID one's thread's node drops the
 * signal of it that may wait there (the lock is dropped meanwhile), a
 * process timer's signal leaves this kernel's queue. Returns e again
 * (NULL: deleted meanwhile). */
static struct cpu_timer *send_disarm(struct cpu_timers *s, struct cpu_timer *e) {
    if (!e->fired || !timer_signal_host_drops()) return e;
    if (e->notify == SIGEV_SIGNAL) { /* the process's: in this kernel */
        e->fired = false;
        drop_process_signal(e->signo, e->id);
        return e;
    }
    e->fired = false;
    e->sending = true;
    int id = e->id, tid = e->tid, sig = e->signo;
    struct aarch64_siginfo info;
    timer_signal_disarm_info(&info, sig, id);
    pthread_mutex_unlock(&s->lock);
    signal_to_cluster_thread(s->p, tid, sig, &info);
    pthread_mutex_lock(&s->lock);
    sent(s, id);
    return find(s, id);
}

static void *sampler_main(void *arg) {
    struct cpu_timers *s = arg;
    host_signal_block_all();
    pthread_mutex_lock(&s->lock);
    for (;;) {
        size_t due = s->n;
        for (size_t i = 0; i < s->n; i++)
            if (s->v[i].expiry_ns && (due == s->n || s->v[i].next_sample < s->v[due].next_sample))
                due = i;
        if (due == s->n) {
            pthread_cond_wait(&s->cond, &s->lock);
            continue;
        }
        int64_t at = s->v[due].next_sample;
        if (at > (int64_t)clock_mono_ns()) {
            struct timespec until = ns_ts(at);
            pthread_cond_timedwait(&s->cond, &s->lock, &until);
            continue;
        }
        sample_one(s, due);
    }
    return NULL;
}

static struct cpu_timers *timers_of(struct process *p, bool make) {
    pthread_mutex_lock(&create_lock);
    struct cpu_timers *s = p->cpu_timers;
    if (s && s->pid != getpid()) s = NULL; /* the parent's, in a forked child */
    if (!s && make && (s = calloc(1, sizeof *s))) {
        s->p = p;
        s->pid = getpid();
        pthread_mutex_init(&s->lock, NULL);
        pthread_condattr_t ca;
        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&s->cond, &ca);
        pthread_condattr_destroy(&ca);
        pthread_cond_init(&s->sent, NULL);
        if (thread_start_detached(NULL, 0, sampler_main, s)) {
            free(s);
            s = NULL;
        } else {
            p->cpu_timers = s;
        }
    }
    pthread_mutex_unlock(&create_lock);
    return s;
}

bool cpu_timer_clock(struct task *t, clockid_t clock) {
    struct process *p = t->proc;
    struct cpu_clock c;
    if (!p->cluster || !p->cluster->cpu_usage_process || !cpu_clock_decode(clock, &c)) return false;
    if (!c.thread) return cpu_clock_of_process(clock, getpid(), NULL, NULL);
    return c.id == 0 || is_thread(p, c.id);
}

/* Adds e to s (its id set). 0 or -EAGAIN. */
static int add(struct cpu_timers *s, const struct cpu_timer *e) {
    pthread_mutex_lock(&s->lock);
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 8;
        struct cpu_timer *v = realloc(s->v, cap * sizeof *v);
        if (!v) {
            pthread_mutex_unlock(&s->lock);
            return -EAGAIN;
        }
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = *e;
    pthread_mutex_unlock(&s->lock);
    return 0;
}

int cpu_timer_create(struct task *t, clockid_t clock, int notify, int signo, int tid,
                     uint64_t value, int *id) {
    struct process *p = t->proc;
    bool no_sigevent = notify == CPU_TIMER_NO_SIGEVENT;
    if (no_sigevent) {
        notify = SIGEV_SIGNAL;
        signo = SIGALRM;
    }
    struct cpu_timer e = {.notify = notify, .signo = signo, .tid = tid, .value = value};
    if (notify != SIGEV_NONE && (signo < 1 || signo > GUEST_NSIG)) return -EINVAL;
    if (notify != SIGEV_NONE && notify != SIGEV_SIGNAL && notify != SIGEV_THREAD_ID) return -EINVAL;
    if (notify == SIGEV_THREAD_ID && !is_thread(p, tid)) return -EINVAL;
    cpu_clock_decode(clock, &e.clk);
    if (e.clk.thread && !e.clk.id) e.clk.id = t->tid; /* the caller's */
    if (!e.clk.thread) e.clk.id = 0;
    e.si_code = GUEST_SI_TIMER;
    struct cpu_timers *s = timers_of(p, true);
    if (!s) return -EAGAIN;
    /* a host timer that is never armed holds the id */
    struct {
        uint64_t value;
        int32_t signo, notify;
        int32_t pad[12];
    } none = {.notify = SIGEV_NONE};
    if (syscall(SYS_timer_create, CLOCK_MONOTONIC, &none, &e.id) != 0) return -errno;
    if (no_sigevent) e.value = (uint64_t)(uint32_t)e.id;
    int r = add(s, &e);
    if (r) {
        syscall(SYS_timer_delete, e.id);
        return r;
    }
    *id = e.id;
    return 0;
}

bool cpu_timer_has(struct process *p, int id) {
    struct cpu_timers *s = timers_of(p, false);
    if (!s || id < 0) return false;
    pthread_mutex_lock(&s->lock);
    bool has = find(s, id) != NULL;
    pthread_mutex_unlock(&s->lock);
    return has;
}

/* The time left of e, its clock reading `now` (0: disarmed). */
static int64_t left_ns(const struct cpu_timer *e, int64_t now) {
    if (!e->expiry_ns) return 0;
    return e->expiry_ns > now ? e->expiry_ns - now : 1; /* due: Linux says 1 ns too */
}

/* Arms (or disarms: value 0) timer id at value ns (relative, or absolute
 * on its clock), reloading every interval ns; *old_value and *old_interval
 * get what it had left. 0 or -errno. */
static int arm(struct cpu_timers *s, int id, bool absolute, int64_t value, int64_t interval,
               int64_t *old_value, int64_t *old_interval) {
    pthread_mutex_lock(&s->lock);
    struct cpu_timer *e = find(s, id);
    if (!e) {
        pthread_mutex_unlock(&s->lock);
        return -EINVAL;
    }
    struct cpu_clock clk = e->clk;
    pthread_mutex_unlock(&s->lock);
    int64_t now = 0;
    /* a thread that has gone: its clock stands still (a timer on it never
     * fires) */
    if (read_clock(s->p, &clk, &now)) now = INT64_MAX / 2;
    pthread_mutex_lock(&s->lock);
    if (!(e = find_idle(s, id))) {
        pthread_mutex_unlock(&s->lock);
        return -EINVAL;
    }
    if (old_value) *old_value = left_ns(e, now);
    if (old_interval) *old_interval = e->interval_ns;
    e->gen = ++s->gen;
    e->overrun = e->overrun_last = 0;
    e->idle_wait = 0; /* read as soon as it could expire */
    e->last_read = now;
    e->interval_ns = value ? interval : 0;
    e->expiry_ns = !value ? 0 : absolute ? value : now + value;
    if (e->expiry_ns <= 0 && value) e->expiry_ns = 1; /* an absolute time long past: due */
    if (e->expiry_ns) {
        e->next_sample = e->expiry_ns <= now ? (int64_t)clock_mono_ns() : next_sample(s->p, e, now);
        pthread_cond_signal(&s->cond);
    }
    send_disarm(s, e);
    pthread_mutex_unlock(&s->lock);
    return 0;
}

static bool valid_ts(const struct timespec *ts) {
    return ts->tv_sec >= 0 && ts->tv_nsec >= 0 && ts->tv_nsec < NS;
}

int cpu_timer_settime(struct process *p, int id, int flags, const struct itimerspec *nv,
                      struct itimerspec *ov) {
    struct cpu_timers *s = timers_of(p, false);
    if (!s) return -EINVAL;
    if (!valid_ts(&nv->it_value) || !valid_ts(&nv->it_interval)) return -EINVAL;
    int64_t old_value, old_interval;
    int r = arm(s, id, flags & TIMER_ABSTIME, ts_ns(&nv->it_value), ts_ns(&nv->it_interval),
                &old_value, &old_interval);
    if (!r && ov) *ov = (struct itimerspec){ns_ts(old_interval), ns_ts(old_value)};
    return r;
}

int cpu_timer_gettime(struct process *p, int id, struct itimerspec *cur) {
    struct cpu_timers *s = timers_of(p, false);
    if (!s) return -EINVAL;
    pthread_mutex_lock(&s->lock);
    struct cpu_timer *e = find(s, id);
    struct cpu_clock clk = e ? e->clk : (struct cpu_clock){0};
    pthread_mutex_unlock(&s->lock);
    if (!e) return -EINVAL;
    int64_t now = 0;
    if (read_clock(p, &clk, &now)) now = INT64_MAX / 2;
    pthread_mutex_lock(&s->lock);
    e = find(s, id);
    if (e) *cur = (struct itimerspec){ns_ts(e->interval_ns), ns_ts(left_ns(e, now))};
    pthread_mutex_unlock(&s->lock);
    return e ? 0 : -EINVAL;
}

int cpu_timer_getoverrun(struct process *p, int id) {
    struct cpu_timers *s = timers_of(p, false);
    if (!s) return -EINVAL;
    pthread_mutex_lock(&s->lock);
    struct cpu_timer *e = find(s, id);
    int r = e ? e->overrun_last : -EINVAL;
    pthread_mutex_unlock(&s->lock);
    return r;
}

bool cpu_timer_taken(struct process *p, int id, int overrun) {
    struct cpu_timers *s = timers_of(p, false);
    if (!s || id < 0) return false;
    pthread_mutex_lock(&s->lock);
    struct cpu_timer *e = find(s, id);
    if (e) e->overrun_last = overrun;
    pthread_mutex_unlock(&s->lock);
    return e != NULL;
}

int cpu_timer_delete(struct process *p, int id) {
    struct cpu_timers *s = timers_of(p, false);
    if (!s || id < 0) return -EINVAL;
    pthread_mutex_lock(&s->lock);
    struct cpu_timer *e = find_idle(s, id);
    if (e) e = send_disarm(s, e); /* before the id can be another timer's */
    if (e) *e = s->v[--s->n];
    pthread_mutex_unlock(&s->lock);
    if (!e) return -EINVAL;
    syscall(SYS_timer_delete, id);
    return 0;
}

int64_t cpu_timer_nanosleep(struct task *t, clockid_t clock, int flags, const struct timespec *req,
                            struct timespec *rem) {
    struct cpu_clock c;
    if (!cpu_clock_decode(clock, &c) || c.thread || !valid_ts(req)) return -EINVAL;
    int64_t now = 0;
    if (read_clock(t->proc, &c, &now)) return -EINVAL;
    int64_t deadline = flags & TIMER_ABSTIME ? ts_ns(req) : now + ts_ns(req);
    int64_t cpus = (int64_t)proc_cpu_count(t->proc);
    while (now < deadline) {
        int64_t wait = (deadline - now) / (cpus > 0 ? cpus : 1);
        wait = wait < CPU_TIMER_MIN_NS    ? CPU_TIMER_MIN_NS
               : wait > CPU_TIMER_IDLE_NS ? CPU_TIMER_IDLE_NS
                                          : wait;
        struct timespec step = ns_ts(wait);
        int64_t r = blocking_syscall(t, GUEST_ERESTART_RESTARTBLOCK, SYS_nanosleep, &step, NULL);
        if (r < 0) {
            /* what is left now: the clock moved on during the step */
            if (!(flags & TIMER_ABSTIME) && rem && !read_clock(t->proc, &c, &now))
                *rem = ns_ts(deadline > now ? deadline - now : 0);
            return r;
        }
        if (read_clock(t->proc, &c, &now)) return -EINVAL;
    }
    return 0;
}

/* ---- itimers ---- */

bool cpu_timer_itimer(struct process *p, int which) {
    return (which == ITIMER_VIRTUAL || which == ITIMER_PROF) && p->cluster &&
           p->cluster->cpu_usage_process;
}

/* The process's table with entry e (an itimer's or RLIMIT_CPU's, by its
 * id) in it: added, disarmed, on first use. NULL: no memory. */
static struct cpu_timers *entry_of(struct process *p, const struct cpu_timer *e) {
    struct cpu_timers *s = timers_of(p, true);
    if (!s) return NULL;
    pthread_mutex_lock(&s->lock);
    bool has = find(s, e->id) != NULL;
    pthread_mutex_unlock(&s->lock);
    return has || !add(s, e) ? s : NULL;
}

/* The entry of itimer `which`. */
static struct cpu_timers *itimer_of(struct process *p, int which) {
    struct cpu_timer e = {
        .id = ITIMER_ID(which),
        .clk = {0, false, which == ITIMER_VIRTUAL ? CPU_CLOCK_VIRT : CPU_CLOCK_PROF},
        .notify = SIGEV_SIGNAL,
        .signo = which == ITIMER_VIRTUAL ? SIGVTALRM : SIGPROF,
        .si_code = GUEST_SI_KERNEL,
    };
    return entry_of(p, &e);
}

static bool valid_tv(const struct timeval *tv) {
    return tv->tv_sec >= 0 && tv->tv_usec >= 0 && tv->tv_usec < 1000000;
}

static int64_t tv_ns(const struct timeval *tv) {
    return tv->tv_sec * NS + tv->tv_usec * 1000;
}

/* Linux rounds what is left up to the next microsecond. */
static struct timeval ns_tv(int64_t ns) {
    int64_t us = (ns + 999) / 1000;
    return (struct timeval){.tv_sec = us / 1000000, .tv_usec = us % 1000000};
}

int cpu_timer_setitimer(struct process *p, int which, const void *nv, void *ov) {
    struct itimerval v = {0};
    if (nv) memcpy(&v, nv, sizeof v);
    if (!valid_tv(&v.it_value) || !valid_tv(&v.it_interval)) return -EINVAL;
    struct cpu_timers *s = itimer_of(p, which);
    if (!s) return -EAGAIN;
    int64_t old_value, old_interval;
    int r = arm(s, ITIMER_ID(which), false, tv_ns(&v.it_value), tv_ns(&v.it_interval), &old_value,
                &old_interval);
    if (!r && ov) {
        struct itimerval o = {ns_tv(old_interval), ns_tv(old_value)};
        memcpy(ov, &o, sizeof o);
    }
    return r;
}

int cpu_timer_getitimer(struct process *p, int which, void *cur) {
    struct itimerspec its = {0}; /* never set: disarmed */
    cpu_timer_gettime(p, ITIMER_ID(which), &its);
    struct itimerval o = {ns_tv(ts_ns(&its.it_interval)), ns_tv(ts_ns(&its.it_value))};
    memcpy(cur, &o, sizeof o);
    return 0;
}

bool cpu_timer_rlimit(struct process *p) {
    return cpu_timer_itimer(p, ITIMER_PROF); /* the same: a cluster's master */
}

int cpu_timer_getrlimit(struct process *p, struct rlimit *cur) {
    struct cpu_timers *s = timers_of(p, false);
    if (s) pthread_mutex_lock(&s->lock);
    bool set = s && s->rlim_set;
    if (set) *cur = s->rlim;
    if (s) pthread_mutex_unlock(&s->lock);
    return set || !getrlimit(RLIMIT_CPU, cur) ? 0 : -errno;
}

int cpu_timer_setrlimit(struct process *p, const struct rlimit *nv, struct rlimit *old) {
    struct rlimit was;
    int r = cpu_timer_getrlimit(p, &was);
    if (r) return r;
    if (nv->rlim_cur > nv->rlim_max) return -EINVAL;
    struct cpu_timer e = {
        .id = RLIMIT_ID,
        .clk = {0, false, CPU_CLOCK_PROF}, /* user + system, as Linux counts it */
        .notify = SIGEV_SIGNAL,
        .signo = SIGXCPU,
        .si_code = GUEST_SI_KERNEL,
    };
    struct cpu_timers *s = entry_of(p, &e);
    if (!s) return -EAGAIN;
    /* the host's limit says whether the hard one may rise (EPERM), and
     * stops the master at the hard limit of its own time, which comes no
     * sooner than the program's; the soft one is checked here alone */
    struct rlimit host = {nv->rlim_max, nv->rlim_max};
    if (setrlimit(RLIMIT_CPU, &host)) return -errno;
    pthread_mutex_lock(&s->lock);
    s->rlim_set = true;
    s->rlim = *nv;
    pthread_mutex_unlock(&s->lock);
    if (old) *old = was;
    /* absolute on the program's CPU time; RLIM_INFINITY: disarmed */
    return arm(s, RLIMIT_ID, true, rlimit_ns(nv->rlim_cur), 0, NULL, NULL);
}

void cpu_timer_forked(struct process *p) {
    struct cpu_timers *s = p->cpu_timers;
    /* the child's limit is its own host kernel's again, as the program saw it */
    if (s && s->rlim_set) setrlimit(RLIMIT_CPU, &s->rlim);
}
