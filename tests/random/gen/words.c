/* Drawing one candidate instruction for a row. Fields are randomised by
 * their letter (dbt/DESIGN.md): register letters d n m t u a s, the
 * immediate i, and every other letter as plain bits. Rows that access
 * memory get pinned registers so the access stays inside the harness's
 * scratch buffer: n is re-pointed at the buffer's base right before the
 * instruction, m (an offset register) gets a small value, the other
 * register fields are kept distinct from n, m and each other (writeback
 * to a transfer register and pair loads into one register are
 * UNPREDICTABLE), and i stays small. Everything else is checked by
 * actually translating and running the candidate (probe.c). */
#include <stdlib.h>
#include <string.h>

#include "tests/random/gen/rgen.h"

/* RGEN_AVOID="mask/value,...": words to leave out, to look past a known
 * bug while hunting for the next one (never set in CI). */
static bool avoided(uint32_t w) {
    static uint32_t mask[32], value[32];
    static int n = -1;
    if (n < 0) {
        n = 0;
        const char *p = getenv("RGEN_AVOID");
        while (p && *p && n < 32) {
            char *e;
            mask[n] = (uint32_t)strtoul(p, &e, 16);
            if (*e != '/') break;
            value[n] = (uint32_t)strtoul(e + 1, &e, 16);
            n++;
            p = *e == ',' ? e + 1 : e;
        }
    }
    for (int i = 0; i < n; i++)
        if ((w & mask[i]) == value[i]) return true;
    return false;
}

static bool is_reg_letter(int ch) {
    return ch && strchr("dnmtuas", ch) != NULL;
}

static unsigned width(uint32_t mask) {
    return (unsigned)__builtin_popcount(mask);
}

static uint32_t small_imm(struct rg_rng *rng, unsigned w) {
    uint32_t all = w >= 32 ? ~0u : (1u << w) - 1;
    switch (rg_below(rng, 8)) {
    case 0:
    case 1:
    case 2:
    case 3: return (uint32_t)rg_below(rng, 16) & all;
    case 4:
    case 5:
        return (uint32_t)(-(int32_t)(1 + rg_below(rng, 16))) & all; /* small negative if signed */
    case 6: return (uint32_t)rg_below(rng, 64) & all;
    default: return (uint32_t)rg_rand(rng) & all;
    }
}

/* A register number in 0..hi not in *used (bit set), then marked used. */
static unsigned pick_reg(struct rg_rng *rng, uint32_t *used, unsigned hi) {
    for (;;) {
        unsigned r = rg_below(rng, hi + 1);
        if (!(*used & (1u << r))) {
            *used |= 1u << r;
            return r;
        }
    }
}

static uint32_t mem_fields(struct rg_rng *rng, const struct rg_row *r, struct rg_unit *u) {
    uint32_t w = 0, used = 0;
    if (r->field['n']) {
        u->base_reg = (int)pick_reg(rng, &used, 30);
        w |= rg_deposit(r->field['n'], (uint32_t)u->base_reg);
    }
    if (r->field['m']) {
        unsigned m = pick_reg(rng, &used, 31);
        w |= rg_deposit(r->field['m'], m);
        if (m != 31) {
            u->off_reg = (int)m;
            u->off_val = (uint32_t)rg_below(rng, 64);
        }
    }
    for (const char *p = "tusad"; *p; p++) {
        if (!r->field[(unsigned char)*p]) continue;
        unsigned reg = pick_reg(rng, &used, 31);
        w |= rg_deposit(r->field[(unsigned char)*p], reg);
    }
    if (r->field['i']) w |= rg_deposit(r->field['i'], small_imm(rng, width(r->field['i'])));
    return w;
}

enum rg_verdict rg_make_unit(struct rg_rng *rng, int ri, struct rg_unit *u) {
    struct rg_row *r = &rg_rows[ri];
    memset(u, 0, sizeof *u);
    u->row = ri;
    u->base_reg = u->off_reg = -1;

    uint32_t fields = 0;
    for (int ch = 0; ch < 128; ch++)
        fields |= r->field[ch];
    uint32_t w = r->value;
    /* Don't-care bits are mostly zero: many are "should be zero" bits
     * whose other values are CONSTRAINED UNPREDICTABLE. */
    static int dontcare_odds; /* 1 in N words randomise them; RGEN_DONTCARE=N */
    if (!dontcare_odds) {
        const char *e = getenv("RGEN_DONTCARE");
        dontcare_odds = e && atoi(e) > 0 ? atoi(e) : 8;
    }
    if (rg_below(rng, (unsigned)dontcare_odds) == 0)
        w |= (uint32_t)rg_rand(rng) & ~r->mask & ~fields;

    if (r->mem) w |= mem_fields(rng, r, u);
    for (int ch = 0; ch < 128; ch++) {
        if (!r->field[ch]) continue;
        if (r->mem && (is_reg_letter(ch) || ch == 'i')) continue;
        w |= rg_deposit(r->field[ch], (uint32_t)rg_rand(rng));
    }
    u->word = w;

    if (r->policy && r->policy->fixup && !r->policy->fixup(rng, r, u)) return V_POLICY;
    if (avoided(u->word)) return V_POLICY;
    if (a64_decode(u->word) != r->row) return V_SHADOWED;
    bool touches = false;
    enum rg_verdict v = rg_probe(rng, r, u, &touches);
    if (v == V_OK && touches && !r->mem) {
        /* Found out the row accesses memory: from now on pin its registers. */
        r->mem = true;
        return V_FAULT;
    }
    return v;
}
