/* Heavy contention on exclusives and LSE atomics, meant for a cluster run
 * (threads spread over nodes, so every store-exclusive may find its page
 * gone): LDXR/STXR and LDAXP/STLXP increments of one hot counter and of
 * per-thread counters on the same page, LDADD and a CAS loop on another
 * page. Every count must be exact.
 * usage: llsc_contend [THREADS [ITERS]] */
#include "guest.h"
#include <inttypes.h>
#include <pthread.h>
#include <sys/mman.h>

#define MAXT 64

struct shared {
    uint64_t hot;        /* page 0: everyone's LL/SC counter */
    uint64_t mine[MAXT]; /* page 0: one LL/SC counter per thread (false sharing) */
    uint64_t pad[512 - 1 - MAXT - 2];
    uint64_t pair[2]; /* end of page 0: LDAXP/STLXP */
    uint64_t lse_add; /* page 1: LDADDAL */
    uint64_t lse_cas; /* page 1: CASAL loop */
    uint64_t pad2[510];
    uint64_t ready; /* page 2: the start line */
};
_Static_assert(sizeof(uint64_t) * 512 == 4096, "page");

static struct shared *sh;
static int nthreads, iters;

static void llsc_inc(uint64_t *p) {
    uint64_t t;
    uint32_t fail;
    __asm__ volatile("1: ldaxr %0, [%2]\n add %0, %0, #1\n stlxr %w1, %0, [%2]\n cbnz %w1, 1b"
                     : "=&r"(t), "=&r"(fail)
                     : "r"(p)
                     : "memory");
}
static void llsc_inc_relaxed(uint64_t *p) {
    uint64_t t;
    uint32_t fail;
    __asm__ volatile("1: ldxr %0, [%2]\n add %0, %0, #1\n stxr %w1, %0, [%2]\n cbnz %w1, 1b"
                     : "=&r"(t), "=&r"(fail)
                     : "r"(p)
                     : "memory");
}
static void llsc_pair(uint64_t *p) {
    uint64_t lo, hi;
    uint32_t fail;
    __asm__ volatile("1: ldaxp %0, %1, [%3]\n add %0, %0, #1\n add %1, %1, #3\n"
                     " stlxp %w2, %0, %1, [%3]\n cbnz %w2, 1b"
                     : "=&r"(lo), "=&r"(hi), "=&r"(fail)
                     : "r"(p)
                     : "memory");
}
static void lse_add(uint64_t *p) {
    uint64_t one = 1, old;
    __asm__ volatile(".arch armv8.1-a\n ldaddal %1, %0, [%2]"
                     : "=&r"(old)
                     : "r"(one), "r"(p)
                     : "memory");
}
static void lse_cas_inc(uint64_t *p) {
    uint64_t seen = __atomic_load_n(p, __ATOMIC_RELAXED);
    for (;;) {
        uint64_t want = seen, v = seen;
        __asm__ volatile(".arch armv8.1-a\n casal %0, %2, [%1]"
                         : "+r"(v)
                         : "r"(p), "r"(want + 1)
                         : "memory");
        if (v == want) return;
        seen = v;
    }
}

static void *worker(void *arg) {
    int id = (int)(intptr_t)arg;
    /* everybody starts together, or remote threads would start after
     * the first ones finished and nothing would contend */
    __atomic_add_fetch(&sh->ready, 1, __ATOMIC_SEQ_CST);
    while (__atomic_load_n(&sh->ready, __ATOMIC_ACQUIRE) < (uint64_t)nthreads)
        ;
    for (int i = 0; i < iters; i++) {
        llsc_inc(&sh->hot);
        llsc_inc_relaxed(&sh->mine[id]);
        lse_add(&sh->lse_add);
        lse_cas_inc(&sh->lse_cas);
        if (i % 4 == 0) llsc_pair(sh->pair);
    }
    return NULL;
}

int main(int argc, char **argv) {
    nthreads = argc > 1 ? atoi(argv[1]) : 8;
    iters = argc > 2 ? atoi(argv[2]) : 2000;
    if (nthreads < 1 || nthreads > MAXT || iters < 1) return 2;
    sh = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED) return 3;
    pthread_t t[MAXT];
    for (int i = 0; i < nthreads; i++)
        pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i);
    for (int i = 0; i < nthreads; i++)
        pthread_join(t[i], NULL);
    uint64_t want = (uint64_t)nthreads * (uint64_t)iters;
    uint64_t pairs = (uint64_t)nthreads * (uint64_t)((iters + 3) / 4);
    int bad = sh->hot != want || sh->lse_add != want || sh->lse_cas != want ||
              sh->pair[0] != pairs || sh->pair[1] != 3 * pairs;
    for (int i = 0; i < nthreads; i++)
        bad |= sh->mine[i] != (uint64_t)iters;
    printf("threads %d iters %d: hot %" PRIu64 " lse_add %" PRIu64 " lse_cas %" PRIu64
           " pair %" PRIu64 " %" PRIu64 "\n",
           nthreads, iters, sh->hot, sh->lse_add, sh->lse_cas, sh->pair[0], sh->pair[1]);
    printf("%s\n", bad ? "MISMATCH" : "exact");
    return bad;
}
