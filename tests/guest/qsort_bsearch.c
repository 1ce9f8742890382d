/* qsort (glibc's merge/quick sort) with several comparators, bsearch,
 * plus a hand-written heap sort as cross-check. */
#include "guest.h"
#include <inttypes.h>

struct rec {
    int key;
    unsigned seq;
    char name[12];
};

static int cmp_int(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}
static int cmp_dbl(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}
static int cmp_rec(const void *a, const void *b) {
    const struct rec *x = a, *y = b;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    return strcmp(x->name, y->name) ? strcmp(x->name, y->name)
                                    : (x->seq > y->seq) - (x->seq < y->seq);
}
static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void heapsort_u64(uint64_t *v, size_t n) {
    for (size_t k = n / 2; k-- > 0;)
        for (size_t i = k;;) {
            size_t c = 2 * i + 1;
            if (c >= n) break;
            if (c + 1 < n && v[c + 1] > v[c]) c++;
            if (v[i] >= v[c]) break;
            uint64_t t = v[i];
            v[i] = v[c];
            v[c] = t;
            i = c;
        }
    for (size_t e = n; e-- > 1;) {
        uint64_t t = v[0];
        v[0] = v[e];
        v[e] = t;
        for (size_t i = 0;;) {
            size_t c = 2 * i + 1;
            if (c >= e) break;
            if (c + 1 < e && v[c + 1] > v[c]) c++;
            if (v[i] >= v[c]) break;
            t = v[i];
            v[i] = v[c];
            v[c] = t;
            i = c;
        }
    }
}
static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

int main(void) {
    uint64_t s = 77, h = 0;
    static int iv[3000];
    static double dv[2000];
    static struct rec rv[1500];
    static uint64_t uv[2500], uv2[2500];
    for (int i = 0; i < 3000; i++)
        iv[i] = (int)(g_rand(&s) % 2000) - 1000;
    qsort(iv, 3000, sizeof iv[0], cmp_int);
    for (int i = 1; i < 3000; i++)
        CHECK(iv[i - 1] <= iv[i]);
    h = g_fnv(h, iv, sizeof iv);
    for (int k = -1005; k <= 1005; k += 67) {
        int *p = bsearch(&k, iv, 3000, sizeof iv[0], cmp_int);
        printf("bsearch %d: %s\n", k, p ? (*p == k ? "found" : "WRONG") : "absent");
    }
    for (int i = 0; i < 2000; i++)
        dv[i] = (double)(int64_t)g_rand(&s) / 7.0;
    qsort(dv, 2000, sizeof dv[0], cmp_dbl);
    h = g_fnv(h, dv, sizeof dv);
    for (int i = 0; i < 1500; i++) {
        rv[i].key = (int)(g_rand(&s) % 50);
        rv[i].seq = i;
        snprintf(rv[i].name, sizeof rv[i].name, "n%u", (unsigned)(g_rand(&s) % 300));
    }
    qsort(rv, 1500, sizeof rv[0], cmp_rec);
    for (int i = 0; i < 1500; i++)
        h = g_fnv64(h, rv[i].seq);
    printf("first %d/%s/%u last %d/%s/%u\n", rv[0].key, rv[0].name, rv[0].seq, rv[1499].key,
           rv[1499].name, rv[1499].seq);
    for (int i = 0; i < 2500; i++)
        uv[i] = uv2[i] = g_rand(&s);
    qsort(uv, 2500, 8, cmp_u64);
    heapsort_u64(uv2, 2500);
    CHECK(memcmp(uv, uv2, sizeof uv) == 0);
    h = g_fnv(h, uv, sizeof uv);
    const char *words[] = {"pear",   "apple", "fig",   "banana", "kiwi",
                           "cherry", "date",  "apple", "grape",  "elder"};
    qsort(words, 10, sizeof words[0], cmp_str);
    for (int i = 0; i < 10; i++)
        printf("%s%c", words[i], i == 9 ? '\n' : ' ');
    printf("checksum %016" PRIx64 "\n", h);
    G_DONE();
}
