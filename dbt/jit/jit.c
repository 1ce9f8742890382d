/* The JIT's driver and code buffer: one RWX mapping per struct dbt,
 * holding the entry trampoline and then blocks back to back, plus the
 * table of fault records (sorted by host address, as blocks are only
 * appended). When the buffer is full, jit_compile returns NULL (the
 * caller interprets) until the caller flushes it at a point where no
 * vCPU is inside generated code (see dbt/exec.c). */
#define _GNU_SOURCE
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <cpuid.h>
#include <inttypes.h>
#include <stdio.h>
#include <ucontext.h>
#include <unistd.h>

#include "common/log.h"
#include "dbt/dbt.h"
#include "dbt/jit/jit_internal.h"

#define DEFAULT_CODE_SIZE (64u << 20)
#define MIN_CODE_SIZE     (1u << 20)
#define BLOCK_RESERVE     (256u << 10) /* a block never needs more than this */

typedef struct jit_ret (*jit_enter_fn)(struct cpu *cpu, uint8_t *guest_base, void *entry);

struct jit {
    struct jit_opts opt;
    uint8_t *code;
    size_t size, used, tramp_size;
    uint32_t epilogue_off;
    uint32_t ras_miss_off; /* "look rax up": the target of reset ring entries */
    struct jit_fault_rec *recs;
    size_t cap_recs;
    _Atomic size_t nrecs;
    bool full;
    uint64_t gen;
    unsigned features; /* JIT_F_* */
    unsigned off;      /* JIT_OFF_*: switched-off optimisations */
    FILE *perf_map;    /* SHOAL_PERF_MAP=1: /tmp/perf-PID.map for perf report */
    /* nzchain.c: buffer offset of a block entry -> its lazy entry (or
     * NZ_NONE: it has no receiving body), of a sending exit's site -> its
     * lazy site, of a peeled block's entry stub -> its pinned loop's
     * entry (open addressing, key 0 free; cleared by a flush). */
    uint32_t *nzmap;
    uint32_t nzmap_cap, nzmap_n;
    uint64_t nz_receivers; /* compiled so far (jit_nz_receivers) */
};

static unsigned host_features(void) {
    unsigned a, b, c, d, f = 0;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    if (c & bit_SSSE3) f |= JIT_F_SSSE3;
    if (c & bit_SSE4_1) f |= JIT_F_SSE41;
    if (c & bit_SSE4_2) f |= JIT_F_SSE42;
    if (__get_cpuid_max(0, NULL) >= 7) {
        unsigned a7, b7, c7, d7;
        __cpuid_count(7, 0, a7, b7, c7, d7);
        if (b7 & bit_BMI2) f |= JIT_F_BMI2;
    }
    unsigned ae, be, ce, de;
    if (__get_cpuid(0x80000001, &ae, &be, &ce, &de) && (ce & bit_LAHF_LM)) f |= JIT_F_LAHF;
    /* AVX needs the OS to save the YMM state (OSXSAVE + XCR0). */
    if ((c & bit_OSXSAVE) && (c & bit_AVX)) {
        unsigned lo, hi;
        __asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
        if ((lo & 6) == 6) {
            f |= JIT_F_AVX;
            if (c & bit_FMA) f |= JIT_F_FMA;
        }
    }
    return f;
}

/* ---- host FP state ----
 * Generated code runs with MXCSR = RN, no FTZ/DAZ, all exceptions masked
 * (the default); the exception flags the inline FP ops raise accumulate
 * in MXCSR and are folded into cpu->fpsr here. Outside generated code the
 * flags are clear. */
#define MXCSR_DEFAULT 0x1f80u

static inline unsigned mxcsr_get(void) {
    unsigned m;
    __asm__ volatile("stmxcsr %0" : "=m"(m));
    return m;
}
static inline void mxcsr_set(unsigned m) {
    __asm__ volatile("ldmxcsr %0" : : "m"(m));
}
/* IE ZE OE UE PE -> IOC DZC OFC UFC IXC (DE, denormal operand, has no Arm twin). */
static uint32_t mxcsr_to_fpsr(unsigned m) {
    return (m & 1) | (m >> 1 & 0x1e);
}

uint64_t jit_fpsr_sync(struct cpu *cpu, uint64_t u0, uint64_t u1, uint64_t u2, uint64_t u3) {
    (void)u0, (void)u1, (void)u2, (void)u3;
    unsigned m = mxcsr_get();
    if (m != MXCSR_DEFAULT) {
        cpu->fpsr |= mxcsr_to_fpsr(m);
        mxcsr_set(MXCSR_DEFAULT);
    }
    return 0;
}

