#define _GNU_SOURCE
#include "dsm/page_pool.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

void page_pool_init(struct page_pool *p, size_t chunk_pages) {
    memset(p, 0, sizeof *p);
    p->chunk_pages = chunk_pages ? chunk_pages : 64;
}

void page_pool_fini(struct page_pool *p) {
    for (size_t i = 0; i < p->nchunks; i++)
        munmap(p->chunks[i], p->chunk_pages * DSM_PAGE_SIZE);
    free(p->chunks);
    memset(p, 0, sizeof *p);
}

static int grow(struct page_pool *p) {
    if (p->nchunks == p->capchunks) {
        size_t cap = p->capchunks ? p->capchunks * 2 : 8;
        void **v = realloc(p->chunks, cap * sizeof *v);
        if (!v) return -1;
        p->chunks = v;
        p->capchunks = cap;
    }
    size_t len = p->chunk_pages * DSM_PAGE_SIZE;
    void *c =
        mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (c == MAP_FAILED) return -1;
    p->chunks[p->nchunks++] = c;
    p->next = c;
    p->left = p->chunk_pages;
    return 0;
}

void *page_pool_get(struct page_pool *p) {
    if (p->free) {
        void *pg = p->free;
        memcpy(&p->free, pg, sizeof p->free);
        return pg;
    }
    if (!p->left && grow(p)) return NULL;
    void *pg = p->next;
    p->next += DSM_PAGE_SIZE;
    p->left--;
    return pg;
}

void page_pool_put(struct page_pool *p, void *page) {
    if (!page) return;
    memcpy(page, &p->free, sizeof p->free);
    p->free = page;
}
