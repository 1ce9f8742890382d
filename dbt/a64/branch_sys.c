/* A64 family: branches, exception generation and system instructions.
 * MRS/MSR and the cache maintenance instructions are in sys_regs.c and
 * sys_cache.c; this file holds the table and the control flow. */
#define _GNU_SOURCE /* TRAP_BRKPT */
#include <signal.h>

#include "dbt/a64/a64.h"
#include "dbt/a64/sys.h"
#include "dbt/dbt.h"

#define RT(insn) BITS(insn, 4, 0)
#define RN(insn) BITS(insn, 9, 5)

/* pc + imm * 4 for the imm field [hi:lo] (a signed word offset). */
static uint64_t branch_target(const struct a64_ctx *c, uint32_t insn, unsigned hi, unsigned lo) {
    return c->pc + ((uint64_t)sext64(BITS(insn, hi, lo), hi - lo + 1) << 2);
}

static void trans_b(struct a64_ctx *c, uint32_t insn) {
    bool link = BIT(insn, 31);
    if (link) a64_write_x(c, 30, ir_const(c->b, c->pc + 4), true);
    a64_goto(c, branch_target(c, insn, 25, 0), link ? HINT_CALL : HINT_NONE);
}

static void trans_b_cond(struct a64_ctx *c, uint32_t insn) {
    unsigned cond = BITS(insn, 3, 0);
    uint64_t target = branch_target(c, insn, 23, 5);
    if (cond >= 14) { /* AL and NV */
        a64_goto(c, target, HINT_NONE);
        return;
    }
    a64_brcond(c, ir_op1i(c->b, IR_COND, 32, a64_read_nzcv(c), cond), target);
}

/* CBZ/CBNZ: compare the W or X register with zero. */
static void trans_cbz(struct a64_ctx *c, uint32_t insn) {
    bool sf = BIT(insn, 31), nonzero = BIT(insn, 24);
    ir_temp v = a64_read_x(c, RT(insn));
    if (!sf) v = ir_op1(c->b, IR_ZEXT, 32, v);
    if (!nonzero) v = ir_op2(c->b, IR_SETEQ, 64, v, IR_ZERO);
    a64_brcond(c, v, branch_target(c, insn, 23, 5));
}

/* TBZ/TBNZ: test bit b5:b40 of Rt. */
static void trans_tbz(struct a64_ctx *c, uint32_t insn) {
    unsigned bit = (BIT(insn, 31) << 5) | BITS(insn, 23, 19);
    ir_temp v = ir_op2(c->b, IR_AND, 64, a64_read_x(c, RT(insn)), ir_const(c->b, 1ull << bit));
    if (!BIT(insn, 24)) v = ir_op2(c->b, IR_SETEQ, 64, v, IR_ZERO);
    a64_brcond(c, v, branch_target(c, insn, 18, 5));
}

/* BR, BLR, RET. BLR reads its target before writing X30 (BLR X30 works). */
static void trans_br(struct a64_ctx *c, uint32_t insn) {
    static const enum ir_branch_hint hints[3] = {HINT_NONE, HINT_CALL, HINT_RET};
    unsigned opc = BITS(insn, 22, 21);
    ir_temp target = a64_read_x(c, RN(insn));
    if (opc == 1) a64_write_x(c, 30, ir_const(c->b, c->pc + 4), true);
    a64_goto_ind(c, target, hints[opc]);
}

static void trans_svc(struct a64_ctx *c, uint32_t insn) {
    a64_svc(c, BITS(insn, 20, 5));
}

static void trans_brk(struct a64_ctx *c, uint32_t insn) {
    a64_raise(c, SIGTRAP, TRAP_BRKPT, c->pc);
}

/* NOP, YIELD, WFE, WFI, SEV, SEVL, BTI, the PAC hints, ESB, CSDB...: an
 * ARMv8.0 EL0 core executes the whole hint space as NOP. */
static void trans_nop(struct a64_ctx *c, uint32_t insn) {}

/* shoal's placement hint (include/shoal/hint.h): HINT #0x70 marks the
 * calling thread with group x16, HINT #0x71 the next thread it creates.
 * Unallocated hints, so hardware and qemu run them as NOP; here the
 * embedder hears about them, and guest state is left unchanged. */
