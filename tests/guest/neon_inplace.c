/* Advanced SIMD integer three-same and two-register misc ops with every
 * aliasing of destination and operands (d = n, d = m, n = m, all three):
 * the JIT computes the result straight in the destination's cache
 * register and reads operands from theirs (dbt/jit/lower_vint.c, switch
 * SHOAL_JIT_DISABLE=vinplace), which is only right if no operand is read
 * after the destination is written. The three ld1 put v0-v2 in cache
 * registers in the same block, so each op below runs in place; st1 of
 * all 16 bytes also checks that 64-bit forms clear the upper half. */
#include <stdint.h>
#include <stdio.h>

#define NEON_SHOW_WIDTH 22
#include "neon_show.h"

static uint8_t A[16], B[16], C[16];

#define LOAD3 "ld1 {v0.16b}, [%1]\n\tld1 {v1.16b}, [%2]\n\tld1 {v2.16b}, [%3]\n\t"

/* OP vD.T, vN.T, vM.T */
#define R3(OP, T, D, N, M)                                                                         \
    do {                                                                                           \
        uint8_t o_[16];                                                                            \
        __asm__ volatile(LOAD3 OP " v" D "." T ", v" N "." T ", v" M "." T "\n\t"                  \
                                  "st1 {v" D ".16b}, [%0]"                                         \
                         :                                                                         \
                         : "r"(o_), "r"(A), "r"(B), "r"(C)                                         \
                         : "v0", "v1", "v2", "memory");                                            \
        show(OP "." T " " D N M, o_, 16);                                                          \
    } while (0)
#define T3(OP, T)                                                                                  \
    do {                                                                                           \
        R3(OP, T, "0", "1", "2");                                                                  \
        R3(OP, T, "0", "0", "1");                                                                  \
        R3(OP, T, "0", "1", "0");                                                                  \
        R3(OP, T, "0", "0", "0");                                                                  \
        R3(OP, T, "0", "1", "1");                                                                  \
    } while (0)

/* OP vD.T, vN.T[, #0] */
#define R2(OP, T, SUF, D, N)                                                                       \
    do {                                                                                           \
        uint8_t o_[16];                                                                            \
        __asm__ volatile(LOAD3 OP " v" D "." T ", v" N "." T SUF "\n\t"                            \
                                  "st1 {v" D ".16b}, [%0]"                                         \
                         :                                                                         \
                         : "r"(o_), "r"(A), "r"(B), "r"(C)                                         \
                         : "v0", "v1", "v2", "memory");                                            \
        show(OP "." T " " D N, o_, 16);                                                            \
    } while (0)
#define T2(OP, T, SUF)                                                                             \
    do {                                                                                           \
        R2(OP, T, SUF, "0", "1");                                                                  \
        R2(OP, T, SUF, "0", "0");                                                                  \
    } while (0)

#define SIZES_BHS(OP)                                                                              \
    do {                                                                                           \
        T3(OP, "16b");                                                                             \
        T3(OP, "8b");                                                                              \
        T3(OP, "8h");                                                                              \
        T3(OP, "4h");                                                                              \
        T3(OP, "4s");                                                                              \
        T3(OP, "2s");                                                                              \
    } while (0)
#define SIZES_ALL(OP)                                                                              \
    do {                                                                                           \
        SIZES_BHS(OP);                                                                             \
        T3(OP, "2d");                                                                              \
    } while (0)
#define MISC(OP, SUF)                                                                              \
    do {                                                                                           \
        T2(OP, "16b", SUF);                                                                        \
        T2(OP, "8b", SUF);                                                                         \
        T2(OP, "8h", SUF);                                                                         \
        T2(OP, "4s", SUF);                                                                         \
        T2(OP, "2s", SUF);                                                                         \
        T2(OP, "2d", SUF);                                                                         \
    } while (0)

int main(void) {
    /* Zeros, sign boundaries, equal lanes in A and B, lanes with A > B
     * and A < B both signed and unsigned. */
    static const uint8_t special[16] = {0x00, 0x80, 0x7f, 0xff, 0x01, 0xfe, 0x00, 0x80,
                                        0x40, 0xc0, 0x00, 0x00, 0x7f, 0x81, 0x10, 0xef};
    for (int i = 0; i < 16; i++) {
        A[i] = special[i];
        B[i] = (uint8_t)(i % 3 == 0 ? special[i] : special[15 - i] ^ (uint8_t)(i * 29));
        C[i] = (uint8_t)(i * 37 + 5);
    }
    SIZES_ALL("add");
    SIZES_ALL("sub");
    T3("mul", "8h");
    T3("mul", "4h");
    T3("mul", "4s");
    T3("mul", "2s");
    SIZES_ALL("cmeq");
    SIZES_ALL("cmgt");
    SIZES_ALL("cmge");
    SIZES_ALL("cmhi");
    SIZES_ALL("cmhs");
    SIZES_ALL("cmtst");
    SIZES_BHS("smax");
    SIZES_BHS("smin");
    SIZES_BHS("umax");
    SIZES_BHS("umin");
    SIZES_ALL("addp");
    SIZES_BHS("smaxp");
    SIZES_BHS("sminp");
    SIZES_BHS("umaxp");
    SIZES_BHS("uminp");
    T3("and", "16b");
    T3("and", "8b");
    T3("bic", "16b");
    T3("bic", "8b");
    T3("orr", "16b");
    T3("orr", "8b");
    T3("orn", "16b");
    T3("orn", "8b");
    T3("eor", "16b");
    T3("eor", "8b");
    T3("bsl", "16b");
    T3("bsl", "8b");
    T3("bit", "16b");
    T3("bit", "8b");
    T3("bif", "16b");
    T3("bif", "8b");
    MISC("cmgt", ", #0");
    MISC("cmge", ", #0");
    MISC("cmeq", ", #0");
    MISC("cmle", ", #0");
    MISC("cmlt", ", #0");
    MISC("neg", "");
    MISC("abs", "");
    T2("not", "16b", "");
    T2("not", "8b", "");
    return 0;
}
