/* A guest process and its threads (tasks). One host process runs one
 * guest process; one host thread runs one task. Context is passed
 * explicitly: handlers get the struct task, which points at its process. */
#ifndef SHOAL_SYSCALL_TASK_H
#define SHOAL_SYSCALL_TASK_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "dbt/cpu.h"
#include "dbt/dbt.h"
#include "syscall/guest_mem.h"
#include "syscall/linux_abi.h"

struct process {
    struct guest_space mem;
    struct dbt *dbt;
    char *exe_path;    /* absolute host path of the program: /proc/self/exe */
    char *const *argv; /* guest argv, for /proc/self/cmdline */
    uint64_t auxv[48]; /* copy of the initial auxv, for /proc/self/auxv */
    size_t auxv_bytes;
    bool strace;        /* one line per syscall on stderr */
    uint64_t stack_top; /* initial stack: [stack_top - stack_size, stack_top) */
    uint64_t stack_size;

    pthread_mutex_t sig_lock;                           /* guards sigaction[] */
    struct aarch64_sigaction sigaction[GUEST_NSIG + 1]; /* by signal number */

    atomic_int live_threads;
    atomic_int leader_status; /* exit status of the first thread, if it exits alone */
};

struct task {
    struct cpu cpu; /* first: the vCPU of this thread */
    struct process *proc;
    int tid;                  /* the host thread id, used as the guest tid */
    uint64_t clear_child_tid; /* CLONE_CHILD_CLEARTID / set_tid_address */
    uint64_t robust_list, robust_list_len;
    uint64_t sigmask; /* blocked signals, bit n-1 for signal n */
    struct aarch64_stack_t altstack;
};

/* What the command line decided. */
struct process_config {
    const char *path;  /* program as given: argv[0] default, AT_EXECFN */
    char *const *argv; /* guest argv, NULL-terminated */
    char *const *envp; /* guest environment, NULL-terminated */
    uint64_t stack_size;
    struct dbt_options dbt;
    bool strace;
};

/* Loads the program into a new process. Returns 0, or -errno with a
 * message in err: -ENOENT (exit 127) or another (exit 126). */
int process_create(const struct process_config *cfg, struct process **out, struct task **main_task,
                   char *err, size_t errlen);

/* Runs a task until the guest thread ends; never returns. */
_Noreturn void task_run(struct task *t);

/* Ends the calling guest thread (exit) / the whole process (exit_group). */
_Noreturn void task_exit(struct task *t, int status);
_Noreturn void process_exit(struct process *p, int status);
/* Ends the process as if killed by sig (no core dump of the emulator). */
_Noreturn void process_die_of_signal(struct process *p, int sig);

/* Allocates a task for proc with a fresh vCPU. */
struct task *task_new(struct process *proc);
void task_free(struct task *t);

#endif
