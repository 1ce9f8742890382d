/* Lane access and element arithmetic shared by the Advanced SIMD helpers.
 * On the little-endian host a vreg_t holds lanes in Arm order: lane i of
 * an element of (8 << size) bits starts at byte i << size. Element values
 * are carried as 128-bit integers so that sums, products and shifts of
 * 64-bit elements stay exact until they are saturated or truncated. */
#ifndef SHOAL_DBT_SIMD_LANES_H
#define SHOAL_DBT_SIMD_LANES_H

#include <stdbool.h>
#include <stdint.h>

#include "dbt/cpu.h"

typedef __int128 s128;
typedef unsigned __int128 u128;

static inline uint64_t lane_mask(unsigned bits) {
    return bits >= 64 ? ~0ull : (1ull << bits) - 1;
}

static inline int64_t lane_sext(uint64_t x, unsigned bits) {
    return bits >= 64 ? (int64_t)x : (int64_t)(x << (64 - bits)) >> (64 - bits);
}

static inline uint64_t lane_get(const vreg_t *v, unsigned size, unsigned i) {
    switch (size) {
    case 0: return v->b[i];
    case 1: return v->h[i];
    case 2: return v->s[i];
    default: return v->d[i];
    }
}

static inline void lane_set(vreg_t *v, unsigned size, unsigned i, uint64_t x) {
    switch (size) {
    case 0: v->b[i] = (uint8_t)x; break;
    case 1: v->h[i] = (uint16_t)x; break;
    case 2: v->s[i] = (uint32_t)x; break;
    default: v->d[i] = x; break;
    }
}

/* Lane i as a signed or unsigned integer value. */
static inline s128 lane_val(const vreg_t *v, unsigned size, unsigned i, bool is_signed) {
    uint64_t x = lane_get(v, size, i);
    return is_signed ? (s128)lane_sext(x, 8u << size) : (s128)x;
}

/* Lanes in a 64-bit (q = 0) or 128-bit vector. */
static inline unsigned vec_lanes(bool q, unsigned size) {
    return (q ? 16u : 8u) >> size;
}

/* Saturate x to a signed/unsigned `bits`-bit integer, setting FPSR.QC
 * when it does not fit; returns the result truncated to bits. */
static inline uint64_t sat_signed(struct cpu *cpu, s128 x, unsigned bits) {
    s128 max = ((s128)1 << (bits - 1)) - 1, min = -max - 1;
    if (x > max) {
        cpu->fpsr |= FPSR_QC;
        x = max;
    } else if (x < min) {
        cpu->fpsr |= FPSR_QC;
        x = min;
    }
    return (uint64_t)x & lane_mask(bits);
}

static inline uint64_t sat_unsigned(struct cpu *cpu, s128 x, unsigned bits) {
    s128 max = (s128)lane_mask(bits);
    if (x > max) {
        cpu->fpsr |= FPSR_QC;
        x = max;
    } else if (x < 0) {
        cpu->fpsr |= FPSR_QC;
        x = 0;
    }
    return (uint64_t)x;
}

static inline uint64_t sat_to(struct cpu *cpu, s128 x, unsigned bits, bool is_signed) {
    return is_signed ? sat_signed(cpu, x, bits) : sat_unsigned(cpu, x, bits);
}

/* x shifted by a signed amount (left if positive), as SSHL/USHL and their
 * rounding forms compute it at infinite precision; x is a `bits`-bit
 * element value. A left shift by bits or more gives a value that still
 * truncates to 0 and saturates the right way (+-2^100). */
static inline s128 shift_exact(s128 x, int shift, bool round, unsigned bits) {
    if (shift >= 0) {
        if (shift >= (int)bits) return x > 0 ? (s128)1 << 100 : x < 0 ? -((s128)1 << 100) : 0;
        return (s128)((u128)x << shift);
    }
    unsigned n = (unsigned)-shift;
    if (round) return n > 64 ? 0 : (x + ((s128)1 << (n - 1))) >> n;
    return x >> (n > 64 ? 64 : n);
}

/* Writes a vector result; a 64-bit (q = 0) result zeroes the upper half. */
static inline void vreg_store(struct cpu *cpu, unsigned rd, const vreg_t *r, bool q) {
    cpu->v[rd].d[0] = r->d[0];
    cpu->v[rd].d[1] = q ? r->d[1] : 0;
}

#endif
