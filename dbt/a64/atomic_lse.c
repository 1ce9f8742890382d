/* ARMv8.1 LSE atomics on guest memory: LDADD, LDCLR, LDEOR, LDSET,
 * LDSMAX, LDSMIN, LDUMAX, LDUMIN, SWP, CAS and CASP, in sizes B/H/W/X.
 * Host atomics are full barriers, so the A/L/AL orderings need nothing
 * more. */
#include "dbt/a64/atomic.h"
#include "dbt/host_atomic.h"

/* LDADD..LDUMIN and SWP: o3:opc (bits 15:12) is enum ir_atomic. */
uint64_t a64_helper_ldop(struct cpu *cpu, uint64_t insn, uint64_t addr, uint64_t operand,
                         uint64_t u3) {
    unsigned bytes = 1u << BITS(insn, 31, 30);
    return host_atomic_rmw(atomic_g2h(cpu, addr, bytes), bytes, (enum ir_atomic)BITS(insn, 15, 12),
                           operand);
}

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
