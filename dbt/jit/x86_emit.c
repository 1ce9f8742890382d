/* x86-64 encodings (Intel SDM vol. 2). Every public function first makes
 * sure the longest instruction it can produce fits (see x86_buf). */
#include "dbt/jit/x86_emit.h"

#include <string.h>

#define MAX_INSN 24 /* longest sequence one call emits, prefixes included */

void x86_buf_init(struct x86_buf *b, uint8_t *base, uint8_t *start, uint8_t *end) {
    b->base = base;
    b->start = b->p = start;
    b->end = end;
    b->overflow = false;
}

static void room(struct x86_buf *b) {
    if (b->end - b->p < MAX_INSN) {
        b->overflow = true;
        b->p = b->start;
    }
}

static inline void put(struct x86_buf *b, uint8_t v) {
    *b->p++ = v;
}
static inline void put32(struct x86_buf *b, uint32_t v) {
    memcpy(b->p, &v, 4);
    b->p += 4;
}

void x86_byte(struct x86_buf *b, uint8_t v) {
    room(b);
    put(b, v);
}

void x86_u32(struct x86_buf *b, uint32_t v) {
    room(b);
    put32(b, v);
}

/* REX prefix; `force` for byte registers SPL..DIL, which need an empty REX. */
static void rex(struct x86_buf *b, bool w, int reg, int index, int base, bool force) {
    uint8_t r = (uint8_t)(0x40 | (w ? 8 : 0) | ((reg >> 3) & 1) << 2 | ((index >> 3) & 1) << 1 |
                          ((base >> 3) & 1));
    if (r != 0x40 || force) put(b, r);
}

static void modrm_mem(struct x86_buf *b, int reg, struct x86_mem m) {
    int mod = (m.disp == 0 && (m.base & 7) != RBP) ? 0 : (m.disp >= -128 && m.disp <= 127) ? 1 : 2;
    if (m.index < 0 && (m.base & 7) != RSP) {
        put(b, (uint8_t)(mod << 6 | (reg & 7) << 3 | (m.base & 7)));
    } else {
        static const uint8_t ss[9] = {0, 0, 1, 0, 2, 0, 0, 0, 3};
        int idx = m.index < 0 ? RSP : m.index; /* index 100b: none */
        put(b, (uint8_t)(mod << 6 | (reg & 7) << 3 | RSP));
        put(b, (uint8_t)(ss[m.scale] << 6 | (idx & 7) << 3 | (m.base & 7)));
    }
    if (mod == 1)
        put(b, (uint8_t)(int8_t)m.disp);
    else if (mod == 2)
        put32(b, (uint32_t)m.disp);
}

/* [prefix] [REX] opcode... ModRM(reg, rm register) */
static void op_rr(struct x86_buf *b, uint8_t pfx, bool w, bool force, const char *op, int oplen,
                  int reg, int rm) {
    room(b);
    if (pfx) put(b, pfx);
    rex(b, w, reg, 0, rm, force);
    for (int k = 0; k < oplen; k++)
        put(b, (uint8_t)op[k]);
    put(b, (uint8_t)(0xc0 | (reg & 7) << 3 | (rm & 7)));
}

static void op_rm(struct x86_buf *b, uint8_t pfx, bool w, bool force, const char *op, int oplen,
                  int reg, struct x86_mem m) {
    room(b);
    if (pfx) put(b, pfx);
    rex(b, w, reg, m.index < 0 ? 0 : m.index, m.base, force);
    for (int k = 0; k < oplen; k++)
        put(b, (uint8_t)op[k]);
    modrm_mem(b, reg, m);
}

static bool is_byte_reg_needing_rex(int r) {
    return r >= 4 && r <= 7;
}

void x86_alu_rr(struct x86_buf *b, enum x86_alu op, bool w64, int dst, int src) {
    char o = (char)(op * 8 + 1);
    op_rr(b, 0, w64, false, &o, 1, src, dst);
}

