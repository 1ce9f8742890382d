/* ARMv8.1 LSE atomics on guest memory: LDADD, LDCLR, LDEOR, LDSET,
 * LDSMAX, LDSMIN, LDUMAX, LDUMIN, SWP, CAS and CASP, in sizes B/H/W/X.
 * Host atomics are full barriers, so the A/L/AL orderings need nothing
 * more. */
#include "dbt/a64/atomic.h"
#include "dbt/a64/atomic_host.h"

/* o3:opc (bits 15:12) of the atomic memory operations. */
enum ldop {
    LDOP_ADD = 0,
    LDOP_CLR = 1,
    LDOP_EOR = 2,
    LDOP_SET = 3,
    LDOP_SMAX = 4,
    LDOP_SMIN = 5,
    LDOP_UMAX = 6,
    LDOP_UMIN = 7,
    LDOP_SWP = 8,
};

/* The new memory value of a min/max, at `bytes` bytes. */
static uint64_t minmax(enum ldop op, unsigned bytes, uint64_t old, uint64_t v) {
    unsigned shift = 64 - 8 * bytes;
    int64_t so = (int64_t)(old << shift) >> shift, sv = (int64_t)(v << shift) >> shift;
    uint64_t uo = (old << shift) >> shift, uv = (v << shift) >> shift;
    switch (op) {
    case LDOP_SMAX: return so >= sv ? uo : uv;
    case LDOP_SMIN: return so <= sv ? uo : uv;
    case LDOP_UMAX: return uo >= uv ? uo : uv;
    default: return uo <= uv ? uo : uv;
    }
}

/* Fetch-and-op at one host type; returns the old value zero-extended. */
#define LDOP_AT(type, p, op, v)                                                                    \
    do {                                                                                           \
        type *p_ = (type *)(p), v_ = (type)(v);                                                    \
        switch (op) {                                                                              \
        case LDOP_ADD: return __atomic_fetch_add(p_, v_, __ATOMIC_SEQ_CST);                        \
        case LDOP_CLR: return __atomic_fetch_and(p_, (type)~v_, __ATOMIC_SEQ_CST);                 \
        case LDOP_EOR: return __atomic_fetch_xor(p_, v_, __ATOMIC_SEQ_CST);                        \
        case LDOP_SET: return __atomic_fetch_or(p_, v_, __ATOMIC_SEQ_CST);                         \
        case LDOP_SWP: return __atomic_exchange_n(p_, v_, __ATOMIC_SEQ_CST);                       \
        default: break;                                                                            \
        }                                                                                          \
    } while (0)

uint64_t a64_helper_ldop(struct cpu *cpu, uint64_t insn, uint64_t addr, uint64_t operand,
                         uint64_t u3) {
    unsigned bytes = 1u << BITS(insn, 31, 30);
    enum ldop op = (enum ldop)BITS(insn, 15, 12);
    void *p = atomic_g2h(cpu, addr, bytes);
    switch (bytes) {
    case 1: LDOP_AT(uint8_t, p, op, operand); break;
    case 2: LDOP_AT(uint16_t, p, op, operand); break;
    case 4: LDOP_AT(uint32_t, p, op, operand); break;
    default: LDOP_AT(uint64_t, p, op, operand); break;
    }
    /* Min/max: a compare-and-swap loop. The store happens even when the
     * value does not change, as the architecture's read-modify-write does. */
    uint64_t old = host_atomic_load(p, bytes);
    while (!host_cas(p, bytes, &old, minmax(op, bytes, old, operand))) {
    }
    return old;
}
#undef LDOP_AT

uint64_t a64_helper_cas(struct cpu *cpu, uint64_t insn, uint64_t addr, uint64_t expected,
                        uint64_t desired) {
    unsigned bytes = 1u << BITS(insn, 31, 30);
    host_cas(atomic_g2h(cpu, addr, bytes), bytes, &expected, desired);
    return expected;
}

uint64_t a64_helper_casp(struct cpu *cpu, uint64_t insn, uint64_t addr, uint64_t u2, uint64_t u3) {
    unsigned rs = BITS(insn, 20, 16), rt = BITS(insn, 4, 0); /* both even */
    uint64_t s1 = atomic_get_x(cpu, rs), s2 = atomic_get_x(cpu, rs + 1);
    uint64_t t1 = atomic_get_x(cpu, rt), t2 = atomic_get_x(cpu, rt + 1);
    uint64_t lo, hi;
    if (!BIT(insn, 30)) {
        /* Two words as one doubleword; the first register at the lower address. */
        uint64_t old = (uint32_t)s1 | (s2 << 32);
        host_cas(atomic_g2h(cpu, addr, 8), 8, &old, (uint32_t)t1 | (t2 << 32));
        lo = (uint32_t)old;
        hi = old >> 32;
    } else {
        lo = s1;
        hi = s2;
        host_cas128(atomic_g2h(cpu, addr, 16), &lo, &hi, t1, t2);
    }
    atomic_set_x(cpu, rs, lo);
    atomic_set_x(cpu, rs + 1, hi);
    return 0;
}
