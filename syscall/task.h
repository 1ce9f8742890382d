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
#include "syscall/elf_load.h"
#include "syscall/guest_clock.h"
#include "syscall/guest_mem.h"
#include "syscall/linux_abi.h"
#include "syscall/own_fds.h"
#include "syscall/stats.h"

/* Per-thread signal state besides the mask and the alternate stack.
 * `recorded`, `info` and `pending` are written by the host signal handler
 * on this thread (host_signal.c) and read by the run loop on this thread
 * with host signals blocked; nothing else touches them. */
struct task_signals {
    volatile uint64_t recorded;                  /* bit n-1: info[n] holds a signal */
    struct aarch64_siginfo info[GUEST_NSIG + 1]; /* by signal number */
    /* Non-zero while a recorded signal is deliverable (not blocked):
     * safe_syscall does not block, the run loop delivers. */
    volatile int pending;
    bool sync_valid; /* a synchronous signal waits in `sync` */
    struct aarch64_siginfo sync;
    uint64_t fault_address; /* sigcontext.fault_address: the last fault's */
    /* The last SIGSEGV run again because this node's layout may have
     * been behind (guest_signal.c, retry_caught_up): where, and the
     * guest space's change count then. */
    bool retry_valid;
    uint64_t retry_pc, retry_addr, retry_changes;
    /* sigsuspend/ppoll replace the mask until a handler runs; the frame
     * then saves this one, so rt_sigreturn restores it. */
    bool saved_mask_valid;
    uint64_t saved_mask;
    /* The syscall just made asks to be restarted (-ERESTART* code) with
     * its original x0, depending on what signal delivery finds. */
    int64_t restart;
    uint64_t orig_x0;
};

struct task;
struct process;
struct syscall_row;
struct sc_bufs;
struct signalfd_edge;
struct timer_waiting;
struct vfork_child;
struct cpu_usage;
struct proc_thread_view;

/* A loaded ELF file, for /proc/self/maps. */
struct process_image {
    char *path; /* absolute host path */
    uint64_t dev, ino;
    unsigned nseg;
    struct elf_seg seg[ELF_MAX_SEGS];
};

/* How a process that is part of a cluster differs from a lone one
 * (cluster/, master/, slave/); NULL members: as a lone process. */
