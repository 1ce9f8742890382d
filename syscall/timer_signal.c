/* See timer_signal.h. A thread's list is short (the timers that signal
 * it and fired since it last took their signal), so it is an array. */
#define _GNU_SOURCE
#include "syscall/timer_signal.h"

#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "syscall/host_signal.h"
#include "syscall/task.h"

struct timer_waiting {
    int32_t id; /* si_timerid */
    int sig;
    /* what the queued instance stands for: the si_overrun and si_value of
     * the expiry it was queued for (or, after a re-arm, of the first
     * expiry since), plus the expiries folded into it */
    int32_t overrun;
    uint64_t value;
    int64_t extra;
    bool dropped; /* its timer was re-armed or deleted since */
};

/* The _timer fields of a siginfo: si_tid, si_overrun, then si_sigval. */
static int32_t timer_field(const struct aarch64_siginfo *info, int i) {
    int32_t v;
    memcpy(&v, &info->u.raw[4 * i], sizeof v);
    return v;
}

static uint64_t timer_value(const struct aarch64_siginfo *info) {
    uint64_t v;
    memcpy(&v, &info->u.raw[8], sizeof v);
    return v;
}

/* A disarm notice: SI_TIMER with this tag where a timer's siginfo has
 * nothing (bytes 40..47; never queued on a host, so no kernel sees it). */
#define DISARM_MAGIC 0x53484f44u /* "SHOD" */
#define DISARM_TAG   24

void timer_signal_info(struct aarch64_siginfo *info, int sig, int32_t id, int32_t overrun,
                       uint64_t value) {
    memset(info, 0, sizeof *info);
    info->si_signo = sig;
    info->si_code = GUEST_SI_TIMER;
    int32_t timer[2] = {id, overrun}; /* _timer: si_tid, si_overrun, si_sigval */
    memcpy(&info->u.raw[0], timer, sizeof timer);
    memcpy(&info->u.raw[8], &value, sizeof value);
}

void timer_signal_disarm_info(struct aarch64_siginfo *info, int sig, int32_t id) {
    timer_signal_info(info, sig, id, 0, 0);
    uint32_t tag[2] = {DISARM_MAGIC, 0};
    memcpy(&info->u.raw[DISARM_TAG], tag, sizeof tag);
}

/* A thread with every signal blocked: a timer of its own fires at once,
 * is disarmed, and the signal is taken or not. */
static void *probe_drops(void *arg) {
    bool *drops = arg;
    struct {
        uint64_t value;
        int32_t signo, notify, tid;
        int32_t pad[11];
    } ev = {.signo = SIGUSR1, .notify = SIGEV_THREAD_ID, .tid = (int32_t)gettid()};
    int id;
    if (syscall(SYS_timer_create, CLOCK_MONOTONIC, &ev, &id)) return NULL;
    const struct itimerspec past = {{0, 0}, {0, 1}}, off = {{0, 0}, {0, 0}};
    syscall(SYS_timer_settime, id, TIMER_ABSTIME, &past, NULL);
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, SIGUSR1);
    for (int i = 0; i < 1000; i++) { /* it fired: pending */
        sigset_t pend;
        if (sigpending(&pend) == 0 && sigismember(&pend, SIGUSR1)) break;
        sched_yield();
    }
    syscall(SYS_timer_settime, id, 0, &off, NULL);
    const struct timespec now = {0, 0};
    *drops = sigtimedwait(&one, NULL, &now) != SIGUSR1;
    syscall(SYS_timer_delete, id);
    return NULL;
}

static bool host_drops;

static void probe(void) {
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_t th;
    if (pthread_create(&th, NULL, probe_drops, &host_drops) == 0) pthread_join(th, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

bool timer_signal_host_drops(void) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, probe);
    return host_drops;
}

static bool is_disarm(const struct aarch64_siginfo *info) {
    uint32_t tag[2];
    memcpy(tag, &info->u.raw[DISARM_TAG], sizeof tag);
    return tag[0] == DISARM_MAGIC && tag[1] == 0;
}

