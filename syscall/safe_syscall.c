/* safe_syscall (see safe_syscall.h). The x86-64 version is assembly so
 * that the window between the pending test and the `syscall` instruction
 * has known bounds the signal handler can check. */
#define _GNU_SOURCE
#include "syscall/safe_syscall.h"

#include <errno.h>
#include <stdint.h>
#include <ucontext.h>
#include <unistd.h>

#if defined(__x86_64__)

/* C arguments: rdi = pending, rsi = nr, rdx rcx r8 r9 [rsp+8] [rsp+16] =
 * a1..a6. Kernel: rax = nr, rdi rsi rdx r10 r8 r9 = a1..a6; it clobbers
 * rcx and r11. rbp (callee-saved) keeps the pending pointer. */
__asm__(".text\n"
        ".globl safe_syscall_base\n"
        ".hidden safe_syscall_base\n"
        ".type safe_syscall_base, @function\n"
        "safe_syscall_base:\n"
        ".cfi_startproc\n"
        "    push %rbp\n"
        ".cfi_adjust_cfa_offset 8\n"
        ".cfi_rel_offset %rbp, 0\n"
        "    mov %rsi, %rax\n"
        "    mov %rdi, %rbp\n"
        "    mov %rdx, %rdi\n"
        "    mov %rcx, %rsi\n"
        "    mov %r8, %rdx\n"
        "    mov %r9, %r10\n"
        "    mov 16(%rsp), %r8\n"
        "    mov 24(%rsp), %r9\n"
        ".globl safe_syscall_start\n"
        ".hidden safe_syscall_start\n"
        "safe_syscall_start:\n"
        "    cmpl $0, (%rbp)\n"
        "    jnz 1f\n"
        "    syscall\n"
        ".globl safe_syscall_end\n"
        ".hidden safe_syscall_end\n"
        "safe_syscall_end:\n"
        "    pop %rbp\n"
        ".cfi_remember_state\n"
        ".cfi_adjust_cfa_offset -8\n"
        ".cfi_restore %rbp\n"
        "    ret\n"
        ".cfi_restore_state\n"
        "1:  mov $-4095, %rax\n" /* -SAFE_SYSCALL_NOT_STARTED */
        "    pop %rbp\n"
        ".cfi_adjust_cfa_offset -8\n"
        ".cfi_restore %rbp\n"
        "    ret\n"
        ".cfi_endproc\n"
        ".size safe_syscall_base, .-safe_syscall_base\n");

_Static_assert(SAFE_SYSCALL_NOT_STARTED == 4095, "the constant in the assembly above");

extern const char safe_syscall_start[], safe_syscall_end[];

void safe_syscall_rewind(void *ucv) {
    ucontext_t *uc = ucv;
    uintptr_t pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
    /* pc == end: the syscall already ran (and returned -EINTR or its
     * result); pc == start: the test has not run yet. */
    if (pc > (uintptr_t)safe_syscall_start && pc < (uintptr_t)safe_syscall_end)
        uc->uc_mcontext.gregs[REG_RIP] = (greg_t)(uintptr_t)safe_syscall_start;
}

#else

long safe_syscall_base(volatile int *pending, long nr, long a1, long a2, long a3, long a4, long a5,
                       long a6) {
    if (*pending) return -SAFE_SYSCALL_NOT_STARTED;
    /* A signal arriving here is only seen when the syscall returns. */
    long r = syscall(nr, a1, a2, a3, a4, a5, a6);
    return r < 0 ? -errno : r;
}

void safe_syscall_rewind(void *uc) {
    (void)uc;
}

#endif
