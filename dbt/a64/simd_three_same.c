/* A64 family: Advanced SIMD three same, integer forms (vector and scalar).
 * The FP forms of the group live in simd_fp_three_same.c. The bitwise
 * ops become IR on 64-bit halves; the rest call one helper that computes
 * every lane from the raw encoding. */
#include "dbt/a64/simd_common.h"
#include "dbt/simd/vop.h"

/* One lane of the op selected by U:opcode (6 bits); acc is the old
 * destination lane for the accumulating forms. */
static uint64_t lane_op(struct cpu *cpu, unsigned op, unsigned bits, uint64_t a, uint64_t b,
                        uint64_t acc) {
    s128 sa = lane_sext(a, bits), sb = lane_sext(b, bits), ua = a, ub = b;
    uint64_t ones = lane_mask(bits);
    int sh = (int8_t)b;
    s128 sd = sa > sb ? sa - sb : sb - sa, ud = ua > ub ? ua - ub : ub - ua;
    switch (op) {
    case 0x00: return (uint64_t)((sa + sb) >> 1);     /* SHADD */
    case 0x20: return (uint64_t)((ua + ub) >> 1);     /* UHADD */
    case 0x01: return sat_signed(cpu, sa + sb, bits); /* SQADD */
    case 0x21: return sat_unsigned(cpu, ua + ub, bits);
    case 0x02: return (uint64_t)((sa + sb + 1) >> 1); /* SRHADD */
    case 0x22: return (uint64_t)((ua + ub + 1) >> 1);
    case 0x04: return (uint64_t)((sa - sb) >> 1); /* SHSUB */
    case 0x24: return (uint64_t)((ua - ub) >> 1);
    case 0x05: return sat_signed(cpu, sa - sb, bits); /* SQSUB */
    case 0x25: return sat_unsigned(cpu, ua - ub, bits);
    case 0x06: return sa > sb ? ones : 0;                         /* CMGT */
    case 0x26: return ua > ub ? ones : 0;                         /* CMHI */
    case 0x07: return sa >= sb ? ones : 0;                        /* CMGE */
    case 0x27: return ua >= ub ? ones : 0;                        /* CMHS */
    case 0x08: return (uint64_t)shift_exact(sa, sh, false, bits); /* SSHL */
    case 0x28: return (uint64_t)shift_exact(ua, sh, false, bits);
    case 0x09: return sat_signed(cpu, shift_exact(sa, sh, false, bits), bits); /* SQSHL */
    case 0x29: return sat_unsigned(cpu, shift_exact(ua, sh, false, bits), bits);
    case 0x0a: return (uint64_t)shift_exact(sa, sh, true, bits); /* SRSHL */
    case 0x2a: return (uint64_t)shift_exact(ua, sh, true, bits);
    case 0x0b: return sat_signed(cpu, shift_exact(sa, sh, true, bits), bits); /* SQRSHL */
    case 0x2b: return sat_unsigned(cpu, shift_exact(ua, sh, true, bits), bits);
    case 0x0c:
    case 0x14: return sa > sb ? a : b; /* SMAX, SMAXP */
    case 0x2c:
    case 0x34: return ua > ub ? a : b;
    case 0x0d:
    case 0x15: return sa < sb ? a : b; /* SMIN, SMINP */
    case 0x2d:
    case 0x35: return ua < ub ? a : b;
    case 0x0e: return (uint64_t)sd; /* SABD */
    case 0x2e: return (uint64_t)ud;
    case 0x0f: return acc + (uint64_t)sd; /* SABA */
    case 0x2f: return acc + (uint64_t)ud;
    case 0x10:
    case 0x17: return a + b;              /* ADD, ADDP */
    case 0x30: return a - b;              /* SUB */
    case 0x11: return (a & b) ? ones : 0; /* CMTST */
    case 0x31: return a == b ? ones : 0;  /* CMEQ */
    case 0x12: return acc + a * b;        /* MLA */
    case 0x32: return acc - a * b;        /* MLS */
    case 0x13: return a * b;              /* MUL */
    case 0x33: {                          /* PMUL: carry-less, bytes only */
        uint64_t r = 0;
        for (unsigned k = 0; k < 8; k++)
            if (b >> k & 1) r ^= a << k;
        return r;
    }
    case 0x16: return sat_signed(cpu, (2 * sa * sb) >> bits, bits); /* SQDMULH */
    case 0x36: return sat_signed(cpu, (2 * sa * sb + ((s128)1 << (bits - 1))) >> bits, bits);
    }
    return 0;
}

static bool is_pairwise(unsigned op) {
    return (op & 0x1c) == 0x14 && op != 0x16 && op != 0x36;
}

