/* libm functions over a spread of inputs, printed as bit patterns (glibc's
 * implementations are deterministic, so any difference is the emulator). */
#include "guest.h"
#include <math.h>
#include <inttypes.h>

int main(void) {
    volatile double in[] = {0.0,
                            -0.0,
                            1e-310,
                            1e-20,
                            0.1,
                            0.5,
                            0.7853981633974483,
                            1.0,
                            1.5707963267948966,
                            2.0,
                            3.141592653589793,
                            10.0,
                            100.5,
                            710.0,
                            1e22,
                            -0.3,
                            -5.5,
                            -745.2,
                            INFINITY,
                            -INFINITY,
                            NAN};
    for (unsigned i = 0; i < sizeof in / sizeof in[0]; i++) {
        double x = in[i];
        printf("%-24a sin %016" PRIx64 " cos %016" PRIx64 " tan %016" PRIx64 "\n", x,
               g_dbits(sin(x)), g_dbits(cos(x)), g_dbits(tan(x)));
        printf("%-24s exp %016" PRIx64 " log %016" PRIx64 " sqrt %016" PRIx64 " cbrt %016" PRIx64
               "\n",
               "", g_dbits(exp(x)), g_dbits(log(x)), g_dbits(sqrt(x)), g_dbits(cbrt(x)));
        printf("%-24s pow(x,1.5) %016" PRIx64 " pow(1.1,x) %016" PRIx64 " atan2(x,0.3) %016" PRIx64
               " log2 %016" PRIx64 "\n",
               "", g_dbits(pow(x, 1.5)), g_dbits(pow(1.1, x)), g_dbits(atan2(x, 0.3)),
               g_dbits(log2(x)));
        printf("%-24s expm1 %016" PRIx64 " log1p %016" PRIx64 " tanh %016" PRIx64
               " asin %016" PRIx64 " hypot %016" PRIx64 "\n",
               "", g_dbits(expm1(x)), g_dbits(log1p(x)), g_dbits(tanh(x)), g_dbits(asin(x)),
               g_dbits(hypot(x, 3.0)));
        float f = (float)x;
        printf("%-24s sinf %08x expf %08x logf %08x powf %08x sqrtf %08x\n", "", g_fbits(sinf(f)),
               g_fbits(expf(f)), g_fbits(logf(f)), g_fbits(powf(f, 2.5f)), g_fbits(sqrtf(f)));
    }
    uint64_t h = 0;
    for (int i = -200; i < 200; i++) {
        volatile double x = i * 0.37;
        h = g_fnv64(h, g_dbits(sin(x)) ^ g_dbits(exp(x / 10)) ^ g_dbits(log(fabs(x) + 1)) ^
                           g_dbits(pow(fabs(x), 0.3)));
        h = g_fnv64(h, g_dbits(fmod(x, 1.7)) ^ g_dbits(remainder(x, 1.7)) ^ g_dbits(erf(x / 50)) ^
                           g_dbits(lgamma(fabs(x) + 0.5)));
    }
    printf("sweep %016" PRIx64 "\n", h);
    G_DONE();
}