static uint64_t helper_shoal_hint(struct cpu *cpu, uint64_t insn, uint64_t group, uint64_t u1,
                                  uint64_t u2) {
    const struct dbt_options *o = dbt_get_options(cpu->dbt);
    if (o->hint_group) o->hint_group(cpu, (int64_t)group, BIT(insn, 5));
    return 0;
}

static void trans_shoal_hint(struct a64_ctx *c, uint32_t insn) {
    a64_call_insn(c, helper_shoal_hint, a64_read_x(c, 16), IR_ZERO, IR_ZERO);
}

static void trans_clrex(struct a64_ctx *c, uint32_t insn) {
    ir_stcpu(c->b, 32, CPU_OFF(excl_size), IR_ZERO);
}

/* DMB/DSB: CRm<1:0> selects the access types ordered: 01 loads (LD),
 * 10 stores (ST), 11 and the reserved 00 all. */
static void trans_barrier(struct a64_ctx *c, uint32_t insn) {
    static const enum ir_fence kinds[4] = {FENCE_FULL, FENCE_LOAD, FENCE_STORE, FENCE_FULL};
    ir_fence(c->b, kinds[BITS(insn, 9, 8)]);
}

/* ISB: instructions after it must be fetched anew, so the block ends here
 * and the next one is looked up (and translated) after the barrier. */
static void trans_isb(struct a64_ctx *c, uint32_t insn) {
    ir_fence(c->b, FENCE_ISB);
    a64_goto(c, c->pc + 4, HINT_NONE);
}

/* Field letters: i immediate (branch offsets, SVC/BRK/hint numbers,
 * barrier options), b the tested bit of TBZ, c condition, t Rt, n Rn,
 * z sf, o a system register (op0<0>:op1:CRn:CRm:op2). */
const struct a64_row a64_rows_branch_sys[] = {
    {"B", "000101iiiiiiiiiiiiiiiiiiiiiiiiii", trans_b},
    {"BL", "100101iiiiiiiiiiiiiiiiiiiiiiiiii", trans_b},
    {"B_cond", "01010100iiiiiiiiiiiiiiiiiii0cccc", trans_b_cond},
    {"CBZ", "z0110100iiiiiiiiiiiiiiiiiiittttt", trans_cbz},
    {"CBNZ", "z0110101iiiiiiiiiiiiiiiiiiittttt", trans_cbz},
    {"TBZ", "b0110110bbbbbiiiiiiiiiiiiiittttt", trans_tbz},
    {"TBNZ", "b0110111bbbbbiiiiiiiiiiiiiittttt", trans_tbz},
    {"BR", "1101011000011111000000nnnnn00000", trans_br},
    {"BLR", "1101011000111111000000nnnnn00000", trans_br},
    {"RET", "1101011001011111000000nnnnn00000", trans_br},

    {"SVC", "11010100000iiiiiiiiiiiiiiii00001", trans_svc},
    {"BRK", "11010100001iiiiiiiiiiiiiiii00000", trans_brk},

    {"HINT", "11010101000000110010iiiiiii11111", trans_nop},
    {"SHOAL_HINT", "11010101000000110010111000n11111", trans_shoal_hint},
    {"CLREX", "11010101000000110011iiii01011111", trans_clrex},
    {"DSB", "11010101000000110011iiii10011111", trans_barrier},
    {"DMB", "11010101000000110011iiii10111111", trans_barrier},
    {"ISB", "11010101000000110011iiii11011111", trans_isb},
    {"SB", "11010101000000110011000011111111", trans_nop},

    {"MRS", "110101010011ooooooooooooooottttt", a64_trans_mrs},
    {"MSR_reg", "110101010001ooooooooooooooottttt", a64_trans_msr_reg},
    {"DC_ZVA", "110101010000101101110100001ttttt", a64_trans_dc_zva},
    {"IC_IVAU", "110101010000101101110101001ttttt", a64_trans_ic_ivau},
    {"DC_CVAC", "110101010000101101111010001ttttt", a64_trans_cache_nop},
    {"DC_CVAU", "110101010000101101111011001ttttt", a64_trans_cache_nop},
    {"DC_CVAP", "110101010000101101111100001ttttt", a64_trans_cache_nop},
    {"DC_CVADP", "110101010000101101111101001ttttt", a64_trans_cache_nop},
    {"DC_CIVAC", "110101010000101101111110001ttttt", a64_trans_cache_nop},
    {NULL, NULL, NULL},
};
