/* Dispatch: an index by syscall number derived once from the family
 * tables (immutable afterwards), then one indirect call per syscall. */
#define _GNU_SOURCE
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "common/log.h"
#include "syscall/cpu_time.h"
#include "syscall/futex_args.h"
#include "syscall/ioctl_rows.h"
#include "syscall/shared_file.h"
#include "syscall/sc_bounce.h"
#include "syscall/signalfd_read.h"
#include "syscall/syscall.h"

#define SYSCALL_NR_MAX 512 /* asm-generic numbers are all below this */

static const struct syscall_row *const family_tables[] = {
    sys_fs_rows,     sys_mm_rows,         sys_thread_rows, sys_futex_rows,  sys_signal_rows,
    sys_time_rows,   sys_proc_rows,       sys_exec_rows,   sys_net_rows,    sys_poll_rows,
    sys_timer_rows,  sys_cred_rows,       sys_xattr_rows,  sys_splice_rows, sys_pidfd_rows,
    sys_handle_rows, sys_membarrier_rows, sys_sysv_rows,   sys_mq_rows,     sys_sched_rows,
    sys_admin_rows,
};

static const struct syscall_row *by_nr[SYSCALL_NR_MAX];
/* bit i: argument i is an fd ('#') or a dirfd ('f') */
static uint8_t fd_args[SYSCALL_NR_MAX];
static pthread_once_t index_once = PTHREAD_ONCE_INIT;

static void build_index(void) {
    for (size_t f = 0; f < sizeof family_tables / sizeof family_tables[0]; f++)
        for (const struct syscall_row *r = family_tables[f]; r->name; r++) {
            SHOAL_ASSERT(r->nr >= 0 && r->nr < SYSCALL_NR_MAX && !by_nr[r->nr]);
            by_nr[r->nr] = r;
            for (int i = 0; r->args[i] && i < 6; i++)
                if (r->args[i] == '#' || r->args[i] == 'f') fd_args[r->nr] |= (uint8_t)(1u << i);
        }
}

/* Whether the call names one of the emulator's own fds (own_fds.h),
 * which the guest must not read, write, duplicate or wait on: a read of
 * a node's userfaultfd would take a fault that a thread waits for, a
 * write to a link would corrupt its frames. */
static bool names_own_fd(const struct process *p, const struct syscall_row *row,
                         const uint64_t *a) {
    if (!p->own_fds.words) return false;
    for (unsigned m = fd_args[row->nr], i = 0; m; m >>= 1, i++)
        if ((m & 1) && own_fd(p, (int)a[i])) return true;
    return false;
}

const struct syscall_row *syscall_lookup(int nr) {
    pthread_once(&index_once, build_index);
    return nr >= 0 && nr < SYSCALL_NR_MAX ? by_nr[nr] : NULL;
}

static uint64_t mix(uint64_t h, const void *p, size_t n) {
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3ull; /* FNV-1a */
    return h;
}

uint32_t syscall_rows_fingerprint(void) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (int nr = 0; nr < SYSCALL_NR_MAX; nr++) {
        const struct syscall_row *r = syscall_lookup(nr);
        if (!r) continue;
        int cls = (int)r->cls;
        h = mix(h, &nr, sizeof nr);
        h = mix(h, r->args, strlen(r->args) + 1);
        h = mix(h, &cls, sizeof cls);
    }
    size_t n;
    const struct ioctl_row *io = ioctl_rows_all(&n);
    for (size_t i = 0; i < n; i++) {
        const uint64_t v[3] = {io[i].req, io[i].size, (uint64_t)io[i].prot};
        h = mix(h, v, sizeof v);
    }
    return (uint32_t)(h ^ h >> 32);
}

void syscall_for_each(void (*fn)(const struct syscall_row *row, void *opaque), void *opaque) {
    for (size_t f = 0; f < sizeof family_tables / sizeof family_tables[0]; f++)
        for (const struct syscall_row *r = family_tables[f]; r->name; r++)
            fn(r, opaque);
}

int guest_copy_in(struct task *t, void *dst, uint64_t src, size_t len) {
    void *shipped = t->bufs ? sc_bufs_find(t->bufs, src, len, false) : NULL;
    if (!shipped) return gs_copy_in(&t->proc->mem, dst, src, len);
    memcpy(dst, shipped, len);
    return 0;
}

int guest_copy_out(struct task *t, uint64_t dst, const void *src, size_t len) {
    if (!gs_check(&t->proc->mem, dst, len, PROT_WRITE)) return -EFAULT;
    void *shipped = t->bufs ? sc_bufs_find(t->bufs, dst, len, true) : NULL;
    if (!shipped) return gs_copy_out(&t->proc->mem, dst, src, len);
    memcpy(shipped, src, len);
    return 0;
}

int guest_buf_read(struct task *t, void *dst, const void *src, size_t len) {
    const struct guest_space *gs = &t->proc->mem;
    uintptr_t p = (uintptr_t)src, base = (uintptr_t)gs->base;
    if (p < base || p - base >= gs->size) {
        memcpy(dst, src, len);
        return 0;
    }
    return gs_copy_in(&t->proc->mem, dst, p - base, len);
}

