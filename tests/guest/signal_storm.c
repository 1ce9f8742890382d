/* Random signal traffic from several threads: signals sent to threads
 * and to the process (tgkill, kill, sigqueue with random siginfo bytes,
 * pidfds), random handlers, flags, masks and alternate stacks, timers
 * and interval timers that fire, and bounded blocking calls for the
 * signals to interrupt (sleeps, polls, futex waits, sigtimedwait, pipe
 * reads and sigsuspend woken by a timer of the thread's own). Threads
 * also start short-lived children, so signals race with thread exits,
 * fork and vfork processes that end at once (SIGCHLD), and set random
 * CPU masks, which move threads between a cluster's nodes.
 * The emulator must survive it all and the guest must end normally:
 * the program prints "survived" and exits 0 (tests/guest/storm.sh; the
 * calls' results are not compared).
 * Nothing sent can end the run: only signals with a handler for the
 * whole run, or ignored by default, are sent; none is reset to its
 * default action; glibc's own signals (32, 33) and stop signals are
 * never sent; one signal (WAKE) is never blocked, waited for or given
 * SA_RESTART, so a timer with it always ends a blocking read.
 * With EXIT_AT, thread 0 prints "survived" and ends the run with
 * exit_group at its iteration EXIT_AT, whatever the others are doing.
 * usage: signal_storm THREADS SEED ITERATIONS [EXIT_AT] */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "guest.h"
#include "storm.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

enum { MAX_THREADS = 64, ALT_SIZE = 1 << 20, MAX_TIMERS = 8, PAGE = 4096 };

/* The kernel's struct sigaction (glibc's differs in layout). */
struct k_sigaction {
    void *handler;
    unsigned long flags;
    void *restorer;
    uint64_t mask;
};
#define K_SA_RESTORER 0x04000000ul
/* the C library's return path, where the host needs one (x86-64) */
static struct k_sigaction libc_action;

static int wake_sig; /* SIGRTMIN + 6: ends a blocking read */
static int sendable[16], n_sendable, n_terminating;
static _Atomic unsigned long handled;
/* pages every thread and SA_SIGINFO handler adds to: in a cluster they
 * travel between nodes while signals, moves and forks go on; at the
 * end they hold every add (touches + info_adds) */
enum { SHARED_PAGES = 16, PER_PAGE = PAGE / 8 };
static _Alignas(4096) _Atomic uint64_t shared[SHARED_PAGES * PER_PAGE];
static _Atomic uint64_t touches, info_adds;
/* the storm's threads, main's, then the storm threads' children */
static _Atomic int tids[2 * MAX_THREADS + 1];
static pthread_mutex_t timers_lock = PTHREAD_MUTEX_INITIALIZER;
static int timer_ids[MAX_TIMERS], n_timers;
static uint8_t *guard; /* PROT_NONE */
static uint8_t *rdonly;
static struct storm_args args;
static int pid;
static int ncpus;

/* A handler slower than its signal comes nests without end under
 * SA_NODEFER, on Linux too: a timer's signal every 1-5 ms against a
 * handler whose adds to shared pages wait for the DSM on a loaded
 * cluster (a run at -n 4 nested 284 frames of a timer's signal and
 * overran the 1 MiB alternate stack). Deeper than MAX_DEPTH a handler
 * does nothing that takes long, so the nesting stops there. */
enum { MAX_DEPTH = 8 };
static _Thread_local int depth;

static void on_info(int sig, siginfo_t *si, void *uc) {
    int e = errno;
    volatile long sink = sig + si->si_code + si->si_pid + (long)si->si_value.sival_ptr;
    (void)sink;
    (void)uc;
    if (++depth <= MAX_DEPTH) {
        syscall(SYS_getppid);
        atomic_fetch_add(&shared[(unsigned)sig % SHARED_PAGES * PER_PAGE + 7], 1);
        atomic_fetch_add(&info_adds, 1);
        atomic_fetch_add(&handled, 1);
    }
    depth--;
    errno = e;
}

static void on_plain(int sig) {
    (void)sig;
    if (++depth <= MAX_DEPTH) atomic_fetch_add(&handled, 1);
    depth--;
}

static void on_wake(int sig) {
    (void)sig;
}

