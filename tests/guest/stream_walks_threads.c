/* Streams of reads across nodes, the shapes forwarding pushes pages
 * ahead of: a worker (node 1 in a cluster run) reads pages the main
 * thread (node 0) wrote, forwards, backwards and with a stride of 3, and
 * then reads the second half of a forward stream after main wrote it
 * again (the copies pushed ahead of the first half must be invalidated).
 * In a cluster the pushes travel in runs either way (dsm/DESIGN.md, "Runs
 * and tripwires"). Every 16th byte read is checked. */
#include "guest.h"
#include <pthread.h>
#include <sys/mman.h>

#define PAGES 1024
#define PG    4096

static uint8_t *buf;
static pthread_barrier_t bar;
static size_t wrong[5], pages_read[5];

static uint8_t val(size_t p, size_t i, int r) {
    return (uint8_t)(p * 131 + i * 7 + (size_t)r * 29 + 1);
}

static void fill(size_t from, size_t to, int r) {
    for (size_t p = from; p < to; p++)
        for (size_t i = 0; i < PG; i++)
            buf[p * PG + i] = val(p, i, r);
}

static void check(size_t p, int r, int pass) {
    for (size_t i = 0; i < PG; i += 16)
        wrong[pass] += buf[p * PG + i] != val(p, i, r);
    pages_read[pass]++;
}

static void *worker(void *arg) {
    (void)arg;
    pthread_barrier_wait(&bar); /* round 0 written */
    for (size_t p = 0; p < PAGES; p++)
        check(p, 0, 0);
    pthread_barrier_wait(&bar);
    pthread_barrier_wait(&bar); /* round 1 */
    for (size_t p = PAGES; p-- > 0;)
        check(p, 1, 1);
    pthread_barrier_wait(&bar);
    pthread_barrier_wait(&bar); /* round 2 */
    for (size_t s = 0; s < 3; s++)
        for (size_t p = s; p < PAGES; p += 3)
            check(p, 2, 2);
    pthread_barrier_wait(&bar);
    pthread_barrier_wait(&bar); /* round 3 */
    for (size_t p = 0; p < PAGES / 2; p++)
        check(p, 3, 3);
    pthread_barrier_wait(&bar);
    pthread_barrier_wait(&bar); /* the second half rewritten as round 4 */
    for (size_t p = PAGES / 2; p < PAGES; p++)
        check(p, 4, 4);
    return NULL;
}

int main(void) {
    buf =
        mmap(NULL, (size_t)PAGES * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (buf == MAP_FAILED) return 2;
    pthread_barrier_init(&bar, NULL, 2);
    pthread_t t;
    pthread_create(&t, NULL, worker, NULL);
    for (int r = 0; r < 4; r++) {
        fill(0, PAGES, r);
        pthread_barrier_wait(&bar);
        pthread_barrier_wait(&bar); /* read */
    }
    fill(PAGES / 2, PAGES, 4);
    pthread_barrier_wait(&bar);
    pthread_join(t, NULL);
    static const char *const names[] = {"forward", "backward", "stride 3", "first half",
                                        "second half rewritten"};
    for (int k = 0; k < 5; k++)
        printf("%s: pages %zu wrong %zu\n", names[k], pages_read[k], wrong[k]);
    printf("hash %016llx\n", (unsigned long long)g_fnv(0, buf, (size_t)PAGES * PG));
    return 0;
}
