/* Guest side of the random-instruction test: rnd_enter(in, out, code)
 * loads the whole architectural state from *in, runs a generated
 * sequence at `code` on a private stack, and rnd_exit (where every
 * sequence branches at its end) stores the resulting state into *out.
 *
 * Every x register is live in the sequence, so the trampoline parks the
 * code address and the initial x30 on the private stack: each generated
 * sequence starts with `ldr x30, [sp, #8]`. The sequences never write SP
 * (the generator rejects such words), so rnd_exit finds its slots there. */
#include "tests/random/rnd_state.h"

    .text
    .global _start
_start:
    mov x29, #0
    mov x30, #0
    bl rnd_main
    mov x8, #94 /* exit_group */
    svc #0

    .global rnd_enter
rnd_enter:
    adrp x9, rnd_save
    add x9, x9, :lo12:rnd_save
    stp x19, x20, [x9, #0]
    stp x21, x22, [x9, #16]
    stp x23, x24, [x9, #32]
    stp x25, x26, [x9, #48]
    stp x27, x28, [x9, #64]
    stp x29, x30, [x9, #80]
    mov x10, sp
    stp x10, x1, [x9, #96]      /* host SP, out pointer */
    stp d8, d9, [x9, #112]
    stp d10, d11, [x9, #128]
    stp d12, d13, [x9, #144]
    stp d14, d15, [x9, #160]

    adrp x10, rnd_stack
    add x10, x10, :lo12:rnd_stack
    add x10, x10, #(RND_STACK_SIZE - RND_SP_OFF)
    mov sp, x10

    ldr x10, [x0, #IN_FPCR]
    msr fpcr, x10
    ldr x10, [x0, #IN_FPSR]
    msr fpsr, x10
    ldr x10, [x0, #IN_NZCV]
    msr nzcv, x10
    clrex

    add x10, x0, #IN_V
    ldp q0, q1, [x10], #32
    ldp q2, q3, [x10], #32
    ldp q4, q5, [x10], #32
    ldp q6, q7, [x10], #32
    ldp q8, q9, [x10], #32
    ldp q10, q11, [x10], #32
    ldp q12, q13, [x10], #32
    ldp q14, q15, [x10], #32
    ldp q16, q17, [x10], #32
    ldp q18, q19, [x10], #32
    ldp q20, q21, [x10], #32
    ldp q22, q23, [x10], #32
    ldp q24, q25, [x10], #32
    ldp q26, q27, [x10], #32
    ldp q28, q29, [x10], #32
    ldp q30, q31, [x10], #32

    ldr x10, [x0, #(IN_X + 30 * 8)]
    stp x2, x10, [sp]           /* [sp] = code, [sp+8] = initial x30 */
    ldp x2, x3, [x0, #16]
    ldp x4, x5, [x0, #32]
    ldp x6, x7, [x0, #48]
    ldp x8, x9, [x0, #64]
    ldp x10, x11, [x0, #80]
    ldp x12, x13, [x0, #96]
    ldp x14, x15, [x0, #112]
    ldp x16, x17, [x0, #128]
    ldp x18, x19, [x0, #144]
    ldp x20, x21, [x0, #160]
    ldp x22, x23, [x0, #176]
    ldp x24, x25, [x0, #192]
    ldp x26, x27, [x0, #208]
    ldp x28, x29, [x0, #224]
    ldp x0, x1, [x0, #0]
    ldr x30, [sp]
    br x30

    .global rnd_exit
rnd_exit:
    stp x0, x1, [sp, #16]
    adrp x0, rnd_save
    add x0, x0, :lo12:rnd_save
    ldr x0, [x0, #104]          /* out */
    stp x2, x3, [x0, #(OUT_X + 16)]
    stp x4, x5, [x0, #(OUT_X + 32)]
    stp x6, x7, [x0, #(OUT_X + 48)]
    stp x8, x9, [x0, #(OUT_X + 64)]
    stp x10, x11, [x0, #(OUT_X + 80)]
    stp x12, x13, [x0, #(OUT_X + 96)]
    stp x14, x15, [x0, #(OUT_X + 112)]
    stp x16, x17, [x0, #(OUT_X + 128)]
    stp x18, x19, [x0, #(OUT_X + 144)]
    stp x20, x21, [x0, #(OUT_X + 160)]
    stp x22, x23, [x0, #(OUT_X + 176)]
    stp x24, x25, [x0, #(OUT_X + 192)]
    stp x26, x27, [x0, #(OUT_X + 208)]
    stp x28, x29, [x0, #(OUT_X + 224)]
    str x30, [x0, #(OUT_X + 240)]
    ldp x2, x3, [sp, #16]
    stp x2, x3, [x0, #OUT_X]
    mov x2, sp
    str x2, [x0, #OUT_SP]
    mrs x2, nzcv
    str x2, [x0, #OUT_NZCV]
    mrs x2, fpcr
    str x2, [x0, #OUT_FPCR]
    mrs x2, fpsr
    str x2, [x0, #OUT_FPSR]
    add x2, x0, #OUT_V
    stp q0, q1, [x2], #32
    stp q2, q3, [x2], #32
    stp q4, q5, [x2], #32
    stp q6, q7, [x2], #32
    stp q8, q9, [x2], #32
    stp q10, q11, [x2], #32
    stp q12, q13, [x2], #32
    stp q14, q15, [x2], #32
    stp q16, q17, [x2], #32
    stp q18, q19, [x2], #32
    stp q20, q21, [x2], #32
    stp q22, q23, [x2], #32
    stp q24, q25, [x2], #32
    stp q26, q27, [x2], #32
    stp q28, q29, [x2], #32
    stp q30, q31, [x2], #32

    msr fpcr, xzr
    msr fpsr, xzr
    adrp x9, rnd_save
    add x9, x9, :lo12:rnd_save
    ldp x19, x20, [x9, #0]
    ldp x21, x22, [x9, #16]
    ldp x23, x24, [x9, #32]
    ldp x25, x26, [x9, #48]
    ldp x27, x28, [x9, #64]
    ldp x29, x30, [x9, #80]
    ldr x10, [x9, #96]
    mov sp, x10
    ldp d8, d9, [x9, #112]
    ldp d10, d11, [x9, #128]
    ldp d12, d13, [x9, #144]
    ldp d14, d15, [x9, #160]
    ret

    .bss
    .balign 16
rnd_save:
    .skip 176
    .balign 16
rnd_stack:
    .skip RND_STACK_SIZE
    .balign 4096
    .global rnd_buf
rnd_buf:
    .skip RND_BUF_SIZE
    .section .note.GNU-stack, "", %progbits
