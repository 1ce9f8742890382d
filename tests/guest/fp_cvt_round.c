/* FCVTAS/FCVTMS/FCVTPS (and FCVTNS/FCVTZS) to W and X registers from
 * single and double precision, on the values where the JIT's inline
 * forms (dbt/jit/lower_vop.c, f2i_round) meet their limits: halves,
 * the int32/int64 bounds and just inside them, NaNs, infinities,
 * subnormals, -0. Each result is printed with the FPSR flags it raised
 * alone (IOC/IXC must match Arm exactly, not only the value). */
#include "guest.h"
#include <inttypes.h>
#include <math.h>

static uint64_t fpsr_get(void) {
    uint64_t x;
    __asm__ volatile("mrs %0, fpsr" : "=r"(x));
    return x;
}
static void fpsr_clear(void) {
    __asm__ volatile("msr fpsr, %0" : : "r"(0ull));
}

#define CVT(name, insn, reg, src, ty)                                                              \
    static void name(ty x, uint64_t *r, uint64_t *f) {                                             \
        uint64_t v;                                                                                \
        fpsr_clear();                                                                              \
        __asm__ volatile(insn " %" reg "0, %" src "1" : "=r"(v) : "w"(x));                         \
        *f = fpsr_get();                                                                           \
        *r = v;                                                                                    \
    }

CVT(as_xd, "fcvtas", "x", "d", double)
CVT(as_wd, "fcvtas", "w", "d", double)
CVT(ms_xd, "fcvtms", "x", "d", double)
CVT(ms_wd, "fcvtms", "w", "d", double)
CVT(ps_xd, "fcvtps", "x", "d", double)
CVT(ps_wd, "fcvtps", "w", "d", double)
CVT(ns_wd, "fcvtns", "w", "d", double)
CVT(zs_xd, "fcvtzs", "x", "d", double)
CVT(as_xs, "fcvtas", "x", "s", float)
CVT(as_ws, "fcvtas", "w", "s", float)
CVT(ms_ws, "fcvtms", "w", "s", float)
CVT(ps_xs, "fcvtps", "x", "s", float)

int main(void) {
    static const double dv[] = {0.0,
                                -0.0,
                                0.5,
                                -0.5,
                                1.5,
                                -1.5,
                                2.5,
                                -2.5,
                                0.49999999999999994,
                                -0.49999999999999994,
                                1e-310,
                                -1e-310,
                                3.7,
                                -3.7,
                                2147483646.5,
                                2147483646.4,
                                -2147483646.5,
                                2147483647.0,
                                2147483647.5,
                                -2147483647.5,
                                -2147483648.0,
                                -2147483648.5,
                                2147483648.0,
                                4503599627370495.5,
                                -4503599627370495.5,
                                4503599627370496.0,
                                9007199254740993.0,
                                9223372036854774784.0,
                                -9223372036854774784.0,
                                9223372036854775808.0,
                                -9223372036854775808.0,
                                1e300,
                                -1e300,
                                INFINITY,
                                -INFINITY};
    uint64_t h = 0, r, f;
    void (*const dfn[])(double, uint64_t *, uint64_t *) = {as_xd, as_wd, ms_xd, ms_wd,
                                                           ps_xd, ps_wd, ns_wd, zs_xd};
    void (*const sfn[])(float, uint64_t *, uint64_t *) = {as_xs, as_ws, ms_ws, ps_xs};
    for (unsigned k = 0; k < sizeof dv / sizeof dv[0] + 2; k++) {
        double x = k < sizeof dv / sizeof dv[0]    ? dv[k]
                   : k == sizeof dv / sizeof dv[0] ? NAN
                                                   : g_bitsd(0x7ff4000000000001ull);
        printf("%-24a", x);
        for (unsigned j = 0; j < sizeof dfn / sizeof dfn[0]; j++) {
            dfn[j](x, &r, &f);
            printf(" %" PRIx64 "/%" PRIx64, r, f);
            h = g_fnv64(g_fnv64(h, r), f);
        }
        float y = (float)x;
        if (k >= sizeof dv / sizeof dv[0])
            y = k == sizeof dv / sizeof dv[0] ? NAN : g_bitsf(0x7fa00001u);
        for (unsigned j = 0; j < sizeof sfn / sizeof sfn[0]; j++) {
            sfn[j](y, &r, &f);
            printf(" %" PRIx64 "/%" PRIx64, r, f);
            h = g_fnv64(g_fnv64(h, r), f);
        }
        printf("\n");
    }
    /* The same conversions in a loop (the pinned-loop path). */
    static double arr[256];
    uint64_t s = 3;
    for (int i = 0; i < 256; i++)
        arr[i] = (double)((int64_t)(g_rand(&s) % 200001) - 100000) / 64.0;
    int64_t acc = 0;
    for (int i = 0; i < 256; i++)
        acc += lround(arr[i]) + (int64_t)floor(arr[i]) * 3 + (int64_t)ceil(arr[i]) * 7;
    printf("loop %" PRId64 " checksum %016" PRIx64 "\n", acc, h);
    G_DONE();
}
