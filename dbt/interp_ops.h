/* Semantics of the IR's non-trivial integer ops, shared by the
 * interpreter and by unit tests (and later the JIT's constant folder). */
#ifndef SHOAL_DBT_INTERP_OPS_H
#define SHOAL_DBT_INTERP_OPS_H

#include <stdint.h>

static inline uint64_t interp_shl(uint64_t a, uint64_t c, unsigned sz) {
    return sz == 32 ? (uint32_t)((uint32_t)a << (c & 31)) : a << (c & 63);
}
static inline uint64_t interp_lsr(uint64_t a, uint64_t c, unsigned sz) {
    return sz == 32 ? (uint32_t)a >> (c & 31) : a >> (c & 63);
}
static inline uint64_t interp_asr(uint64_t a, uint64_t c, unsigned sz) {
    return sz == 32 ? (uint32_t)((int32_t)a >> (c & 31)) : (uint64_t)((int64_t)a >> (c & 63));
}
static inline uint64_t interp_ror(uint64_t a, uint64_t c, unsigned sz) {
    if (sz == 32) {
        uint32_t x = (uint32_t)a, n = c & 31;
        return n ? (uint32_t)((x >> n) | (x << (32 - n))) : x;
    }
    unsigned n = c & 63;
    return n ? (a >> n) | (a << (64 - n)) : a;
}

/* NZCV of a + b + carry at width sz, PSTATE layout. */
static inline uint64_t interp_flags_adc(uint64_t a, uint64_t b, uint64_t carry, unsigned sz) {
    uint32_t n, z, cf, v;
    if (sz == 32) {
        uint32_t x = (uint32_t)a, y = (uint32_t)b;
        uint64_t wide = (uint64_t)x + y + carry;
        uint32_t r = (uint32_t)wide;
        n = r >> 31;
        z = r == 0;
        cf = (uint32_t)(wide >> 32);
        v = ((~(x ^ y) & (x ^ r)) >> 31) & 1;
    } else {
        unsigned __int128 wide = (unsigned __int128)a + b + carry;
        uint64_t r = (uint64_t)wide;
        n = (uint32_t)(r >> 63);
        z = r == 0;
        cf = (uint32_t)(wide >> 64);
        v = (uint32_t)(((~(a ^ b) & (a ^ r)) >> 63) & 1);
    }
    return (n << 31) | (z << 30) | (cf << 29) | (v << 28);
}

static inline uint64_t interp_flags_nz(uint64_t a, unsigned sz) {
    uint32_t n = sz == 32 ? (uint32_t)(a >> 31) & 1 : (uint32_t)(a >> 63);
    uint32_t z = sz == 32 ? (uint32_t)a == 0 : a == 0;
    return (n << 31) | (z << 30);
}

/* Arm ConditionHolds(). */
static inline uint64_t interp_cond(uint32_t nzcv, unsigned cond) {
    unsigned n = nzcv >> 31 & 1, z = nzcv >> 30 & 1, c = nzcv >> 29 & 1, v = nzcv >> 28 & 1;
    unsigned r;
    switch (cond >> 1) {
    case 0: r = z; break;
    case 1: r = c; break;
    case 2: r = n; break;
    case 3: r = v; break;
    case 4: r = c && !z; break;
    case 5: r = n == v; break;
    case 6: r = n == v && !z; break;
    default: r = 1; break;
    }
    if ((cond & 1) && cond != 15) r = !r;
    return r;
}

static inline uint64_t interp_udiv(uint64_t a, uint64_t c, unsigned sz) {
    if (sz == 32) return (uint32_t)c ? (uint32_t)a / (uint32_t)c : 0;
    return c ? a / c : 0;
}
static inline uint64_t interp_sdiv(uint64_t a, uint64_t c, unsigned sz) {
    if (sz == 32) {
        int32_t x = (int32_t)a, y = (int32_t)c;
        if (y == 0) return 0;
        if (x == INT32_MIN && y == -1) return (uint32_t)x;
        return (uint32_t)(x / y);
    }
    int64_t x = (int64_t)a, y = (int64_t)c;
    if (y == 0) return 0;
    if (x == INT64_MIN && y == -1) return (uint64_t)x;
    return (uint64_t)(x / y);
}
static inline uint64_t interp_clz(uint64_t a, unsigned sz) {
    if (sz == 32) return (uint32_t)a ? (uint64_t)__builtin_clz((uint32_t)a) : 32;
    return a ? (uint64_t)__builtin_clzll(a) : 64;
}
static inline uint64_t interp_cls(uint64_t a, unsigned sz) {
    if (sz == 32) {
        uint32_t x = (uint32_t)a;
        x ^= (uint32_t)((int32_t)x >> 31);
        return interp_clz(x, 32) - 1;
    }
    a ^= (uint64_t)((int64_t)a >> 63);
    return interp_clz(a, 64) - 1;
}
static inline uint64_t interp_rbit(uint64_t a, unsigned sz) {
    uint64_t r = 0;
    for (unsigned k = 0; k < sz; k++)
        r |= ((a >> k) & 1) << (sz - 1 - k);
    return r;
}
/* IR_REDIR (ir_ops.def): t is a's offset in the split page; an access
 * that leaves its grain (or the page) is not moved. */
static inline uint64_t interp_redir(uint64_t a, uint64_t page, uint64_t dist, uint64_t imm) {
    unsigned bytes = (unsigned)(imm & 0xff), k = (unsigned)(imm >> 8);
    uint64_t t = a - page;
    if (t >= 4096 || (t ^ (t + bytes - 1)) >> k) return a;
    return a + dist + ((t >> k) << 12);
}

static inline uint64_t interp_rev32(uint64_t a) {
    return ((uint64_t)__builtin_bswap32((uint32_t)(a >> 32)) << 32) |
           __builtin_bswap32((uint32_t)a);
}

#endif
