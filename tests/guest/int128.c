/* 128-bit integers: arithmetic via libgcc helpers (__divti3, __udivti3,
 * __multi3 ...), shifts across the word boundary, printing. */
#include "guest.h"
#include <inttypes.h>

typedef unsigned __int128 u128;
typedef __int128 s128;

static void put_u128(u128 v) {
    char buf[48];
    int n = 0;
    do {
        buf[n++] = '0' + (int)(v % 10);
        v /= 10;
    } while (v);
    while (n)
        putchar(buf[--n]);
}
static void put_s128(s128 v) {
    if (v < 0) {
        putchar('-');
        put_u128(-(u128)v);
    } else
        put_u128(v);
}

int main(void) {
    volatile u128 big = ((u128)0xfedcba9876543210ull << 64) | 0x0123456789abcdefull;
    u128 f = 1;
    for (int i = 1; i <= 34; i++) {
        f *= i;
        if (i >= 30) {
            printf("%d! = ", i);
            put_u128(f);
            putchar('\n');
        }
    }
    s128 s = -(s128)big / 3;
    printf("-big/3 = ");
    put_s128(s);
    putchar('\n');
    printf("-big%%7 = ");
    put_s128(-(s128)big % 7);
    putchar('\n');
    printf("max u128 = ");
    put_u128(~(u128)0);
    putchar('\n');
    printf("min s128 = ");
    put_s128((s128)((u128)1 << 127));
    putchar('\n');
    uint64_t seed = 7, h = 0;
    for (int i = 0; i < 300; i++) {
        u128 a = ((u128)g_rand(&seed) << 64 | g_rand(&seed)) >> (i % 100);
        u128 b = ((u128)g_rand(&seed) << 64 | g_rand(&seed)) >> (i % 127);
        if (!b) b = 1;
        u128 r[] = {a + b,
                    a - b,
                    a * b,
                    a / b,
                    a % b,
                    a << (i % 128),
                    a >> (i % 128),
                    (u128)((s128)a >> (i % 128)),
                    (u128)((s128)a / (s128)b),
                    (u128)((s128)a % (s128)b),
                    (u128)(a < b),
                    (u128)((s128)a < (s128)b)};
        for (unsigned k = 0; k < sizeof r / sizeof r[0]; k++)
            h = g_fnv(h, &r[k], 16);
    }
    printf("checksum %016" PRIx64 "\n", h);
    /* conversions */
    volatile double d = 1.5e30;
    u128 fromd = (u128)d;
    printf("(u128)1.5e30 = ");
    put_u128(fromd);
    putchar('\n');
    printf("(double)big = %a\n", (double)big);
    printf("(float)(s128)-big = %a\n", (float)-(s128)big);
    G_DONE();
}
