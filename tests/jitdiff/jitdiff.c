/* JIT-vs-interpreter differential test. Random straight-line instruction
 * sequences come from the random-instruction generator (tests/random/gen,
 * drawn from the decoder table); every sequence runs from the same random
 * state on three vCPUs: the interpreter (reference), the JIT, and the JIT
 * without register allocation or chaining. An SVC after every few units
 * ends a block and returns to us, and the full vCPU state (x, sp, pc,
 * NZCV, FPCR, FPSR, v, exclusive monitor, the exit) plus the scratch
 * buffer are compared after every such block.
 *
 *   jitdiff [--seed N] [--count INSNS] [--batch INSNS] [--fp-runs N]
 * --fp-runs first runs N directed blocks of adjacent scalar FP ops.
 * Exit status: 0 all equal, 1 mismatch (reported on stderr). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "common/log.h"
#include "dbt/dbt.h"
#include "tests/random/gen/rgen.h"

#define MEM_SIZE  (1u << 20)
#define CODE_ADDR 0x10000u
#define BUF_ADDR  0x40000u /* scratch buffer; base registers point at + RND_BUF_LO */
#define STACK_TOP 0x80000u
#define MAX_WORDS 4096
#define RECYCLE   2000 /* sequences per dbt (invalidated blocks are kept until destroy) */

enum { T_INTERP, T_JIT, T_NAIVE, NTIERS };
static const char *const tier_name[NTIERS] = {"interp", "jit", "jit --no-regalloc --no-chain"};

struct tier {
    struct dbt *d;
    struct cpu cpu;
    struct dbt_options opt;
};
static struct tier tiers[NTIERS];

static void tiers_create(void) {
    for (int k = 0; k < NTIERS; k++) {
        struct tier *t = &tiers[k];
        memset(&t->opt, 0, sizeof t->opt);
        t->opt.interp_only = k == T_INTERP;
        t->opt.no_regalloc = t->opt.no_chain = k == T_NAIVE;
        t->d = dbt_create(&t->opt);
        dbt_cpu_init(t->d, &t->cpu);
    }
}

static void tiers_destroy(void) {
    for (int k = 0; k < NTIERS; k++) {
        dbt_cpu_fini(&tiers[k].cpu);
        dbt_destroy(tiers[k].d);
    }
}

static uint32_t movz(unsigned rd, unsigned imm16, unsigned hw) {
    return 0xd2800000u | hw << 21 | imm16 << 5 | rd;
}
static uint32_t movk(unsigned rd, unsigned imm16) {
    return 0xf2800000u | imm16 << 5 | rd;
}
#define SVC0 0xd4000001u

/* Lays out units as guest code with their set-up; an SVC after every
 * 1..8 units. Returns the number of words. */
static unsigned build_code(const struct rg_unit *u, unsigned n, uint32_t *w, uint64_t *rng) {
    unsigned nw = 0, left = 0;
    uint32_t base = BUF_ADDR + RND_BUF_LO;
    for (unsigned k = 0; k < n; k++) {
        if (left == 0) left = 1 + (unsigned)(rnd_next(rng) % 8);
        if (u[k].base_reg >= 0) {
            w[nw++] = movz((unsigned)u[k].base_reg, base >> 16, 1);
            w[nw++] = movk((unsigned)u[k].base_reg, base & 0xffff);
        }
        if (u[k].off_reg >= 0) w[nw++] = movz((unsigned)u[k].off_reg, u[k].off_val, 0);
        for (unsigned p = 0; p < u[k].npre; p++)
            w[nw++] = u[k].pre[p];
        w[nw++] = u[k].word;
        if (--left == 0) w[nw++] = SVC0;
    }
    w[nw++] = SVC0;
    return nw;
}

static void set_state(struct cpu *c, const struct rnd_in *in) {
    for (int r = 0; r < 31; r++)
        c->x[r] = in->x[r];
    c->x[31] = STACK_TOP - RND_SP_OFF;
    c->nzcv = (uint32_t)in->nzcv;
    c->fpcr = (uint32_t)in->fpcr;
    c->fpsr = (uint32_t)in->fpsr;
    memcpy(c->v, in->v, sizeof c->v);
    c->excl_size = 0;
    c->pc = CODE_ADDR;
    uint64_t s = in->seed;
    uint64_t *m = (uint64_t *)(c->guest_base + BUF_ADDR);
    for (unsigned i = 0; i < RND_BUF_SIZE / 8; i++)
        m[i] = rnd_next(&s);
}

