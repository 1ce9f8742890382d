/* A small x86-64 instruction emitter: just the encodings the JIT uses,
 * written straight into a code buffer (no assembler library). Register
 * numbers are the hardware ones (RAX = 0 ... R15 = 15); every function
 * takes the operand width where it matters (w64: REX.W). */
#ifndef SHOAL_DBT_JIT_X86_EMIT_H
#define SHOAL_DBT_JIT_X86_EMIT_H

#include <stdbool.h>
#include <stdint.h>

enum x86_reg {
    RAX,
    RCX,
    RDX,
    RBX,
    RSP,
    RBP,
    RSI,
    RDI,
    R8,
    R9,
    R10,
    R11,
    R12,
    R13,
    R14,
    R15,
};

/* Condition codes (the low nibble of Jcc/SETcc/CMOVcc). */
enum x86_cc {
    CC_O,
    CC_NO,
    CC_B,
    CC_AE,
    CC_E,
    CC_NE,
    CC_BE,
    CC_A,
    CC_S,
    CC_NS,
    CC_P,
    CC_NP,
    CC_L,
    CC_GE,
    CC_LE,
    CC_G,
};

/* Group-1 ALU ops (the /digit of 81/83 and the opcode row of 01..39). */
enum x86_alu { ALU_ADD, ALU_OR, ALU_ADC, ALU_SBB, ALU_AND, ALU_SUB, ALU_XOR, ALU_CMP };
/* Group-2 shifts (the /digit of C1/D3). */
enum x86_shift { SH_ROL = 0, SH_ROR = 1, SH_SHL = 4, SH_SHR = 5, SH_SAR = 7 };
/* Group-3 unary ops (the /digit of F7). */
enum x86_unary { UN_NOT = 2, UN_NEG = 3, UN_MUL = 4, UN_IMUL = 5, UN_DIV = 6, UN_IDIV = 7 };

/* Memory operand [base + index*scale + disp]; index = -1 for none. */
struct x86_mem {
    int8_t base, index;
    uint8_t scale; /* 1, 2, 4, 8 */
    int32_t disp;
};
static inline struct x86_mem x86_mem(int base, int32_t disp) {
    return (struct x86_mem){(int8_t)base, -1, 1, disp};
}
static inline struct x86_mem x86_mem_idx(int base, int index, int32_t disp) {
    return (struct x86_mem){(int8_t)base, (int8_t)index, 1, disp};
}

/* Output buffer. When an instruction would not fit, `overflow` is set and
 * writing restarts at `start`: the caller discards the whole block, so the
 * emitter never writes past `end` and callers check once at the end. */
struct x86_buf {
    uint8_t *base;  /* offsets (x86_off, branch fields) count from here */
    uint8_t *start; /* where this piece of code begins */
    uint8_t *p, *end;
    bool overflow;
};

void x86_buf_init(struct x86_buf *b, uint8_t *base, uint8_t *start, uint8_t *end);
static inline uint32_t x86_off(const struct x86_buf *b) {
    return (uint32_t)(b->p - b->base);
}

void x86_byte(struct x86_buf *b, uint8_t v);
void x86_u32(struct x86_buf *b, uint32_t v);

void x86_alu_rr(struct x86_buf *b, enum x86_alu op, bool w64, int dst, int src);
void x86_alu_ri(struct x86_buf *b, enum x86_alu op, bool w64, int dst, int32_t imm);
void x86_alu_rm(struct x86_buf *b, enum x86_alu op, bool w64, int dst, struct x86_mem m);
void x86_alu_mi(struct x86_buf *b, enum x86_alu op, bool w64, struct x86_mem m, int32_t imm);
void x86_test_rr(struct x86_buf *b, bool w64, int a, int c);
void x86_mov_rr(struct x86_buf *b, bool w64, int dst, int src);
void x86_mov_ri(struct x86_buf *b, int dst, uint64_t imm); /* shortest form */
/* Zero-extending load of `bits` (8/16/32/64) into dst. */
void x86_load(struct x86_buf *b, unsigned bits, int dst, struct x86_mem m);
void x86_store(struct x86_buf *b, unsigned bits, struct x86_mem m, int src);
void x86_store_i32(struct x86_buf *b, unsigned bits, struct x86_mem m, int32_t imm); /* 32/64 */
void x86_lea(struct x86_buf *b, int dst, struct x86_mem m);
void x86_lea32(struct x86_buf *b, int dst, struct x86_mem m); /* low 32 bits, zero-extended */
void x86_shift_ri(struct x86_buf *b, enum x86_shift op, bool w64, int r, uint8_t n);
void x86_shift_cl(struct x86_buf *b, enum x86_shift op, bool w64, int r);
void x86_unary(struct x86_buf *b, enum x86_unary op, bool w64, int r);
void x86_imul_rr(struct x86_buf *b, bool w64, int dst, int src);
void x86_setcc(struct x86_buf *b, enum x86_cc cc, int r8);
void x86_cmov(struct x86_buf *b, enum x86_cc cc, bool w64, int dst, int src);
void x86_movzx(struct x86_buf *b, unsigned from_bits, int dst, int src); /* 8/16 */
void x86_movsx(struct x86_buf *b, unsigned from_bits, int dst, int src); /* 8/16/32 → 64 */
void x86_bt_ri(struct x86_buf *b, bool w64, int r, uint8_t bit);
void x86_bswap(struct x86_buf *b, bool w64, int r);
void x86_bsr(struct x86_buf *b, bool w64, int dst, int src);
void x86_cqo(struct x86_buf *b, bool w64); /* cdq / cqo */
void x86_call_r(struct x86_buf *b, int r);
void x86_jmp_r(struct x86_buf *b, int r);
void x86_push(struct x86_buf *b, int r);
void x86_pop(struct x86_buf *b, int r);
void x86_ret(struct x86_buf *b);
void x86_mfence(struct x86_buf *b);
void x86_lahf(struct x86_buf *b);
void x86_stc(struct x86_buf *b);
void x86_clc(struct x86_buf *b);
/* movdqu xmm, [m] and movdqu [m], xmm. */
void x86_movdqu_load(struct x86_buf *b, int xmm, struct x86_mem m);
void x86_movdqu_store(struct x86_buf *b, struct x86_mem m, int xmm);
/* test dword [m], imm32 */
void x86_test_mi(struct x86_buf *b, struct x86_mem m, int32_t imm);
void x86_test_ri(struct x86_buf *b, bool w64, int r, int32_t imm);
/* Locked read-modify-writes of `bits` (8/16/32/64) at m with register
 * reg: lock xadd, xchg, lock cmpxchg (with RAX), lock add/or/and/xor. */
