/* Advanced SIMD UZP1/2, TRN1/2, ZIP1/2 at every element size in the 64-
 * and 128-bit forms, EXT at every byte position of both forms, DUP
 * (element) at every size from low and high lanes into both forms (the
 * upper half of a 64-bit result is zero). */
#include "guest.h"
#include <arm_neon.h>

#define NEON_SHOW_WIDTH   10
#define NEON_SHOW_GROUPED 0
#include "neon_show.h"

/* The six permutes of one type: Q is q or empty, T the lane type suffix. */
#define PERM(Q, T, a, b)                                                                           \
    do {                                                                                           \
        SHOW("uzp1" #Q "_" #T, vuzp1##Q##_##T(a, b));                                              \
        SHOW("uzp2" #Q "_" #T, vuzp2##Q##_##T(a, b));                                              \
        SHOW("trn1" #Q "_" #T, vtrn1##Q##_##T(a, b));                                              \
        SHOW("trn2" #Q "_" #T, vtrn2##Q##_##T(a, b));                                              \
        SHOW("zip1" #Q "_" #T, vzip1##Q##_##T(a, b));                                              \
        SHOW("zip2" #Q "_" #T, vzip2##Q##_##T(a, b));                                              \
    } while (0)

#define EXTQ(k) SHOW("extq" #k, vextq_u8(a8, b8, k))
#define EXTD(k) SHOW("ext" #k, vext_u8(vget_low_u8(a8), vget_high_u8(b8), k))

int main(void) {
    uint8_t buf[32];
    for (int i = 0; i < 32; i++)
        buf[i] = (uint8_t)(0x10 + i * 7);
    uint8x16_t a8 = vld1q_u8(buf), b8 = vld1q_u8(buf + 16);
    OPAQUE(a8);
    OPAQUE(b8);
    PERM(q, u8, a8, b8);
    PERM(q, u16, vreinterpretq_u16_u8(a8), vreinterpretq_u16_u8(b8));
    PERM(q, u32, vreinterpretq_u32_u8(a8), vreinterpretq_u32_u8(b8));
    PERM(q, u64, vreinterpretq_u64_u8(a8), vreinterpretq_u64_u8(b8));
    uint8x8_t c8 = vget_low_u8(a8), d8 = vget_high_u8(b8);
    PERM(, u8, c8, d8);
    PERM(, u16, vreinterpret_u16_u8(c8), vreinterpret_u16_u8(d8));
    PERM(, u32, vreinterpret_u32_u8(c8), vreinterpret_u32_u8(d8));
    EXTQ(0);
    EXTQ(1);
    EXTQ(2);
    EXTQ(3);
    EXTQ(4);
    EXTQ(5);
    EXTQ(6);
    EXTQ(7);
    EXTQ(8);
    EXTQ(9);
    EXTQ(10);
    EXTQ(11);
    EXTQ(12);
    EXTQ(13);
    EXTQ(14);
    EXTQ(15);
    EXTD(0);
    EXTD(1);
    EXTD(2);
    EXTD(3);
    EXTD(4);
    EXTD(5);
    EXTD(6);
    EXTD(7);
    SHOW("dupq.b0", vdupq_laneq_u8(a8, 0));
    SHOW("dupq.b15", vdupq_laneq_u8(b8, 15));
    SHOW("dup.b12", vdup_laneq_u8(a8, 12));
    SHOW("dup.b3", vdup_laneq_u8(b8, 3));
    SHOW("dupq.h7", vdupq_laneq_u16(vreinterpretq_u16_u8(a8), 7));
    SHOW("dupq.h2", vdupq_laneq_u16(vreinterpretq_u16_u8(b8), 2));
    SHOW("dup.h5", vdup_laneq_u16(vreinterpretq_u16_u8(a8), 5));
    SHOW("dupq.s3", vdupq_laneq_u32(vreinterpretq_u32_u8(a8), 3));
    SHOW("dupq.s1", vdupq_laneq_u32(vreinterpretq_u32_u8(b8), 1));
    SHOW("dup.s2", vdup_laneq_u32(vreinterpretq_u32_u8(b8), 2));
    SHOW("dupq.d1", vdupq_laneq_u64(vreinterpretq_u64_u8(a8), 1));
    SHOW("dupq.d0", vdupq_laneq_u64(vreinterpretq_u64_u8(b8), 0));
    float32x4_t f = vreinterpretq_f32_u8(a8);
    OPAQUE(f);
    SHOW("fmla.s", vfmaq_laneq_f32(f, f, f, 2));
    /* in place: destination equal to a source */
    uint8x16_t x = a8;
    for (int i = 0; i < 50; i++)
        x = vzip1q_u8(vextq_u8(x, b8, 3), (i & 1 ? vdupq_laneq_u8(x, 9) : vdupq_laneq_u8(x, 2)));
    SHOW("loop", x);
    G_DONE();
}
