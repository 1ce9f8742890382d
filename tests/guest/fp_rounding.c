/* Every IEEE rounding mode (fesetround) applied to arithmetic, sqrt,
 * conversions and rint-family functions; results printed as bit patterns. */
#include "guest.h"
#include <fenv.h>
#include <math.h>
#include <inttypes.h>

static volatile double dv[] = {
    1.0, 3.0, -1.0, -3.0, 0.1, 1e308, 2.5, -2.5, 0.5, 1.5, 4503599627370497.0, 7.0 / 3.0};
static volatile float fv[] = {1.0f, 3.0f, -7.0f, 0.1f, 3.4e38f, 2.5f, -0.5f, 16777217.0f};
static const struct {
    int mode;
    const char *name;
} modes[] = {{FE_TONEAREST, "nearest"},
             {FE_UPWARD, "upward"},
             {FE_DOWNWARD, "downward"},
             {FE_TOWARDZERO, "towardzero"}};

int main(void) {
    for (int m = 0; m < 4; m++) {
        CHECK(fesetround(modes[m].mode) == 0);
        CHECK(fegetround() == modes[m].mode);
        uint64_t h = 0;
        for (unsigned i = 0; i < sizeof dv / sizeof dv[0]; i++)
            for (unsigned j = 0; j < sizeof dv / sizeof dv[0]; j++) {
                double a = dv[i], b = dv[j];
                h = g_fnv64(h, g_dbits(a + b));
                h = g_fnv64(h, g_dbits(a - b));
                h = g_fnv64(h, g_dbits(a * b));
                h = g_fnv64(h, g_dbits(a / b));
                h = g_fnv64(h, g_dbits(fma(a, b, dv[(i + j) % 12])));
                h = g_fnv64(h, g_fbits((float)a));
            }
        for (unsigned i = 0; i < sizeof fv / sizeof fv[0]; i++)
            for (unsigned j = 0; j < sizeof fv / sizeof fv[0]; j++) {
                float a = fv[i], b = fv[j];
                h = g_fnv64(h, g_fbits(a + b) | (uint64_t)g_fbits(a * b) << 32);
                h = g_fnv64(h, g_fbits(a / b) | (uint64_t)g_fbits(a - b) << 32);
            }
        printf("%-10s arith %016" PRIx64 "\n", modes[m].name, h);
        printf("%-10s 1/3=%016" PRIx64 " sqrt2=%016" PRIx64 " 1/3f=%08x sqrt2f=%08x\n",
               modes[m].name, g_dbits(dv[0] / dv[1]), g_dbits(sqrt(dv[0] * 2)),
               g_fbits(fv[0] / fv[1]), g_fbits(sqrtf(fv[0] * 2)));
        printf("%-10s big+1 %016" PRIx64 " 1e308*10 %016" PRIx64
               " (float)0.1 %08x (float)1e308 %08x\n",
               modes[m].name, g_dbits(dv[10] + 0.5), g_dbits(dv[5] * 10), g_fbits((float)dv[4]),
               g_fbits((float)dv[5]));
        for (unsigned i = 0; i < sizeof dv / sizeof dv[0]; i++) {
            double x = dv[i];
            printf("%-10s %a: rint %a nearbyint %a lrint %ld llrint %lld round %a trunc %a floor "
                   "%a ceil %a\n",
                   modes[m].name, x, rint(x), nearbyint(x), lrint(x), llrint(x), round(x), trunc(x),
                   floor(x), ceil(x));
        }
        for (unsigned i = 0; i < sizeof fv / sizeof fv[0]; i++) {
            float x = fv[i];
            printf("%-10s %a: rintf %a lrintf %ld (long)x %ld (int64)(x*3) %" PRId64 "\n",
                   modes[m].name, (double)x, (double)rintf(x), lrintf(x), (long)x,
                   (int64_t)(x * 3.0f));
        }
        /* int -> fp conversions are rounded too */
        volatile int64_t big = 0x7ffffffffffffdffLL;
        volatile uint64_t ubig = 0xfffffffffffffbffULL;
        volatile int32_t i32 = 16777217;
        printf("%-10s (double)i64 %a (double)u64 %a (float)i32 %a (float)i64 %a\n", modes[m].name,
               (double)big, (double)ubig, (double)(float)i32, (double)(float)big);
    }
    fesetround(FE_TONEAREST);
    G_DONE();
}