void x86_alu_ri(struct x86_buf *b, enum x86_alu op, bool w64, int dst, int32_t imm) {
    if (imm >= -128 && imm <= 127) {
        op_rr(b, 0, w64, false, "\x83", 1, op, dst);
        put(b, (uint8_t)(int8_t)imm);
    } else {
        op_rr(b, 0, w64, false, "\x81", 1, op, dst);
        put32(b, (uint32_t)imm);
    }
}

void x86_alu_rm(struct x86_buf *b, enum x86_alu op, bool w64, int dst, struct x86_mem m) {
    char o = (char)(op * 8 + 3);
    op_rm(b, 0, w64, false, &o, 1, dst, m);
}

void x86_alu_mi(struct x86_buf *b, enum x86_alu op, bool w64, struct x86_mem m, int32_t imm) {
    if (imm >= -128 && imm <= 127) {
        op_rm(b, 0, w64, false, "\x83", 1, op, m);
        put(b, (uint8_t)(int8_t)imm);
    } else {
        op_rm(b, 0, w64, false, "\x81", 1, op, m);
        put32(b, (uint32_t)imm);
    }
}

void x86_test_rr(struct x86_buf *b, bool w64, int a, int c) {
    op_rr(b, 0, w64, false, "\x85", 1, c, a);
}

void x86_mov_rr(struct x86_buf *b, bool w64, int dst, int src) {
    op_rr(b, 0, w64, false, "\x89", 1, src, dst);
}

/* Never uses xor: callers rely on mov keeping the host flags. */
void x86_mov_ri(struct x86_buf *b, int dst, uint64_t imm) {
    room(b);
    if (imm <= 0xffffffffu) {
        rex(b, false, 0, 0, dst, false);
        put(b, (uint8_t)(0xb8 + (dst & 7)));
        put32(b, (uint32_t)imm);
    } else if ((int64_t)imm >= INT32_MIN && (int64_t)imm <= INT32_MAX) {
        rex(b, true, 0, 0, dst, false);
        put(b, 0xc7);
        put(b, (uint8_t)(0xc0 | (dst & 7)));
        put32(b, (uint32_t)imm);
    } else {
        rex(b, true, 0, 0, dst, false);
        put(b, (uint8_t)(0xb8 + (dst & 7)));
        put32(b, (uint32_t)imm);
        put32(b, (uint32_t)(imm >> 32));
    }
}

void x86_load(struct x86_buf *b, unsigned bits, int dst, struct x86_mem m) {
    switch (bits) {
    case 8: op_rm(b, 0, false, false, "\x0f\xb6", 2, dst, m); break;
    case 16: op_rm(b, 0, false, false, "\x0f\xb7", 2, dst, m); break;
    case 32: op_rm(b, 0, false, false, "\x8b", 1, dst, m); break;
    default: op_rm(b, 0, true, false, "\x8b", 1, dst, m); break;
    }
}

void x86_store(struct x86_buf *b, unsigned bits, struct x86_mem m, int src) {
    switch (bits) {
    case 8: op_rm(b, 0, false, is_byte_reg_needing_rex(src), "\x88", 1, src, m); break;
    case 16: op_rm(b, 0x66, false, false, "\x89", 1, src, m); break;
    case 32: op_rm(b, 0, false, false, "\x89", 1, src, m); break;
    default: op_rm(b, 0, true, false, "\x89", 1, src, m); break;
    }
}

void x86_store_i32(struct x86_buf *b, unsigned bits, struct x86_mem m, int32_t imm) {
    op_rm(b, 0, bits == 64, false, "\xc7", 1, 0, m);
    put32(b, (uint32_t)imm);
}

void x86_lea(struct x86_buf *b, int dst, struct x86_mem m) {
    op_rm(b, 0, true, false, "\x8d", 1, dst, m);
}

void x86_lea32(struct x86_buf *b, int dst, struct x86_mem m) {
    op_rm(b, 0, false, false, "\x8d", 1, dst, m);
}

