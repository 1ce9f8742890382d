/* False sharing with known final values (issue 5, page splitting): 8
 * threads each own a 128-byte slice of one page and hammer it with every
 * access the DBT may have to redirect once the page is split: 1/2/4/8-byte
 * stores and loads, a 16-byte pair (STP/LDP), a store that straddles two
 * 64-byte halves of the slice, LL/SC and LSE-style atomics
 * (__atomic builtins), and memcpy/memset over the whole slice (which may
 * use vector stores). A second page has 4-byte slots interleaved between
 * threads (a grain finer than any split), and a syscall (write to a pipe
 * and read back) moves a slice through the kernel. Final values are
 * exactly known; the output is the same on one node, on a cluster and
 * under qemu-aarch64. */
#include "guest.h"
#include <pthread.h>
#include <stddef.h>
#include <unistd.h>

#define THREADS 8
#define SLICE   128
#define ITERS   3000

static _Alignas(4096) unsigned char page[4096];
static _Alignas(4096) uint32_t fine[1024]; /* slot i * THREADS + t belongs to thread t */
static int pipes[THREADS][2];

struct slice {
    uint64_t counter;           /* plain 8-byte read-modify-write */
    uint64_t atomic;            /* __atomic_fetch_add (LDXR/STXR or LDADD) */
    uint32_t w32[4];            /* 4-byte stores */
    uint16_t h16[4];            /* 2-byte stores */
    uint8_t b8[8];              /* byte stores */
    uint64_t cas;               /* compare-and-swap loop */
    unsigned char straddle[16]; /* offsets 56..71: an 8-byte store at 60 crosses 64 */
    uint64_t pair[2];           /* written together (STP) */
    unsigned char tail[SLICE - 88];
};
_Static_assert(sizeof(struct slice) == SLICE && offsetof(struct slice, straddle) == 56,
               "slice layout");

static void *worker(void *arg) {
    int t = (int)(long)arg;
    volatile struct slice *s = (volatile struct slice *)(page + t * SLICE);
    for (int i = 1; i <= ITERS; i++) {
        s->counter = s->counter + (uint64_t)t + 1;
        __atomic_fetch_add((uint64_t *)&s->atomic, 2, __ATOMIC_SEQ_CST);
        s->w32[i & 3] = (uint32_t)(i * 7 + t);
        s->h16[i & 3] = (uint16_t)(i + t);
        s->b8[i & 7] = (uint8_t)(i ^ t);
        uint64_t pr[2] = {(uint64_t)i, (uint64_t)i * 3};
        memcpy((void *)s->pair, pr, sizeof pr);
        uint64_t old = __atomic_load_n((uint64_t *)&s->cas, __ATOMIC_RELAXED);
        while (!__atomic_compare_exchange_n((uint64_t *)&s->cas, &old, old + 5, 0, __ATOMIC_ACQ_REL,
                                            __ATOMIC_RELAXED)) {
        }
        uint64_t st = (uint8_t)i * 0x0101010101010101ull;
        memcpy((void *)(page + t * SLICE + 60), &st, 8); /* unaligned, across offset 64 */
        fine[(i % 128) * THREADS + t] += (uint32_t)(t + 1);
        if (i % 1000 == 0) {
            memset((void *)s->tail, (int)(i / 1000 + t), sizeof s->tail);
        }
    }
    /* the slice through the kernel: written to a pipe from the page, read
     * back into it (a syscall buffer inside a falsely shared page) */
    unsigned char copy[SLICE];
    if (write(pipes[t][1], (const void *)s, SLICE) != SLICE) return (void *)1;
    memset((void *)s, 0, SLICE);
    if (read(pipes[t][0], (void *)s, SLICE) != SLICE) return (void *)1;
    memcpy(copy, (const void *)s, SLICE);
    return (void *)(long)(copy[0] != (unsigned char)(s->counter & 0xff));
}

int main(void) {
    pthread_t tid[THREADS];
    for (int t = 0; t < THREADS; t++)
        CHECK(pipe(pipes[t]) == 0);
    for (int t = 0; t < THREADS; t++)
        CHECK(pthread_create(&tid[t], NULL, worker, (void *)(long)t) == 0);
    for (int t = 0; t < THREADS; t++) {
        void *r;
        pthread_join(tid[t], &r);
        CHECK(r == NULL);
    }
    uint64_t h = 0;
    for (int t = 0; t < THREADS; t++) {
        const struct slice *s = (const struct slice *)(page + t * SLICE);
        CHECK(s->counter == (uint64_t)ITERS * (t + 1));
        CHECK(s->atomic == 2ull * ITERS);
        CHECK(s->cas == 5ull * ITERS);
        CHECK(s->pair[0] == ITERS && s->pair[1] == 3ull * ITERS);
        for (int k = 0; k < 4; k++) {
            int i = ITERS - ((ITERS - k) & 3); /* the last i with i & 3 == k */
            CHECK(s->w32[k] == (uint32_t)(i * 7 + t));
            CHECK(s->h16[k] == (uint16_t)(i + t));
        }
        for (int k = 0; k < 8; k++) {
            int i = ITERS - ((ITERS - k) & 7);
            CHECK(s->b8[k] == (uint8_t)(i ^ t));
        }
        for (int k = 0; k < 8; k++)
            CHECK(page[t * SLICE + 60 + k] == (uint8_t)ITERS);
        CHECK(s->tail[0] == (unsigned char)(ITERS / 1000 + t));
        h = g_fnv(h, s, SLICE);
    }
    for (int k = 0; k < 1024; k++) {
        int t = k % THREADS, slot = k / THREADS;
        /* slot j gets (t + 1) for every i in 1..ITERS with i % 128 == j */
        uint32_t n = (uint32_t)(ITERS / 128 + (slot >= 1 && slot <= ITERS % 128));
        CHECK(fine[k] == n * (uint32_t)(t + 1));
    }
    h = g_fnv(h, fine, sizeof fine);
    printf("false sharing: %d threads x %d iterations, checksum %016llx\n", THREADS, ITERS,
           (unsigned long long)h);
    G_DONE();
}