/* A pointer for a buffer of the kernel's: the good one, or a bad one. */
static void *ptr(uint64_t *s, void *good) {
    switch (g_rand(s) % 16) {
    case 0: return NULL;
    case 1: return guard + g_rand(s) % PAGE;
    case 2: return (void *)(0xffffffffffffff00ull | g_rand(s) % 256);
    case 3: return rdonly;
    case 4: return (void *)(uintptr_t)g_rand(s);
    default: return good;
    }
}

static int any_sig(uint64_t *s) {
    switch (g_rand(s) % 16) {
    case 0: return 0;
    case 1: return (int)(g_rand(s) % 70); /* may be unsendable: checked below */
    default: return sendable[g_rand(s) % n_sendable];
    }
}

static int may_send(int sig) {
    if (sig == 0) return 1;
    for (int i = 0; i < n_sendable; i++)
        if (sendable[i] == sig) return 1;
    return sig > 64; /* EINVAL */
}

static uint64_t random_mask(uint64_t *s) {
    uint64_t m = g_rand(s) % 4 ? g_rand(s) : ~0ull;
    return m & ~(1ull << (wake_sig - 1));
}

static struct timespec tiny(uint64_t *s) {
    return (struct timespec){0, (long)(g_rand(s) % 300000)};
}

static int target(uint64_t *s) {
    switch (g_rand(s) % 8) {
    case 0: return (int)(g_rand(s) % 100000);
    case 1: return (int)syscall(SYS_gettid);
    default: return atomic_load(&tids[g_rand(s) % (2 * MAX_THREADS + 1)]);
    }
}

static void send_one(uint64_t *s) {
    int sig = any_sig(s);
    if (!may_send(sig)) return;
    siginfo_t si;
    for (size_t k = 0; k < sizeof si / 8; k++)
        ((uint64_t *)&si)[k] = g_rand(s);
    si.si_signo = sig;
    switch (g_rand(s) % 6) {
    case 0: syscall(SYS_kill, pid, sig); break;
    case 1: syscall(SYS_rt_sigqueueinfo, pid, sig, ptr(s, &si)); break;
    case 2: syscall(SYS_rt_tgsigqueueinfo, pid, target(s), sig, ptr(s, &si)); break;
    case 3: {
        int fd = (int)syscall(SYS_pidfd_open, pid, 0);
        if (fd >= 0) {
            syscall(SYS_pidfd_send_signal, fd, sig, g_rand(s) % 2 ? ptr(s, &si) : NULL, 0);
            close(fd);
        }
        break;
    }
    default: syscall(SYS_tgkill, pid, target(s), sig);
    }
}

static void change_action(uint64_t *s) {
    int i = (int)(g_rand(s) % n_sendable);
    int sig = sendable[i];
    struct k_sigaction act = {0}, old;
    unsigned long flags = g_rand(s) & (SA_RESTART | SA_ONSTACK | SA_NODEFER);
    switch (g_rand(s) % 4) {
    case 0: act.handler = (void *)on_plain; break;
    case 1:
        /* default and ignore only where the default ignores */
        act.handler = i >= n_terminating ? (g_rand(s) % 2 ? SIG_IGN : SIG_DFL) : (void *)on_plain;
        if (i >= n_terminating && g_rand(s) % 2) flags |= SA_RESETHAND;
        break;
    default: act.handler = (void *)on_info; flags |= SA_SIGINFO;
    }
    /* unknown flag bits, never a return address of our own */
    if (g_rand(s) % 8 == 0) flags |= g_rand(s) & ~(K_SA_RESTORER | SA_RESETHAND);
    act.flags = flags | (libc_action.flags & K_SA_RESTORER);
    act.restorer = libc_action.restorer;
    act.mask = g_rand(s);
    size_t size = g_rand(s) % 16 ? 8 : g_rand(s) % 16;
    void *in = ptr(s, &act);
    if (in == rdonly) in = &act; /* zeros there: SIG_DFL */
    syscall(SYS_rt_sigaction, sig, in, ptr(s, &old), size);
}

static void change_mask(uint64_t *s) {
    uint64_t set = random_mask(s), old;
    size_t size = g_rand(s) % 16 ? 8 : g_rand(s) % 16;
    syscall(SYS_rt_sigprocmask, (int)(g_rand(s) % 4), ptr(s, &set), ptr(s, &old), size);
}

