/* Shared between the JIT's compile-time files (register allocator, op
 * lowering, driver): the per-block compile context. */
#ifndef SHOAL_DBT_JIT_JIT_INTERNAL_H
#define SHOAL_DBT_JIT_JIT_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "dbt/cpu.h"
#include "dbt/ir.h"
#include "dbt/jit/jit.h"
#include "dbt/jit/x86_emit.h"

/* Fixed registers while generated code runs (set by the trampoline). */
#define REG_CPU   R15
#define REG_GBASE R14
/* Scratch registers, never allocated: RAX, RCX (shift counts), RDX (mul/div). */

/* Stack frame of generated code: spill slots at [rsp + 8*slot]. The
 * trampoline reserves it once; blocks never move rsp, so chained blocks
 * share it and rsp stays 16-byte aligned for helper calls. */
#define JIT_SLOTS       1024
#define JIT_FRAME_BYTES (JIT_SLOTS * 8 + 40)
#define JIT_MXCSR_SLOT  (JIT_SLOTS * 8) /* MXCSR across a helper */
/* guest_size - 16 (0 if smaller), set by the trampoline: an access of up
 * to 16 bytes at addr <= this is inside the guest region, so the inline
 * bounds check is one compare with a memory operand (lower_mem.c). */
#define JIT_LIMIT_SLOT (JIT_SLOTS * 8 + 8)
/* Two 8-byte slots: the operands a, b of the last compare of a self-loop
 * whose NZCV is not stored (loop.c, lazy loop flags). */
#define JIT_LAZY_SLOT (JIT_SLOTS * 8 + 24)

/* Bytes in front of each block entry: the exit stub "return pc of this
 * block to the dispatcher" that the attention check and an invalidated
 * entry jump to (movabs rax 10, xor edx 2, jmp 5). */
#define JIT_ENTRY_STUB 17

/* A host address in generated code where a guest memory access happens
 * (or a helper is called), with what is needed to make the guest state
 * precise there: the guest pc and which dirty guest registers live in
 * which host registers (map[h] = guest register + 1, 0 for none). */
struct jit_fault_rec {
    uint32_t host_off; /* offset of the access instruction in the buffer */
    uint8_t map[16];
    uint8_t vmap[16]; /* vmap[x] = V register + 1 whose dirty copy is in xmm x, or
                       * JIT_VMAP_XPAIR | g: x[g], x[g + 1] (loop.c, data pairs) */
    uint8_t lazy_sz;  /* 32/64: cpu->nzcv is the flags of a - b, a and b in JIT_LAZY_SLOT */
    uint64_t pc;
};

#define JIT_VMAP_XPAIR 0x80

struct jit_tval {
    int32_t last_use; /* index of the last insn reading the temp, -1 if none */
    int8_t reg;       /* host register holding it, or -1 */
    int16_t slot;     /* spill slot holding a valid copy, or -1 */
    int8_t alias;     /* >= 0: GETX not copied, the value is x[alias] */
    bool is_const;
    uint64_t c;
};

struct jit_greg {
    int8_t reg; /* host register caching x[r], or -1 (then cpu->x[r] is current) */
    bool dirty; /* the host register is newer than cpu->x[r] */
};

enum { OWN_FREE, OWN_TEMP, OWN_GUEST };
struct jit_owner {
    uint8_t kind;
    uint16_t id;
};

/* A bounds-check failure path, emitted after the block's main code; or
 * (align) the SIGBUS of a misaligned atomic (IR_ALIGN). */
struct jit_cold {
    uint32_t jcc_field;
    uint32_t rec; /* index into ctx->recs */
    int8_t addr_reg;
    uint8_t bytes;  /* access size */
    uint8_t pair;   /* bytes of an LDP/STP's second access checked here, or 0 */
    uint8_t st_sz;  /* a pair's store: size in bits of the first half (0: load) */
    int8_t val_reg; /* ... and its value: register, or -1 for val_imm */
    int8_t val_xmm; /* ... or the low half of this xmm (a data pair), or -1 */
    int32_t val_imm;
    bool align;
};

