/* The loop every guest thread runs, and the ways a process ends. */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/detached_thread.h"
#include "common/log.h"
#include "syscall/guest_signal.h"
#include "syscall/host_signal.h"
#include "syscall/shared_file.h"
#include "syscall/syscall.h"
#include "syscall/vfork.h"

_Noreturn void task_run(struct task *t) {
    t->host_tid = (int)gettid();
start:
    host_signal_set_current(t);
    host_signal_set_mask(t->sigmask); /* threads start with all blocked */
    /* --stats thread times: a clock read at each transition, no lock */
    struct stats_clock *clk = stats_thread_running(&t->proc->stats, t);
    struct cpu *cpu = &t->cpu;
    for (;;) {
        switch (dbt_run(cpu)) {
        case CPU_EXIT_SVC:
            stats_clock_switch(clk, stats_syscall_phase(cpu->x[8], cpu->x[1]));
            syscall_dispatch(t);
            stats_clock_switch(clk, STATS_EXEC);
            break;
        case CPU_EXIT_SIGNAL: signal_from_cpu(t); break;
        case CPU_EXIT_ATTENTION: break;
        default: SHOAL_ASSERT(!"unknown dbt_run exit");
        }
        /* Signals are delivered here, between guest instructions, and
         * right after a syscall (which may have to be restarted). */
        if (cpu->attention || t->sig.restart) {
            const struct process_cluster_ops *cl = t->proc->cluster;
            if (cpu->attention && cl && cl->hold) cl->hold(t);
            signal_handle(t);
            /* another thread's mask for it forbids this node (after the
             * attention was cleared: the flag is set before it) */
            if (__atomic_load_n(&t->move_ask, __ATOMIC_ACQUIRE) && cl && cl->move_ask)
                cl->move_ask(t);
            /* its CPU mask sends it to another node (the call returned,
             * a handler it takes now runs there) */
            if (__atomic_load_n(&t->move_to, __ATOMIC_ACQUIRE) && cl && cl->move_out) {
                /* back when it comes to run here again */
                cl->move_out(t);
                goto start;
            }
        }
        gs_syscall_end(&t->proc->mem); /* page splitting: pins of its buffers go */
    }
}

_Noreturn void process_exit(struct process *p, int status) {
    vfork_report(p);
    sf_flush_all(&p->mem); /* while every node can still hand back pages */
    if (p->cluster && p->cluster->on_exit) p->cluster->on_exit(p, status, 0);
    stats_write(p, status, 0);
    fflush(NULL);
    syscall(SYS_exit_group, status);
    _exit(status); /* not reached */
}

_Noreturn void process_die_of_signal(struct process *p, int sig) {
    vfork_report(p);
    sf_flush_all(&p->mem);
    if (p->cluster && p->cluster->on_exit) p->cluster->on_exit(p, 0, sig);
    stats_write(p, 0, sig);
    fflush(NULL);
    host_signal_die(sig);
    /* Only reached for signals whose default action is not to terminate. */
    syscall(SYS_exit_group, 128 + sig);
    _exit(128 + sig);
}

_Noreturn void task_exit(struct task *t, int status) {
    struct process *p = t->proc;
    thread_exit_prepare(); /* before the guest can see this thread gone */
    if (p->cluster && p->cluster->thread_exit) p->cluster->thread_exit(t);
    if (t->clear_child_tid) {
        uint32_t zero = 0;
        const uint64_t wake[6] = {t->clear_child_tid, FUTEX_WAKE, 1, 0, 0, 0};
        int64_t woken;
        if (gs_copy_out(&p->mem, t->clear_child_tid, &zero, sizeof zero) == 0 &&
            !(p->cluster && p->cluster->futex && p->cluster->futex(t, wake, &woken))) {
            /* A shared wake, as Linux's: a private waiter on the tid is not woken. */
            syscall(SYS_futex, gs_host(&p->mem, t->clear_child_tid), FUTEX_WAKE, 1, NULL, NULL, 0);
        }
    }
    if (atomic_fetch_sub(&p->live_threads, 1) == 1) process_exit(p, status);
    /* Signals for this thread die with it; process-directed ones go to
     * the threads that remain. */
    host_signal_block_all();
    host_signal_set_current(NULL);
    task_free(t);
    pthread_exit(NULL);
}
