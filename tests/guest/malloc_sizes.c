/* malloc/calloc/realloc/free of many sizes (brk arena and mmap'd chunks),
 * memalign/posix_memalign, sbrk movement (printed only as booleans). */
#include "guest.h"
#include <inttypes.h>
#include <malloc.h>
#include <unistd.h>

int main(void) {
    void *brk0 = sbrk(0);
    static void *ptr[4096];
    static size_t sz[4096];
    uint64_t s = 3, h = 0;
    for (int round = 0; round < 4; round++) {
        for (int i = 0; i < 4096; i++) {
            if (ptr[i] && (g_rand(&s) & 1)) {
                unsigned char *p = ptr[i];
                for (size_t k = 0; k < sz[i]; k += 97)
                    CHECK(p[k] == (unsigned char)(i + k));
                free(p);
                ptr[i] = NULL;
            }
            if (!ptr[i]) {
                size_t n = (size_t)1 << (g_rand(&s) % 13);
                n += g_rand(&s) % n;
                if (i % 512 == 0) n = 200000 + g_rand(&s) % 100000; /* mmap threshold */
                unsigned char *p = (i & 3) ? malloc(n) : calloc(1, n);
                CHECK(p != NULL);
                CHECK(((uintptr_t)p & 15) == 0);
                if (!(i & 3))
                    for (size_t k = 0; k < n; k += 61)
                        CHECK(p[k] == 0);
                for (size_t k = 0; k < n; k += 97)
                    p[k] = (unsigned char)(i + k);
                ptr[i] = p;
                sz[i] = n;
                h = g_fnv64(h, n);
            }
        }
    }
    /* realloc growth/shrink keeps contents */
    unsigned char *r = NULL;
    size_t rn = 0;
    for (int i = 0; i < 40; i++) {
        size_t nn = (i % 7 == 6) ? rn / 3 : rn * 2 + 17;
        r = realloc(r, nn);
        for (size_t k = rn; k < nn; k++)
            r[k] = (unsigned char)(k * 13);
        for (size_t k = 0; k < nn && k < rn; k += 7)
            CHECK(r[k] == (unsigned char)(k * 13));
        rn = nn;
        if (rn > (1u << 22)) rn = 1000, r = realloc(r, rn);
    }
    free(r);
    for (size_t al = 16; al <= 65536; al *= 4) {
        void *p = memalign(al, 1000);
        void *q = NULL;
        CHECK(posix_memalign(&q, al, 333) == 0);
        CHECK(((uintptr_t)p % al) == 0 && ((uintptr_t)q % al) == 0);
        void *a = aligned_alloc(al, al * 2);
        CHECK(((uintptr_t)a % al) == 0);
        free(p);
        free(q);
        free(a);
    }
    for (int i = 0; i < 4096; i++)
        free(ptr[i]);
    void *brk1 = sbrk(0);
    printf("brk moved up: %d\n", (char *)brk1 > (char *)brk0);
    void *b2 = sbrk(8192);
    CHECK(b2 == brk1);
    memset(b2, 0x5a, 8192);
    CHECK(sbrk(-8192) == (char *)brk1 + 8192);
    CHECK(sbrk(0) == brk1);
    printf("malloc(0) non-null: %d, size checksum %016" PRIx64 "\n", malloc(0) != NULL, h);
    G_DONE();
}
