/* Advanced SIMD integer ops via arm_neon.h: arithmetic, compare, min/max,
 * abs/abd, shifts, bitwise select, across-lane reductions, pairwise. */
#include "guest.h"
#include <arm_neon.h>
#include <inttypes.h>

static uint64_t H;
#define MIX(v)                                                                                     \
    do {                                                                                           \
        __typeof__(v) t_ = (v);                                                                    \
        H = g_fnv(H, &t_, sizeof t_);                                                              \
    } while (0)

int main(void) {
    uint64_t s = 11;
    uint8_t b[64];
    for (int i = 0; i < 64; i++)
        b[i] = (uint8_t)g_rand(&s);
    b[0] = 0;
    b[1] = 255;
    b[2] = 128;
    b[3] = 127;
    b[16] = 0x80;
    b[17] = 0x7f;
    for (int it = 0; it < 48; it++) {
        uint8x16_t a = vld1q_u8(b + (it % 48)), c = vld1q_u8(b + ((it * 7) % 48));
        int8x16_t sa = vreinterpretq_s8_u8(a), sc = vreinterpretq_s8_u8(c);
        uint16x8_t a16 = vreinterpretq_u16_u8(a), c16 = vreinterpretq_u16_u8(c);
        int16x8_t s16 = vreinterpretq_s16_u8(a), t16 = vreinterpretq_s16_u8(c);
        uint32x4_t a32 = vreinterpretq_u32_u8(a), c32 = vreinterpretq_u32_u8(c);
        int32x4_t s32 = vreinterpretq_s32_u8(a), t32 = vreinterpretq_s32_u8(c);
        int64x2_t s64 = vreinterpretq_s64_u8(a), t64 = vreinterpretq_s64_u8(c);
        MIX(vaddq_u8(a, c));
        MIX(vsubq_u16(a16, c16));
        MIX(vmulq_u8(a, c));
        MIX(vmulq_s16(s16, t16));
        MIX(vmulq_u32(a32, c32));
        MIX(vmlaq_u32(a32, c32, a32));
        MIX(vmlsq_s16(s16, t16, s16));
        MIX(vmulq_lane_s16(s16, vget_low_s16(t16), 3));
        MIX(vmlaq_laneq_s32(s32, t32, s32, 2));
        MIX(vaddq_s64(s64, t64));
        MIX(vsubq_s64(s64, t64));
        MIX(vceqq_u8(a, c));
        MIX(vcgtq_s8(sa, sc));
        MIX(vcgeq_u16(a16, c16));
        MIX(vcltzq_s32(s32));
        MIX(vcgtq_s64(s64, t64));
        MIX(vcleq_u64(vreinterpretq_u64_u8(a), vreinterpretq_u64_u8(c)));
        MIX(vtstq_u8(a, c));
        MIX(vceqzq_s16(s16));
        MIX(vmaxq_u8(a, c));
        MIX(vminq_s8(sa, sc));
        MIX(vmaxq_s16(s16, t16));
        MIX(vminq_u32(a32, c32));
        MIX(vabsq_s8(sa));
        MIX(vabsq_s64(s64));
        MIX(vnegq_s32(s32));
        MIX(vabdq_u8(a, c));
        MIX(vabdq_s16(s16, t16));
        MIX(vabaq_u8(a, a, c));
        MIX(vhaddq_u8(a, c));
        MIX(vrhaddq_s8(sa, sc));
        MIX(vhsubq_u16(a16, c16));
        MIX(vshlq_n_u8(a, 3));
        MIX(vshrq_n_s16(s16, 5));
        MIX(vshrq_n_u32(a32, 31));
        MIX(vshrq_n_s64(s64, 63));
        MIX(vrshrq_n_u8(a, 2));
        MIX(vsraq_n_s16(s16, t16, 3));
        MIX(vrsraq_n_u32(a32, c32, 7));
        MIX(vsliq_n_u8(a, c, 3));
        MIX(vsriq_n_u16(a16, c16, 9));
        MIX(vshlq_s8(sa, vshrq_n_s8(sc, 4)));
        MIX(vshlq_u32(a32, vreinterpretq_s32_u32(vandq_u32(c32, vdupq_n_u32(0x8000003f)))));
        MIX(vrshlq_s16(s16, vshrq_n_s16(t16, 11)));
        MIX(vshlq_s64(s64, vshrq_n_s64(t64, 58)));
        MIX(vandq_u8(a, c));
        MIX(vorrq_u8(a, c));
        MIX(veorq_u8(a, c));
        MIX(vbicq_u8(a, c));
        MIX(vornq_u8(a, c));
        MIX(vmvnq_u8(a));
        MIX(vbslq_u8(c, a, vmvnq_u8(a)));
        MIX(vcntq_u8(a));
        MIX(vclzq_u8(a));
        MIX(vclzq_s16(s16));
        MIX(vclzq_u32(a32));
        MIX(vclsq_s8(sa));
        MIX(vclsq_s32(s32));
        MIX(vrbitq_u8(a));
        MIX(vaddvq_u8(a));
        MIX(vaddvq_s16(s16));
        MIX(vaddvq_u32(a32));
        MIX(vaddvq_s64(s64));
        MIX(vmaxvq_u8(a));
        MIX(vminvq_s8(sa));
        MIX(vmaxvq_s16(s16));
        MIX(vminvq_u32(a32));
        MIX(vaddlvq_u8(a));
        MIX(vaddlvq_s16(s16));
        MIX(vaddlvq_u32(a32));
        MIX(vpaddq_u8(a, c));
        MIX(vpmaxq_s16(s16, t16));
        MIX(vpminq_u32(a32, c32));
        MIX(vpadd_u8(vget_low_u8(a), vget_high_u8(c)));
        MIX(vadd_u8(vget_low_u8(a), vget_high_u8(c)));
        MIX(vmul_s32(vget_low_s32(s32), vget_high_s32(t32)));
        MIX(vdupq_n_u8(b[it]));
        MIX(vdupq_laneq_u16(a16, 5));
        MIX(vmovq_n_s32((int32_t)s32[1]));
        MIX(vgetq_lane_u8(a, 9));
        MIX(vgetq_lane_s16(s16, 7));
        MIX(vsetq_lane_u32(99, a32, 2));
        MIX(vmull_p8(vget_low_p8(vreinterpretq_p8_u8(a)), vget_low_p8(vreinterpretq_p8_u8(c))));
        MIX(vmulq_p8(vreinterpretq_p8_u8(a), vreinterpretq_p8_u8(c)));
        MIX(vuzp1q_u8(vaddq_u8(a, c), a));
    }
    printf("neon int checksum %016" PRIx64 "\n", H);
    uint8x16_t x = vld1q_u8(b);
    uint8_t out[16];
    vst1q_u8(out, vaddq_u8(x, vdupq_n_u8(1)));
    for (int i = 0; i < 16; i++)
        printf("%02x", out[i]);
    printf("\naddv %u maxv %u minv %d\n", vaddvq_u8(x), vmaxvq_u8(x),
           vminvq_s8(vreinterpretq_s8_u8(x)));
    G_DONE();
}
