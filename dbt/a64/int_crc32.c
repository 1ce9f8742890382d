/* Bitwise reflected CRC update: rare enough in compiled code (it needs
 * -march=...+crc) that a table is not worth its cache footprint. */
#include "dbt/a64/int_crc32.h"

uint32_t a64_crc32_update(uint32_t crc, uint64_t data, unsigned bytes, bool castagnoli) {
    uint32_t poly = castagnoli ? A64_CRC32C_POLY : A64_CRC32_POLY;
    for (unsigned i = 0; i < bytes; i++) {
        crc ^= (uint8_t)(data >> (8 * i));
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (poly & (0u - (crc & 1)));
    }
    return crc;
}
