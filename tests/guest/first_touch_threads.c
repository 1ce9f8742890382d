/* Fresh memory written for the first time in streams, by threads on
 * different nodes in a cluster run ([dsm] first_touch_ahead claims the
 * next untouched pages of a stream for its writer): a worker fills its
 * own buffer forwards, another fills one backwards, the main thread fills
 * a third with a stride of 3 pages while a worker touches the pages in
 * between, and everyone then reads what the others wrote. */
#include "guest.h"
#include <pthread.h>
#include <sys/mman.h>

#define PAGES 2048
#define PG    4096

static uint8_t *fwd_buf, *bwd_buf, *mixed;

static void *forwards(void *arg) {
    fwd_buf = mmap(NULL, PAGES * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    for (size_t p = 0; p < PAGES; p++)
        fwd_buf[p * PG + p % PG] = (uint8_t)(p * 7 + 1);
    return arg;
}

static void *backwards(void *arg) {
    bwd_buf = mmap(NULL, PAGES * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    for (size_t p = PAGES; p-- > 0;)
        bwd_buf[p * PG + 100] = (uint8_t)(p * 5 + 3);
    return arg;
}

/* the pages the main thread's stride of 3 leaves out */
static void *between(void *arg) {
    for (size_t p = 0; p < PAGES; p++)
        if (p % 3) mixed[p * PG + 8] = (uint8_t)(p + 11);
    return arg;
}

int main(void) {
    mixed = mmap(NULL, PAGES * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mixed == MAP_FAILED) return 2;
    pthread_t t[3];
    pthread_create(&t[0], NULL, forwards, NULL);
    pthread_create(&t[1], NULL, backwards, NULL);
    pthread_create(&t[2], NULL, between, NULL);
    for (size_t p = 0; p < PAGES; p += 3)
        mixed[p * PG + 8] = (uint8_t)(p + 11);
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    uint64_t h = 0;
    size_t wrong = 0, nonzero = 0;
    for (size_t p = 0; p < PAGES; p++) {
        wrong += fwd_buf[p * PG + p % PG] != (uint8_t)(p * 7 + 1);
        wrong += bwd_buf[p * PG + 100] != (uint8_t)(p * 5 + 3);
        wrong += mixed[p * PG + 8] != (uint8_t)(p + 11);
        /* and nothing else in the pages: claimed pages start as zeros */
        for (size_t i = 0; i < PG; i += 512)
            nonzero += i != 0 && fwd_buf[p * PG + i] && i != p % PG;
        h = g_fnv(h, fwd_buf + p * PG, 64);
        h = g_fnv(h, bwd_buf + p * PG + 64, 64);
        h = g_fnv(h, mixed + p * PG, 64);
    }
    printf("pages %d x 3, wrong %zu, stray bytes %zu, hash %016llx\n", PAGES, wrong, nonzero,
           (unsigned long long)h);
    return wrong || nonzero;
}
