/* For the cluster test cpu-pin-n2 (tests/cluster/cluster_test.sh): one
 * thread per CPU pins itself to that CPU and reports "CPU NODE WHERE":
 * the NUMA node getcpu gives it (a cluster's node) and the CPU it runs
 * on once pinned. The output depends on the machine, so it is no guest
 * corpus program. */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <unistd.h>

static void *report(void *arg) {
    int cpu = (int)(long)arg;
    cpu_set_t s;
    CPU_ZERO(&s);
    CPU_SET(cpu, &s);
    if (pthread_setaffinity_np(pthread_self(), sizeof s, &s)) return NULL;
    unsigned where = 0, node = 0;
    /* the kernel moves the thread when it next runs: let it */
    for (int i = 0; i < 20; i++) {
        usleep(1000);
        syscall(SYS_getcpu, &where, &node, NULL);
        if ((int)where == cpu) break;
    }
    printf("%d %u %u\n", cpu, node, where);
    return NULL;
}

int main(void) {
    int n = get_nprocs();
    for (long i = 0; i < n; i++) {
        pthread_t th;
        pthread_create(&th, NULL, report, (void *)i);
        pthread_join(th, NULL);
    }
    return 0;
}
