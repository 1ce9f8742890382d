/* qsort of pseudo-random integers (libc qsort, comparator calls). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static int cmp(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 10;
    enum { N = 200000 };
    static uint32_t a[N];
    uint32_t x = 2463534242u, check = 0;
    for (long r = 0; r < n; r++) {
        for (int i = 0; i < N; i++)
            a[i] = x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        qsort(a, N, sizeof a[0], cmp);
        check = check * 31 + a[N / 2] + a[0];
    }
    printf("qsort %u\n", check);
    return 0;
}
