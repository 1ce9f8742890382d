/* The loop every guest thread runs, and the ways a process ends. */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/log.h"
#include "syscall/guest_signal.h"
#include "syscall/syscall.h"

_Noreturn void task_run(struct task *t) {
    for (;;) {
        switch (dbt_run(&t->cpu)) {
        case CPU_EXIT_SVC: syscall_dispatch(t); break;
        case CPU_EXIT_SIGNAL:
            signal_deliver_sync(t, t->cpu.exit_signo, t->cpu.exit_code, t->cpu.exit_addr);
            break;
        case CPU_EXIT_ATTENTION: t->cpu.attention = 0; break;
        default: SHOAL_ASSERT(!"unknown dbt_run exit");
        }
    }
}

_Noreturn void process_exit(struct process *p, int status) {
    fflush(NULL);
    syscall(SYS_exit_group, status);
    _exit(status); /* not reached */
}

_Noreturn void process_die_of_signal(struct process *p, int sig) {
    fflush(NULL);
    /* Die like the native process would, without dumping the emulator's core. */
    struct rlimit none = {0, 0};
    setrlimit(RLIMIT_CORE, &none);
    signal(sig, SIG_DFL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    syscall(SYS_tgkill, getpid(), gettid(), sig);
    /* Only reached for signals whose default action is not to terminate. */
    syscall(SYS_exit_group, 128 + sig);
    _exit(128 + sig);
}

_Noreturn void task_exit(struct task *t, int status) {
    struct process *p = t->proc;
    if (t->clear_child_tid) {
        uint32_t zero = 0;
        if (gs_copy_out(&p->mem, t->clear_child_tid, &zero, sizeof zero) == 0) {
            /* Waiters may use shared or private futexes (glibc joins with shared). */
            void *host = gs_host(&p->mem, t->clear_child_tid);
            syscall(SYS_futex, host, FUTEX_WAKE, 1, NULL, NULL, 0);
            syscall(SYS_futex, host, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, NULL, NULL, 0);
        }
    }
    if (atomic_fetch_sub(&p->live_threads, 1) == 1) process_exit(p, status);
    task_free(t);
    pthread_exit(NULL);
}
