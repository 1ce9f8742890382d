/* Random system calls with random arguments from several threads: a
 * scratch page of random bytes (structures, iovecs, paths), pointers
 * that run off the end of a mapping or into a PROT_NONE page, kernel
 * addresses, small numbers, fds of the threads' own. Other threads
 * unmap and protect pages of a shared arena meanwhile, so a buffer
 * checked by the emulator can vanish before it is used. The emulator
 * must survive every call: the program prints "survived" and exits 0
 * (storm.sh; the results of the calls are not compared, they
 * differ between emulators and hosts, and qemu-aarch64 itself fails
 * here). Calls that block or sleep (reads, receives, waits, polls,
 * sleeps, locks) are made with random arguments too, and half of the
 * reads, sleeps, polls and waits with arguments they wait on: a timer
 * of each thread's own sends it a signal (WAKE) every millisecond,
 * whose handler has no SA_RESTART, so none sleeps for long; no call may
 * block WAKE (the waits' temporary masks are left out). Writes (write,
 * writev, pwrite64, pwritev) go to fds of the threads' own, half of
 * the plain ones to the thread's own pipe, which fills up, so they
 * block too. Sends name no address and reach only the threads' own
 * sockets (tame_socket). System V calls work on the run's own segment
 * (attached in the arena), semaphore set and message queue, whose waits
 * block too. What could end the run or flood the host is left out: fds
 * 0-2 as arguments, sockets of other families than unix and IP, copies
 * between fds (a sparse memfd's holes copied out would take host
 * memory), signal masks and timers that fire, prctl but
 * reads and PR_SET_NAME, fallocate (a memfd takes host memory), memory
 * calls outside the arena, an fd owner that gets SIGIO (F_SETOWN and
 * its ioctls: a random pid is another process). With EXIT_AT, thread 0
 * prints "survived" and ends the run with exit_group at its iteration
 * EXIT_AT, whatever the others are doing.
 * usage: syscall_storm THREADS SEED ITERATIONS [EXIT_AT] */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <fcntl.h>
