/* long double is IEEE binary128 on AArch64: software float in libgcc
 * (__addtf3, __multf3, __divtf3, conversions), printed with %La/%Lg. */
#include "guest.h"
#include <math.h>
#include <inttypes.h>

int main(void) {
    volatile long double one = 1.0L, three = 3.0L, ten = 10.0L;
    long double third = one / three;
    printf("1/3 = %La\n", third);
    printf("1/3 = %.36Lg\n", third);
    printf("sqrtl(2) = %La\n", sqrtl(2 * one));
    printf("expl(1) = %.34Le\n", expl(one));
    printf("sinl(1) = %La\n", sinl(one));
    long double f = 1;
    for (int i = 1; i <= 40; i++)
        f *= i * one;
    printf("40! = %.0Lf\n", f);
    printf("1e4000 = %Lg\n", powl(ten, 4000));
    printf("1e-4940 = %Lg\n", powl(ten, -4940));
    printf("(double)1/3 = %a (long double)0.1 = %La\n", (double)third, (long double)0.1);
    volatile int64_t big = INT64_MAX;
    printf("(ld)INT64_MAX = %La -> %" PRId64 "\n", (long double)big,
           (int64_t)((long double)big - one));
    unsigned __int128 u =
        (unsigned __int128)(ten * ten * ten * ten * ten * ten * ten * ten * ten * ten * ten * ten *
                            ten * ten * ten * ten * ten * ten * ten * ten * ten * ten * ten * ten *
                            ten * ten * ten * ten * ten * ten);
    printf("(u128)1e30 = %016" PRIx64 "%016" PRIx64 "\n", (uint64_t)(u >> 64), (uint64_t)u);
    long double acc = 0;
    uint64_t s = 5;
    for (int i = 0; i < 200; i++)
        acc += ((long double)(g_rand(&s) % 1000000) - 500000) / (i + one);
    printf("acc = %La\n", acc);
    printf("nan %Lf inf %Lf -0 %La\n", (long double)NAN, -(long double)INFINITY, -0.0L);
    printf("cmp %d %d %d\n", third<0.33334L, third> 0.333333333333333333333333L,
           third == one / three);
    G_DONE();
}
