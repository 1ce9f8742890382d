/* Host side of the FP differential test: generates edge-case and random
 * operands for every operation in fpdiff_ops.def under every FPCR setting
 * (4 rounding modes x DN x FZ, plus AHP/FZ16 where half precision is
 * involved), runs them through the guest program under qemu-aarch64 and
 * compares result bits and FPSR flags with dbt/fp's, case by case; then
 * runs the scalar FP instructions among them through shoal itself.
 *
 * usage: fpdiff QEMU GUEST [cases-per-setting [seed]]   exit 0 when all agree */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dbt/cpu.h"
#include "dbt/fp/fpu.h"
#include "fpdiff_dbt.h"
#include "fpdiff_gen.h"
#include "fpdiff_proto.h"

static const struct {
    const char *name;
    unsigned input, nargs;
    enum fpdiff_result_kind res;
    const char *insn;
} ops[] = {
#define X(name, input, nargs, res, insn, host) {#name, input, nargs, res, insn},
#include "fpdiff_ops.def"
#undef X
};

static uint64_t host_eval(struct cpu *cpu, uint32_t op, uint64_t a, uint64_t b, uint64_t c) {
    switch ((enum fpdiff_op)op) {
#define X(name, input, nargs, res, insn, host)                                                     \
    case OP_##name:                                                                                \
        return (host);
#include "fpdiff_ops.def"
#undef X
    case OP_COUNT: break;
    }
    return 0;
}

#define FPSR_CUMULATIVE (FPSR_IOC | FPSR_DZC | FPSR_OFC | FPSR_UFC | FPSR_IXC | FPSR_IDC)

static void report(const struct fpdiff_case *c, const struct fpdiff_result *want, uint64_t v,
                   uint32_t fpsr, const char *who, unsigned long *mismatches,
                   unsigned long *per_op) {
    uint32_t want_fpsr = want->fpsr & FPSR_CUMULATIVE;
    fpsr &= FPSR_CUMULATIVE;
    if (v == want->value && fpsr == want_fpsr) return;
    per_op[c->op]++;
    if (++*mismatches <= 40)
        printf("MISMATCH %s %-16s fpcr=%08" PRIx32 " a=%016" PRIx64 " b=%016" PRIx64
               " c=%016" PRIx64 ": qemu %016" PRIx64 " fpsr %02" PRIx32 ", shoal %016" PRIx64
               " fpsr %02" PRIx32 "\n",
               who, ops[c->op].name, c->fpcr, c->a, c->b, c->c, want->value, want_fpsr, v, fpsr);
}

static struct fpdiff_case *make_cases(unsigned per_setting, uint64_t seed, size_t *count) {
    size_t cap = 1024, n = 0;
    struct fpdiff_case *cs = malloc(cap * sizeof *cs);
    struct fpdiff_rng rng = {seed};
    for (uint32_t op = 0; op < OP_COUNT; op++) {
        /* Half precision in or out: AHP and FZ16 matter too. */
        bool half = ops[op].input == 16 || strstr(ops[op].insn, "h0") != NULL;
        unsigned settings = half ? 64 : 16;
        for (unsigned s = 0; s < settings; s++) {
            uint32_t fpcr = (s & 3) << FPCR_RMODE_SHIFT | ((s >> 2) & 1 ? FPCR_DN : 0) |
                            ((s >> 3) & 1 ? FPCR_FZ : 0) | ((s >> 4) & 1 ? FPCR_AHP : 0) |
                            ((s >> 5) & 1 ? FPCR_FZ16 : 0);
            for (unsigned k = 0; k < per_setting; k++) {
                if (n == cap) cs = realloc(cs, (cap *= 2) * sizeof *cs);
                struct fpdiff_case *c = &cs[n++];
                c->op = op;
                c->fpcr = fpcr;
                fpdiff_gen_operands(&rng, ops[op].input, ops[op].nargs, &c->a, &c->b, &c->c);
            }
        }
    }
    *count = n;
    return cs;
}

static int run_guest(const char *qemu, const char *guest, const char *in, const char *out) {
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "'%s' '%s' < '%s' > '%s'", qemu, guest, in, out);
    return system(cmd);
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s QEMU GUEST [cases-per-setting [seed]]\n", argv[0]);
        return 2;
    }
    unsigned per_setting = argc > 3 ? (unsigned)strtoul(argv[3], NULL, 0) : 64;
    uint64_t seed = argc > 4 ? strtoull(argv[4], NULL, 0) : 0x5eed5eedull;
    size_t n;
    struct fpdiff_case *cs = make_cases(per_setting, seed, &n);

    char in[] = "/tmp/fpdiff-in-XXXXXX", out[] = "/tmp/fpdiff-out-XXXXXX";
    int fin = mkstemp(in), fout = mkstemp(out);
    if (fin < 0 || fout < 0) return 2;
    FILE *f = fdopen(fin, "wb");
    fwrite(cs, sizeof *cs, n, f);
    fclose(f);
    close(fout);
    int rc = run_guest(argv[1], argv[2], in, out);
    struct fpdiff_result *rs = calloc(n, sizeof *rs);
    f = fopen(out, "rb");
    size_t got = f ? fread(rs, sizeof *rs, n, f) : 0;
    if (f) fclose(f);
    unlink(in);
    unlink(out);
    if (rc != 0 || got != n) {
        fprintf(stderr, "fpdiff: guest failed (status %d, %zu of %zu results)\n", rc, got, n);
        return 2;
    }

    /* 1: dbt/fp against qemu, operation by operation. */
    unsigned long mismatches = 0, per_op[OP_COUNT] = {0};
    for (size_t i = 0; i < n; i++) {
        const struct fpdiff_case *c = &cs[i];
        struct cpu cpu;
        memset(&cpu, 0, sizeof cpu);
        cpu.fpcr = c->fpcr;
        uint64_t v = host_eval(&cpu, c->op, c->a, c->b, c->c);
        report(c, &rs[i], v, cpu.fpsr, "fpu", &mismatches, per_op);
    }
    /* 2: the same encodings run through shoal's frontend and interpreter,
     * for the instructions of the scalar FP families. */
    unsigned long dbt_cases = 0;
    fpdiff_dbt_init();
    for (size_t i = 0; i < n; i++) {
        const struct fpdiff_case *c = &cs[i];
        if (!fpdiff_dbt_is_scalar_fp(rs[i].insn)) continue;
        struct fpdiff_result got = {0, 0, 0};
        dbt_cases++;
        if (!fpdiff_dbt_run(rs[i].insn, ops[c->op].res, c, &got)) got.value = ~rs[i].value;
        report(c, &rs[i], got.value, got.fpsr, "dbt", &mismatches, per_op);
    }
    for (unsigned op = 0; op < OP_COUNT; op++)
        if (per_op[op]) printf("  %-20s %lu mismatches\n", ops[op].name, per_op[op]);
    printf("fpdiff: %zu cases over %d operations (%lu also through the DBT), %lu mismatches\n", n,
           (int)OP_COUNT, dbt_cases, mismatches);
    free(cs);
    free(rs);
    return mismatches ? 1 : 0;
}
