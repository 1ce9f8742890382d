/* Batches: which rows go into which sequence, the initial state of each
 * sequence, and the files the guest harness is assembled from. Every
 * sequence k is a pure function of (seed, k) given the row
 * classification, so one sequence can be regenerated alone (and cut
 * short) to bisect a mismatch. The first units of the batch walk every
 * testable row once in a seeded order; the rest are uniform. */
#include <stdlib.h>
#include <string.h>

#include "tests/random/gen/rgen.h"

#define CLASSIFY_TRIES 600 /* candidates per row before giving up on it */
#define UNIT_TRIES     2000

static int *ok_rows, *perm;
static unsigned nok;
static bool classified;

static uint64_t mix(uint64_t seed, uint64_t k, uint64_t stream) {
    uint64_t s = seed ^ (k * 0x9e3779b97f4a7c15ull) ^ (stream << 56);
    rnd_next(&s);
    return rnd_next(&s);
}

static void classify(void) {
    for (unsigned i = 0; i < rg_nrows; i++) {
        struct rg_row *r = &rg_rows[i];
        if (r->policy && r->policy->exclude_reason) {
            r->status = RG_POLICY;
            r->reason = r->policy->exclude_reason;
            continue;
        }
        /* A fixed stream per row: the classification does not depend on the seed. */
        struct rg_rng rng = {mix(0x5eed, i, 7)};
        struct rg_unit u;
        r->status = RG_UNGENERATED;
        for (unsigned t = 0; t < CLASSIFY_TRIES; t++) {
            enum rg_verdict v = rg_make_unit(&rng, (int)i, &u);
            r->rejects[v]++;
            if (v == V_OK) {
                r->status = RG_OK;
                break;
            }
        }
        if (r->status == RG_OK) continue;
        if (r->rejects[V_TERMINATOR]) {
            r->status = RG_CONTROL_FLOW;
            r->reason = "ends the block (branch/exception/system): not straight-line";
            continue;
        }
        unsigned best = V_SHADOWED;
        for (unsigned v = V_SHADOWED; v < V_NUM; v++)
            if (r->rejects[v] > r->rejects[best]) best = v;
        r->reason = rg_verdict_name[best];
    }
    ok_rows = calloc(rg_nrows ? rg_nrows : 1, sizeof *ok_rows);
    for (unsigned i = 0; i < rg_nrows; i++)
        if (rg_rows[i].status == RG_OK) ok_rows[nok++] = (int)i;
}

void rg_setup(const struct rg_config *cfg) {
    static uint64_t perm_seed;
    if (!classified) {
        rg_probe_init();
        classify();
        classified = true;
    } else if (perm && perm_seed == cfg->seed) {
        return;
    }
    perm_seed = cfg->seed;
    free(perm);
    perm = malloc((nok ? nok : 1) * sizeof *perm);
    memcpy(perm, ok_rows, nok * sizeof *perm);
    struct rg_rng rng = {mix(cfg->seed, 0, 1)};
    for (unsigned i = nok; i > 1; i--) {
        unsigned j = rg_below(&rng, i);
        int t = perm[i - 1];
        perm[i - 1] = perm[j];
        perm[j] = t;
    }
}

unsigned rg_seq_len(const struct rg_config *cfg, unsigned k) {
    unsigned span = cfg->max_len - cfg->min_len + 1;
    unsigned len = cfg->min_len + (unsigned)(mix(cfg->seed, k, 2) % span);
    unsigned start = rg_seq_start(cfg, k);
    return start + len > cfg->count ? cfg->count - start : len;
}

unsigned rg_seq_start(const struct rg_config *cfg, unsigned k) {
    unsigned span = cfg->max_len - cfg->min_len + 1, start = 0;
    for (unsigned i = 0; i < k; i++)
        start += cfg->min_len + (unsigned)(mix(cfg->seed, i, 2) % span);
    return start;
}

unsigned rg_nseq(const struct rg_config *cfg) {
    unsigned span = cfg->max_len - cfg->min_len + 1, start = 0, k = 0;
    while (start < cfg->count)
        start += cfg->min_len + (unsigned)(mix(cfg->seed, k++, 2) % span);
    return k;
}

static uint64_t rand_x(struct rg_rng *rng) {
    static const uint64_t special[] = {
        0,
        1,
        ~0ull,
        0x7fffffff,
        0x80000000,
        0xffffffff,
        0x7fffffffffffffffull,
        0x8000000000000000ull,
        0x100000000ull,
        0x8000,
        0xffff,
    };
    switch (rg_below(rng, 8)) {
    case 0:
    case 1: return rg_below(rng, 256);
    case 2: return special[rg_below(rng, sizeof special / sizeof special[0])];
    case 3: return (uint32_t)rg_rand(rng);
    default: return rg_rand(rng);
    }
}

