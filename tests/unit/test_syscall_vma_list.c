/* The chunked mapping list (syscall/vma_list.h) against a plain array:
 * random insertions and removals, single and in runs, at the front, the
 * back and anywhere, while the list grows past many chunks and shrinks
 * to nothing again; after every change each entry, the lookup by
 * address and the copy must match the array, the chunks must stay
 * within their bounds, and each chunk's largest gap must be right. */
#include <CUnit/CUnit.h>
#include <stdlib.h>
#include <string.h>

#include "syscall/vma_list.h"

#define MAXN 5000

struct ref {
    struct guest_vma v[MAXN];
    size_t n;
};

static unsigned rng = 12345;
static unsigned next_rand(void) {
    rng = rng * 1103515245u + 12345u;
    return rng >> 8;
}

/* An entry one unit long at key: the reference keeps keys increasing. */
static struct guest_vma make(uint64_t key) {
    return (struct guest_vma){key, key + 1, (int)(key & 7), GVMA_ANON};
}

static int chunks_ok(const struct vma_list *l) {
    size_t at = 0;
    for (size_t c = 0; c < l->nchunk; c++) {
        if (l->chunk[c]->n == 0 || l->chunk[c]->n > VMA_CHUNK || l->first[c] != at) return 0;
        at += l->chunk[c]->n;
    }
    /* any two neighbours hold more than 3/4 of a chunk */
    for (size_t c = 0; c + 1 < l->nchunk; c++)
        if (l->chunk[c]->n + l->chunk[c + 1]->n <= VMA_CHUNK * 3 / 4) return 0;
    return at == l->n;
}

/* Each chunk's maxgap is the largest gap below one of its entries, and
 * vl_chunk_gap names the chunk's first and last entries. */
static int gaps_ok(const struct vma_list *l, const struct ref *r) {
    for (size_t c = 0; c < l->nchunk; c++) {
        uint64_t max = 0;
        size_t lo = l->first[c], hi = lo + l->chunk[c]->n;
        for (size_t i = lo; i < hi; i++) {
            uint64_t gap = r->v[i].start - (i ? r->v[i - 1].end : 0);
            if (gap > max) max = gap;
        }
        size_t first, last;
        if (vl_chunk_of(l, hi - 1) != c || vl_chunk_gap(l, c, &first, &last) != max ||
            first != lo || last != hi - 1)
            return 0;
    }
    return 1;
}

static int same(const struct vma_list *l, const struct ref *r) {
    if (l->n != r->n || !chunks_ok(l)) return 0;
    for (size_t i = 0; i < r->n; i++)
        if (memcmp(vl_at(l, i), &r->v[i], sizeof r->v[i])) return 0;
    return gaps_ok(l, r);
}

/* Keys of the reference are kept increasing: a new entry at either end
 * goes a fixed step beyond it, one between i - 1 and i halfway between
 * their keys (0 when there is no room left there: the step is skipped). */
static int key_between(const struct ref *r, size_t i, uint64_t *key) {
    const uint64_t step = 1ull << 24;
    if (r->n == 0)
        *key = 1ull << 62;
    else if (i == 0)
        *key = r->v[0].start - step;
    else if (i == r->n)
        *key = r->v[r->n - 1].end + step;
    else if (r->v[i].start - r->v[i - 1].end >= 2)
        *key = r->v[i - 1].end + (r->v[i].start - r->v[i - 1].end) / 2;
    else
        return 0;
    return 1;
}

static void test_random_against_array(void) {
    static struct ref r;
    struct vma_list l = {0};
    r.n = 0;
    size_t max_seen = 0, checks = 0;
    for (int step = 0; step < 60000; step++) {
        /* grow for the first third, mixed after, then drain */
        unsigned p = next_rand() % 100;
        int grow = step < 20000 ? p < 80 : step < 40000 ? p < 50 : p < 15;
        if (grow && r.n < MAXN) {
            size_t i;
            switch (next_rand() % 4) {
            case 0: i = 0; break;
            case 1: i = r.n; break;
            default: i = next_rand() % (r.n + 1);
            }
            uint64_t key;
            if (!key_between(&r, i, &key)) continue;
            struct guest_vma v = make(key);
            vl_insert(&l, i, v);
            memmove(&r.v[i + 1], &r.v[i], (r.n - i) * sizeof r.v[0]);
            r.v[i] = v;
            r.n++;
        } else if (r.n) {
            size_t i = next_rand() % r.n;
            /* a run now and then, as one munmap over several mappings */
            size_t count = next_rand() % 16 == 0 ? 1 + next_rand() % 64 : 1;
            if (i + count > r.n) count = r.n - i;
            vl_remove(&l, i, count);
            memmove(&r.v[i], &r.v[i + count], (r.n - i - count) * sizeof r.v[0]);
            r.n -= count;
        }
        if (r.n > max_seen) max_seen = r.n;
        if (step % 97 == 0 || r.n < 3) {
            checks++;
            CU_ASSERT_FATAL(same(&l, &r));
            /* lookup by address: inside, before and between entries */
            for (int k = 0; k < 20 && r.n; k++) {
                size_t j = next_rand() % r.n;
                CU_ASSERT_EQUAL_FATAL(vl_first_after(&l, r.v[j].start), j);
                CU_ASSERT_EQUAL_FATAL(vl_first_after(&l, r.v[j].end), j + 1);
            }
            CU_ASSERT_EQUAL(vl_first_after(&l, UINT64_MAX), r.n);
        }
    }
    CU_ASSERT_TRUE(max_seen > 8 * VMA_CHUNK); /* many chunks were in use */
    CU_ASSERT_TRUE(checks > 500);
    CU_ASSERT_FATAL(same(&l, &r));
    struct guest_vma *copy = malloc((r.n + 1) * sizeof *copy);
    vl_copy(&l, copy);
    CU_ASSERT_EQUAL(memcmp(copy, r.v, r.n * sizeof *copy), 0);
    free(copy);
    vl_clear(&l);
    CU_ASSERT_EQUAL(l.n, 0u);
    CU_ASSERT_EQUAL(l.nchunk, 0u);
}

/* What top-down mmap placement does: every insertion at the front. */
static void test_front_inserts_split_chunks(void) {
    struct vma_list l = {0};
    size_t n = 10 * VMA_CHUNK;
    for (size_t k = 0; k < n; k++)
        vl_insert(&l, 0, make(2 * (n - k)));
    CU_ASSERT_EQUAL(l.n, n);
    CU_ASSERT_TRUE(chunks_ok(&l));
    int ordered = 1;
    for (size_t i = 0; i < n; i++)
        ordered &= vl_at(&l, i)->start == 2 * (i + 1);
    CU_ASSERT_TRUE(ordered);
    /* every second entry goes: neighbours merge back */
    for (size_t i = 0; i < l.n; i++)
        vl_remove(&l, i, 1);
    CU_ASSERT_EQUAL(l.n, n / 2);
    CU_ASSERT_TRUE(chunks_ok(&l));
    CU_ASSERT_EQUAL(vl_first_after(&l, 3), 0u);
    CU_ASSERT_EQUAL(vl_at(&l, 0)->start, 4u);
    vl_remove(&l, 0, l.n);
    CU_ASSERT_EQUAL(l.nchunk, 0u);
    vl_clear(&l);
}

void test_register(void) {
    CU_pSuite s = CU_add_suite("syscall_vma_list", NULL, NULL);
    CU_add_test(s, "random changes against a plain array", test_random_against_array);
    CU_add_test(s, "front insertions split chunks, removals merge them",
                test_front_inserts_split_chunks);
}
