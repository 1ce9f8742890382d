/* DSM stress: threads (spread over the nodes of a cluster run) doing
 * random reads, writes and atomics on a few shared pages, with invariants
 * checked as they go and a final checksum that depends only on the seed,
 * so it must equal a single-node run's:
 *  - LL/SC, LDADD and CAS increments of counters spread over the pages:
 *    the final counts equal the increments every thread made (exact);
 *  - each thread writes increasing, tagged values to its own slots,
 *    interleaved with the other threads' slots on the same pages (false
 *    sharing): a reader never sees a slot go back in time (per-location
 *    coherence) or carry another writer's tag, and at the end every slot
 *    holds its writer's last value;
 *  - a mutex moves amounts between two balances: their sum never changes.
 * usage: dsm_stress [THREADS [ITERS [SEED]]] */
#include "guest.h"
#include <inttypes.h>
#include <pthread.h>
#include <sys/mman.h>

#define PAGES    8
#define PG       4096
#define MAXT     32
#define COUNTERS 24 /* spread over the pages, 3 kinds each */
#define SLOTS    16 /* per thread */
#define TOTAL    1000000ull

struct thread_out {
    uint64_t incs[3][COUNTERS]; /* what this thread added, per kind and counter */
    uint64_t last[SLOTS];       /* the last value it wrote to each slot */
    uint64_t violations;
};

static uint8_t *mem; /* PAGES shared pages */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t *bal_a, *bal_b;
static int nthreads, iters;
static uint64_t seed;
static struct thread_out out[MAXT];

/* counter k of kind j: page (k + j) % PAGES, its own 8 bytes in the first 1 KiB */
static uint64_t *counter(int kind, int k) {
    return (uint64_t *)(mem + (size_t)((k + kind) % PAGES) * PG +
                        (size_t)(kind * COUNTERS + k) * 8);
}
/* slot s of thread t: the second half of page s % PAGES, threads interleaved */
static uint64_t *slot(int t, int s) {
    return (uint64_t *)(mem + (size_t)(s % PAGES) * PG + 2048 +
                        (size_t)((s / PAGES) * MAXT + t) * 8);
}

static void llsc_add(uint64_t *p, uint64_t v) {
    uint64_t t;
    uint32_t fail;
    __asm__ volatile("1: ldaxr %0, [%2]\n add %0, %0, %3\n stlxr %w1, %0, [%2]\n cbnz %w1, 1b"
                     : "=&r"(t), "=&r"(fail)
                     : "r"(p), "r"(v)
                     : "memory");
}
static void lse_add(uint64_t *p, uint64_t v) {
    uint64_t old;
    __asm__ volatile(".arch armv8.1-a\n ldaddal %1, %0, [%2]"
                     : "=&r"(old)
                     : "r"(v), "r"(p)
                     : "memory");
}
static void cas_add(uint64_t *p, uint64_t v) {
    uint64_t seen = __atomic_load_n(p, __ATOMIC_RELAXED);
    for (;;) {
        uint64_t want = seen, got = seen;
        __asm__ volatile(".arch armv8.1-a\n casal %0, %2, [%1]"
                         : "+r"(got)
                         : "r"(p), "r"(want + v)
                         : "memory");
        if (got == want) return;
        seen = got;
    }
}

static _Atomic int ready;

static void *worker(void *arg) {
    int me = (int)(intptr_t)arg;
    struct thread_out *o = &out[me];
    uint64_t rng = seed * 7919 + (uint64_t)me + 1, seq = 0;
    static __thread uint64_t seen[MAXT][SLOTS];
    ready++;
    while (ready < nthreads)
        ;
    for (int i = 0; i < iters; i++) {
        uint64_t r = g_rand(&rng);
        int op = (int)(r % 10), k = (int)((r >> 8) % COUNTERS), v = (int)((r >> 16) % 7) + 1;
        int s = (int)((r >> 24) % SLOTS), u = (int)((r >> 32) % (uint64_t)nthreads);
        switch (op) {
        case 0:
        case 1:
            llsc_add(counter(0, k), (uint64_t)v);
            o->incs[0][k] += (uint64_t)v;
            break;
        case 2:
            lse_add(counter(1, k), (uint64_t)v);
            o->incs[1][k] += (uint64_t)v;
            break;
        case 3:
            cas_add(counter(2, k), (uint64_t)v);
            o->incs[2][k] += (uint64_t)v;
            break;
        case 4:
        case 5:
        case 6: {
            /* tag = writer + 1 in the top byte, then a sequence number */
            uint64_t val = ((uint64_t)(me + 1) << 56) | ++seq;
            __atomic_store_n(slot(me, s), val, __ATOMIC_RELEASE);
            o->last[s] = val;
            break;
        }
        case 7:
        case 8: {
            uint64_t val = __atomic_load_n(slot(u, s), __ATOMIC_ACQUIRE);
            if (val && (val >> 56) != (uint64_t)(u + 1)) o->violations++;
            if (val < seen[u][s]) o->violations++;
            seen[u][s] = val;
            break;
        }
        case 9:
            if (i % 8) break;
            pthread_mutex_lock(&lock);
            if (*bal_a + *bal_b != TOTAL) o->violations++;
            uint64_t amt = (r >> 40) % 100;
            if (*bal_a >= amt) {
                *bal_a -= amt;
                *bal_b += amt;
            } else {
                *bal_b -= amt;
                *bal_a += amt;
            }
            pthread_mutex_unlock(&lock);
            break;
        }
    }
    return NULL;
}

int main(int argc, char **argv) {
    nthreads = argc > 1 ? atoi(argv[1]) : 8;
    iters = argc > 2 ? atoi(argv[2]) : 20000;
    seed = argc > 3 ? strtoull(argv[3], NULL, 0) : 1;
    if (nthreads < 1 || nthreads > MAXT || iters < 1) return 2;
    mem = mmap(NULL, PAGES * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) return 3;
    bal_a = (uint64_t *)(mem + 1024); /* on page 0, next to counters */
    bal_b = (uint64_t *)(mem + PG + 1024);
    *bal_a = TOTAL;
    pthread_t t[MAXT];
    for (int i = 0; i < nthreads; i++)
        pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i);
    for (int i = 0; i < nthreads; i++)
        pthread_join(t[i], NULL);

    uint64_t bad_counts = 0, bad_slots = 0, violations = 0, h = 0;
    for (int j = 0; j < 3; j++)
        for (int k = 0; k < COUNTERS; k++) {
            uint64_t want = 0;
            for (int i = 0; i < nthreads; i++)
                want += out[i].incs[j][k];
            bad_counts += *counter(j, k) != want;
            h = g_fnv64(h, *counter(j, k));
        }
    for (int i = 0; i < nthreads; i++) {
        violations += out[i].violations;
        for (int s = 0; s < SLOTS; s++) {
            bad_slots += *slot(i, s) != out[i].last[s];
            h = g_fnv64(h, *slot(i, s));
        }
    }
    printf("threads %d iters %d seed %" PRIu64 "\n", nthreads, iters, seed);
    printf("counters wrong %" PRIu64 ", slots wrong %" PRIu64 ", violations %" PRIu64
           ", balance %s\n",
           bad_counts, bad_slots, violations, *bal_a + *bal_b == TOTAL ? "kept" : "BROKEN");
    printf("checksum %016" PRIx64 "\n", h);
    return bad_counts || bad_slots || violations || *bal_a + *bal_b != TOTAL;
}
