/* Table-driven A64 decoder. At init every family's rows are parsed into
 * mask/value pairs and bucketed by the major opcode bits [28:25]; within a
 * bucket, rows are ordered most-specific first. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "dbt/a64/a64.h"

static const struct a64_row *const families[] = {
#define A64_FAMILY(fam) a64_rows_##fam,
#include "dbt/a64/families.def"
#undef A64_FAMILY
};

static struct a64_decoded_row *rows;
static unsigned nrows;
/* bucket[op0] = indices into rows, sorted; rows whose op0 bits are not
 * fixed appear in every bucket they can match. */
static struct {
    unsigned n;
    struct a64_decoded_row *r;
} buckets[16];
static pthread_once_t decoder_once = PTHREAD_ONCE_INIT;

bool a64_parse_pattern(const char *p, uint32_t *mask, uint32_t *value) {
    uint32_t m = 0, v = 0;
    int bits = 0;
    for (; *p; p++) {
        if (*p == ' ' || *p == '_') continue;
        if (bits == 32) return false;
        m <<= 1;
        v <<= 1;
        if (*p == '0' || *p == '1') {
            m |= 1;
            v |= (uint32_t)(*p - '0');
        } else if (!(*p == '-' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))) {
            return false;
        }
        bits++;
    }
    *mask = m;
    *value = v;
    return bits == 32;
}

static int by_specificity(const void *pa, const void *pb) {
    const struct a64_decoded_row *a = pa, *b = pb;
    int ca = __builtin_popcount(a->mask), cb = __builtin_popcount(b->mask);
    if (ca != cb) return cb - ca;
    return (a->row > b->row) - (a->row < b->row); /* stable: table order */
}

static void decoder_build(void) {
    unsigned total = 0;
    for (size_t f = 0; f < sizeof families / sizeof families[0]; f++)
        for (const struct a64_row *r = families[f]; r->name; r++)
            total++;
    rows = calloc(total, sizeof *rows);
    SHOAL_ASSERT(rows || total == 0);
    for (size_t f = 0; f < sizeof families / sizeof families[0]; f++) {
        for (const struct a64_row *r = families[f]; r->name; r++) {
            struct a64_decoded_row *d = &rows[nrows++];
            d->row = r;
            if (!a64_parse_pattern(r->pattern, &d->mask, &d->value)) {
                fprintf(stderr, "shoal: bad A64 pattern for %s: '%s'\n", r->name, r->pattern);
                abort();
            }
        }
    }
    qsort(rows, nrows, sizeof *rows, by_specificity);
    for (unsigned op0 = 0; op0 < 16; op0++) {
        uint32_t probe = op0 << 25, pmask = 0xfu << 25;
        buckets[op0].r = calloc(nrows ? nrows : 1, sizeof *rows);
        for (unsigned i = 0; i < nrows; i++) {
            uint32_t common = rows[i].mask & pmask;
            if ((probe & common) == (rows[i].value & common))
                buckets[op0].r[buckets[op0].n++] = rows[i];
        }
    }
}

void a64_decoder_init(void) {
    pthread_once(&decoder_once, decoder_build);
}

const struct a64_row *a64_decode(uint32_t insn) {
    a64_decoder_init();
    unsigned op0 = (insn >> 25) & 0xf;
    const struct a64_decoded_row *r = buckets[op0].r;
    for (unsigned i = 0, n = buckets[op0].n; i < n; i++)
        if ((insn & r[i].mask) == r[i].value) return r[i].row;
    return NULL;
}

const struct a64_decoded_row *a64_all_rows(unsigned *count) {
    a64_decoder_init();
    *count = nrows;
    return rows;
}

int a64_disas(uint32_t insn, char *buf, unsigned len) {
    const struct a64_row *row = a64_decode(insn);
    if (!row) return snprintf(buf, len, ".inst 0x%08x (unallocated)", insn);
    int n = snprintf(buf, len, "%-14s", row->name);
    /* Print each named field once, in pattern order. */
    char seen[64] = {0};
    const char *p = row->pattern;
    char flat[33];
    int k = 0;
    for (; *p && k < 32; p++)
        if (*p != ' ' && *p != '_') flat[k++] = *p;
    flat[k] = 0;
    for (int i = 0; i < 32; i++) {
        char ch = flat[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')) || strchr(seen, ch)) continue;
        seen[strlen(seen)] = ch;
        uint32_t v = 0;
        for (int j = i; j < 32; j++)
            if (flat[j] == ch) v = (v << 1) | ((insn >> (31 - j)) & 1);
        if (n < (int)len) n += snprintf(buf + n, len - (unsigned)n, " %c=%u", ch, v);
    }
    return n;
}
