/* CPU time as one process: a thread's own CPU time (getrusage
 * RUSAGE_THREAD, its pthread_getcpuclockid clock, read by itself or by
 * another thread) and the process's (getrusage RUSAGE_SELF,
 * CLOCK_PROCESS_CPUTIME_ID, clock(), times()) count what every thread ran,
 * wherever it runs, while it runs and after it ended, and nothing twice.
 * Each worker spins for a fixed amount of its own CPU time, so nothing
 * here depends on how fast or loaded the machine is. */
#include "guest.h"
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/resource.h>
#include <sys/times.h>
#include <unistd.h>

#define SPIN_NS 300000000LL /* 0.3 s of CPU per worker */
#define NW      2

static int64_t ns(clockid_t c) {
    struct timespec ts;
    clock_gettime(c, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int64_t tv_ns(struct timeval tv) {
    return tv.tv_sec * 1000000000LL + tv.tv_usec * 1000LL;
}

static int64_t ru_ns(int who) {
    struct rusage ru;
    if (getrusage(who, &ru)) return -1;
    return tv_ns(ru.ru_utime) + tv_ns(ru.ru_stime);
}

static int64_t times_ns(void) {
    struct tms tm;
    times(&tm);
    return (int64_t)(tm.tms_utime + tm.tms_stime) * (1000000000LL / sysconf(_SC_CLK_TCK));
}

static volatile uint64_t sink;
static int thread_ok[NW], pclock_ok[NW], main_clock_ok[NW];
static atomic_int spun, go;
static pthread_t main_thread;

/* thread th's CPU clock (pthread_getcpuclockid), -1: an error */
static int64_t thread_clock_ns(pthread_t th) {
    clockid_t c;
    struct timespec ts;
    if (pthread_getcpuclockid(th, &c) || clock_gettime(c, &ts)) return -1;
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void *worker(void *arg) {
    int i = (int)(long)arg;
    uint64_t x = (uint64_t)i + 1;
    int64_t t0 = ns(CLOCK_THREAD_CPUTIME_ID);
    while (ns(CLOCK_THREAD_CPUTIME_ID) - t0 < SPIN_NS)
        for (int k = 0; k < 100000; k++)
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    sink = x;
    int64_t own = ns(CLOCK_THREAD_CPUTIME_ID);
    int64_t ru = ru_ns(RUSAGE_THREAD);
    /* rusage is in microseconds, read after the clock */
    thread_ok[i] = ru >= SPIN_NS * 9 / 10 && ru <= own + 20000000LL;
    int64_t pc = thread_clock_ns(pthread_self());
    pclock_ok[i] = pc >= own && pc <= own + 20000000LL;
    main_clock_ok[i] = thread_clock_ns(main_thread) >= 0;
    atomic_fetch_add(&spun, 1);
    while (!atomic_load(&go))
        usleep(1000); /* alive, and (nearly) no more CPU */
    return NULL;
}

/* at least the workers' spins (less a tenth: rounding, tick accounting),
 * at most twice them (start-up, translation, the waits' polls) */
static int covers(int64_t v, int64_t base, int workers) {
    int64_t d = v - base;
    return d >= workers * SPIN_NS * 9 / 10 && d <= 2 * workers * SPIN_NS + 200000000LL;
}

int main(void) {
    main_thread = pthread_self();
    int64_t c0 = ns(CLOCK_PROCESS_CPUTIME_ID), r0 = ru_ns(RUSAGE_SELF), t0 = times_ns();
    int64_t k0 = (int64_t)clock() * (1000000000LL / CLOCKS_PER_SEC);
    pthread_t th[NW];
    for (long i = 0; i < NW; i++)
        pthread_create(&th[i], NULL, worker, (void *)i);
    while (atomic_load(&spun) < NW)
        usleep(1000);
    printf("workers alive: CLOCK_PROCESS_CPUTIME_ID counts them: %d\n",
           covers(ns(CLOCK_PROCESS_CPUTIME_ID), c0, NW));
    printf("workers alive: RUSAGE_SELF counts them: %d\n", covers(ru_ns(RUSAGE_SELF), r0, NW));
    for (int i = 0; i < NW; i++) {
        clockid_t c;
        struct timespec res = {-1, -1};
        pthread_getcpuclockid(th[i], &c);
        printf("main reads worker %d's CPU clock: %d, its resolution: %d\n", i,
               covers(thread_clock_ns(th[i]), 0, 1), clock_getres(c, &res) == 0 && res.tv_nsec > 0);
        errno = 0;
        printf("main may not set worker %d's CPU clock: %d\n", i,
               clock_settime(c, &res) == -1 && errno == EPERM);
    }
    atomic_store(&go, 1);
    for (int i = 0; i < NW; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < NW; i++)
        printf("worker %d: RUSAGE_THREAD is its own CPU time: %d, so is its pthread CPU clock: %d, "
               "it reads main's: %d\n",
               i, thread_ok[i], pclock_ok[i], main_clock_ok[i]);
    printf("workers ended: CLOCK_PROCESS_CPUTIME_ID counts them: %d\n",
           covers(ns(CLOCK_PROCESS_CPUTIME_ID), c0, NW));
    printf("workers ended: RUSAGE_SELF counts them: %d\n", covers(ru_ns(RUSAGE_SELF), r0, NW));
    printf("workers ended: clock() counts them: %d\n",
           covers((int64_t)clock() * (1000000000LL / CLOCKS_PER_SEC), k0, NW));
    printf("workers ended: times() counts them: %d\n", covers(times_ns(), t0, NW));
    return 0;
}
