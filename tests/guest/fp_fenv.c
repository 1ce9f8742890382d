/* fma exactness and FP exception flags (FPSR cumulative bits) via
 * feclearexcept/fetestexcept. */
#include "guest.h"
#include <fenv.h>
#include <math.h>
#include <float.h>
#include <inttypes.h>

static void flags(const char *what) {
    int e = fetestexcept(FE_ALL_EXCEPT);
    printf("%-18s %s%s%s%s%s\n", what, e & FE_INVALID ? " invalid" : "",
           e & FE_DIVBYZERO ? " divbyzero" : "", e & FE_OVERFLOW ? " overflow" : "",
           e & FE_UNDERFLOW ? " underflow" : "", e & FE_INEXACT ? " inexact" : "");
    feclearexcept(FE_ALL_EXCEPT);
}

int main(void) {
    volatile double one = 1.0, zero = 0.0, three = 3.0, big = DBL_MAX, small = DBL_MIN,
                    snan = g_bitsd(0x7ff0000000000001ull);
    volatile double r;
    feclearexcept(FE_ALL_EXCEPT);
    flags("none");
    r = one + one;
    flags("1+1");
    r = one / three;
    flags("1/3");
    r = one / zero;
    flags("1/0");
    r = zero / zero;
    flags("0/0");
    r = big * 2;
    flags("max*2");
    r = small / 3;
    flags("min/3");
    r = small / 2;
    flags("min/2 (exact)");
    r = snan + one;
    flags("snan+1");
    r = sqrt(-one);
    flags("sqrt(-1)");
    volatile int i = (int)(3e10 * one);
    (void)i;
    flags("(int)3e10");
    volatile long l = lrint(2.5 * one);
    (void)l;
    flags("lrint(2.5)");
    volatile float f = (float)(1e300 * one);
    (void)f;
    flags("(float)1e300");
    volatile double q = nan("");
    r = q < one;
    flags("nan<1 (signal)");
    r = isless(q, one);
    flags("isless(nan,1)");
    r = q == one;
    flags("nan==1 (quiet)");
    (void)r;
    /* fma: single rounding */
    volatile double a = 1.0 + DBL_EPSILON, b = 1.0 - DBL_EPSILON, c = -1.0;
    printf("fma %a  mul+add %a\n", fma(a, b, c), a * b + c);
    volatile float af = 1.0f + FLT_EPSILON, bf = 1.0f - FLT_EPSILON, cf = -1.0f;
    printf("fmaf %a\n", (double)fmaf(af, bf, cf));
    printf("fma(inf,0,nan) %016" PRIx64 "\n",
           g_dbits(fma(INFINITY * one, zero, g_bitsd(0x7ff8000000000042ull))));
    printf("fma(-0,1,0)=%a fma(0,1,-0)=%a\n", fma(-zero, one, zero), fma(zero, one, -zero));
    double d4[4] = {1e16, 1.0, -1e16, 3.3};
    double acc = 0;
    for (int k = 0; k < 4; k++)
        acc = fma(d4[k], d4[(k + 1) & 3], acc);
    printf("fma chain %a\n", acc);
    flags("after fma");
    /* fnmadd/fmsub forms */
    double rr;
    double x = 1.5, y = -2.25, z = 0.125;
    __asm__("fnmadd %d0, %d1, %d2, %d3" : "=w"(rr) : "w"(x), "w"(y), "w"(z));
    printf("fnmadd %a\n", rr);
    __asm__("fnmsub %d0, %d1, %d2, %d3" : "=w"(rr) : "w"(x), "w"(y), "w"(z));
    printf("fnmsub %a\n", rr);
    __asm__("fmsub %d0, %d1, %d2, %d3" : "=w"(rr) : "w"(x), "w"(y), "w"(z));
    printf("fmsub %a\n", rr);
    /* fpcr/fpsr round trip through fegetenv/fesetenv */
    fenv_t env;
    fegetenv(&env);
    fesetround(FE_UPWARD);
    r = one / three;
    flags("1/3 upward");
    fesetenv(&env);
    printf("round after fesetenv %d\n", fegetround() == FE_TONEAREST);
    G_DONE();
}
