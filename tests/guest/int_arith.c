/* Integer arithmetic: wrap-around, overflow builtins, division edge cases
 * (including what C leaves undefined, done with sdiv/udiv directly), and
 * multiply-high. */
#include "guest.h"
#include <limits.h>
#include <inttypes.h>

static int64_t sdiv64(int64_t a, int64_t b) {
    int64_t r;
    __asm__("sdiv %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
    return r;
}
static uint64_t udiv64(uint64_t a, uint64_t b) {
    uint64_t r;
    __asm__("udiv %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
    return r;
}
static int32_t sdiv32(int32_t a, int32_t b) {
    int32_t r;
    __asm__("sdiv %w0, %w1, %w2" : "=r"(r) : "r"(a), "r"(b));
    return r;
}
static uint32_t udiv32(uint32_t a, uint32_t b) {
    uint32_t r;
    __asm__("udiv %w0, %w1, %w2" : "=r"(r) : "r"(a), "r"(b));
    return r;
}

static volatile int64_t vals[] = {0,
                                  1,
                                  -1,
                                  2,
                                  -2,
                                  3,
                                  7,
                                  -7,
                                  100,
                                  -100,
                                  12345678901LL,
                                  INT32_MAX,
                                  INT32_MIN,
                                  (int64_t)UINT32_MAX,
                                  INT64_MAX,
                                  INT64_MIN,
                                  INT64_MIN + 1,
                                  0x5555555555555555LL};
#define NV (sizeof vals / sizeof vals[0])

int main(void) {
    uint64_t h = 0;
    for (unsigned i = 0; i < NV; i++)
        for (unsigned j = 0; j < NV; j++) {
            int64_t a = vals[i], b = vals[j];
            uint64_t ua = a, ub = b;
            h = g_fnv64(h, ua + ub);
            h = g_fnv64(h, ua - ub);
            h = g_fnv64(h, ua * ub);
            h = g_fnv64(h, (uint32_t)ua * (uint32_t)ub);
            h = g_fnv64(h, sdiv64(a, b));
            h = g_fnv64(h, udiv64(ua, ub));
            h = g_fnv64(h, (uint32_t)sdiv32((int32_t)a, (int32_t)b));
            h = g_fnv64(h, udiv32((uint32_t)a, (uint32_t)b));
            if (b != 0 && !(a == INT64_MIN && b == -1)) {
                h = g_fnv64(h, a / b);
                h = g_fnv64(h, a % b);
                h = g_fnv64(h, ua % ub);
            }
            h = g_fnv64(h, (uint64_t)(((unsigned __int128)ua * ub) >> 64));
            h = g_fnv64(h, (uint64_t)(((__int128)a * b) >> 64));
            int64_t r;
            h = g_fnv64(h, __builtin_add_overflow(a, b, &r) * 2 + (r & 1));
            h = g_fnv64(h, __builtin_sub_overflow(a, b, &r) * 2 + (r & 1));
            h = g_fnv64(h, __builtin_mul_overflow(a, b, &r) * 2 + (r & 1));
            int32_t r32;
            h = g_fnv64(h, __builtin_add_overflow((int32_t)a, (int32_t)b, &r32));
            h = g_fnv64(h, __builtin_mul_overflow((int32_t)a, (int32_t)b, &r32));
            uint64_t ur;
            h = g_fnv64(h, __builtin_add_overflow(ua, ub, &ur));
            h = g_fnv64(h, __builtin_sub_overflow(ua, ub, &ur));
            h = g_fnv64(h,
                        (a < b) | (ua < ub) << 1 | (a == b) << 2 | ((int32_t)a < (int32_t)b) << 3);
        }
    printf("checksum %016" PRIx64 "\n", h);

    printf("sdiv64 INT64_MIN/-1 = %" PRId64 "\n", sdiv64(INT64_MIN, -1));
    printf("sdiv32 INT32_MIN/-1 = %d\n", sdiv32(INT32_MIN, -1));
    printf("sdiv64 5/0 = %" PRId64 ", udiv64 5/0 = %" PRIu64 "\n", sdiv64(5, 0), udiv64(5, 0));
    printf("-7/2=%" PRId64 " -7%%2=%" PRId64 " 7/-2=%" PRId64 "\n", vals[7] / 2, vals[7] % 2,
           vals[6] / -2);
    printf("umulh(max,max)=%016" PRIx64 "\n",
           (uint64_t)(((unsigned __int128)UINT64_MAX * UINT64_MAX) >> 64));
    volatile uint8_t u8 = 250;
    volatile int8_t s8 = 127;
    volatile uint16_t u16 = 65535;
    u8 += 10;
    s8 = (int8_t)(s8 + 1);
    u16++;
    printf("u8 %u s8 %d u16 %u\n", u8, s8, u16);
    volatile int32_t m = -5;
    printf("neg mod: %d %d %u\n", m % 3, m / 3, (uint32_t)m % 3u);
    /* multiword add with carries (adds/adcs) */
    uint64_t x[4] = {UINT64_MAX, UINT64_MAX, 1, 0}, y[4] = {1, 0, UINT64_MAX, 5}, z[4];
    unsigned char c = 0;
    for (int i = 0; i < 4; i++) {
        unsigned __int128 s = (unsigned __int128)x[i] + y[i] + c;
        z[i] = (uint64_t)s;
        c = s >> 64;
    }
    printf("mw %016" PRIx64 " %016" PRIx64 " %016" PRIx64 " %016" PRIx64 "\n", z[0], z[1], z[2],
           z[3]);
    G_DONE();
}
