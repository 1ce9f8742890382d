/* A grouped workload for hint placement (include/shoal/hint.h): THREADS
 * threads in GROUPS groups; a group shares data only within itself.
 *
 *   grouped THREADS GROUPS stencil|pipeline [STEPS]
 *
 * stencil   each group runs its own heat stencil on its own grid (one row
 *           = 512 doubles = one page; 8 rows per thread): every step a
 *           thread reads its neighbours' edge rows, then waits at its
 *           group's barrier. Default 200 steps.
 * pipeline  each group is a pipeline of its threads: the first stage
 *           fills page-sized blocks, every stage adds its number to every
 *           word and hands the block on through a queue (mutex + condition
 *           variable), the last one checksums it and returns it to the
 *           first. Default 200 blocks per group.
 *
 * Thread i belongs to group i * GROUPS / THREADS and is created with
 * SHOAL_HINT_NEXT_GROUP(group): under `sched.placement = hint` a group
 * shares a node, and its sharing stays inside it; under round-robin its
 * members sit on different nodes. With GROUPED_PIN=1 in its environment
 * each thread instead pins itself (sched_setaffinity, the standard API)
 * to the CPUs of its group's share of the machine: on a cluster, whose
 * CPUs are every node's, each thread then moves to its group's share
 * (docs/cluster.md, "One machine's CPUs"). The marks never change the result:
 * every group's data is page-aligned and its own, and the output (one
 * RESULT line) is the same on any placement, node count or machine:
 *
 *   RESULT workload=grouped mode=stencil threads=16 groups=4 steps=200
 *          checksum=HEX check=OK                         (one line)
 *
 * Exit 0, 1 when the self-check failed, 2 on bad arguments.
 * Build: aarch64-linux-gnu-gcc -std=c11 -D_GNU_SOURCE -O2 -pthread -static
 *        -Iinclude bench/hint/grouped.c */
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef __aarch64__
#include "shoal/hint.h"
#else
#define SHOAL_HINT_NEXT_GROUP(g) ((void)(g))
#endif

#define PAGE            4096
#define W               (PAGE / sizeof(double)) /* doubles per row: one page */
#define ROWS_PER_THREAD 8
#define WORDS           (PAGE / 8) /* words per pipeline block */
#define POOL            8          /* blocks in flight per group */

/* A queue of block numbers, never full (capacity >= the pool). */
struct queue {
    pthread_mutex_t mu;
    pthread_cond_t nonempty;
    unsigned head, n;
    unsigned v[POOL];
};

/* Everything one group shares, in pages of its own. */
struct group {
    int id, members, first; /* threads first .. first + members - 1 */
    pthread_barrier_t barrier;
    double *grid[2]; /* stencil: rows x W */
    int rows;
    double heat0;     /* stencil: the initial heat, conserved */
    uint64_t *blocks; /* pipeline: POOL blocks of WORDS */
    struct queue *q;  /* pipeline: members queues; q[0] = free blocks */
    uint64_t sum;     /* pipeline: the last stage's checksum */
};

struct worker {
    struct group *g;
    int rank; /* within the group */
};

static int steps;

static void queue_init(struct queue *q) {
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->nonempty, NULL);
    q->head = q->n = 0;
}

static void queue_put(struct queue *q, unsigned b) {
    pthread_mutex_lock(&q->mu);
    q->v[(q->head + q->n++) % POOL] = b;
    pthread_cond_signal(&q->nonempty);
    pthread_mutex_unlock(&q->mu);
}

static unsigned queue_get(struct queue *q) {
    pthread_mutex_lock(&q->mu);
    while (!q->n)
        pthread_cond_wait(&q->nonempty, &q->mu);
    unsigned b = q->v[q->head];
    q->head = (q->head + 1) % POOL;
    q->n--;
    pthread_mutex_unlock(&q->mu);
    return b;
}

