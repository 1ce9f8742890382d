/* float <-> double <-> _Float16 conversions: rounding, subnormal halves,
 * overflow to infinity, NaN payloads; also double -> half directly. */
#include "guest.h"
#include <math.h>
#include <fenv.h>
#include <inttypes.h>

static uint16_t hbits(_Float16 h) {
    uint16_t u;
    memcpy(&u, &h, 2);
    return u;
}
static _Float16 bitsh(uint16_t u) {
    _Float16 h;
    memcpy(&h, &u, 2);
    return h;
}

int main(void) {
    volatile float fv[] = {0.0f,
                           -0.0f,
                           1.0f,
                           -1.0f,
                           0.1f,
                           65504.0f,
                           65519.0f,
                           65520.0f,
                           1e6f,
                           6.1035156e-05f,
                           5.9604645e-08f,
                           2.9802322e-08f,
                           2.9802326e-08f,
                           1e-9f,
                           1.00048828125f,
                           1.000732421875f,
                           3.14159265f,
                           INFINITY,
                           -INFINITY,
                           NAN,
                           g_bitsf(0x7f800001u),
                           g_bitsf(0xffc12345u),
                           2049.0f,
                           2051.0f};
    for (int m = 0; m < 2; m++) {
        fesetround(m ? FE_TOWARDZERO : FE_TONEAREST);
        for (unsigned i = 0; i < sizeof fv / sizeof fv[0]; i++) {
            float f = fv[i];
            _Float16 h = (_Float16)f;
            volatile double d = f;
            _Float16 hd = (_Float16)d;
            printf("%s f %08x -> h %04x -> f %08x -> d %016" PRIx64 " | d->h %04x\n",
                   m ? "rz" : "rn", g_fbits(f), hbits(h), g_fbits((float)h), g_dbits((double)h),
                   hbits(hd));
        }
    }
    fesetround(FE_TONEAREST);
    /* all half values round-trip through float and double exactly */
    uint64_t hsum = 0;
    for (uint32_t u = 0; u < 65536; u += 1) {
        _Float16 h = bitsh((uint16_t)u);
        float f = h;
        double d = h;
        hsum = g_fnv64(hsum, g_fbits(f) ^ g_dbits(d));
        if (!isnan(f)) CHECK(hbits((_Float16)f) == u && hbits((_Float16)d) == u);
    }
    printf("half->float/double checksum %016" PRIx64 "\n", hsum);
    /* double rounding hazard: double -> half directly vs via float */
    volatile double tricky = 1.0 + 1.0 / 2048 + 1.0 / (1 << 30);
    printf("direct %04x via float %04x\n", hbits((_Float16)tricky), hbits((_Float16)(float)tricky));
    /* float <-> double */
    volatile double dv[] = {
        0.1,        1e39,      -1e39, 1e-46, 3.4028235677973366e38, 1.1754942807573643e-38,
        16777217.0, 16777219.0};
    for (unsigned i = 0; i < sizeof dv / sizeof dv[0]; i++) {
        float f = (float)dv[i];
        printf("d %016" PRIx64 " -> f %08x -> d %016" PRIx64 "\n", g_dbits(dv[i]), g_fbits(f),
               g_dbits((double)f));
    }
    /* arithmetic in _Float16 (promoted to float without FEAT_FP16) */
    _Float16 a = (_Float16)fv[4], b = (_Float16)fv[16];
    printf("h add %04x mul %04x div %04x\n", hbits(a + b), hbits(a * b), hbits(a / b));
    G_DONE();
}
