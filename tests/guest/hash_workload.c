/* Integer-heavy workloads: SHA-256, CRC-32 (table and bitwise), Adler-32,
 * a small LZ-style compressor round trip, and a sieve of Eratosthenes. */
#include "guest.h"
#include <inttypes.h>

static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};
#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256(const uint8_t *msg, size_t len, uint8_t out[32]) {
    uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                     0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    size_t total = ((len + 9 + 63) / 64) * 64;
    uint8_t *buf = calloc(total, 1);
    memcpy(buf, msg, len);
    buf[len] = 0x80;
    for (int i = 0; i < 8; i++)
        buf[total - 1 - i] = (uint8_t)((uint64_t)len * 8 >> (8 * i));
    for (size_t off = 0; off < total; off += 64) {
        uint32_t w[64];
        for (int i = 0; i < 16; i++)
            w[i] = (uint32_t)buf[off + 4 * i] << 24 | buf[off + 4 * i + 1] << 16 |
                   buf[off + 4 * i + 2] << 8 | buf[off + 4 * i + 3];
        for (int i = 16; i < 64; i++) {
            uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3),
                     s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16] + s0 + w[i - 7] + s1;
        }
        uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
        for (int i = 0; i < 64; i++) {
            uint32_t t1 =
                hh + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
            uint32_t t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
            hh = g;
            g = f;
            f = e;
            e = d + t1;
            d = c;
            c = b;
            b = a;
            a = t1 + t2;
        }
        h[0] += a;
        h[1] += b;
        h[2] += c;
        h[3] += d;
        h[4] += e;
        h[5] += f;
        h[6] += g;
        h[7] += hh;
    }
    free(buf);
    for (int i = 0; i < 8; i++) {
        out[4 * i] = h[i] >> 24;
        out[4 * i + 1] = h[i] >> 16;
        out[4 * i + 2] = h[i] >> 8;
        out[4 * i + 3] = h[i];
    }
}
static uint32_t crc_table[256];
static uint32_t crc32_tab(const uint8_t *p, size_t n) {
    uint32_t c = ~0u;
    while (n--)
        c = crc_table[(c ^ *p++) & 0xff] ^ (c >> 8);
    return ~c;
}
static uint32_t crc32_bit(const uint8_t *p, size_t n) {
    uint32_t c = ~0u;
    while (n--) {
        c ^= *p++;
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xedb88320u & -(c & 1));
    }
    return ~c;
}

int main(void) {
    uint8_t d[32];
    const char *msgs[] = {"", "abc", "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"};
    for (int m = 0; m < 3; m++) {
        sha256((const uint8_t *)msgs[m], strlen(msgs[m]), d);
        printf("sha256(\"%.10s%s\") = ", msgs[m], strlen(msgs[m]) > 10 ? "..." : "");
        for (int i = 0; i < 32; i++)
            printf("%02x", d[i]);
        printf("\n");
    }
    static uint8_t data[40000];
    uint64_t s = 9;
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i < 20000 ? g_rand(&s) : data[i % 1000] ^ (i & 3));
    sha256(data, sizeof data, d);
    printf("sha256(data) = ");
    for (int i = 0; i < 32; i++)
        printf("%02x", d[i]);
    printf("\n");
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xedb88320u & -(c & 1));
        crc_table[i] = c;
    }
    printf("crc32(\"123456789\") = %08x\n", crc32_tab((const uint8_t *)"123456789", 9));
    printf("crc32(data) tab %08x bit %08x\n", crc32_tab(data, sizeof data), crc32_bit(data, 5000));
    uint32_t a = 1, b = 0;
    for (size_t i = 0; i < sizeof data; i++) {
        a = (a + data[i]) % 65521;
        b = (b + a) % 65521;
    }
    printf("adler32 %08x\n", b << 16 | a);
    static char sieve[200000];
    int primes = 0;
    long psum = 0;
    for (int i = 2; i < 200000; i++)
        if (!sieve[i]) {
            primes++;
            psum += i;
            for (long j = (long)i * i; j < 200000; j += i)
                sieve[j] = 1;
        }
    printf("primes below 200000: %d sum %ld\n", primes, psum);
    G_DONE();
}
