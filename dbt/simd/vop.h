/* IR_VOP: one A64 FP/SIMD instruction as a single IR op. Its meaning is
 * exactly "d = fn(cpu, insn, a, 0, 0)", the helper that the interpreter
 * calls (the reference); `kind` only tells a backend that it may lower
 * the instruction inline instead, with identical results and FPSR, and
 * fall back to the helper for the cases it does not handle. The helper
 * reads and writes only cpu->v, cpu->nzcv, cpu->fpcr and cpu->fpsr (never
 * x[], pc or memory), so a backend may call it without writing guest
 * registers back. */
#ifndef SHOAL_DBT_SIMD_VOP_H
#define SHOAL_DBT_SIMD_VOP_H

#include "dbt/ir.h"

enum vop_kind {
    VK_HELPER, /* no inline form */
    VK_FP2,    /* FMUL FDIV FADD FSUB FMAX FMIN FMAXNM FMINNM FNMUL (scalar) */
    VK_FP1,    /* FSQRT, FCVT (scalar) */
    VK_FP3,    /* FMADD FMSUB FNMADD FNMSUB */
    VK_FRINT,  /* FRINT{N,P,M,Z,A,X,I} (scalar) */
    VK_FCMP,   /* FCMP{E} (register and #0.0): writes NZCV */
    VK_F2I,    /* FCVT{N,P,M,Z,A}{S,U} to a general register: d = result */
    VK_I2F,    /* SCVTF/UCVTF from general register a */
    VK_VINT3,  /* Advanced SIMD three same, integer */
    VK_VFP3,   /* Advanced SIMD three same, floating point */
    VK_VMISC,  /* Advanced SIMD two-register misc, integer */
    VK_VSHIFT, /* Advanced SIMD shift by immediate (lower_vshift.c) */
    VK_VDIFF,  /* Advanced SIMD three different, integer (lower_vwide.c) */
    VK_VPERM,  /* Advanced SIMD UZP/TRN/ZIP, EXT, DUP element (lower_vperm.c) */
    VK_VIDX,   /* Advanced SIMD by element, integer (lower_vidx.c) */
};

#define VOP_IMM(kind, insn) ((uint64_t)(kind) << 32 | (uint32_t)(insn))
#define VOP_KIND(imm)       ((enum vop_kind)((imm) >> 32))
#define VOP_INSN(imm)       ((uint32_t)(imm))

static inline ir_temp ir_vop(struct ir_block *b, enum vop_kind kind, uint32_t insn, ir_helper_fn fn,
                             ir_temp a) {
    struct ir_insn *i = ir_emit(b, IR_VOP, 64);
    i->imm = VOP_IMM(kind, insn);
    i->fn = fn;
    i->a[0] = a;
    return i->dst = ir_new_temp(b);
}

#endif