struct process_cluster_ops {
    /* A slave: runs the call on the master for t (syscall_delegated()
     * rows) and returns its result. */
    int64_t (*delegate)(struct task *t, const struct syscall_row *row, const uint64_t *a);
    /* The master: clone of a thread (CLONE_THREAD). Returns the new tid,
     * -errno, or 0 to create it on this node as a lone process would. */
    int64_t (*clone_thread)(struct task *t, uint64_t flags, uint64_t newsp, uint64_t ptid,
                            uint64_t tls, uint64_t ctid);
    /* The process ends with this status (sig 0) or signal: every node
     * must end. Called before this node exits. */
    void (*on_exit)(struct process *p, int status, int sig);
    /* The master: execve replaces the process by a lone one on this
     * node (docs/cluster.md), so every other node ends now, and is gone
     * (its host process reaped) when this returns. */
    void (*on_exec)(struct process *p);
    /* The master: thread t (a node-0 thread, or the proxy of a remote
     * one) exits. PI locks it still holds go to their first waiters, as
     * Linux's exit_pi_state_list gives them (task_exit, before the
     * clear_child_tid wake). */
    void (*thread_exit)(struct task *t);
    /* The master: the action of sig changed (rt_sigaction); every node
     * must have it before the syscall returns. */
    void (*sigaction_changed)(struct process *p, int sig);
    /* A slave: SA_RESETHAND reset sig here on delivering act; the master
     * makes the reset run-wide (if act is still the action) before the
     * handler runs. */
    void (*reset_hand)(struct task *t, int sig, const struct aarch64_sigaction *act);
    /* A slave: t's mask or sigtimedwait set changed (after the store),
     * so t may now accept a signal the master holds for want of one. */
    void (*mask_opened)(struct task *t);
    /* The master: sends sig with info to thread tid of this process when
     * it runs on another node. 1: tid is not a remote thread (the caller
     * sends it on this host); 0: sent; -errno. */
    int (*signal_remote)(struct process *p, int tid, int sig, const struct aarch64_siginfo *info);
    /* The master of a multi-node run: futex(2) with args a, decided by
     * the cluster's futex table (*ret its result), every op included;
     * false: left to the host kernel as a lone process would (no table). */
    bool (*futex)(struct task *t, const uint64_t *a, int64_t *ret);
    /* fork/vfork/clone without CLONE_THREAD (thread.c): before the host
     * fork, make every readable guest page hold valid contents in this
     * node's memory and hold off what would take one away (0, or -errno:
     * the fork fails; NULL: -ENOSYS); after it, let go (parent), or
     * (child) drop this node's cluster state: the child is a lone
     * process (docs/cluster.md). */
    int (*fork_prepare)(struct task *t);
    void (*fork_done)(struct task *t, bool child);
    /* The master: whether the guest has children of its own (its host
     * process also has the run's slaves or their launchers, which a wait
     * for any child must not count). */
    bool (*has_children)(struct process *p);
    /* Thread t, running on this node, marked itself with hint group
     * `group` (>= 0; SHOAL_HINT_GROUP): the master's placement binds the
     * group to this node if none of its threads was placed yet
     * (sched_group_seen). NULL: nothing to tell. */
    void (*hint_group)(struct task *t, int64_t group);
    /* A thread here took a stop signal's default action: the whole run
     * stops (and this returns once it is continued). NULL: this process
     * stops itself. */
    void (*stop_run)(struct process *p);
    /* Thread t is between guest instructions with its attention raised:
     * a node of a stopped run holds it here until the run goes on. NULL:
     * nothing holds threads. */
    void (*hold)(struct task *t);
    /* Thread t, running here, took the signal of one of the master's
     * emulated timers (a relayed or CPU-time timer, GUEST_SI_TIMER) with
     * si_overrun `overrun`: the timer's timer_getoverrun reports it from
     * now, as Linux's does after a dequeue (timer_signal.h). Reported on
     * the link a later delegated call of t takes, so its own
     * timer_getoverrun finds it. NULL: the timers are the host's. */
    void (*timer_taken)(struct task *t, int timer_id, int overrun);
    /* A slave: rt_sigpending(a) made on the master, whose proxy writes
     * the signals pending there for the process (and not yet sent to a
     * thread) into the guest's buffer a[0]; *set is what it wrote. 0 or
     * -errno. NULL: this host holds the process's signals. */
    int (*process_pending)(struct task *t, const uint64_t *a, uint64_t *set);
    /* The master of a multi-node run: the program's CPU time, every
     * node's guest threads, read by t (cpu_time.h; split: user and system
     * apart; a proxy's caller_cpu stands for its node). NULL: this host
     * process's. */
    void (*cpu_usage)(struct task *t, struct cpu_usage *u, bool split);
    /* The master: adds guest thread tid's CPU time, wherever it runs: 0,
     * or -ESRCH (no such thread). view (NULL: not asked): what /proc
     * shows of a thread of another node, from its node (view->known);
     * not known for one here, whose own files say it. */
    int (*cpu_usage_thread)(struct process *p, int tid, struct cpu_usage *u,
                            struct proc_thread_view *view);
    /* The master: adds the program's CPU time over every node (split: user
     * and system apart), for a reader that is no guest thread. */
    void (*cpu_usage_process)(struct process *p, struct cpu_usage *u, bool split);
    /* The master: remote thread tid has a new CPU affinity (kept in its
     * proxy's task): its node pins it before the call returns. */
    void (*affinity_changed)(struct process *p, int tid, const uint8_t *mask, size_t bytes);
    /* The master: runs scheduling call nr (syscall/sched_call.h, args a,
     * in/out its structs) for guest thread tid on the node that runs it:
     * 0 with *ret its result, or -ESRCH when tid is no remote thread. */
    int (*thread_call)(struct process *p, int tid, int nr, const uint64_t *a, const uint8_t *in,
                       size_t inlen, uint8_t *out, size_t outlen, int64_t *ret);
    /* The master, with the stats lock held: thread t has a new CPU mask
     * (sched_setaffinity), kept in t; if it names no CPU of the node t
     * runs on, t moves to a node it names (docs/cluster.md, "One
     * machine's CPUs"). NULL: threads stay where they are. */
    void (*move_check)(struct task *t);
    /* A slave: thread t, between guest instructions on its own host
     * thread, was asked to leave its node (t->move_ask): it asks the
     * master, whose answer sets t->move_to if it still moves. */
    void (*move_ask)(struct task *t);
    /* Thread t, between guest instructions on its own host thread, moves
     * to the node t->move_to - 1. Returns when it is to run on this host
     * thread again (it came back), or never. */
    void (*move_out)(struct task *t);
};

