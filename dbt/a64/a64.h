/* The A64 frontend: a decoder driven by tables of encodings (one row per
 * instruction form, one table per family as the Arm ARM groups them) and
 * the translation context that row handlers use to emit IR.
 *
 * A row's pattern is 32 characters, bit 31 first: '0'/'1' fixed bits,
 * any letter a named field (printed by the disassembler), '-' don't care.
 * Spaces and '_' are ignored. When several rows match, the one with the
 * most fixed bits wins; a handler rejects encodings its pattern cannot
 * exclude by calling a64_unallocated(). */
#ifndef SHOAL_DBT_A64_A64_H
#define SHOAL_DBT_A64_A64_H

#include <stdbool.h>
#include <stdint.h>

#include "dbt/ir.h"

struct a64_ctx;
typedef void (*a64_trans_fn)(struct a64_ctx *c, uint32_t insn);

struct a64_row {
    const char *name;    /* e.g. "ADD_imm"; shown in debug output */
    const char *pattern; /* see above */
    a64_trans_fn trans;
};

/* One table per family, each terminated by a row with name == NULL. */
#define A64_FAMILY(fam) extern const struct a64_row a64_rows_##fam[];
#include "dbt/a64/families.def"
#undef A64_FAMILY

struct a64_ctx {
    struct ir_block *b;
    uint64_t pc;   /* address of the instruction being translated */
    uint32_t insn; /* its encoding */
    const struct a64_row *row;
    bool done;              /* a terminator was set: the block ends after this insn */
    uint32_t insn_first_op; /* index of this insn's first IR op (after INSN_START) */
    /* LSE atomics, CAS, LDAR/STLR as IR ops (IR_ATOMIC, IR_CAS, IR_ALIGN)
     * rather than helper calls; exclusives too (IR_LDX, IR_STX) when no
     * embedder hooks the monitor (dbt_excl_hooks) */
    bool atomics_inline, excl_inline;
};

/* A decoded pattern: mask/value plus where the row came from. */
struct a64_decoded_row {
    const struct a64_row *row;
    uint32_t mask, value;
};

/* Decoder: returns the matching row or NULL (unallocated). Thread-safe
 * after a64_decoder_init(), which is idempotent. */
void a64_decoder_init(void);
const struct a64_row *a64_decode(uint32_t insn);
/* All rows, for tests and the random-instruction generator. */
const struct a64_decoded_row *a64_all_rows(unsigned *count);
bool a64_parse_pattern(const char *pattern, uint32_t *mask, uint32_t *value);

/* Disassembly: "NAME field=value ..." from the row's named fields. */
int a64_disas(uint32_t insn, char *buf, unsigned len);

/* Translate one instruction at c->pc into c->b. */
void a64_translate_insn(struct a64_ctx *c, uint32_t insn);

/* ---- helpers for row handlers ---- */

#define BITS(x, hi, lo) (((x) >> (lo)) & ((1u << ((hi) - (lo) + 1)) - 1u))
#define BIT(x, n)       (((x) >> (n)) & 1u)

static inline int64_t sext64(uint64_t v, unsigned bits) {
    return (int64_t)(v << (64 - bits)) >> (64 - bits);
}

/* General registers: register 31 is XZR ("x") or SP ("xsp") by context.
 * Writes with sf == 0 zero-extend from 32 bits; writes to XZR vanish. */
ir_temp a64_read_x(struct a64_ctx *c, unsigned r);
ir_temp a64_read_xsp(struct a64_ctx *c, unsigned r);
void a64_write_x(struct a64_ctx *c, unsigned r, ir_temp v, bool sf);
void a64_write_xsp(struct a64_ctx *c, unsigned r, ir_temp v, bool sf);

/* NZCV */
ir_temp a64_read_nzcv(struct a64_ctx *c);
void a64_write_nzcv(struct a64_ctx *c, ir_temp nzcv);

/* SIMD&FP registers: low 64 bits, or whole 128 as two halves. A scalar
 * write zeroes the rest of the 128-bit register as the architecture says. */
ir_temp a64_read_vlo(struct a64_ctx *c, unsigned r);
ir_temp a64_read_vhi(struct a64_ctx *c, unsigned r);
void a64_write_vscalar(struct a64_ctx *c, unsigned r, ir_temp v); /* v zero-extended to 64 */
void a64_write_v128(struct a64_ctx *c, unsigned r, ir_temp lo, ir_temp hi);

/* Terminators. */
void a64_goto(struct a64_ctx *c, uint64_t target, enum ir_branch_hint hint);
void a64_goto_ind(struct a64_ctx *c, ir_temp target, enum ir_branch_hint hint);
void a64_brcond(struct a64_ctx *c, ir_temp cond, uint64_t target);
void a64_raise(struct a64_ctx *c, int signo, int code, uint64_t addr);
/* SVC #imm: the embedder handles it, then execution continues at pc+4. */
void a64_svc(struct a64_ctx *c, uint32_t imm);
/* Unallocated/unimplemented encoding: SIGILL at this instruction. */
void a64_unallocated(struct a64_ctx *c);

/* A helper call that takes the raw instruction as its first argument:
 * the common way to implement rare or wide (SIMD) instructions. */
ir_temp a64_call_insn(struct a64_ctx *c, ir_helper_fn fn, ir_temp a1, ir_temp a2, ir_temp a3);

#endif
