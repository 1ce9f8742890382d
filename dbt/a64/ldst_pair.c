/* LDP/STP, LDPSW, LDNP/STNP of general and SIMD&FP registers, in every
 * indexing mode. The non-temporal hint of LDNP/STNP changes nothing here. */
#include "dbt/a64/ldst.h"

/* Bits 24:23 of a pair encoding. */
static const enum ldst_index pair_index[4] = {LDST_OFFSET, LDST_POST, LDST_OFFSET, LDST_PRE};

/* opc (bits 31:30), V and L to what each of the two transfers is; false
 * when unallocated. */
static bool pair_kind(uint32_t insn, struct ldst_kind *k) {
    unsigned opc = BITS(insn, 31, 30);
    bool load = BIT(insn, 22), no_alloc = BITS(insn, 24, 23) == 0;
    *k = (struct ldst_kind){.load = load, .vec = BIT(insn, 26)};
    if (opc == 3) return false;
    if (k->vec) {
        k->bits = 32u << opc;
        return true;
    }
    if (opc == 1) {
        /* LDPSW; there is no LDNPSW. The store form is STGP, which needs
         * FEAT_MTE: not implemented (nor by the reference CPU, cortex-a76). */
        if (!load || no_alloc) return false;
        k->sign = k->sf = true;
        k->bits = 32;
        return true;
    }
    k->bits = opc ? 64 : 32;
    k->sf = opc != 0;
    return true;
}

static void load_gpr_pair(struct a64_ctx *c, const struct ldst_kind *k, unsigned rt, unsigned rt2,
                          ir_temp addr, ir_temp addr2) {
    /* Both loads first: a fault on the second leaves the registers intact.
     * Rt2 is written before Rt, so Rt wins when they are the same register
     * (CONSTRAINED UNPREDICTABLE; this is what qemu-aarch64 does). */
    ir_temp v1 = ldst_load_value(c, k, addr);
    ir_temp v2 = ldst_load_value(c, k, addr2);
    ldst_write_loaded(c, k, rt2, v2);
    ldst_write_loaded(c, k, rt, v1);
}

void ldst_trans_pair(struct a64_ctx *c, uint32_t insn) {
    struct ldst_kind k;
    if (!pair_kind(insn, &k)) {
        a64_unallocated(c);
        return;
    }
    unsigned rt = BITS(insn, 4, 0), rt2 = BITS(insn, 14, 10), rn = BITS(insn, 9, 5);
    int64_t bytes = k.bits / 8;
    enum ldst_index idx = pair_index[BITS(insn, 24, 23)];
    struct ldst_addr a = ldst_addr_imm(c, rn, sext64(BITS(insn, 21, 15), 7) * bytes, idx);
    ir_temp addr2 = ldst_add_imm(c, a.addr, bytes);
    if (k.load && !k.vec) {
        load_gpr_pair(c, &k, rt, rt2, a.addr, addr2);
    } else {
        ldst_transfer(c, &k, rt, a.addr);
        ldst_transfer(c, &k, rt2, addr2);
    }
    ldst_writeback(c, rn, a, idx);
}
