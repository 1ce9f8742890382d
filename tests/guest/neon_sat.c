/* Advanced SIMD saturating arithmetic: qadd/qsub (signed, unsigned, mixed),
 * qdmulh/qrdmulh, qshl/qrshl/qshlu, qmovn/qmovun, qabs/qneg, sqdmull,
 * and the sticky QC flag in FPSR. */
#include "guest.h"
#include <arm_neon.h>
#include <inttypes.h>

static uint64_t H;
#define MIX(v)                                                                                     \
    do {                                                                                           \
        __typeof__(v) t_ = (v);                                                                    \
        H = g_fnv(H, &t_, sizeof t_);                                                              \
    } while (0)

static unsigned long fpsr_get(void) {
    unsigned long r;
    __asm__ volatile("mrs %0, fpsr" : "=r"(r));
    return r;
}
static void fpsr_set(unsigned long v) {
    __asm__ volatile("msr fpsr, %0" ::"r"(v));
}

int main(void) {
    uint64_t s = 5;
    uint8_t b[80];
    for (int i = 0; i < 80; i++)
        b[i] = (uint8_t)g_rand(&s);
    const uint8_t edge[16] = {0x00, 0x80, 0x7f, 0xff, 0x01, 0x81, 0x00, 0x80,
                              0xff, 0x7f, 0x00, 0x00, 0x00, 0x80, 0xff, 0xff};
    memcpy(b, edge, 16);
    memcpy(b + 40, edge + 3, 13);
    for (int it = 0; it < 64; it++) {
        uint8x16_t a = vld1q_u8(b + (it % 64)), c = vld1q_u8(b + ((it * 5 + 3) % 64));
        int8x16_t sa = vreinterpretq_s8_u8(a), sc = vreinterpretq_s8_u8(c);
        int16x8_t s16 = vreinterpretq_s16_u8(a), t16 = vreinterpretq_s16_u8(c);
        uint16x8_t a16 = vreinterpretq_u16_u8(a), c16 = vreinterpretq_u16_u8(c);
        int32x4_t s32 = vreinterpretq_s32_u8(a), t32 = vreinterpretq_s32_u8(c);
        uint32x4_t a32 = vreinterpretq_u32_u8(a);
        int64x2_t s64 = vreinterpretq_s64_u8(a), t64 = vreinterpretq_s64_u8(c);
        uint64x2_t a64 = vreinterpretq_u64_u8(a), c64 = vreinterpretq_u64_u8(c);
        MIX(vqaddq_u8(a, c));
        MIX(vqaddq_s8(sa, sc));
        MIX(vqsubq_u16(a16, c16));
        MIX(vqsubq_s32(s32, t32));
        MIX(vqaddq_s64(s64, t64));
        MIX(vqsubq_u64(a64, c64));
        MIX(vqaddq_u64(a64, c64));
        MIX(vuqaddq_s8(sa, c));
        MIX(vsqaddq_u16(a16, t16));
        MIX(vqdmulhq_s16(s16, t16));
        MIX(vqrdmulhq_s32(s32, t32));
        MIX(vqdmulhq_laneq_s16(s16, t16, 1));
        MIX(vqdmull_s16(vget_low_s16(s16), vget_low_s16(t16)));
        MIX(vqdmull_high_s32(s32, t32));
        MIX(vqdmlal_s16(s32, vget_low_s16(s16), vget_high_s16(t16)));
        MIX(vqdmlsl_s32(s64, vget_low_s32(s32), vget_low_s32(t32)));
        MIX(vqshlq_s8(sa, vshrq_n_s8(sc, 5)));
        MIX(vqshlq_u16(a16, vshrq_n_s16(t16, 12)));
        MIX(vqrshlq_s32(s32, vshrq_n_s32(t32, 27)));
        MIX(vqshlq_n_s16(s16, 4));
        MIX(vqshlq_n_u8(a, 2));
        MIX(vqshluq_n_s32(s32, 3));
        MIX(vqshlq_n_s64(s64, 1));
        MIX(vqmovn_s16(s16));
        MIX(vqmovn_u32(a32));
        MIX(vqmovun_s16(s16));
        MIX(vqmovn_s64(s64));
        MIX(vqmovn_high_s32(vqmovn_s32(t32), s32));
        MIX(vqshrn_n_s16(s16, 3));
        MIX(vqrshrn_n_u32(a32, 9));
        MIX(vqshrun_n_s16(s16, 2));
        MIX(vqrshrun_n_s64(s64, 17));
        MIX(vqabsq_s8(sa));
        MIX(vqnegq_s16(s16));
        MIX(vqabsq_s64(s64));
        MIX(vqnegq_s32(s32));
        MIX(vqaddb_s8(sa[0], sc[1]));
        MIX(vqsubh_u16(a16[2], c16[3]));
        MIX(vqdmulhs_s32(s32[0], t32[3]));
        MIX(vqrdmulhh_s16(s16[5], t16[6]));
        MIX(vqmovnd_s64(s64[1]));
    }
    printf("neon sat checksum %016" PRIx64 "\n", H);
    /* QC is sticky; done in asm so the compiler cannot move the ops */
    unsigned long qc;
    int8x16_t m = vdupq_n_s8(100), one = vdupq_n_s8(1), zero = vdupq_n_s8(0), r;
#define QC_STEP(what, x, y)                                                                        \
    __asm__ volatile("sqadd %0.16b, %2.16b, %3.16b\n\tmrs %1, fpsr"                                \
                     : "=w"(r), "=r"(qc)                                                           \
                     : "w"(x), "w"(y));                                                            \
    printf("%-7s QC=%lu lane %d\n", what, (qc >> 27) & 1, r[0])
    fpsr_set(0);
    QC_STEP("no sat", m, one);
    QC_STEP("sat", m, m);
    QC_STEP("sticky", m, zero);
    fpsr_set(0);
    printf("cleared: QC=%lu\n", (fpsr_get() >> 27) & 1);
    int16x4_t mn = vdup_n_s16(INT16_MIN), rh;
    __asm__ volatile("sqdmulh %0.4h, %2.4h, %2.4h\n\tmrs %1, fpsr" : "=w"(rh), "=r"(qc) : "w"(mn));
    printf("sqdmulh(min,min) %d QC=%lu\n", rh[0], (qc >> 27) & 1);
    fpsr_set(0);
    G_DONE();
}
