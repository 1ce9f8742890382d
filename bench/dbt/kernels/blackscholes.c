/* Black-Scholes option pricing: libm exp/log/sqrt and a CNDF polynomial. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static double cndf(double x) {
    double k = 1.0 / (1.0 + 0.2316419 * fabs(x));
    double w =
        1.0 -
        1.0 / sqrt(2 * M_PI) * exp(-x * x / 2) *
            (k * (0.319381530 +
                  k * (-0.356563782 + k * (1.781477937 + k * (-1.821255978 + k * 1.330274429)))));
    return x < 0 ? 1.0 - w : w;
}

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 100000;
    double sum = 0;
    for (long i = 0; i < n; i++) {
        double s = 80 + (i % 40), k = 100, t = 0.25 + (i % 7) * 0.1, r = 0.02,
               v = 0.1 + (i % 9) * 0.03;
        double d1 = (log(s / k) + (r + v * v / 2) * t) / (v * sqrt(t));
        double d2 = d1 - v * sqrt(t);
        double call = s * cndf(d1) - k * exp(-r * t) * cndf(d2);
        sum += (i & 1) ? call : k * exp(-r * t) * cndf(-d2) - s * cndf(-d1);
    }
    printf("blackscholes %.6f\n", sum);
    return 0;
}
