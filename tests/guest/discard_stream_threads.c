/* Memory that a stream of reads was pushing ahead into is zeroed or
 * replaced while the pushes are under way: a worker (node 1 in a cluster
 * run) fills a region, the main thread (node 0) reads its first pages in
 * order, so that forwarding pushes the next ones to node 0, and at once
 * discards the region (MADV_DONTNEED), maps fresh memory over it
 * (MAP_FIXED), or gives it back to brk and takes it again. Every byte
 * sampled afterwards must be zero: a page pushed before the change and
 * installed after it would show the worker's bytes (master/DESIGN.md,
 * "Layout changes"). */
#include "guest.h"
#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGES  256
#define PG     4096
#define ROUNDS 12
#define LEAD   32 /* pages main reads in order before the change */

enum change { DISCARD, MAP_OVER, BRK_AGAIN, CHANGES };
static const char *const names[CHANGES] = {"MADV_DONTNEED", "mmap MAP_FIXED over it",
                                           "brk down and up again"};

static unsigned char *region;
static pthread_barrier_t bar;

static void *worker(void *arg) {
    (void)arg;
    for (int c = 0; c < CHANGES; c++)
        for (int k = 0; k < ROUNDS; k++) {
            pthread_barrier_wait(&bar); /* region is set */
            for (int p = 0; p < PAGES; p++)
                memset(region + (size_t)p * PG, 1 + (k & 0x3f), PG);
            pthread_barrier_wait(&bar); /* filled */
            pthread_barrier_wait(&bar); /* changed and checked */
        }
    return NULL;
}

/* The change itself; returns the region's address afterwards. */
static unsigned char *change(enum change c, unsigned char *r) {
    switch (c) {
    case DISCARD: return madvise(r, PAGES * PG, MADV_DONTNEED) ? NULL : r;
    case MAP_OVER: {
        void *p = mmap(r, PAGES * PG, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
        return p == MAP_FAILED ? NULL : p;
    }
    case BRK_AGAIN:
        if (sbrk(-(intptr_t)(PAGES * PG)) == (void *)-1) return NULL;
        return sbrk(PAGES * PG) == (void *)-1 ? NULL : r;
    default: return NULL;
    }
}

int main(void) {
    printf("%d pages, %d rounds per change, %d pages read in order before it\n", PAGES, ROUNDS,
           LEAD);
    pthread_barrier_init(&bar, NULL, 2);
    pthread_t t;
    if (pthread_create(&t, NULL, worker, NULL)) return 1;
    unsigned char *mapped =
        mmap(NULL, PAGES * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    unsigned char *brk_region = sbrk(PAGES * PG);
    if (mapped == MAP_FAILED || brk_region == (void *)-1) return 1;
    for (int c = 0; c < CHANGES; c++) {
        long before = 0, nonzero = 0, failed = 0;
        for (int k = 0; k < ROUNDS; k++) {
            region = c == BRK_AGAIN ? brk_region : mapped;
            pthread_barrier_wait(&bar);
            pthread_barrier_wait(&bar);
            for (int p = 0; p < LEAD; p++)
                before += region[(size_t)p * PG + (size_t)p];
            unsigned char *r = change((enum change)c, region);
            if (!r) {
                failed++;
            } else {
                for (size_t i = 0; i < (size_t)PAGES * PG; i += 256)
                    nonzero += r[i] != 0;
            }
            pthread_barrier_wait(&bar);
        }
        printf("%s: bytes read before %ld, calls failed %ld, nonzero samples after %ld\n", names[c],
               before, failed, nonzero);
    }
    pthread_join(t, NULL);
    return 0;
}
