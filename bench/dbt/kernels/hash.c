/* Integer hashing: mixes (murmur3 finalizer, xorshift) over an array. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint64_t fmix(uint64_t k) {
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdull;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ull;
    return k ^ (k >> 33);
}

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 1000;
    enum { N = 4096 };
    static uint64_t a[N];
    uint64_t x = 88172645463325252ull, h = 0;
    for (int i = 0; i < N; i++)
        a[i] = x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    for (long r = 0; r < n; r++)
        for (int i = 0; i < N; i++) {
            a[i] = fmix(a[i] + (uint64_t)r);
            h = (h ^ a[i]) * 0x100000001b3ull;
        }
    printf("hash %016llx\n", (unsigned long long)h);
    return 0;
}
