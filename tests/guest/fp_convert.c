/* FP -> integer conversions at the saturation limits (fcvtzs/fcvtzu
 * saturate on AArch64, NaN -> 0), via explicit casts (done with inline asm
 * where C would be undefined), lrint/llround/lround, and int -> FP. */
#include "guest.h"
#include <math.h>
#include <inttypes.h>

#define CVT(name, insn, rt, reg, ft, freg)                                                         \
    static rt name(ft x) {                                                                         \
        rt r;                                                                                      \
        __asm__(insn " %" reg "0, %" freg "1" : "=r"(r) : "w"(x));                                 \
        return r;                                                                                  \
    }
CVT(d2s32, "fcvtzs", int32_t, "w", double, "d")
CVT(d2s64, "fcvtzs", int64_t, "x", double, "d")
CVT(d2u32, "fcvtzu", uint32_t, "w", double, "d")
CVT(d2u64, "fcvtzu", uint64_t, "x", double, "d")
CVT(f2s32, "fcvtzs", int32_t, "w", float, "s")
CVT(f2u64, "fcvtzu", uint64_t, "x", float, "s")
CVT(d2s32_a, "fcvtas", int32_t, "w", double, "d")
CVT(d2s64_n, "fcvtns", int64_t, "x", double, "d")
CVT(d2u32_m, "fcvtmu", uint32_t, "w", double, "d")
CVT(d2s64_p, "fcvtps", int64_t, "x", double, "d")
CVT(d2s32_m, "fcvtms", int32_t, "w", double, "d")

int main(void) {
    volatile double vals[] = {0.0,
                              -0.0,
                              0.5,
                              -0.5,
                              1.5,
                              -1.5,
                              2.5,
                              -2.5,
                              0.49999999999999994,
                              2147483647.0,
                              2147483647.5,
                              2147483648.0,
                              -2147483648.0,
                              -2147483648.5,
                              -2147483649.0,
                              4294967295.0,
                              4294967295.5,
                              4294967296.0,
                              -1.0,
                              9223372036854774784.0,
                              9223372036854775808.0,
                              -9223372036854775808.0,
                              -9223372036854777856.0,
                              18446744073709549568.0,
                              18446744073709551616.0,
                              1e300,
                              -1e300,
                              INFINITY,
                              -INFINITY,
                              NAN,
                              -NAN,
                              4.9406564584124654e-324};
    for (unsigned i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        double x = vals[i];
        printf("%-24a s32 %11d s64 %20" PRId64 " u32 %10u u64 %20" PRIu64
               " | f:s32 %11d u64 %20" PRIu64 "\n",
               x, d2s32(x), d2s64(x), d2u32(x), d2u64(x), f2s32((float)x), f2u64((float)x));
        printf("%-24s fcvtas %11d fcvtns %20" PRId64 " fcvtmu %10u fcvtps %20" PRId64
               " fcvtms %11d\n",
               "", d2s32_a(x), d2s64_n(x), d2u32_m(x), d2s64_p(x), d2s32_m(x));
        if (isfinite(x) && fabs(x) < 2e9) {
            /* in range for C casts: compiler-generated conversions */
            printf("%-24s (int)%d (long)%ld (unsigned char)%u lrint %ld llround %lld lround %ld\n",
                   "", (int)x, (long)x, (unsigned char)(int)x, lrint(x), llround(x), lround(x));
            if (x >= 0)
                printf("%-24s (unsigned)%u (uint64)%" PRIu64 "\n", "", (unsigned)x, (uint64_t)x);
        }
    }
    /* int -> fp */
    volatile int64_t iv[] = {
        0, -1, INT64_MAX, INT64_MIN, 9007199254740993LL, -9007199254740993LL, INT32_MIN, 16777217};
    volatile uint64_t uv[] = {UINT64_MAX, 0x8000000000000001ull, 9007199254740993ull, 1ull << 63};
    for (unsigned i = 0; i < sizeof iv / sizeof iv[0]; i++)
        printf("s64 %20" PRId64 " -> d %a f %a (int32)->f %a\n", iv[i], (double)iv[i],
               (double)(float)iv[i], (double)(float)(int32_t)iv[i]);
    for (unsigned i = 0; i < sizeof uv / sizeof uv[0]; i++)
        printf("u64 %20" PRIu64 " -> d %a f %a (uint32)->d %a\n", uv[i], (double)uv[i],
               (double)(float)uv[i], (double)(uint32_t)uv[i]);
    /* fixed-point conversions (scvtf/fcvtzs with #fbits) */
    double r;
    int32_t q;
    int32_t in = -12345;
    __asm__("scvtf %d0, %w1, #8" : "=w"(r) : "r"(in));
    printf("scvtf #8: %a\n", r);
    double d = -48.23;
    __asm__("fcvtzs %w0, %d1, #16" : "=r"(q) : "w"(d));
    printf("fcvtzs #16: %d\n", q);
    G_DONE();
}