static void *stencil(struct worker *w) {
    struct group *g = w->g;
    int lo = w->rank * ROWS_PER_THREAD, hi = lo + ROWS_PER_THREAD;
    for (int s = 0; s < steps; s++) {
        const double *u = g->grid[s & 1];
        double *v = g->grid[(s + 1) & 1];
        for (int i = lo; i < hi; i++) {
            const double *up = u + (size_t)(i > 0 ? i - 1 : i) * W,
                         *dn = u + (size_t)(i < g->rows - 1 ? i + 1 : i) * W,
                         *c = u + (size_t)i * W;
            for (size_t j = 0; j < W; j++) {
                double l = c[j > 0 ? j - 1 : j], r = c[j < W - 1 ? j + 1 : j];
                v[(size_t)i * W + j] =
                    c[j] + 0.2 * ((up[j] - c[j]) + (dn[j] - c[j]) + (l - c[j]) + (r - c[j]));
            }
        }
        pthread_barrier_wait(&g->barrier);
    }
    return NULL;
}

static void *pipeline(struct worker *w) {
    struct group *g = w->g;
    int last = g->members - 1;
    /* a group of one is a pipeline of one stage */
    struct queue *in = &g->q[w->rank], *out = &g->q[(w->rank + 1) % g->members];
    uint64_t sum = 0;
    for (int n = 0; n < steps; n++) {
        unsigned b = queue_get(in);
        uint64_t *blk = g->blocks + (size_t)b * WORDS;
        if (w->rank == 0)
            for (size_t j = 0; j < WORDS; j++)
                blk[j] = (uint64_t)g->id * 1000003u + (uint64_t)n * WORDS + j;
        for (size_t j = 0; j < WORDS; j++)
            blk[j] += (uint64_t)w->rank + 1;
        if (w->rank == last)
            for (size_t j = 0; j < WORDS; j++)
                sum = sum * 31 + blk[j];
        queue_put(out, b);
    }
    if (w->rank == last) g->sum = sum;
    return NULL;
}

static int mode_stencil, pin_groups; /* pin_groups: GROUPED_PIN=1, the group count */

/* The calling thread of group g pins itself to group g's share of the
 * CPUs (g's CPUs are [g * n / G, (g + 1) * n / G), at least one). */
static void pin_to_group(int g) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1) return;
    long lo = (long)g * n / pin_groups, hi = (long)(g + 1) * n / pin_groups;
    if (hi <= lo) hi = lo + 1;
    cpu_set_t set;
    CPU_ZERO(&set);
    for (long c = lo; c < hi && c < CPU_SETSIZE; c++)
        CPU_SET(c, &set);
    pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

static void *work(void *arg) {
    struct worker *w = arg;
    if (pin_groups) pin_to_group(w->g->id);
    return mode_stencil ? stencil(w) : pipeline(w);
}

static uint64_t fnv(uint64_t h, const void *p, size_t n) {
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ c[i]) * 0x100000001b3ull;
    return h;
}

static void *page_alloc(size_t bytes) {
    void *p = aligned_alloc(PAGE, (bytes + PAGE - 1) / PAGE * PAGE);
    if (!p) {
        perror("aligned_alloc");
        exit(3);
    }
    memset(p, 0, bytes);
    return p;
}

/* What the last stage of group g sums, computed here without threads. */
static uint64_t pipeline_expected(const struct group *g) {
    uint64_t sum = 0, add = (uint64_t)g->members * (g->members + 1) / 2;
    for (int n = 0; n < steps; n++)
        for (size_t j = 0; j < WORDS; j++)
            sum = sum * 31 + ((uint64_t)g->id * 1000003u + (uint64_t)n * WORDS + j + add);
    return sum;
}

