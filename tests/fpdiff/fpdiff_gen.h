/* Operand generator of the FP differential test: deterministic, biased
 * towards the values where FP implementations go wrong. */
#ifndef SHOAL_TESTS_FPDIFF_GEN_H
#define SHOAL_TESTS_FPDIFF_GEN_H

#include <stdint.h>

struct fpdiff_rng {
    uint64_t state;
};

uint64_t fpdiff_rand(struct fpdiff_rng *r);

/* input: 16/32/64 for FP operands, 132/164 for 32/64-bit integers. */
void fpdiff_gen_operands(struct fpdiff_rng *r, unsigned input, unsigned nargs, uint64_t *a,
                         uint64_t *b, uint64_t *c);

#endif