static void change_altstack(uint64_t *s, uint8_t *alt) {
    stack_t ss = {.ss_sp = alt, .ss_size = ALT_SIZE, .ss_flags = 0}, old;
    switch (g_rand(s) % 4) {
    case 0: ss.ss_flags = SS_DISABLE; break;
    case 1: ss.ss_size = g_rand(s) % 2048; break; /* below MINSIGSTKSZ: ENOMEM */
    case 2: ss.ss_flags = (int)(1u << 31); break; /* SS_AUTODISARM */
    default: break;
    }
    syscall(SYS_sigaltstack, ptr(s, &ss), ptr(s, &old));
}

static void make_timer(uint64_t *s) {
    pthread_mutex_lock(&timers_lock);
    if (n_timers == MAX_TIMERS || (n_timers > 0 && g_rand(s) % 2)) {
        syscall(SYS_timer_delete, timer_ids[--n_timers]);
        pthread_mutex_unlock(&timers_lock);
        return;
    }
    struct sigevent ev = {0};
    static const clockid_t clocks[] = {CLOCK_MONOTONIC, CLOCK_REALTIME, CLOCK_PROCESS_CPUTIME_ID,
                                       CLOCK_THREAD_CPUTIME_ID};
    int notify = (int)(g_rand(s) % 3);
    ev.sigev_notify = notify == 0 ? SIGEV_SIGNAL : notify == 1 ? SIGEV_THREAD_ID : SIGEV_NONE;
    ev.sigev_signo = sendable[g_rand(s) % n_sendable];
    ev._sigev_un._tid = g_rand(s) % 4 ? (int)syscall(SYS_gettid) : target(s);
    ev.sigev_value.sival_ptr = (void *)(uintptr_t)g_rand(s);
    int id;
    if (syscall(SYS_timer_create, clocks[g_rand(s) % 4], ptr(s, &ev), &id) == 0) {
        struct itimerspec it = {{0, 1000000 + (long)(g_rand(s) % 4000000)},
                                {0, 1000000 + (long)(g_rand(s) % 4000000)}};
        syscall(SYS_timer_settime, id, 0, ptr(s, &it), NULL);
        timer_ids[n_timers++] = id;
    }
    pthread_mutex_unlock(&timers_lock);
}

static void itimer(uint64_t *s) {
    long us = g_rand(s) % 3 ? 1000 + (long)(g_rand(s) % 4000) : 0;
    struct itimerval it = {{0, us}, {0, us}}, old;
    syscall(SYS_setitimer, (int)(g_rand(s) % 4), ptr(s, &it), ptr(s, &old));
}

/* A wait of at most a moment, for a signal to interrupt. */
static void wait_briefly(uint64_t *s, int fds[2], int ep) {
    struct timespec ts = tiny(s), rem;
    uint64_t mask = random_mask(s);
    switch (g_rand(s) % 8) {
    case 0:
        if (g_rand(s) % 8 == 0) ts.tv_nsec = 1000000000; /* EINVAL */
        syscall(SYS_nanosleep, ptr(s, &ts), ptr(s, &rem));
        break;
    case 1: {
        int abs = (int)(g_rand(s) % 2);
        if (abs) ts = g_in_ms(CLOCK_MONOTONIC, (long)(g_rand(s) % 2));
        syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, abs ? TIMER_ABSTIME : 0, &ts, ptr(s, &rem));
        break;
    }
    case 2: {
        struct pollfd p[2] = {{fds[0], POLLIN, 0}, {fds[1], POLLOUT, 0}};
        syscall(SYS_ppoll, ptr(s, p), 1 + g_rand(s) % 2, &ts, g_rand(s) % 2 ? &mask : NULL, 8);
        break;
    }
    case 3: {
        uint64_t in = 1ull << fds[0];
        syscall(SYS_pselect6, fds[0] + 1, ptr(s, &in), NULL, NULL, &ts, NULL);
        break;
    }
    case 4: {
        struct epoll_event ev[4];
        syscall(SYS_epoll_pwait, ep, ptr(s, ev), 4, (int)(g_rand(s) % 2),
                g_rand(s) % 2 ? &mask : NULL, 8);
        break;
    }
    case 5: {
        uint64_t set = random_mask(s);
        siginfo_t si;
        void *t = ptr(s, &ts); /* never NULL: that waits for ever */
        syscall(SYS_rt_sigtimedwait, &set, ptr(s, &si), t ? t : guard, 8);
        break;
    }
    case 6: {
        static _Atomic int word;
        int op = g_rand(s) % 2 ? FUTEX_WAIT_BITSET : FUTEX_WAIT;
        if (op == FUTEX_WAIT_BITSET) ts = g_in_ms(CLOCK_MONOTONIC, (long)(g_rand(s) % 2));
        syscall(SYS_futex, &word, op | (g_rand(s) % 2 ? FUTEX_PRIVATE_FLAG : 0),
                g_rand(s) % 4 ? 0 : 1, &ts, NULL, FUTEX_BITSET_MATCH_ANY);
        if (g_rand(s) % 4 == 0) syscall(SYS_futex, &word, FUTEX_WAKE, 1, NULL, NULL, 0);
        break;
    }
    default: {
        /* a read that blocks until a timer of the thread's own ends it */
        struct sigevent ev = {.sigev_notify = SIGEV_THREAD_ID, .sigev_signo = wake_sig};
        ev._sigev_un._tid = (int)syscall(SYS_gettid);
        int id;
        if (syscall(SYS_timer_create, CLOCK_MONOTONIC, &ev, &id) != 0) break;
        struct itimerspec it = {{0, 500000}, {0, 200000 + (long)(g_rand(s) % 500000)}};
        syscall(SYS_timer_settime, id, 0, &it, NULL);
        char c[16];
        int fl = fcntl(fds[0], F_GETFL);
        fcntl(fds[0], F_SETFL, fl & ~O_NONBLOCK);
        if (g_rand(s) % 4)
            syscall(SYS_read, fds[0], c, sizeof c);
        else
            syscall(SYS_rt_sigsuspend, &mask, 8);
        fcntl(fds[0], F_SETFL, fl | O_NONBLOCK);
        syscall(SYS_timer_delete, id);
    }
    }
}

