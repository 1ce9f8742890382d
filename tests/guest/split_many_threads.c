/* Many falsely shared pages over a program's life (issue 5, page
 * splitting): 4 threads each write their own 128-byte slice of every page
 * of a 400-page mapping, 8 passes; then the main thread checks the
 * slices and unmaps it, and does it all again with a fresh mapping. On a
 * cluster with `dsm.split = on` each page may be split, and the second
 * round's pages (often at the same addresses) again: more splits than a
 * fixed shadow area of 256 slots held, so the master must keep finding
 * room (tests/guest/split_many.sh checks that it did). The output is the
 * same on one node, on a cluster and under qemu-aarch64. */
#include "guest.h"
#include <pthread.h>
#include <sys/mman.h>

#define THREADS 4
#define SLICE   128
#define PAGES   400
#define PASSES  8
#define ROUNDS  2
#define PAGE    4096

static unsigned char *region;

static void *writer(void *arg) {
    int t = (int)(long)arg;
    for (int pass = 0; pass < PASSES; pass++)
        for (int p = 0; p < PAGES; p++) {
            volatile uint64_t *w = (volatile uint64_t *)(region + (size_t)p * PAGE + t * SLICE);
            w[0] = w[0] + (uint64_t)(t + 1);
            w[1 + (pass & 7)] = (uint64_t)(pass + 1) * (uint64_t)(t + 3) + (uint64_t)p;
        }
    return NULL;
}

int main(void) {
    for (int round = 0; round < ROUNDS; round++) {
        region = mmap(NULL, (size_t)PAGES * PAGE, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        CHECK(region != MAP_FAILED);
        pthread_t tid[THREADS];
        for (int t = 0; t < THREADS; t++)
            CHECK(pthread_create(&tid[t], NULL, writer, (void *)(long)t) == 0);
        for (int t = 0; t < THREADS; t++)
            CHECK(pthread_join(tid[t], NULL) == 0);
        /* every slice holds what its owner wrote last, and the rest of
         * each page is untouched */
        uint64_t h = 0;
        int bad = 0;
        for (int p = 0; p < PAGES; p++) {
            const uint64_t *pg = (const uint64_t *)(region + (size_t)p * PAGE);
            for (int t = 0; t < THREADS; t++) {
                const uint64_t *w = pg + t * SLICE / 8;
                bad |= w[0] != (uint64_t)PASSES * (uint64_t)(t + 1);
                for (int k = 0; k < 8; k++) {
                    uint64_t want = 0;
                    for (int pass = 0; pass < PASSES; pass++)
                        if ((pass & 7) == k)
                            want = (uint64_t)(pass + 1) * (uint64_t)(t + 3) + (uint64_t)p;
                    bad |= w[1 + k] != want;
                }
            }
            for (int i = THREADS * SLICE / 8; i < PAGE / 8; i++)
                bad |= pg[i] != 0;
            h = g_fnv(h, pg, PAGE);
        }
        printf("round %d: %d pages, %s, %016llx\n", round, PAGES, bad ? "BAD" : "slices ok",
               (unsigned long long)h);
        CHECK(munmap(region, (size_t)PAGES * PAGE) == 0);
    }
    printf("ok\n");
    return 0;
}
