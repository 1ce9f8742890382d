/* Streaming clustering, after PARSEC's streamcluster: points arrive in
 * chunks; each chunk refines K centres with a few Lloyd iterations
 * weighted by what earlier chunks saw (online k-means). Threads own blocks
 * of points (they generate them too, so the points live where they are
 * used); each iteration every thread writes one partial sum per block, a
 * barrier, thread 0 combines them into the new centres, a barrier: a
 * read-mostly shared set of centres and a reduction, every iteration.
 *
 * Self-check: the points are drawn around K known centres with unit
 * Gaussian noise; every known centre must have a found centre close to
 * it, and the mean squared distance must be close to the noise variance.
 * Partial sums are per block and combined in block order, so the result
 * does not depend on the thread count. */
#include <math.h>

#include "workload.h"

#define D   16
#define K   8
#define BLK 256 /* points per block */

struct partial {
    double sum[K][D];
    long count[K];
};

static double (*pts)[D], truth[K][D], centre[K][D], weight[K];
static struct partial *part;
static long npts, nblocks, blocks_per_chunk;
static int iters, nthreads;
static pthread_barrier_t barrier;

static double dist2(const double *a, const double *b) {
    double s = 0;
    for (int d = 0; d < D; d++)
        s += (a[d] - b[d]) * (a[d] - b[d]);
    return s;
}

static int nearest(const double *p) {
    int best = 0;
    double bd = dist2(p, centre[0]);
    for (int k = 1; k < K; k++) {
        double dk = dist2(p, centre[k]);
        if (dk < bd) bd = dk, best = k;
    }
    return best;
}

/* Point i: around known centre i % K, its noise from a stream of its own. */
static void generate_block(long b) {
    for (long i = b * BLK; i < (b + 1) * BLK; i++) {
        uint64_t seed = wl_mix(0x5eed0000u + (uint64_t)i);
        for (int d = 0; d < D; d += 2) {
            double u1 = 1.0 - wl_uniform(&seed), u2 = wl_uniform(&seed), r = sqrt(-2 * log(u1));
            pts[i][d] = truth[i % K][d] + r * cos(2 * M_PI * u2);
            pts[i][d + 1] = truth[i % K][d + 1] + r * sin(2 * M_PI * u2);
        }
    }
}

static void assign_block(long b) {
    struct partial *p = &part[b];
    memset(p, 0, sizeof *p);
    for (long i = b * BLK; i < (b + 1) * BLK; i++) {
        int k = nearest(pts[i]);
        p->count[k]++;
        for (int d = 0; d < D; d++)
            p->sum[k][d] += pts[i][d];
    }
}

/* New centres from the chunk's partial sums, in block order, weighted
 * against everything earlier chunks assigned; commit adds the chunk's
 * counts to the weights. */
static void combine(long first, long last, int commit) {
    static double base[K][D];
    static int have_base;
    if (!have_base) memcpy(base, centre, sizeof base), have_base = 1;
    for (int k = 0; k < K; k++) {
        double sum[D], n = weight[k];
        for (int d = 0; d < D; d++)
            sum[d] = base[k][d] * weight[k];
        for (long b = first; b < last; b++) {
            n += (double)part[b].count[k];
            for (int d = 0; d < D; d++)
                sum[d] += part[b].sum[k][d];
        }
        if (n > 0)
            for (int d = 0; d < D; d++)
                centre[k][d] = sum[d] / n;
        if (commit) weight[k] = n;
    }
    if (commit) memcpy(base, centre, sizeof base);
}

static void *work(void *arg) {
    int id = *(int *)arg;
    for (long b = id; b < nblocks; b += nthreads)
        generate_block(b);
    pthread_barrier_wait(&barrier);
    for (long c = 0; c * blocks_per_chunk < nblocks; c++) {
        long first = c * blocks_per_chunk, last = first + blocks_per_chunk;
        for (int it = 0; it < iters; it++) {
            for (long b = first + id; b < last; b += nthreads)
                assign_block(b);
            pthread_barrier_wait(&barrier);
            if (id == 0) combine(first, last, it == iters - 1);
            pthread_barrier_wait(&barrier);
        }
    }
    return NULL;
}

int main(int argc, char **argv) {
    struct wl_args a;
    if (!wl_parse(argc, argv, "streamcluster", &a)) return 2;
    static const long counts[] = {4096, 65536, 262144};
    static const int iter_counts[] = {3, 8, 10};
    npts = counts[a.size];
    iters = iter_counts[a.size];
    nblocks = npts / BLK;
    blocks_per_chunk = nblocks / 4; /* four chunks */
    nthreads = a.threads;
    pts = aligned_alloc(4096, sizeof(double[D]) * (size_t)npts);
    part = aligned_alloc(4096, sizeof *part * (size_t)nblocks);
    uint64_t seed = wl_mix(7);
    for (int k = 0; k < K; k++)
        for (int d = 0; d < D; d++)
            truth[k][d] = wl_range(&seed, -10, 10);
    /* Start from a deliberately poor guess: each known centre, shifted. */
    for (int k = 0; k < K; k++)
        for (int d = 0; d < D; d++)
            centre[k][d] = truth[k][d] + (d & 1 ? 1.5 : -1.5);

    pthread_barrier_init(&barrier, NULL, (unsigned)a.threads);
    int *ids = calloc((size_t)a.threads, sizeof *ids);
    for (int i = 0; i < a.threads; i++)
        ids[i] = i;
    wl_run_threads(a.threads, work, ids, sizeof *ids);

    int ok = 1;
    uint64_t h = WL_HASH_INIT;
    for (int k = 0; k < K; k++)
        for (int d = 0; d < D; d++)
            h = wl_hash_double(h, centre[k][d]);
    for (int k = 0; k < K; k++) {
        double best = dist2(truth[k], centre[0]);
        for (int j = 1; j < K; j++)
            best = fmin(best, dist2(truth[k], centre[j]));
        if (best > 0.25) ok = 0;
    }
    double cost = 0;
    for (long i = 0; i < npts; i++)
        cost += dist2(pts[i], centre[nearest(pts[i])]);
    cost /= (double)npts;
    if (fabs(cost / D - 1.0) > 0.1) ok = 0;
    if (!ok)
        fprintf(stderr, "streamcluster: cost %.6f per dimension, expected about 1\n", cost / D);
    char what[96];
    snprintf(what, sizeof what, "%ld points in %d dimensions, %d centres, cost %.6f", npts, D, K,
             cost);
    return wl_finish(&a, what, npts, h, cost, ok);
}
