/* Sieve of Eratosthenes, repeated. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 10;
    enum { LIMIT = 2000000 };
    static unsigned char comp[LIMIT + 1];
    long count = 0;
    for (long r = 0; r < n; r++) {
        memset(comp, 0, sizeof comp);
        count = 0;
        for (long i = 2; i <= LIMIT; i++) {
            if (comp[i]) continue;
            count++;
            for (long j = i * i; j <= LIMIT; j += i)
                comp[j] = 1;
        }
    }
    printf("primes %ld\n", count);
    return 0;
}