long guest_str(struct task *t, uint64_t addr, char *buf, size_t cap) {
    const char *shipped = t->bufs ? sc_bufs_str(t->bufs, addr) : NULL;
    if (!shipped) return gs_strcpy_in(&t->proc->mem, buf, addr, cap);
    size_t n = strlen(shipped);
    if (n >= cap) return -ENAMETOOLONG;
    memcpy(buf, shipped, n + 1);
    return (long)n;
}

int guest_path(struct task *t, uint64_t addr, char *buf) {
    long n = guest_str(t, addr, buf, PATH_MAX);
    return n < 0 ? (int)n : 0;
}

int64_t guest_iovs(struct task *t, uint64_t addr, uint64_t count, struct iovec *iov, int prot) {
    if (count > GUEST_IOV_MAX) return -EINVAL;
    if (guest_copy_in(t, iov, addr, count * sizeof *iov)) return -EFAULT;
    for (uint64_t i = 0; i < count; i++) {
        if ((int64_t)iov[i].iov_len < 0) return -EINVAL;
        if (!prot) continue;
        void *h = guest_buf(t, (uint64_t)(uintptr_t)iov[i].iov_base, iov[i].iov_len, prot);
        if (!h) return -EFAULT;
        iov[i].iov_base = h;
    }
    return 0;
}

bool syscall_delegated(const struct syscall_row *row, const uint64_t *a) {
    switch (row->nr) {
    case 139:
        return false; /* rt_sigreturn: this thread's registers */
    /* getrusage: a thread's own is here; the process's counts every node */
    case 165: return (int)a[0] != RUSAGE_THREAD;
    /* clock_gettime: so does the process's CPU clock */
    case 113:
    case 114:                                                /* and clock_getres */
    case 115: return cpu_clock_per_process((clockid_t)a[0]); /* and clock_nanosleep on it */
    case 96:               /* set_tid_address: the master clears it at exit */
    case 155:              /* getpgid */
    case 156:              /* getsid */
    case 172:              /* getpid */
    case 173: return true; /* getppid */
    default: return row->cls == SC_GLOBAL;
    }
}

/* --strace: a slave's delegated call is printed by the master, which
 * makes it, unless the master left it to the node (an *_AT_NODE answer,
 * or a futex word lent there: task.decided_here), which prints it then;
 * the master prints no call it left to a node, nor a node's own question
 * (rt_sigpending on a proxy: process_cluster_ops.process_pending). */
static bool left_to_node(const struct task *t, const struct syscall_row *row, int64_t ret) {
    return t->proxy && (ret == FUTEX_AT_NODE || ret == SIGNALFD_AT_NODE || row->nr == 136);
}

void syscall_dispatch(struct task *t) {
    struct cpu *cpu = &t->cpu;
    uint64_t nr = cpu->x[8];
    atomic_fetch_add_explicit(&t->proc->stats.syscalls, 1, memory_order_relaxed);
    const uint64_t *a = &cpu->x[0];
    uint64_t args[6];
    memcpy(args, a, sizeof args);
    const struct syscall_row *row = nr < SYSCALL_NR_MAX ? syscall_lookup((int)nr) : NULL;
    if (!row) {
        if (t->proc->strace) log_warn("unsupported syscall %llu", (unsigned long long)nr);
        cpu->x[0] = (uint64_t)-ENOSYS;
        return;
    }
    const struct process_cluster_ops *cl = t->proc->cluster;
    bool remote = cl && cl->delegate && syscall_delegated(row, args);
    bool trace = t->proc->strace;
    char line[1024];
    if (trace) {
        strace_format_call(t, row, args, line, sizeof line);
        if (row->ret == 'n' && !remote) strace_finish(t, row, line, sizeof line, 0);
    }
    t->decided_here = false;
    stats_syscall(&t->proc->stats, (unsigned)nr, remote);
    /* MAP_SHARED file mappings over private memory (shared_file.h) */
    if (!remote) sf_before_syscall(&t->proc->mem, row->nr, args);
    int64_t ret = remote                             ? cl->delegate(t, row, args)
                  : names_own_fd(t->proc, row, args) ? -EBADF
                  : t->proc->bounce_bufs             ? sc_bounce_call(t, row, args)
                                                     : row->fn(t, args);
    if (!remote) sf_after_syscall(&t->proc->mem, row->nr, args, ret);
    if (ret <= -GUEST_ERESTARTSYS && ret >= -GUEST_ERESTART_RESTARTBLOCK &&
        row->nr != GUEST_NR_RT_SIGRETURN) {
        /* Interrupted by a signal: signal_handle() decides between
         * -EINTR and a restart with the original x0. */
        t->sig.restart = ret;
        t->sig.orig_x0 = args[0];
        ret = -EINTR;
    }
    if (trace && row->ret != 'n' && (remote ? t->decided_here : !left_to_node(t, row, ret)))
        strace_finish(t, row, line, sizeof line, ret);
    cpu->x[0] = (uint64_t)ret;
}
