/* The x86-64 JIT tier: compiles one IR block to host code that runs on
 * the vCPU directly. See dbt/jit/DESIGN.md for the ABI and invariants.
 * Callers serialise jit_compile/jit_chain/jit_unlink/jit_flush with one
 * lock (dbt/exec.c uses the translation-cache mutex); jit_enter and
 * jit_fault_map run concurrently on any vCPU thread. */
#ifndef SHOAL_DBT_JIT_JIT_H
#define SHOAL_DBT_JIT_JIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dbt/cpu.h"
#include "dbt/ir.h"

struct jit;

/* The per-vCPU jump cache that generated code probes for indirect
 * branches: cpu->jump_cache points at JIT_JC_SIZE `struct tb *` slots,
 * slot (pc >> 2) mod JIT_JC_SIZE (dbt/exec.c owns and fills it). */
#define JIT_JC_BITS 12
#define JIT_JC_SIZE (1u << JIT_JC_BITS)

struct jit_opts {
    bool no_regalloc; /* naive lowering: guest registers live in cpu->x, temps spilled */
    bool no_chain;    /* never emit patchable exits */
    size_t code_size; /* code buffer bytes; 0: default */
    /* Switches (also from the environment: SHOAL_JIT_DISABLE=fp,simd,ibc). */
    bool no_inline_fp;   /* scalar FP and vector FP through their helpers */
    bool no_inline_simd; /* Advanced SIMD integer ops through their helpers */
    bool no_ibcache;     /* indirect branches return to the dispatcher */
    bool count_insns;    /* add each block's guest instruction count to cpu->icount */
};

/* What a block returns: the next guest pc and why it came back.
 * info: JIT_EXIT_NONE (look up pc), CPU_EXIT_SVC / CPU_EXIT_SIGNAL
 * (return to the embedder), or >= JIT_EXIT_CHAIN_MIN: the host address
 * of a patchable exit that jumps to pc, for jit_chain(). */
struct jit_ret {
    uint64_t pc;
    uint64_t info;
};
#define JIT_EXIT_NONE      0
#define JIT_EXIT_CHAIN_MIN 4096

struct jit *jit_create(const struct jit_opts *opts);
void jit_destroy(struct jit *j);

/* Compiles b; returns its host entry, or NULL when b must run in the
 * interpreter (too big for one frame, or the buffer is full: see
 * jit_full). The code stays valid until jit_flush. */
void *jit_compile(struct jit *j, const struct ir_block *b);

/* Runs host code from entry until a block exits to the dispatcher. */
struct jit_ret jit_enter(struct jit *j, struct cpu *cpu, void *entry);

/* Makes the exit at `site` (a jit_ret.info) jump straight to `entry`,
 * the code jit_compile made of b (NULL: unknown). A sending exit
 * (nzchain.c) chained to a block for the first time compiles the block's
 * receiving body from b, and jumps there instead. */
void jit_chain(struct jit *j, uint64_t site, void *entry, const struct ir_block *b);
/* Makes a block's entry exit to the dispatcher (invalidated block). */
void jit_unlink(struct jit *j, void *entry);

/* The buffer filled up: jit_compile returns NULL until jit_flush, which
 * the caller may only run while no vCPU executes generated code. */
bool jit_full(const struct jit *j);
void jit_flush(struct jit *j);
/* Incremented by every flush (exits from older generations are stale);
 * the low 32 bits count the flushes. */
uint64_t jit_generation(const struct jit *j);
/* Receiving bodies (nzchain.c) compiled so far, for statistics. */
uint64_t jit_nz_receivers(const struct jit *j);

/* From a SIGSEGV/SIGBUS handler: if the host pc in uc (a ucontext_t) is a
 * guest memory access in generated code, copies the guest registers that
 * live in host registers back to cpu, sets cpu->pc to the faulting guest
 * instruction and returns true. */
bool jit_fault_map(struct jit *j, struct cpu *cpu, void *uc);

/* Folds the FP exception flags generated code left in the host MXCSR
 * into cpu->fpsr (after a guest fault unwound out of generated code). */
void jit_sync_fpsr(struct cpu *cpu);

#endif