static uint64_t helper_three_same(struct cpu *cpu, uint64_t insn, uint64_t x1, uint64_t x2,
                                  uint64_t x3) {
    unsigned op = SIMD_U(insn) << 5 | BITS(insn, 15, 11), size = SIMD_SIZE(insn);
    bool q = SIMD_Q(insn), scalar = SIMD_SCALAR(insn);
    unsigned n = scalar ? 1 : vec_lanes(q, size), bits = 8u << size;
    vreg_t a = cpu->v[SIMD_RN(insn)], b = cpu->v[SIMD_RM(insn)], d = cpu->v[SIMD_RD(insn)];
    vreg_t r = {{0, 0}};
    if (is_pairwise(op)) {
        /* Lane i pairs lanes 2i and 2i+1 of the concatenation Rm:Rn. */
        vreg_t pa = {{0, 0}}, pb = {{0, 0}};
        for (unsigned i = 0; i < n; i++) {
            unsigned k = 2 * i;
            const vreg_t *src = k < n ? &a : &b;
            lane_set(&pa, size, i, lane_get(src, size, k % n));
            lane_set(&pb, size, i, lane_get(src, size, (k + 1) % n));
        }
        a = pa;
        b = pb;
    }
    for (unsigned i = 0; i < n; i++) {
        uint64_t x = lane_op(cpu, op, bits, lane_get(&a, size, i), lane_get(&b, size, i),
                             lane_get(&d, size, i));
        lane_set(&r, size, i, x);
    }
    vreg_store(cpu, SIMD_RD(insn), &r, q || scalar);
    return 0;
}

static bool allocated_vector(unsigned op, unsigned size, bool q) {
    switch (op) {
    case 0x33: return size == 0; /* PMUL */
    case 0x16:
    case 0x36: return size == 1 || size == 2;
    case 0x37: return false;
    case 0x00:
    case 0x20:
    case 0x02:
    case 0x22:
    case 0x04:
    case 0x24:
    case 0x0c:
    case 0x2c:
    case 0x0d:
    case 0x2d:
    case 0x0e:
    case 0x2e:
    case 0x0f:
    case 0x2f:
    case 0x12:
    case 0x32:
    case 0x13:
    case 0x14:
    case 0x34:
    case 0x15:
    case 0x35: return size != 3;
    default: return !(size == 3 && !q);
    }
}

static bool allocated_scalar(unsigned op, unsigned size) {
    switch (op) {
    case 0x01:
    case 0x21:
    case 0x05:
    case 0x25:
    case 0x09:
    case 0x29:
    case 0x0b:
    case 0x2b: return true;
    case 0x06:
    case 0x26:
    case 0x07:
    case 0x27:
    case 0x08:
    case 0x28:
    case 0x0a:
    case 0x2a:
    case 0x10:
    case 0x30:
    case 0x11:
    case 0x31: return size == 3;
    case 0x16:
    case 0x36: return size == 1 || size == 2;
    default: return false;
    }
}

static void trans_three_same(struct a64_ctx *c, uint32_t insn) {
    unsigned op = SIMD_U(insn) << 5 | BITS(insn, 15, 11), size = SIMD_SIZE(insn);
    bool ok =
        SIMD_SCALAR(insn) ? allocated_scalar(op, size) : allocated_vector(op, size, SIMD_Q(insn));
    if (ok)
        ir_vop(c->b, VK_VINT3, insn, helper_three_same, IR_ZERO);
    else
        a64_unallocated(c);
}

/* AND BIC ORR ORN EOR BSL BIT BIF on one 64-bit half; op = U:size. */
static uint64_t logic_half(unsigned op, uint64_t n, uint64_t m, uint64_t d) {
    switch (op) {
    case 0: return n & m;
    case 1: return n & ~m;
    case 2: return n | m;
    case 3: return n | ~m;
    case 4: return n ^ m;
    case 5: return m ^ ((m ^ n) & d);   /* BSL: d selects n (1) or m (0) */
    case 6: return d ^ ((d ^ n) & m);   /* BIT: insert n where m is 1 */
    default: return d ^ ((d ^ n) & ~m); /* BIF: insert n where m is 0 */
    }
}

static uint64_t helper_logic(struct cpu *cpu, uint64_t insn, uint64_t x1, uint64_t x2,
                             uint64_t x3) {
    unsigned op = SIMD_U(insn) << 2 | SIMD_SIZE(insn);
    const vreg_t *n = &cpu->v[SIMD_RN(insn)], *m = &cpu->v[SIMD_RM(insn)];
    const vreg_t *d = &cpu->v[SIMD_RD(insn)];
    vreg_t r;
    r.d[0] = logic_half(op, n->d[0], m->d[0], d->d[0]);
    r.d[1] = logic_half(op, n->d[1], m->d[1], d->d[1]);
    vreg_store(cpu, SIMD_RD(insn), &r, SIMD_Q(insn));
    (void)x1, (void)x2, (void)x3;
    return 0;
}