/* A side exit (IR_EXITC) taken: emitted after the block's main code,
 * it writes back what was dirty at the exit and leaves for `target`. */
struct jit_side {
    uint32_t jcc_field;
    uint8_t map[16];  /* host register -> dirty guest register + 1 */
    uint8_t vmap[16]; /* xmm -> dirty V register + 1 */
    uint64_t target;
    int64_t skip;    /* guest insns of the block not run (count_insns) */
    bool pack_nzcv;  /* lazy flags: pack the host flags of the exit's cmp into cpu->nzcv */
    uint8_t lazy_sz; /* lazy loop flags: compute cpu->nzcv from JIT_LAZY_SLOT (loop.c) */
    bool chain_nz;   /* the flags are in the slots (64-bit form): a sending exit (nzchain.c) */
    /* nzchain.c: a packing exit that sends instead (send_sz != 0): its
     * compare's operands, registers or (register -1) constants */
    uint8_t send_sz;
    int8_t send_a, send_b;
    uint64_t send_ka, send_kb;
};

/* An out-of-line "exact fallback" of an inline FP/SIMD op (lower_vop.c):
 * the fast path branches here (up to 3 jcc fields) when it meets a case
 * x86 does not compute like Arm; the stub calls the op's helper with the
 * live caller-saved registers preserved and jumps back to `resume`. */
struct jit_slow {
    uint32_t jcc[3];
    uint8_t njcc;
    uint32_t resume;
    uint32_t insn;
    ir_helper_fn fn;
    int8_t a_reg, d_reg;
    uint64_t a_imm;
    uint16_t save;
    uint8_t pre[16];  /* dirty cached V registers when the op starts (vreg.c) */
    uint8_t post[16]; /* every cached V register at resume */
    /* An FPCR gate shared by a run of adjacent scalar FP ops (lower_vop.c):
     * calls the helpers of the ops' stubs slow[run_first..run_last] in
     * order and resumes after the last one. */
    bool run;
    uint32_t run_first, run_last;
};

/* Optimisations that SHOAL_JIT_DISABLE can switch off (besides the
 * jit_opts ones): bounds = one-compare bounds checks, flags = the NZCV
 * pass (opt_flags.c), vreg = V registers cached in xmm (vreg.c), pext =
 * BMI2 NZCV packing, loop = self-loops kept in registers, lazyexit = NZCV
 * stored by side-exit stubs instead of on the fall-through path, ras =
 * return-address prediction, peel = a self-loop's first iteration
 * compiled apart, without pins (loop.c), velem = LDCPU/STCPU of V
 * elements on the xmm copy (vreg.c), vpin = V registers kept in xmm
 * across a self-loop's iterations. */
