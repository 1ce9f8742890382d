/* The signal frame of Linux/arm64 (arch/arm64/kernel/signal.c), as the
 * guest sees it on its stack: struct rt_sigframe { siginfo; ucontext }
 * followed by a frame record {fp, lr}. The functions here only convert
 * between a vCPU and a host copy of the frame; placing it in guest memory
 * is guest_signal.c's job, so everything here is pure and fuzzable. */
#ifndef SHOAL_SYSCALL_SIGFRAME_H
#define SHOAL_SYSCALL_SIGFRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dbt/cpu.h"
#include "syscall/linux_abi.h"

/* Records in sigcontext.__reserved: a header, then the payload. */
struct aarch64_ctx_head {
    uint32_t magic;
    uint32_t size;
};
#define AARCH64_FPSIMD_MAGIC 0x46508001u
#define AARCH64_ESR_MAGIC    0x45535201u

struct aarch64_fpsimd_context {
    struct aarch64_ctx_head head;
    uint32_t fpsr;
    uint32_t fpcr;
    uint64_t vregs[32][2]; /* __uint128_t, 16-byte aligned */
};
_Static_assert(sizeof(struct aarch64_fpsimd_context) == 528, "fpsimd_context is 528 bytes");

struct aarch64_sigcontext {
    uint64_t fault_address;
    uint64_t regs[31];
    uint64_t sp;
    uint64_t pc;
    uint64_t pstate;
    uint8_t reserved[4096] __attribute__((aligned(16)));
};

struct aarch64_ucontext {
    uint64_t uc_flags;
    uint64_t uc_link;
    struct aarch64_stack_t uc_stack;
    uint64_t uc_sigmask;
    uint8_t unused[1024 / 8 - 8]; /* glibc's sigset_t is 1024 bits */
    struct aarch64_sigcontext uc_mcontext;
};

struct aarch64_rt_sigframe {
    struct aarch64_siginfo info;
    struct aarch64_ucontext uc;
};

_Static_assert(offsetof(struct aarch64_sigcontext, reserved) == 288, "sigcontext layout");
_Static_assert(offsetof(struct aarch64_ucontext, uc_mcontext) == 176, "ucontext layout");
_Static_assert(offsetof(struct aarch64_rt_sigframe, uc) == 128, "rt_sigframe layout");
_Static_assert(sizeof(struct aarch64_rt_sigframe) == 4688, "rt_sigframe is 4688 bytes");

/* PSTATE bits rt_sigreturn refuses (Linux valid_native_regs): a mode
 * other than EL0t, AArch32, and the D, A, I, F masks. */
#define AARCH64_PSTATE_BAD  0x3dfull
#define AARCH64_PSTATE_NZCV 0xf0000000ull

/* The `mov x8, #139; svc #0` sequence of the vDSO's sigreturn
 * trampoline; libgcc's unwinder recognises signal frames by it. */
#define AARCH64_INSN_MOV_X8_139 0xd2801168u
#define AARCH64_INSN_SVC_0      0xd4000001u
#define AARCH64_INSN_NOP        0xd503201fu

/* Fills f from the vCPU's registers (x0-x30, sp, pc, NZCV, FPSR, FPCR,
 * V0-V31), the signal's info, the mask to restore on sigreturn, the
 * alternate stack as uc_stack, and fault_address. */
void sigframe_build(struct aarch64_rt_sigframe *f, const struct cpu *cpu,
                    const struct aarch64_siginfo *info, uint64_t sigmask,
                    const struct aarch64_stack_t *uc_stack, uint64_t fault_address);

/* Validates f as rt_sigreturn does (PSTATE, the __reserved records: one
 * fpsimd_context of the exact size, optional esr_context, a terminator,
 * everything 16-byte aligned and in bounds). On success loads the
 * registers into cpu (PSTATE: NZCV only) and returns true; on failure
 * returns false and leaves cpu untouched. */
bool sigframe_restore(const struct aarch64_rt_sigframe *f, struct cpu *cpu);

#endif
