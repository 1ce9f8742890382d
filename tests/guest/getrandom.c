/* getrandom(2): checks properties only (lengths, two draws differ, byte
 * spread), never prints the random values. */
#include "guest.h"
#include <sys/random.h>
#include <errno.h>

int main(void) {
    unsigned char a[256], b[256];
    CHECK(getrandom(a, sizeof a, 0) == (ssize_t)sizeof a);
    CHECK(getrandom(b, sizeof b, GRND_NONBLOCK) == (ssize_t)sizeof b);
    printf("two draws differ: %d\n", memcmp(a, b, sizeof a) != 0);
    int distinct = 0, seen[256] = {0};
    for (int i = 0; i < 256; i++)
        if (!seen[a[i]]++) distinct++;
    printf("at least 100 distinct byte values in 256: %d\n", distinct >= 100);
    printf("zero-length: %zd\n", getrandom(a, 0, 0));
    errno = 0;
    printf("bad flags fails with EINVAL: %d\n", getrandom(a, 8, 0x7000) == -1 && errno == EINVAL);
    unsigned char big[70000];
    ssize_t n = getrandom(big, sizeof big, 0);
    printf("large request returns >0: %d\n", n > 0);
    unsigned int r1 = arc4random(), r2 = arc4random();
    (void)r1;
    (void)r2;
    printf("arc4random_uniform(10) < 10: %d\n", arc4random_uniform(10) < 10);
    G_DONE();
}
