/* Advanced SIMD in tight loops, the shape the JIT keeps in registers
 * across iterations (dbt/jit/loop.c, V registers in xmm: vreg.c): strlen-
 * and bcmp-like scans (uminp/umaxp/cmeq/fmov), bitwise ops (and/bic/orr/
 * orn/eor/bsl/bit/bif), element moves (dup/ins/umov), FMLA accumulators
 * that turn subnormal or NaN part-way (the exact helper inside the loop),
 * more live V registers than the JIT caches, and a saturating op (a
 * helper call) among inline ones. */
#include "guest.h"
#include <arm_neon.h>
#include <inttypes.h>

static uint64_t H;
#define MIX(v)                                                                                     \
    do {                                                                                           \
        __typeof__(v) t_ = (v);                                                                    \
        H = g_fnv(H, &t_, sizeof t_);                                                              \
    } while (0)

static uint8_t buf[4096] __attribute__((aligned(16)));

__attribute__((noinline)) static size_t scan_zero(const uint8_t *p) {
    const uint8_t *q = p;
    for (;;) {
        uint8x16_t a = vld1q_u8(q), b = vld1q_u8(q + 16);
        uint8x16_t m = vpminq_u8(a, b);
        m = vpminq_u8(m, m);
        uint64_t w = vget_lane_u64(vreinterpret_u64_u8(vceqz_u8(vget_low_u8(m))), 0);
        if (w) break;
        q += 32;
    }
    return (size_t)(q - p);
}

__attribute__((noinline)) static size_t diff_at(const uint8_t *a, const uint8_t *b, size_t n) {
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        uint8x16_t x = veorq_u8(vld1q_u8(a + i), vld1q_u8(b + i));
        uint8x16_t y = veorq_u8(vld1q_u8(a + i + 16), vld1q_u8(b + i + 16));
        uint8x16_t m = vpmaxq_u8(x, y);
        m = vpmaxq_u8(m, m);
        if (vgetq_lane_u64(vreinterpretq_u64_u8(m), 0)) break;
    }
    return i;
}

__attribute__((noinline)) static uint32x4_t bitmix(const uint32_t *v, int n) {
    uint32x4_t acc = vdupq_n_u32(0x9e3779b9u), k = vdupq_n_u32(0x0f0f0f0fu);
    uint32x2_t half = vdup_n_u32(7);
    for (int i = 0; i + 4 <= n; i += 4) {
        uint32x4_t x = vld1q_u32(v + i);
        acc = veorq_u32(acc, x);
        acc = vbslq_u32(k, acc, vornq_u32(x, acc));
        acc = vorrq_u32(vbicq_u32(acc, x), vandq_u32(acc, k));
        acc = vsetq_lane_u32(vgetq_lane_u32(acc, 3) + (uint32_t)i, acc, 1);
        half = veor_u32(half, vget_low_u32(acc));
        acc = vaddq_u32(acc, vdupq_lane_u32(half, 1));
    }
    return acc;
}

/* vbit/vbif through inline asm: the compiler picks BSL for vbslq. */
__attribute__((noinline)) static uint64x2_t bitins(const uint64_t *v, int n) {
    uint64x2_t d = vdupq_n_u64(0x0123456789abcdefull), e = vdupq_n_u64(~0ull);
    for (int i = 0; i + 2 <= n; i += 2) {
        uint64x2_t x = vld1q_u64(v + i);
        __asm__("bit %0.16b, %1.16b, %2.16b" : "+w"(d) : "w"(x), "w"(e));
        __asm__("bif %0.16b, %1.16b, %2.16b" : "+w"(e) : "w"(d), "w"(x));
        e = vaddq_u64(e, x);
    }
    return veorq_u64(d, e);
}

__attribute__((noinline)) static float32x4_t fma_loop(const float *x, int n, float32x4_t acc,
                                                      float32x4_t scale) {
    for (int i = 0; i + 4 <= n; i += 4)
        acc = vfmaq_f32(vmulq_f32(acc, scale), vld1q_f32(x + i), scale);
    return acc;
}

__attribute__((noinline)) static float64x2_t fma_loop_d(const double *x, int n, float64x2_t acc,
                                                        float64x2_t scale) {
    for (int i = 0; i + 2 <= n; i += 2)
        acc = vfmaq_f64(vmulq_f64(acc, scale), vld1q_f64(x + i), scale);
    return acc;
}

