/* Pages written and read by threads on other nodes while the main thread
 * (node 0 in a cluster run) discards them, over and over: a write racing
 * a discard may land or be zeroed, as on Linux, but no thread may wait
 * forever. A slave applies a discard where the master put it among the
 * directory's messages (master/DESIGN.md, "Layout changes"); applied
 * later, it removed a page granted after it, the directory then held
 * that node for the page's owner, and its next fault on the page got a
 * grant with no data to install. */
#include "guest.h"
#include <pthread.h>
#include <stdatomic.h>
#include <sys/mman.h>

#define PAGES   32
#define PG      4096
#define ROUNDS  300
#define WORKERS 3

static unsigned char *region;
static atomic_int stop;
static atomic_long sums[WORKERS]; /* keeps the reads */

static void *worker(void *arg) {
    long id = (long)arg;
    unsigned x = (unsigned)id + 1;
    long sum = 0;
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
        x = x * 1103515245u + 12345u;
        unsigned char *p = region + (size_t)((x >> 8) % PAGES) * PG + x % PG;
        if (id == 1) /* one reader among writers */
            sum += *p;
        else
            *p = (unsigned char)(x >> 24);
    }
    atomic_store(&sums[id], sum);
    return NULL;
}

int main(void) {
    region = mmap(NULL, PAGES * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (region == MAP_FAILED) return 1;
    pthread_t t[WORKERS];
    for (long i = 0; i < WORKERS; i++)
        if (pthread_create(&t[i], NULL, worker, (void *)i)) return 1;
    long failed = 0;
    for (int k = 0; k < ROUNDS; k++) {
        failed += madvise(region + (size_t)(k % 2) * 8 * PG, 16 * PG, MADV_DONTNEED) != 0;
        region[(size_t)(k % PAGES) * PG] = 1;
    }
    atomic_store(&stop, 1);
    for (int i = 0; i < WORKERS; i++)
        pthread_join(t[i], NULL);
    printf("%d discards under %d threads' accesses: failed %ld, every thread finished\n", ROUNDS,
           WORKERS, failed);
    return 0;
}
