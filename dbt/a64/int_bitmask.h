/* DecodeBitMasks() of the Arm ARM for the logical-immediate forms: the
 * (N, immr, imms) encoding of a rotated, replicated run of ones. */
#ifndef SHOAL_DBT_A64_INT_BITMASK_H
#define SHOAL_DBT_A64_INT_BITMASK_H

#include <stdbool.h>
#include <stdint.h>

/* Fills *imm with the datasize-bit (32 or 64) mask and returns true, or
 * returns false for a reserved encoding (the instruction is unallocated). */
bool a64_decode_bitmask_imm(unsigned n, unsigned immr, unsigned imms, unsigned datasize,
                            uint64_t *imm);

#endif
