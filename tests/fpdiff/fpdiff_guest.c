/* AArch64 side of the FP differential test, run under qemu-aarch64: reads
 * case records (struct fpdiff_case) from stdin, runs each operation with
 * the requested FPCR and FPSR cleared, and writes struct fpdiff_result
 * records (result bits, FPSR, the insn's encoding) to stdout. */
#include <stdint.h>
#include <stdio.h>

#include "fpdiff_proto.h"

/* The operands go to d1-d3 and x1-x2; the insn writes d0, x0 or NZCV.
 * *enc receives the address of the insn itself, so that the host can
 * run the very same encoding through shoal. */
#define X(name, input, nargs, res, insn, host)                                                     \
    static void run_##name(const struct fpdiff_case *c, struct fpdiff_result *r,                   \
                           const uint32_t **enc) {                                                 \
        uint64_t d0, x0, nzcv, fpsr;                                                               \
        __asm__ volatile(                                                                          \
            "adr %[enc], 1f\n\t"                                                                   \
            "fmov d1, %[a]\n\t"                                                                    \
            "fmov d2, %[b]\n\t"                                                                    \
            "fmov d3, %[c]\n\t"                                                                    \
            "mov x1, %[a]\n\t"                                                                     \
            "mov x2, %[b]\n\t"                                                                     \
            "movi v0.2d, #0\n\t"                                                                   \
            "mov x0, #0\n\t"                                                                       \
            "msr nzcv, xzr\n\t"                                                                    \
            "msr fpcr, %[fpcr]\n\t"                                                                \
            "msr fpsr, xzr\n\t"                                                                    \
            "1: " insn "\n\t"                                                                      \
            "mrs %[fpsr], fpsr\n\t"                                                                \
            "mrs %[nzcv], nzcv\n\t"                                                                \
            "msr fpcr, xzr\n\t"                                                                    \
            "fmov %[d0], d0\n\t"                                                                   \
            "mov %[x0], x0\n\t"                                                                    \
            :                                                                                      \
            [d0] "=r"(d0), [x0] "=r"(x0), [nzcv] "=r"(nzcv), [fpsr] "=r"(fpsr), [enc] "=&r"(*enc)  \
            : [a] "r"(c->a), [b] "r"(c->b), [c] "r"(c->c), [fpcr] "r"((uint64_t)c->fpcr)           \
            : "x0", "x1", "x2", "v0", "v1", "v2", "v3", "cc");                                     \
        r->value = res == RES_F ? d0 : res == RES_X ? x0 : nzcv;                                   \
        r->fpsr = (uint32_t)fpsr;                                                                  \
    }
#include "fpdiff_ops.def"
#undef X

static void (*const runners[])(const struct fpdiff_case *, struct fpdiff_result *,
                               const uint32_t **) = {
#define X(name, input, nargs, res, insn, host) run_##name,
#include "fpdiff_ops.def"
#undef X
};

int main(void) {
    struct fpdiff_case c;
    while (fread(&c, sizeof c, 1, stdin) == 1) {
        struct fpdiff_result r = {0, 0, 0};
        const uint32_t *enc = NULL;
        if (c.op < sizeof runners / sizeof runners[0]) runners[c.op](&c, &r, &enc);
        r.insn = enc ? *enc : 0;
        if (fwrite(&r, sizeof r, 1, stdout) != 1) return 1;
    }
    return 0;
}
