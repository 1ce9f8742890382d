/* Host atomics on guest memory at the access sizes A64 uses (1, 2, 4, 8
 * and 16 bytes), for the interpreter's atomic IR ops and the helpers of
 * dbt/a64/atomic*.c. Every operation is sequentially consistent: a full
 * barrier on the host, which covers any acquire/release the guest asked
 * for. Private to dbt/. */
#ifndef SHOAL_DBT_HOST_ATOMIC_H
#define SHOAL_DBT_HOST_ATOMIC_H

#include <stdbool.h>
#include <stdint.h>

#include "dbt/ir.h"

static inline uint64_t host_atomic_load(void *p, unsigned bytes) {
    switch (bytes) {
    case 1: return __atomic_load_n((uint8_t *)p, __ATOMIC_SEQ_CST);
    case 2: return __atomic_load_n((uint16_t *)p, __ATOMIC_SEQ_CST);
    case 4: return __atomic_load_n((uint32_t *)p, __ATOMIC_SEQ_CST);
    default: return __atomic_load_n((uint64_t *)p, __ATOMIC_SEQ_CST);
    }
}

static inline void host_atomic_store(void *p, unsigned bytes, uint64_t v) {
    switch (bytes) {
    case 1: __atomic_store_n((uint8_t *)p, (uint8_t)v, __ATOMIC_SEQ_CST); break;
    case 2: __atomic_store_n((uint16_t *)p, (uint16_t)v, __ATOMIC_SEQ_CST); break;
    case 4: __atomic_store_n((uint32_t *)p, (uint32_t)v, __ATOMIC_SEQ_CST); break;
    default: __atomic_store_n((uint64_t *)p, v, __ATOMIC_SEQ_CST); break;
    }
}

/* Compare-and-swap of the low `bytes` of *expected with desired; on
 * return *expected holds the old memory value, zero-extended. */
#define HOST_CAS_AT(type, p, expected, desired)                                                    \
    do {                                                                                           \
        type e_ = (type) * (expected);                                                             \
        ok = __atomic_compare_exchange_n((type *)(p), &e_, (type)(desired), false,                 \
                                         __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);                      \
        *(expected) = e_;                                                                          \
    } while (0)

static inline bool host_cas(void *p, unsigned bytes, uint64_t *expected, uint64_t desired) {
    bool ok;
    switch (bytes) {
    case 1: HOST_CAS_AT(uint8_t, p, expected, desired); break;
    case 2: HOST_CAS_AT(uint16_t, p, expected, desired); break;
    case 4: HOST_CAS_AT(uint32_t, p, expected, desired); break;
    default: HOST_CAS_AT(uint64_t, p, expected, desired); break;
    }
    return ok;
}
#undef HOST_CAS_AT

/* 16-byte compare-and-swap (p 16-byte aligned); lo is at the lower address.
 * On x86-64 this is `lock cmpxchg16b`, so no libatomic is needed. RBX is
 * swapped in and out around it rather than asked for: a compiler may
 * keep its base pointer there (clang does in a function with a VLA and
 * a realigned stack, such as dbt_interp_block, into which this inlines);
 * the address is in RDI for the same reason. */
static inline bool host_cas128(void *p, uint64_t *lo, uint64_t *hi, uint64_t new_lo,
                               uint64_t new_hi) {
#if defined(__x86_64__)
    bool ok;
    __asm__ __volatile__("xchg %%rbx, %[nlo]\n\t"
                         "lock cmpxchg16b (%[p])\n\t"
                         "xchg %%rbx, %[nlo]"
                         : "=@ccz"(ok), "+a"(*lo), "+d"(*hi), [nlo] "+&r"(new_lo)
                         : [p] "D"(p), "c"(new_hi)
                         : "memory");
    return ok;
#else
    unsigned __int128 e = ((unsigned __int128)*hi << 64) | *lo;
    unsigned __int128 d = ((unsigned __int128)new_hi << 64) | new_lo;
    bool ok = __atomic_compare_exchange_n((unsigned __int128 *)p, &e, d, false, __ATOMIC_SEQ_CST,
                                          __ATOMIC_SEQ_CST);
    *lo = (uint64_t)e;
    *hi = (uint64_t)(e >> 64);
    return ok;
#endif
}

/* The new memory value of a min/max (enum ir_atomic), at `bytes` bytes. */
static inline uint64_t host_minmax(enum ir_atomic op, unsigned bytes, uint64_t old, uint64_t v) {
    unsigned shift = 64 - 8 * bytes;
    int64_t so = (int64_t)(old << shift) >> shift, sv = (int64_t)(v << shift) >> shift;
    uint64_t uo = (old << shift) >> shift, uv = (v << shift) >> shift;
    switch (op) {
    case ATOMIC_SMAX: return so >= sv ? uo : uv;
    case ATOMIC_SMIN: return so <= sv ? uo : uv;
    case ATOMIC_UMAX: return uo >= uv ? uo : uv;
    default: return uo <= uv ? uo : uv;
    }
}

/* Fetch-and-op at one host type; returns the old value zero-extended. */
#define HOST_RMW_AT(type, p, op, v)                                                                \
    do {                                                                                           \
        type *p_ = (type *)(p), v_ = (type)(v);                                                    \
        switch (op) {                                                                              \
        case ATOMIC_ADD: return __atomic_fetch_add(p_, v_, __ATOMIC_SEQ_CST);                      \
        case ATOMIC_CLR: return __atomic_fetch_and(p_, (type)~v_, __ATOMIC_SEQ_CST);               \
        case ATOMIC_EOR: return __atomic_fetch_xor(p_, v_, __ATOMIC_SEQ_CST);                      \
        case ATOMIC_SET: return __atomic_fetch_or(p_, v_, __ATOMIC_SEQ_CST);                       \
        case ATOMIC_SWP: return __atomic_exchange_n(p_, v_, __ATOMIC_SEQ_CST);                     \
        default: break;                                                                            \
        }                                                                                          \
    } while (0)

/* An atomic read-modify-write (IR_ATOMIC) of `bytes` at p (aligned):
 * returns the old value, zero-extended. */
static inline uint64_t host_atomic_rmw(void *p, unsigned bytes, enum ir_atomic op, uint64_t v) {
    switch (bytes) {
    case 1: HOST_RMW_AT(uint8_t, p, op, v); break;
    case 2: HOST_RMW_AT(uint16_t, p, op, v); break;
    case 4: HOST_RMW_AT(uint32_t, p, op, v); break;
    default: HOST_RMW_AT(uint64_t, p, op, v); break;
    }
    /* Min/max: a compare-and-swap loop. The store happens even when the
     * value does not change, as the architecture's read-modify-write does. */
    uint64_t old = host_atomic_load(p, bytes);
    while (!host_cas(p, bytes, &old, host_minmax(op, bytes, old, v))) {
    }
    return old;
}
#undef HOST_RMW_AT

#endif
