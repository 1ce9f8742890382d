/* rnd_gen: the host side of the random-instruction differential test.
 * It draws instruction words from the decoder table (a64_all_rows()),
 * keeps only words our own frontend runs as straight-line code, and
 * writes a batch (assembly + initial states) for the guest harness. */
#ifndef SHOAL_TESTS_RANDOM_RGEN_H
#define SHOAL_TESTS_RANDOM_RGEN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "dbt/a64/a64.h"
#include "tests/random/rnd_state.h"

/* ---- rows (rows.c) ---- */

enum rg_status {
    RG_OK,           /* generated and run in batches */
    RG_CONTROL_FLOW, /* every accepted decoding ends the block: not testable here */
    RG_POLICY,       /* excluded on purpose (policy.c says why) */
    RG_UNGENERATED,  /* no candidate word survived the checks: a failure */
};

/* Why a candidate word was rejected (see probe.c). */
enum rg_verdict {
    V_OK,
    V_SHADOWED,   /* decodes to another (more specific) row */
    V_SIGILL,     /* our frontend translates it to SIGILL */
    V_TERMINATOR, /* ends the block (branch, SVC, BRK, ...) */
    V_WRITES_SP,  /* would move the stack pointer the harness relies on */
    V_FAULT,      /* raised a signal when run in the sandbox */
    V_POLICY,     /* refused by a policy fix-up */
    V_NUM
};
extern const char *const rg_verdict_name[V_NUM];

struct rg_row {
    const struct a64_row *row;
    const char *family;
    uint32_t mask, value;
    uint32_t field[128]; /* bit positions of each field letter */
    bool mem;            /* accesses memory: base/offset registers are pinned */
    enum rg_status status;
    const char *reason;
    const struct rg_policy *policy;
    unsigned hits;
    unsigned rejects[V_NUM];
};

extern struct rg_row *rg_rows;
extern unsigned rg_nrows;
void rg_rows_init(void);
int rg_row_index(const struct a64_row *row);

/* Deposit/extract a field value into/from the bit positions in mask. */
uint32_t rg_deposit(uint32_t mask, uint32_t value);
uint32_t rg_extract(uint32_t word, uint32_t mask);

/* ---- one generated instruction and its set-up (words.c) ---- */

struct rg_unit {
    int row; /* index into rg_rows */
    uint32_t word;
    int base_reg; /* >= 0: set to the scratch buffer's base before the insn */
    int off_reg;  /* >= 0: set to off_val before the insn */
    uint32_t off_val;
    unsigned npre; /* raw words run before (after the set-up), e.g. LDXR for STXR */
    uint32_t pre[2];
};

struct rg_rng {
    uint64_t s;
};
static inline uint64_t rg_rand(struct rg_rng *r) {
    return rnd_next(&r->s);
}
static inline unsigned rg_below(struct rg_rng *r, unsigned n) {
    return (unsigned)(rg_rand(r) % n);
}

/* Draws one candidate for row r (fields randomised per the letter
 * convention) and checks it; returns the verdict, *u filled on V_OK. */
enum rg_verdict rg_make_unit(struct rg_rng *rng, int r, struct rg_unit *u);

/* ---- policies for rows that need more than the generic rules (policy.c) ---- */

struct rg_policy {
    const char *name;           /* row name, or prefix ending in '*' */
    const char *exclude_reason; /* non-NULL: never generated */
    /* Adjusts a candidate (e.g. picks a safe system register); false to reject. */
    bool (*fixup)(struct rg_rng *rng, const struct rg_row *r, struct rg_unit *u);
};
const struct rg_policy *rg_policy_for(const char *name);

/* ---- checking candidates (probe.c) ---- */

void rg_probe_init(void);
/* Translates and runs the unit (set-up included) in a private sandbox. */
enum rg_verdict rg_probe(struct rg_rng *rng, const struct rg_row *r, const struct rg_unit *u,
                         bool *touches_memory);

/* ---- batches (batch.c) ---- */

struct rg_config {
    uint64_t seed;
    unsigned count; /* instructions in the whole batch */
    unsigned min_len, max_len;
};

/* Classifies every row (once) and orders the rows for cfg's seed. */
void rg_setup(const struct rg_config *cfg);
/* Number of sequences and first global unit index of sequence k. */
unsigned rg_nseq(const struct rg_config *cfg);
unsigned rg_seq_start(const struct rg_config *cfg, unsigned k);
unsigned rg_seq_len(const struct rg_config *cfg, unsigned k);
void rg_seq_state(const struct rg_config *cfg, unsigned k, struct rnd_in *in);
/* Generates sequence k's units (array of rg_seq_len entries). */
void rg_seq_units(const struct rg_config *cfg, unsigned k, struct rg_unit *units);

/* Writes dir/batch.S and dir/states.bin; only >= 0 selects one sequence,
 * upto limits it to its first units. Returns 0 or -1. */
int rg_write_batch(const struct rg_config *cfg, const char *dir, int only, int upto);
void rg_print_unit(FILE *f, const struct rg_unit *u);
/* Prints coverage; returns false when an allowed row was never hit. */
bool rg_coverage_report(FILE *f, const struct rg_config *cfg);

/* ---- comparing two runs (compare.c) ---- */

/* Returns 0 when equal, 1 on mismatch (report on f), 2 on bad input. */
int rg_compare(const struct rg_config *cfg, const char *ref, const char *dut, int only, FILE *f);

#endif
