/* String and memory functions from libc over varied lengths. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 100;
    enum { N = 1 << 16 };
    static char a[N + 64], b[N + 64];
    unsigned long check = 0;
    for (int i = 0; i < N; i++)
        a[i] = (char)('a' + i % 26);
    a[N] = 0;
    for (long r = 0; r < n; r++) {
        size_t len = (size_t)(1000 + (r * 7919) % (N - 2000));
        memcpy(b + (r & 7), a + (r & 3), len);
        b[(r & 7) + len] = 0;
        check += strlen(b + (r & 7));
        check += (unsigned long)(memcmp(a, b + (r & 7), len / 2) != 0);
        memset(b, (int)(r & 0x7f), len / 3);
        check += (unsigned long)(strchr(a + 1, 'z') - a);
        memmove(b + 1, b, len / 2);
        check += (unsigned char)b[len / 4];
    }
    printf("string %lu\n", check);
    return 0;
}
