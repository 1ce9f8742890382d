/* A64 family: Advanced SIMD two-register miscellaneous, integer forms
 * (vector and scalar). The FP forms of the group live in simd_fp_misc.c. */
#include "dbt/a64/simd_common.h"
#include "dbt/simd/vop.h"

static uint64_t lane_cls(uint64_t x, unsigned bits) {
    int64_t s = lane_sext(x, bits);
    uint64_t y = (uint64_t)(s ^ (s >> 63)) & lane_mask(bits);
    unsigned lz = bits;
    while (y) {
        y >>= 1;
        lz--;
    }
    return lz - 1;
}

static uint64_t lane_clz(uint64_t x, unsigned bits) {
    unsigned lz = bits;
    while (x) {
        x >>= 1;
        lz--;
    }
    return lz;
}

static uint64_t rbit8(uint64_t x) {
    uint64_t r = 0;
    for (unsigned k = 0; k < 8; k++)
        r |= (x >> k & 1) << (7 - k);
    return r;
}

/* Element-wise ops: one result lane from one source lane; op = U:opcode. */
static uint64_t lane_op(struct cpu *cpu, unsigned op, unsigned bits, uint64_t x, uint64_t d) {
    s128 s = lane_sext(x, bits), u = x;
    uint64_t ones = lane_mask(bits);
    switch (op) {
    case 0x03: return sat_signed(cpu, lane_sext(d, bits) + u, bits); /* SUQADD */
    case 0x23: return sat_unsigned(cpu, (s128)d + s, bits);          /* USQADD */
    case 0x04: return lane_cls(x, bits);
    case 0x24: return lane_clz(x, bits);
    case 0x05: return (uint64_t)__builtin_popcountll(x);     /* CNT */
    case 0x07: return sat_signed(cpu, s < 0 ? -s : s, bits); /* SQABS */
    case 0x27: return sat_signed(cpu, -s, bits);             /* SQNEG */
    case 0x08: return s > 0 ? ones : 0;                      /* CMGT #0 */
    case 0x28: return s >= 0 ? ones : 0;                     /* CMGE #0 */
    case 0x09: return s == 0 ? ones : 0;                     /* CMEQ #0 */
    case 0x29: return s <= 0 ? ones : 0;                     /* CMLE #0 */
    case 0x0a: return s < 0 ? ones : 0;                      /* CMLT #0 */
    case 0x0b: return (uint64_t)(s < 0 ? -s : s);            /* ABS */
    case 0x2b: return (uint64_t)-s;                          /* NEG */
    }
    return 0;
}

static void do_rev(vreg_t *r, const vreg_t *a, unsigned size, unsigned n,
                   unsigned container_lanes) {
    for (unsigned i = 0; i < n; i++)
        lane_set(r, size, i, lane_get(a, size, i ^ (container_lanes - 1)));
}

/* Narrowing: wide lanes of Vn to narrow lanes (to the upper half for the "2" forms). */
static void do_narrow(struct cpu *cpu, unsigned op, vreg_t *r, const vreg_t *a, unsigned size,
                      unsigned n, unsigned off) {
    unsigned bits = 8u << size;
    for (unsigned i = 0; i < n; i++) {
        uint64_t w = lane_get(a, size + 1, i);
        s128 s = lane_sext(w, 2 * bits), x;
        switch (op) {
        case 0x14: x = (s128)sat_signed(cpu, s, bits); break;   /* SQXTN */
        case 0x32: x = (s128)sat_unsigned(cpu, s, bits); break; /* SQXTUN */
        case 0x34: x = (s128)sat_unsigned(cpu, w, bits); break; /* UQXTN */
        default: x = w; break;                                  /* XTN */
        }
        lane_set(r, size, i + off, (uint64_t)x);
    }
}

static uint64_t helper_misc(struct cpu *cpu, uint64_t insn, uint64_t x1, uint64_t x2, uint64_t x3) {
    unsigned op = SIMD_U(insn) << 5 | BITS(insn, 16, 12), size = SIMD_SIZE(insn);
    bool q = SIMD_Q(insn), scalar = SIMD_SCALAR(insn);
    unsigned n = scalar ? 1 : vec_lanes(q, size), bits = 8u << size, rd = SIMD_RD(insn);
    const vreg_t a = cpu->v[SIMD_RN(insn)], d = cpu->v[rd];
    vreg_t r = {{0, 0}};
    bool whole = q || scalar;
    switch (op) {
    case 0x00: do_rev(&r, &a, size, n, 8u >> size); break; /* REV64 */
    case 0x20: do_rev(&r, &a, size, n, 4u >> size); break; /* REV32 */
    case 0x01: do_rev(&r, &a, size, n, 2u >> size); break; /* REV16 */
    case 0x02:
    case 0x22:
    case 0x06:
    case 0x26: { /* [SU]ADDLP, [SU]ADALP */
        bool sgn = !(op & 0x20), acc = op & 4;
        for (unsigned i = 0; i < n / 2; i++) {
            s128 x = lane_val(&a, size, 2 * i, sgn) + lane_val(&a, size, 2 * i + 1, sgn);
            if (acc) x += lane_val(&d, size + 1, i, false);
            lane_set(&r, size + 1, i, (uint64_t)x);
        }
        break;
    }
    case 0x12:
    case 0x14:
    case 0x32:
    case 0x34: {
        unsigned nn = scalar ? 1 : 8u >> size, off = q && !scalar ? nn : 0;
        if (off) r.d[0] = d.d[0];
        do_narrow(cpu, op, &r, &a, size, nn, off);
        whole = true;
        break;
    }
    case 0x33: { /* SHLL */
        unsigned nn = 8u >> size, off = q ? nn : 0;
        for (unsigned i = 0; i < nn; i++)
            lane_set(&r, size + 1, i, lane_get(&a, size, i + off) << bits);
        whole = true;
        break;
    }
    case 0x25: /* NOT (size 0), RBIT (size 1): both on bytes */
        for (unsigned i = 0; i < vec_lanes(q, 0); i++) {
            uint64_t x = lane_get(&a, 0, i);
            lane_set(&r, 0, i, size ? rbit8(x) : ~x);
        }
        break;
    default:
        for (unsigned i = 0; i < n; i++)
            lane_set(&r, size, i,
                     lane_op(cpu, op, bits, lane_get(&a, size, i), lane_get(&d, size, i)));
        break;
    }
    vreg_store(cpu, rd, &r, whole);
    return 0;
}