static void report_words(const uint32_t *w, unsigned nw) {
    for (unsigned k = 0; k < nw; k++) {
        char buf[160];
        a64_disas(w[k], buf, sizeof buf);
        fprintf(stderr, "  0x%05x: %08x  %s\n", CODE_ADDR + 4 * k, w[k], buf);
    }
}

/* The FP/SIMD state the failing block started from. */
static void report_before(const struct cpu *c) {
    fprintf(stderr, "state before the block: nzcv 0x%08x fpcr 0x%08x fpsr 0x%08x\n", c->nzcv,
            c->fpcr, c->fpsr);
    for (int r = 0; r < 32; r++)
        fprintf(stderr, "  v%-2d 0x%016" PRIx64 "%016" PRIx64 "%s", r, c->v[r].d[1], c->v[r].d[0],
                r % 2 ? "\n" : "");
}

/* Compares tier k with the interpreter; prints differences. */
static bool same_state(int k, int exit0, int exitk) {
    const struct cpu *a = &tiers[T_INTERP].cpu, *b = &tiers[k].cpu;
    bool ok = true;
#define DIFF(fmt, name, x, y)                                                                      \
    do {                                                                                           \
        if ((x) != (y)) {                                                                          \
            fprintf(stderr, "  %-8s interp " fmt "  %s " fmt "\n", name, x, tier_name[k], y);      \
            ok = false;                                                                            \
        }                                                                                          \
    } while (0)
    DIFF("%d", "exit", exit0, exitk);
    DIFF("0x%" PRIx64, "pc", a->pc, b->pc);
    for (int r = 0; r < 32; r++) {
        char n[8];
        snprintf(n, sizeof n, r == 31 ? "sp" : "x%d", r);
        DIFF("0x%016" PRIx64, n, a->x[r], b->x[r]);
    }
    DIFF("0x%08x", "nzcv", a->nzcv, b->nzcv);
    DIFF("0x%08x", "fpcr", a->fpcr, b->fpcr);
    DIFF("0x%08x", "fpsr", a->fpsr, b->fpsr);
    DIFF("%u", "excl_sz", a->excl_size, b->excl_size);
    if (a->excl_size) DIFF("0x%" PRIx64, "excl_ad", a->excl_addr, b->excl_addr);
    if (exit0 == CPU_EXIT_SIGNAL) {
        DIFF("%d", "signo", a->exit_signo, b->exit_signo);
        DIFF("0x%" PRIx64, "si_addr", a->exit_addr, b->exit_addr);
    }
    for (int r = 0; r < 32; r++) {
        char n[8];
        snprintf(n, sizeof n, "v%d", r);
        DIFF("0x%016" PRIx64, n, a->v[r].d[0], b->v[r].d[0]);
        DIFF("0x%016" PRIx64, n, a->v[r].d[1], b->v[r].d[1]);
    }
    if (memcmp(a->guest_base + BUF_ADDR, b->guest_base + BUF_ADDR, RND_BUF_SIZE)) {
        fprintf(stderr, "  scratch buffer differs\n");
        ok = false;
    }
#undef DIFF
    return ok;
}

/* Runs words from state in on every tier, comparing after each stop;
 * false (reported) on a mismatch. */
static bool run_seq(const uint32_t *words, unsigned nw, const struct rnd_in *in, uint64_t *blocks) {
    for (int k = 0; k < NTIERS; k++) {
        struct cpu *c = &tiers[k].cpu;
        memcpy(c->guest_base + CODE_ADDR, words, nw * 4);
        dbt_invalidate(tiers[k].d, CODE_ADDR, nw * 4);
        set_state(c, in);
    }
    uint64_t end = CODE_ADDR + 4ull * nw;
    for (unsigned blk = 0;; blk++) {
        int exit[NTIERS];
        struct cpu before = tiers[T_INTERP].cpu;
        for (int k = 0; k < NTIERS; k++)
            exit[k] = dbt_run(&tiers[k].cpu);
        (*blocks)++;
        for (int k = 1; k < NTIERS; k++) {
            if (!same_state(k, exit[0], exit[k])) {
                fprintf(stderr, "jitdiff: MISMATCH (%s) after stop %u (pc 0x%" PRIx64 "); code:\n",
                        tier_name[k], blk, tiers[0].cpu.pc);
                report_words(words, nw);
                report_before(&before);
                return false;
            }
        }
        if (exit[0] != CPU_EXIT_SVC || tiers[0].cpu.pc >= end) return true;
    }
}

