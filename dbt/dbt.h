/* dbt/: the guest CPU as a library. An embedder creates one struct dbt
 * (translation cache, options) per address space and one struct cpu per
 * guest thread, then calls dbt_run() in a loop, handling each exit
 * (SVC, signal, attention) itself. dbt/ knows nothing about Linux. */
#ifndef SHOAL_DBT_DBT_H
#define SHOAL_DBT_DBT_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "dbt/cpu.h"

struct dbt_options {
    bool interp_only;         /* force the IR interpreter (default tier: the x86-64 JIT) */
    bool no_regalloc;         /* JIT: naive lowering, no guest registers in host registers */
    uint64_t code_size;       /* JIT code buffer bytes; 0: default */
    unsigned max_block_insns; /* 0: default */
    bool log_in_asm;          /* print guest code of each translated block */
    bool log_ir;              /* print the IR of each translated block */
    bool log_exec;            /* print each block as it runs */
    bool no_chain;            /* do not link blocks directly */
    bool no_follow;   /* end blocks at unconditional branches (also SHOAL_JIT_DISABLE=follow) */
    bool no_sidexit;  /* end blocks at conditional branches (also SHOAL_JIT_DISABLE=sidexit) */
    bool no_taken;    /* side exits only to the taken side (also SHOAL_JIT_DISABLE=taken) */
    bool count_insns; /* JIT: keep cpu->icount exact (costs a memory add per block) */
    /* atomics, LDAR/STLR and exclusives through helper calls, not IR ops
     * lowered inline (also SHOAL_JIT_DISABLE=atomics) */
    bool no_inline_atomics;
    FILE *log; /* where the above go; default stderr */
    /* Called when the guest runs shoal's placement hint
     * (include/shoal/hint.h): group for this thread, or for the next
     * thread it creates. NULL: the hint is a NOP like the rest of the
     * hint space. */
    void (*hint_group)(struct cpu *cpu, int64_t group, bool next_thread);
};

struct dbt *dbt_create(const struct dbt_options *opts);
void dbt_destroy(struct dbt *d);
/* The options d was created with. */
const struct dbt_options *dbt_get_options(const struct dbt *d);

/* Prepares a vCPU for running in d (allocates its jump cache). */
void dbt_cpu_init(struct dbt *d, struct cpu *cpu);
void dbt_cpu_fini(struct cpu *cpu);

/* Runs guest code until an exit; returns enum cpu_exit. */
int dbt_run(struct cpu *cpu);

/* Installs the host SIGSEGV/SIGBUS handler that turns faults on guest
 * memory into guest signals. Call once per process. */
void dbt_install_fault_handler(void);
/* A fault-capture mechanism that serves page faults on guest memory by
 * signal (dsm/fault.h's mprotect fallback): asked first for every host
 * fault; true when it handled it (the access is retried). NULL: none.
 * Async-signal-safe. */
void dbt_set_page_fault_hook(bool (*fn)(const siginfo_t *si, void *uc));

/* Around a host fork of the embedder (fork/vfork of the guest): holds the
 * translation cache's lock so the child does not inherit it held by a
 * thread it does not have; dbt_fork_done in both parent and child (the
 * child's lock starts afresh: threads that waited for it are not there). */
void dbt_fork_prepare(struct dbt *d);
void dbt_fork_done(struct dbt *d, bool child);

/* From a helper or the interpreter: stop the current instruction and
 * return CPU_EXIT_SIGNAL from dbt_run. cpu->pc must hold the faulting
 * instruction's pc (INSN_START guarantees it in the interpreter). */
_Noreturn void cpu_raise_signal(struct cpu *cpu, int signo, int code, uint64_t addr);

/* Host pointer for len bytes of guest memory at addr, or a guest SIGSEGV. */
static inline void *cpu_g2h(struct cpu *cpu, uint64_t addr, uint64_t len) {
    if (__builtin_expect(addr >= cpu->guest_size || cpu->guest_size - addr < len, 0))
        cpu_raise_signal(cpu, 11 /* SIGSEGV */, 1 /* SEGV_MAPERR */, addr);
    return cpu->guest_base + addr;
}

/* Forget every translation of guest code in [start, start+len): for
 * munmap/mprotect of code and self-modifying code. */
void dbt_invalidate(struct dbt *d, uint64_t start, uint64_t len);

/* The generic timer (CNTVCT_EL0) counts host CLOCK_MONOTONIC plus ns: a
 * cluster node's offset to the master's clock (syscall/guest_clock.h). */
void dbt_set_clock_offset(struct dbt *d, int64_t ns);
int64_t dbt_clock_offset(const struct dbt *d);

/* Optional exclusive monitor hooks, for an embedder whose guest memory
 * can be taken away between a load-exclusive and its store-exclusive
 * (a DSM: the page may leave this node, be written elsewhere and come
 * back with the same value). Without them the monitor compares values
 * only, as qemu-aarch64 does.
 *  load: at a load-exclusive of addr, before the load; returns a token
 *        (e.g. the page's generation) that store_begin gets back.
 *  store_begin: at a store-exclusive of addr, after a write access to
 *        addr succeeded (so the page is writable here); false fails the
 *        store (the page was lost since the load). On true the
 *        compare-and-swap follows and then store_end: until store_end
 *        the embedder must keep the page writable here. */
struct dbt_excl_hooks {
    uint64_t (*load)(void *opaque, uint64_t addr);
    bool (*store_begin)(void *opaque, uint64_t addr, uint64_t token);
    void (*store_end)(void *opaque, uint64_t addr);
    void *opaque;
};
/* Installs (or, with NULL, removes) the hooks; before vCPUs run: code
 * translated without hooks has its exclusives inline (IR_LDX/IR_STX),
 * which never call them. Removing them later is fine (the helpers of
 * code translated with hooks work without). */
void dbt_set_excl_hooks(struct dbt *d, const struct dbt_excl_hooks *h);
/* The hooks, or NULL. */
const struct dbt_excl_hooks *dbt_excl_hooks(const struct dbt *d);

/* Statistics. */
struct dbt_stats {
    uint64_t blocks_translated;
    uint64_t guest_insns_translated;
    uint64_t jit_flushes;      /* of the JIT's code buffer (full: --tb-size) */
    uint64_t jit_nz_receivers; /* receiving bodies compiled (dbt/jit/nzchain.c) */
};
void dbt_get_stats(struct dbt *d, struct dbt_stats *out);

/* Runs an already built IR block on cpu with the interpreter; returns the
 * next pc or, via *exit, an exit reason (0 for none). For tests. */
struct ir_block;
uint64_t dbt_interp_block(struct cpu *cpu, const struct ir_block *b, int *exit);

#endif
