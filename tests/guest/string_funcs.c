/* glibc string functions (SIMD-optimized, ifunc-selected) over every
 * alignment 0..15 and lengths 0..300, checked against naive versions.
 * Prints one checksum per function family. */
#include "guest.h"
#include <inttypes.h>

#define BUF 352
static unsigned char src_[BUF + 64], dst_[BUF + 64], ref_[BUF + 64];

static void fill(unsigned char *p, size_t n, uint64_t *s) {
    for (size_t i = 0; i < n; i++) {
        p[i] = (unsigned char)(g_rand(s) % 250 + 1);
    }
}
static size_t n_strlen(const char *s) {
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}
static int n_memcmp(const unsigned char *a, const unsigned char *b, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
    return 0;
}
static int n_strcmp(const unsigned char *a, const unsigned char *b) {
    for (;; a++, b++) {
        if (*a != *b) return *a < *b ? -1 : 1;
        if (!*a) return 0;
    }
}
static int n_strncmp(const unsigned char *a, const unsigned char *b, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
        if (!a[i]) return 0;
    }
    return 0;
}
static int sgn(int x) {
    return (x > 0) - (x < 0);
}

int main(void) {
    uint64_t seed = 1234, hc = 0, hs = 0, hm = 0, hx = 0;
    long checks = 0;
    size_t lens[] = {0,  1,  2,  3,  4,  5,  7,   8,   9,   15,  16,  17,  31,  32,
                     33, 47, 63, 64, 65, 95, 127, 128, 129, 200, 255, 256, 257, 300};
    for (int sa = 0; sa < 16; sa++)
        for (int da = 0; da < 16; da += (sa == da ? 1 : 3)) /* all alignments, pairs sampled */
            for (unsigned li = 0; li < sizeof lens / sizeof lens[0]; li++) {
                size_t n = lens[li];
                unsigned char *s = src_ + sa, *d = dst_ + da;
                fill(src_, sizeof src_, &seed);
                fill(dst_, sizeof dst_, &seed);
                memcpy(ref_, dst_, sizeof dst_);
                /* memcpy */
                memcpy(d, s, n);
                for (size_t i = 0; i < n; i++)
                    ref_[da + i] = s[i];
                CHECK(n_memcmp(dst_, ref_, sizeof dst_) == 0);
                checks++;
                hc = g_fnv(hc, dst_, sizeof dst_);
                /* memcmp / strncmp: equal, then differing at a random position */
                CHECK(memcmp(d, s, n) == 0);
                if (n) {
                    size_t k = g_rand(&seed) % n;
                    d[k] ^= 0x80;
                    CHECK(sgn(memcmp(d, s, n)) == n_memcmp(d, s, n));
                    hx = g_fnv64(hx, sgn(memcmp(s, d, n)) + 2 * k);
                }
                /* memset */
                int byte = (int)(g_rand(&seed) & 0xff);
                memset(d, byte, n);
                for (size_t i = 0; i < n; i++)
                    ref_[da + i] = (unsigned char)byte;
                if (n) d[n - 1] ^= 0x80, ref_[da + n - 1] ^= 0x80;
                memcpy(ref_, dst_, da);
                memcpy(ref_ + da + n, dst_ + da + n, sizeof dst_ - da - n);
                CHECK(n_memcmp(dst_, ref_, sizeof dst_) == 0);
                hm = g_fnv(hm, dst_, sizeof dst_);
                /* strings: NUL-terminate source at n */
                s[n] = 0;
                CHECK(strlen((char *)s) == n);
                CHECK(strnlen((char *)s, n / 2) == n / 2);
                CHECK(strnlen((char *)s, n + 5) == n);
                strcpy((char *)d, (char *)s);
                CHECK(n_strcmp(d, s) == 0 && strcmp((char *)d, (char *)s) == 0);
                if (n) {
                    unsigned char ch = s[g_rand(&seed) % n];
                    char *p1 = strchr((char *)s, ch), *p2 = strrchr((char *)s, ch);
                    size_t first = 0;
                    while (s[first] != ch)
                        first++;
                    size_t last = n - 1;
                    while (s[last] != ch)
                        last--;
                    CHECK(p1 == (char *)s + first && p2 == (char *)s + last);
                    CHECK(memchr(s, ch, n) == s + first);
                    CHECK(memrchr(s, ch, n) == s + last);
                    CHECK(strchr((char *)s, 0) == (char *)s + n);
                    hs = g_fnv64(hs, first * 1000 + last);
                    size_t k = g_rand(&seed) % n;
                    d[k] = (unsigned char)(d[k] + 7);
                    if (!d[k]) d[k] = 1;
                    CHECK(sgn(strcmp((char *)d, (char *)s)) == n_strcmp(d, s));
                    size_t m = g_rand(&seed) % (n + 2);
                    CHECK(sgn(strncmp((char *)d, (char *)s, m)) == n_strncmp(d, s, m));
                    hs = g_fnv64(hs, sgn(strcmp((char *)s, (char *)d)) +
                                         3 * sgn(strncmp((char *)s, (char *)d, m)));
                }
                CHECK(memchr(s, 0xff + 0 * n, n) == memchr(s, 0xff, n));
                checks += 12;
            }
    /* memmove with every overlap direction */
    for (int off = -20; off <= 20; off++)
        for (unsigned li = 0; li < sizeof lens / sizeof lens[0]; li++) {
            size_t n = lens[li];
            fill(dst_, sizeof dst_, &seed);
            memcpy(ref_, dst_, sizeof dst_);
            unsigned char *s = dst_ + 24, *d = dst_ + 24 + off;
            unsigned char tmp[BUF];
            memcpy(tmp, ref_ + 24, n);
            memcpy(ref_ + 24 + off, tmp, n);
            memmove(d, s, n);
            CHECK(n_memcmp(dst_, ref_, sizeof dst_) == 0);
            hx = g_fnv(hx, dst_, sizeof dst_);
            checks++;
        }
    char str[64] = "hello, world";
    printf("strlen %zu strstr %s strspn %zu strcspn %zu strpbrk %s\n", n_strlen(str),
           strstr(str, "wor"), strspn(str, "lohe"), strcspn(str, ",w"), strpbrk(str, "wr"));
    strcat(str, "!!");
    const char *volatile abc = "abcdef";
    strncat(str, abc, 3);
    printf("%s %d\n", str, (int)strlen(str));
    char *dup = strdup(str);
    char *save, *tok;
    int nt = 0;
    for (tok = strtok_r(dup, " ,!", &save); tok; tok = strtok_r(NULL, " ,!", &save))
        printf("tok[%d]=%s\n", nt++, tok);
    free(dup);
    printf("checks %ld memcpy %016" PRIx64 " memset %016" PRIx64 " str %016" PRIx64
           " cmp/move %016" PRIx64 "\n",
           checks, hc, hm, hs, hx);
    G_DONE();
}