/* Operand values for the FP runs: signed zeros, the normal/subnormal
 * boundary (times 1 - ulp/2 a product rounds up to the least normal:
 * tiny before rounding for Arm, not after for x86), NaN payloads (quiet and signalling),
 * infinities, extremes. */
static const uint64_t fp_d[] = {0,
                                0x8000000000000000ull,
                                0x3ff0000000000000ull,
                                0xbff8000000000000ull,
                                0x0010000000000000ull,
                                0x0010000000000001ull,
                                0x000fffffffffffffull,
                                0x0000000000000001ull,
                                0x3fefffffffffffffull,
                                0x0010000000000003ull,
                                0x7fefffffffffffffull,
                                0x7ff0000000000000ull,
                                0xfff0000000000000ull,
                                0x7ff8000000001234ull,
                                0xfff8000000000567ull,
                                0x7ff0000000000042ull,
                                0x3fd5555555555555ull,
                                0x1a56e1fc2f8f359full,
                                0x6a4d3c25e68dc57full,
                                0x2000000000000001ull,
                                0x1ff0000000000000ull,
                                0xc00921fb54442d18ull};
static const uint32_t fp_s[] = {
    0,          0x80000000, 0x3f800000, 0xbfc00000, 0x00800000, 0x00800001, 0x007fffff, 0x00000001,
    0x3f7fffff, 0x00800003, 0x7f7fffff, 0x7f800000, 0xff800000, 0x7fc01234, 0xffc00567, 0x7f800042,
    0x3eaaaaab, 0x1f000001, 0x60000001, 0x20000001, 0x1f800000, 0xc0490fdb};

/* Directed: blocks of 2..8 adjacent scalar FP ops (the lowering shares
 * one FPCR gate between them) on special values, under every FPCR
 * rounding mode with FZ and DN on and off; FPSR compared after each. */
static bool fp_runs(uint64_t seed, unsigned n, uint64_t *blocks) {
    uint64_t rng = seed * 0x9e3779b97f4a7c15ull + 1;
    uint32_t words[16];
    for (unsigned s = 0; s < n; s++) {
        unsigned len = 2 + (unsigned)(rnd_next(&rng) % 7), nw = 0;
        for (unsigned k = 0; k < len; k++) {
            uint32_t r = (uint32_t)rnd_next(&rng), type = (r >> 30) & 1;
            uint32_t d = r & 3, nn = (r >> 3) & 3, m = (r >> 6) & 3, a = (r >> 9) & 3;
            switch ((r >> 12) % 3) {
            case 0: { /* FMUL FDIV FADD FSUB FNMUL */
                static const uint32_t opc[] = {0, 1, 2, 3, 8};
                words[nw++] =
                    0x1e200800u | type << 22 | m << 16 | opc[(r >> 16) % 5] << 12 | nn << 5 | d;
                break;
            }
            case 1: /* FSQRT, FCVT to the other precision */
                words[nw++] = 0x1e204000u | type << 22 |
                              ((r >> 16) & 1 ? 3u
                               : type        ? 4u
                                             : 5u)
                                  << 15 |
                              nn << 5 | d;
                break;
            default: /* FMADD FMSUB FNMADD FNMSUB */
                words[nw++] = 0x1f000000u | type << 22 | ((r >> 16) & 1) << 21 | m << 16 |
                              ((r >> 17) & 1) << 15 | a << 10 | nn << 5 | d;
            }
        }
        words[nw++] = SVC0;
        struct rnd_in in;
        memset(&in, 0, sizeof in);
        /* Every other run with the default FPCR: the fast paths. */
        unsigned f = s & 1 ? 0 : s >> 1;
        in.fpcr = (uint64_t)(f & 3) << FPCR_RMODE_SHIFT | ((f >> 2) & 1 ? FPCR_FZ : 0) |
                  ((f >> 3) & 1 ? FPCR_DN : 0);
        in.seed = rng;
        for (unsigned v = 0; v < 4; v++) {
            uint64_t x = rnd_next(&rng), lo;
            if (x & 1)
                lo = fp_d[(x >> 8) % (sizeof fp_d / sizeof fp_d[0])];
            else
                lo = (x >> 32 & 0xffffffff00000000ull) |
                     fp_s[(x >> 8) % (sizeof fp_s / sizeof fp_s[0])];
            if ((x >> 4 & 7) == 0) lo = x; /* an arbitrary value */
            memcpy(in.v[v], &lo, 8);
            uint64_t hi = rnd_next(&rng);
            memcpy(in.v[v] + 8, &hi, 8);
        }
        if (!run_seq(words, nw, &in, blocks)) {
            fprintf(stderr, "jitdiff: fp run %u (seed %" PRIu64 ")\n", s, seed);
            return false;
        }
    }
    return true;
}