/* A random CPU mask, the caller's or another thread's: on a cluster a
 * thread whose mask names none of its node's CPUs moves to another
 * node, with its pending signals, alternate stack and timers' target. */
static void move(uint64_t *s) {
    uint64_t mask = g_rand(s) & ((ncpus < 64 ? 1ull << ncpus : 0) - 1);
    int tid = g_rand(s) % 4 ? 0 : target(s);
    syscall(SYS_sched_setaffinity, tid, g_rand(s) % 16 ? sizeof mask : 1 + g_rand(s) % 8,
            ptr(s, &mask));
}

/* A child that ends at once (fork or vfork): SIGCHLD for the run, and
 * a wait that reaps it now or later (main reaps what is left). */
static void fork_one(uint64_t *s) {
    pid_t c = g_rand(s) % 2 ? fork() : vfork();
    if (c == 0) _exit(0);
    if (c > 0 && g_rand(s) % 2) waitpid(c, NULL, 0);
    waitpid(-1, NULL, WNOHANG);
}

static void touch_shared(uint64_t *s) {
    int n = 1 + (int)(g_rand(s) % 8);
    for (int k = 0; k < n; k++)
        atomic_fetch_add(&shared[g_rand(s) % (SHARED_PAGES * PER_PAGE)], 1);
    atomic_fetch_add(&touches, (uint64_t)n);
}

static void *storm(void *p);

struct job {
    unsigned id;
    int slot;
    int count;
};

static void spawn_child(uint64_t *s, unsigned id, int slot) {
    struct job j = {id * 7919u + (unsigned)(g_rand(s) % 1000), slot + MAX_THREADS + 1,
                    30 + (int)(g_rand(s) % 60)};
    pthread_t t;
    if (pthread_create(&t, NULL, storm, &j) == 0) pthread_join(t, NULL);
}

