/* Comparing the output streams of two runs of the same batch (reference
 * = qemu-aarch64, DUT = shoal): the first differing sequence is shown
 * with every differing register, the differing bytes of the scratch
 * buffer and the sequence's instructions. */
#include <stdlib.h>
#include <string.h>

#include "tests/random/gen/rgen.h"

#define REC_SIZE (OUT_SIZE + RND_BUF_SIZE)

static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return NULL;
    }
    size_t cap = 1 << 20, n = 0;
    char *buf = malloc(cap);
    size_t r;
    while ((r = fread(buf + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) buf = realloc(buf, cap *= 2);
    }
    fclose(f);
    *len = n;
    return buf;
}

static void flags(FILE *f, const char *what, uint64_t a, uint64_t b) {
    fprintf(f, "    %-5s ref %08llx  dut %08llx  (xor %08llx)\n", what, (unsigned long long)a,
            (unsigned long long)b, (unsigned long long)(a ^ b));
}

/* Prints the differences of one record; returns the number of differing items. */
static unsigned diff_record(FILE *f, const struct rnd_out *a, const struct rnd_out *b,
                            const uint8_t *abuf, const uint8_t *bbuf) {
    unsigned n = 0;
    for (int i = 0; i < 31; i++) {
        if (a->x[i] == b->x[i]) continue;
        fprintf(f, "    x%-4d ref %016llx  dut %016llx\n", i, (unsigned long long)a->x[i],
                (unsigned long long)b->x[i]);
        n++;
    }
    if (a->sp != b->sp) flags(f, "sp", a->sp, b->sp), n++;
    if (a->nzcv != b->nzcv) flags(f, "nzcv", a->nzcv, b->nzcv), n++;
    if (a->fpcr != b->fpcr) flags(f, "fpcr", a->fpcr, b->fpcr), n++;
    if (a->fpsr != b->fpsr) flags(f, "fpsr", a->fpsr, b->fpsr), n++;
    for (int i = 0; i < 32; i++) {
        if (!memcmp(a->v[i], b->v[i], 16)) continue;
        uint64_t al, ah, bl, bh;
        memcpy(&al, a->v[i], 8);
        memcpy(&ah, a->v[i] + 8, 8);
        memcpy(&bl, b->v[i], 8);
        memcpy(&bh, b->v[i] + 8, 8);
        fprintf(f, "    v%-4d ref %016llx:%016llx  dut %016llx:%016llx\n", i,
                (unsigned long long)ah, (unsigned long long)al, (unsigned long long)bh,
                (unsigned long long)bl);
        n++;
    }
    unsigned shown = 0, bytes = 0;
    for (unsigned o = 0; o < RND_BUF_SIZE; o++) {
        if (abuf[o] == bbuf[o]) continue;
        bytes++;
        if (shown++ < 16)
            fprintf(f, "    mem[base%+d] ref %02x  dut %02x\n", (int)o - RND_BUF_LO, abuf[o],
                    bbuf[o]);
    }
    if (bytes) fprintf(f, "    %u scratch bytes differ\n", bytes), n++;
    return n;
}

int rg_compare(const struct rg_config *cfg, const char *ref, const char *dut, int only, FILE *f) {
    size_t na = 0, nb = 0; /* slurp sets them only on success; -O3 cannot see that */
    char *a = slurp(ref, &na), *b = slurp(dut, &nb);
    if (!a || !b) return 2;
    struct rnd_header ha, hb = {0};
    if (na < sizeof ha || memcmp(a, &(uint32_t){RND_MAGIC}, 4)) {
        fprintf(f, "reference output %s is not a harness stream\n", ref);
        return 2;
    }
    memcpy(&ha, a, sizeof ha);
    if (nb >= sizeof hb) memcpy(&hb, b, sizeof hb);
    if (hb.magic != RND_MAGIC) {
        fprintf(f, "DUT output %s has no harness header (%zu bytes): it did not start\n", dut, nb);
        return 1;
    }
    unsigned recs_a = (unsigned)((na - sizeof ha) / REC_SIZE);
    unsigned recs_b = (unsigned)((nb - sizeof hb) / REC_SIZE);
    unsigned bad = 0, first = ~0u;
    for (unsigned k = 0; k < recs_a && k < recs_b; k++) {
        const char *ra = a + sizeof ha + (size_t)k * REC_SIZE;
        const char *rb = b + sizeof hb + (size_t)k * REC_SIZE;
        if (!memcmp(ra, rb, REC_SIZE)) continue;
        unsigned seq = only >= 0 ? (unsigned)only : k;
        if (bad++ == 0) {
            first = seq;
            fprintf(f, "MISMATCH in sequence %u (seed %llu):\n", seq,
                    (unsigned long long)cfg->seed);
            struct rnd_out oa, ob;
            memcpy(&oa, ra, sizeof oa);
            memcpy(&ob, rb, sizeof ob);
            diff_record(f, &oa, &ob, (const uint8_t *)ra + OUT_SIZE,
                        (const uint8_t *)rb + OUT_SIZE);
        }
    }
    /* A stream that stops early: that emulator died in the next sequence. */
    if (recs_a < ha.nseq || recs_b < ha.nseq) {
        unsigned stop = recs_a < recs_b ? recs_a : recs_b;
        unsigned seq = only >= 0 ? (unsigned)only : stop;
        fprintf(f, "%s output stops after %u of %u sequences: it died in sequence %u\n",
                recs_a < recs_b    ? "REFERENCE"
                : recs_a == recs_b ? "both"
                                   : "DUT",
                stop, ha.nseq, seq);
        if (first == ~0u || seq < first) first = seq;
        bad++;
    }
    if (bad) {
        fprintf(f, "%u difference(s); first in sequence %u\n", bad, first);
        fprintf(f, "FIRST_MISMATCH %u\n", first);
    }
    free(a);
    free(b);
    return bad ? 1 : 0;
}