void x86_shift_ri(struct x86_buf *b, enum x86_shift op, bool w64, int r, uint8_t n) {
    op_rr(b, 0, w64, false, "\xc1", 1, op, r);
    put(b, n);
}

void x86_shift_cl(struct x86_buf *b, enum x86_shift op, bool w64, int r) {
    op_rr(b, 0, w64, false, "\xd3", 1, op, r);
}

void x86_unary(struct x86_buf *b, enum x86_unary op, bool w64, int r) {
    op_rr(b, 0, w64, false, "\xf7", 1, op, r);
}

void x86_imul_rr(struct x86_buf *b, bool w64, int dst, int src) {
    op_rr(b, 0, w64, false, "\x0f\xaf", 2, dst, src);
}

void x86_setcc(struct x86_buf *b, enum x86_cc cc, int r8) {
    char o[2] = {0x0f, (char)(0x90 + cc)};
    op_rr(b, 0, false, is_byte_reg_needing_rex(r8), o, 2, 0, r8);
}

void x86_cmov(struct x86_buf *b, enum x86_cc cc, bool w64, int dst, int src) {
    char o[2] = {0x0f, (char)(0x40 + cc)};
    op_rr(b, 0, w64, false, o, 2, dst, src);
}

void x86_movzx(struct x86_buf *b, unsigned from_bits, int dst, int src) {
    if (from_bits == 8)
        op_rr(b, 0, false, is_byte_reg_needing_rex(src), "\x0f\xb6", 2, dst, src);
    else
        op_rr(b, 0, false, false, "\x0f\xb7", 2, dst, src);
}

void x86_movsx(struct x86_buf *b, unsigned from_bits, int dst, int src) {
    if (from_bits == 8)
        op_rr(b, 0, true, false, "\x0f\xbe", 2, dst, src);
    else if (from_bits == 16)
        op_rr(b, 0, true, false, "\x0f\xbf", 2, dst, src);
    else
        op_rr(b, 0, true, false, "\x63", 1, dst, src);
}

void x86_bt_ri(struct x86_buf *b, bool w64, int r, uint8_t bit) {
    op_rr(b, 0, w64, false, "\x0f\xba", 2, 4, r);
    put(b, bit);
}

void x86_bswap(struct x86_buf *b, bool w64, int r) {
    room(b);
    rex(b, w64, 0, 0, r, false);
    put(b, 0x0f);
    put(b, (uint8_t)(0xc8 + (r & 7)));
}

void x86_bsr(struct x86_buf *b, bool w64, int dst, int src) {
    op_rr(b, 0, w64, false, "\x0f\xbd", 2, dst, src);
}

void x86_cqo(struct x86_buf *b, bool w64) {
    room(b);
    if (w64) put(b, 0x48);
    put(b, 0x99);
}

void x86_call_r(struct x86_buf *b, int r) {
    op_rr(b, 0, false, false, "\xff", 1, 2, r);
}
void x86_jmp_r(struct x86_buf *b, int r) {
    op_rr(b, 0, false, false, "\xff", 1, 4, r);
}

void x86_push(struct x86_buf *b, int r) {
    room(b);
    rex(b, false, 0, 0, r, false);
    put(b, (uint8_t)(0x50 + (r & 7)));
}

void x86_pop(struct x86_buf *b, int r) {
    room(b);
    rex(b, false, 0, 0, r, false);
    put(b, (uint8_t)(0x58 + (r & 7)));
}

void x86_ret(struct x86_buf *b) {
    x86_byte(b, 0xc3);
}

void x86_mfence(struct x86_buf *b) {
    room(b);
    put(b, 0x0f);
    put(b, 0xae);
    put(b, 0xf0);
}

void x86_lahf(struct x86_buf *b) {
    x86_byte(b, 0x9f);
}
void x86_stc(struct x86_buf *b) {
    x86_byte(b, 0xf9);
}
void x86_clc(struct x86_buf *b) {
    x86_byte(b, 0xf8);
}