enum {
    JIT_OFF_BOUNDS = 1,
    JIT_OFF_FLAGS = 2,
    JIT_OFF_VREG = 4,
    JIT_OFF_PEXT = 8,
    JIT_OFF_LOOP = 16,
    JIT_OFF_INDUCT = 1 << 30, /* loop.c: many registers, pin the induction ones */
    JIT_OFF_LAZYEXIT = 32,
    JIT_OFF_RAS = 64,
    JIT_OFF_PEEL = 128,
    JIT_OFF_LAZYLOOP = 256,
    JIT_OFF_VELEM = 512,
    JIT_OFF_VPIN = 1024,
    JIT_OFF_SETCC = 2048,      /* SETEQ/SETNE (CBZ, TBZ) fused into the branch's jcc */
    JIT_OFF_VSHIFT = 4096,     /* SIMD shifts by immediate inline (lower_vshift.c) */
    JIT_OFF_VWIDE = 8192,      /* SIMD long/wide add, sub, mul inline (lower_vwide.c) */
    JIT_OFF_VPERM = 16384,     /* SIMD UZP/TRN/ZIP/EXT inline (lower_vperm.c) */
    JIT_OFF_VIDX = 32768,      /* SIMD integer by-element multiplies inline (lower_vidx.c) */
    JIT_OFF_LEA = 65536,       /* address arithmetic (ADD, ADD of a SHL by 1-3) as lea */
    JIT_OFF_NZCHAIN = 1 << 17, /* NZCV as compare operands across chained blocks (nzchain.c) */
    /* one FPCR gate per run of adjacent scalar FP ops (lower_vop.c) */
    JIT_OFF_GATERUN = 1 << 29,
    /* FADD/FSUB/FSQRT/widening FCVT results tested for NaN only (lower_vop.c) */
    JIT_OFF_NANONLY = 1 << 28,
    /* SIMD integer results computed in the destination's cache register,
     * operands read from theirs, LDV straight into a cached register */
    JIT_OFF_VINPLACE = 1 << 27,
    /* a pinned loop tests FPCR once at its entry, not per FP op (loop.c) */
    JIT_OFF_HEADGATE = 1 << 26,
    /* scalar FP operands read from their cache register or cpu->v (lower_vop.c) */
    JIT_OFF_SDIRECT = 1 << 25,
    /* vector FP results: NaN and smallest-normal test only (lower_vop.c) */
    JIT_OFF_VTINY = 1 << 24,
    /* LDP/STP: the second access checked with the first (lower_mem.c) */
    JIT_OFF_PAIRCHK = 1 << 23,
    /* the scalar FP result check adds its bias from the constant pool (lower_vop.c) */
    JIT_OFF_KPOOL = 1 << 21,
    /* lazy loop flags in loops whose FCMPs write NZCV before the compare (loop.c) */
    JIT_OFF_LAZYFCMP = 1 << 20,
    /* a pinned loop's LDP/STP-only register pairs kept in xmm (loop.c) */
    JIT_OFF_DPAIR = 1 << 19
};

/* Host CPU features the lowering may use (cpuid at jit_create). */
enum {
    JIT_F_SSSE3 = 1,
    JIT_F_SSE41 = 2,
    JIT_F_SSE42 = 4,
    JIT_F_FMA = 8,
    JIT_F_AVX = 16,
    JIT_F_BMI2 = 32, /* pext */
    JIT_F_LAHF = 64, /* lahf in 64-bit mode */
};

struct jit_ctx {
    const struct ir_block *b;
    struct x86_buf *buf;
    bool regalloc, chain;
    bool inline_fp, inline_simd, ibcache; /* switches: --no-inline-fp ... */
    bool count_insns;                     /* cpu->icount per block */
    bool fast_bounds;                     /* one-compare bounds checks (JIT_LIMIT_SLOT) */
    unsigned features;                    /* JIT_F_* */
    uint32_t epilogue_off;                /* buffer offset of the shared epilogue */
    bool ras;                             /* return-address prediction (lower_term.c) */
    uint32_t block_off;                   /* buffer offset where this block's code starts */
    uint32_t entry_off;                   /* the block entry (after the entry stub) */

    struct jit_tval *t;
    struct jit_greg g[32];
    struct jit_owner own[16];
    uint16_t locked; /* host registers holding operands of the current insn */
    uint32_t cur;    /* index of the insn being lowered */
    uint64_t pc;     /* guest pc of that insn */
    bool pc_stored;  /* cpu->pc already holds pc */

    int16_t *free_slots;
    uint32_t nfree_slots, next_slot;

