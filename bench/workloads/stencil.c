/* Heat diffusion on a grid (an explicit 5-point stencil), standing in for
 * PARSEC's fluidanimate: each thread owns a band of rows, every step reads
 * its neighbours' boundary rows and ends at a barrier. One row is 512
 * doubles, one 4 KiB page, so in a cluster only the pages at band edges
 * travel between nodes each step: neighbour sharing, which hint or block
 * placement keeps on one node (WL_GROUPS, workload.h).
 *
 * Self-check: insulated borders conserve the total heat (up to rounding)
 * and the maximum principle keeps every cell within the initial range.
 * Each cell's update is the same whatever the bands, so the grid (and its
 * checksum) does not depend on the thread count. */
#include <math.h>

#include "workload.h"

#define W     512
#define ALPHA 0.2 /* stable for <= 0.25 */

static double (*grid[2])[W];
static int rows, steps;
static pthread_barrier_t barrier;

struct worker {
    int id, threads;
};

static void step(const double (*u)[W], double (*v)[W], int lo, int hi) {
    for (int i = lo; i < hi; i++) {
        const double *up = u[i > 0 ? i - 1 : i], *dn = u[i < rows - 1 ? i + 1 : i], *c = u[i];
        for (int j = 0; j < W; j++) {
            double l = c[j > 0 ? j - 1 : j], r = c[j < W - 1 ? j + 1 : j];
            /* Pairwise fluxes: what one cell gains its neighbour loses. */
            v[i][j] = c[j] + ALPHA * ((up[j] - c[j]) + (dn[j] - c[j]) + (l - c[j]) + (r - c[j]));
        }
    }
}

static void *work(void *arg) {
    struct worker *w = arg;
    int lo = rows * w->id / w->threads, hi = rows * (w->id + 1) / w->threads;
    for (int s = 0; s < steps; s++) {
        step(grid[s & 1], grid[(s + 1) & 1], lo, hi);
        pthread_barrier_wait(&barrier);
    }
    return NULL;
}

int main(int argc, char **argv) {
    struct wl_args a;
    if (!wl_parse(argc, argv, "stencil", &a)) return 2;
    static const int row_counts[] = {64, 256, 1024};
    static const int step_counts[] = {16, 120, 240};
    rows = row_counts[a.size];
    steps = step_counts[a.size];
    if (a.threads > rows) a.threads = rows;
    for (int b = 0; b < 2; b++)
        grid[b] = aligned_alloc(4096, sizeof(double[W]) * (size_t)rows);
    /* A few hot squares on a cool plate. */
    double lo0 = 1.0, hi0 = 1.0, sum0 = 0;
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < W; j++)
            grid[0][i][j] = 1.0;
    uint64_t seed = wl_mix(42);
    for (int k = 0; k < 12; k++) {
        int ci = (int)(wl_next(&seed) % (uint64_t)rows), cj = (int)(wl_next(&seed) % W);
        double heat = wl_range(&seed, 10, 100);
        for (int i = ci - 8; i <= ci + 8; i++)
            for (int j = cj - 8; j <= cj + 8; j++)
                if (i >= 0 && i < rows && j >= 0 && j < W) grid[0][i][j] = heat;
        if (heat > hi0) hi0 = heat;
    }
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < W; j++)
            sum0 += grid[0][i][j];

    pthread_barrier_init(&barrier, NULL, (unsigned)a.threads);
    struct worker *w = calloc((size_t)a.threads, sizeof *w);
    for (int i = 0; i < a.threads; i++)
        w[i] = (struct worker){i, a.threads};
    wl_run_threads(a.threads, work, w, sizeof *w);

    double(*u)[W] = grid[steps & 1], sum = 0;
    uint64_t h = WL_HASH_INIT;
    int ok = 1;
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < W; j++) {
            sum += u[i][j];
            h = wl_hash_double(h, u[i][j]);
            if (!(u[i][j] >= lo0 - 1e-9 && u[i][j] <= hi0 + 1e-9)) ok = 0;
        }
    if (fabs(sum - sum0) > 1e-9 * sum0) ok = 0;
    if (!ok) fprintf(stderr, "stencil: heat %.17g, initially %.17g\n", sum, sum0);
    char what[96];
    snprintf(what, sizeof what, "%dx%d grid, %d steps, heat %.6f conserved", rows, W, steps, sum);
    return wl_finish(&a, what, (long)rows * W, h, sum, ok);
}
