/* Numeric kernels built with -ffast-math (reassociation, reciprocal
 * approximations, FMA contraction, flush-to-zero via crtfastmath). Output
 * may differ between optimization levels, never between emulators. */
#include "guest.h"
#include <math.h>
#include <inttypes.h>

#define N 512
static double a[N], b[N];
static float fa[N], fb[N];

int main(void) {
    uint64_t s = 99;
    for (int i = 0; i < N; i++) {
        a[i] = (double)(g_rand(&s) % 100000) / 977.0 - 50.0;
        b[i] = (double)(g_rand(&s) % 100000) / 313.0 + 0.5;
        fa[i] = (float)a[i];
        fb[i] = (float)b[i];
    }
    double dot = 0, sum = 0, nrm = 0;
    float fdot = 0, fsum = 0;
    for (int i = 0; i < N; i++) {
        dot += a[i] * b[i];
        sum += a[i] / b[i];
        nrm += sqrt(b[i]);
    }
    for (int i = 0; i < N; i++) {
        fdot += fa[i] * fb[i];
        fsum += fa[i] / fb[i];
    }
    printf("dot %016" PRIx64 " sum %016" PRIx64 " nrm %016" PRIx64 "\n", g_dbits(dot), g_dbits(sum),
           g_dbits(nrm));
    printf("fdot %08x fsum %08x\n", g_fbits(fdot), g_fbits(fsum));
    /* polynomial + exp/log in fast-math mode */
    double p = 0;
    for (int i = 0; i < N; i++) {
        double x = a[i] / 50;
        p += ((x * 0.3 + 1.1) * x - 2.0) * x + exp(x) - log(b[i]);
    }
    printf("poly %016" PRIx64 "\n", g_dbits(p));
    /* denormal inputs: with FTZ (set by crtfastmath.o) they become zero */
    volatile double tiny = 1e-310;
    volatile float ftiny = 1e-40f;
    printf("tiny*1 %016" PRIx64 " ftiny*1 %08x tiny+tiny %016" PRIx64 "\n", g_dbits(tiny * 1.0),
           g_fbits(ftiny * 1.0f), g_dbits(tiny + tiny));
    volatile double mn = 2.2250738585072014e-308;
    printf("min/4 %016" PRIx64 "\n", g_dbits(mn / 4));
    unsigned long fpcr;
    __asm__ volatile("mrs %0, fpcr" : "=r"(fpcr));
    printf("fpcr.FZ %lu\n", (fpcr >> 24) & 1);
    G_DONE();
}