enum x86_locked { LK_XADD, LK_XCHG, LK_CMPXCHG, LK_ADD, LK_OR, LK_AND, LK_XOR };
void x86_locked_rm(struct x86_buf *b, enum x86_locked op, unsigned bits, struct x86_mem m, int reg);
/* lock cmpxchg16b m: RDX:RAX against m, RCX:RBX stored; ZF on success. */
void x86_lock_cmpxchg16b(struct x86_buf *b, struct x86_mem m);
/* Legacy SSE: [mandatory prefix 0/66/F2/F3] [REX] op... ModRM(reg, rm);
 * `op` holds the bytes from 0F on; registers are xmm or general numbers
 * as the opcode defines. */
void x86_sse_rr(struct x86_buf *b, uint8_t pfx, bool w64, const char *op, int oplen, int reg,
                int rm);
void x86_sse_rm(struct x86_buf *b, uint8_t pfx, bool w64, const char *op, int oplen, int reg,
                struct x86_mem m);
void x86_sse_rri(struct x86_buf *b, uint8_t pfx, const char *op, int oplen, int reg, int rm,
                 uint8_t imm);
/* VEX.128 three-operand op (map 1: 0F, 2: 0F38, 3: 0F3A; pp 0: none,
 * 1: 66, 2: F3, 3: F2): reg = op(vvvv, rm). */
void x86_vex_rrr(struct x86_buf *b, unsigned map, unsigned pp, bool w, uint8_t op, int reg,
                 int vvvv, int rm);
void x86_stmxcsr(struct x86_buf *b, struct x86_mem m);
void x86_ldmxcsr(struct x86_buf *b, struct x86_mem m);

/* Branches. The rel32 forms return the offset of their 32-bit field, for
 * x86_patch_rel32; target offsets are buffer offsets. */
uint32_t x86_jmp32(struct x86_buf *b);
uint32_t x86_jcc32(struct x86_buf *b, enum x86_cc cc);
void x86_patch_rel32(struct x86_buf *b, uint32_t field, uint32_t target);
/* Short forward branches over a few instructions (patched with x86_patch_rel8). */
uint32_t x86_jcc8(struct x86_buf *b, enum x86_cc cc);
uint32_t x86_jmp8(struct x86_buf *b);
void x86_patch_rel8(struct x86_buf *b, uint32_t field, uint32_t target);
/* lea r, [rip + disp] to buffer offset target. */
void x86_lea_rip(struct x86_buf *b, int dst, uint32_t target);
/* SSE op reg, [rip + disp32] (no immediate byte); returns the disp32
 * field's offset, for x86_patch_rel32 to the operand's buffer offset. */
uint32_t x86_sse_rip(struct x86_buf *b, uint8_t pfx, const char *op, int oplen, int reg);
/* cmp byte [rip + disp] (buffer offset target), imm8. */
void x86_cmpb_rip_i8(struct x86_buf *b, uint32_t target, int8_t imm);
/* nop dword [rax + rax + 0]: one 5-byte instruction (0f 1f 44 00 00). */
void x86_nop5(struct x86_buf *b);
/* jmp rel32 to an absolute host address (must be within ±2 GiB). */
void x86_jmp_abs(struct x86_buf *b, const void *target);
/* n bytes of nops, at most 3 to an instruction (0f 1f 00, 66 90, 90):
 * padding that code runs through costs one instruction, not up to 3. */
void x86_nops(struct x86_buf *b, unsigned n);
/* movabs rax-style mov r64, imm64 (always 10 bytes, for fixed layouts). */
void x86_movabs(struct x86_buf *b, int dst, uint64_t imm);

#endif
