/* Advanced SIMD permutes and structure loads/stores: zip/uzp/trn, ext,
 * rev16/32/64, dup lane, tbl/tbx with 1-4 table registers (out-of-range
 * indices), ld1-4/st1-4 (interleaved), ld1r, lane loads/stores. */
#include "guest.h"
#include <arm_neon.h>
#include <inttypes.h>

static uint64_t H;
#define MIX(v)                                                                                     \
    do {                                                                                           \
        __typeof__(v) t_ = (v);                                                                    \
        H = g_fnv(H, &t_, sizeof t_);                                                              \
    } while (0)

static void show(const char *n, uint8x16_t v) {
    printf("%-8s", n);
    for (int i = 0; i < 16; i++)
        printf(" %02x", v[i]);
    printf("\n");
}

int main(void) {
    uint8_t b[128];
    for (int i = 0; i < 128; i++)
        b[i] = (uint8_t)i;
    uint8x16_t a = vld1q_u8(b), c = vld1q_u8(b + 16);
    show("zip1", vzip1q_u8(a, c));
    show("zip2", vzip2q_u8(a, c));
    show("uzp1", vuzp1q_u8(a, c));
    show("uzp2", vuzp2q_u8(a, c));
    show("trn1", vtrn1q_u8(a, c));
    show("trn2", vtrn2q_u8(a, c));
    show("zip1.h",
         vreinterpretq_u8_u16(vzip1q_u16(vreinterpretq_u16_u8(a), vreinterpretq_u16_u8(c))));
    show("trn2.s",
         vreinterpretq_u8_u32(vtrn2q_u32(vreinterpretq_u32_u8(a), vreinterpretq_u32_u8(c))));
    show("uzp1.d",
         vreinterpretq_u8_u64(vuzp1q_u64(vreinterpretq_u64_u8(a), vreinterpretq_u64_u8(c))));
    show("ext3", vextq_u8(a, c, 3));
    show("ext15", vextq_u8(a, c, 15));
    show("rev16", vrev16q_u8(a));
    show("rev32", vrev32q_u8(a));
    show("rev64", vrev64q_u8(a));
    show("rev64.s", vreinterpretq_u8_u32(vrev64q_u32(vreinterpretq_u32_u8(a))));
    show("dup7", vdupq_laneq_u8(a, 7));
    show("combine", vcombine_u8(vget_high_u8(a), vget_low_u8(c)));
    uint8x16_t idx = {0, 5, 15, 16, 31, 32, 47, 48, 63, 64, 255, 128, 1, 17, 33, 49};
    uint8x16x2_t t2 = {{a, c}};
    uint8x16x3_t t3 = {{a, c, vld1q_u8(b + 32)}};
    uint8x16x4_t t4 = {{a, c, vld1q_u8(b + 32), vld1q_u8(b + 48)}};
    uint8x16_t fallback = vdupq_n_u8(0xee);
    show("tbl1", vqtbl1q_u8(a, idx));
    show("tbl2", vqtbl2q_u8(t2, idx));
    show("tbl3", vqtbl3q_u8(t3, idx));
    show("tbl4", vqtbl4q_u8(t4, idx));
    show("tbx1", vqtbx1q_u8(fallback, a, idx));
    show("tbx4", vqtbx4q_u8(fallback, t4, idx));
    uint8x8_t t8 = vtbl1_u8(vget_low_u8(a), vget_low_u8(idx));
    printf("tbl.8b  ");
    for (int i = 0; i < 8; i++)
        printf(" %02x", t8[i]);
    printf("\n");
    /* structure loads / stores */
    uint8x16x2_t l2 = vld2q_u8(b);
    uint8x16x3_t l3 = vld3q_u8(b);
    uint8x16x4_t l4 = vld4q_u8(b);
    show("ld2.0", l2.val[0]);
    show("ld3.1", l3.val[1]);
    show("ld4.3", l4.val[3]);
    uint16x8x3_t l3h = vld3q_u16((const uint16_t *)b);
    MIX(l3h);
    uint32x4x4_t l4s = vld4q_u32((const uint32_t *)b);
    MIX(l4s);
    uint8_t outb[128] = {0};
    vst2q_u8(outb, l2);
    CHECK(memcmp(outb, b, 32) == 0);
    vst3q_u8(outb, l3);
    CHECK(memcmp(outb, b, 48) == 0);
    vst4q_u8(outb, l4);
    CHECK(memcmp(outb, b, 64) == 0);
    vst4q_u8(outb, (uint8x16x4_t){{l4.val[3], l4.val[2], l4.val[1], l4.val[0]}});
    show("st4 rev", vld1q_u8(outb));
    uint8x16x4_t x4 = vld1q_u8_x4(b + 1);
    MIX(x4);
    vst1q_u8_x2(outb + 3, t2);
    MIX(*(uint8x16_t *)(outb + 0));
    show("ld1r", vld1q_dup_u8(b + 77));
    uint16x8_t lane = vld1q_lane_u16((const uint16_t *)(b + 20), vdupq_n_u16(0xabcd), 6);
    MIX(lane);
    uint32_t st32 = 0;
    vst1q_lane_u32(&st32, vreinterpretq_u32_u8(c), 2);
    printf("st1 lane %08x\n", st32);
    uint8x8x2_t ld2lane = vld2_lane_u8(b + 90, (uint8x8x2_t){{vdup_n_u8(1), vdup_n_u8(2)}}, 5);
    MIX(ld2lane);
    int32x4x2_t z = vzipq_s32(vreinterpretq_s32_u8(a), vreinterpretq_s32_u8(c));
    MIX(z);
    printf("perm checksum %016" PRIx64 "\n", H);
    G_DONE();
}
