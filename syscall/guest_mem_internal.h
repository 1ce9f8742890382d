/* What guest_mem's files share and no other part of syscall/ (guest_mem.c:
 * the space, the sorted mapping list, brk; guest_mem_mmap.c: the mmap
 * family and attached host objects; guest_mem_mremap.c: mremap;
 * guest_mem_access.c: checked access). Everything that reads or changes
 * the list is called with gs->lock held (for writing where it changes). */
#ifndef SHOAL_SYSCALL_GUEST_MEM_INTERNAL_H
#define SHOAL_SYSCALL_GUEST_MEM_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "syscall/guest_mem.h"
#include "syscall/linux_abi.h"

#define PAGE GUEST_PAGE_SIZE

static inline uint64_t gs_page_up(uint64_t v) {
    return (v + PAGE - 1) & GUEST_PAGE_MASK;
}

/* guest_mem.c */
/* [addr, addr+len) lies inside the guest space (no lock needed). */
bool gs_range_in_space(const struct guest_space *gs, uint64_t addr, uint64_t len);
/* Index of the first mapping that ends after addr. */
size_t gs_first_after(const struct guest_space *gs, uint64_t addr);
/* The mapping containing addr; NULL if none. */
struct guest_vma *gs_vma_containing(const struct guest_space *gs, uint64_t addr);
/* Splits the mappings at start and end; [*lo, *hi) indexes those inside. */
void gs_carve(struct guest_space *gs, uint64_t start, uint64_t end, size_t *lo, size_t *hi);
/* Merges equal neighbours around [lo, hi). */
void gs_coalesce(struct guest_space *gs, size_t lo, size_t hi);
/* Removes the records of [start, end); true if any of it was executable. */
bool gs_forget_range(struct guest_space *gs, uint64_t start, uint64_t end);
/* Records a mapping of [start, end), merged with equal neighbours. */
void gs_record(struct guest_space *gs, uint64_t start, uint64_t end, int prot, enum gvma_kind kind);
/* Nothing mapped in [start, end), none of the reserve. */
bool gs_range_free(const struct guest_space *gs, uint64_t start, uint64_t end);
/* [addr, addr+len) is mapped with at least prot, none of it reserved or
 * past the end of its file (prot non-zero). */
bool gs_range_ok(const struct guest_space *gs, uint64_t addr, uint64_t len, int prot);
/* Room for a change that may add more host mappings to the space
 * (guest_space.map_budget). */
bool gs_map_room(const struct guest_space *gs, unsigned more);
/* Mappings a change of [start, end) splits: one for each end strictly
 * inside one (at most what an munmap or mprotect there adds). */
unsigned gs_splits(const struct guest_space *gs, uint64_t start, uint64_t end);
/* Highest free gap of len bytes below mmap_base; 0 if none. */
uint64_t gs_find_free(struct guest_space *gs, uint64_t len);
/* Makes [start, start+len) the PROT_NONE reservation again. */
void gs_host_reserve(struct guest_space *gs, uint64_t start, uint64_t len);
/* A change that failed after GS_UNMAPPING of [start, start+len) (the
 * layout hook forgot its pages, the host may have removed them): the
 * range is the reserve again, on every node. True if executable pages
 * went. */
bool gs_unmap_failed(struct guest_space *gs, uint64_t start, uint64_t len);
/* Calls gs->code_gone (without the lock) if exec. */
void gs_notify_code_gone(struct guest_space *gs, bool exec, uint64_t start, uint64_t len);
/* Calls gs->layout, if any, for a non-empty range (and counts the
 * change); gs_notify_change says whether it only adds (gs_layout_fn). */
void gs_notify_layout(struct guest_space *gs, enum gs_change what, uint64_t start, uint64_t len,
                      int prot, enum gvma_kind kind);
void gs_notify_change(struct guest_space *gs, enum gs_change what, uint64_t start, uint64_t len,
                      int prot, enum gvma_kind kind, bool adds);

/* guest_mem_mmap.c */
/* The host protection of a new mapping with the guest protection prot. */
int gs_new_prot(const struct guest_space *gs, int prot);

#endif
