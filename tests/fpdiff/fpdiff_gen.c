/* Operand generator: a mix of specials (zeros, infinities, NaNs with
 * payloads, denormals, extreme normals), values at and around rounding
 * boundaries (ties for round-to-integer, integer limits 2^15..2^64),
 * operands whose exponents line up with the others' (cancellation in
 * add/sub/FMA), and plain random bits. */
#include "fpdiff_gen.h"

#include <stdbool.h>

uint64_t fpdiff_rand(struct fpdiff_rng *r) {
    /* splitmix64: deterministic and good enough for test data */
    uint64_t z = (r->state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

struct layout {
    unsigned ebits, fbits;
};

static uint64_t pack(const struct layout *l, bool sign, uint64_t biased, uint64_t frac) {
    uint64_t emax = (1ull << l->ebits) - 1;
    if (biased > emax) biased = emax;
    return ((uint64_t)sign << (l->ebits + l->fbits)) | (biased << l->fbits) |
           (frac & ((1ull << l->fbits) - 1));
}

static uint64_t biased_exp(const struct layout *l, uint64_t bits) {
    return (bits >> l->fbits) & ((1ull << l->ebits) - 1);
}

/* A fraction whose low `low` bits follow a pattern that sits on, just
 * below or just above the halfway point, or is random. */
static uint64_t boundary_frac(struct fpdiff_rng *r, const struct layout *l, unsigned low) {
    uint64_t frac = fpdiff_rand(r);
    if (low == 0 || low > l->fbits) return frac;
    uint64_t mask = low == 64 ? ~0ull : (1ull << low) - 1, half = 1ull << (low - 1);
    uint64_t pat;
    switch (fpdiff_rand(r) % 6) {
    case 0: pat = 0; break;
    case 1: pat = half; break;
    case 2: pat = half - 1; break;
    case 3: pat = half + 1; break;
    case 4: pat = mask; break;
    default: pat = fpdiff_rand(r); break;
    }
    return (frac & ~mask) | (pat & mask);
}

static uint64_t gen_float(struct fpdiff_rng *r, const struct layout *l, uint64_t other) {
    uint64_t rnd = fpdiff_rand(r);
    bool sign = rnd & 1;
    uint64_t emax = (1ull << l->ebits) - 1, bias = emax >> 1;
    uint64_t frac = fpdiff_rand(r), quiet = 1ull << (l->fbits - 1);
    switch ((rnd >> 1) % 22) {
    case 0: return pack(l, sign, 0, 0);
    case 1: return pack(l, sign, emax, 0);
    case 2: return pack(l, sign, emax, frac | quiet);
    case 3: return pack(l, sign, emax, (frac & (quiet - 1)) | 1);
    case 4: return pack(l, sign, 0, frac >> (fpdiff_rand(r) % l->fbits));
    case 5: {
        switch (fpdiff_rand(r) % 4) {
        case 0: return pack(l, sign, 1, 0);            /* smallest normal */
        case 1: return pack(l, sign, emax - 1, ~0ull); /* largest normal */
        case 2: return pack(l, sign, 0, ~0ull);        /* largest denormal */
        default: return pack(l, sign, 0, 1);           /* smallest denormal */
        }
    }
    case 6:
    case 7: return frac & (l->ebits + l->fbits == 63 ? ~0ull : (2ull << (l->ebits + l->fbits)) - 1);
    case 8:
    case 9:
    case 10: {
        /* Near integers: ties and near-ties of round-to-integral. */
        unsigned e = (unsigned)(fpdiff_rand(r) % (l->fbits + 3));
        unsigned low = e >= l->fbits ? 0 : l->fbits - e;
        uint64_t be = bias + e - 1 - (fpdiff_rand(r) % 3 == 0);
        return pack(l, sign, be, boundary_frac(r, l, low));
    }
    case 11:
    case 12: {
        /* Around the integer limits of conversions. */
        static const unsigned limits[] = {15, 16, 31, 32, 52, 53, 63, 64};
        unsigned e = limits[fpdiff_rand(r) % 8] - (fpdiff_rand(r) % 2);
        uint64_t f;
        switch (fpdiff_rand(r) % 4) {
        case 0: f = 0; break;
        case 1: f = ~0ull; break;
        case 2: f = 1; break;
        default: f = boundary_frac(r, l, e >= l->fbits ? 1 : l->fbits - e); break;
        }
        return pack(l, sign, bias + e > emax - 1 ? emax - 1 : bias + e, f);
    }
    case 13:
    case 14:
    case 15: {
        /* Exponent close to the other operand's: cancellation, ties. */
        uint64_t be = biased_exp(l, other) + (fpdiff_rand(r) % 5) - 2;
        if (be > emax) be = 1;
        uint64_t f = fpdiff_rand(r) % 2 ? other ^ (fpdiff_rand(r) % 8) : frac;
        return pack(l, sign, be, f);
    }
    case 16: return pack(l, sign, emax - 1 - fpdiff_rand(r) % 3, frac);
    case 17: return pack(l, sign, 1 + fpdiff_rand(r) % 3, frac);
    case 18: return pack(l, sign, 1 + fpdiff_rand(r) % (emax - 1), frac << (l->fbits - 2));
    case 19: return pack(l, sign, 1 + fpdiff_rand(r) % (emax - 1), fpdiff_rand(r) % 2 ? ~0ull : 1);
    default: {
        /* Magnitudes around 1, and in the half-precision range. */
        int e = (int)(fpdiff_rand(r) % 45) - 26;
        return pack(l, sign, (uint64_t)((int64_t)bias + e), frac);
    }
    }
}

static uint64_t gen_int(struct fpdiff_rng *r, unsigned bits) {
    uint64_t v = fpdiff_rand(r), pick = fpdiff_rand(r);
    uint64_t top = 1ull << (bits - 1);
    switch (pick % 8) {
    case 0: {
        static const uint64_t edge[] = {
            0,          1,          ~0ull,     0x7fffffffffffffffull, 0x8000000000000000ull,
            0xffffffff, 0x7fffffff, 0x80000000};
        v = edge[fpdiff_rand(r) % 8];
        if (bits == 32 && fpdiff_rand(r) % 2) v = (v & 0xffffffff) | (top * (v >> 63));
        break;
    }
    case 1:
    case 2: v >>= fpdiff_rand(r) % 64; break;
    case 3: {
        /* A significand of 24 or 53 bits plus a tie or near tie below. */
        unsigned p = fpdiff_rand(r) % 2 ? 24 : 53, sh = (unsigned)(fpdiff_rand(r) % 12);
        uint64_t m = (1ull << (p - 1)) | (fpdiff_rand(r) & ((1ull << (p - 1)) - 1));
        v = (m << sh) | ((sh ? 1ull << (sh - 1) : 0) + (int)(fpdiff_rand(r) % 3) - 1);
        break;
    }
    case 4: v = (fpdiff_rand(r) % 2 ? 1ull : ~0ull) << (fpdiff_rand(r) % 64); break;
    default: break;
    }
    if (pick & 8) v = -v;
    return bits == 32 ? v & 0xffffffff : v;
}

void fpdiff_gen_operands(struct fpdiff_rng *r, unsigned input, unsigned nargs, uint64_t *a,
                         uint64_t *b, uint64_t *c) {
    static const struct layout half = {5, 10}, single = {8, 23}, dbl = {11, 52};
    *a = *b = *c = 0;
    if (input > 100) {
        *a = gen_int(r, input - 100);
        return;
    }
    const struct layout *l = input == 16 ? &half : input == 32 ? &single : &dbl;
    *a = gen_float(r, l, gen_float(r, l, 0));
    if (nargs > 1) *b = gen_float(r, l, *a);
    if (nargs > 2) {
        /* The addend of an FMA near the product's magnitude. */
        uint64_t bias = ((1ull << l->ebits) - 1) >> 1;
        uint64_t prod_exp = biased_exp(l, *a) + biased_exp(l, *b) - bias;
        uint64_t like_prod = pack(l, 0, prod_exp & ((1ull << l->ebits) - 1), *a ^ *b);
        *c = gen_float(r, l, fpdiff_rand(r) % 2 ? like_prod : *b);
    }
}