int main(int argc, char **argv) {
    uint64_t seed = 1;
    unsigned count = 1000000, batch = 100000, fpn = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--seed"))
            seed = strtoull(argv[i + 1], NULL, 0);
        else if (!strcmp(argv[i], "--count"))
            count = (unsigned)strtoul(argv[i + 1], NULL, 0);
        else if (!strcmp(argv[i], "--batch"))
            batch = (unsigned)strtoul(argv[i + 1], NULL, 0);
        else if (!strcmp(argv[i], "--fp-runs"))
            fpn = (unsigned)strtoul(argv[i + 1], NULL, 0);
        else {
            fprintf(stderr,
                    "usage: jitdiff [--seed N] [--count INSNS] [--batch INSNS] [--fp-runs N]\n");
            return 2;
        }
    }
    tiers_create(); /* dbt_create initialises the decoder tables rg_rows_init reads */
    rg_rows_init();
    dbt_install_fault_handler();
    for (int k = 0; k < NTIERS; k++) {
        tiers[k].cpu.guest_base =
            mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        SHOAL_ASSERT(tiers[k].cpu.guest_base != MAP_FAILED);
        tiers[k].cpu.guest_size = MEM_SIZE;
    }
    static struct rg_unit units[256];
    static uint32_t words[MAX_WORDS];
    uint64_t insns = 0, blocks = 0, seqs = 0;
    if (fpn && !fp_runs(seed, fpn, &blocks)) return 1;
    /* Batches with their own seeds keep the generator's per-sequence cost
     * flat; each batch walks every row of the table first. */
    for (unsigned bno = 0; insns < count; bno++) {
        struct rg_config cfg = {
            .seed = seed * 1000003u + bno, .count = batch, .min_len = 20, .max_len = 50};
        rg_setup(&cfg);
        unsigned nseq = rg_nseq(&cfg);
        for (unsigned s = 0; s < nseq && insns < count; s++, seqs++) {
            unsigned len = rg_seq_len(&cfg, s);
            SHOAL_ASSERT(len <= 256);
            rg_seq_units(&cfg, s, units);
            struct rnd_in in;
            rg_seq_state(&cfg, s, &in);
            uint64_t lay = cfg.seed ^ (uint64_t)s << 32;
            unsigned nw = build_code(units, len, words, &lay);
            SHOAL_ASSERT(nw <= MAX_WORDS);
            if (seqs % RECYCLE == 0 && seqs) {
                tiers_destroy();
                tiers_create();
            }
            if (!run_seq(words, nw, &in, &blocks)) {
                fprintf(stderr, "jitdiff: seed %" PRIu64 " batch %u sequence %u\n", seed, bno, s);
                return 1;
            }
            insns += nw;
        }
    }
    printf("jitdiff: %" PRIu64 " guest insns, %" PRIu64 " sequences, %" PRIu64
           " blocks compared on %d tiers: all equal\n",
           insns, seqs, blocks, NTIERS);
    return 0;
}
