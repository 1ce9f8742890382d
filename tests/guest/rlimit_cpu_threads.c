/* RLIMIT_CPU counts every thread of the program (on a cluster, the CPU
 * time of every node): with a soft limit of 1 s and a hard one of 3 s,
 * three threads burn CPU (on a cluster, most of them on other nodes)
 * while main waits for SIGXCPU, which the threads block. The n-th comes
 * once the program's CPU time reached about n s, with the soft limit
 * then n + 1 s, as Linux raises it by a second at each SIGXCPU; after
 * the second, SIGKILL at the hard limit. The time is read on the clock
 * the limit is checked on: the profiling clock (user + system time, the
 * one ITIMER_PROF counts, armed far off at the start: getitimer says
 * what is left), held to [n - 1/4, n + 1/2) s. Linux samples it at its
 * ticks, and on a loaded machine here it ran up to twice as fast as the
 * CPU-time clock the program reads (CLOCK_PROCESS_CPUTIME_ID), which
 * made a reference run under qemu-aarch64 fall outside [n/2, 2n) of
 * that clock; a cluster that counted one node would be at about 3n s,
 * or never get there. Before that, a soft limit
 * above the hard one is EINVAL and getrlimit says what was set. Only
 * relations are printed. With the argument "inherited" it burns CPU
 * under the limit it was started with, takes SIGXCPU at its soft limit
 * and dies of it (tests/cluster/cluster_test.sh). */
#include "guest.h"
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <unistd.h>

static volatile sig_atomic_t xcpu;
static volatile int code_kernel = 1;
static volatile double cpu_at[8];

#define PROF_ARMED 1000 /* s: never reached */
static double cpu_at_arm;

/* Starts reading the profiling clock; the time before (the program's
 * start-up) is taken from the CPU-time clock, where the two differ
 * little yet. */
static void arm_profiling_clock(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    cpu_at_arm = ts.tv_sec + ts.tv_nsec / 1e9;
    struct itimerval v = {{0, 0}, {PROF_ARMED, 0}};
    setitimer(ITIMER_PROF, &v, NULL);
}

/* The program's CPU time as the limit counts it. */
static double process_cpu(void) {
    struct itimerval v;
    getitimer(ITIMER_PROF, &v);
    return cpu_at_arm + PROF_ARMED - v.it_value.tv_sec - v.it_value.tv_usec / 1e6;
}

static void on_xcpu(int sig, siginfo_t *si, void *uc) {
    (void)sig;
    (void)uc;
    if (si->si_code != SI_KERNEL) code_kernel = 0;
    if (xcpu < 8) cpu_at[xcpu] = process_cpu();
    xcpu++;
}

static void *burn(void *arg) {
    (void)arg;
    volatile uint64_t x = 1;
    for (;;)
        x = x * 6364136223846793005ull + 1442695040888963407ull;
    return NULL;
}

/* Main takes SIGXCPU (on_xcpu), which the three burners it starts
 * block; *old: main's mask before, to wait with. */
static void burn_catching_xcpu(sigset_t *old) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_xcpu;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigaction(SIGXCPU, &sa, NULL);
    fflush(stdout);
    arm_profiling_clock();
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGXCPU);
    pthread_sigmask(SIG_BLOCK, &set, old);
    pthread_t th[3];
    for (int i = 0; i < 3; i++)
        pthread_create(&th[i], NULL, burn, NULL);
}

int main(int argc, char **argv) {
    sigset_t old;
    if (argc > 1 && !strcmp(argv[1], "inherited")) {
        /* the limit the run was started with (ulimit -t): the burners
         * until SIGXCPU, then its default action */
        struct rlimit got;
        getrlimit(RLIMIT_CPU, &got);
        printf("inherited soft %llu\n", (unsigned long long)got.rlim_cur);
        burn_catching_xcpu(&old);
        while (!xcpu)
            sigsuspend(&old);
        printf("SIGXCPU: CPU time in [0.5, 2) s %s\n",
               cpu_at[0] >= 0.5 && cpu_at[0] < 2 ? "yes" : "no");
        fflush(stdout);
        signal(SIGXCPU, SIG_DFL);
        sigdelset(&old, SIGXCPU);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        raise(SIGXCPU);
        return 1;
    }
    struct rlimit rl = {2, 1};
    printf("soft above hard: %s\n",
           setrlimit(RLIMIT_CPU, &rl) == -1 && errno == EINVAL ? "EINVAL" : "other");
    rl = (struct rlimit){1, 3};
    printf("set: %d\n", setrlimit(RLIMIT_CPU, &rl));
    struct rlimit got;
    getrlimit(RLIMIT_CPU, &got);
    printf("get: soft %llu hard %llu\n", (unsigned long long)got.rlim_cur,
           (unsigned long long)got.rlim_max);
    burn_catching_xcpu(&old);
    int seen = 0;
    for (;;) {
        sigsuspend(&old);
        while (xcpu != seen) {
            double at = cpu_at[seen++];
            struct rlimit now;
            getrlimit(RLIMIT_CPU, &now);
            printf(
                "SIGXCPU %d (SI_KERNEL: %s): CPU time in [%d - 1/4, %d + 1/2) s %s; soft now %llu, "
                "hard %llu\n",
                seen, code_kernel ? "yes" : "no", seen, seen,
                at >= seen - 0.25 && at < seen + 0.5 ? "yes" : "no",
                (unsigned long long)now.rlim_cur, (unsigned long long)now.rlim_max);
            fflush(stdout);
        }
    }
}
