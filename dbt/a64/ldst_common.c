/* Helpers shared by the load/store translators: decoding size/opc/V,
 * addressing, and the IR of one register transfer. */
#include "dbt/a64/ldst.h"

bool ldst_kind_decode(unsigned size, unsigned opc, bool vec, struct ldst_kind *k) {
    *k = (struct ldst_kind){.vec = vec};
    if (vec) {
        /* opc<1> extends size: 00/01 B..D, 1x only with size 00 (Q). */
        unsigned scale = ((opc >> 1) << 2) | size;
        if (scale > 4) return false;
        k->bits = 8u << scale;
        k->load = opc & 1;
        return true;
    }
    k->bits = 8u << size;
    switch (opc) {
    case 0: return true; /* STR* */
    case 1:              /* LDR*: zero-extending */
        k->load = true;
        k->sf = size == 3;
        return true;
    case 2:
        if (size == 3) { /* PRFM */
            k->prefetch = true;
            return true;
        }
        k->load = k->sign = k->sf = true; /* LDRSB/LDRSH/LDRSW to X */
        return true;
    default:
        if (size >= 2) return false;
        k->load = k->sign = true; /* LDRSB/LDRSH to W */
        return true;
    }
}

ir_temp ldst_add_imm(struct a64_ctx *c, ir_temp base, int64_t off) {
    if (!off) return base;
    return ir_op2(c->b, IR_ADD, 64, base, ir_const(c->b, (uint64_t)off));
}

struct ldst_addr ldst_addr_imm(struct a64_ctx *c, unsigned rn, int64_t off, enum ldst_index idx) {
    ir_temp base = a64_read_xsp(c, rn);
    ir_temp moved = ldst_add_imm(c, base, off);
    return (struct ldst_addr){.addr = idx == LDST_POST ? base : moved, .next = moved};
}

void ldst_writeback(struct a64_ctx *c, unsigned rn, struct ldst_addr a, enum ldst_index idx) {
    if (idx != LDST_OFFSET) a64_write_xsp(c, rn, a.next, true);
}

ir_temp ldst_load_value(struct a64_ctx *c, const struct ldst_kind *k, ir_temp addr) {
    ir_temp v = ir_ld(c->b, k->bits, addr);
    if (k->sign && k->bits < 64) v = ir_op1(c->b, IR_SEXT, k->bits, v);
    return v;
}

void ldst_write_loaded(struct a64_ctx *c, const struct ldst_kind *k, unsigned rt, ir_temp v) {
    /* An unsigned load is already zero-extended: no W truncation needed. */
    a64_write_x(c, rt, v, k->sf || !k->sign);
}

void ldst_transfer(struct a64_ctx *c, const struct ldst_kind *k, unsigned rt, ir_temp addr) {
    if (k->vec) {
        if (k->load)
            ir_ldv(c->b, k->bits, addr, rt);
        else
            ir_stv(c->b, k->bits, addr, rt);
    } else if (k->load) {
        ldst_write_loaded(c, k, rt, ldst_load_value(c, k, addr));
    } else {
        ir_st(c->b, k->bits, addr, a64_read_x(c, rt));
    }
}