static struct timer_waiting *find(struct task *t, int32_t id, int sig) {
    for (size_t i = 0; i < t->n_timer_waiting; i++)
        if (t->timer_waiting[i].id == id && t->timer_waiting[i].sig == sig)
            return &t->timer_waiting[i];
    return NULL;
}

/* w now stands for the expiry `info`, nothing folded into it */
static void stand_for(struct timer_waiting *w, const struct aarch64_siginfo *info) {
    w->overrun = timer_field(info, 1);
    w->value = timer_value(info);
    w->extra = 0;
    w->dropped = false;
}

static void add(struct task *t, int32_t id, int sig, const struct aarch64_siginfo *info) {
    if (t->n_timer_waiting == t->cap_timer_waiting) {
        size_t cap = t->cap_timer_waiting * 2 + 4;
        struct timer_waiting *v = realloc(t->timer_waiting, cap * sizeof *v);
        if (!v) return;
        t->timer_waiting = v;
        t->cap_timer_waiting = cap;
    }
    struct timer_waiting *w = &t->timer_waiting[t->n_timer_waiting++];
    w->id = id;
    w->sig = sig;
    stand_for(w, info);
}

static void drop(struct task *t, struct timer_waiting *w) {
    *w = t->timer_waiting[--t->n_timer_waiting];
}

/* Whether an instance of sig may still wait for t: recorded, or in the
 * host kernel's queue of its thread. A signal taken some other way (a
 * host signalfd read, a disposition that discarded it) leaves an entry
 * behind that this finds stale. */
static bool may_wait(const struct task *t, int sig) {
    if (t->sig.recorded & SIGBIT(sig)) return true;
    int host = t->host_tid ? t->host_tid : t->tid;
    return host_signal_thread_pending(host) & SIGBIT(sig);
}

bool timer_signal_fold(struct task *t, int sig, const struct aarch64_siginfo *info) {
    if (info->si_code != GUEST_SI_TIMER) return false;
    int32_t id = timer_field(info, 0);
    struct process *p = t->proc;
    bool folded = false;
    pthread_mutex_lock(&p->timer_sig_lock);
    struct timer_waiting *w = find(t, id, sig);
    if (is_disarm(info)) {
        /* the instance waiting is of the timer as it was: dropped */
        if (w) w->dropped = true;
        folded = true;
    } else if (w && may_wait(t, sig)) {
        if (w->dropped) { /* it stands for this expiry from now on */
            stand_for(w, info);
        } else {
            int64_t n = 1 + (int64_t)timer_field(info, 1); /* this expiry and its overruns */
            if (n < 1) n = 1;
            w->extra = w->extra > INT_MAX - n ? INT_MAX : w->extra + n;
        }
        folded = true;
    } else if (w) {
        stand_for(w, info);
    } else {
        add(t, id, sig, info); /* without memory, queued as before */
    }
    pthread_mutex_unlock(&p->timer_sig_lock);
    return folded;
}

bool timer_signal_taken(struct task *t, int sig, struct aarch64_siginfo *info) {
    if (info->si_code != GUEST_SI_TIMER) return true;
    struct process *p = t->proc;
    bool keep = true;
    pthread_mutex_lock(&p->timer_sig_lock);
    struct timer_waiting *w = find(t, timer_field(info, 0), sig);
    if (w) {
        keep = !w->dropped;
        int64_t overrun = (int64_t)w->overrun + w->extra;
        int32_t v = overrun > INT_MAX ? INT_MAX : (int32_t)overrun;
        memcpy(&info->u.raw[4], &v, sizeof v);
        memcpy(&info->u.raw[8], &w->value, sizeof w->value);
        drop(t, w);
    }
    pthread_mutex_unlock(&p->timer_sig_lock);
    return keep;
}

void timer_signal_report(struct task *t, const struct aarch64_siginfo *info) {
    const struct process_cluster_ops *cl = t->proc->cluster;
    if (info->si_code == GUEST_SI_TIMER && cl && cl->timer_taken)
        cl->timer_taken(t, timer_field(info, 0), timer_field(info, 1));
}

void timer_signal_free(struct task *t) {
    free(t->timer_waiting);
    t->timer_waiting = NULL;
    t->n_timer_waiting = t->cap_timer_waiting = 0;
}