/* A VOP (VK_VINT3, opcode 00011): the JIT lowers it to pand/por/pxor. */
static void trans_logic(struct a64_ctx *c, uint32_t insn) {
    ir_vop(c->b, VK_VINT3, insn, helper_logic, IR_ZERO);
}

#define VEC(name, u, opc)                                                                          \
    { name "_v", "0q" u "01110zz1mmmmm" opc "1nnnnnddddd", trans_three_same }
#define SCAL(name, u, opc)                                                                         \
    { name "_s", "01" u "11110zz1mmmmm" opc "1nnnnnddddd", trans_three_same }
#define LOGIC(name, u, sz)                                                                         \
    { name "_v", "0q" u "01110" sz "1mmmmm000111nnnnnddddd", trans_logic }

const struct a64_row a64_rows_simd_three_same[] = {
    VEC("SHADD", "0", "00000"),     VEC("UHADD", "1", "00000"),
    VEC("SQADD", "0", "00001"),     VEC("UQADD", "1", "00001"),
    VEC("SRHADD", "0", "00010"),    VEC("URHADD", "1", "00010"),
    VEC("SHSUB", "0", "00100"),     VEC("UHSUB", "1", "00100"),
    VEC("SQSUB", "0", "00101"),     VEC("UQSUB", "1", "00101"),
    VEC("CMGT", "0", "00110"),      VEC("CMHI", "1", "00110"),
    VEC("CMGE", "0", "00111"),      VEC("CMHS", "1", "00111"),
    VEC("SSHL", "0", "01000"),      VEC("USHL", "1", "01000"),
    VEC("SQSHL", "0", "01001"),     VEC("UQSHL", "1", "01001"),
    VEC("SRSHL", "0", "01010"),     VEC("URSHL", "1", "01010"),
    VEC("SQRSHL", "0", "01011"),    VEC("UQRSHL", "1", "01011"),
    VEC("SMAX", "0", "01100"),      VEC("UMAX", "1", "01100"),
    VEC("SMIN", "0", "01101"),      VEC("UMIN", "1", "01101"),
    VEC("SABD", "0", "01110"),      VEC("UABD", "1", "01110"),
    VEC("SABA", "0", "01111"),      VEC("UABA", "1", "01111"),
    VEC("ADD", "0", "10000"),       VEC("SUB", "1", "10000"),
    VEC("CMTST", "0", "10001"),     VEC("CMEQ", "1", "10001"),
    VEC("MLA", "0", "10010"),       VEC("MLS", "1", "10010"),
    VEC("MUL", "0", "10011"),       VEC("PMUL", "1", "10011"),
    VEC("SMAXP", "0", "10100"),     VEC("UMAXP", "1", "10100"),
    VEC("SMINP", "0", "10101"),     VEC("UMINP", "1", "10101"),
    VEC("SQDMULH", "0", "10110"),   VEC("SQRDMULH", "1", "10110"),
    VEC("ADDP", "0", "10111"),      SCAL("SQADD", "0", "00001"),
    SCAL("UQADD", "1", "00001"),    SCAL("SQSUB", "0", "00101"),
    SCAL("UQSUB", "1", "00101"),    SCAL("CMGT", "0", "00110"),
    SCAL("CMHI", "1", "00110"),     SCAL("CMGE", "0", "00111"),
    SCAL("CMHS", "1", "00111"),     SCAL("SSHL", "0", "01000"),
    SCAL("USHL", "1", "01000"),     SCAL("SQSHL", "0", "01001"),
    SCAL("UQSHL", "1", "01001"),    SCAL("SRSHL", "0", "01010"),
    SCAL("URSHL", "1", "01010"),    SCAL("SQRSHL", "0", "01011"),
    SCAL("UQRSHL", "1", "01011"),   SCAL("ADD", "0", "10000"),
    SCAL("SUB", "1", "10000"),      SCAL("CMTST", "0", "10001"),
    SCAL("CMEQ", "1", "10001"),     SCAL("SQDMULH", "0", "10110"),
    SCAL("SQRDMULH", "1", "10110"), LOGIC("AND", "0", "00"),
    LOGIC("BIC", "0", "01"),        LOGIC("ORR", "0", "10"),
    LOGIC("ORN", "0", "11"),        LOGIC("EOR", "1", "00"),
    LOGIC("BSL", "1", "01"),        LOGIC("BIT", "1", "10"),
    LOGIC("BIF", "1", "11"),        {NULL, NULL, NULL},
};