struct process {
    struct guest_space mem;
    struct dbt *dbt;
    char *exe_path;    /* absolute host path of the program: /proc/self/exe */
    char *const *argv; /* guest argv, for /proc/self/cmdline */
    uint64_t auxv[48]; /* copy of the initial auxv, for /proc/self/auxv */
    size_t auxv_bytes;
    /* -L DIR: where absolute guest paths look first (sysroot.h); NULL: none */
    struct sysroot *sysroot;
    char *const *exec_opts; /* process_config.exec_opts (syscall/sys_exec.c) */
    /* the emulator's own fds, which the guest may not close (own_fds.h),
     * and how many of them are being made (own_fds_making) */
    struct fd_bits own_fds;
    _Atomic unsigned own_fds_making;
    /* the cwd is on procfs or sysfs (proc_note_cwd), so relative paths
     * may name emulated files; kept at start and at chdir/fchdir rather
     * than asked at every relative open */
    bool cwd_special;
    /* The program [0] and its dynamic loader [1] (path NULL: none): the
     * loader copies their segments into anonymous memory, so
     * /proc/self/maps names them from here. */
    struct process_image images[2];
    /* CPUs the guest sees in /proc/cpuinfo and /sys/devices/system/cpu/
     * {online,possible,present}; 0: the host's. The hook for a cluster,
     * which should set the total vCPUs of all its nodes at start. */
    unsigned guest_cpus;
    /* this node's own guest CPUs and its index (cpu_map.h), with
     * guest_cpus */
    unsigned cpu_base, cpu_count, cpu_node;
    /* timer_relay.c: POSIX timers for threads of other nodes (a cluster's
     * master); NULL: none yet */
    struct timer_relay *timer_relay;
    /* cpu_timer.c: timers on CPU-time clocks (a cluster's master); NULL:
     * none yet */
    struct cpu_timers *cpu_timers;
    bool strace; /* one line per syscall on stderr */
    /* a signalfd was made: a remote thread's read looks (signalfd_read.h) */
    atomic_bool signalfds;
    int guest_pid;      /* a slave's: the master's pid, its threads' (0: getpid()) */
    uint64_t stack_top; /* initial stack: [stack_top - stack_size, stack_top) */
    uint64_t stack_size;

    pthread_mutex_t sig_lock;                           /* guards sigaction[] */
    pthread_mutex_t timer_sig_lock;                     /* timer_signal.c */
    struct aarch64_sigaction sigaction[GUEST_NSIG + 1]; /* by signal number */
    uint64_t sigtramp; /* guest address of `mov x8, #139; svc #0` (0: none) */

    struct run_stats stats;   /* --stats */
    struct guest_clock clock; /* offsets of the master's clocks (guest_clock.h) */

