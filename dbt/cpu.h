/* Architectural state of one AArch64 vCPU (user level, EL0) plus the few
 * fields the execution loop needs. Field offsets are used by the IR
 * (LDCPU/STCPU) and, later, by the JIT: keep them stable and explicit. */
#ifndef SHOAL_DBT_CPU_H
#define SHOAL_DBT_CPU_H

#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>

typedef union {
    uint64_t d[2];
    uint32_t s[4];
    uint16_t h[8];
    uint8_t b[16];
    double fd[2];
    float fs[4];
} __attribute__((aligned(16))) vreg_t;

/* NZCV is kept in PSTATE layout: N=bit31, Z=30, C=29, V=28. */
#define NZCV_N (1u << 31)
#define NZCV_Z (1u << 30)
#define NZCV_C (1u << 29)
#define NZCV_V (1u << 28)

/* FPSR cumulative exception bits and FPCR controls (Arm ARM names). */
#define FPSR_IOC         (1u << 0)
#define FPSR_DZC         (1u << 1)
#define FPSR_OFC         (1u << 2)
#define FPSR_UFC         (1u << 3)
#define FPSR_IXC         (1u << 4)
#define FPSR_IDC         (1u << 7)
#define FPSR_QC          (1u << 27)
#define FPCR_AHP         (1u << 26)
#define FPCR_DN          (1u << 25)
#define FPCR_FZ          (1u << 24)
#define FPCR_RMODE_SHIFT 22 /* 0 RN, 1 RP, 2 RM, 3 RZ */
#define FPCR_FZ16        (1u << 19)

struct dbt;

/* Why dbt_run() returned to its embedder. */
enum cpu_exit {
    CPU_EXIT_SVC = 1, /* SVC #imm: pc already points after it */
    CPU_EXIT_SIGNAL, /* synchronous guest signal: exit_signo/exit_code/exit_addr, pc = faulting insn
                      */
    CPU_EXIT_ATTENTION, /* attention flag was raised (signals, exit requests) */
};

#define CPU_RAS_SIZE 16 /* a power of two */

struct cpu {
    uint64_t x[32]; /* x[31] is SP; the zero register is handled by the frontend */
    uint64_t pc;
    uint32_t nzcv;
    uint32_t fpcr;
    uint32_t fpsr;
    uint32_t pad0;
    uint64_t tpidr_el0;
    vreg_t v[32];

    /* Exclusive monitor (LDXR/STXR): excl_size is 0 when clear. */
    uint64_t excl_addr;
    uint64_t excl_val[2];
    uint32_t excl_size;
    /* IR_CASP's second doubleword: the new one in, the old one out */
    uint64_t pair_hi;

    /* Guest memory: guest address g lives at host guest_base + g, g < guest_size. */
    uint8_t *guest_base;
    uint64_t guest_size;

    /* Guest instructions executed (whole blocks; for statistics). */
    uint64_t icount;

    /* Raised (non-zero) by other threads to stop at the next block boundary. */
    volatile int attention;

    /* Filled when dbt_run returns CPU_EXIT_SVC / CPU_EXIT_SIGNAL. */
    uint32_t svc_imm;
    int exit_signo;
    int exit_code; /* si_code */
    uint64_t exit_addr;

    struct dbt *dbt;      /* translation context this vCPU runs in */
    void *opaque;         /* the embedder's (syscall/: struct task *) */
    void *jump_cache;     /* private to dbt/exec.c */
    sigjmp_buf *fault_jb; /* private to dbt/exec.c */

    /* Exclusive monitor, embedder part (dbt_set_excl_hooks): the token
     * the last load-exclusive got, and whether a store-exclusive is
     * between store_begin and store_end (a guest fault there ends it). */
    uint64_t excl_token;
    uint32_t excl_held;

    /* Return-address prediction (dbt/jit, SHOAL_JIT_DISABLE=ras), private
     * to dbt/jit: BL/BLR push (return pc, host code that continues there),
     * RET pops and jumps there if the pc matches. jit_enter refills the
     * ring with harmless entries whenever ras_jit / ras_gen is not the
     * code buffer's current generation (host code is reused after a
     * flush), so a zeroed or copied struct cpu is fine. */
    uint32_t ras_top;
    uint64_t ras_gen;
    const void *ras_jit;
    uint64_t ras_pc[CPU_RAS_SIZE];
    void *ras_host[CPU_RAS_SIZE];
};

#define CPU_OFF(field) ((uint32_t)offsetof(struct cpu, field))
#define CPU_VOFF(reg)  ((uint32_t)(offsetof(struct cpu, v) + (size_t)(reg) * sizeof(vreg_t)))

#endif
