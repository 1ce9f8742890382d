/* Monte-Carlo pricing of European payer swaptions, in the spirit of
 * PARSEC's swaptions: each swaption is priced from many simulated paths
 * of its forward swap rate (lognormal, STEPS exact steps to expiry);
 * threads take swaptions round-robin (compute-bound, tiny shared data).
 *
 * Every swaption draws its random numbers from a stream seeded by its
 * index, so prices do not depend on the thread count. Self-check: the
 * Monte-Carlo price lies within 5 standard errors of Black's closed-form
 * price, for every swaption. */
#include <math.h>

#include "workload.h"

#define STEPS 16

struct swaption {
    double s0, k, vol, t, annuity;
    double mc, se, black;
};

static struct swaption *sw;
static int nsw;
static long paths;

static double ncdf(double x) {
    return 0.5 * erfc(-x / sqrt(2.0));
}

static double black(const struct swaption *s) {
    double sq = s->vol * sqrt(s->t);
    double d1 = (log(s->s0 / s->k) + 0.5 * sq * sq) / sq;
    return s->annuity * (s->s0 * ncdf(d1) - s->k * ncdf(d1 - sq));
}

/* Box-Muller: two standard normals per two uniforms. */
static void normals(uint64_t *seed, double *z0, double *z1) {
    double u1 = 1.0 - wl_uniform(seed), u2 = wl_uniform(seed);
    double r = sqrt(-2.0 * log(u1));
    *z0 = r * cos(2 * M_PI * u2);
    *z1 = r * sin(2 * M_PI * u2);
}

static void price(struct swaption *s, uint64_t seed) {
    double dt = s->t / STEPS, drift = -0.5 * s->vol * s->vol * dt, diff = s->vol * sqrt(dt);
    double sum = 0, sum2 = 0;
    for (long p = 0; p < paths; p++) {
        double x = 0;
        for (int k = 0; k < STEPS; k += 2) {
            double z0, z1;
            normals(&seed, &z0, &z1);
            x += 2 * drift + diff * (z0 + z1);
        }
        double payoff = s->annuity * fmax(s->s0 * exp(x) - s->k, 0.0);
        sum += payoff;
        sum2 += payoff * payoff;
    }
    s->mc = sum / (double)paths;
    s->se = sqrt(fmax(sum2 / (double)paths - s->mc * s->mc, 0.0) / (double)paths);
}

struct worker {
    int id, threads;
};

static void *work(void *arg) {
    struct worker *w = arg;
    for (int i = w->id; i < nsw; i += w->threads)
        price(&sw[i], wl_mix(1000003u + (uint64_t)i));
    return NULL;
}

int main(int argc, char **argv) {
    struct wl_args a;
    if (!wl_parse(argc, argv, "swaptions", &a)) return 2;
    static const int counts[] = {16, 64, 128};
    static const long path_counts[] = {2000, 12000, 40000};
    nsw = counts[a.size];
    paths = path_counts[a.size];
    sw = calloc((size_t)nsw, sizeof *sw);
    for (int i = 0; i < nsw; i++) {
        uint64_t seed = wl_mix((uint64_t)i);
        struct swaption *s = &sw[i];
        s->s0 = wl_range(&seed, 0.02, 0.06);
        s->k = s->s0 * wl_range(&seed, 0.8, 1.2);
        s->vol = wl_range(&seed, 0.10, 0.40);
        s->t = wl_range(&seed, 1.0, 5.0);
        s->annuity = wl_range(&seed, 2.0, 8.0);
        s->black = black(s);
    }

    struct worker *w = calloc((size_t)a.threads, sizeof *w);
    for (int i = 0; i < a.threads; i++)
        w[i] = (struct worker){i, a.threads};
    wl_run_threads(a.threads, work, w, sizeof *w);

    int ok = 1;
    uint64_t h = WL_HASH_INIT;
    double sum = 0;
    for (int i = 0; i < nsw; i++) {
        h = wl_hash_double(wl_hash_double(h, sw[i].mc), sw[i].se);
        sum += sw[i].mc;
        if (!(fabs(sw[i].mc - sw[i].black) <= 5 * sw[i].se + 1e-9)) {
            fprintf(stderr, "swaptions: %d: Monte-Carlo %.9g +- %.3g, Black %.9g\n", i, sw[i].mc,
                    sw[i].se, sw[i].black);
            ok = 0;
        }
    }
    char what[96];
    snprintf(what, sizeof what, "%d swaptions x %ld paths, sum of prices %.9f", nsw, paths, sum);
    return wl_finish(&a, what, nsw, h, sum, ok);
}
