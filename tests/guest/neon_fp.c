/* Advanced SIMD floating point lanes (f32x4, f64x2): arithmetic, fma by
 * element, min/max(nm), compares, conversions incl. fixed point and all
 * rounding variants, frecpe/frsqrte estimates and steps, pairwise and
 * across-lane reductions. */
#include "guest.h"
#include <arm_neon.h>
#include <math.h>
#include <inttypes.h>

static uint64_t H;
#define MIX(v)                                                                                     \
    do {                                                                                           \
        __typeof__(v) t_ = (v);                                                                    \
        H = g_fnv(H, &t_, sizeof t_);                                                              \
    } while (0)

int main(void) {
    float fv[40];
    double dv[24];
    uint64_t s = 23;
    for (int i = 0; i < 40; i++)
        fv[i] = ((float)(int)(g_rand(&s) % 20001) - 10000.0f) / 64.0f;
    for (int i = 0; i < 24; i++)
        dv[i] = ((double)(int64_t)(g_rand(&s) % 2000001) - 1000000.0) / 4096.0;
    fv[3] = NAN;
    fv[7] = -INFINITY;
    fv[8] = -0.0f;
    fv[9] = 1e-40f;
    fv[10] = 0.5f;
    fv[11] = -1.5f;
    fv[12] = 2.5f;
    fv[13] = 3e9f;
    fv[14] = -3e9f;
    fv[20] = INFINITY;
    dv[2] = NAN;
    dv[5] = -0.0;
    dv[6] = 1e300;
    dv[7] = 4.5;
    for (int it = 0; it < 28; it++) {
        float32x4_t a = vld1q_f32(fv + it % 36), b = vld1q_f32(fv + (it * 7 + 2) % 36);
        float64x2_t x = vld1q_f64(dv + it % 22), y = vld1q_f64(dv + (it * 5 + 1) % 22);
        MIX(vaddq_f32(a, b));
        MIX(vsubq_f32(a, b));
        MIX(vmulq_f32(a, b));
        MIX(vdivq_f32(a, b));
        MIX(vfmaq_f32(a, b, a));
        MIX(vfmsq_f32(b, a, a));
        MIX(vfmaq_laneq_f32(a, b, a, 3));
        MIX(vmulq_n_f32(a, 0.1f));
        MIX(vmulxq_f32(a, b));
        MIX(vabdq_f32(a, b));
        MIX(vabsq_f32(a));
        MIX(vnegq_f32(a));
        MIX(vsqrtq_f32(a));
        MIX(vmaxq_f32(a, b));
        MIX(vminq_f32(a, b));
        MIX(vmaxnmq_f32(a, b));
        MIX(vminnmq_f32(a, b));
        MIX(vmaxvq_f32(a));
        MIX(vminnmvq_f32(a));
        MIX(vpaddq_f32(a, b));
        MIX(vpmaxq_f32(a, b));
        MIX(vpminnmq_f32(a, b));
        MIX(vceqq_f32(a, b));
        MIX(vcgeq_f32(a, b));
        MIX(vcltq_f32(a, b));
        MIX(vcagtq_f32(a, b));
        MIX(vceqzq_f32(a));
        MIX(vcltzq_f32(a));
        MIX(vcvtq_s32_f32(a));
        MIX(vcvtq_u32_f32(a));
        MIX(vcvtnq_s32_f32(a));
        MIX(vcvtaq_s32_f32(a));
        MIX(vcvtmq_u32_f32(a));
        MIX(vcvtpq_s32_f32(a));
        MIX(vcvtq_n_s32_f32(a, 8));
        MIX(vcvtq_n_f32_s32(vcvtq_s32_f32(a), 4));
        MIX(vcvtq_f32_s32(vreinterpretq_s32_f32(a)));
        MIX(vrndq_f32(a));
        MIX(vrndnq_f32(a));
        MIX(vrndaq_f32(a));
        MIX(vrndmq_f32(a));
        MIX(vrndpq_f32(a));
        MIX(vrndxq_f32(a));
        MIX(vrndiq_f32(a));
        MIX(vrecpeq_f32(a));
        MIX(vrsqrteq_f32(a));
        MIX(vrecpsq_f32(a, b));
        MIX(vrsqrtsq_f32(a, b));
        MIX(vrecpeq_u32(vreinterpretq_u32_f32(a)));
        MIX(vcvt_f64_f32(vget_low_f32(a)));
        MIX(vcvt_high_f32_f64(vget_low_f32(b), x));
        MIX(vcvtx_f32_f64(y));
        MIX(vaddq_f64(x, y));
        MIX(vmulq_f64(x, y));
        MIX(vdivq_f64(x, y));
        MIX(vfmaq_f64(x, y, x));
        MIX(vsqrtq_f64(x));
        MIX(vmaxnmq_f64(x, y));
        MIX(vminq_f64(x, y));
        MIX(vcgtq_f64(x, y));
        MIX(vcvtq_s64_f64(x));
        MIX(vcvtq_u64_f64(x));
        MIX(vcvtq_f64_s64(vreinterpretq_s64_f64(x)));
        MIX(vrndnq_f64(x));
        MIX(vrecpeq_f64(x));
        MIX(vrsqrteq_f64(x));
        MIX(vpaddq_f64(x, y));
        MIX(vmaxnmvq_f64(x));
        MIX(vfmaq_laneq_f64(x, y, x, 1));
        MIX(vmulq_laneq_f64(x, y, 0));
        MIX(vbslq_f32(vcgtq_f32(a, b), a, b));
        MIX(vabs_f32(vget_low_f32(a)));
        MIX(vpadds_f32(vget_low_f32(b)));
        MIX(vfmas_laneq_f32(fv[it], a[1], b, 2));
        MIX(vmulxd_f64(x[0], y[1]));
        MIX(vrecpes_f32(fv[it]));
        MIX(vrecpxs_f32(fv[it]));
        MIX(vrsqrtes_f32(fv[it]));
    }
    printf("neon fp checksum %016" PRIx64 "\n", H);
    float32x4_t e = {1.0f, 3.0f, 0.0f, -4.0f};
    float32x4_t re = vrecpeq_f32(e), rs = vrsqrteq_f32(e);
    for (int i = 0; i < 4; i++)
        printf("x=%g recpe %08x rsqrte %08x\n", e[i], g_fbits(re[i]), g_fbits(rs[i]));
    float32x4_t r2 = vmulq_f32(re, vrecpsq_f32(e, re));
    printf("newton 1/3 %a\n", (double)r2[1]);
    G_DONE();
}