static void *storm(void *p) {
    struct job *j = p;
    uint64_t s = ((uint64_t)j->id + 1) * 0x9e3779b97f4a7c15ull;
    atomic_store(&tids[j->slot], (int)syscall(SYS_gettid));
    uint8_t *alt = mmap(NULL, ALT_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (alt == MAP_FAILED) return NULL;
    stack_t ss = {.ss_sp = alt, .ss_size = ALT_SIZE};
    sigaltstack(&ss, NULL);
    int fds[2];
    if (pipe2(fds, O_NONBLOCK) != 0) return NULL;
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = fds[0]};
    epoll_ctl(ep, EPOLL_CTL_ADD, fds[0], &ev);
    for (int i = 0; i < j->count; i++) {
        storm_exit_here(&args, j->slot, i);
        switch (g_rand(&s) % 20) {
        case 0:
        case 1:
        case 2:
        case 3: send_one(&s); break;
        case 4:
        case 5: change_action(&s); break;
        case 6:
        case 7: change_mask(&s); break;
        case 8: change_altstack(&s, alt); break;
        case 9: make_timer(&s); break;
        case 10: itimer(&s); break;
        case 11: {
            uint64_t pending;
            syscall(SYS_rt_sigpending, ptr(&s, &pending), g_rand(&s) % 8 ? 8 : 4);
            break;
        }
        case 12:
            if (j->slot < MAX_THREADS && g_rand(&s) % 4 == 0) spawn_child(&s, j->id, j->slot);
            break;
        case 13: move(&s); break;
        case 14:
            if (g_rand(&s) % 32 == 0) fork_one(&s);
            break;
        case 15:
        case 16: touch_shared(&s); break;
        default: {
            char c = 1;
            if (g_rand(&s) % 2) syscall(SYS_write, fds[1], &c, 1);
            wait_briefly(&s, fds, ep);
            while (read(fds[0], &c, 1) == 1)
                ;
        }
        }
    }
    /* an exiting thread takes no signal on its freed alternate stack */
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    ss.ss_flags = SS_DISABLE;
    sigaltstack(&ss, NULL);
    munmap(alt, ALT_SIZE);
    close(ep);
    close(fds[0]);
    close(fds[1]);
    atomic_store(&tids[j->slot], 0);
    return NULL;
}

int main(int argc, char **argv) {
    args = storm_args(argc, argv, MAX_THREADS);
    int threads = args.threads;
    uint64_t seed = args.seed;
    pid = getpid();
    ncpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
    wake_sig = SIGRTMIN + 6;
    const int terminating[] = {SIGUSR1, SIGUSR2,  SIGALRM,      SIGVTALRM,    SIGPROF,
                               SIGHUP,  SIGRTMIN, SIGRTMIN + 1, SIGRTMIN + 3, SIGRTMAX};
    const int ignored[] = {SIGCHLD, SIGURG, SIGWINCH, SIGCONT};
    for (size_t i = 0; i < sizeof terminating / sizeof terminating[0]; i++) {
        struct sigaction sa = {.sa_handler = on_plain};
        sigaction(terminating[i], &sa, NULL);
        sendable[n_sendable++] = terminating[i];
    }
    n_terminating = n_sendable;
    syscall(SYS_rt_sigaction, SIGUSR1, NULL, &libc_action, 8);
    for (size_t i = 0; i < sizeof ignored / sizeof ignored[0]; i++)
        sendable[n_sendable++] = ignored[i];
    struct sigaction wake = {.sa_handler = on_wake};
    sigaction(wake_sig, &wake, NULL);
    signal(SIGPIPE, SIG_IGN);
    guard = mmap(NULL, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    rdonly = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (guard == MAP_FAILED || rdonly == MAP_FAILED) return 2;
    atomic_store(&tids[MAX_THREADS], pid);
    pthread_t t[MAX_THREADS];
    struct job jobs[MAX_THREADS];
    for (int i = 0; i < threads; i++) {
        jobs[i] = (struct job){(unsigned)(seed * MAX_THREADS) + (unsigned)i, i, args.iterations};
        if (pthread_create(&t[i], NULL, storm, &jobs[i]) != 0) return 3;
    }
    for (int i = 0; i < threads; i++)
        pthread_join(t[i], NULL);
    /* quiet: no timer fires, nothing is delivered while printing */
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    struct itimerval off = {0};
    for (int w = 0; w < 3; w++)
        setitimer(w, &off, NULL);
    while (n_timers > 0)
        syscall(SYS_timer_delete, timer_ids[--n_timers]);
    while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
        ;
    if (atomic_load(&handled) == 0) {
        printf("no signal was handled\n");
        return 1;
    }
    uint64_t sum = 0;
    for (int i = 0; i < SHARED_PAGES * PER_PAGE; i++)
        sum += atomic_load(&shared[i]);
    if (sum != atomic_load(&touches) + atomic_load(&info_adds)) {
        printf("shared pages hold %llu adds, not %llu\n", (unsigned long long)sum,
               (unsigned long long)(atomic_load(&touches) + atomic_load(&info_adds)));
        return 1;
    }
    printf("survived\n");
    return 0;
}
