/* The CRC32B/H/W/X and CRC32CB/H/W/X computation: a reflected CRC update
 * of `bytes` little-endian bytes of data into crc, without the pre/post
 * inversion that the complete CRC-32 algorithm adds around it. */
#ifndef SHOAL_DBT_A64_INT_CRC32_H
#define SHOAL_DBT_A64_INT_CRC32_H

#include <stdbool.h>
#include <stdint.h>

#define A64_CRC32_POLY  0xedb88320u /* 0x04c11db7 bit-reversed (CRC-32, ISO-HDLC) */
#define A64_CRC32C_POLY 0x82f63b78u /* 0x1edc6f41 bit-reversed (CRC-32C, Castagnoli) */

uint32_t a64_crc32_update(uint32_t crc, uint64_t data, unsigned bytes, bool castagnoli);

#endif
