/* The guest's mappings in address order, kept in chunks of at most
 * VMA_CHUNK entries. One sorted array moved every entry after an
 * insertion, and top-down mmap placement inserts near the front: among
 * 60,000 mappings that memmove was 80% of an mmap. A chunked list moves
 * at most one chunk's entries and the chunk table. Entries are still
 * named by their index in address order (vl_at), so its users walk it as
 * they walked the array. The caller serializes changes (guest_space's
 * lock); reads change nothing, so readers may share it. */
#ifndef SHOAL_SYSCALL_VMA_LIST_H
#define SHOAL_SYSCALL_VMA_LIST_H

#include <stddef.h>
#include <stdint.h>

/* What backs a mapping; decides how mremap may grow it. */
enum gvma_kind {
    GVMA_ANON = 0,   /* private anonymous */
    GVMA_SHARED = 1, /* shared anonymous or any file mapping */
    GVMA_BRK = 2,    /* the brk heap */
    GVMA_STACK = 3,  /* the initial stack */
};

struct guest_vma {
    uint64_t start, end; /* page aligned, end exclusive */
    int prot;            /* guest PROT_* including PROT_EXEC */
    enum gvma_kind kind;
};

/* 6 KiB of entries: one chunk holds a typical program's mappings. */
#define VMA_CHUNK 256

struct vma_chunk {
    size_t n;
    /* the largest free gap below one of its entries (its start less the
     * previous entry's end, 0 before the first): placement passes over a
     * chunk without a gap large enough (gs_find_free) */
    uint64_t maxgap;
    struct guest_vma v[VMA_CHUNK];
};

struct vma_list {
    struct vma_chunk **chunk; /* in address order, none empty */
    size_t *first;            /* index of each chunk's first entry */
    size_t nchunk, cap;
    size_t n; /* entries in all */
};

/* The chunk holding entry i (i < n): the last whose first entry is <= i. */
static inline size_t vl_chunk_of(const struct vma_list *l, size_t i) {
    size_t lo = 0, hi = l->nchunk;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (l->first[mid] <= i)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/* Entry i (i < n). */
static inline struct guest_vma *vl_at(const struct vma_list *l, size_t i) {
    size_t c = vl_chunk_of(l, i);
    return &l->chunk[c]->v[i - l->first[c]];
}

/* Chunk c (vl_chunk_of): the indexes of its first and last entries, and
 * its maxgap. Entries change through vl_at's pointers only as the guest
 * space's list does it: an end moved to a neighbour's start right before
 * an insertion or removal there, which brings maxgap up to date. */
static inline uint64_t vl_chunk_gap(const struct vma_list *l, size_t c, size_t *first,
                                    size_t *last) {
    *first = l->first[c];
    *last = l->first[c] + l->chunk[c]->n - 1;
    return l->chunk[c]->maxgap;
}

/* Index of the first entry that ends after addr; n if none. */
size_t vl_first_after(const struct vma_list *l, uint64_t addr);
/* Inserts v as entry i (i <= n), the entries from i on moving up one. */
void vl_insert(struct vma_list *l, size_t i, struct guest_vma v);
/* Removes entries [i, i + count). */
void vl_remove(struct vma_list *l, size_t i, size_t count);
/* Copies every entry, in order, to out (n entries). */
void vl_copy(const struct vma_list *l, struct guest_vma *out);
/* Frees everything; the list is empty again. */
void vl_clear(struct vma_list *l);

#endif
