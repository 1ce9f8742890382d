/* The chunked mapping list (vma_list.h). Chunks split in half when an
 * insertion finds them full, and a removal merges the neighbours it
 * leaves at most 3/4 of a chunk together: any two neighbours hold more
 * than 3/4 of a chunk, so n entries take at most 2n / (3/4 VMA_CHUNK)
 * + 1 chunks whatever the order of changes. */
#include "syscall/vma_list.h"

#include <stdlib.h>
#include <string.h>

#include "common/array.h"
#include "common/log.h"

static void renumber_from(struct vma_list *l, size_t c) {
    size_t at = c ? l->first[c - 1] + l->chunk[c - 1]->n : 0;
    for (; c < l->nchunk; c++) {
        l->first[c] = at;
        at += l->chunk[c]->n;
    }
}

/* Chunk c's maxgap, from its entries and the end of the one before. */
static void regap(struct vma_list *l, size_t c) {
    const struct vma_chunk *p = c ? l->chunk[c - 1] : NULL;
    uint64_t below = p ? p->v[p->n - 1].end : 0, max = 0;
    struct vma_chunk *k = l->chunk[c];
    for (size_t j = 0; j < k->n; j++) {
        if (k->v[j].start - below > max) max = k->v[j].start - below;
        below = k->v[j].end;
    }
    k->maxgap = max;
}

/* Brings maxgap up to date in chunks [lo, hi] (clipped to the table). */
static void regap_range(struct vma_list *l, size_t lo, size_t hi) {
    for (size_t c = lo; c <= hi && c < l->nchunk; c++)
        regap(l, c);
}

/* A new empty chunk at position c of the table. */
static struct vma_chunk *add_chunk(struct vma_list *l, size_t c) {
    if (l->nchunk == l->cap) {
        size_t cap = l->cap, cap2 = l->cap;
        struct vma_chunk **nc = array_grow(l->chunk, &cap, l->nchunk + 1, sizeof *nc, 4);
        SHOAL_ASSERT(nc);
        l->chunk = nc;
        size_t *nf = array_grow(l->first, &cap2, l->nchunk + 1, sizeof *nf, 4);
        SHOAL_ASSERT(nf && cap2 == cap);
        l->first = nf;
        l->cap = cap;
    }
    struct vma_chunk *k = malloc(sizeof *k);
    SHOAL_ASSERT(k);
    k->n = 0;
    memmove(&l->chunk[c + 1], &l->chunk[c], (l->nchunk - c) * sizeof *l->chunk);
    memmove(&l->first[c + 1], &l->first[c], (l->nchunk - c) * sizeof *l->first);
    l->chunk[c] = k;
    l->nchunk++;
    return k;
}

static void drop_chunk(struct vma_list *l, size_t c) {
    free(l->chunk[c]);
    memmove(&l->chunk[c], &l->chunk[c + 1], (l->nchunk - c - 1) * sizeof *l->chunk);
    memmove(&l->first[c], &l->first[c + 1], (l->nchunk - c - 1) * sizeof *l->first);
    l->nchunk--;
}

size_t vl_first_after(const struct vma_list *l, uint64_t addr) {
    size_t lo = 0, hi = l->nchunk; /* the first chunk whose last entry ends after addr */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const struct vma_chunk *k = l->chunk[mid];
        if (k->v[k->n - 1].end <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == l->nchunk) return l->n;
    const struct vma_chunk *k = l->chunk[lo];
    size_t a = 0, b = k->n;
    while (a < b) {
        size_t mid = (a + b) / 2;
        if (k->v[mid].end <= addr)
            a = mid + 1;
        else
            b = mid;
    }
    return l->first[lo] + a;
}

void vl_insert(struct vma_list *l, size_t i, struct guest_vma v) {
    SHOAL_ASSERT(i <= l->n);
    if (l->nchunk == 0) {
        add_chunk(l, 0);
        l->first[0] = 0;
    }
    /* the chunk holding entry i, or the last one when i is the end */
    size_t c = i == l->n ? l->nchunk - 1 : vl_chunk_of(l, i);
    size_t off = i - l->first[c];
    struct vma_chunk *k = l->chunk[c];
    if (k->n == VMA_CHUNK) { /* full: its upper half moves to a new chunk */
        struct vma_chunk *up = add_chunk(l, c + 1);
        size_t keep = VMA_CHUNK / 2;
        up->n = k->n - keep;
        memcpy(up->v, &k->v[keep], up->n * sizeof *up->v);
        k->n = keep;
        if (off > keep) {
            c++;
            off -= keep;
            k = up;
        }
    }
    memmove(&k->v[off + 1], &k->v[off], (k->n - off) * sizeof *k->v);
    k->v[off] = v;
    k->n++;
    l->n++;
    renumber_from(l, c);
    /* the new entry's gap, its successor's (maybe the next chunk's
     * first), and both halves of a split */
    regap_range(l, c ? c - 1 : 0, c + 1);
}

/* Merges chunk c + 1 into chunk c if both fit in 3/4 of one. */
static void merge_pair(struct vma_list *l, size_t c) {
    if (c + 1 >= l->nchunk) return;
    struct vma_chunk *a = l->chunk[c], *b = l->chunk[c + 1];
    if (a->n + b->n > VMA_CHUNK * 3 / 4) return;
    memcpy(&a->v[a->n], b->v, b->n * sizeof *b->v);
    a->n += b->n;
    drop_chunk(l, c + 1);
}

void vl_remove(struct vma_list *l, size_t i, size_t count) {
    if (count == 0) return;
    SHOAL_ASSERT(i + count <= l->n);
    size_t c = vl_chunk_of(l, i), off = i - l->first[c], c0 = c;
    while (count) {
        struct vma_chunk *k = l->chunk[c];
        size_t take = k->n - off < count ? k->n - off : count;
        memmove(&k->v[off], &k->v[off + take], (k->n - off - take) * sizeof *k->v);
        k->n -= take;
        count -= take;
        l->n -= take;
        if (k->n == 0)
            drop_chunk(l, c); /* the next chunk is now c */
        else
            c++;
        off = 0;
    }
    /* every pair the removal may have shrunk, from the top down so that
     * a merge moves no pair still to visit */
    size_t lo = c0 > 0 ? c0 - 1 : 0;
    for (size_t k = c + 1; k-- > lo;)
        merge_pair(l, k);
    renumber_from(l, lo);
    /* the gap below the entry now at i grew; merged chunks' members moved */
    if (l->nchunk) regap_range(l, lo, i < l->n ? vl_chunk_of(l, i) + 1 : l->nchunk - 1);
}

void vl_copy(const struct vma_list *l, struct guest_vma *out) {
    for (size_t c = 0; c < l->nchunk; c++) {
        memcpy(out, l->chunk[c]->v, l->chunk[c]->n * sizeof *out);
        out += l->chunk[c]->n;
    }
}

void vl_clear(struct vma_list *l) {
    for (size_t c = 0; c < l->nchunk; c++)
        free(l->chunk[c]);
    free(l->chunk);
    free(l->first);
    memset(l, 0, sizeof *l);
}
