/* NaN (payload propagation, quiet/signalling, default NaN), infinities,
 * signed zeros, denormals, comparisons, min/max; bit patterns printed. */
#include "guest.h"
#include <math.h>
#include <float.h>
#include <inttypes.h>

static void pd(const char *what, double d) {
    printf("%-22s %016" PRIx64 "\n", what, g_dbits(d));
}
static void pf(const char *what, float f) {
    printf("%-22s %08x\n", what, g_fbits(f));
}

static double fmaxnm_(double a, double b) {
    double r;
    __asm__("fmaxnm %d0, %d1, %d2" : "=w"(r) : "w"(a), "w"(b));
    return r;
}
static double fmax_(double a, double b) {
    double r;
    __asm__("fmax %d0, %d1, %d2" : "=w"(r) : "w"(a), "w"(b));
    return r;
}
static double fminnm_(double a, double b) {
    double r;
    __asm__("fminnm %d0, %d1, %d2" : "=w"(r) : "w"(a), "w"(b));
    return r;
}
static double fmin_(double a, double b) {
    double r;
    __asm__("fmin %d0, %d1, %d2" : "=w"(r) : "w"(a), "w"(b));
    return r;
}

int main(void) {
    volatile double qnan = g_bitsd(0x7ff8000000000123ull), snan = g_bitsd(0x7ff0000000000456ull);
    volatile double nnan = g_bitsd(0xfff8000000000789ull);
    volatile double inf = INFINITY, zero = 0.0, nzero = -0.0, one = 1.0;
    volatile float fqnan = g_bitsf(0x7fc00123u), fsnan = g_bitsf(0x7f800456u), finf = INFINITY;
    pd("qnan+1", qnan + one);
    pd("1+qnan", one + qnan);
    pd("snan+1", snan + one);
    pd("qnan+snan", qnan + snan);
    pd("snan+qnan", snan + qnan);
    pd("nnan*2", nnan * 2.0);
    pd("qnan+nnan", qnan + nnan);
    pd("nnan+qnan", nnan + qnan);
    pd("-qnan", -qnan);
    pd("fabs(nnan)", fabs(nnan));
    pd("inf-inf", inf - inf);
    pd("0*inf", zero * inf);
    pd("0/0", zero / zero);
    pd("sqrt(-1)", sqrt(-one));
    pd("sqrt(snan)", sqrt(snan));
    pd("1/0", one / zero);
    pd("1/-0", one / nzero);
    pd("-0+0", nzero + zero);
    pd("-0-0", nzero - zero);
    pd("-0*0", nzero * zero);
    pd("(double)fsnan", (double)fsnan);
    pd("(double)fqnan", (double)fqnan);
    pf("(float)snan", (float)snan);
    pf("(float)qnan", (float)qnan);
    pf("(float)nnan", (float)nnan);
    volatile float fone = 1.0f;
    pf("fsnan*1", fsnan * fone);
    pf("finf-finf", finf - finf);
    pd("fmax(qnan,1)", fmax_(qnan, one));
    pd("fmaxnm(qnan,1)", fmaxnm_(qnan, one));
    pd("fmaxnm(snan,1)", fmaxnm_(snan, one));
    pd("fmin(1,qnan)", fmin_(one, qnan));
    pd("fminnm(1,qnan)", fminnm_(one, qnan));
    pd("fmax(-0,0)", fmax_(nzero, zero));
    pd("fmin(-0,0)", fmin_(zero, nzero));
    pd("fmaxnm(0,-0)", fmaxnm_(zero, nzero));
    pd("fminnm(0,-0)", fminnm_(zero, nzero));
    pd("libm fmax(nan,1)", fmax(qnan, one));
    pd("libm fmin(1,nan)", fmin(one, qnan));
    /* denormals */
    volatile double dmin = DBL_MIN, tiny = 4.9406564584124654e-324;
    pd("DBL_MIN/2", dmin / 2);
    pd("DBL_MIN/3", dmin / 3);
    pd("tiny/2", tiny / 2);
    pd("tiny*0.75", tiny * 0.75);
    pd("tiny*3", tiny * 3);
    pd("denorm*2^52", (dmin / 3) * 4503599627370496.0);
    pd("sqrt(tiny)", sqrt(tiny));
    volatile float fmin_n = FLT_MIN;
    pf("FLT_MIN/3", fmin_n / 3);
    pf("(float)(DBL_MIN)", (float)dmin);
    pf("(float)1e-40", (float)(1e-40 * one));
    pd("(double)(FLT_MIN/3)", (double)(fmin_n / 3));
    pd("DBL_MAX*2", DBL_MAX * (2 * one));
    pd("-DBL_MAX*2", -DBL_MAX * (2 * one));
    pf("(float)DBL_MAX", (float)(DBL_MAX * one));
    /* comparisons with NaN */
    double n = qnan;
    printf("cmp nan: < %d > %d == %d != %d <= %d isunordered %d\n", n<one, n> one, n == n, n != n,
           n <= one, isunordered(n, one));
    printf("classify: %d %d %d %d %d\n", fpclassify(n), fpclassify(inf), fpclassify(tiny),
           fpclassify(nzero), fpclassify(one));
    printf("signbit: %d %d %d\n", !!signbit(nzero), !!signbit(nnan), !!signbit(zero));
    printf("isnan %d isinf %d isfinite %d isnormal(tiny) %d\n", !!isnan(snan), !!isinf(-inf),
           !!isfinite(dmin), !!isnormal(tiny));
    printf("printf: %f %f %e %g %a %a %F\n", (double)inf, -(double)inf, (double)qnan, (double)nnan,
           (double)nzero, (double)tiny, (double)qnan);
    pd("copysign(1,-nan)", copysign(one, nnan));
    pd("nextafter(0,1)", nextafter(zero, one));
    pd("nextafter(1,2)", nextafter(one, 2.0));
    pd("ldexp(1,-1074)", ldexp(one, -1074));
    pd("ldexp(1,-1075)", ldexp(one, -1075));
    int e;
    double fr = frexp(tiny, &e);
    printf("frexp(tiny) %a %d\n", fr, e);
    G_DONE();
}
