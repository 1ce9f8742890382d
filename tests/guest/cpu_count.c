/* The CPU count a program sees, every way glibc and tools ask:
 * get_nprocs, sysconf(_SC_NPROCESSORS_ONLN/CONF), sched_getaffinity
 * (what nproc counts; also of another thread), "processor" lines of /proc/cpuinfo and
 * /sys/devices/system/cpu/online. Without arguments it prints how they
 * relate (the same on any host); with "raw" it prints the counts
 * (cpu_count_cluster.sh checks them against the cluster's size). */
#include "guest.h"
#include <pthread.h>
#include <sched.h>
#include <sys/sysinfo.h>
#include <unistd.h>

static int cpuinfo_processors(void) {
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return -1;
    char line[512];
    int n = 0;
    while (fgets(line, sizeof line, f))
        n += !strncmp(line, "processor", 9);
    fclose(f);
    return n;
}

/* "0-N" or "0": N+1. */
static int online_range(void) {
    FILE *f = fopen("/sys/devices/system/cpu/online", "r");
    if (!f) return -1;
    int lo = 0, hi = -1, n = fscanf(f, "%d-%d", &lo, &hi);
    fclose(f);
    return n == 2 ? hi - lo + 1 : n == 1 ? 1 : -1;
}

static pthread_barrier_t bar;
static void *parked(void *arg) {
    (void)arg;
    pthread_barrier_wait(&bar); /* alive while main asks about it */
    pthread_barrier_wait(&bar);
    return NULL;
}

/* The affinity of another thread of this process, as
 * pthread_getaffinity_np asks (sched_getaffinity of its tid). */
static int other_thread_affinity(void) {
    pthread_t th;
    pthread_barrier_init(&bar, NULL, 2);
    pthread_create(&th, NULL, parked, NULL);
    pthread_barrier_wait(&bar);
    cpu_set_t set;
    CPU_ZERO(&set);
    int n = pthread_getaffinity_np(th, sizeof set, &set) == 0 ? CPU_COUNT(&set) : -1;
    pthread_barrier_wait(&bar);
    pthread_join(th, NULL);
    return n;
}

int main(int argc, char **argv) {
    cpu_set_t set;
    CPU_ZERO(&set);
    int aff = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : -1;
    int np = get_nprocs(), onln = (int)sysconf(_SC_NPROCESSORS_ONLN);
    int conf = (int)sysconf(_SC_NPROCESSORS_CONF), info = cpuinfo_processors();
    int online = online_range(), other = other_thread_affinity();
    if (argc > 1 && !strcmp(argv[1], "raw")) {
        printf("nprocs %d onln %d conf %d affinity %d cpuinfo %d online %d thread %d\n", np, onln,
               conf, aff, info, online, other);
        return 0;
    }
    printf("get_nprocs > 0: %d\n", np > 0);
    printf("sysconf ONLN == get_nprocs: %d\n", onln == np);
    printf("sysconf CONF >= ONLN: %d\n", conf >= onln);
    printf("cpuinfo processors == get_nprocs: %d\n", info == np);
    printf("online range == get_nprocs: %d\n", online == np);
    printf("affinity in 1..nprocs: %d\n", aff >= 1 && aff <= np);
    printf("another thread's affinity == this one's: %d\n", other == aff);
    G_DONE();
}
