/* Option pricing with the Black-Scholes formula, like PARSEC's
 * blackscholes: a read-shared array of options, each thread prices a
 * contiguous chunk RUNS times into its own part of the result array
 * (little sharing: the DSM's best case, which should scale).
 *
 * Self-check: main recomputes every 8th option serially and requires the
 * same bits, and put-call parity C - P = S - K exp(-rT) for it. */
#include <math.h>

#include "workload.h"

struct options {
    long n;
    double *s, *k, *r, *v, *t;
    int *put;
    double *price;
};

static struct options opt;
static int runs;

/* PARSEC's CNDF: the Abramowitz-Stegun polynomial approximation of the
 * standard normal distribution function (|error| < 7.5e-8). */
static double cndf(double x) {
    int neg = x < 0;
    if (neg) x = -x;
    double e = exp(-0.5 * x * x) * 0.39894228040143270286;
    double k = 1.0 / (1.0 + 0.2316419 * x);
    double p = k * (0.319381530 +
                    k * (-0.356563782 + k * (1.781477937 + k * (-1.821255978 + k * 1.330274429))));
    double c = 1.0 - e * p;
    return neg ? 1.0 - c : c;
}

static double price(double s, double k, double r, double v, double t, int put) {
    double sq = v * sqrt(t);
    double d1 = (log(s / k) + (r + 0.5 * v * v) * t) / sq;
    double d2 = d1 - sq;
    double disc = k * exp(-r * t);
    if (put) return disc * (1.0 - cndf(d2)) - s * (1.0 - cndf(d1));
    return s * cndf(d1) - disc * cndf(d2);
}

struct worker {
    int id, threads;
};

static void *work(void *arg) {
    struct worker *w = arg;
    long lo = opt.n * w->id / w->threads, hi = opt.n * (w->id + 1) / w->threads;
    for (int run = 0; run < runs; run++)
        for (long i = lo; i < hi; i++)
            opt.price[i] = price(opt.s[i], opt.k[i], opt.r[i], opt.v[i], opt.t[i], opt.put[i]);
    return NULL;
}

int main(int argc, char **argv) {
    struct wl_args a;
    if (!wl_parse(argc, argv, "blackscholes", &a)) return 2;
    static const long sizes[] = {4096, 65536, 262144};
    static const int run_counts[] = {4, 24, 40};
    opt.n = sizes[a.size];
    runs = run_counts[a.size];
    double **arrays[] = {&opt.s, &opt.k, &opt.r, &opt.v, &opt.t, &opt.price};
    for (size_t i = 0; i < sizeof arrays / sizeof *arrays; i++)
        *arrays[i] = malloc((size_t)opt.n * sizeof(double));
    opt.put = malloc((size_t)opt.n * sizeof(int));
    for (long i = 0; i < opt.n; i++) {
        uint64_t seed = wl_mix((uint64_t)i);
        opt.s[i] = wl_range(&seed, 50, 150);
        opt.k[i] = opt.s[i] * wl_range(&seed, 0.7, 1.3);
        opt.r[i] = wl_range(&seed, 0.01, 0.06);
        opt.v[i] = wl_range(&seed, 0.10, 0.60);
        opt.t[i] = wl_range(&seed, 0.25, 2.0);
        opt.put[i] = (int)(wl_next(&seed) & 1);
    }

    struct worker *w = calloc((size_t)a.threads, sizeof *w);
    for (int i = 0; i < a.threads; i++)
        w[i] = (struct worker){i, a.threads};
    wl_run_threads(a.threads, work, w, sizeof *w);

    int ok = 1;
    uint64_t h = WL_HASH_INIT;
    double sum = 0;
    for (long i = 0; i < opt.n; i++) {
        h = wl_hash_double(h, opt.price[i]);
        sum += opt.price[i];
        if (i % 8) continue;
        double p = price(opt.s[i], opt.k[i], opt.r[i], opt.v[i], opt.t[i], opt.put[i]);
        double c = price(opt.s[i], opt.k[i], opt.r[i], opt.v[i], opt.t[i], 0);
        double q = price(opt.s[i], opt.k[i], opt.r[i], opt.v[i], opt.t[i], 1);
        double parity = opt.s[i] - opt.k[i] * exp(-opt.r[i] * opt.t[i]);
        if (memcmp(&p, &opt.price[i], sizeof p) || fabs(c - q - parity) > 1e-4 * opt.s[i]) {
            if (ok)
                fprintf(stderr, "blackscholes: option %ld: %.17g (recomputed %.17g)\n", i,
                        opt.price[i], p);
            ok = 0;
        }
    }
    char what[96];
    snprintf(what, sizeof what, "%ld options x %d runs, sum of prices %.6f", opt.n, runs, sum);
    return wl_finish(&a, what, opt.n, h, sum, ok);
}