static void emit_trampoline(struct jit *j) {
    static const int saved[6] = {RBP, RBX, R12, R13, R14, R15};
    struct x86_buf b;
    x86_buf_init(&b, j->code, j->code, j->code + j->size);
    /* uint64_t pc, info = enter(cpu = rdi, guest_base = rsi, entry = rdx) */
    for (int k = 0; k < 6; k++)
        x86_push(&b, saved[k]);
    x86_alu_ri(&b, ALU_SUB, true, RSP, JIT_FRAME_BYTES); /* 6 pushes + frame: rsp 16-aligned */
    x86_mov_rr(&b, true, REG_CPU, RDI);
    x86_mov_rr(&b, true, REG_GBASE, RSI);
    x86_load(&b, 64, RAX, x86_mem(REG_CPU, (int32_t)CPU_OFF(guest_size)));
    x86_alu_rr(&b, ALU_XOR, false, RCX, RCX);
    x86_alu_ri(&b, ALU_SUB, true, RAX, 16);
    x86_cmov(&b, CC_B, true, RAX, RCX);
    x86_store(&b, 64, x86_mem(RSP, JIT_LIMIT_SLOT), RAX);
    x86_jmp_r(&b, RDX);
    while (x86_off(&b) % 16)
        x86_byte(&b, 0xcc);
    j->epilogue_off = x86_off(&b);
    x86_alu_ri(&b, ALU_ADD, true, RSP, JIT_FRAME_BYTES);
    for (int k = 5; k >= 0; k--)
        x86_pop(&b, saved[k]);
    x86_ret(&b);
    j->ras_miss_off = x86_off(&b);
    x86_alu_rr(&b, ALU_XOR, false, RDX, RDX);
    uint32_t f = x86_jmp32(&b);
    x86_patch_rel32(&b, f, j->epilogue_off);
    while (x86_off(&b) % 16)
        x86_byte(&b, 0xcc);
    j->tramp_size = j->used = x86_off(&b);
}