void x86_movdqu_load(struct x86_buf *b, int xmm, struct x86_mem m) {
    op_rm(b, 0xf3, false, false, "\x0f\x6f", 2, xmm, m);
}

void x86_movdqu_store(struct x86_buf *b, struct x86_mem m, int xmm) {
    op_rm(b, 0xf3, false, false, "\x0f\x7f", 2, xmm, m);
}

uint32_t x86_jmp32(struct x86_buf *b) {
    room(b);
    put(b, 0xe9);
    uint32_t f = x86_off(b);
    put32(b, 0);
    return f;
}

uint32_t x86_jcc32(struct x86_buf *b, enum x86_cc cc) {
    room(b);
    put(b, 0x0f);
    put(b, (uint8_t)(0x80 + cc));
    uint32_t f = x86_off(b);
    put32(b, 0);
    return f;
}

void x86_patch_rel32(struct x86_buf *b, uint32_t field, uint32_t target) {
    int32_t rel = (int32_t)(target - (field + 4));
    memcpy(b->base + field, &rel, 4);
}

uint32_t x86_jcc8(struct x86_buf *b, enum x86_cc cc) {
    room(b);
    put(b, (uint8_t)(0x70 + cc));
    uint32_t f = x86_off(b);
    put(b, 0);
    return f;
}

uint32_t x86_jmp8(struct x86_buf *b) {
    room(b);
    put(b, 0xeb);
    uint32_t f = x86_off(b);
    put(b, 0);
    return f;
}

void x86_patch_rel8(struct x86_buf *b, uint32_t field, uint32_t target) {
    int32_t rel = (int32_t)(target - (field + 1));
    /* A short branch that no longer reaches is an emitter bug, not a guest
     * condition: callers only jump over a handful of instructions. */
    if (rel < -128 || rel > 127) b->overflow = true;
    b->base[field] = (uint8_t)(int8_t)rel;
}

void x86_lea_rip(struct x86_buf *b, int dst, uint32_t target) {
    room(b);
    rex(b, true, dst, 0, 0, false);
    put(b, 0x8d);
    put(b, (uint8_t)(((dst & 7) << 3) | 5));
    uint32_t f = x86_off(b);
    put32(b, (uint32_t)(int32_t)(target - (f + 4)));
}

uint32_t x86_sse_rip(struct x86_buf *b, uint8_t pfx, const char *op, int oplen, int reg) {
    room(b);
    if (pfx) put(b, pfx);
    rex(b, false, reg, 0, 0, false);
    for (int k = 0; k < oplen; k++)
        put(b, (uint8_t)op[k]);
    put(b, (uint8_t)((reg & 7) << 3 | 5)); /* mod 00, rm 101: [rip + disp32] */
    uint32_t f = x86_off(b);
    put32(b, 0);
    return f;
}

void x86_nop5(struct x86_buf *b) {
    room(b);
    put(b, 0x0f);
    put(b, 0x1f);
    put(b, 0x44);
    put(b, 0x00);
    put(b, 0x00);
}

void x86_cmpb_rip_i8(struct x86_buf *b, uint32_t target, int8_t imm) {
    room(b);
    put(b, 0x80);
    put(b, 0x3d); /* /7, [rip + disp32] */
    uint32_t f = x86_off(b);
    put32(b, (uint32_t)(int32_t)(target - (f + 5))); /* rip: after the imm8 */
    put(b, (uint8_t)imm);
}

void x86_jmp_abs(struct x86_buf *b, const void *target) {
    room(b);
    put(b, 0xe9);
    put32(b, (uint32_t)(int32_t)((const uint8_t *)target - (b->p + 4)));
}

void x86_nops(struct x86_buf *b, unsigned n) {
    for (; n >= 3; n -= 3) {
        x86_byte(b, 0x0f);
        x86_byte(b, 0x1f);
        x86_byte(b, 0x00);
    }
    if (n == 2) x86_byte(b, 0x66);
    if (n) x86_byte(b, 0x90);
}

