/* Advanced SIMD widening and narrowing: addl/subl/addw, mull/mlal, movl,
 * xtn, addhn/raddhn, shll, shrn/rshrn, pairwise addlp/adalp, abdl/abal. */
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
    uint64_t s = 17;
    uint8_t b[80];
    for (int i = 0; i < 80; i++)
        b[i] = (uint8_t)g_rand(&s);
    b[5] = 0xff;
    b[6] = 0x80;
    b[7] = 0x7f;
    for (int it = 0; it < 64; it++) {
        uint8x16_t a = vld1q_u8(b + (it % 64)), c = vld1q_u8(b + ((it * 3 + 1) % 64));
        int8x16_t sa = vreinterpretq_s8_u8(a), sc = vreinterpretq_s8_u8(c);
        uint16x8_t a16 = vreinterpretq_u16_u8(a), c16 = vreinterpretq_u16_u8(c);
        int16x8_t s16 = vreinterpretq_s16_u8(a), t16 = vreinterpretq_s16_u8(c);
        uint32x4_t a32 = vreinterpretq_u32_u8(a), c32 = vreinterpretq_u32_u8(c);
        int32x4_t s32 = vreinterpretq_s32_u8(a), t32 = vreinterpretq_s32_u8(c);
        uint64x2_t a64 = vreinterpretq_u64_u8(a), c64 = vreinterpretq_u64_u8(c);
        int64x2_t s64 = vreinterpretq_s64_u8(a);
        MIX(vaddl_u8(vget_low_u8(a), vget_low_u8(c)));
        MIX(vaddl_high_s8(sa, sc));
        MIX(vsubl_s16(vget_low_s16(s16), vget_high_s16(t16)));
        MIX(vsubl_high_u32(a32, c32));
        MIX(vaddw_u8(a16, vget_high_u8(c)));
        MIX(vsubw_high_s16(s32, t16));
        MIX(vaddw_s32(s64, vget_low_s32(t32)));
        MIX(vmull_u8(vget_low_u8(a), vget_low_u8(c)));
        MIX(vmull_high_s8(sa, sc));
        MIX(vmull_s16(vget_low_s16(s16), vget_low_s16(t16)));
        MIX(vmull_high_u32(a32, c32));
        MIX(vmlal_u16(a32, vget_low_u16(a16), vget_high_u16(c16)));
        MIX(vmlsl_high_s32(s64, s32, t32));
        MIX(vmull_n_s16(vget_low_s16(s16), (int16_t)t16[3]));
        MIX(vmull_lane_u32(vget_low_u32(a32), vget_high_u32(c32), 1));
        MIX(vmovl_u8(vget_low_u8(a)));
        MIX(vmovl_high_s8(sa));
        MIX(vmovl_s16(vget_high_s16(s16)));
        MIX(vmovl_u32(vget_low_u32(a32)));
        MIX(vmovn_u16(a16));
        MIX(vmovn_s32(s32));
        MIX(vmovn_u64(a64));
        MIX(vmovn_high_u16(vmovn_u16(c16), a16));
        MIX(vaddhn_u16(a16, c16));
        MIX(vraddhn_s32(s32, t32));
        MIX(vsubhn_u64(a64, c64));
        MIX(vrsubhn_high_s16(vmovn_s16(t16), s16, t16));
        MIX(vshll_n_u8(vget_low_u8(a), 3));
        MIX(vshll_high_n_s16(s16, 16));
        MIX(vshll_n_s32(vget_low_s32(s32), 31));
        MIX(vshrn_n_u16(a16, 5));
        MIX(vrshrn_n_s32(s32, 13));
        MIX(vrshrn_n_u64(a64, 20));
        MIX(vshrn_high_n_s16(vmovn_s16(t16), s16, 8));
        MIX(vpaddlq_u8(a));
        MIX(vpaddlq_s16(s16));
        MIX(vpaddlq_u32(a32));
        MIX(vpadalq_s8(t16, sa));
        MIX(vpadalq_u16(c32, a16));
        MIX(vabdl_u8(vget_low_u8(a), vget_low_u8(c)));
        MIX(vabdl_high_s16(s16, t16));
        MIX(vabal_s8(t16, vget_low_s8(sa), vget_high_s8(sc)));
        MIX(vabal_high_u32(c64, a32, c32));
        MIX(vcvtq_f32_u32(vmovl_u16(vget_low_u16(a16))));
    }
    printf("neon widen/narrow checksum %016" PRIx64 "\n", H);
    uint16x8_t w = vmull_u8(vdup_n_u8(255), vdup_n_u8(255));
    int16x8_t sw = vmull_s8(vdup_n_s8(-128), vdup_n_s8(-128));
    printf("umull 255*255 = %u smull -128*-128 = %d addhn %u\n", w[0], sw[0], vaddhn_u16(w, w)[0]);
    G_DONE();
}
