/* The syscall table: one row per AArch64 syscall, spread over one file
 * per family (sys_fs.c, sys_mm.c, ...). A row is the single source of
 * truth for dispatch, --strace formatting, and whether the call is local
 * to a node or global (owned by the master) in the future cluster. */
#ifndef SHOAL_SYSCALL_SYSCALL_H
#define SHOAL_SYSCALL_SYSCALL_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>

#include "syscall/guest_signal.h"
#include "syscall/safe_syscall.h"
#include "syscall/sc_bufs.h"
#include "syscall/task.h"

typedef int64_t (*syscall_fn)(struct task *t, const uint64_t *a);

enum syscall_class {
    SC_LOCAL,  /* answered on the node the thread runs on */
    SC_GLOBAL, /* changes or reads process-wide state: goes to the master */
};

struct syscall_row {
    int nr;           /* AArch64 (asm-generic) number */
    const char *name; /* as strace and qemu print it */
    syscall_fn fn;
    /* --strace: one letter per argument:
     *   d int, l long, u unsigned, x hex, p pointer, s guest string,
     *   # fd, f dirfd (AT_FDCWD), o octal mode, O open flags, P mmap
     *   prot, M mmap flags, S signal number; dispatch refuses a call
     *   whose '#' or 'f' argument is one of the emulator's own fds
     *   (own_fds.h) with EBADF, before the handler runs,
     * and guest buffers, printed as pointers, which a delegated call
     * ships whole (sc_bufs.h; 's' strings too):
     *   i bytes read (length: the next argument), b bytes written
     *   (capacity: the next argument; the call wrote ret of them),
     *   v / V iovec array read / written (count: the next argument),
     *   T struct stat, X struct statx, F struct statfs, I int[2],
     *   R struct rusage, t struct timespec, N 32 bytes (struct tms,
     *   itimerval, itimerspec), L struct rlimit, U an int, B struct
     *   mq_attr written; r 16 bytes (struct rlimit, timespec), c 32 bytes
     *   (struct itimerval, itimerspec, timespec[2]), a 64 bytes (struct
     *   sigevent, mq_attr), y siginfo_t read; w 8 bytes (a loff_t,
     *   capget's header), D waitid's siginfo_t read and written (the
     *   bytes the call changed go back); m / n bytes read / written and
     *   g / j gid_t array read / written, their length in the argument
     *   before (the call wrote ret of them); C / J capget's / capset's
     *   data written / read, as long as the header before says; q
     *   pselect6's {sigset_t *, size_t} and the mask, read; Z a buffer
     *   the call's other arguments size and direct (System V IPC,
     *   prctl: sc_call_buf), printed in hex (it may be a value); more
     *   in sc_bufs.h */
    const char *args;
    char ret; /* 'd' number, 'x' address, 'n' never returns */
    enum syscall_class cls;
};

#define SYSCALL_ROWS_END                                                                           \
    { -1, NULL, NULL, NULL, 0, SC_LOCAL }

extern const struct syscall_row sys_fs_rows[], sys_mm_rows[], sys_thread_rows[], sys_futex_rows[],
    sys_signal_rows[], sys_time_rows[], sys_proc_rows[], sys_exec_rows[], sys_net_rows[],
    sys_poll_rows[], sys_timer_rows[], sys_cred_rows[], sys_xattr_rows[], sys_splice_rows[],
    sys_pidfd_rows[], sys_handle_rows[], sys_membarrier_rows[], sys_sysv_rows[], sys_mq_rows[],
    sys_sched_rows[], sys_admin_rows[];

/* The row for nr, or NULL. */
const struct syscall_row *syscall_lookup(int nr);
/* A digest of every row's number, argument letters and class, and of the
 * ioctl rows: what a delegated call ships depends on them, so nodes of a
 * cluster must agree on it (the build string of the handshake carries
 * it). */
uint32_t syscall_rows_fingerprint(void);
/* Every row (for tests): calls fn on each. */
void syscall_for_each(void (*fn)(const struct syscall_row *row, void *opaque), void *opaque);
/* On a slave: the row runs on the master with arguments a (SC_GLOBAL
 * rows, the process ids and set_tid_address, which are the master's to
 * answer, and the process's CPU time, which counts every node's; not a
 * thread's own getrusage). */
bool syscall_delegated(const struct syscall_row *row, const uint64_t *a);
/* Runs the syscall in x8 with x0..x5, result in x0. */
void syscall_dispatch(struct task *t);

/* --strace: formats "name(args)" into buf (before the call). */
void strace_format_call(struct task *t, const struct syscall_row *row, const uint64_t *a, char *buf,
                        size_t len);
/* Appends " = ret" (or the errno text) and writes the line. */
void strace_finish(struct task *t, const struct syscall_row *row, char *buf, size_t len,
                   int64_t ret);
/* Formats the line of a signal delivered to thread tid: its name, then
 * si_signo, si_code (SI_USER... by name) and the fields its kind holds,
 * as qemu prints them (si_addr of a fault; si_pid and si_uid of a kill;
 * SIGCHLD's status and times; SIGIO's band and fd; else si_sigval). */
struct aarch64_siginfo;
void strace_format_signal(int tid, const struct aarch64_siginfo *si, char *buf, size_t len);

/* ---- helpers for handlers ---- */