    const struct process_cluster_ops *cluster; /* NULL: not in a cluster */
    /* The kernel cannot wait for a guest page here (the DSM's mprotect
     * fallback): syscalls run on bounce copies (syscall/sc_bounce.h). */
    bool bounce_bufs;
    void *cluster_ctx;

    atomic_int live_threads;
    atomic_int leader_status; /* exit status of the first thread, if it exits alone */
    /* This process is a vfork child whose parent waits for its exec or
     * end (syscall/vfork.h); NULL: it is not. */
    struct vfork_child *vfork;
    /* vfork.c: pipe ends of vforks in flight in this process (fd + 1;
     * 0: free slot), which a fork made meanwhile by another thread must
     * not keep open */
    _Atomic int vfork_fds[16];
};

struct task {
    struct cpu cpu; /* first: the vCPU of this thread */
    struct process *proc;
    int tid;                  /* the host thread id, used as the guest tid */
    uint64_t clear_child_tid; /* CLONE_CHILD_CLEARTID / set_tid_address */
    uint64_t robust_list, robust_list_len;
    uint64_t sigmask; /* blocked signals, bit n-1 for signal n */
    struct aarch64_stack_t altstack;
    struct task_signals sig;
    /* timer signals queued for it, not yet taken (timer_signal.h; under
     * proc->timer_sig_lock) */
    struct timer_waiting *timer_waiting;
    size_t n_timer_waiting, cap_timer_waiting;
    struct task *stats_next, *stats_prev; /* run_stats.live list */
    struct stats_clock *stats_clock;      /* thread times (NULL: not kept) */
    /* Signals this thread waits for in rt_sigtimedwait (0: not waiting):
     * a cluster node offering a process-directed signal counts it as
     * accepting those. Written by the thread, read by others. */
    _Atomic uint64_t sigwait_set;
    int host_tid; /* the host thread running it (the guest tid on a lone node) */
    bool proxy;   /* the master's stand-in for a thread on another node: runs no guest code */
    /* A cluster's master: this thread's exit gave up its PI locks
     * (master/futex_svc.c, under its table's lock); from then on no
     * FUTEX_LOCK_PI waits for it as an owner (Linux's -ESRCH). */
    bool futex_exited;
    /* A proxy's call in progress: the guest buffers its node shipped
     * (syscall/sc_bufs.h), looked up before guest memory; NULL: none. */
    struct sc_bufs *bufs;
    /* A read of a signalfd that the thread's node answers
     * (SIGNALFD_AT_NODE, signalfd_read.h): the fd's mask and O_NONBLOCK,
     * set by the master's proxy and sent with that answer. */
    struct {
        uint64_t mask;
        bool nonblock;
    } signalfd_at_node;
    /* A proxy in a delegated ppoll, pselect6 or epoll_pwait(2): the
     * signals queued for the thread on its node (SyscallRequest.
     * node_pending, then SignalsAtNode), which its signalfds count
     * (signalfd_poll.h). node_recheck: a SignalsAtNode kicked the wait
     * to look again; node_cancelled: a cancel kicked it (it then ends). */
    _Atomic uint64_t node_pending;
    atomic_bool node_recheck, node_cancelled;
    /* A proxy: how many signals the master has sent the thread's node
     * for it (its proxy's count; NULL otherwise). Each is a wake-up of
     * its signalfds, as Linux's, which an EPOLLET entry is reported for;
     * edges: such entries reported, each with the count then
     * (signalfd_poll.c). */
    _Atomic uint64_t *node_signals_sent;
    struct signalfd_edge *edges;
    size_t nedges, capedges;
    /* a slave: its delegated call in progress was decided on this node
     * (a futex word lent here, an *_AT_NODE answer), so --strace prints
     * it here, not on the master */
    bool decided_here;
    /* Placement hint groups (include/shoal/hint.h; sched/): this thread's
     * and the one its next clone gets; -1: none. Written by this thread
     * (the hint runs on it), read by the clone it makes. */
    int64_t hint_group, hint_next_group;
    /* its guest CPU affinity (cpu_map.h; on the master, a remote thread's
     * proxy holds the thread's): affinity_bytes of mask, NULL: every CPU */
    uint8_t *affinity;
    size_t affinity_bytes;
    /* a proxy, during a delegated call that reads the program's CPU time:
     * its node's part, sent along (cpu_time.h); else NULL */
    const struct cpu_usage *caller_cpu;
    /* it moves to node move_to - 1 at its next instruction boundary (its
     * attention raised); 0: it stays. Set by the master's move_check (any
     * thread), read and cleared by its own */
    int move_to;
    /* a slave's thread: the master asked it to leave this node (its mask
     * set by another thread); at its next instruction boundary it asks
     * whether it still moves (slave/delegate.c). Set by the loop thread */
    int move_ask;
    /* a thread that moved here: its CPU time before, less what its host
     * thread had then, which its own CPU clock adds (cpu_time.h) */
    int64_t moved_user_ns, moved_sys_ns, moved_sched_ns;
};

