/* Shifts, rotates, bit-count builtins, byte swaps, bitfields, rbit. */
#include "guest.h"
#include <inttypes.h>

static uint64_t rbit64(uint64_t x) {
    uint64_t r;
    __asm__("rbit %0, %1" : "=r"(r) : "r"(x));
    return r;
}
static uint32_t rbit32(uint32_t x) {
    uint32_t r;
    __asm__("rbit %w0, %w1" : "=r"(r) : "r"(x));
    return r;
}
static uint64_t cls64(int64_t x) {
    uint64_t r;
    __asm__("cls %0, %1" : "=r"(r) : "r"(x));
    return r;
}
static uint64_t ror64(uint64_t x, unsigned n) {
    return (x >> (n & 63)) | (x << ((64 - n) & 63));
}
static uint32_t ror32(uint32_t x, unsigned n) {
    return (x >> (n & 31)) | (x << ((32 - n) & 31));
}

struct bf {
    unsigned a : 3;
    signed b : 5;
    unsigned c : 12;
    signed d : 20;
    unsigned long long e : 40;
};

int main(void) {
    uint64_t seed = 42, h = 0;
    volatile uint64_t special[] = {
        0, 1, 0x80000000u, 0xffffffffu, 0x8000000000000000ull, ~0ull, 0x0123456789abcdefull};
    for (int i = 0; i < 400; i++) {
        uint64_t x = i < 7 ? special[i] : g_rand(&seed) >> (i % 64);
        uint32_t w = (uint32_t)x;
        for (unsigned s = 0; s < 64; s += 7) {
            volatile unsigned vs = s;
            h = g_fnv64(h, x << vs);
            h = g_fnv64(h, x >> vs);
            h = g_fnv64(h, (uint64_t)((int64_t)x >> vs));
            h = g_fnv64(h, w << (vs & 31));
            h = g_fnv64(h, w >> (vs & 31));
            h = g_fnv64(h, (uint32_t)((int32_t)w >> (vs & 31)));
            h = g_fnv64(h, ror64(x, vs));
            h = g_fnv64(h, ror32(w, vs));
            /* register-specified shifts use the amount modulo width */
            uint64_t r;
            __asm__("lsl %0, %1, %2" : "=r"(r) : "r"(x), "r"((uint64_t)vs + 64));
            h = g_fnv64(h, r);
            __asm__("asr %w0, %w1, %w2" : "=r"(r) : "r"(x), "r"((uint64_t)vs + 32));
            h = g_fnv64(h, r);
        }
        h = g_fnv64(h, x ? __builtin_clzll(x) : 64);
        h = g_fnv64(h, x ? __builtin_ctzll(x) : 64);
        h = g_fnv64(h, w ? __builtin_clz(w) : 32);
        h = g_fnv64(h, __builtin_popcountll(x));
        h = g_fnv64(h, __builtin_popcount(w));
        h = g_fnv64(h, __builtin_parityll(x));
        h = g_fnv64(h, __builtin_bswap64(x));
        h = g_fnv64(h, __builtin_bswap32(w));
        h = g_fnv64(h, __builtin_bswap16((uint16_t)w));
        h = g_fnv64(h, rbit64(x));
        h = g_fnv64(h, rbit32(w));
        h = g_fnv64(h, cls64((int64_t)x));
        h = g_fnv64(h, __builtin_clrsbll((long long)x));
        h = g_fnv64(h, (x & 0xff00ff00ff00ff00ull) | (~x & 0x00ff));
        h = g_fnv64(h, x ^ (x >> 17) ^ (w << 3));
        h = g_fnv64(h, (x >> 13) & 0x7ff);                           /* ubfx */
        h = g_fnv64(h, (uint64_t)(((int64_t)x << 20) >> 44));        /* sbfx */
        h = g_fnv64(h, (x & ~(0x3full << 10)) | ((w & 0x3f) << 10)); /* bfi */
        struct bf b;
        memset(&b, 0, sizeof b);
        b.a = x;
        b.b = x >> 3;
        b.c = x >> 8;
        b.d = x >> 20;
        b.e = x >> 7;
        h = g_fnv64(h, b.a + b.b * 3 + b.c * 5 + b.d * 7 + b.e * 11);
        h = g_fnv64(h, (int8_t)x + (int16_t)x + (int32_t)x); /* sxtb/sxth/sxtw */
        h = g_fnv64(h, (uint8_t)x + (uint16_t)x);
    }
    printf("checksum %016" PRIx64 "\n", h);
    printf("clz(1)=%d ctz(0x80)=%d popcount(~0)=%d\n", __builtin_clzll(special[1]),
           __builtin_ctz(0x80 + (int)special[0]), __builtin_popcountll(special[5]));
    printf("bswap64 %016" PRIx64 " rbit64 %016" PRIx64 "\n", __builtin_bswap64(special[6]),
           rbit64(special[6]));
    printf("cls(0)=%" PRIu64 " cls(-1)=%" PRIu64 " cls(1)=%" PRIu64 "\n", cls64(0), cls64(-1),
           cls64(1));
    G_DONE();
}