/* 64 bits of a vector register: random bits or IEEE special values. */
static uint64_t rand_v64(struct rg_rng *rng) {
    static const uint64_t f64[] = {
        0,
        0x8000000000000000ull,
        0x3ff0000000000000ull,
        0xbff0000000000000ull,
        0x7ff0000000000000ull,
        0xfff0000000000000ull,
        0x7ff8000000000000ull,
        0x7ff0000000000001ull,
        0x0000000000000001ull,
        0x800fffffffffffffull,
        0x7fefffffffffffffull,
        0x0010000000000000ull,
        0x3fe0000000000000ull,
        0x43e0000000000000ull,
        0xc3e0000000000000ull,
        0x41e0000000000000ull,
    };
    static const uint32_t f32[] = {
        0,          0x80000000, 0x3f800000, 0xbf800000, 0x7f800000, 0xff800000,
        0x7fc00000, 0x7f800001, 0x00000001, 0x807fffff, 0x7f7fffff, 0x00800000,
        0x3f000000, 0x4f000000, 0xcf000000, 0x5f000000, 0x3fc00000, 0x4b000000,
    };
    const unsigned nf64 = sizeof f64 / sizeof f64[0], nf32 = sizeof f32 / sizeof f32[0];
    switch (rg_below(rng, 6)) {
    case 0: return f64[rg_below(rng, nf64)];
    case 1: return f32[rg_below(rng, nf32)] | (uint64_t)f32[rg_below(rng, nf32)] << 32;
    case 2: /* a double of moderate magnitude: exercises rounding */
        return (rg_rand(rng) & 0x800fffffffffffffull) | (uint64_t)(0x3c0 + rg_below(rng, 0x80))
                                                            << 52;
    case 3: { /* two floats of moderate magnitude */
        uint64_t a = (rg_rand(rng) & 0x807fffff) | (uint64_t)(100 + rg_below(rng, 56)) << 23;
        uint64_t b = (rg_rand(rng) & 0x807fffff) | (uint64_t)(100 + rg_below(rng, 56)) << 23;
        return a | b << 32;
    }
    default: return rg_rand(rng);
    }
}

void rg_seq_state(const struct rg_config *cfg, unsigned k, struct rnd_in *in) {
    struct rg_rng rng = {mix(cfg->seed, k, 3)};
    memset(in, 0, sizeof *in);
    for (int i = 0; i < 31; i++)
        in->x[i] = rand_x(&rng);
    for (int i = 0; i < 32; i++) {
        uint64_t lo = rand_v64(&rng), hi = rand_v64(&rng);
        memcpy(in->v[i], &lo, 8);
        memcpy(in->v[i] + 8, &hi, 8);
    }
    in->nzcv = (rg_rand(&rng) & 0xf) << 28;
    in->fpcr = (uint64_t)rg_below(&rng, 4) << FPCR_RMODE_SHIFT;
    if (rg_below(&rng, 4) == 0) in->fpcr |= FPCR_DN;
    if (rg_below(&rng, 4) == 0) in->fpcr |= FPCR_FZ;
    if (rg_below(&rng, 4) == 0) in->fpcr |= FPCR_AHP;
    if (rg_below(&rng, 4) == 0) in->fpsr = rg_rand(&rng) & (0x9f | FPSR_QC);
    in->seed = rg_rand(&rng);
}

static void make_unit(const struct rg_config *cfg, struct rg_rng *rng, unsigned g,
                      struct rg_unit *u) {
    int row = g < nok ? perm[g] : ok_rows[rg_below(rng, nok)];
    for (unsigned t = 0;; t++) {
        if (rg_make_unit(rng, row, u) == V_OK) return;
        /* A row that is hard to hit: try another one rather than spin. */
        if (t > 0 && t % UNIT_TRIES == 0) row = ok_rows[rg_below(rng, nok)];
    }
}

void rg_seq_units(const struct rg_config *cfg, unsigned k, struct rg_unit *units) {
    rg_setup(cfg);
    struct rg_rng rng = {mix(cfg->seed, k, 4)};
    unsigned start = rg_seq_start(cfg, k), len = rg_seq_len(cfg, k);
    for (unsigned j = 0; j < len; j++)
        make_unit(cfg, &rng, start + j, &units[j]);
}

void rg_print_unit(FILE *f, const struct rg_unit *u) {
    char buf[200];
    if (u->base_reg >= 0)
        fprintf(f, "                  x%d = scratch base (movz/movk)\n", u->base_reg);
    if (u->off_reg >= 0) fprintf(f, "                  x%d = %u (movz)\n", u->off_reg, u->off_val);
    for (unsigned i = 0; i < u->npre; i++) {
        a64_disas(u->pre[i], buf, sizeof buf);
        fprintf(f, "        %08x  %s   (set-up)\n", u->pre[i], buf);
    }
    a64_disas(u->word, buf, sizeof buf);
    fprintf(f, "        %08x  %s\n", u->word, buf);
}

