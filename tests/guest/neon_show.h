/* Vector values printed by the NEON guest tests: the name in a column of
 * NEON_SHOW_WIDTH characters, then the bytes from the highest, in groups
 * of four unless NEON_SHOW_GROUPED is 0 (each test keeps the layout of
 * its reference output). OPAQUE hides a value from the optimizer, so the
 * instruction under test is really emitted. */
#include <stdint.h>
#include <stdio.h>

#ifndef NEON_SHOW_WIDTH
#define NEON_SHOW_WIDTH 14
#endif
#ifndef NEON_SHOW_GROUPED
#define NEON_SHOW_GROUPED 1
#endif

#define OPAQUE(v) __asm__ volatile("" : "+w"(v))

static void show(const char *n, const void *p, int bytes) {
    const uint8_t *b = p;
    printf("%-*s", NEON_SHOW_WIDTH, n);
    for (int i = bytes - 1; i >= 0; i--)
        printf("%02x%s", b[i], NEON_SHOW_GROUPED && i && i % 4 == 0 ? "_" : "");
    printf("\n");
}
#define SHOW(n, v)                                                                                 \
    do {                                                                                           \
        __typeof__(v) t_ = (v);                                                                    \
        show(n, &t_, sizeof t_);                                                                   \
    } while (0)