#include "storm.h"
#include <linux/futex.h>
#include <poll.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static const long calls[] = {
    SYS_read,
    SYS_write,
    SYS_readv,
    SYS_writev,
    SYS_pread64,
    SYS_pwrite64,
    SYS_preadv,
    SYS_pwritev,
    SYS_lseek,
    SYS_fstat,
    SYS_newfstatat,
    SYS_statx,
    SYS_ioctl,
    SYS_fcntl,
    SYS_dup,
    SYS_dup3,
    SYS_pipe2,
    SYS_getcwd,
    SYS_getdents64,
    SYS_readlinkat,
    SYS_faccessat,
    SYS_openat,
    SYS_statfs,
    SYS_fstatfs,
    SYS_uname,
    SYS_sysinfo,
    SYS_getrandom,
    SYS_clock_gettime,
    SYS_clock_getres,
    SYS_clock_nanosleep,
    SYS_nanosleep,
    SYS_gettimeofday,
    SYS_times,
    SYS_getrusage,
    SYS_getrlimit,
    SYS_prlimit64,
    SYS_sched_getaffinity,
    SYS_sched_setaffinity,
    SYS_sched_getparam,
    SYS_sched_getscheduler,
    SYS_sched_yield,
    SYS_getpid,
    SYS_gettid,
    SYS_getppid,
    SYS_getuid,
    SYS_getgroups,
    SYS_getresuid,
    SYS_getresgid,
    SYS_futex,
    SYS_ppoll,
    SYS_pselect6,
    SYS_epoll_create1,
    SYS_epoll_ctl,
    SYS_epoll_pwait,
    SYS_eventfd2,
    SYS_timerfd_create,
    SYS_timerfd_settime,
    SYS_timerfd_gettime,
    SYS_timer_create,
    SYS_timer_settime,
    SYS_timer_gettime,
    SYS_timer_delete,
    SYS_socket,
    SYS_socketpair,
    SYS_sendmsg,
    SYS_recvmsg,
    SYS_sendto,
    SYS_recvfrom,
    SYS_getsockopt,
    SYS_setsockopt,
    SYS_getsockname,
    SYS_getpeername,
    SYS_shutdown,
    SYS_rt_sigprocmask,
    SYS_rt_sigpending,
    SYS_rt_sigtimedwait,
    SYS_sigaltstack,
    SYS_mmap,
    SYS_munmap,
    SYS_mprotect,
    SYS_madvise,
    SYS_mremap,
    SYS_mincore,
    SYS_msync,
    SYS_mlock,
    SYS_munlock,
    SYS_process_vm_readv,
    SYS_process_vm_writev,
    SYS_splice,
    SYS_tee,
    SYS_vmsplice,
    SYS_sendfile,
    SYS_copy_file_range,
    SYS_fsync,
    SYS_fdatasync,
    SYS_ftruncate,
    SYS_utimensat,
    SYS_prctl,
    SYS_membarrier,
    SYS_getpriority,
    SYS_ioprio_get,
    SYS_getitimer,
    SYS_setitimer,
    SYS_capget,
    SYS_sched_getattr,
    SYS_name_to_handle_at,
    SYS_memfd_create,
    SYS_flock,
    SYS_inotify_init1,
    SYS_inotify_add_watch,
    SYS_signalfd4,
    SYS_pidfd_open,
    SYS_close_range,
    SYS_kcmp,
    SYS_getcpu,
    SYS_waitid,
    SYS_wait4,
    SYS_set_tid_address,
    SYS_get_robust_list,
    SYS_adjtimex,
    SYS_getxattr,
    SYS_lgetxattr,
    SYS_fgetxattr,
    SYS_listxattr,
    SYS_llistxattr,
    SYS_flistxattr,
    SYS_fadvise64,
    SYS_readahead,
    SYS_getsid,
    SYS_getpgid,
    SYS_get_mempolicy,
    SYS_sched_rr_get_interval,
    SYS_rt_sigaction,
    SYS_timer_getoverrun,
    SYS_io_setup,
    SYS_io_destroy,
    SYS_shmat,
    SYS_shmdt,
    SYS_shmctl,
    SYS_semop,
    SYS_semtimedop,
    SYS_semctl,
    SYS_msgsnd,
    SYS_msgrcv,
    SYS_msgctl,
};
#define NCALLS (sizeof calls / sizeof calls[0])

enum { PAGE = 4096, ARENA_PAGES = 64, MAX_THREADS = 64, SHM_PAGES = 4, SEMS = 4 };

static int wake_sig;                 /* SIGRTMIN + 6 */
static int wake_timers[MAX_THREADS]; /* each thread's, never deleted by the storm */
static int n_threads;
static pthread_barrier_t timers_known;
static uint8_t *arena;                  /* the pages the memory calls change */
static uint8_t *guard;                  /* a PROT_NONE page */
static uint8_t *scratches[MAX_THREADS]; /* one page each, nothing mapped after */
static struct storm_args args;
/* the run's own System V objects (main's), the only ids the storm uses */
static int shm_id = -1, sem_id = -1, msg_id = -1;