/* What the command line decided. */
struct process_config {
    const char *path; /* program as given: argv[0] default */
    /* the path the program was run by (a script's, not its interpreter's):
     * AT_EXECFN and the process's name; NULL: path */
    const char *execfn;
    char *const *argv; /* guest argv, NULL-terminated */
    char *const *envp; /* guest environment, NULL-terminated */
    uint64_t stack_size;
    /* -L DIR / SHOAL_LD_PREFIX (syscall/sysroot.h); NULL: none */
    const char *ld_prefix;
    struct dbt_options dbt;
    bool strace;
    const char *stats_path; /* --stats FILE, or NULL */
    /* shoal options an execve of the guest runs shoal with again
     * (NULL-terminated, borrowed; NULL: only -L of the sysroot) */
    char *const *exec_opts;
    const struct shoal_config *config; /* recorded in --stats output; may be NULL */
};

/* Loads the program into a new process. Returns 0, or -errno with a
 * message in err: -ENOENT (exit 127) or another (exit 126). */
int process_create(const struct process_config *cfg, struct process **out, struct task **main_task,
                   char *err, size_t errlen);

/* An empty process of space_size bytes of guest space (no program, no
 * thread): a slave fills in the layout it is sent. 0 or -errno. */
int process_create_blank(const struct process_config *cfg, uint64_t space_size,
                         struct process **out);

/* The master's clocks as this node's plus these offsets (guest_clock.h),
 * for the guest's clock reads and CNTVCT_EL0. */
void process_set_clock(struct process *p, int64_t monotonic_ns, int64_t boottime_ns);

/* Runs a task until the guest thread ends; never returns. */
_Noreturn void task_run(struct task *t);

/* Ends the calling guest thread (exit) / the whole process (exit_group). */
_Noreturn void task_exit(struct task *t, int status);
_Noreturn void process_exit(struct process *p, int status);
/* Ends the process as if killed by sig (no core dump of the emulator). */
_Noreturn void process_die_of_signal(struct process *p, int sig);

/* dbt_options.hint_group for tasks (syscall/hint.c): records the group
 * in the task; a thread's own new group also goes to its cluster
 * (process_cluster_ops.hint_group). */
void task_hint_group(struct cpu *cpu, int64_t group, bool next_thread);

/* Allocates a task for proc with a fresh vCPU. */
struct task *task_new(struct process *proc);
void task_free(struct task *t);
/* With p->stats.lock held: the task of guest thread tid running on this
 * node (a remote thread's proxy is not it), or NULL. */
struct task *process_local_task(struct process *p, int tid);
/* With p->stats.lock held: the task of guest thread tid, a node's own or
 * (on the master) a remote thread's proxy, or NULL. A new thread's tid is
 * set before its clone returns. */
struct task *process_task(struct process *p, int tid);
/* The host thread running guest thread tid on this node, or 0 (not one
 * of this node's). On a master or a lone process a thread made but not
 * yet run is its tid. */
int process_host_tid(struct process *p, int tid);

#endif
