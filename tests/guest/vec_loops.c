/* Loops GCC auto-vectorizes at -O3 (built at O0, O2 and O3): reductions,
 * saxpy, byte transforms, conditional select, widening sums, strided and
 * reversed access, min/max, int<->float conversion. */
#include "guest.h"
#include <inttypes.h>

#define N 1003 /* not a multiple of the vector length: exercises tails */
static float fa[N], fb[N], fc[N];
static double da[N], db[N];
static int32_t ia[N], ib[N], ic[N];
static int16_t sa[N], sb[N];
static uint8_t ua[N], ub[N], uc[N];
static int64_t la[N];

__attribute__((noinline)) static void saxpy(float *restrict y, const float *restrict x, float a,
                                            int n) {
    for (int i = 0; i < n; i++)
        y[i] = a * x[i] + y[i];
}
__attribute__((noinline)) static int32_t isum(const int32_t *v, int n) {
    int32_t s = 0;
    for (int i = 0; i < n; i++)
        s += v[i];
    return s;
}
__attribute__((noinline)) static int64_t widesum(const int16_t *a, const int16_t *b, int n) {
    int64_t s = 0;
    for (int i = 0; i < n; i++)
        s += (int32_t)a[i] * b[i];
    return s;
}
__attribute__((noinline)) static uint32_t bytesum(const uint8_t *a, int n) {
    uint32_t s = 0;
    for (int i = 0; i < n; i++)
        s += a[i];
    return s;
}
__attribute__((noinline)) static void bytemix(uint8_t *restrict c, const uint8_t *restrict a,
                                              const uint8_t *restrict b, int n) {
    for (int i = 0; i < n; i++)
        c[i] = (uint8_t)((a[i] + b[i] + 1) >> 1) ^ (a[i] > b[i] ? a[i] - b[i] : b[i] - a[i]);
}
__attribute__((noinline)) static void cond(int32_t *restrict c, const int32_t *restrict a,
                                           const int32_t *restrict b, int n) {
    for (int i = 0; i < n; i++)
        c[i] = a[i] > b[i] ? a[i] * 3 : b[i] - a[i];
}
__attribute__((noinline)) static int32_t imax(const int32_t *a, int n) {
    int32_t m = INT32_MIN;
    for (int i = 0; i < n; i++)
        m = a[i] > m ? a[i] : m;
    return m;
}
__attribute__((noinline)) static float fmaxr(const float *a, int n) {
    float m = -1e30f;
    for (int i = 0; i < n; i++)
        m = a[i] > m ? a[i] : m;
    return m;
}
__attribute__((noinline)) static void rev(int32_t *restrict c, const int32_t *restrict a, int n) {
    for (int i = 0; i < n; i++)
        c[i] = a[n - 1 - i] << 1;
}
__attribute__((noinline)) static void strided(float *restrict c, const float *restrict a, int n) {
    for (int i = 0; i < n / 2; i++)
        c[i] = a[2 * i] - a[2 * i + 1];
}
__attribute__((noinline)) static void conv(float *restrict c, const int32_t *restrict a, int n) {
    for (int i = 0; i < n; i++)
        c[i] = (float)a[i] * 0.25f;
}
__attribute__((noinline)) static void conv2(int32_t *restrict c, const float *restrict a, int n) {
    for (int i = 0; i < n; i++)
        c[i] = (int32_t)a[i];
}
__attribute__((noinline)) static void dmul(double *restrict a, const double *restrict b, int n) {
    for (int i = 0; i < n; i++)
        a[i] = a[i] * b[i] + 1.0;
}
__attribute__((noinline)) static void shifts(int16_t *restrict a, const int16_t *restrict b,
                                             int n) {
    for (int i = 0; i < n; i++)
        a[i] = (int16_t)((a[i] >> 2) + (b[i] << 3) - (a[i] & b[i]));
}
__attribute__((noinline)) static void widen64(int64_t *restrict l, const int32_t *restrict a,
                                              int n) {
    for (int i = 0; i < n; i++)
        l[i] = (int64_t)a[i] * a[i];
}
__attribute__((noinline)) static void satu8(uint8_t *restrict c, const uint8_t *restrict a,
                                            const uint8_t *restrict b, int n) {
    for (int i = 0; i < n; i++) {
        int t = a[i] + b[i];
        c[i] = t > 255 ? 255 : (uint8_t)t;
    }
}

int main(void) {
    uint64_t s = 31, h = 0;
    for (int i = 0; i < N; i++) {
        fa[i] = (float)(int)(g_rand(&s) % 2001 - 1000) / 8.0f;
        fb[i] = (float)(int)(g_rand(&s) % 2001 - 1000) / 16.0f;
        da[i] = (double)(int)(g_rand(&s) % 2001 - 1000) / 3.0;
        db[i] = (double)(int)(g_rand(&s) % 2001 - 1000) / 7.0;
        ia[i] = (int32_t)g_rand(&s) >> 8;
        ib[i] = (int32_t)g_rand(&s) >> 8;
        sa[i] = (int16_t)g_rand(&s);
        sb[i] = (int16_t)g_rand(&s);
        ua[i] = (uint8_t)g_rand(&s);
        ub[i] = (uint8_t)g_rand(&s);
    }
    for (int n = N - 16; n <= N; n += 5) {
        saxpy(fc, fa, 1.5f, n);
        h = g_fnv(h, fc, sizeof fc);
        h = g_fnv64(h, (uint32_t)isum(ia, n));
        h = g_fnv64(h, (uint64_t)widesum(sa, sb, n));
        h = g_fnv64(h, bytesum(ua, n));
        bytemix(uc, ua, ub, n);
        h = g_fnv(h, uc, sizeof uc);
        cond(ic, ia, ib, n);
        h = g_fnv(h, ic, sizeof ic);
        h = g_fnv64(h, (uint32_t)imax(ib, n));
        h = g_fnv64(h, g_fbits(fmaxr(fb, n)));
        rev(ic, ib, n);
        h = g_fnv(h, ic, sizeof ic);
        strided(fc, fb, n);
        h = g_fnv(h, fc, sizeof fc);
        conv(fc, ia, n);
        h = g_fnv(h, fc, sizeof fc);
        conv2(ic, fc, n);
        h = g_fnv(h, ic, sizeof ic);
        dmul(da, db, n);
        h = g_fnv(h, da, sizeof da);
        shifts(sa, sb, n);
        h = g_fnv(h, sa, sizeof sa);
        widen64(la, ib, n);
        h = g_fnv(h, la, sizeof la);
        satu8(uc, ua, ub, n);
        h = g_fnv(h, uc, sizeof uc);
        memcpy(fa, fc, sizeof fa);
    }
    printf("isum %d bytesum %u imax %d\n", isum(ia, N), bytesum(ua, N), imax(ia, N));
    printf("checksum %016" PRIx64 "\n", h);
    G_DONE();
}