static uint64_t rnd(uint64_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static uint64_t arg(uint64_t *s, uint8_t *scratch) {
    switch (rnd(s) % 12) {
    case 0: return 0;
    case 1: return rnd(s) % 8;
    case 2: return 3 + rnd(s) % 20; /* the fds the threads made */
    case 3: return rnd(s) % PAGE;
    case 4: return (uint64_t)(scratch + rnd(s) % PAGE);
    case 5: return (uint64_t)(scratch + PAGE - rnd(s) % 16); /* runs off its end */
    case 6: return (uint64_t)guard + rnd(s) % PAGE;
    case 7: return (uint64_t)(arena + (rnd(s) % ARENA_PAGES) * PAGE);
    case 8: return rnd(s);
    case 9: return 0xffffffffffffff00ull | rnd(s) % 256;
    case 10: return 1ull << (rnd(s) % 64);
    default: return (uint64_t)scratch;
    }
}

static int is(long nr, const long *set, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (set[i] == nr) return 1;
    return 0;
}
#define IS(nr, ...)                                                                                \
    is(nr, (const long[]){__VA_ARGS__}, sizeof((const long[]){__VA_ARGS__}) / sizeof(long))

/* A command of the call's own now and then, else the random one. */
static uint64_t command(uint64_t *s, uint64_t random, const int *cmds, size_t n) {
    return rnd(s) % 4 ? (uint64_t)cmds[rnd(s) % n] : random;
}
#define COMMAND(s, random, ...)                                                                    \
    command(s, random, (const int[]){__VA_ARGS__}, sizeof((const int[]){__VA_ARGS__}) / sizeof(int))

/* System V calls: on the run's own objects only (another id could be
 * another process's), which the storm never removes (semaphores and
 * queues would outlive a run that ends mid-storm; the segment is removed
 * already and goes with its last attach), and no IPC_SET on the queue (a
 * raised msg_qbytes would let it take any amount of host memory).
 * Segments attach in the arena, where the other threads unmap. The
 * kernel reads a command as an int, and only its low byte names one. */
static int tame_sysv(long nr, uint64_t *a, uint64_t *s) {
    switch (nr) {
    case SYS_shmat:
        a[0] = (uint64_t)shm_id;
        a[1] = (uint64_t)(arena + rnd(s) % (ARENA_PAGES - SHM_PAGES + 1) * PAGE);
        if (rnd(s) % 8 == 0) a[1] = rnd(s) % 2 ? 0 : a[1] + rnd(s) % PAGE;
        a[2] &= SHM_RDONLY | SHM_RND | SHM_REMAP | SHM_EXEC;
        return 1;
    case SYS_shmdt:
        if (rnd(s) % 4) a[0] = (uint64_t)(arena + rnd(s) % ARENA_PAGES * PAGE);
        return 1;
    case SYS_shmctl:
        a[0] = (uint64_t)shm_id;
        a[1] = COMMAND(s, a[1], IPC_RMID, IPC_SET, IPC_STAT, IPC_INFO, SHM_INFO, SHM_STAT,
                       SHM_STAT_ANY, SHM_LOCK, SHM_UNLOCK);
        return 1;
    case SYS_semop:
    case SYS_semtimedop: a[0] = (uint64_t)sem_id; return 1;
    case SYS_semctl:
        a[0] = (uint64_t)sem_id;
        a[1] %= SEMS + 1;
        a[2] = COMMAND(s, a[2], IPC_SET, IPC_STAT, IPC_INFO, SEM_INFO, SEM_STAT, SEM_STAT_ANY,
                       GETPID, GETVAL, GETALL, GETNCNT, GETZCNT, SETVAL, SETALL);
        return ((uint32_t)a[2] & 0xff) != IPC_RMID;
    case SYS_msgsnd:
    case SYS_msgrcv: a[0] = (uint64_t)msg_id; return 1;
    default: /* msgctl */
        a[0] = (uint64_t)msg_id;
        a[1] = COMMAND(s, a[1], IPC_STAT, IPC_INFO, MSG_INFO, MSG_STAT, MSG_STAT_ANY);
        return ((uint32_t)a[1] & 0xff) != IPC_RMID && ((uint32_t)a[1] & 0xff) != IPC_SET;
    }
}

/* Sockets of three families only, and sends that name no address:
 * nothing connects (connect is not in the storm), so a message can only
 * reach the threads' own socketpairs, never another process or the
 * kernel's configuration (netlink, packet and key sockets). A message
 * to send lies in the scratch page, where its name can be taken out;
 * half the time it is a well-formed one passing some fds (SCM_RIGHTS:
 * the emulator must refuse its own). */
static int tame_socket(long nr, uint64_t *a, uint64_t *s, uint8_t *scratch) {
    static const int families[] = {AF_UNIX, AF_INET, AF_INET6};
    static const int types[] = {SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET, SOCK_RAW};
    switch (nr) {
    case SYS_socket:
    case SYS_socketpair:
        a[0] = (uint64_t)families[rnd(s) % 3];
        if (rnd(s) % 2) {
            a[1] = (uint64_t)types[rnd(s) % 4] | (rnd(s) & (SOCK_NONBLOCK | SOCK_CLOEXEC));
            a[2] = 0;
            if (nr == SYS_socketpair) a[3] = (uint64_t)scratch;
        }
        return 1;
    case SYS_sendto:
        if (rnd(s) % 2) { /* one that can be sent: a thread's fd, its bytes */
            a[0] = 3 + rnd(s) % 20;
            a[1] = (uint64_t)scratch;
            a[2] = rnd(s) % PAGE;
            a[3] = rnd(s) & (MSG_DONTWAIT | MSG_NOSIGNAL | MSG_OOB);
        }
        a[4] = a[5] = 0;
        return 1;
    default: { /* sendmsg */
        struct msghdr *m = (struct msghdr *)(scratch + PAGE / 2);
        if (rnd(s) % 2) {
            struct iovec *iov = (struct iovec *)(m + 1);
            struct cmsghdr *c = (struct cmsghdr *)(iov + 1);
            int n = 1 + (int)(rnd(s) % 3);
            *iov = (struct iovec){scratch, rnd(s) % (PAGE / 2)};
            *m = (struct msghdr){.msg_iov = iov,
                                 .msg_iovlen = 1,
                                 .msg_control = c,
                                 .msg_controllen = CMSG_SPACE(n * sizeof(int))};
            *c = (struct cmsghdr){.cmsg_len = CMSG_LEN(n * sizeof(int)),
                                  .cmsg_level = SOL_SOCKET,
                                  .cmsg_type = SCM_RIGHTS};
            for (int k = 0; k < n; k++)
                ((int *)CMSG_DATA(c))[k] = 3 + (int)(rnd(s) % 21); /* not 0-2: see tame */
            a[0] = 3 + rnd(s) % 20;
            a[1] = (uint64_t)m;
            a[2] = rnd(s) & (MSG_DONTWAIT | MSG_NOSIGNAL);
        }
        if (a[1] < (uint64_t)scratch || a[1] > (uint64_t)(scratch + PAGE - sizeof *m)) return 0;
        m = (struct msghdr *)a[1];
        m->msg_name = NULL;
        m->msg_namelen = 0;
        return 1;
    }
    }
}

/* Makes the call harmless to the run, or says to skip it (0). */
static int tame(long nr, uint64_t *a, uint64_t *s, uint8_t *scratch) {
    /* fds are ints: 0-2 are the run's, never an argument */
    if ((uint32_t)a[0] < 3 && !IS(nr, SYS_mmap, SYS_prctl, SYS_futex, SYS_clock_nanosleep))
        a[0] += 3;
    if (nr == SYS_dup3 && (uint32_t)a[1] < 3) a[1] += 3;
    if (IS(nr, SYS_munmap, SYS_mprotect, SYS_madvise, SYS_mremap, SYS_mlock, SYS_munlock, SYS_msync,
           SYS_mincore)) {
        a[0] = (uint64_t)(arena + (rnd(s) % ARENA_PAGES) * PAGE);
        a[1] = (rnd(s) % 8) * PAGE + (rnd(s) % 4 == 0);
        uint64_t room = (uint64_t)(arena + ARENA_PAGES * PAGE) - a[0];
        if (a[1] > room) a[1] = room;
        if (nr == SYS_mremap) { /* in place, the same size */
            a[2] = a[1];
            a[3] = 0;
        }
    }
    if (nr == SYS_mmap) {
        a[3] &= ~(uint64_t)(MAP_FIXED | MAP_FIXED_NOREPLACE | MAP_GROWSDOWN | MAP_HUGETLB |
                            MAP_LOCKED | MAP_POPULATE);
        a[1] %= 1 << 20;
    }
    if (nr == SYS_futex) {
        uint64_t op = a[1] & 0xf;
        if (op >= 5 && op != 9 && op != 10) return 0; /* PI, requeue to PI */
        if (op != 0 && op != 9) a[3] = 0;             /* a count there, not a timeout */
    }
    if (IS(nr, SYS_shmat, SYS_shmdt, SYS_shmctl, SYS_semop, SYS_semtimedop, SYS_semctl, SYS_msgsnd,
           SYS_msgrcv, SYS_msgctl))
        return tame_sysv(nr, a, s);
    /* the waits' temporary masks could block WAKE */
    if (nr == SYS_ppoll) a[3] = 0;
    if (nr == SYS_pselect6) a[5] = 0;
    if (nr == SYS_epoll_pwait) a[4] = 0;
    if (IS(nr, SYS_socket, SYS_socketpair, SYS_sendto, SYS_sendmsg))
        return tame_socket(nr, a, s, scratch);
    /* no fd's contents copied to another */
    if (IS(nr, SYS_splice, SYS_tee, SYS_vmsplice, SYS_sendfile, SYS_copy_file_range)) return 0;
    /* a write takes no more than its buffer (a page, or the arena) */
    if (IS(nr, SYS_write, SYS_pwrite64)) a[2] %= (ARENA_PAGES + 1) * PAGE;
    if (nr == SYS_timer_delete)
        for (int i = 0; i < n_threads; i++)
            if ((uint32_t)a[0] == (uint32_t)wake_timers[i]) return 0;
    if (nr == SYS_rt_sigprocmask || nr == SYS_rt_sigaction) a[1] = 0; /* reads */
    if (nr == SYS_sigaltstack) a[0] = 0;
    if (nr == SYS_prctl) {
        static const int reads[] = {3, 15, 16, 23, 27, 30, 37, 39, 42, 56};
        a[0] = reads[rnd(s) % (sizeof reads / sizeof reads[0])];
    }
    if (IS(nr, SYS_set_tid_address, SYS_setitimer, SYS_timer_settime, SYS_timerfd_settime,
           SYS_process_vm_writev, SYS_sched_setaffinity))
        return 0;
    if (nr == SYS_adjtimex) a[0] = 0; /* ADJ modes 0: a read */
    /* an fd's owner gets SIGIO: a random pid would be another process
     * (run as root, the kernel lets it) */
    if (nr == SYS_fcntl && ((uint32_t)a[1] == 8 || (uint32_t)a[1] == 10 || (uint32_t)a[1] == 15))
        return 0;
    if (nr == SYS_ioctl && ((uint32_t)a[1] == 0x8901 || (uint32_t)a[1] == 0x8902 ||
                            (uint32_t)a[1] == 0x540f || (uint32_t)a[1] == 0x5452))
        return 0;
    if (nr == SYS_prlimit64) a[2] = 0;
    if (nr == SYS_openat) a[2] &= 3 | 04000 | 02000000; /* creates nothing */
    return 1;
}

/* Half the time a call that may wait gets arguments it can wait on:
 * the thread's own pipe (its read end rfd, empty unless writes filled
 * it; its write end wfd, full after a while), a good timeout or none, a
 * futex word that holds the value, a message from one of the threads'
 * sockets, semaphore operations that wait for a
 * value or for zero, a message for the queue that fills up or a receive
 * from it: it sleeps until WAKE. The structures go at the end of the
 * thread's scratch page (a message at its start). */
static void sleepable(long nr, uint64_t *a, uint64_t *s, uint8_t *scratch, int rfd, int wfd) {
    if (rnd(s) & 1) return;
    uint8_t *at = scratch + PAGE - 64;
    struct timespec *ts = (struct timespec *)at;
    ts->tv_sec = (time_t)(rnd(s) % 3);
    ts->tv_nsec = (long)(rnd(s) % 1000000000);
    uint64_t *word = (uint64_t *)(at + 16);
    switch (nr) {
    case SYS_read:
    case SYS_recvfrom:
        a[0] = (uint64_t)rfd;
        a[1] = (uint64_t)scratch;
        a[2] = 1 + rnd(s) % 64;
        if (nr == SYS_recvfrom) a[3] = a[4] = a[5] = 0;
        break;
    case SYS_recvmsg: { /* from a thread's socket, fds passed too */
        struct msghdr *m = (struct msghdr *)(scratch + PAGE / 2);
        struct iovec *iov = (struct iovec *)(m + 1);
        *iov = (struct iovec){scratch, PAGE / 2};
        *m = (struct msghdr){
            .msg_iov = iov, .msg_iovlen = 1, .msg_control = iov + 1, .msg_controllen = 64};
        a[0] = 3 + rnd(s) % 20;
        a[1] = (uint64_t)m;
        a[2] = rnd(s) & (MSG_DONTWAIT | MSG_CMSG_CLOEXEC | MSG_PEEK | MSG_TRUNC);
        break;
    }
    case SYS_write: { /* the scratch page, or arena pages other threads unmap meanwhile */
        uint64_t page = rnd(s) % ARENA_PAGES, pages = ARENA_PAGES - page;
        a[0] = (uint64_t)wfd;
        a[1] = (uint64_t)(rnd(s) & 1 ? scratch : arena + page * PAGE);
        a[2] = a[1] == (uint64_t)scratch ? PAGE - rnd(s) % 16
                                         : 1 + rnd(s) % ((pages < 16 ? pages : 16) * PAGE);
        break;
    }
    case SYS_semop:
    case SYS_semtimedop: { /* waits for a value or zero, or takes what is there */
        struct sembuf *ops = (struct sembuf *)(at + 32);
        a[2] = 1 + rnd(s) % 2;
        for (uint64_t k = 0; k < a[2]; k++)
            ops[k] = (struct sembuf){(unsigned short)(rnd(s) % SEMS), (short)(rnd(s) % 5 - 2),
                                     (short)(rnd(s) & (IPC_NOWAIT | SEM_UNDO))};
        a[1] = (uint64_t)ops;
        a[3] = rnd(s) & 1 ? (uint64_t)ts : 0;
        break;
    }
    case SYS_msgsnd:
    case SYS_msgrcv: { /* a queue that fills up, and empties */
        *(long *)scratch = 1 + (long)(rnd(s) % 4);
        a[1] = (uint64_t)scratch;
        a[2] = nr == SYS_msgsnd ? rnd(s) % 2048 : PAGE - 64 - sizeof(long);
        a[3] = nr == SYS_msgsnd ? rnd(s) & IPC_NOWAIT : rnd(s) % 6;
        if (nr == SYS_msgrcv) a[4] = rnd(s) & (IPC_NOWAIT | MSG_EXCEPT | MSG_NOERROR);
        break;
    }
    case SYS_nanosleep: a[0] = (uint64_t)ts; break;
    case SYS_clock_nanosleep:
        a[0] = CLOCK_MONOTONIC;
        a[1] = 0;
        a[2] = (uint64_t)ts;
        break;
    case SYS_ppoll: {
        struct pollfd *p = (struct pollfd *)(at + 32);
        *p = (struct pollfd){rfd, POLLIN, 0};
        a[0] = (uint64_t)p;
        a[1] = 1;
        a[2] = rnd(s) & 1 ? (uint64_t)ts : 0;
        break;
    }
    case SYS_rt_sigtimedwait:
        *word = rnd(s) & ~(1ull << (wake_sig - 1));
        a[0] = (uint64_t)word;
        a[2] = rnd(s) & 1 ? (uint64_t)ts : 0;
        a[3] = 8;
        break;
    case SYS_futex:
        a[0] = (uint64_t)word;
        a[1] = FUTEX_WAIT | (rnd(s) & FUTEX_PRIVATE_FLAG);
        a[2] = (uint32_t)*word;
        a[3] = rnd(s) & 1 ? (uint64_t)ts : 0;
        break;
    default: break;
    }
}

/* Semaphores and queues outlive the process: gone before the run ends. */
static void remove_sysv(void) {
    if (sem_id >= 0) semctl(sem_id, 0, IPC_RMID);
    if (msg_id >= 0) msgctl(msg_id, IPC_RMID, NULL);
}

static void on_wake(int sig) {
    (void)sig;
}

static void *storm(void *p) {
    unsigned id = (unsigned)(uintptr_t)p;
    uint64_t s = ((uint64_t)id + 1) * 0x9e3779b97f4a7c15ull;
    uint8_t *scratch = scratches[id % MAX_THREADS];
    struct sigevent ev = {.sigev_notify = SIGEV_THREAD_ID, .sigev_signo = wake_sig};
    ev._sigev_un._tid = (int)syscall(SYS_gettid);
    int timer;
    if (syscall(SYS_timer_create, CLOCK_MONOTONIC, &ev, &timer)) abort();
    wake_timers[id % MAX_THREADS] = timer;
    /* every thread's timer is known before any storm call could delete it */
    pthread_barrier_wait(&timers_known);
    struct itimerspec every_ms = {{0, 1000000}, {0, 1000000}}, off = {{0, 0}, {0, 0}};
    syscall(SYS_timer_settime, timer, 0, &every_ms, NULL);
    int pfd[2] = {-1, -1}; /* an empty pipe of its own (the storm may close it) */
    if (pipe(pfd)) abort();
    int rfd = pfd[0], wfd = pfd[1];
    for (int i = 0; i < args.iterations; i++) {
        storm_exit_here(&args, (int)(id % MAX_THREADS), i);
        for (int k = 0; k < PAGE / 8; k++)
            ((uint64_t *)scratch)[k] = rnd(&s) % 3 ? rnd(&s) % 64 : rnd(&s);
        long nr = calls[rnd(&s) % NCALLS];
        uint64_t a[6];
        for (int k = 0; k < 6; k++)
            a[k] = arg(&s, scratch);
        if (IS(nr, SYS_read, SYS_write, SYS_recvfrom, SYS_recvmsg, SYS_nanosleep,
               SYS_clock_nanosleep, SYS_ppoll, SYS_rt_sigtimedwait, SYS_futex, SYS_semop,
               SYS_semtimedop, SYS_msgsnd, SYS_msgrcv)) {
            /* the storm's close_range and dup3 may have taken them (and
             * put another fd at the number) */
            if ((fcntl(rfd, F_GETFD) < 0 || fcntl(wfd, F_GETFD) < 0) && pipe(pfd) == 0) {
                rfd = pfd[0];
                wfd = pfd[1];
            }
            sleepable(nr, a, &s, scratch, rfd, wfd);
        }
        if (tame(nr, a, &s, scratch)) syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
    }
    syscall(SYS_timer_settime, timer, 0, &off, NULL);
    return NULL;
}

int main(int argc, char **argv) {
    args = storm_args(argc, argv, MAX_THREADS);
    int threads = args.threads;
    uint64_t seed = args.seed;
    arena =
        mmap(NULL, ARENA_PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    guard = mmap(NULL, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    /* made before the arena can have holes, which they could land in */
    for (int i = 0; i < threads; i++) {
        scratches[i] =
            mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (scratches[i] == MAP_FAILED) return 2;
        munmap(scratches[i] + PAGE, PAGE);
    }
    if (arena == MAP_FAILED || guard == MAP_FAILED) return 2;
    shm_id = shmget(IPC_PRIVATE, SHM_PAGES * PAGE, IPC_CREAT | 0600);
    sem_id = semget(IPC_PRIVATE, SEMS, IPC_CREAT | 0600);
    msg_id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    /* main's attach keeps the segment until the run ends, however it ends */
    if (shm_id < 0 || shmat(shm_id, NULL, 0) == (void *)-1 || shmctl(shm_id, IPC_RMID, NULL) ||
        sem_id < 0 || msg_id < 0) {
        remove_sysv();
        return 2;
    }
    args.at_exit = remove_sysv;
    signal(SIGPIPE, SIG_IGN);
    wake_sig = SIGRTMIN + 6;
    struct sigaction wake = {.sa_handler = on_wake}; /* no SA_RESTART */
    sigaction(wake_sig, &wake, NULL);
    n_threads = threads;
    pthread_barrier_init(&timers_known, NULL, (unsigned)threads);
    pthread_t t[MAX_THREADS];
    for (int i = 0; i < threads; i++)
        pthread_create(&t[i], NULL, storm, (void *)(uintptr_t)(seed * MAX_THREADS + (unsigned)i));
    for (int i = 0; i < threads; i++)
        pthread_join(t[i], NULL);
    remove_sysv();
    printf("survived\n");
    return 0;
}
