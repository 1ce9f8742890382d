/* Advanced SIMD integer multiplies by element: MUL, MLA, MLS and
 * [SU]MULL, [SU]MLAL, [SU]MLSL(2), 16- and 32-bit elements, every
 * element index at the limits (0 and the last, 7 for H, 3 for S), 64- and
 * 128-bit forms, with edge lanes (0, 1, the most negative, all ones). */
#include "guest.h"
#include <arm_neon.h>

#include "neon_show.h"

static const uint8_t pat[48] = {
    0x00, 0x01, 0x7f, 0x80, 0xff, 0xfe, 0x55, 0xaa, 0x81, 0x40, 0x3c, 0xc3, 0x0f, 0xf0, 0x12, 0xed,
    0x00, 0x80, 0xff, 0xff, 0xff, 0x7f, 0x01, 0x00, 0x00, 0x00, 0x00, 0x80, 0xff, 0xff, 0xff, 0xff,
    0x02, 0x00, 0x00, 0x00, 0x00, 0x80, 0xff, 0xff, 0x80, 0xff, 0x7f, 0x00, 0x02, 0x00, 0x01, 0x80};

int main(void) {
    uint8x16_t a8 = vld1q_u8(pat), b8 = vld1q_u8(pat + 16), c8 = vld1q_u8(pat + 32);
    OPAQUE(a8);
    OPAQUE(b8);
    OPAQUE(c8);
    uint16x8_t a = vreinterpretq_u16_u8(a8), b = vreinterpretq_u16_u8(b8),
               w = vreinterpretq_u16_u8(c8);
    int16x8_t sa = vreinterpretq_s16_u16(a), sb = vreinterpretq_s16_u16(b);
    uint32x4_t a32 = vreinterpretq_u32_u8(a8), b32 = vreinterpretq_u32_u8(b8),
               w32 = vreinterpretq_u32_u8(c8);
    int32x4_t sa32 = vreinterpretq_s32_u32(a32), sb32 = vreinterpretq_s32_u32(b32),
              sw32 = vreinterpretq_s32_u32(w32);
    uint64x2_t w64 = vreinterpretq_u64_u8(c8);
    int64x2_t sw64 = vreinterpretq_s64_u8(c8);

    SHOW("mul.8h[0]", vmulq_laneq_u16(a, b, 0));
    SHOW("mul.8h[7]", vmulq_laneq_u16(a, b, 7));
    SHOW("mul.8h[2]", vmulq_laneq_u16(a, b, 2));
    SHOW("mul.4h[5]", vmul_laneq_u16(vget_low_u16(a), b, 5));
    SHOW("mla.8h[1]", vmlaq_laneq_u16(w, a, b, 1));
    SHOW("mla.4h[7]", vmla_laneq_u16(vget_low_u16(w), vget_high_u16(a), b, 7));
    SHOW("mls.8h[3]", vmlsq_laneq_u16(w, a, b, 3));
    SHOW("mls.4h[6]", vmls_laneq_u16(vget_low_u16(w), vget_low_u16(a), b, 6));
    SHOW("mul.4s[0]", vmulq_laneq_u32(a32, b32, 0));
    SHOW("mul.4s[3]", vmulq_laneq_u32(a32, b32, 3));
    SHOW("mul.2s[1]", vmul_laneq_u32(vget_high_u32(a32), b32, 1));
    SHOW("mla.4s[2]", vmlaq_laneq_u32(w32, a32, b32, 2));
    SHOW("mla.2s[3]", vmla_laneq_u32(vget_low_u32(w32), vget_low_u32(a32), b32, 3));
    SHOW("mls.4s[1]", vmlsq_laneq_u32(w32, a32, b32, 1));
    SHOW("mls.2s[0]", vmls_laneq_u32(vget_low_u32(w32), vget_high_u32(a32), b32, 0));

    SHOW("umull.4s[7]", vmull_laneq_u16(vget_low_u16(a), b, 7));
    SHOW("smull.4s[1]", vmull_laneq_s16(vget_low_s16(sa), sb, 1));
    SHOW("umull2.4s[0]", vmull_high_laneq_u16(a, b, 0));
    SHOW("smull2.4s[7]", vmull_high_laneq_s16(sa, sb, 7));
    SHOW("umlal.4s[2]", vmlal_laneq_u16(w32, vget_low_u16(a), b, 2));
    SHOW("smlal2.4s[5]", vmlal_high_laneq_s16(sw32, sa, sb, 5));
    SHOW("umlsl2.4s[6]", vmlsl_high_laneq_u16(w32, a, b, 6));
    SHOW("smlsl.4s[3]", vmlsl_laneq_s16(sw32, vget_low_s16(sa), sb, 3));
    SHOW("umull.2d[3]", vmull_laneq_u32(vget_low_u32(a32), b32, 3));
    SHOW("smull.2d[2]", vmull_laneq_s32(vget_low_s32(sa32), sb32, 2));
    SHOW("umull2.2d[1]", vmull_high_laneq_u32(a32, b32, 1));
    SHOW("smull2.2d[3]", vmull_high_laneq_s32(sa32, sb32, 3));
    SHOW("umlal2.2d[0]", vmlal_high_laneq_u32(w64, a32, b32, 0));
    SHOW("smlal.2d[1]", vmlal_laneq_s32(sw64, vget_low_s32(sa32), sb32, 1));
    SHOW("umlsl.2d[2]", vmlsl_laneq_u32(w64, vget_low_u32(a32), b32, 2));
    SHOW("smlsl2.2d[3]", vmlsl_high_laneq_s32(sw64, sa32, sb32, 3));
    /* a dot-product style loop on pinned registers */
    int32x4_t acc = vdupq_n_s32(0);
    int16x8_t x = sa;
    for (int i = 0; i < 200; i++) {
        acc = vmlal_laneq_s16(acc, vget_low_s16(x), sb, 4);
        acc = vmlal_high_laneq_s16(acc, x, sb, 6);
        x = vmulq_laneq_s16(x, sb, 7);
        x = vaddq_s16(x, sa);
    }
    SHOW("loop", acc);
    G_DONE();
}