struct jit *jit_create(const struct jit_opts *opts) {
    struct jit *j = calloc(1, sizeof *j);
    SHOAL_ASSERT(j);
    /* Generations unique to this instance: a struct cpu that ran in a
     * destroyed jit at the same address cannot match (ras_reset). */
    static atomic_uint_fast64_t instances;
    j->gen = (uint64_t)atomic_fetch_add(&instances, 1) << 32;
    if (opts) j->opt = *opts;
    j->size = j->opt.code_size ? j->opt.code_size : DEFAULT_CODE_SIZE;
    if (j->size < MIN_CODE_SIZE) j->size = MIN_CODE_SIZE;
    j->code =
        mmap(NULL, j->size, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (j->code == MAP_FAILED) {
        free(j);
        return NULL;
    }
    j->features = host_features();
    const char *off = getenv("SHOAL_JIT_DISABLE");
    if (off && strstr(off, "gaterun")) j->off |= JIT_OFF_GATERUN;   /* lower_vop.c */
    if (off && strstr(off, "nanonly")) j->off |= JIT_OFF_NANONLY;   /* lower_vop.c */
    if (off && strstr(off, "vtiny")) j->off |= JIT_OFF_VTINY;       /* lower_vop.c */
    if (off && strstr(off, "headgate")) j->off |= JIT_OFF_HEADGATE; /* loop.c */
    if (off && strstr(off, "sdirect")) j->off |= JIT_OFF_SDIRECT;   /* lower_vop.c */
    if (off && strstr(off, "vinplace")) j->off |= JIT_OFF_VINPLACE; /* lower_vop.c */
    if (off && strstr(off, "pairchk")) j->off |= JIT_OFF_PAIRCHK;   /* lower_mem.c */
    if (off && strstr(off, "kpool")) j->off |= JIT_OFF_KPOOL;       /* lower_vop.c */
    if (off && strstr(off, "lazyfcmp")) j->off |= JIT_OFF_LAZYFCMP; /* loop.c */
    if (off && strstr(off, "dpair")) j->off |= JIT_OFF_DPAIR;       /* loop.c */
    if (off && strstr(off, "fp")) j->opt.no_inline_fp = true;
    if (off && strstr(off, "simd")) j->opt.no_inline_simd = true;
    if (off && strstr(off, "ibc")) j->opt.no_ibcache = true;
    if (off && strstr(off, "induct")) j->off |= JIT_OFF_INDUCT; /* loop.c */
    static const char *const names[] = {"bounds", "flags", "vreg",    "pext",  "loop", "lazyexit",
                                        "ras",    "peel",  "lazycmp", "velem", "vpin", "setcc",
                                        "vshift", "vwide", "vperm",   "vidx",  "lea",  "nzchain"};
    for (unsigned k = 0; off && k < sizeof names / sizeof names[0]; k++)
        if (strstr(off, names[k])) j->off |= 1u << k;
    const char *pm = getenv("SHOAL_PERF_MAP");
    if (pm && *pm == '1') {
        char path[64];
        snprintf(path, sizeof path, "/tmp/perf-%d.map", (int)getpid());
        j->perf_map = fopen(path, "a");
    }
    j->cap_recs = j->size / 16;
    j->recs = malloc(j->cap_recs * sizeof *j->recs);
    SHOAL_ASSERT(j->recs);
    emit_trampoline(j);
    return j;
}

void jit_destroy(struct jit *j) {
    if (!j) return;
    free(j->nzmap);
    munmap(j->code, j->size);
    if (j->perf_map) fclose(j->perf_map);
    free(j->recs);
    free(j);
}

/* SHOAL_PERF_MAP=1 also writes each block's code to
 * /tmp/shoal-jit/<pc>.<host address>.bin (objdump -D -b binary -mi386:x86-64
 * --adjust-vma=<host address>): a debugging aid for reading hot blocks. */
static void dump_block(struct jit *j, uint64_t pc, uint32_t end) {
    char path[96];
    snprintf(path, sizeof path, "/tmp/shoal-jit/%" PRIx64 ".%" PRIxPTR ".bin", pc,
             (uintptr_t)(j->code + j->used));
    FILE *f = fopen(path, "w");
    if (!f) return;
    fwrite(j->code + j->used, 1, end - j->used, f);
    fclose(f);
}

static uint32_t nzmap_get(const struct jit *j, uint32_t key) {
    for (uint32_t h = key * 2654435761u; j->nzmap_cap; h++) {
        const uint32_t *e = &j->nzmap[2 * (h & (j->nzmap_cap - 1))];
        if (e[0] == key) return e[1];
        if (!e[0]) return 0;
    }
    return 0;
}

static void nzmap_put(struct jit *j, uint32_t key, uint32_t val) {
    if (2 * (j->nzmap_n + 1) > j->nzmap_cap) {
        uint32_t *old = j->nzmap, cap = j->nzmap_cap;
        j->nzmap_cap = cap ? 2 * cap : 256;
        j->nzmap = calloc(2 * (size_t)j->nzmap_cap, sizeof *j->nzmap);
        SHOAL_ASSERT(j->nzmap);
        j->nzmap_n = 0;
        for (uint32_t k = 0; k < cap; k++)
            if (old[2 * k]) nzmap_put(j, old[2 * k], old[2 * k + 1]);
        free(old);
    }
    uint32_t h = key * 2654435761u;
    while (j->nzmap[2 * (h & (j->nzmap_cap - 1))] && j->nzmap[2 * (h & (j->nzmap_cap - 1))] != key)
        h++;
    uint32_t *e = &j->nzmap[2 * (h & (j->nzmap_cap - 1))];
    if (!e[0]) j->nzmap_n++;
    e[0] = key;
    e[1] = val;
}

static bool pure_op(uint8_t op) {
    return op != IR_LD && op != IR_CALL && op != IR_VOP && op != IR_LDCPU && op != IR_ATOMIC &&
           op != IR_CAS && op != IR_CASP && op != IR_LDX && op != IR_STX && ir_op_info[op].has_dst;
}

static void lower_insn(struct jit_ctx *c, const struct ir_insn *i) {
    switch ((enum ir_opcode)i->op) {
    case IR_LD:
    case IR_ST:
    case IR_LDV:
    case IR_STV: lower_mem(c, i); break;
    case IR_CALL: lower_call(c, i); break;
    case IR_ALIGN:
    case IR_ATOMIC:
    case IR_CAS:
    case IR_CASP:
    case IR_LDX:
    case IR_STX: lower_atomic(c, i); break;
    case IR_EXITC: lower_exitc(c, i); break;
    case IR_REDIR: lower_redir(c, i); break;
    case IR_VOP: lower_vop(c, i); break;
    case IR_LDCPU:
    case IR_STCPU:
    case IR_FENCE:
    case IR_INSN_START: lower_cpu_field(c, i); break;
    default: lower_alu(c, i); break;
    }
}

/* The insn that computes a BRCOND's condition, if nothing else uses it
 * and it can become cmp + jcc at the branch: its index, or -1. */
/* SETEQ/SETNE (CBZ, TBZ) fused too unless SHOAL_JIT_DISABLE=setcc. */
static bool fusible(const struct ir_insn *i, bool eq) {
    return i->op == IR_CONDSUB || (i->op == IR_COND && (i->imm & 15) < 14) ||
           (i->op == IR_CONDADD && i->imm != 8 && i->imm != 9) ||
           (eq && (i->op == IR_SETEQ || i->op == IR_SETNE));
}

static int32_t find_term_fuse(const struct ir_block *b, bool eq) {
    if (b->term.kind != TERM_BRCOND) return -1;
    int32_t d = -1;
    for (uint32_t k = 0; k < b->n; k++) {
        const struct ir_insn *i = &b->insns[k];
        for (int a = 0; a < ir_op_info[i->op].nargs; a++)
            if (i->a[a] == b->term.temp) return -1;
        if (ir_op_info[i->op].has_dst && i->dst == b->term.temp) d = (int32_t)k;
    }
    return d >= 0 && fusible(&b->insns[d], eq) ? d : -1;
}

/* Side exits whose condition only they use: exit_fuse[k] = the index of
 * the CONDSUB/CONDADD/COND lowered as cmp + jcc at EXITC k (not at its
 * own place), or -1. Returns the array (NULL if no EXITC). */
static bool fused_away(const struct jit_ctx *c, uint32_t k) {
    if (!c->exit_fuse) return false;
    for (uint32_t e = k + 1; e < c->b->n; e++)
        if (c->exit_fuse[e] == (int32_t)k) return true;
    return false;
}

static int32_t *find_exit_fuses(const struct ir_block *b, bool eq) {
    int32_t *f = NULL;
    for (uint32_t k = 0; k < b->n; k++) {
        if (b->insns[k].op != IR_EXITC) continue;
        if (!f) {
            f = malloc(b->n * sizeof *f);
            SHOAL_ASSERT(f);
            for (uint32_t j = 0; j < b->n; j++)
                f[j] = -1;
        }
        ir_temp t = b->insns[k].a[0];
        if (t == IR_ZERO ||
            ((b->term.kind == TERM_BRCOND || b->term.kind == TERM_GOTO_IND) && b->term.temp == t))
            continue;
        int32_t d = -1;
        bool other = false;
        for (uint32_t j = 0; j < b->n && !other; j++) {
            const struct ir_insn *i = &b->insns[j];
            for (int a = 0; a < ir_op_info[i->op].nargs; a++)
                if (i->a[a] == t && j != k) other = true;
            if (ir_op_info[i->op].has_dst && i->dst == t) d = (int32_t)j;
        }
        if (!other && d >= 0 && (uint32_t)d < k && fusible(&b->insns[d], eq)) f[k] = d;
    }
    return f;
}

/* def[t]: the insn defining temp t (-1: none); uses[t] (zeroed by the
 * caller): how many insns and the terminator read it. */
static void defs_and_uses(const struct ir_block *b, int32_t *def, uint32_t *uses) {
    for (uint32_t t = 0; t < b->ntemps; t++)
        def[t] = -1;
    for (uint32_t k = 0; k < b->n; k++) {
        const struct ir_insn *i = &b->insns[k];
        for (int a = 0; a < ir_op_info[i->op].nargs; a++)
            uses[i->a[a]]++;
        if (ir_op_info[i->op].has_dst) def[i->dst] = (int32_t)k;
    }
    if (b->term.kind == TERM_GOTO_IND || b->term.kind == TERM_BRCOND) uses[b->term.temp]++;
}

/* Lazy side exits (EXITC with sz 32: store a[2] to nzcv when taken) whose
 * flags are a FLAGS_SUB of the very operands the exit's fused CONDSUB
 * compares: the stub packs the host flags of that cmp (still live at the
 * jcc target), so the FLAGS_SUB is not computed at all when nothing but
 * such exits uses it. Needs pext (the packing must not touch the flags
 * before reading them). Returns the per-insn marks, or NULL. */
static uint8_t *find_lazy(const struct ir_block *b, const int32_t *fuse, unsigned features) {
    if (!fuse || (features & (JIT_F_BMI2 | JIT_F_LAHF)) != (JIT_F_BMI2 | JIT_F_LAHF)) return NULL;
    uint8_t *m = NULL;
    int32_t *def = malloc(b->ntemps * sizeof *def);
    uint32_t *uses = calloc(b->ntemps, sizeof *uses), *packed = calloc(b->ntemps, sizeof *packed);
    SHOAL_ASSERT(def && uses && packed);
    defs_and_uses(b, def, uses);
    for (int pass = 0; pass < 2; pass++)
        for (uint32_t k = 0; k < b->n; k++) {
            const struct ir_insn *x = &b->insns[k];
            if (x->op != IR_EXITC || x->sz != 32 || fuse[k] < 0 || def[x->a[2]] < 0) continue;
            const struct ir_insn *f = &b->insns[fuse[k]], *d = &b->insns[def[x->a[2]]];
            if (f->op != IR_CONDSUB || d->op != IR_FLAGS_SUB || f->sz != d->sz ||
                f->a[0] != d->a[0] || f->a[1] != d->a[1])
                continue;
            if (pass == 0) {
                packed[x->a[2]]++;
                continue;
            }
            if (!m) {
                m = calloc(b->n, 1);
                SHOAL_ASSERT(m);
            }
            m[k] = LAZY_PACK;
            if (packed[x->a[2]] == uses[x->a[2]]) m[def[x->a[2]]] = LAZY_SKIP;
        }
    free(def);
    free(uses);
    free(packed);
    return m;
}

/* ADDs of a SHL by 1-3 that nothing else uses (a register-offset
 * address, `ldr x8, [x4, x6, lsl #3]`): lowered as one lea with a scaled
 * index at the ADD, the SHL not at all. Returns the marks (jit_ctx
 * lea_fuse), or NULL. */
static int32_t *find_lea_fuses(const struct ir_block *b) {
    int32_t *f = NULL, *def = malloc(b->ntemps * sizeof *def);
    uint32_t *uses = calloc(b->ntemps, sizeof *uses);
    SHOAL_ASSERT(def && uses);
    defs_and_uses(b, def, uses);
    for (uint32_t k = 0; k < b->n; k++) {
        const struct ir_insn *i = &b->insns[k];
        if (i->op != IR_ADD) continue;
        for (int a = 0; a < 2; a++) {
            ir_temp t = i->a[a];
            int32_t d = def[t];
            if (d < 0 || uses[t] != 1 || i->a[0] == i->a[1]) continue;
            const struct ir_insn *s = &b->insns[d];
            if (s->op != IR_SHL || s->sz != i->sz || def[s->a[1]] < 0) continue;
            const struct ir_insn *n = &b->insns[def[s->a[1]]];
            if (n->op != IR_CONST || n->imm < 1 || n->imm > 3 || s->a[0] == IR_ZERO) continue;
            if (!f) {
                f = malloc(b->n * sizeof *f);
                SHOAL_ASSERT(f);
                for (uint32_t j = 0; j < b->n; j++)
                    f[j] = -1;
            }
            f[k] = d;
            f[d] = -2;
            break;
        }
    }
    free(def);
    free(uses);
    return f;
}

/* The SHL operand of a fused lea is read at the ADD (ra_init counted its
 * last use at the SHL). */
static void lea_fuse_uses(struct jit_ctx *c) {
    for (uint32_t k = 0; c->lea_fuse && k < c->b->n; k++)
        if (c->lea_fuse[k] >= 0) {
            struct jit_tval *v = &c->t[c->b->insns[c->lea_fuse[k]].a[0]];
            if (v->last_use < (int32_t)k) v->last_use = (int32_t)k;
        }
}

/* The block's insns and terminator, in the mode c is set up for. */
static void lower_body(struct jit_ctx *c) {
    const struct ir_block *b = c->b;
    for (uint32_t k = 0; k < b->n && !c->fail; k++) {
        const struct ir_insn *i = &b->insns[k];
        c->cur = k;
        if (c->lazy_sz && loop_lazy_insn(c, i)) {
            ra_end_insn(c, i);
            continue;
        }
        c->lazy_win = 0;
        if (c->lazy) {
            c->lazy_win = c->lazy[k] == LAZY_FAULT32 ? 32 : c->lazy[k] == LAZY_FAULT64 ? 64 : 0;
            if (c->lazy[k] == LAZY_SAVE || c->lazy[k] == LAZY_SAVE64) {
                if (c->lazy[k] == LAZY_SAVE)
                    loop_lazy_save(c, i);
                else
                    nz_save64(c, i);
                ra_end_insn(c, i);
                continue;
            }
        }
        if (c->nz_in && (int32_t)k < c->nz_end) {
            c->lazy_win = 64; /* the entry NZCV, in the slots */
            if (i->op == IR_LDCPU && i->imm == CPU_OFF(nzcv)) {
                nz_in_ldcpu(c, i);
                ra_end_insn(c, i);
                continue;
            }
        }
        if (c->dmark && c->dmark[k] == 2) { /* lowered with an LDP/STP's first access */
            ra_end_insn(c, i);
            continue;
        }
        if (!(pure_op(i->op) && c->t[i->dst].last_use < 0) && (int32_t)k != c->term_fuse &&
            !fused_away(c, k) && !(c->lazy && c->lazy[k] == LAZY_SKIP) &&
            !(c->lea_fuse && c->lea_fuse[k] == -2))
            lower_insn(c, i);
        ra_end_insn(c, i);
    }
    c->cur = b->n;
    if (!c->fail) lower_term(c);
}

/* NZCV stores kept only for the faults of the accesses before the store
 * that overwrites them (opt_flags.c: FL_STORE, FL_ACCESS) of a FLAGS_SUB
 * used by nothing but such a store and lazy exits that pack their own
 * cmp: the FLAGS_SUB saves its operands in JIT_LAZY_SLOT instead
 * (LAZY_SAVE), the store is not made (LAZY_SKIP) and the faults of those
 * accesses compute NZCV from the slots (LAZY_FAULT32/64: fault records,
 * bounds stubs). Needs pext like the stubs. Returns the marks. */
static bool self_loop(const struct ir_block *b) {
    if ((b->term.kind == TERM_GOTO || b->term.kind == TERM_BRCOND) &&
        (b->term.target == b->pc || (b->term.kind == TERM_BRCOND && b->term.next == b->pc)))
        return true;
    for (uint32_t k = 0; k < b->n; k++)
        if (b->insns[k].op == IR_EXITC && b->insns[k].imm == b->pc) return true;
    return false;
}

/* Whether every exit after insn k (side exits without flags of their
 * own, the terminator's) is a direct branch into the block's page, which
 * chaining can take to a receiving body: an exit to another page, an
 * indirect branch or an SVC would compute the flags from the slots,
 * dearer than storing them once (qsort's comparator returns). */
static bool exits_in_page(const struct ir_block *b, uint32_t k) {
    uint64_t page = b->pc >> 12;
    if (b->term.kind != TERM_GOTO && b->term.kind != TERM_BRCOND) return false;
    if (b->term.target >> 12 != page || (b->term.kind == TERM_BRCOND && b->term.next >> 12 != page))
        return false;
    for (uint32_t e = k + 1; e < b->n; e++)
        if (b->insns[e].op == IR_EXITC && b->insns[e].sz != 32 && b->insns[e].imm >> 12 != page)
            return false;
    return true;
}

/* An NZCV store kept to the block's end for faults and side exits
 * (FL_STORE_END, nzchain.c) of a FLAGS_SUB used like the ones above:
 * the FLAGS_SUB saves its operands in the 64-bit form (LAZY_SAVE64), the
 * store is not made, the accesses after it fault with NZCV from the
 * slots (LAZY_FAULT64), the side exits after it (LAZY_OUT) and the
 * terminator's (*term_out) send the slots. Not in self-loops (loop.c
 * keeps its own flags in the slots). */
static void mark_store_end(const struct ir_block *b, uint8_t *m, const uint8_t *fl, uint32_t k,
                           int32_t d, bool *term_out) {
    m[d] = LAZY_SAVE64;
    m[k] = LAZY_SKIP;
    for (uint32_t e = k + 1; e < b->n; e++) {
        if (fl[e] == FL_ACCESS) m[e] = LAZY_FAULT64;
        if (b->insns[e].op == IR_EXITC && b->insns[e].sz != 32) m[e] = LAZY_OUT;
    }
    *term_out = true;
}

static uint8_t *find_fault_lazy(const struct ir_block *b, uint8_t *m, const uint8_t *fl,
                                unsigned features, bool *term_out) {
    if ((features & (JIT_F_BMI2 | JIT_F_LAHF)) != (JIT_F_BMI2 | JIT_F_LAHF)) return m;
    int32_t *def = malloc(b->ntemps * sizeof *def);
    uint32_t *uses = calloc(b->ntemps, sizeof *uses);
    SHOAL_ASSERT(def && uses);
    defs_and_uses(b, def, uses);
    for (uint32_t k = 0; k < b->n; k++) {
        if (fl[k] != FL_STORE &&
            (fl[k] != FL_STORE_END || !term_out || self_loop(b) || !exits_in_page(b, k)))
            continue;
        ir_temp f = b->insns[k].a[0];
        int32_t d = def[f];
        if (d < 0 || b->insns[d].op != IR_FLAGS_SUB) continue;
        uint32_t packed = 0;
        for (uint32_t e = 0; m && e < b->n; e++)
            packed += b->insns[e].op == IR_EXITC && b->insns[e].sz == 32 && b->insns[e].a[2] == f &&
                      m[e] == LAZY_PACK;
        if (uses[f] != packed + 1) continue;
        if (!m) {
            m = calloc(b->n, 1);
            SHOAL_ASSERT(m);
        }
        if (fl[k] == FL_STORE_END) {
            mark_store_end(b, m, fl, k, d, term_out);
            continue;
        }
        m[d] = LAZY_SAVE;
        m[k] = LAZY_SKIP;
        for (uint32_t e = k + 1; e < b->n; e++) {
            const struct ir_insn *x = &b->insns[e];
            if (x->op == IR_STCPU && x->imm == CPU_OFF(nzcv)) break; /* the overwrite */
            if (fl[e] == FL_ACCESS) m[e] = b->insns[d].sz == 64 ? LAZY_FAULT64 : LAZY_FAULT32;
        }
    }
    free(def);
    free(uses);
    return m;
}

#define NZ_NONE UINT32_MAX

static void *compile(struct jit *j, const struct ir_block *b, uint32_t recv);

void *jit_compile(struct jit *j, const struct ir_block *b) {
    return compile(j, b, 0);
}

/* Compiles b. With recv (the buffer offset of b's compiled entry), only
 * its receiving body (nzchain.c), compiled when the first sending exit is
 * chained to b: returns its lazy entry, or NULL if b cannot receive. */
static void *compile(struct jit *j, const struct ir_block *b, uint32_t recv) {
    if (j->full) return NULL;
    if (j->size - j->used < BLOCK_RESERVE) {
        j->full = true;
        return NULL;
    }
    struct x86_buf buf;
    x86_buf_init(&buf, j->code, j->code + j->used, j->code + j->size);
    struct jit_ctx c;
    memset(&c, 0, sizeof c);
    struct ir_block opt;
    opt.insns = NULL;
    uint8_t *fault_lazy = NULL;
    if (!(j->off & JIT_OFF_FLAGS) && b->n) {
        jit_opt_flags(b, &opt, !(j->off & JIT_OFF_LAZYEXIT),
                      (j->off & JIT_OFF_LAZYLOOP) ? NULL : &fault_lazy,
                      !(j->off & JIT_OFF_NZCHAIN));
        b = &opt;
    }
    c.term_fuse = find_term_fuse(b, !(j->off & JIT_OFF_SETCC));
    c.exit_fuse = find_exit_fuses(b, !(j->off & JIT_OFF_SETCC));
    c.b = b;
    c.buf = &buf;
    c.regalloc = !j->opt.no_regalloc;
    c.chain = !j->opt.no_chain;
    c.inline_fp = !j->opt.no_inline_fp;
    c.inline_simd = !j->opt.no_inline_simd;
    c.ibcache = !j->opt.no_ibcache && c.chain;
    c.features = j->features;
    c.count_insns = j->opt.count_insns;
    c.fast_bounds = !(j->off & JIT_OFF_BOUNDS);
    c.vcache = !(j->off & JIT_OFF_VREG) && c.regalloc;
    c.velem = c.vcache && !(j->off & JIT_OFF_VELEM);
    c.vpin = c.vcache && !(j->off & JIT_OFF_VPIN);
    c.vshift = !(j->off & JIT_OFF_VSHIFT);
    c.vwide = !(j->off & JIT_OFF_VWIDE);
    c.vperm = !(j->off & JIT_OFF_VPERM);
    c.vidx = !(j->off & JIT_OFF_VIDX);
    c.gaterun = !(j->off & JIT_OFF_GATERUN);
    c.nanonly = !(j->off & JIT_OFF_NANONLY);
    c.vtiny = !(j->off & JIT_OFF_VTINY);
    c.lea = !(j->off & JIT_OFF_LEA);
    if (c.lea) c.lea_fuse = find_lea_fuses(b);
    c.sdirect = !(j->off & JIT_OFF_SDIRECT);
    c.kpool = !(j->off & JIT_OFF_KPOOL);
    c.lazy_fcmp = !(j->off & JIT_OFF_LAZYFCMP);
    c.headgate = !(j->off & JIT_OFF_HEADGATE);
    c.vinplace = c.vcache && !(j->off & JIT_OFF_VINPLACE);
    c.pairchk = !(j->off & JIT_OFF_PAIRCHK);
    c.dpair = !(j->off & JIT_OFF_DPAIR);
    c.pair_skip = UINT32_MAX;
    vr_init(&c);
    if (j->off & JIT_OFF_PEXT) c.features &= ~(unsigned)JIT_F_BMI2;
    c.lazy = find_lazy(b, c.exit_fuse, c.features);
    bool nzchain = !(j->off & JIT_OFF_NZCHAIN);
    if (fault_lazy)
        c.lazy = find_fault_lazy(b, c.lazy, fault_lazy, c.features,
                                 nzchain && c.chain ? &c.term_out : NULL);
    c.nzchain = nzchain && c.chain;
    free(fault_lazy);
    /* A self-loop's first iteration runs unpinned (peel): a block that is
     * mostly left by a side exit (a dispatch loop) then pays no pin loads
     * and stores per entry; the back edge enters the pinned loop. */
    c.loop_induct = !(j->off & JIT_OFF_INDUCT);
    bool peel = loop_plan(&c, !(j->off & JIT_OFF_LOOP)) && !(j->off & JIT_OFF_PEEL) &&
                b->term.hint == HINT_NONE;
    if (peel) {
        if (!(j->off & JIT_OFF_LAZYLOOP)) loop_lazy_plan(&c);
        loop_plan(&c, false);
        c.peel = true;
    }
    c.epilogue_off = j->epilogue_off;
    c.ras = !(j->off & JIT_OFF_RAS) && c.chain;
    c.block_off = 0; /* offsets are from the buffer base already */
    ra_init(&c);
    lea_fuse_uses(&c);
    loop_dpair_uses(&c);
    if (recv) {
        /* A body that receives NZCV in the slots, with its own entry; a
         * peeled one's back edges enter the pinned loop compiled with b. */
        c.entry_off = recv;
        c.nz_end = c.nzchain && !c.loop ? nz_in_plan(&c) : -1;
        uint32_t pinned = peel ? nzmap_get(j, recv - JIT_ENTRY_STUB) : 0;
        c.fail |= c.nz_end < 0 || (peel && !pinned);
        c.nz_in = !c.fail;
        if (c.nz_in) {
            nz_in_entry(&c);
            lower_body(&c);
            if (peel) loop_peel_link(&c, pinned);
            peel = false;
        }
    } else {
        lower_entry(&c);
        lower_body(&c);
    }
    if (peel && !c.fail) {
        ra_fini(&c);
        c.peel = false;
        loop_plan(&c, true);
        vr_init(&c);
        ra_init(&c);
        lea_fuse_uses(&c);
        loop_dpair_uses(&c);
        c.pc_stored = false;
        loop_peeled_entry(&c);
        lower_body(&c);
    }
    lower_side_exits(&c);
    lower_cold(&c);
    lower_slow(&c);
    vc_emit(&c);
    void *entry = NULL;
    if (!c.fail && !buf.overflow && j->nrecs + c.nrecs <= j->cap_recs) {
        if (c.nrecs) memcpy(j->recs + j->nrecs, c.recs, c.nrecs * sizeof *c.recs);
        atomic_store_explicit(&j->nrecs, j->nrecs + c.nrecs, memory_order_release);
        entry = j->code + (recv ? c.nz_entry_off : c.entry_off);
        j->nz_receivers += recv != 0;
        if (c.nz_entry_off) nzmap_put(j, c.entry_off, c.nz_entry_off);
        if (c.peel_entry && c.nzchain && !c.lazy_sz)
            nzmap_put(j, c.entry_off - JIT_ENTRY_STUB, c.peel_entry);
        for (uint32_t k = 0; k < c.nnz_sites; k++)
            nzmap_put(j, c.nz_sites[k][0], c.nz_sites[k][1]);
        if (j->perf_map) {
            fprintf(j->perf_map, "%" PRIxPTR " %x guest_%" PRIx64 "\n",
                    (uintptr_t)(j->code + j->used), (unsigned)(x86_off(&buf) - j->used), b->pc);
            dump_block(j, b->pc, x86_off(&buf));
        }
        j->used = (x86_off(&buf) + 15u) & ~(size_t)15;
    } else if (j->nrecs + c.nrecs > j->cap_recs) {
        j->full = true;
    }
    ra_fini(&c);
    free(opt.insns);
    free(c.cold);
    free(c.side);
    free(c.exit_fuse);
    free(c.lea_fuse);
    free(c.dmark);
    free(c.nz_sites);
    free(c.lazy);
    free(c.slow);
    vc_free(&c);
    free(c.recs);
    return entry;
}

/* Ring entries from another buffer or generation may point at reused
 * code: replace them by ones that only a RET to pc 0 matches and that
 * then go to the dispatcher (no flush runs while cpu is in code). */
static void ras_reset(struct jit *j, struct cpu *cpu) {
    for (unsigned k = 0; k < CPU_RAS_SIZE; k++) {
        cpu->ras_pc[k] = 0;
        cpu->ras_host[k] = j->code + j->ras_miss_off;
    }
    cpu->ras_top = 0;
    cpu->ras_gen = j->gen;
    cpu->ras_jit = j;
}

struct jit_ret jit_enter(struct jit *j, struct cpu *cpu, void *entry) {
    if (mxcsr_get() != MXCSR_DEFAULT) mxcsr_set(MXCSR_DEFAULT);
    if (cpu->ras_jit != j || cpu->ras_gen != j->gen) ras_reset(j, cpu);
    struct jit_ret r = ((jit_enter_fn)(void *)j->code)(cpu, cpu->guest_base, entry);
    jit_fpsr_sync(cpu, 0, 0, 0, 0);
    return r;
}

static void patch_rel32(uint8_t *field, const uint8_t *target) {
    int32_t rel = (int32_t)(target - (field + 4));
    __atomic_store_n((int32_t *)(void *)field, rel, __ATOMIC_RELEASE);
}

/* The lazy entry of the block at entry_off, whose IR is b (NULL: none),
 * its receiving body compiled on the first call; 0: it has none. */
static uint32_t nz_lazy_entry(struct jit *j, uint32_t entry_off, const struct ir_block *b) {
    uint32_t e = nzmap_get(j, entry_off);
    if (e || !b) return e == NZ_NONE ? 0 : e;
    uint8_t *lazy = compile(j, b, entry_off);
    if (lazy) return (uint32_t)(lazy - j->code);
    nzmap_put(j, entry_off, NZ_NONE); /* a full buffer stays so until the flush clears this */
    return 0;
}

/* A sending exit (nzchain.c) to a block that can receive jumps to its
 * lazy entry from its lazy site, before computing NZCV. */
void jit_chain(struct jit *j, uint64_t site, void *entry, const struct ir_block *b) {
    uint32_t lazy_site = nzmap_get(j, (uint32_t)((uint8_t *)(uintptr_t)site - j->code));
    uint32_t lazy_entry =
        lazy_site ? nz_lazy_entry(j, (uint32_t)((uint8_t *)entry - j->code), b) : 0;
    if (lazy_entry)
        patch_rel32(j->code + lazy_site + 1, j->code + lazy_entry);
    else
        patch_rel32((uint8_t *)(uintptr_t)site + 1, entry);
}

/* The entry's nop5 becomes jmp stub: one atomic store of the aligned
 * 8-byte word that holds all 5 bytes (lower_entry places them so), so a
 * vCPU executing it sees either instruction whole. */
static void unlink_entry(uint8_t *e);

void jit_unlink(struct jit *j, void *entry) {
    unlink_entry(entry);
    uint32_t lazy_entry = nzmap_get(j, (uint32_t)((uint8_t *)entry - j->code));
    if (lazy_entry && lazy_entry != NZ_NONE)
        unlink_entry(j->code + lazy_entry); /* its stub computes NZCV first */
}

static void unlink_entry(uint8_t *e) {
    uint64_t *word = (uint64_t *)(void *)((uintptr_t)e & ~(uintptr_t)7);
    unsigned o = (unsigned)((uintptr_t)e & 7);
    uint8_t bytes[8];
    uint64_t w = __atomic_load_n(word, __ATOMIC_RELAXED);
    memcpy(bytes, &w, 8);
    int32_t rel = (int32_t)((e - JIT_ENTRY_STUB) - (e + 5));
    bytes[o] = 0xe9;
    memcpy(bytes + o + 1, &rel, 4);
    memcpy(&w, bytes, 8);
    __atomic_store_n(word, w, __ATOMIC_RELEASE);
}

bool jit_full(const struct jit *j) {
    return j->full;
}
uint64_t jit_generation(const struct jit *j) {
    return j->gen;
}
uint64_t jit_nz_receivers(const struct jit *j) {
    return j->nz_receivers;
}

void jit_flush(struct jit *j) {
    /* the code written since the trampoline goes back to the host: a run
     * whose code keeps changing does not keep a full buffer resident */
    uintptr_t keep = ((uintptr_t)j->code + j->tramp_size + 4095) & ~(uintptr_t)4095;
    if (keep < (uintptr_t)j->code + j->size)
        madvise((void *)keep, (uintptr_t)j->code + j->size - keep, MADV_DONTNEED);
    j->used = j->tramp_size;
    atomic_store(&j->nrecs, 0);
    j->full = false;
    j->gen++;
    if (j->nzmap) memset(j->nzmap, 0, 2 * (size_t)j->nzmap_cap * sizeof *j->nzmap);
    j->nzmap_n = 0;
}

_Noreturn void jit_raise_segv(struct cpu *cpu, uint64_t addr, uint64_t pc) {
    cpu->pc = pc;
    cpu_raise_signal(cpu, SIGSEGV, SEGV_MAPERR, addr);
}

_Noreturn void jit_raise_bus(struct cpu *cpu, uint64_t addr, uint64_t pc) {
    cpu->pc = pc;
    cpu_raise_signal(cpu, SIGBUS, BUS_ADRALN, addr);
}

bool jit_fault_map(struct jit *j, struct cpu *cpu, void *ucv) {
    static const int greg[16] = {REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP,
                                 REG_RSI, REG_RDI, REG_R8,  REG_R9,  REG_R10, REG_R11,
                                 REG_R12, REG_R13, REG_R14, REG_R15};
    ucontext_t *uc = ucv;
    uintptr_t rip = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
    if (!j || rip < (uintptr_t)j->code || rip >= (uintptr_t)j->code + j->size) return false;
    uint32_t off = (uint32_t)(rip - (uintptr_t)j->code);
    size_t lo = 0, hi = atomic_load_explicit(&j->nrecs, memory_order_acquire);
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (j->recs[mid].host_off < off)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo >= j->nrecs || j->recs[lo].host_off != off) return false;
    const struct jit_fault_rec *r = &j->recs[lo];
    /* The handler runs with a fresh MXCSR: the flags of the interrupted
     * code are in the saved context. */
    if (uc->uc_mcontext.fpregs) cpu->fpsr |= mxcsr_to_fpsr(uc->uc_mcontext.fpregs->mxcsr);
    for (int h = 0; h < 16; h++)
        if (r->map[h]) cpu->x[r->map[h] - 1] = (uint64_t)uc->uc_mcontext.gregs[greg[h]];
    for (int x = 0; x < 16; x++)
        if ((r->vmap[x] & JIT_VMAP_XPAIR) && uc->uc_mcontext.fpregs)
            memcpy(&cpu->x[r->vmap[x] & 31], uc->uc_mcontext.fpregs->_xmm[x].element, 16);
        else if (r->vmap[x] && uc->uc_mcontext.fpregs)
            memcpy(&cpu->v[r->vmap[x] - 1], uc->uc_mcontext.fpregs->_xmm[x].element, 16);
    if (r->lazy_sz) {
        const uint64_t *ab =
            (const uint64_t *)(uintptr_t)(uc->uc_mcontext.gregs[REG_RSP] + JIT_LAZY_SLOT);
        cpu->nzcv = loop_nzcv_sub(ab[0], ab[1], r->lazy_sz);
    }
    cpu->pc = r->pc;
    return true;
}

void jit_sync_fpsr(struct cpu *cpu) {
    jit_fpsr_sync(cpu, 0, 0, 0, 0);
}