int main(int argc, char **argv) {
    int threads = argc > 2 ? atoi(argv[1]) : 0, groups = argc > 2 ? atoi(argv[2]) : 0;
    const char *mode = argc > 3 ? argv[3] : "";
    mode_stencil = !strcmp(mode, "stencil");
    steps = argc > 4 ? atoi(argv[4]) : 200;
    if (argc < 4 || argc > 5 || threads < 1 || threads > 256 || groups < 1 || groups > threads ||
        steps < 1 || (!mode_stencil && strcmp(mode, "pipeline"))) {
        fprintf(stderr, "usage: grouped THREADS GROUPS stencil|pipeline [STEPS]\n");
        return 2;
    }
    const char *pin = getenv("GROUPED_PIN");
    pin_groups = pin && !strcmp(pin, "1") ? groups : 0;
    struct group **gs = calloc((size_t)groups, sizeof *gs);
    struct worker *ws = calloc((size_t)threads, sizeof *ws);
    pthread_t *tid = calloc((size_t)threads, sizeof *tid);
    for (int i = 0; i < threads; i++) {
        int gi = (int)((long)i * groups / threads);
        if (!gs[gi]) {
            gs[gi] = page_alloc(sizeof(struct group));
            gs[gi]->id = gi;
            gs[gi]->first = i;
        }
        gs[gi]->members++;
    }
    for (int gi = 0; gi < groups; gi++) {
        struct group *g = gs[gi];
        pthread_barrier_init(&g->barrier, NULL, (unsigned)g->members);
        if (mode_stencil) {
            g->rows = g->members * ROWS_PER_THREAD;
            for (int b = 0; b < 2; b++)
                g->grid[b] = page_alloc((size_t)g->rows * PAGE);
            for (int i = 0; i < g->rows; i++) /* a hot row per group, at its own place */
                if (i % 7 == gi % 7)
                    for (size_t j = 0; j < W; j++) {
                        g->grid[0][(size_t)i * W + j] = 100.0 + (double)j;
                        g->heat0 += 100.0 + (double)j;
                    }
        } else {
            g->blocks = page_alloc((size_t)POOL * PAGE);
            g->q = page_alloc((size_t)g->members * sizeof *g->q);
            for (int k = 0; k < g->members; k++)
                queue_init(&g->q[k]);
            for (unsigned b = 0; b < POOL; b++)
                g->q[0].v[b] = b;
            g->q[0].n = POOL;
        }
    }
    for (int i = 0; i < threads; i++) {
        int gi = (int)((long)i * groups / threads);
        ws[i].g = gs[gi];
        ws[i].rank = i - gs[gi]->first;
        SHOAL_HINT_NEXT_GROUP(gi);
        if (pthread_create(&tid[i], NULL, work, &ws[i])) {
            perror("pthread_create");
            return 3;
        }
    }
    for (int i = 0; i < threads; i++)
        pthread_join(tid[i], NULL);
    uint64_t h = 0xcbf29ce484222325ull;
    int ok = 1;
    for (int gi = 0; gi < groups; gi++) {
        struct group *g = gs[gi];
        if (mode_stencil) {
            const double *u = g->grid[steps & 1];
            double heat = 0;
            for (size_t k = 0; k < (size_t)g->rows * W; k++) {
                heat += u[k];
                if (u[k] < 0 || u[k] > 100.0 + (double)W) ok = 0; /* maximum principle */
            }
            /* insulated borders: the heat is conserved, up to rounding */
            if (heat < g->heat0 * (1 - 1e-9) || heat > g->heat0 * (1 + 1e-9)) ok = 0;
            h = fnv(h, u, (size_t)g->rows * PAGE);
        } else {
            ok &= g->sum == pipeline_expected(g);
            h = fnv(h, &g->sum, sizeof g->sum);
        }
    }
    printf("RESULT workload=grouped mode=%s threads=%d groups=%d steps=%d checksum=%016llx "
           "check=%s\n",
           mode, threads, groups, steps, (unsigned long long)h, ok ? "OK" : "FAIL");
    return ok ? 0 : 1;
}