#define SYSCALL_HANDLER(name) static int64_t sys_##name(struct task *t, const uint64_t *a)

/* A host result (-1 + errno convention) as a syscall result. */
static inline int64_t host_result(long r) {
    return r < 0 ? -(int64_t)errno : r;
}

/* A host syscall that may block, made on behalf of the guest: a guest
 * signal interrupts it without a race (safe_syscall.h), and then it
 * returns -restart, restart being the GUEST_ERESTART* code Linux's
 * version of the call uses (guest_signal.h). Up to six arguments.
 * A call a signal kept from starting did nothing: it restarts whatever
 * the handler's flags, as if the signal had come before the SVC, so a
 * call that would not have slept never fails with EINTR (read, write:
 * GUEST_ERESTARTSYS; sleeps and timed futex waits, which then sleep
 * their whole time: GUEST_ERESTART_RESTARTBLOCK). Polls and the calls
 * with a temporary mask (GUEST_ERESTARTNOHAND) keep their code: the
 * mask that made the signal deliverable is in place until the handler
 * runs (sys_poll.c looks once first: wait_result). */
#define blocking_syscall(t, restart, nr, ...)                                                      \
    restart_on_eintr(                                                                              \
        safe_syscall_base(&(t)->sig.pending, nr, SAFE_ARGS6_(__VA_ARGS__, 0, 0, 0, 0, 0, 0)),      \
        restart)
#define SAFE_ARGS6_(a1, a2, a3, a4, a5, a6, ...)                                                   \
    (long)(a1), (long)(a2), (long)(a3), (long)(a4), (long)(a5), (long)(a6)
static inline int64_t restart_on_eintr(long r, int restart) {
    if (r == -SAFE_SYSCALL_NOT_STARTED)
        return restart == GUEST_ERESTARTNOHAND ? -(int64_t)restart : -GUEST_ERESTARTNOINTR;
    return r == -EINTR ? -(int64_t)restart : r;
}

/* Host pointer to len bytes at guest addr with at least prot, or NULL.
 * On the master, the copy its node shipped when there is one; where the
 * kernel cannot wait for a guest page, a bounce copy (sc_bounce.h). */
void *sc_bounce_buf(struct task *t, uint64_t addr, uint64_t len, int prot);
static inline void *guest_buf(struct task *t, uint64_t addr, uint64_t len, int prot) {
    if (!gs_check(&t->proc->mem, addr, len, prot)) return NULL;
    void *shipped = t->bufs ? sc_bufs_find(t->bufs, addr, len, prot & PROT_WRITE) : NULL;
    if (!shipped && t->bufs && t->bufs->bounce) shipped = sc_bounce_buf(t, addr, len, prot);
    return shipped ? shipped : gs_host(&t->proc->mem, addr);
}
/* Host pointer to the guest's own memory at addr (len bytes, at least
 * prot), never a copy, or NULL; where the kernel cannot wait for a guest
 * page (sc_bounce.h), each page is read first so that it is here. */
void *guest_pages(struct task *t, uint64_t addr, uint64_t len, int prot);
/* gs_copy_in / gs_copy_out through guest_buf's shipped copies. */
int guest_copy_in(struct task *t, void *dst, uint64_t src, size_t len);
int guest_copy_out(struct task *t, uint64_t dst, const void *src, size_t len);
/* len bytes at src, a pointer guest_buf gave (which the kernel may have
 * written): a shipped copy is read as it is, guest memory through
 * gs_copy_in, since another thread may unmap it after the check. */
int guest_buf_read(struct task *t, void *dst, const void *src, size_t len);
#define GUEST_IN(t, addr, len)  guest_buf(t, addr, len, PROT_READ)
#define GUEST_OUT(t, addr, len) guest_buf(t, addr, len, PROT_WRITE)
/* A host pointer the kernel refuses (EFAULT) when it gets to it: what a
 * bad guest buffer becomes for a host call that checks other things first
 * (a permission, an empty queue), so the guest gets Linux's errno. */
#define GUEST_BAD_PTR ((void *)(uintptr_t)-4096)

/* Copies a guest path into buf[4096]; 0 or -EFAULT / -ENAMETOOLONG. */
int guest_path(struct task *t, uint64_t addr, char *buf);
/* gs_strcpy_in through the shipped copy of an 's' argument: the string
 * at addr into buf[cap]; its length, -EFAULT, or -ENAMETOOLONG when it
 * does not fit. */
long guest_str(struct task *t, uint64_t addr, char *buf, size_t cap);
/* The guest iovec array at addr (count entries, at most GUEST_IOV_MAX)
 * into iov (struct iovec: the same two words on both sides); with prot,
 * each buffer checked for it and made a host pointer (guest_buf), else
 * left a guest address. 0, -EINVAL or -EFAULT. */
struct iovec;
int64_t guest_iovs(struct task *t, uint64_t addr, uint64_t count, struct iovec *iov, int prot);
/* Whether len bytes at guest addr may be written, for an output a call
 * writes only on some outcomes (wait4's status: only when it reaped a
 * child): checked first, taken with guest_copy_out once it is written. */
static inline bool guest_writable(struct task *t, uint64_t addr, uint64_t len) {
    return gs_check(&t->proc->mem, addr, len, PROT_WRITE);
}

#endif
