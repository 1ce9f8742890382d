/* Advanced SIMD shifts by immediate, vector forms: SHL, USHR, SSHR,
 * USRA, SSRA at every element size with the shift counts at their
 * limits (0 and esize-1 left, 1 and esize right), SHRN/SHRN2 and
 * USHLL/SSHLL(2) (UXTL/SXTL) at each narrow size, 64- and 128-bit forms.
 * Lanes hold edge values (0, 1, the sign bit, all ones, alternating). */
#include "guest.h"
#include <arm_neon.h>

/* Keeps the compiler from folding the shifts of known vectors. */
#define NEON_SHOW_WIDTH 16
#include "neon_show.h"

static const uint8_t pat[32] = {0x00, 0x01, 0x7f, 0x80, 0xff, 0xfe, 0x55, 0xaa, 0x81, 0x40, 0x3c,
                                0xc3, 0x0f, 0xf0, 0x12, 0xed, 0x80, 0x00, 0x00, 0x00, 0xff, 0xff,
                                0xff, 0x7f, 0x00, 0x00, 0x00, 0x80, 0x01, 0x00, 0x00, 0x00};

/* Every right-shift form of one element size at shift n. */
#define RIGHT(T, SU, SS, Q, n, x, acc)                                                             \
    do {                                                                                           \
        SHOW("ushr" #SU #Q "#" #n, vshr##Q##_n_u##SU(x, n));                                       \
        SHOW("sshr" #SS #Q "#" #n, vshr##Q##_n_s##SS(vreinterpret##Q##_s##SS##_u##SU(x), n));      \
        SHOW("usra" #SU #Q "#" #n, vsra##Q##_n_u##SU(acc, x, n));                                  \
        SHOW("ssra" #SS #Q "#" #n, vsra##Q##_n_s##SS(vreinterpret##Q##_s##SS##_u##SU(acc),         \
                                                     vreinterpret##Q##_s##SS##_u##SU(x), n));      \
    } while (0)

int main(void) {
    uint8x16_t a8 = vld1q_u8(pat), b8 = vld1q_u8(pat + 16);
    OPAQUE(a8);
    OPAQUE(b8);
    uint16x8_t a16 = vreinterpretq_u16_u8(a8), b16 = vreinterpretq_u16_u8(b8);
    uint32x4_t a32 = vreinterpretq_u32_u8(a8), b32 = vreinterpretq_u32_u8(b8);
    uint64x2_t a64 = vreinterpretq_u64_u8(a8), b64 = vreinterpretq_u64_u8(b8);
    uint8x8_t d8 = vget_low_u8(a8), e8 = vget_high_u8(b8);
    uint16x4_t d16 = vget_low_u16(a16), e16 = vget_high_u16(b16);
    uint32x2_t d32 = vget_low_u32(a32), e32 = vget_high_u32(b32);

    /* SHL */
    SHOW("shl16b#0", vshlq_n_u8(a8, 0));
    SHOW("shl16b#1", vshlq_n_u8(a8, 1));
    SHOW("shl16b#3", vshlq_n_u8(a8, 3));
    SHOW("shl16b#7", vshlq_n_u8(a8, 7));
    SHOW("shl8b#5", vshl_n_u8(d8, 5));
    SHOW("shl8h#1", vshlq_n_u16(a16, 1));
    SHOW("shl8h#15", vshlq_n_u16(a16, 15));
    SHOW("shl4h#9", vshl_n_u16(d16, 9));
    SHOW("shl4s#1", vshlq_n_u32(a32, 1));
    SHOW("shl4s#31", vshlq_n_u32(a32, 31));
    SHOW("shl2s#17", vshl_n_u32(d32, 17));
    SHOW("shl2d#1", vshlq_n_u64(a64, 1));
    SHOW("shl2d#63", vshlq_n_u64(a64, 63));
    SHOW("shl2d#33", vshlq_n_u64(b64, 33));

    /* USHR SSHR USRA SSRA, 128-bit */
    RIGHT(8, 8, 8, q, 1, a8, b8);
    RIGHT(8, 8, 8, q, 3, a8, b8);
    RIGHT(8, 8, 8, q, 7, a8, b8);
    RIGHT(8, 8, 8, q, 8, a8, b8);
    RIGHT(16, 16, 16, q, 1, a16, b16);
    RIGHT(16, 16, 16, q, 9, a16, b16);
    RIGHT(16, 16, 16, q, 15, a16, b16);
    RIGHT(16, 16, 16, q, 16, a16, b16);
    RIGHT(32, 32, 32, q, 1, a32, b32);
    RIGHT(32, 32, 32, q, 20, a32, b32);
    RIGHT(32, 32, 32, q, 31, a32, b32);
    RIGHT(32, 32, 32, q, 32, a32, b32);
    RIGHT(64, 64, 64, q, 1, a64, b64);
    RIGHT(64, 64, 64, q, 40, a64, b64);
    RIGHT(64, 64, 64, q, 63, a64, b64);
    RIGHT(64, 64, 64, q, 64, a64, b64);
    RIGHT(64, 64, 64, q, 1, b64, a64);
    RIGHT(64, 64, 64, q, 64, b64, a64);
    /* 64-bit forms: the upper half of the result is zero */
    RIGHT(8, 8, 8, , 2, d8, e8);
    RIGHT(8, 8, 8, , 8, d8, e8);
    RIGHT(16, 16, 16, , 5, d16, e16);
    RIGHT(16, 16, 16, , 16, d16, e16);
    RIGHT(32, 32, 32, , 13, d32, e32);
    RIGHT(32, 32, 32, , 32, d32, e32);

    /* SHRN / SHRN2: shift counts 1 .. narrow esize */
    SHOW("shrn8b#1", vshrn_n_u16(a16, 1));
    SHOW("shrn8b#4", vshrn_n_u16(a16, 4));
    SHOW("shrn8b#8", vshrn_n_u16(a16, 8));
    SHOW("shrn4h#1", vshrn_n_u32(a32, 1));
    SHOW("shrn4h#16", vshrn_n_u32(a32, 16));
    SHOW("shrn2s#1", vshrn_n_u64(a64, 1));
    SHOW("shrn2s#32", vshrn_n_u64(a64, 32));
    SHOW("shrn2s#7", vshrn_n_u64(b64, 7));
    SHOW("shrn2.16b#3", vshrn_high_n_u16(d8, b16, 3));
    SHOW("shrn2.8h#16", vshrn_high_n_u32(d16, b32, 16));
    SHOW("shrn2.4s#32", vshrn_high_n_u64(d32, b64, 32));
    SHOW("shrn2.4s#5", vshrn_high_n_u64(d32, a64, 5));

    /* USHLL / SSHLL (and UXTL/SXTL = shift 0), low and high halves */
    SHOW("uxtl8h", vmovl_u8(d8));
    SHOW("sxtl8h", vmovl_s8(vreinterpret_s8_u8(d8)));
    SHOW("uxtl2.8h", vmovl_high_u8(a8));
    SHOW("sxtl2.8h", vmovl_high_s8(vreinterpretq_s8_u8(a8)));
    SHOW("ushll8h#7", vshll_n_u8(d8, 7));
    SHOW("sshll8h#7", vshll_n_s8(vreinterpret_s8_u8(d8), 7));
    SHOW("ushll2.8h#3", vshll_high_n_u8(b8, 3));
    SHOW("sshll2.8h#1", vshll_high_n_s8(vreinterpretq_s8_u8(a8), 1));
    SHOW("uxtl4s", vmovl_u16(d16));
    SHOW("sxtl4s", vmovl_s16(vreinterpret_s16_u16(d16)));
    SHOW("ushll4s#15", vshll_n_u16(d16, 15));
    SHOW("sshll2.4s#15", vshll_high_n_s16(vreinterpretq_s16_u16(a16), 15));
    SHOW("uxtl2.4s", vmovl_high_u16(b16));
    SHOW("uxtl2d", vmovl_u32(d32));
    SHOW("sxtl2d", vmovl_s32(vreinterpret_s32_u32(d32)));
    SHOW("ushll2d#31", vshll_n_u32(d32, 31));
    SHOW("sshll2.2d#31", vshll_high_n_s32(vreinterpretq_s32_u32(a32), 31));
    SHOW("sxtl2.2d", vmovl_high_s32(vreinterpretq_s32_u32(b32)));

    /* a loop, so the shifts also run on pinned registers */
    uint32x4_t acc = vdupq_n_u32(0), v = a32;
    for (int i = 0; i < 100; i++) {
        acc = vsraq_n_u32(acc, v, 3);
        v = vshlq_n_u32(v, 1);
        acc = veorq_u32(acc, vreinterpretq_u32_s32(vshrq_n_s32(vreinterpretq_s32_u32(v), 31)));
    }
    SHOW("loop", acc);
    G_DONE();
}
