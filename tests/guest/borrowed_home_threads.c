/* Pages that node 0 (the main thread) writes and other nodes read, then
 * write, round after round, in a cluster run: with [dsm] borrow_home
 * node 0's read-only copy is the master's home copy after the first
 * read, and it must become a copy of its own, with the right bytes,
 * whenever node 0's copy changes: when node 0 writes again (an upgrade),
 * and when another node writes (node 0 loses its copy while a reader on
 * a third node and the writer need the bytes). Then main discards the
 * pages (madvise DONTNEED: zeros on every node), a fresh mapping nobody
 * touched (nothing to tell the other nodes) that the workers then fill,
 * and pages the workers read once but only node 0 holds by then (the
 * other nodes are told nothing either, and must read zeros). Every
 * byte a thread reads is checked. */
#include "guest.h"
#include <pthread.h>
#include <sys/mman.h>

#define PAGES  512
#define PG     4096
#define ROUNDS 6

static uint8_t *buf, *fresh, *mine;
static pthread_barrier_t bar;
static size_t wrong[3];

static uint8_t val(size_t p, size_t i, int r, int who) {
    return (uint8_t)(p * 31 + i * 7 + (size_t)r * 13 + (size_t)who * 101 + 1);
}

/* the bytes of page p that thread who writes in round r */
static size_t slot(size_t p, int r, int who) {
    return (p * 97 + (size_t)r * 389 + (size_t)who * 1021) % (PG - 8) & ~(size_t)7;
}

/* page p holds main's bytes of round r at their slot (slots of
 * different threads may overlap: main's are written first, so only
 * where a worker's slot of the round does not cover them) */
static size_t check(size_t p, int r) {
    size_t bad = 0;
    int who = 1 + (int)(p % 2);
    for (size_t k = 0; k < 8; k++)
        bad +=
            buf[p * PG + slot(p, r, 0) + k] != val(p, k, r, 0) && slot(p, r, who) != slot(p, r, 0);
    return bad;
}

static void *worker(void *arg) {
    int who = (int)(intptr_t)arg;
    for (int r = 0; r < ROUNDS; r++) {
        pthread_barrier_wait(&bar); /* main wrote round r */
        for (size_t p = 0; p < PAGES; p++)
            wrong[who] += check(p, r);
        pthread_barrier_wait(&bar); /* both read */
        /* worker who writes its half of the pages (node 0 loses them) */
        for (size_t p = (size_t)who - 1; p < PAGES; p += 2)
            for (size_t k = 0; k < 8; k++)
                buf[p * PG + slot(p, r, who) + k] = val(p, k, r, who);
        pthread_barrier_wait(&bar); /* both wrote */
    }
    pthread_barrier_wait(&bar); /* main wrote mine */
    for (size_t p = (size_t)who - 1; p < PAGES; p += 2)
        wrong[who] += mine[p * PG + p % PG] != (uint8_t)(p + 3);
    pthread_barrier_wait(&bar); /* main writes mine again: only node 0 holds it */
    pthread_barrier_wait(&bar); /* main discarded buf, fresh and mine */
    for (size_t p = 0; p < PAGES; p++)
        for (size_t i = 0; i < PG; i += 64)
            wrong[who] += buf[p * PG + i] != 0;
    for (size_t p = 0; p < PAGES; p++)
        wrong[who] += mine[p * PG + p % PG] != 0;
    for (size_t p = (size_t)who - 1; p < PAGES; p += 2)
        fresh[p * PG + p % PG] = (uint8_t)(p + who);
    pthread_barrier_wait(&bar); /* both filled fresh */
    return NULL;
}

int main(void) {
    buf = mmap(NULL, PAGES * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    fresh = mmap(NULL, PAGES * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    mine = mmap(NULL, PAGES * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (buf == MAP_FAILED || fresh == MAP_FAILED || mine == MAP_FAILED) return 2;
    pthread_barrier_init(&bar, NULL, 3);
    pthread_t t[2];
    for (int w = 0; w < 2; w++)
        pthread_create(&t[w], NULL, worker, (void *)(intptr_t)(w + 1));
    for (int r = 0; r < ROUNDS; r++) {
        for (size_t p = 0; p < PAGES; p++)
            for (size_t k = 0; k < 8; k++)
                buf[p * PG + slot(p, r, 0) + k] = val(p, k, r, 0);
        pthread_barrier_wait(&bar);
        /* node 0 reads its own pages while the workers read them */
        for (size_t p = 0; p < PAGES; p++)
            wrong[0] += check(p, r);
        pthread_barrier_wait(&bar);
        pthread_barrier_wait(&bar);
        /* the workers' bytes of this round, and main's still there */
        for (size_t p = 0; p < PAGES; p++) {
            int who = 1 + (int)(p % 2);
            wrong[0] += check(p, r);
            for (size_t k = 0; k < 8; k++)
                wrong[0] += buf[p * PG + slot(p, r, who) + k] != val(p, k, r, who) &&
                            slot(p, r, who) != slot(p, r, 0);
        }
    }
    for (size_t p = 0; p < PAGES; p++)
        mine[p * PG + p % PG] = (uint8_t)(p + 3);
    pthread_barrier_wait(&bar);
    pthread_barrier_wait(&bar);
    for (size_t p = 0; p < PAGES; p++)
        mine[p * PG + p % PG] = (uint8_t)(p + 5);
    uint64_t h = g_fnv(0, buf, (size_t)PAGES * PG);
    if (madvise(buf, PAGES * PG, MADV_DONTNEED) || madvise(fresh, PAGES * PG, MADV_DONTNEED) ||
        madvise(mine, PAGES * PG, MADV_DONTNEED))
        return 3;
    pthread_barrier_wait(&bar);
    pthread_barrier_wait(&bar);
    for (size_t p = 0; p < PAGES; p++) {
        wrong[0] += buf[p * PG + p % PG] != 0;
        wrong[0] += fresh[p * PG + p % PG] != (uint8_t)(p + 1 + p % 2);
        wrong[0] += mine[p * PG + p % PG] != 0;
    }
    for (int w = 0; w < 2; w++)
        pthread_join(t[w], NULL);
    printf("rounds %d, pages %d, wrong %zu %zu %zu, hash %016llx\n", ROUNDS, PAGES, wrong[0],
           wrong[1], wrong[2], (unsigned long long)h);
    return wrong[0] || wrong[1] || wrong[2];
}