    struct jit_cold *cold;
    uint32_t ncold, cap_cold;
    struct jit_fault_rec *recs;
    uint32_t nrecs, cap_recs;
    struct jit_slow *slow;
    uint32_t nslow, cap_slow;
    struct jit_side *side;
    uint32_t nside, cap_side;
    bool fail;             /* the block cannot be compiled (out of slots): interpret it */
    bool vcache;           /* V registers cached in xmm (vreg.c) */
    bool velem, vpin;      /* vreg.c: element moves on the cache, V registers across loops */
    bool vshift, vwide;    /* lower_vshift.c, lower_vwide.c: SIMD families inline */
    bool vperm;            /* lower_vperm.c: UZP/TRN/ZIP/EXT inline */
    bool vidx;             /* lower_vidx.c: integer by-element multiplies inline */
    bool gaterun;          /* lower_vop.c: adjacent scalar FP ops share one FPCR gate */
    bool nanonly;          /* lower_vop.c: results that cannot be inexact tiny: NaN test only */
    bool vtiny;            /* lower_vop.c: vector results, NaN or smallest normal (JIT_OFF_VTINY) */
    bool vinplace;         /* lower_vop.c, lower_mem.c: SIMD results in place (JIT_OFF_VINPLACE) */
    bool pairchk;          /* lower_mem.c: one bounds check per LDP/STP (JIT_OFF_PAIRCHK) */
    uint32_t pair_skip;    /* lower_mem.c: the insn whose check a pair's first access made */
    bool sdirect;          /* lower_vop.c: scalar FP sources straight from cache reg / memory */
    bool kpool;            /* lower_vop.c: check_scalar's 64-bit bias from the constant pool */
    bool headgate;         /* loop.c: the pinned loop's entry tests FPCR for its FP ops */
    bool fpcr_hoisted;     /* lowering a pinned loop whose entry tested FPCR: no per-op gate */
    uint32_t gate_run;     /* the open run's gate stub: index in slow + 1, or 0 */
    uint32_t gate_end;     /* buffer offset where the open run's last op ends */
    int8_t vx[32], xv[16]; /* v reg -> xmm, xmm -> v reg, or -1 */
    bool vdirty[32];
    uint32_t xuse[16], vclock; /* LRU */
    int32_t term_fuse;         /* index of a CONDSUB/CONDADD only the BRCOND uses (lowered
                                  as cmp + jcc in lower_term), or -1 */
    int32_t *exit_fuse;        /* per insn: for an EXITC, the index of the condition
                                  lowered as cmp + jcc there, or -1; NULL: none */
    uint8_t *lazy;             /* per insn (NULL: none): LAZY_PACK on an EXITC whose stub
                                  packs NZCV from its cmp's host flags, LAZY_SKIP on the
                                  FLAGS_SUB that thereby is not computed (or an NZCV store
                                  not made), LAZY_SAVE on a FLAGS_SUB whose operands go to
                                  JIT_LAZY_SLOT instead, LAZY_FAULT32/64 on the accesses
                                  whose faults compute NZCV from there */
    uint8_t lazy_win;          /* 32/64 while lowering a LAZY_FAULT access, else 0 */
    int32_t *lea_fuse;         /* per insn (NULL: none): on an ADD, the index of the SHL by
                                  1-3 that only it uses (one lea there), -2 on that SHL
                                  (not lowered), else -1 (switch SHOAL_JIT_DISABLE=lea) */
    bool lea;                  /* an ADD of two live registers is one lea (switch lea) */
    /* NZCV across chained blocks (nzchain.c): the terminator's exits send
     * the slots (term_out); lowering the receiving body (nz_in), whose
     * entry NZCV is in the slots before insn nz_end; the sending exits'
     * (site, lazy site) offsets and the receiving entry, for jit.c. */
    bool term_out, nz_in;
    bool nzchain; /* the switch, with chaining */
    int32_t nz_end;
    uint32_t (*nz_sites)[2];
    uint32_t nnz_sites, cap_nz_sites;
    uint32_t nz_entry_off;
    /* Self-loop mode (loop.c): a block that branches to its own start
     * keeps its hottest guest registers in fixed host registers across
     * iterations. */
    bool loop;
    bool loop_induct;      /* loop_plan may pin only the induction registers (loop.c) */
    uint8_t checked[32];   /* bytes of access already bounds-checked at the current x[g] */
    int8_t pin[32];        /* host register holding guest register g for the whole block, or -1 */
    uint16_t pinned_host;  /* host registers taken by pins (never allocated) */
    uint32_t loop_written; /* pinned guest registers the block writes: dirty from the start */
    uint32_t loop_head;    /* buffer offset of the loop head (checks, then the body) */
    uint32_t loop_exit;    /* buffer offset of the stub that writes the pins back and exits */
    /* Peeled first iteration (loop.c): lowered without pins; its back
     * edges are jumps (fields in peel_jmp) to the pinned loop's entry. */
    bool peel;
    uint8_t npeel;
    uint32_t peel_jmp[4]; /* two per body (a BRCOND back on both sides) */
    uint32_t peel_entry;  /* buffer offset of the pinned loop's entry */
    /* Lazy loop flags (loop.c): the block's only NZCV store (lazy_store)
     * of a FLAGS_SUB (lazy_def) of size lazy_sz (0: none) saves a, b in
     * JIT_LAZY_SLOT; in the pinned loop (lazy_loop) it stores nothing and
     * every exit and fault computes cpu->nzcv from the slots while
     * lazy_on: from the loop head to the first FCMP (which stores NZCV:
     * exact in cpu->nzcv from there) and from lazy_def on. */
    uint8_t lazy_sz;
    bool lazy_on, lazy_loop;
    bool lazy_fcmp; /* FCMPs before lazy_def allowed (switch lazyfcmp) */
    int32_t lazy_def, lazy_store;
    int8_t vplan[32]; /* loop mode: xmm holding V register r at the loop head, or -1 */
    /* Data pairs (loop.c, switch dpair): in the pinned loop, x[g] and
     * x[g + 1] live in xmm dxmm[g] (low, high); dmark[k]: 1 = insn k is
     * an LDP/STP's first access, lowered as a movdqu (LDP) or movq and
     * movhps (STP); 2 = lowered with it (second access, GETX, SETX). */
    bool dpair;
    int8_t dxmm[32];
    uint8_t *dmark;
    /* 16-byte constants of the vector lowering (vconst.c). */
    struct jit_vconst *vconst;
    uint32_t nvconst, cap_vconst;
    struct jit_vfix *vfix;
    uint32_t nvfix, cap_vfix;
    uint32_t vskip; /* index of an STCPU already lowered with the one before it (vreg.c) */
};