static bool allocated_vector(unsigned op, unsigned size, bool q) {
    switch (op) {
    case 0x00:
    case 0x02:
    case 0x22:
    case 0x06:
    case 0x26:
    case 0x04:
    case 0x24:
    case 0x12:
    case 0x14:
    case 0x32:
    case 0x34:
    case 0x33: return size != 3;
    case 0x20: return size < 2;
    case 0x01:
    case 0x05: return size == 0;
    case 0x25: return size < 2;
    case 0x03:
    case 0x23:
    case 0x07:
    case 0x27:
    case 0x08:
    case 0x28:
    case 0x09:
    case 0x29:
    case 0x0a:
    case 0x0b:
    case 0x2b: return !(size == 3 && !q);
    default: return false;
    }
}

static bool allocated_scalar(unsigned op, unsigned size) {
    switch (op) {
    case 0x03:
    case 0x23:
    case 0x07:
    case 0x27: return true;
    case 0x08:
    case 0x28:
    case 0x09:
    case 0x29:
    case 0x0a:
    case 0x0b:
    case 0x2b: return size == 3;
    case 0x14:
    case 0x32:
    case 0x34: return size != 3;
    default: return false;
    }
}

static void trans_misc(struct a64_ctx *c, uint32_t insn) {
    unsigned op = SIMD_U(insn) << 5 | BITS(insn, 16, 12), size = SIMD_SIZE(insn);
    bool ok =
        SIMD_SCALAR(insn) ? allocated_scalar(op, size) : allocated_vector(op, size, SIMD_Q(insn));
    if (ok)
        ir_vop(c->b, VK_VMISC, insn, helper_misc, IR_ZERO);
    else
        a64_unallocated(c);
}

#define VEC(name, u, opc)                                                                          \
    { name "_v", "0q" u "01110zz10000" opc "10nnnnnddddd", trans_misc }
#define SCAL(name, u, opc)                                                                         \
    { name "_s", "01" u "11110zz10000" opc "10nnnnnddddd", trans_misc }

const struct a64_row a64_rows_simd_misc[] = {
    VEC("REV64", "0", "00000"),      VEC("REV32", "1", "00000"),
    VEC("REV16", "0", "00001"),      VEC("SADDLP", "0", "00010"),
    VEC("UADDLP", "1", "00010"),     VEC("SUQADD", "0", "00011"),
    VEC("USQADD", "1", "00011"),     VEC("CLS", "0", "00100"),
    VEC("CLZ", "1", "00100"),        VEC("CNT", "0", "00101"),
    VEC("NOT_RBIT", "1", "00101"),   VEC("SADALP", "0", "00110"),
    VEC("UADALP", "1", "00110"),     VEC("SQABS", "0", "00111"),
    VEC("SQNEG", "1", "00111"),      VEC("CMGT_zero", "0", "01000"),
    VEC("CMGE_zero", "1", "01000"),  VEC("CMEQ_zero", "0", "01001"),
    VEC("CMLE_zero", "1", "01001"),  VEC("CMLT_zero", "0", "01010"),
    VEC("ABS", "0", "01011"),        VEC("NEG", "1", "01011"),
    VEC("XTN", "0", "10010"),        VEC("SQXTUN", "1", "10010"),
    VEC("SHLL", "1", "10011"),       VEC("SQXTN", "0", "10100"),
    VEC("UQXTN", "1", "10100"),      SCAL("SUQADD", "0", "00011"),
    SCAL("USQADD", "1", "00011"),    SCAL("SQABS", "0", "00111"),
    SCAL("SQNEG", "1", "00111"),     SCAL("CMGT_zero", "0", "01000"),
    SCAL("CMGE_zero", "1", "01000"), SCAL("CMEQ_zero", "0", "01001"),
    SCAL("CMLE_zero", "1", "01001"), SCAL("CMLT_zero", "0", "01010"),
    SCAL("ABS", "0", "01011"),       SCAL("NEG", "1", "01011"),
    SCAL("SQXTUN", "1", "10010"),    SCAL("SQXTN", "0", "10100"),
    SCAL("UQXTN", "1", "10100"),     {NULL, NULL, NULL},
};
