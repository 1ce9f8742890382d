/* See timer_signal.h. A thread's list is short (the timers that signal
 * it and fired since it last took their signal), so it is an array. */
#include "syscall/timer_signal.h"

#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "syscall/host_signal.h"
#include "syscall/task.h"

struct timer_waiting {
    int32_t id; /* si_timerid */
    int sig;
    int64_t extra; /* expiries folded into it */
};

/* The _timer fields of a siginfo: si_tid, si_overrun, then si_sigval. */
static int32_t timer_field(const struct aarch64_siginfo *info, int i) {
    int32_t v;
    memcpy(&v, &info->u.raw[4 * i], sizeof v);
    return v;
}

static struct timer_waiting *find(struct task *t, int32_t id, int sig) {
    for (size_t i = 0; i < t->n_timer_waiting; i++)
        if (t->timer_waiting[i].id == id && t->timer_waiting[i].sig == sig)
            return &t->timer_waiting[i];
    return NULL;
}

static void add(struct task *t, int32_t id, int sig) {
    if (t->n_timer_waiting == t->cap_timer_waiting) {
        size_t cap = t->cap_timer_waiting * 2 + 4;
        struct timer_waiting *v = realloc(t->timer_waiting, cap * sizeof *v);
        if (!v) return;
        t->timer_waiting = v;
        t->cap_timer_waiting = cap;
    }
    t->timer_waiting[t->n_timer_waiting++] = (struct timer_waiting){id, sig, 0};
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
    if (w && may_wait(t, sig)) {
        int64_t n = 1 + (int64_t)timer_field(info, 1); /* this expiry and its overruns */
        if (n < 1) n = 1;
        w->extra = w->extra > INT_MAX - n ? INT_MAX : w->extra + n;
        folded = true;
    } else if (w) {
        w->extra = 0;
    } else {
        add(t, id, sig); /* without memory, queued as before */
    }
    pthread_mutex_unlock(&p->timer_sig_lock);
    return folded;
}

void timer_signal_taken(struct task *t, int sig, struct aarch64_siginfo *info) {
    if (info->si_code != GUEST_SI_TIMER) return;
    struct process *p = t->proc;
    pthread_mutex_lock(&p->timer_sig_lock);
    struct timer_waiting *w = find(t, timer_field(info, 0), sig);
    if (w) {
        int64_t overrun = (int64_t)timer_field(info, 1) + w->extra;
        int32_t v = overrun > INT_MAX ? INT_MAX : (int32_t)overrun;
        memcpy(&info->u.raw[4], &v, sizeof v);
        drop(t, w);
    }
    pthread_mutex_unlock(&p->timer_sig_lock);
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