static void emit_unit(FILE *f, const struct rg_unit *u) {
    char buf[200];
    if (u->base_reg >= 0)
        fprintf(f, "    movz x%d, #:abs_g1:rnd_buf+%d\n    movk x%d, #:abs_g0_nc:rnd_buf+%d\n",
                u->base_reg, RND_BUF_LO, u->base_reg, RND_BUF_LO);
    if (u->off_reg >= 0) fprintf(f, "    movz x%d, #%u\n", u->off_reg, u->off_val);
    for (unsigned i = 0; i < u->npre; i++)
        fprintf(f, "    .inst 0x%08x\n", u->pre[i]);
    a64_disas(u->word, buf, sizeof buf);
    fprintf(f, "    .inst 0x%08x /* %s */\n", u->word, buf);
}

int rg_write_batch(const struct rg_config *cfg, const char *dir, int only, int upto) {
    rg_setup(cfg);
    if (!nok && cfg->count) {
        fprintf(stderr, "rnd_gen: no row of the decoder table can be generated\n");
        return -1;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/states.bin", dir);
    FILE *st = fopen(path, "wb");
    snprintf(path, sizeof path, "%s/batch.S", dir);
    FILE *f = fopen(path, "w");
    if (!st || !f) {
        perror(path);
        return -1;
    }
    unsigned first = only >= 0 ? (unsigned)only : 0;
    unsigned last = only >= 0 ? (unsigned)only + 1 : rg_nseq(cfg);
    fprintf(f, "/* generated: rnd_gen gen --seed %llu --count %u */\n",
            (unsigned long long)cfg->seed, cfg->count);
    fprintf(f, "    .section .rodata\n    .balign 16\n    .global rnd_states\nrnd_states:\n");
    fprintf(f, "    .incbin \"%s/states.bin\"\n", dir);
    fprintf(f, "    .balign 8\n    .global rnd_nseq\nrnd_nseq:\n    .quad %u\n", last - first);
    fprintf(f, "    .global rnd_seq_table\nrnd_seq_table:\n");
    for (unsigned k = first; k < last; k++)
        fprintf(f, "    .quad rnd_seq_%u\n", k);
    fprintf(f, "    .text\n");
    struct rg_unit *units = malloc((cfg->max_len + 1) * sizeof *units);
    for (unsigned k = first; k < last; k++) {
        struct rnd_in in;
        rg_seq_state(cfg, k, &in);
        fwrite(&in, sizeof in, 1, st);
        unsigned len = rg_seq_len(cfg, k);
        rg_seq_units(cfg, k, units);
        if (upto >= 0 && (unsigned)upto < len) len = (unsigned)upto;
        fprintf(f, "    .balign 16\n    .global rnd_seq_%u\nrnd_seq_%u:\n    ldr x30, [sp, #8]\n",
                k, k);
        for (unsigned j = 0; j < len; j++) {
            fprintf(f, "    /* unit %u: %s */\n", j, rg_rows[units[j].row].row->name);
            emit_unit(f, &units[j]);
            if (only < 0) rg_rows[units[j].row].hits++;
        }
        fprintf(f, "    b rnd_exit\n");
    }
    fprintf(f, "    .section .note.GNU-stack, \"\", %%progbits\n");
    free(units);
    int err = ferror(f) || ferror(st);
    if (fclose(f) || fclose(st) || err) {
        perror("rnd_gen: writing batch");
        return -1;
    }
    return 0;
}

bool rg_coverage_report(FILE *f, const struct rg_config *cfg) {
    rg_setup(cfg);
    unsigned n[4] = {0}, missed = 0;
    for (unsigned i = 0; i < rg_nrows; i++)
        n[rg_rows[i].status]++;
    fprintf(f,
            "rnd_gen: %u rows: %u generated, %u control flow, %u excluded by policy, %u not "
            "generatable\n",
            rg_nrows, n[RG_OK], n[RG_CONTROL_FLOW], n[RG_POLICY], n[RG_UNGENERATED]);
    for (unsigned i = 0; i < rg_nrows; i++) {
        const struct rg_row *r = &rg_rows[i];
        if (r->status == RG_CONTROL_FLOW || r->status == RG_POLICY)
            fprintf(f, "  excluded  %-10s %-24s %s\n", r->family, r->row->name, r->reason);
    }
    for (unsigned i = 0; i < rg_nrows; i++) {
        const struct rg_row *r = &rg_rows[i];
        if (r->status == RG_UNGENERATED) {
            fprintf(f, "  FAILED    %-10s %-24s no candidate in %u survived; rejects:", r->family,
                    r->row->name, CLASSIFY_TRIES);
            for (unsigned v = V_SHADOWED; v < V_NUM; v++)
                if (r->rejects[v]) fprintf(f, " %s=%u", rg_verdict_name[v], r->rejects[v]);
            fprintf(f, "\n");
            missed++;
        } else if (r->status == RG_OK && r->hits == 0) {
            fprintf(f, "  MISSED    %-10s %-24s allowed but not hit by this batch\n", r->family,
                    r->row->name);
            missed++;
        }
    }
    fprintf(f, "rnd_gen: coverage %u/%u allowed rows hit\n", n[RG_OK] + n[RG_UNGENERATED] - missed,
            n[RG_OK] + n[RG_UNGENERATED]);
    return missed == 0;
}
