/* Threads that pin themselves to CPU after CPU: on Linux each runs on the
 * CPU it named as soon as sched_setaffinity returns. On a cluster the
 * CPUs are every node's (docs/cluster.md, "One machine's CPUs"), so a
 * thread that pins itself to another node's CPU moves there, with what
 * is its own: registers, thread-local data, its alternate signal stack,
 * nice value and blocked signals still pending; a signal sent to it
 * after the move reaches it, its own CPU clock goes on from its time so
 * far, a POSIX timer aimed at it still signals it, its lock and memory
 * traffic stays coherent
 * and it is joined as any thread. Every line is independent of the
 * number of CPUs. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef sigev_notify_thread_id /* glibc before 2.35 names it only this way */
#define sigev_notify_thread_id _sigev_un._tid
#endif

#define WORKERS 4
#define ROUNDS  500

static int ncpu;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;
static long cells[WORKERS][512];
static __thread long tls_value;
static pthread_barrier_t start, sent, checked;
static _Atomic int usr1_tid[WORKERS], usr2_seen[WORKERS], timer_seen[WORKERS];
static pid_t tids[WORKERS];
static char report[WORKERS][200];

static double thread_cpu(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double thread_rusage(void) {
    struct rusage ru;
    getrusage(RUSAGE_THREAD, &ru);
    return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
           (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static int me_index(void) {
    pid_t me = (pid_t)syscall(SYS_gettid);
    for (int i = 0; i < WORKERS; i++)
        if (tids[i] == me) return i;
    return -1;
}

static void on_usr1(int sig) {
    (void)sig;
    int i = me_index();
    if (i >= 0) usr1_tid[i] = (int)syscall(SYS_gettid);
}

static void on_usr2(int sig) {
    (void)sig;
    int i = me_index();
    if (i >= 0) usr2_seen[i]++;
}

static void on_timer(int sig) {
    (void)sig;
    int i = me_index();
    if (i >= 0) timer_seen[i]++;
}

/* Pins the calling thread to cpu; whether it then runs there. */
static int pin_to(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (pthread_setaffinity_np(pthread_self(), sizeof set, &set)) return 0;
    return sched_getcpu() == cpu;
}

static void work(int i, int round) {
    for (int k = 0; k < ROUNDS; k++) {
        pthread_mutex_lock(&lock);
        counter++;
        pthread_mutex_unlock(&lock);
        cells[i][k % 512] += round + 1;
    }
}

static void *worker(void *arg) {
    int i = (int)(long)arg;
    tids[i] = (pid_t)syscall(SYS_gettid);
    tls_value = 1000 + i;
    static char altstacks[WORKERS][64 * 1024];
    stack_t ss = {.ss_sp = altstacks[i], .ss_size = sizeof altstacks[i], .ss_flags = 0};
    sigaltstack(&ss, NULL);
    setpriority(PRIO_PROCESS, 0, 3 + i);
    sigset_t usr2;
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &usr2, NULL);
    pthread_barrier_wait(&start);
    pthread_barrier_wait(&sent); /* main sent SIGUSR2: pending, blocked */
    /* CPU time of its own before it moves: its CPU clock keeps it */
    while (thread_cpu() < 0.03)
        continue;
    double cpu_before = thread_cpu();
    int cpu_kept = 1;
    /* a timer that signals this thread, wherever it runs */
    struct sigevent sev = {.sigev_notify = SIGEV_THREAD_ID, .sigev_signo = SIGRTMIN + 1};
    sev.sigev_notify_thread_id = tids[i];
    timer_t timer;
    int timer_ok = timer_create(CLOCK_MONOTONIC, &sev, &timer) == 0;
    struct itimerspec every_2ms = {{0, 2000000}, {0, 2000000}};
    timer_ok = timer_ok && timer_settime(timer, 0, &every_2ms, NULL) == 0;

    /* hop: its own CPU, the farthest one, the first, the last, its own */
    int hops[5] = {i % ncpu, ncpu - 1 - i % ncpu, 0, ncpu - 1, i % ncpu};
    int on_cpu = 0, tls_ok = 1;
    for (int h = 0; h < 5; h++) {
        on_cpu += pin_to(hops[h]);
        double now = thread_cpu();
        cpu_kept &= now >= cpu_before;
        cpu_before = now;
        tls_ok &= tls_value == 1000 + i;
        work(i, h);
    }
    stack_t old;
    sigaltstack(NULL, &old);
    int alt_ok = old.ss_sp == altstacks[i] && old.ss_size == sizeof altstacks[i];
    cpu_kept &= thread_rusage() >= 0.025;
    /* its timer's signals reach it where it ended up (at most 5 s) */
    int ticks = timer_seen[i];
    for (int k = 0; k < 5000 && timer_seen[i] < ticks + 3; k++) {
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    }
    timer_ok = timer_ok && timer_seen[i] >= ticks + 3;
    if (timer_ok) timer_delete(timer);
    errno = 0;
    int nice_now = getpriority(PRIO_PROCESS, 0);
    sigset_t pending;
    sigpending(&pending);
    int was_pending = sigismember(&pending, SIGUSR2);
    pthread_sigmask(SIG_UNBLOCK, &usr2, NULL);
    int taken = usr2_seen[i];
    pthread_barrier_wait(&checked); /* main now signals it where it runs */
    while (!usr1_tid[i])
        sched_yield();
    int usr1_here = usr1_tid[i] == (int)syscall(SYS_gettid);
    snprintf(report[i], sizeof report[i],
             "worker %d: on each CPU it named %d/5, tls %d, altstack %d, nice %d, SIGUSR2 pending "
             "%d taken %d, SIGUSR1 to it %d, CPU clock kept %d, its timer's signals %d",
             i, on_cpu, tls_ok, alt_ok, nice_now, was_pending, taken, usr1_here, cpu_kept,
             timer_ok);
    return (void *)(long)(tids[i] > 0);
}

/* A thread whose mask another thread sets runs on its CPU once it has
 * read its mask back: at creation (pthread_attr_setaffinity_np, which
 * glibc applies from the creator after the clone) and later
 * (pthread_setaffinity_np on it), and while it computes. */
static _Atomic int go;

static void *attr_child(void *arg) {
    cpu_set_t s;
    pthread_getaffinity_np(pthread_self(), sizeof s, &s);
    return (void *)(long)(sched_getcpu() == *(int *)arg && CPU_ISSET(*(int *)arg, &s));
}

static void *set_later_child(void *arg) {
    while (!go)
        sched_yield();
    cpu_set_t s;
    pthread_getaffinity_np(pthread_self(), sizeof s, &s);
    return (void *)(long)(sched_getcpu() == *(int *)arg && CPU_ISSET(*(int *)arg, &s));
}

/* One that makes no call at all: Linux moves it off its CPU at once, so
 * its loop ends; a node that waited for its next system call to the
 * master would keep it there for ever. It starts on CPU spin_cpu[0] (a
 * mask set at creation), and another thread's mask sends it to
 * spin_cpu[1]. */
static _Atomic int spinning;
static int spin_cpu[2];

static void *spin_child(void *arg) {
    (void)arg;
    while (sched_getcpu() != spin_cpu[0])
        ;
    spinning = 1;
    while (sched_getcpu() != spin_cpu[1])
        ;
    cpu_set_t s;
    pthread_getaffinity_np(pthread_self(), sizeof s, &s);
    return (void *)(long)CPU_ISSET(spin_cpu[1], &s);
}

static void masks_from_others(void) {
    int at_creation = 0, later = 0, computing = 0;
    for (int k = 0; k < 4; k++) {
        int cpu = (k & 1) ? ncpu - 1 : 0;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
        pthread_attr_setaffinity_np(&attr, sizeof set, &set);
        pthread_t th;
        void *r;
        pthread_create(&th, &attr, attr_child, &cpu);
        pthread_join(th, &r);
        at_creation += (int)(long)r;
        pthread_attr_destroy(&attr);
        go = 0;
        pthread_create(&th, NULL, set_later_child, &cpu);
        pthread_setaffinity_np(th, sizeof set, &set);
        go = 1;
        pthread_join(th, &r);
        later += (int)(long)r;
        /* from the other end of the machine to cpu */
        spin_cpu[0] = (k & 1) ? 0 : ncpu - 1;
        spin_cpu[1] = cpu;
        CPU_ZERO(&set);
        CPU_SET(spin_cpu[0], &set);
        pthread_attr_init(&attr);
        pthread_attr_setaffinity_np(&attr, sizeof set, &set);
        spinning = 0;
        pthread_create(&th, &attr, spin_child, NULL);
        pthread_attr_destroy(&attr);
        while (!spinning)
            sched_yield();
        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
        pthread_setaffinity_np(th, sizeof set, &set);
        pthread_join(th, &r);
        computing += (int)(long)r;
    }
    printf("mask set by another thread: at creation %d/4, later %d/4, while it computes %d/4\n",
           at_creation, later, computing);
    /* two masks in a row: the second one counts, even when it comes while
     * the first one is moving the thread */
    int twice = 0;
    for (int k = 0; k < 4; k++) {
        spin_cpu[0] = 1;
        spin_cpu[1] = 0;
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(spin_cpu[0], &set);
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setaffinity_np(&attr, sizeof set, &set);
        spinning = 0;
        pthread_t th;
        pthread_create(&th, &attr, spin_child, NULL);
        pthread_attr_destroy(&attr);
        while (!spinning)
            sched_yield();
        CPU_ZERO(&set);
        CPU_SET(ncpu - 1, &set);
        pthread_setaffinity_np(th, sizeof set, &set);
        CPU_ZERO(&set);
        CPU_SET(spin_cpu[1], &set);
        pthread_setaffinity_np(th, sizeof set, &set);
        void *r;
        pthread_join(th, &r);
        twice += (int)(long)r;
    }
    printf("two masks in a row: the second one kept %d/4\n", twice);
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
    signal(SIGUSR1, on_usr1);
    signal(SIGUSR2, on_usr2);
    struct sigaction sa = {.sa_handler = on_timer, .sa_flags = SA_RESTART};
    sigaction(SIGRTMIN + 1, &sa, NULL);
    pthread_barrier_init(&start, NULL, WORKERS + 1);
    pthread_barrier_init(&sent, NULL, WORKERS + 1);
    pthread_barrier_init(&checked, NULL, WORKERS + 1);
    pthread_t th[WORKERS];
    for (long i = 0; i < WORKERS; i++)
        pthread_create(&th[i], NULL, worker, (void *)i);
    pthread_barrier_wait(&start);
    for (int i = 0; i < WORKERS; i++)
        pthread_kill(th[i], SIGUSR2);
    pthread_barrier_wait(&sent);
    pthread_barrier_wait(&checked);
    for (int i = 0; i < WORKERS; i++)
        pthread_kill(th[i], SIGUSR1);
    long joined = 0;
    for (int i = 0; i < WORKERS; i++) {
        void *r;
        pthread_join(th[i], &r);
        joined += (long)r;
        puts(report[i]);
    }
    long sum = 0;
    for (int i = 0; i < WORKERS; i++)
        for (int k = 0; k < 512; k++)
            sum += cells[i][k];
    printf("joined %ld, counter %ld (want %d), cells %ld\n", joined, counter, WORKERS * 5 * ROUNDS,
           sum);
    /* main pins itself too: node 0's thread moves and comes back */
    int last = pin_to(ncpu - 1);
    int first = pin_to(0);
    printf("main: on the last CPU %d, back on CPU 0 %d\n", last, first);
    masks_from_others();
    return 0;
}
