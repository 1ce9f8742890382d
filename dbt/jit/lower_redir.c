/* IR_REDIR: the address of an access to a split page, moved to its shadow
 * page (page splitting, dbt/redirect.c). It runs before every access of
 * an instruction that once touched a split page, so its fast path is a
 * few ALU ops and two well-predicted branches, with no helper call (which
 * would cost the block its register allocation and loop pinning):
 *
 *   mov  rax, a;  sub rax, page         t = offset of a in the split page
 *   cmp  rax, 4095;  ja keep            another page
 *   lea  rcx, [rax + bytes-1];  xor rcx, rax
 *   cmp  rcx, grain-1;  ja keep         the access leaves its grain
 *   and  eax, 0xfff & -grain;  shl eax, 12 - k     chunk * 4096
 *   add  rax, a;  add rax, dist;  jmp done
 *   keep: mov rax, a
 *   done: mov d, rax
 *
 * Every operand is fetched (ra_reg) before the first branch, so both
 * paths leave the register allocator in the same state. */
#include "dbt/jit/jit_internal.h"

void lower_redir(struct jit_ctx *c, const struct ir_insn *i) {
    struct x86_buf *b = c->buf;
    unsigned bytes = (unsigned)(i->imm & 0xff), k = (unsigned)(i->imm >> 8);
    int32_t page_imm, dist_imm;
    int ra = ra_reg(c, i->a[0]);
    bool page_i = ra_imm32(c, i->a[1], &page_imm);
    int rpage = page_i ? -1 : ra_reg(c, i->a[1]);
    bool dist_i = ra_imm32(c, i->a[2], &dist_imm);
    int rdist = dist_i ? -1 : ra_reg(c, i->a[2]);

    x86_mov_rr(b, true, RAX, ra);
    if (page_i)
        x86_alu_ri(b, ALU_SUB, true, RAX, page_imm);
    else
        x86_alu_rr(b, ALU_SUB, true, RAX, rpage);
    x86_alu_ri(b, ALU_CMP, true, RAX, 4095);
    uint32_t other = x86_jcc8(b, CC_A);
    uint32_t straddle = 0;
    if (bytes > 1) {
        x86_lea(b, RCX, x86_mem(RAX, (int32_t)bytes - 1));
        x86_alu_rr(b, ALU_XOR, true, RCX, RAX);
        x86_alu_ri(b, ALU_CMP, true, RCX, (int32_t)((1u << k) - 1));
        straddle = x86_jcc8(b, CC_A);
    }
    x86_alu_ri(b, ALU_AND, false, RAX, (int32_t)(0xfffu & ~((1u << k) - 1)));
    if (k < 12) x86_shift_ri(b, SH_SHL, false, RAX, (uint8_t)(12 - k));
    x86_alu_rr(b, ALU_ADD, true, RAX, ra);
    if (dist_i)
        x86_alu_ri(b, ALU_ADD, true, RAX, dist_imm);
    else
        x86_alu_rr(b, ALU_ADD, true, RAX, rdist);
    uint32_t done = x86_jmp8(b);
    x86_patch_rel8(b, other, x86_off(b));
    if (bytes > 1) x86_patch_rel8(b, straddle, x86_off(b));
    x86_mov_rr(b, true, RAX, ra);
    x86_patch_rel8(b, done, x86_off(b));
    int d = ra_def(c, i->dst, i->a[0]);
    x86_mov_rr(b, true, d, RAX);
}