void x86_movabs(struct x86_buf *b, int dst, uint64_t imm) {
    room(b);
    rex(b, true, 0, 0, dst, false);
    put(b, (uint8_t)(0xb8 + (dst & 7)));
    put32(b, (uint32_t)imm);
    put32(b, (uint32_t)(imm >> 32));
}

/* ---- SSE / AVX ---- */

void x86_test_ri(struct x86_buf *b, bool w64, int r, int32_t imm) {
    op_rr(b, 0, w64, false, "\xf7", 1, 0, r);
    put32(b, (uint32_t)imm);
}

void x86_locked_rm(struct x86_buf *b, enum x86_locked op, unsigned bits, struct x86_mem m,
                   int reg) {
    /* byte form, other sizes; xchg with memory locks without the prefix */
    static const char opc[][2][3] = {
        [LK_XADD] = {"\x0f\xc0", "\x0f\xc1"},
        [LK_XCHG] = {"\x86", "\x87"},
        [LK_CMPXCHG] = {"\x0f\xb0", "\x0f\xb1"},
        [LK_ADD] = {"\x00", "\x01"},
        [LK_OR] = {"\x08", "\x09"},
        [LK_AND] = {"\x20", "\x21"},
        [LK_XOR] = {"\x30", "\x31"},
    };
    const char *o = opc[op][bits != 8];
    room(b);
    if (op != LK_XCHG) put(b, 0xf0);
    op_rm(b, bits == 16 ? 0x66 : 0, bits == 64, bits == 8 && is_byte_reg_needing_rex(reg), o,
          o[0] == 0x0f ? 2 : 1, reg, m);
}

void x86_lock_cmpxchg16b(struct x86_buf *b, struct x86_mem m) {
    room(b);
    put(b, 0xf0);
    op_rm(b, 0, true, false, "\x0f\xc7", 2, 1, m);
}

void x86_test_mi(struct x86_buf *b, struct x86_mem m, int32_t imm) {
    op_rm(b, 0, false, false, "\xf7", 1, 0, m);
    put32(b, (uint32_t)imm);
}

void x86_sse_rr(struct x86_buf *b, uint8_t pfx, bool w64, const char *op, int oplen, int reg,
                int rm) {
    op_rr(b, pfx, w64, false, op, oplen, reg, rm);
}

void x86_sse_rm(struct x86_buf *b, uint8_t pfx, bool w64, const char *op, int oplen, int reg,
                struct x86_mem m) {
    op_rm(b, pfx, w64, false, op, oplen, reg, m);
}

void x86_sse_rri(struct x86_buf *b, uint8_t pfx, const char *op, int oplen, int reg, int rm,
                 uint8_t imm) {
    op_rr(b, pfx, false, false, op, oplen, reg, rm);
    put(b, imm);
}

/* Three-byte VEX: C4 [R X B mmmmm] [W vvvv L pp] op ModRM. */
void x86_vex_rrr(struct x86_buf *b, unsigned map, unsigned pp, bool w, uint8_t op, int reg,
                 int vvvv, int rm) {
    room(b);
    put(b, 0xc4);
    put(b, (uint8_t)((((reg >> 3) & 1) ^ 1) << 7 | 1 << 6 | (((rm >> 3) & 1) ^ 1) << 5 | map));
    put(b, (uint8_t)((w ? 0x80 : 0) | ((~vvvv & 15) << 3) | pp));
    put(b, op);
    put(b, (uint8_t)(0xc0 | (reg & 7) << 3 | (rm & 7)));
}

void x86_stmxcsr(struct x86_buf *b, struct x86_mem m) {
    op_rm(b, 0, false, false, "\x0f\xae", 2, 3, m);
}

void x86_ldmxcsr(struct x86_buf *b, struct x86_mem m) {
    op_rm(b, 0, false, false, "\x0f\xae", 2, 2, m);
}
