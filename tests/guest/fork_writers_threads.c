/* fork while threads on other nodes keep storing to memory the child
 * reads: a cluster's fork first gathers every page into node 0, and the
 * writers took pages away again as fast as they came, so fork failed
 * with EAGAIN after its tries, which Linux never answers for this (the
 * master now holds other nodes' requests while it gathers: master/fork.c).
 * Each child reads every page and exits 3. */
#include "guest.h"
#include <pthread.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGES   32
#define PG      4096
#define FORKS   20
#define WRITERS 2

static unsigned char *region;
static atomic_int stop;

static void *writer(void *arg) {
    unsigned x = (unsigned)(uintptr_t)arg + 1;
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
        x = x * 1103515245u + 12345u;
        region[(size_t)((x >> 8) % PAGES) * PG + x % PG] = (unsigned char)(x >> 24);
    }
    return NULL;
}

int main(void) {
    region = mmap(NULL, PAGES * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (region == MAP_FAILED) return 1;
    pthread_t t[WRITERS];
    for (long i = 0; i < WRITERS; i++)
        if (pthread_create(&t[i], NULL, writer, (void *)i)) return 1;
    int forked = 0, exited = 0;
    for (int k = 0; k < FORKS; k++) {
        pid_t p = fork();
        if (p == 0) {
            long sum = 0;
            for (size_t i = 0; i < (size_t)PAGES * PG; i += 64)
                sum += region[i];
            _exit(sum >= 0 ? 3 : 4);
        }
        if (p < 0) continue;
        forked++;
        int st;
        exited += waitpid(p, &st, 0) == p && WIFEXITED(st) && WEXITSTATUS(st) == 3;
    }
    atomic_store(&stop, 1);
    for (int i = 0; i < WRITERS; i++)
        pthread_join(t[i], NULL);
    printf("%d forks under %d writers: %d made, %d children read every page\n", FORKS, WRITERS,
           forked, exited);
    return 0;
}
