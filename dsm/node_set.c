#include "dsm/node_set.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void node_set_init(struct node_set *s) {
    memset(s, 0, sizeof *s);
}

void node_set_fini(struct node_set *s) {
    free(s->big);
    node_set_init(s);
}

static uint64_t *word(const struct node_set *s, dsm_node_t n) {
    if (n < 64) return (uint64_t *)&s->small;
    uint32_t w = n / 64 - 1;
    return w < s->nbig ? &s->big[w] : NULL;
}

bool node_set_has(const struct node_set *s, dsm_node_t n) {
    const uint64_t *w = word(s, n);
    return w && (*w >> (n % 64) & 1);
}

int node_set_add(struct node_set *s, dsm_node_t n) {
    if (n >= 64 && n / 64 - 1 >= s->nbig) {
        uint32_t need = n / 64, cap = s->nbig ? s->nbig : 1;
        while (cap < need)
            cap *= 2;
        uint64_t *b = realloc(s->big, cap * sizeof *b);
        if (!b) return -ENOMEM;
        memset(b + s->nbig, 0, (cap - s->nbig) * sizeof *b);
        s->big = b;
        s->nbig = cap;
    }
    uint64_t *w = word(s, n), bit = 1ull << (n % 64);
    if (!(*w & bit)) {
        *w |= bit;
        s->count++;
    }
    return 0;
}

void node_set_del(struct node_set *s, dsm_node_t n) {
    uint64_t *w = word(s, n), bit = 1ull << (n % 64);
    if (w && (*w & bit)) {
        *w &= ~bit;
        s->count--;
    }
}

void node_set_clear(struct node_set *s) {
    s->small = 0;
    if (s->big) memset(s->big, 0, s->nbig * sizeof *s->big);
    s->count = 0;
}

int64_t node_set_next(const struct node_set *s, uint64_t from) {
    uint64_t limit = 64ull * (s->nbig + 1ull);
    while (from < limit) {
        uint64_t w = from < 64 ? s->small : s->big[from / 64 - 1];
        w &= ~0ull << (from % 64);
        if (w) return (int64_t)((from & ~63ull) + (uint64_t)__builtin_ctzll(w));
        from = (from & ~63ull) + 64;
    }
    return -1;
}
