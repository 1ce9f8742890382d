/* CPU affinity as one machine: every CPU the program sees (get_nprocs)
 * can be named in a mask, a thread reads back the mask it was given
 * (by itself, by another thread, or at creation), a new thread starts
 * with its creator's and runs on those CPUs, a mask of no CPU is
 * refused, and sched_getcpu names one of the CPUs. On a cluster the
 * CPUs are every node's. */
#include "guest.h"
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/sysinfo.h>
#include <unistd.h>

static int ncpu;
static atomic_int go;

static int pin(pthread_t th, int cpu) {
    cpu_set_t s;
    CPU_ZERO(&s);
    CPU_SET(cpu, &s);
    return pthread_setaffinity_np(th, sizeof s, &s);
}

/* the caller's mask is exactly {cpu} (cpu < 0: every CPU) */
static int mask_is(pthread_t th, int cpu) {
    cpu_set_t s;
    CPU_ZERO(&s);
    if (pthread_getaffinity_np(th, sizeof s, &s)) return 0;
    if (cpu < 0) return CPU_COUNT(&s) == ncpu;
    return CPU_COUNT(&s) == 1 && CPU_ISSET(cpu, &s);
}

static void *pin_self(void *arg) {
    int cpu = (int)(long)arg;
    int ok = pin(pthread_self(), cpu) == 0 && mask_is(pthread_self(), cpu);
    int where = sched_getcpu();
    return (void *)(long)(ok && where >= 0 && where < ncpu);
}

static void *read_own(void *arg) {
    while (!atomic_load(&go))
        usleep(100);
    return (void *)(long)mask_is(pthread_self(), (int)(long)arg);
}

/* the mask {cpu}, and the thread runs on that CPU (the kernel moves it
 * when it next runs: a hang guard of 2 s, not a timing assumption) */
static void *runs_there(void *arg) {
    int cpu = (int)(long)arg, where = -1;
    for (int i = 0; i < 2000 && where != cpu; i++) {
        usleep(1000);
        where = sched_getcpu();
    }
    return (void *)(long)(mask_is(pthread_self(), cpu) && where == cpu);
}

static void *make_child(void *arg) {
    int cpu = (int)(long)arg;
    pin(pthread_self(), cpu);
    pthread_t c;
    void *r = NULL;
    pthread_create(&c, NULL, runs_there, (void *)(long)cpu);
    pthread_join(c, &r);
    return r;
}

int main(void) {
    ncpu = get_nprocs();
    printf("main starts with every CPU: %d\n", mask_is(pthread_self(), -1));
    int all = 1;
    for (long i = 0; i < ncpu; i++) {
        pthread_t th;
        void *r;
        pthread_create(&th, NULL, pin_self, (void *)i);
        pthread_join(th, &r);
        all &= (int)(long)r;
    }
    printf("a thread pins itself to each CPU and reads it back: %d\n", all);

    /* another thread's mask, set while it waits */
    pthread_t th;
    void *r;
    atomic_store(&go, 0);
    pthread_create(&th, NULL, read_own, (void *)(long)(ncpu - 1));
    int set = pin(th, ncpu - 1);
    printf("main pins another thread: %d, it reads %d from main\n", set, mask_is(th, ncpu - 1));
    atomic_store(&go, 1);
    pthread_join(th, &r);
    printf("and the thread reads its own: %d\n", (int)(long)r);

    /* at creation (glibc sets it on the new thread before it runs) */
    pthread_attr_t at;
    cpu_set_t s;
    CPU_ZERO(&s);
    CPU_SET(0, &s);
    pthread_attr_init(&at);
    pthread_attr_setaffinity_np(&at, sizeof s, &s);
    pthread_create(&th, &at, read_own, (void *)0L);
    pthread_join(th, &r);
    printf("set at creation: %d\n", (int)(long)r);

    /* inherited: a thread pinned to the last CPU, then one pinned to the
     * first, creates one, which runs there */
    int both = 1;
    for (long cpu = ncpu - 1; cpu >= 0; cpu -= ncpu - 1 > 0 ? ncpu - 1 : 1) {
        pthread_create(&th, NULL, make_child, (void *)cpu);
        pthread_join(th, &r);
        both &= (int)(long)r;
    }
    printf("a new thread has its creator's mask and runs on its CPU: %d\n", both);

    /* no CPU of the machine: refused, the mask unchanged */
    CPU_ZERO(&s);
    CPU_SET(ncpu + 3, &s);
    int e = pthread_setaffinity_np(pthread_self(), sizeof s, &s);
    printf("a mask of no CPU: EINVAL %d, unchanged %d\n", e == EINVAL, mask_is(pthread_self(), -1));
    CPU_ZERO(&s);
    for (int i = 0; i < ncpu; i++)
        CPU_SET(i, &s);
    pin(pthread_self(), 0);
    printf("back to every CPU: %d %d\n", pthread_setaffinity_np(pthread_self(), sizeof s, &s),
           mask_is(pthread_self(), -1));
    return 0;
}
