/* A thread with thousands of real-time signals queued for it (blocked,
 * each with its own value) pins itself to every CPU in turn. On a
 * cluster the CPUs are every node's, so it moves from node to node
 * carrying all of them (a fixed table of 1024 once dropped the rest).
 * When it unblocks, each is delivered once. Only relations are printed. */
#include "guest.h"
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

enum { WANTED = 3000 };

static int sig, count;
static pthread_barrier_t ready, sent;
static _Atomic int worker_tid;
static volatile int delivered;
static volatile long long value_sum;

static void on_sig(int s, siginfo_t *si, void *uc) {
    (void)s;
    (void)uc;
    delivered++;
    value_sum += si->si_value.sival_int;
}

static void *worker(void *arg) {
    (void)arg;
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, sig);
    pthread_sigmask(SIG_BLOCK, &one, NULL);
    worker_tid = (int)syscall(SYS_gettid);
    pthread_barrier_wait(&ready);
    pthread_barrier_wait(&sent);
    int ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN), tries = 0, pinned = 0;
    for (int c = 0; c < ncpu && c < CPU_SETSIZE; c++, tries++) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(c, &set);
        pinned += sched_setaffinity(0, sizeof set, &set) == 0;
    }
    sigset_t pending;
    sigpending(&pending);
    int still = sigismember(&pending, sig);
    pthread_sigmask(SIG_UNBLOCK, &one, NULL);
    printf("pinned to every CPU in turn: %d\n", tries > 0 && pinned == tries);
    printf("still pending after the moves: %d\n", still);
    printf("each delivered once: %d\n", delivered == count);
    printf("with its value: %d\n", value_sum == (long long)count * (count - 1) / 2);
    return NULL;
}

int main(void) {
    sig = SIGRTMIN + 3;
    /* as many as this host lets one process queue, up to WANTED */
    struct rlimit rl;
    count = WANTED;
    if (getrlimit(RLIMIT_SIGPENDING, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        rl.rlim_cur < WANTED + 64)
        count = (int)rl.rlim_cur - 64;
    printf("more than 1024 queued: %d\n", count > 1024);
    struct sigaction sa = {.sa_sigaction = on_sig, .sa_flags = SA_SIGINFO};
    sigaction(sig, &sa, NULL);
    pthread_barrier_init(&ready, NULL, 2);
    pthread_barrier_init(&sent, NULL, 2);
    pthread_t t;
    pthread_create(&t, NULL, worker, NULL);
    pthread_barrier_wait(&ready);
    int queued = 0;
    for (int i = 0; i < count; i++) {
        siginfo_t si = {0};
        si.si_signo = sig;
        si.si_code = SI_QUEUE;
        si.si_pid = getpid();
        si.si_uid = getuid();
        si.si_value.sival_int = i;
        queued += syscall(SYS_rt_tgsigqueueinfo, getpid(), worker_tid, sig, &si) == 0;
    }
    printf("all queued: %d\n", queued == count);
    pthread_barrier_wait(&sent);
    pthread_join(t, NULL);
    return 0;
}
