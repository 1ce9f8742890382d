/* Helpers behind the exclusive, ordered and LSE atomic instructions
 * (dbt/a64/atomic*.c). Each takes the raw encoding first (a64_call_insn)
 * and works on guest memory with host atomics. Private to dbt/a64/. */
#ifndef SHOAL_DBT_A64_ATOMIC_H
#define SHOAL_DBT_A64_ATOMIC_H

#include <signal.h>
#include <stdint.h>

#include "dbt/a64/a64.h"
#include "dbt/dbt.h"

/* Host pointer for an access that must be naturally aligned: a guest
 * SIGBUS (BUS_ADRALN) when it is not, a SIGSEGV when outside guest memory. */
static inline void *atomic_g2h(struct cpu *cpu, uint64_t addr, unsigned bytes) {
    if (addr & (bytes - 1)) cpu_raise_signal(cpu, SIGBUS, BUS_ADRALN, addr);
    return cpu_g2h(cpu, addr, bytes);
}

/* General register r as an operand (31 is XZR) and as a destination. */
static inline uint64_t atomic_get_x(const struct cpu *cpu, unsigned r) {
    return r == 31 ? 0 : cpu->x[r];
}
static inline void atomic_set_x(struct cpu *cpu, unsigned r, uint64_t v) {
    if (r != 31) cpu->x[r] = v;
}

/* Exclusives (atomic_excl.c). LDXR returns the value; LDXP writes Rt and
 * Rt2 itself; STXR/STXP return the status (0 stored, 1 failed). */
uint64_t a64_helper_ldxr(struct cpu *cpu, uint64_t insn, uint64_t addr, uint64_t u2, uint64_t u3);
uint64_t a64_helper_ldxp(struct cpu *cpu, uint64_t insn, uint64_t addr, uint64_t u2, uint64_t u3);
uint64_t a64_helper_stxr(struct cpu *cpu, uint64_t insn, uint64_t addr, uint64_t val, uint64_t u3);
uint64_t a64_helper_stxp(struct cpu *cpu, uint64_t insn, uint64_t addr, uint64_t val1,
                         uint64_t val2);

/* Load-acquire / store-release of one register (LDAR, STLR). */
uint64_t a64_helper_ldar(struct cpu *cpu, uint64_t insn, uint64_t addr, uint64_t u2, uint64_t u3);
uint64_t a64_helper_stlr(struct cpu *cpu, uint64_t insn, uint64_t addr, uint64_t val, uint64_t u3);

/* LSE (atomic_lse.c). LDADD..SWP and CAS return the old memory value;
 * CASP reads and writes its register pairs itself. */
uint64_t a64_helper_ldop(struct cpu *cpu, uint64_t insn, uint64_t addr, uint64_t operand,
                         uint64_t u3);
uint64_t a64_helper_cas(struct cpu *cpu, uint64_t insn, uint64_t addr, uint64_t expected,
                        uint64_t desired);
uint64_t a64_helper_casp(struct cpu *cpu, uint64_t insn, uint64_t addr, uint64_t u2, uint64_t u3);

#endif