/* vconst.c: `op xmm reg, [rip + constant (lo, hi)]`; the constants are
 * emitted 16-byte aligned after the block's cold code by vc_emit. */
struct jit_vconst {
    uint64_t lo, hi;
};
struct jit_vfix {
    uint32_t field, idx;
};
void vc_op(struct jit_ctx *c, uint8_t pfx, const char *op, int reg, uint64_t lo, uint64_t hi);
void vc_add64(struct jit_ctx *c, int reg, uint64_t k);
void vc_emit(struct jit_ctx *c);
void vc_free(struct jit_ctx *c);

/* regalloc.c */
void ra_init(struct jit_ctx *c);
void ra_fini(struct jit_ctx *c);
int ra_reg(struct jit_ctx *c, ir_temp t);
int ra_def(struct jit_ctx *c, ir_temp t, int reuse);
bool ra_imm32(struct jit_ctx *c, ir_temp t, int32_t *imm);
void ra_end_insn(struct jit_ctx *c, const struct ir_insn *i);
void ra_getx(struct jit_ctx *c, const struct ir_insn *i);
void ra_setx(struct jit_ctx *c, unsigned g, ir_temp a);
void ra_guest_sync(struct jit_ctx *c, unsigned g, bool drop);
void ra_writeback_all(struct jit_ctx *c);
void ra_before_call(struct jit_ctx *c);
void ra_after_call(struct jit_ctx *c);
void ra_load_to(struct jit_ctx *c, int host, ir_temp t);
void ra_store_pc(struct jit_ctx *c);
uint32_t ra_record(struct jit_ctx *c);
/* Pool register r as this insn's scratch: its value written back or
 * spilled, and locked (not pinned: loop.c keeps such blocks unpinned). */
void ra_take(struct jit_ctx *c, int r);
static inline struct x86_mem ra_xmem(unsigned g) {
    return x86_mem(REG_CPU, (int32_t)CPU_OFF(x[g]));
}

