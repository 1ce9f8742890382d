/* Shared pieces of the load/store families (dbt/a64/ldst*.c): what a
 * size/opc pair transfers, addressing modes, and the IR for one register
 * transfer. Private to dbt/a64/. */
#ifndef SHOAL_DBT_A64_LDST_H
#define SHOAL_DBT_A64_LDST_H

#include <stdbool.h>
#include <stdint.h>

#include "dbt/a64/a64.h"

/* Indexing of the immediate forms. */
enum ldst_index {
    LDST_OFFSET, /* [Xn, #imm]: no writeback */
    LDST_POST,   /* [Xn], #imm: access at Xn, then Xn += imm */
    LDST_PRE,    /* [Xn, #imm]!: Xn += imm, access at the new Xn */
};

/* What one load/store register encoding (size, opc, V) transfers. */
struct ldst_kind {
    unsigned bits; /* access size: 8..64, or 128 for Q */
    bool load;
    bool sign;     /* sign-extend the loaded value */
    bool sf;       /* the destination is an X register (else W) */
    bool vec;      /* SIMD&FP register */
    bool prefetch; /* PRFM: no access at all */
};

/* Decodes size/opc/V of the load/store register classes; false when
 * the combination is unallocated. */
bool ldst_kind_decode(unsigned size, unsigned opc, bool vec, struct ldst_kind *k);

/* log2 of the access size in bytes, the scale of scaled offsets. */
static inline unsigned ldst_scale(const struct ldst_kind *k) {
    return (unsigned)__builtin_ctz(k->bits / 8);
}

/* Where an access happens and the base register's value after it. */
struct ldst_addr {
    ir_temp addr;
    ir_temp next; /* base + offset: what pre/post-index write back */
};

ir_temp ldst_add_imm(struct a64_ctx *c, ir_temp base, int64_t off);
struct ldst_addr ldst_addr_imm(struct a64_ctx *c, unsigned rn, int64_t off, enum ldst_index idx);
/* Writes the base back for LDST_PRE/LDST_POST. Call after the register
 * transfers: when Rn is also a loaded register the writeback wins (as
 * qemu-aarch64 does for this CONSTRAINED UNPREDICTABLE case). */
void ldst_writeback(struct a64_ctx *c, unsigned rn, struct ldst_addr a, enum ldst_index idx);

/* A general-register load split in two, so that pairs can finish every
 * access before writing any register. */
ir_temp ldst_load_value(struct a64_ctx *c, const struct ldst_kind *k, ir_temp addr);
void ldst_write_loaded(struct a64_ctx *c, const struct ldst_kind *k, unsigned rt, ir_temp v);

/* One whole register transfer (load or store, general or SIMD&FP). */
void ldst_transfer(struct a64_ctx *c, const struct ldst_kind *k, unsigned rt, ir_temp addr);

/* Load/store pair, all indexings and both register files (ldst_pair.c). */
void ldst_trans_pair(struct a64_ctx *c, uint32_t insn);

#endif