/* Twelve accumulators: more than the JIT's ten cached V registers. */
__attribute__((noinline)) static uint32_t many(const uint32_t *v, int n) {
    uint32x4_t a0 = vdupq_n_u32(0), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0,
               a8 = a0, a9 = a0, a10 = a0, a11 = a0;
    for (int i = 0; i + 48 <= n; i += 4) {
        a0 = vaddq_u32(a0, vld1q_u32(v + i));
        a1 = veorq_u32(a1, vld1q_u32(v + i + 4));
        a2 = vaddq_u32(a2, vld1q_u32(v + i + 8));
        a3 = veorq_u32(a3, vld1q_u32(v + i + 12));
        a4 = vaddq_u32(a4, vld1q_u32(v + i + 16));
        a5 = vorrq_u32(a5, vld1q_u32(v + i + 20));
        a6 = vaddq_u32(a6, vld1q_u32(v + i + 24));
        a7 = vandq_u32(vaddq_u32(a7, a0), vld1q_u32(v + i + 28));
        a8 = vaddq_u32(a8, vld1q_u32(v + i + 32));
        a9 = vsubq_u32(a9, vld1q_u32(v + i + 36));
        a10 = vmaxq_u32(a10, vld1q_u32(v + i + 40));
        a11 = vaddq_u32(a11, vqaddq_u32(a1, a3)); /* UQADD: a helper */
    }
    uint32x4_t s = vaddq_u32(vaddq_u32(vaddq_u32(a0, a1), vaddq_u32(a2, a3)),
                             vaddq_u32(vaddq_u32(a4, a5), vaddq_u32(a6, a7)));
    s = vaddq_u32(s, vaddq_u32(vaddq_u32(a8, a9), vaddq_u32(a10, a11)));
    return vaddvq_u32(s);
}

int main(void) {
    uint64_t s = 5;
    for (int i = 0; i < 4096; i++)
        buf[i] = (uint8_t)(g_rand(&s) % 255 + 1);
    for (int k = 0; k < 40; k++) {
        size_t z = 64 + (size_t)(g_rand(&s) % 3900);
        buf[z] = 0;
        MIX(scan_zero(buf + (k & 15)));
        buf[z] = 1;
    }
    static uint8_t cpy[4096] __attribute__((aligned(16)));
    for (int k = 0; k < 20; k++) {
        memcpy(cpy, buf, sizeof cpy);
        cpy[(g_rand(&s) % 4000)] ^= (uint8_t)(1u << (k & 7));
        MIX(diff_at(buf, cpy, 4096 - (size_t)k));
    }
    const uint32_t *w = (const uint32_t *)buf;
    const uint64_t *w64 = (const uint64_t *)buf;
    for (int n = 400; n < 1024; n += 77) {
        MIX(bitmix(w, n));
        MIX(bitins(w64, n / 2));
        MIX(many(w, n));
    }
    static float f[256];
    static double d[256];
    for (int i = 0; i < 256; i++) {
        f[i] = (float)((int)(g_rand(&s) % 2001) - 1000) * 1e-3f;
        d[i] = (double)((int)(g_rand(&s) % 2001) - 1000) * 1e-3;
    }
    /* Scales that drive the accumulators towards subnormals (and stay
     * normal), an input NaN at some point, and plain ones. */
    const float fs[] = {0.5f, 1e-36f, 0.999f, 3.0f};
    const double ds[] = {0.5, 1e-306, 0.999, 3.0};
    for (int k = 0; k < 4; k++) {
        MIX(fma_loop(f, 256, vdupq_n_f32(1.0f), vdupq_n_f32(fs[k])));
        MIX(fma_loop_d(d, 256, vdupq_n_f64(1.0), vdupq_n_f64(ds[k])));
    }
    f[200] = g_bitsf(0x7fa00001u); /* signalling NaN */
    d[100] = g_bitsd(0x7ff4000000000001ull);
    MIX(fma_loop(f, 256, vdupq_n_f32(1.0f), vdupq_n_f32(0.5f)));
    MIX(fma_loop_d(d, 256, vdupq_n_f64(1.0), vdupq_n_f64(0.5)));
    uint64_t fpsr;
    __asm__ volatile("mrs %0, fpsr" : "=r"(fpsr));
    printf("fpsr %08" PRIx64 "\n", fpsr);
    printf("checksum %016" PRIx64 "\n", H);
    G_DONE();
}
