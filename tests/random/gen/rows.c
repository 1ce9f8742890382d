/* The generator's view of the decoder table: every row of every family
 * with the bit positions of its field letters, its family and whether it
 * accesses memory (the ldst and atomic families, plus any row whose
 * translation turns out to load or store). */
#include <stdlib.h>
#include <string.h>

#include "tests/random/gen/rgen.h"

static const struct {
    const char *name;
    const struct a64_row *rows;
} families[] = {
#define A64_FAMILY(fam) {#fam, a64_rows_##fam},
#include "dbt/a64/families.def"
#undef A64_FAMILY
};

struct rg_row *rg_rows;
unsigned rg_nrows;

const char *const rg_verdict_name[V_NUM] = {
    [V_OK] = "ok",
    [V_SHADOWED] = "decodes to another row",
    [V_SIGILL] = "frontend says SIGILL",
    [V_TERMINATOR] = "ends the block",
    [V_WRITES_SP] = "writes SP",
    [V_FAULT] = "signal in the sandbox",
    [V_POLICY] = "refused by policy",
};

uint32_t rg_deposit(uint32_t mask, uint32_t value) {
    uint32_t out = 0;
    for (uint32_t bit = 1; mask && bit; bit <<= 1) {
        if (!(mask & bit)) continue;
        if (value & 1) out |= bit;
        value >>= 1;
        mask &= ~bit;
    }
    return out;
}

uint32_t rg_extract(uint32_t word, uint32_t mask) {
    uint32_t out = 0;
    unsigned k = 0;
    for (uint32_t bit = 1; mask && bit; bit <<= 1) {
        if (!(mask & bit)) continue;
        if (word & bit) out |= 1u << k;
        k++;
        mask &= ~bit;
    }
    return out;
}

static const char *family_of(const struct a64_row *row) {
    for (size_t f = 0; f < sizeof families / sizeof families[0]; f++) {
        const struct a64_row *r = families[f].rows;
        while (r->name)
            r++;
        if (row >= families[f].rows && row < r) return families[f].name;
    }
    return "?";
}

static void parse_fields(struct rg_row *r) {
    int bit = 31;
    for (const char *p = r->row->pattern; *p && bit >= 0; p++) {
        if (*p == ' ' || *p == '_') continue;
        unsigned char ch = (unsigned char)*p;
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')) r->field[ch] |= 1u << bit;
        bit--;
    }
}

static int by_table_order(const void *pa, const void *pb) {
    const struct rg_row *a = pa, *b = pb;
    int f = strcmp(a->family, b->family);
    if (f) return f;
    return (a->row > b->row) - (a->row < b->row);
}

void rg_rows_init(void) {
    unsigned n;
    const struct a64_decoded_row *d = a64_all_rows(&n);
    rg_rows = calloc(n ? n : 1, sizeof *rg_rows);
    rg_nrows = n;
    for (unsigned i = 0; i < n; i++) {
        struct rg_row *r = &rg_rows[i];
        r->row = d[i].row;
        r->mask = d[i].mask;
        r->value = d[i].value;
        r->family = family_of(r->row);
        r->mem = strstr(r->family, "ldst") || strstr(r->family, "atomic");
        r->policy = rg_policy_for(r->row->name);
        parse_fields(r);
    }
    /* Table order (family, then row): coverage lists read like the tables. */
    qsort(rg_rows, n, sizeof *rg_rows, by_table_order);
}

int rg_row_index(const struct a64_row *row) {
    for (unsigned i = 0; i < rg_nrows; i++)
        if (rg_rows[i].row == row) return (int)i;
    return -1;
}
