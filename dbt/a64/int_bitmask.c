/* DecodeBitMasks(immediate = TRUE) from the Arm ARM. */
#include "dbt/a64/int_bitmask.h"

bool a64_decode_bitmask_imm(unsigned n, unsigned immr, unsigned imms, unsigned datasize,
                            uint64_t *imm) {
    /* The element size is 2^len where len is the highest set bit of N:NOT(imms). */
    unsigned combined = ((n & 1) << 6) | (~imms & 0x3f);
    if (combined < 2) return false; /* len < 1 */
    unsigned len = 31u - (unsigned)__builtin_clz(combined);
    unsigned esize = 1u << len;
    if (esize > datasize) return false;
    unsigned levels = esize - 1;
    unsigned s = imms & levels, r = immr & levels;
    /* A run of esize ones would be all-ones: reserved for the immediate forms. */
    if (s == levels) return false;
    uint64_t emask = esize == 64 ? ~0ull : (1ull << esize) - 1;
    uint64_t elem = (1ull << (s + 1)) - 1; /* s + 1 < esize <= 64 */
    if (r) elem = ((elem >> r) | (elem << (esize - r))) & emask;
    for (unsigned e = esize; e < 64; e *= 2)
        elem |= elem << e;
    *imm = datasize == 32 ? (uint32_t)elem : elem;
    return true;
}