/* loop.c */
bool loop_plan(struct jit_ctx *c, bool enabled);
void loop_exit_stub(struct jit_ctx *c);
void loop_dpair_plan(struct jit_ctx *c);
void loop_dpair_snapshot(const struct jit_ctx *c, uint8_t vmap[16]);
void loop_dpair_stores(struct jit_ctx *c);
void loop_dpair_uses(struct jit_ctx *c);
void loop_entry(struct jit_ctx *c);
void loop_term(struct jit_ctx *c);
bool loop_peel_jump(struct jit_ctx *c, uint64_t target);
void loop_peeled_entry(struct jit_ctx *c);
void loop_peel_link(struct jit_ctx *c, uint32_t entry);
void loop_lazy_plan(struct jit_ctx *c);
bool loop_lazy_insn(struct jit_ctx *c, const struct ir_insn *i);
void loop_lazy_emit(struct x86_buf *b, unsigned sz);
/* d = Arm NZCV << 28 from the host flags of a cmp (lower_alu.c; BMI2 and
 * LAHF). Clobbers RAX and RCX. */
void jit_pack_sub_nzcv(struct x86_buf *b, int d);
void loop_lazy_save(struct jit_ctx *c, const struct ir_insn *i);
uint32_t loop_nzcv_sub(uint64_t a, uint64_t b, unsigned sz);
void ra_loop_backedge(struct jit_ctx *c);
/* lower_term.c: a direct exit to target (chained, probed or to the dispatcher). */
void lower_exit_to(struct jit_ctx *c, uint64_t target);
/* The same; returns the offset of its patchable jump, or 0 for none. */
uint32_t lower_exit_site(struct jit_ctx *c, uint64_t target);

/* nzchain.c: NZCV across chained blocks (switch SHOAL_JIT_DISABLE=nzchain) */
void nz_save64(struct jit_ctx *c, const struct ir_insn *i);
void nz_exit(struct jit_ctx *c, uint64_t target);
int32_t nz_in_plan(const struct jit_ctx *c);
void nz_in_entry(struct jit_ctx *c);
bool nz_in_temp(const struct jit_ctx *c, ir_temp t);
int nz_in_cond(struct jit_ctx *c, unsigned cc);
void nz_in_ldcpu(struct jit_ctx *c, const struct ir_insn *i);
void nz_pack_plan(struct jit_ctx *c, struct jit_side *s, const struct ir_insn *cond);
void nz_pack_save(struct x86_buf *b, const struct jit_side *s);

/* lower_redir.c: IR_REDIR (page splitting) */
void lower_redir(struct jit_ctx *c, const struct ir_insn *i);

/* vreg.c */
void vr_init(struct jit_ctx *c);
void vr_sync(struct jit_ctx *c, unsigned r, bool drop);
void vr_sync_all(struct jit_ctx *c, bool drop);
void vr_sync_range(struct jit_ctx *c, uint64_t off, unsigned bytes, bool drop);
void vr_read(struct jit_ctx *c, int xmm, unsigned r, unsigned bits);
int vr_write(struct jit_ctx *c, unsigned r);
void vr_store(struct jit_ctx *c, unsigned r, int xmm);
void vr_snapshot(const struct jit_ctx *c, uint8_t map[16], bool dirty_only);
void vr_emit_stores(struct x86_buf *b, const uint8_t map[16]);
void vr_emit_loads(struct x86_buf *b, const uint8_t map[16]);
bool vr_ldcpu(struct jit_ctx *c, const struct ir_insn *i);
bool vr_stcpu(struct jit_ctx *c, const struct ir_insn *i);
void vr_loop_plan(struct jit_ctx *c);
void vr_loop_exit(struct jit_ctx *c);
void vr_loop_entry(struct jit_ctx *c);
void vr_loop_backedge(struct jit_ctx *c);

/* lower_vop.c */
void lower_vop(struct jit_ctx *c, const struct ir_insn *i);
void lower_slow(struct jit_ctx *c);
uint16_t vop_live_volatile(const struct jit_ctx *c, int except);
/* test dword [cpu + fpcr], the bits that send scalar FP to the helper (ZF=1: fast) */
void lower_fpcr_test(struct jit_ctx *c);
/* lower_vint.c: VK_VINT3 and VK_VMISC inline, false for the helper */
bool lower_vint3(struct jit_ctx *c, const struct ir_insn *i);
bool lower_vmisc(struct jit_ctx *c, const struct ir_insn *i);
/* lower_vshift.c: VK_VSHIFT inline, false for the helper */
bool lower_vshift(struct jit_ctx *c, const struct ir_insn *i);
/* lower_vwide.c: VK_VDIFF inline, false for the helper */
bool lower_vdiff(struct jit_ctx *c, const struct ir_insn *i);
/* lower_vperm.c: VK_VPERM inline, false for the helper */
bool lower_vperm(struct jit_ctx *c, const struct ir_insn *i);
/* lower_vidx.c: VK_VIDX inline, false for the helper */
bool lower_vidx(struct jit_ctx *c, const struct ir_insn *i);
void emit_preserved_call(struct x86_buf *b, uint16_t save, ir_helper_fn fn, uint32_t insn,
                         int a_reg, uint64_t a_imm, int d_reg);
