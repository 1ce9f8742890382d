/* clock_nanosleep on the process's CPU clock while two threads burn CPU
 * on the last CPU (on a cluster the last node, whose time no host clock
 * of the sleepers' counts): a relative and an absolute sleep, by main
 * and by a thread on CPU 0 (node 0), return 0 once the clock has gone
 * past their deadline, never before; a sleep on a thread's CPU clock is
 * EINVAL; a signal with a handler (no SA_RESTART) cuts a long sleep short
 * with EINTR and what is left in rem. Only relations are printed. */
#include "guest.h"
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MS 1000000LL

static volatile int stop, woken;
static volatile int sleeper_tid;

static void on_usr1(int sig) {
    (void)sig;
}

static long long cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void pin(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    sched_setaffinity(0, sizeof set, &set);
}

static void *burner(void *arg) {
    pin((int)sysconf(_SC_NPROCESSORS_ONLN) - 1);
    (void)arg;
    while (!stop)
        ;
    return NULL;
}

/* A relative and an absolute sleep of the process's CPU clock. */
static void sleeps(const char *who) {
    long long before = cpu_now();
    struct timespec rel = {0, 100 * MS};
    int r = clock_nanosleep(CLOCK_PROCESS_CPUTIME_ID, 0, &rel, NULL);
    printf("%s: relative sleep 0 %d, not early %d\n", who, r == 0, cpu_now() - before >= 100 * MS);
    long long at = cpu_now() + 50 * MS;
    struct timespec abs = {at / 1000000000LL, at % 1000000000LL};
    r = clock_nanosleep(CLOCK_PROCESS_CPUTIME_ID, TIMER_ABSTIME, &abs, NULL);
    printf("%s: absolute sleep 0 %d, not early %d\n", who, r == 0, cpu_now() >= at);
}

static void *sleeper(void *arg) {
    (void)arg;
    pin(0);
    sleeps("thread");
    struct timespec rel = {0, 10 * MS}, rem;
    printf("thread: its own CPU clock EINVAL %d\n",
           clock_nanosleep(CLOCK_THREAD_CPUTIME_ID, 0, &rel, NULL) == EINVAL);
    /* main sends SIGUSR1 during this one */
    sleeper_tid = (int)syscall(SYS_gettid);
    struct timespec hour = {3600, 0};
    int r = clock_nanosleep(CLOCK_PROCESS_CPUTIME_ID, 0, &hour, &rem);
    woken = 1;
    printf("thread: a handler's signal EINTR %d, rem left %d\n", r == EINTR,
           rem.tv_sec < 3600 && (rem.tv_sec > 0 || rem.tv_nsec > 0));
    return NULL;
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    pthread_t b1, b2, s;
    pthread_create(&b1, NULL, burner, NULL);
    pthread_create(&b2, NULL, burner, NULL);
    sleeps("main");
    pthread_create(&s, NULL, sleeper, NULL);
    while (!sleeper_tid) {
        struct timespec ms = {0, 1 * MS};
        nanosleep(&ms, NULL);
    }
    /* again until it woke: one may come before its sleep began */
    while (!woken) {
        struct timespec later = {0, 50 * MS};
        nanosleep(&later, NULL);
        if (!woken) syscall(SYS_tgkill, getpid(), sleeper_tid, SIGUSR1);
    }
    pthread_join(s, NULL);
    stop = 1;
    pthread_join(b1, NULL);
    pthread_join(b2, NULL);
    return 0;
}
