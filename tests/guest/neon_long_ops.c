/* Advanced SIMD three different, long and wide integer forms at every
 * size, signed and unsigned, low and high ("2") halves: [SU]ADDL,
 * [SU]ADDW, [SU]SUBL, [SU]SUBW, [SU]MULL, [SU]MLAL, [SU]MLSL. Lanes hold
 * edge values (0, 1, the most negative, the largest, all ones), so the
 * sums, differences and products reach the wide lane's limits. */
#include "guest.h"
#include <arm_neon.h>

#include "neon_show.h"

static const uint8_t pat[48] = {
    0x00, 0x01, 0x7f, 0x80, 0xff, 0xfe, 0x55, 0xaa, 0x81, 0x40, 0x3c, 0xc3, 0x0f, 0xf0, 0x12, 0xed,
    0x80, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0x7f, 0x00, 0x00, 0x00, 0x80, 0x01, 0x00, 0x00, 0x00,
    0xff, 0xff, 0xff, 0xff, 0x00, 0x80, 0xff, 0xff, 0x80, 0xff, 0x7f, 0x00, 0x02, 0x00, 0x01, 0x80};

int main(void) {
    uint8x16_t a8 = vld1q_u8(pat), b8 = vld1q_u8(pat + 16), c8 = vld1q_u8(pat + 32);
    OPAQUE(a8);
    OPAQUE(b8);
    OPAQUE(c8);
    /* 8 -> 16 */
    {
        uint8x16_t a = a8, b = b8;
        int8x16_t sa = vreinterpretq_s8_u8(a), sb = vreinterpretq_s8_u8(b);
        uint16x8_t w = vreinterpretq_u16_u8(c8);
        int16x8_t sw = vreinterpretq_s16_u8(c8);
        SHOW("uaddl.8h", vaddl_u8(vget_low_u8(a), vget_low_u8(b)));
        SHOW("uaddl2.8h", vaddl_high_u8(a, b));
        SHOW("saddl.8h", vaddl_s8(vget_low_s8(sa), vget_low_s8(sb)));
        SHOW("saddl2.8h", vaddl_high_s8(sa, sb));
        SHOW("uaddw.8h", vaddw_u8(w, vget_low_u8(a)));
        SHOW("saddw2.8h", vaddw_high_s8(sw, sa));
        SHOW("usubl.8h", vsubl_u8(vget_low_u8(a), vget_low_u8(b)));
        SHOW("ssubl2.8h", vsubl_high_s8(sa, sb));
        SHOW("usubw2.8h", vsubw_high_u8(w, b));
        SHOW("ssubw.8h", vsubw_s8(sw, vget_low_s8(sb)));
        SHOW("umull.8h", vmull_u8(vget_low_u8(a), vget_low_u8(b)));
        SHOW("umull2.8h", vmull_high_u8(a, a));
        SHOW("smull.8h", vmull_s8(vget_low_s8(sa), vget_low_s8(sa)));
        SHOW("smull2.8h", vmull_high_s8(sa, sb));
        SHOW("umlal.8h", vmlal_u8(w, vget_low_u8(a), vget_low_u8(b)));
        SHOW("smlal2.8h", vmlal_high_s8(sw, sa, sb));
        SHOW("umlsl2.8h", vmlsl_high_u8(w, a, b));
        SHOW("smlsl.8h", vmlsl_s8(sw, vget_low_s8(sa), vget_low_s8(sb)));
    }
    /* 16 -> 32 */
    {
        uint16x8_t a = vreinterpretq_u16_u8(a8), b = vreinterpretq_u16_u8(b8);
        int16x8_t sa = vreinterpretq_s16_u16(a), sb = vreinterpretq_s16_u16(b);
        uint32x4_t w = vreinterpretq_u32_u8(c8);
        int32x4_t sw = vreinterpretq_s32_u8(c8);
        SHOW("uaddl.4s", vaddl_u16(vget_low_u16(a), vget_low_u16(b)));
        SHOW("saddl2.4s", vaddl_high_s16(sa, sb));
        SHOW("uaddw2.4s", vaddw_high_u16(w, a));
        SHOW("saddw.4s", vaddw_s16(sw, vget_low_s16(sb)));
        SHOW("usubl2.4s", vsubl_high_u16(a, b));
        SHOW("ssubl.4s", vsubl_s16(vget_low_s16(sa), vget_low_s16(sb)));
        SHOW("usubw.4s", vsubw_u16(w, vget_low_u16(b)));
        SHOW("ssubw2.4s", vsubw_high_s16(sw, sa));
        SHOW("umull.4s", vmull_u16(vget_low_u16(a), vget_low_u16(a)));
        SHOW("umull2.4s", vmull_high_u16(a, b));
        SHOW("smull.4s", vmull_s16(vget_low_s16(sa), vget_low_s16(sb)));
        SHOW("smull2.4s", vmull_high_s16(sa, sa));
        SHOW("umlal2.4s", vmlal_high_u16(w, a, b));
        SHOW("smlal.4s", vmlal_s16(sw, vget_low_s16(sa), vget_low_s16(sa)));
        SHOW("umlsl.4s", vmlsl_u16(w, vget_low_u16(a), vget_low_u16(b)));
        SHOW("smlsl2.4s", vmlsl_high_s16(sw, sa, sb));
    }
    /* 32 -> 64 */
    {
        uint32x4_t a = vreinterpretq_u32_u8(a8), b = vreinterpretq_u32_u8(b8);
        int32x4_t sa = vreinterpretq_s32_u32(a), sb = vreinterpretq_s32_u32(b);
        uint64x2_t w = vreinterpretq_u64_u8(c8);
        int64x2_t sw = vreinterpretq_s64_u8(c8);
        SHOW("uaddl2.2d", vaddl_high_u32(a, b));
        SHOW("saddl.2d", vaddl_s32(vget_low_s32(sa), vget_low_s32(sb)));
        SHOW("uaddw.2d", vaddw_u32(w, vget_low_u32(a)));
        SHOW("saddw2.2d", vaddw_high_s32(sw, sb));
        SHOW("usubl.2d", vsubl_u32(vget_low_u32(a), vget_low_u32(b)));
        SHOW("ssubl2.2d", vsubl_high_s32(sa, sb));
        SHOW("usubw2.2d", vsubw_high_u32(w, b));
        SHOW("ssubw.2d", vsubw_s32(sw, vget_low_s32(sa)));
        SHOW("umull.2d", vmull_u32(vget_low_u32(a), vget_low_u32(b)));
        SHOW("umull2.2d", vmull_high_u32(b, b));
        SHOW("smull.2d", vmull_s32(vget_low_s32(sb), vget_low_s32(sb)));
        SHOW("smull2.2d", vmull_high_s32(sa, sb));
        SHOW("umlal.2d", vmlal_u32(w, vget_low_u32(b), vget_low_u32(b)));
        SHOW("smlal2.2d", vmlal_high_s32(sw, sb, sb));
        SHOW("umlsl2.2d", vmlsl_high_u32(w, a, b));
        SHOW("smlsl.2d", vmlsl_s32(sw, vget_low_s32(sa), vget_low_s32(sb)));
    }
    /* a widening sum in a loop (uaddw/uaddw2 on pinned registers) */
    uint16x8_t acc = vdupq_n_u16(0);
    uint8x16_t v = a8;
    for (int i = 0; i < 300; i++) {
        acc = vaddw_high_u8(vaddw_u8(acc, vget_low_u8(v)), v);
        v = vaddq_u8(v, b8);
    }
    SHOW("loop", acc);
    G_DONE();
}
