/* libFuzzer target: rt_sigreturn's frame check (syscall/sigframe.h) on
 * arbitrary bytes. sigframe_restore() must either refuse the frame and
 * leave the vCPU untouched, or accept it and load only valid state
 * (NZCV-only PSTATE, FPCR/FPSR bits that exist); it must never crash.
 * Short inputs are laid over a valid frame, so the fuzzer can reach the
 * record walk without having to find the magic first. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "syscall/sigframe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static struct aarch64_rt_sigframe f;
    struct cpu cpu, before;
    memset(&cpu, 0, sizeof cpu);
    const struct aarch64_stack_t ss = {.ss_flags = 2};
    sigframe_build(&f, &cpu, NULL, 0, &ss, 0);
    /* first byte: where the input goes (the ucontext, or __reserved) */
    size_t at = 0;
    if (size > 0) {
        at = data[0] & 1 ? offsetof(struct aarch64_rt_sigframe, uc.uc_mcontext.reserved)
                         : offsetof(struct aarch64_rt_sigframe, uc);
        data++, size--;
    }
    if (size > sizeof f - at) size = sizeof f - at;
    memcpy((uint8_t *)&f + at, data, size);
    for (int i = 0; i < 32; i++)
        cpu.x[i] = 0x1111111111111111ull * (uint64_t)(i & 15);
    before = cpu;
    if (!sigframe_restore(&f, &cpu)) {
        if (memcmp(&cpu, &before, sizeof cpu)) abort();
        return 0;
    }
    if (cpu.nzcv & 0x0fffffffu) abort();
    if ((cpu.fpcr & ~0x07ff0000u) || (cpu.fpsr & ~0xf800009fu)) abort();
    if (cpu.pc != f.uc.uc_mcontext.pc || cpu.x[31] != f.uc.uc_mcontext.sp) abort();
    return 0;
}
