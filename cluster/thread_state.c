/* A guest thread's state as it moves between nodes (thread_state.h). */
#define _GNU_SOURCE
#include "cluster/thread_state.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cluster/sched_msg.h"
#include "common/log.h"
#include "syscall/cpu_time.h"
#include "syscall/guest_signal.h"
#include "syscall/host_signal.h"
#include "syscall/timer_signal.h"

/* A signal leaving with its thread, its folded expiries in it. */
static void add_signal(struct thread_state_buf *b, struct task *t, int sig,
                       const struct aarch64_siginfo *info) {
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        struct aarch64_siginfo *v =
            cap <= THREAD_STATE_SIGNALS_MAX ? realloc(b->info, cap * sizeof *v) : NULL;
        if (!v) {
            log_warn("thread %d: %zu signals waiting: signal %d dropped in its move", t->tid,
                     b->n + 1, sig);
            return;
        }
        b->info = v;
        b->cap = cap;
    }
    struct aarch64_siginfo *i = &b->info[b->n++];
    *i = *info;
    i->si_signo = sig;
    signal_unwrap_routed(i);
    /* a signal of a timer re-armed or deleted since stays behind */
    if (!timer_signal_taken(t, sig, i)) b->n--;
}

/* The message's list of them, once they are all in b->info (which may
 * move while it grows). Without memory the thread moves without them. */
static void list_signals(struct thread_state_buf *b) {
    b->pend = malloc(b->n * sizeof *b->pend);
    b->pendp = malloc(b->n * sizeof *b->pendp);
    if (b->n && (!b->pend || !b->pendp)) {
        log_warn("thread: no memory for its %zu signals: dropped in its move", b->n);
        b->n = 0;
    }
    for (size_t i = 0; i < b->n; i++) {
        shoal__pending_signal__init(&b->pend[i]);
        b->pend[i].sig = (uint32_t)b->info[i].si_signo;
        b->pend[i].info.data = (uint8_t *)&b->info[i];
        b->pend[i].info.len = sizeof b->info[i];
        b->pendp[i] = &b->pend[i];
    }
}

void thread_state_buf_free(struct thread_state_buf *b) {
    free(b->info);
    free(b->pend);
    free(b->pendp);
}

void thread_state_capture(struct thread_state_buf *b, struct task *t) {
    Shoal__ThreadMoved *m = &b->msg;
    shoal__thread_moved__init(m);
    m->tid = (uint32_t)t->tid;
    cpu_msg_from_cpu(&b->cpu, &t->cpu);
    m->cpu = &b->cpu.msg;
    m->sigmask = t->sigmask;
    m->altstack_sp = t->altstack.ss_sp;
    m->altstack_flags = t->altstack.ss_flags;
    m->altstack_size = t->altstack.ss_size;
    m->robust_list = t->robust_list;
    m->robust_list_len = t->robust_list_len;
    m->clear_child_tid = t->clear_child_tid;
    m->hint_group = t->hint_group;
    m->hint_next_group = t->hint_next_group;
    if (sched_msg_get(&b->sched)) m->sched = &b->sched;
    struct cpu_usage u = {0};
    cpu_usage_add_task(&u, t);
    m->cpu_user_ns = u.user_ns;
    m->cpu_sys_ns = u.sys_ns;
    m->cpu_sched_ns = u.sched_ns;
    /* what shoal recorded (the recorder cannot run: every signal is
     * blocked), then what the kernel still holds for this thread */
    b->n = 0;
    uint64_t rec = t->sig.recorded;
    for (int sig = 1; sig <= GUEST_NSIG; sig++)
        if (rec & SIGBIT(sig)) add_signal(b, t, sig, &t->sig.info[sig]);
    t->sig.recorded = 0;
    t->sig.pending = 0;
    uint64_t held = host_signal_thread_pending(0) & ~(SIGBIT(SIGKILL) | SIGBIT(SIGSTOP));
    for (int sig = 1; sig <= GUEST_NSIG; sig++) {
        if (!(held & SIGBIT(sig))) continue;
        sigset_t one;
        sigemptyset(&one);
        sigaddset(&one, sig);
        const struct timespec zero = {0, 0};
        siginfo_t hi;
        /* queued real-time signals: every instance */
        while (sigtimedwait(&one, &hi, &zero) == sig) {
            struct aarch64_siginfo gi;
            memcpy(&gi, &hi, sizeof gi); /* the generic layout on both */
            add_signal(b, t, sig, &gi);
        }
    }
    list_signals(b);
    m->n_pending = b->n;
    m->pending = b->pendp;
}

void thread_state_restore(struct task *t, const Shoal__ThreadMoved *m) {
    t->sigmask = m->sigmask;
    t->altstack.ss_sp = m->altstack_sp;
    t->altstack.ss_flags = m->altstack_flags;
    t->altstack.ss_size = m->altstack_size;
    t->robust_list = m->robust_list;
    t->robust_list_len = m->robust_list_len;
    t->clear_child_tid = m->clear_child_tid;
    t->hint_group = m->hint_group;
    t->hint_next_group = m->hint_next_group;
    /* its CPU clock goes on from its time so far: less what the host
     * thread that runs it next has had (nothing for a new one) */
    struct cpu_usage u = {0};
    if (t->host_tid) cpu_usage_add_thread(&u, t->host_tid, true);
    t->moved_user_ns = m->cpu_user_ns - u.user_ns;
    t->moved_sys_ns = m->cpu_sys_ns - u.sys_ns;
    t->moved_sched_ns = m->cpu_sched_ns - u.sched_ns;
}

void thread_state_resume(struct task *t, const Shoal__ThreadMoved *m) {
    if (m->sched && sched_msg_apply(m->sched))
        log_debug("thread %d: cannot take its scheduling attributes here", t->tid);
    int self = (int)gettid();
    for (size_t i = 0; i < m->n_pending; i++) {
        struct aarch64_siginfo info;
        memcpy(&info, m->pending[i]->info.data, sizeof info);
        int r = signal_queue_task(t, self, (int)m->pending[i]->sig, &info);
        if (r)
            log_warn("thread %d: signal %u lost in its move: %s", t->tid, m->pending[i]->sig,
                     strerror(-r));
    }
}
