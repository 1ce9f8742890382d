/* A guest that maps single pages until the host's mapping limit
 * (vm.max_map_count) refuses one, then asks for changes at the limit:
 * an mmap that fits where pages were freed succeeds, changes that would
 * split a mapping fail with ENOMEM and leave it whole, and once
 * everything is unmapped, mapping works again. Linux prints the same
 * lines natively (ref/map_limit.linux.out, host_limit.sh); the emulator
 * must refuse the guest before its own allocations run out of mappings.
 * Counts go to stderr:
 * they differ between hosts and emulators. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MAXN 200000

static char *pg[MAXN];

static const char *result(int failed) {
    return failed ? strerror(errno) : "ok";
}

/* Maps single pages from pg[n] on, protections alternating so no two
 * merge, until one is refused or MAXN; returns the new count. */
static int fill(int n, long ps) {
    for (; n < MAXN; n++) {
        int prot = (n & 1) ? PROT_READ : PROT_READ | PROT_WRITE;
        void *p = mmap(NULL, ps, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) break;
        pg[n] = p;
    }
    return n;
}

int main(void) {
    long ps = sysconf(_SC_PAGESIZE);
    int n = fill(0, ps);
    int err = errno;
    printf("limit reached: %s (%s)\n", n < MAXN ? "yes" : "no", n < MAXN ? strerror(err) : "-");
    fprintf(stderr, "%d mappings\n", n);
    if (n == MAXN) return 0;
    for (int k = 0; k < 4; k++)
        munmap(pg[--n], ps);
    char *big = mmap(NULL, 3 * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("three pages where four went: %s\n", result(big == MAP_FAILED));
    n = fill(n, ps);
    if (big != MAP_FAILED) {
        big[0] = 1;
        big[2 * ps] = 3;
        printf("munmap of the middle: %s\n", result(munmap(big + ps, ps) != 0));
        void *q = mmap(big + ps, ps, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
        printf("mmap over the middle: %s\n", result(q == MAP_FAILED));
        printf("mprotect of the middle: %s\n", result(mprotect(big + ps, ps, PROT_READ) != 0));
        big[ps] = 2;
        printf("still whole and writable: %d %d %d\n", big[0], big[ps], big[2 * ps]);
        printf("munmap of all three: %s\n", result(munmap(big, 3 * ps) != 0));
    }
    while (n > 0)
        munmap(pg[--n], ps);
    char *again = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("after unmapping all: %s\n", result(again == MAP_FAILED));
    if (again == MAP_FAILED) return 1;
    again[0] = 7;
    printf("wrote %d\n", again[0]);
    return 0;
}
