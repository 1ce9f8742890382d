/* Pages read by threads on other nodes while the main thread (node 0 in
 * a cluster run) writes some of them and discards others, over and over.
 * The master serves those readers from node 0's own copies, so a discard
 * there must not leave the directory reading a copy that is already
 * gone: it waited forever on the fault it took (master/DESIGN.md,
 * "Layout changes"). After each discard the range reads as zero and the
 * pages around it keep their bytes. */
#include "guest.h"
#include <pthread.h>
#include <stdatomic.h>
#include <sys/mman.h>

#define PAGES   64
#define PG      4096
#define ROUNDS  200
#define READERS 3
#define SPAN    32 /* pages discarded per round */

static unsigned char *region;
static atomic_int stop;

static void *reader(void *arg) {
    unsigned x = (unsigned)(uintptr_t)arg + 1;
    long sum = 0;
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
        x = x * 1103515245u + 12345u;
        sum += region[(size_t)((x >> 8) % PAGES) * PG + x % PG];
    }
    return (void *)sum;
}

int main(void) {
    region = mmap(NULL, PAGES * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (region == MAP_FAILED) return 1;
    pthread_t t[READERS];
    for (long i = 0; i < READERS; i++)
        if (pthread_create(&t[i], NULL, reader, (void *)i)) return 1;
    long nonzero = 0, kept_wrong = 0;
    for (int k = 0; k < ROUNDS; k++) {
        for (int p = 0; p < PAGES; p += 3)
            region[(size_t)p * PG] = (unsigned char)(k | 1);
        int from = (k % 4) * 8;
        if (madvise(region + (size_t)from * PG, SPAN * PG, MADV_DONTNEED)) return 1;
        for (int p = 0; p < PAGES; p++) {
            unsigned char want =
                (p % 3 || (p >= from && p < from + SPAN)) ? 0 : (unsigned char)(k | 1);
            if (p >= from && p < from + SPAN) {
                nonzero += region[(size_t)p * PG] != 0;
            } else if (!(p % 3)) {
                kept_wrong += region[(size_t)p * PG] != want;
            }
        }
    }
    atomic_store(&stop, 1);
    for (int i = 0; i < READERS; i++)
        pthread_join(t[i], NULL);
    printf("%d rounds: discarded pages not zero %ld, written pages changed %ld\n", ROUNDS, nonzero,
           kept_wrong);
    return 0;
}
