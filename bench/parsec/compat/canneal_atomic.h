/* canneal's atomic/atomic.h for AArch64 (and any GCC target): the
 * FreeBSD-style operations canneal's AtomicPtr uses, on GCC's __atomic
 * builtins instead of PARSEC's per-architecture assembly, which has no
 * AArch64 version. bench/parsec/build.sh copies it over the original in
 * its private copy of canneal's sources. Under shoal these become LDXR/STXR
 * or LSE atomics, which the DSM keeps coherent across nodes. */
#ifndef SHOAL_CANNEAL_ATOMIC_H
#define SHOAL_CANNEAL_ATOMIC_H

#include <stdint.h>

#define SHOAL_ATOMIC_OPS(name, type)                                                               \
    static inline int atomic_cmpset_##name(volatile type *p, type old, type new_) {                \
        return __atomic_compare_exchange_n(p, &old, new_, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);  \
    }                                                                                              \
    static inline int atomic_cmpset_acq_##name(volatile type *p, type old, type new_) {            \
        return __atomic_compare_exchange_n(p, &old, new_, 0, __ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE);  \
    }                                                                                              \
    static inline int atomic_cmpset_rel_##name(volatile type *p, type old, type new_) {            \
        return __atomic_compare_exchange_n(p, &old, new_, 0, __ATOMIC_RELEASE, __ATOMIC_RELAXED);  \
    }                                                                                              \
    static inline type atomic_load_acq_##name(volatile type *p) {                                  \
        return __atomic_load_n(p, __ATOMIC_ACQUIRE);                                               \
    }                                                                                              \
    static inline void atomic_store_rel_##name(volatile type *p, type v) {                         \
        __atomic_store_n(p, v, __ATOMIC_RELEASE);                                                  \
    }                                                                                              \
    static inline void atomic_add_##name(volatile type *p, type v) {                               \
        __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST);                                                \
    }                                                                                              \
    static inline void atomic_subtract_##name(volatile type *p, type v) {                          \
        __atomic_fetch_sub(p, v, __ATOMIC_SEQ_CST);                                                \
    }                                                                                              \
    static inline type atomic_readandclear_##name(volatile type *p) {                              \
        return __atomic_exchange_n(p, (type)0, __ATOMIC_SEQ_CST);                                  \
    }

SHOAL_ATOMIC_OPS(int, unsigned int)
SHOAL_ATOMIC_OPS(long, unsigned long)
SHOAL_ATOMIC_OPS(ptr, uintptr_t)
SHOAL_ATOMIC_OPS(32, uint32_t)
SHOAL_ATOMIC_OPS(64, uint64_t)

#endif
