/* Page-sized buffers that live long (the master's home copies), carved
 * from chunks of many pages mapped at once instead of malloc: kept apart
 * from the short-lived allocations of the message path, they do not push
 * malloc's heap top up by a page per page touched (which made every
 * transient buffer of a send land on fresh memory and fault), and a
 * chunk's pages are populated by one mmap. A freed buffer goes back to
 * the pool's free list for the next one; memory follows the peak of
 * pages held. Not thread-safe: the caller serializes (the directory lock). */
#ifndef SHOAL_DSM_PAGE_POOL_H
#define SHOAL_DSM_PAGE_POOL_H

#include <stddef.h>

#include "dsm/directory.h" /* DSM_PAGE_SIZE */

struct page_pool {
    void **chunks; /* every mapping, for page_pool_fini */
    size_t nchunks, capchunks;
    size_t chunk_pages; /* pages per new chunk */
    char *next;         /* unused pages of the newest chunk */
    size_t left;
    void *free; /* freed pages, linked through their first word */
};

/* chunk_pages: pages mapped at a time (0: a default of 64). */
void page_pool_init(struct page_pool *p, size_t chunk_pages);
/* Unmaps every chunk: every page handed out is gone. */
void page_pool_fini(struct page_pool *p);
/* A DSM_PAGE_SIZE buffer, page-aligned, contents undefined; NULL when out
 * of memory. */
void *page_pool_get(struct page_pool *p);
/* Gives a page from page_pool_get back (NULL: nothing). */
void page_pool_put(struct page_pool *p, void *page);

#endif