/* jit.c: folds the host MXCSR exception flags into cpu->fpsr and clears
 * them (generated code accumulates FP flags in MXCSR). */
uint64_t jit_fpsr_sync(struct cpu *cpu, uint64_t u0, uint64_t u1, uint64_t u2, uint64_t u3);

/* lower_alu.c, lower_mem.c, lower_call.c, lower_term.c */
void lower_alu(struct jit_ctx *c, const struct ir_insn *i);
int lower_cond_flags(struct jit_ctx *c, const struct ir_insn *i);
/* opt_flags.c: out = b with the NZCV traffic optimised (out->insns is
 * malloc'd; the rest of b is shared). */
enum { LAZY_PACK = 1, LAZY_SKIP = 2, LAZY_SAVE = 3, LAZY_FAULT32 = 4, LAZY_FAULT64 = 5 };
/* nzchain.c: a FLAGS_SUB whose operands go to the slots in the 64-bit
 * form (the flags then leave the block through sending exits), and such
 * a side exit. */
enum { LAZY_SAVE64 = 6, LAZY_OUT = 7 };
/* fault_lazy (NULL: not wanted) gets per out insn (or NULL: none)
 * FL_STORE on an NZCV store kept only for the faults of the accesses
 * (FL_ACCESS) before the store that overwrites it. */
enum { FL_STORE = 1, FL_ACCESS = 2 };
/* With to_end: FL_STORE_END on an NZCV store that nothing but accesses
 * and side exits observe up to the block's end (FL_ACCESS on those
 * accesses; nzchain.c). */
enum { FL_STORE_END = 3 };

void jit_opt_flags(const struct ir_block *b, struct ir_block *out, bool lazy_exits,
                   uint8_t **fault_lazy, bool to_end);
void lower_mem(struct jit_ctx *c, const struct ir_insn *i);
void lower_cold(struct jit_ctx *c);
/* lower_mem.c: the inline bounds check of an access of `bytes` at areg
 * (the value of temp addr), before its fault record is taken; the cold
 * path clobbers RAX. `cache`: skip it when x[g]'s value is known to be
 * checked, and note it so (only for a check every path runs). */
struct jit_cold *jit_bounds_check(struct jit_ctx *c, int areg, unsigned bytes, ir_temp addr,
                                  bool cache);
/* A cold path entry for the jcc32 at `field` (jit_cold's other fields zero). */
struct jit_cold *jit_cold_new(struct jit_ctx *c, uint32_t field);
/* lower_atomic.c: IR_ALIGN, IR_ATOMIC, IR_CAS, IR_CASP, IR_LDX, IR_STX */
void lower_atomic(struct jit_ctx *c, const struct ir_insn *i);
void lower_call(struct jit_ctx *c, const struct ir_insn *i);
void lower_cpu_field(struct jit_ctx *c, const struct ir_insn *i);
void lower_entry(struct jit_ctx *c);
void lower_term(struct jit_ctx *c);
void lower_exitc(struct jit_ctx *c, const struct ir_insn *i);
void lower_side_exits(struct jit_ctx *c);

/* Called by the bounds-check stubs: a guest access outside the region. */
_Noreturn void jit_raise_segv(struct cpu *cpu, uint64_t addr, uint64_t pc);
/* Called by the alignment stubs: a misaligned atomic access. */
_Noreturn void jit_raise_bus(struct cpu *cpu, uint64_t addr, uint64_t pc);

#endif
