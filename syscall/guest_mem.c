/* The guest address space: the reserved region, the sorted list of
 * guest mappings every change goes through, and brk. The mmap family is
 * guest_mem_mmap.c, mremap guest_mem_mremap.c, the checks and copies of
 * syscall handlers guest_mem_access.c; what the four share is
 * guest_mem_internal.h. Host memory outside a guest mapping is always
 * the PROT_NONE reservation (never a hole), so host allocations can
 * never land inside the guest address space. */
#define _GNU_SOURCE
#include "syscall/guest_mem.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "common/log.h"
#include "syscall/file_eof.h"
#include "syscall/guest_mem_internal.h"
#include "syscall/shared_file.h"

int gs_set_host_prot(struct guest_space *gs, uint64_t start, uint64_t len, int hprot) {
    if (gs->host_protect) return gs->host_protect(gs->host_protect_opaque, start, len, hprot);
    return mprotect(gs->base + start, len, hprot) ? -errno : 0;
}

bool gs_range_in_space(const struct guest_space *gs, uint64_t addr, uint64_t len) {
    return addr < gs->size && len <= gs->size - addr;
}

/* Lines of a /proc file (0 if unreadable). */
static long proc_lines(const char *path) {
    FILE *f = fopen(path, "re");
    if (!f) return 0;
    long n = 0;
    for (int c; (c = getc(f)) != EOF;)
        n += c == '\n';
    fclose(f);
    return n;
}

/* The host mappings the guest space may be made of: the host's limit
 * less what the process maps already and room for what shoal maps later
 * (an eighth of the limit, at least 1024: two per host thread's stack,
 * malloc's arenas and large blocks). */
static size_t host_map_budget(void) {
    long max = 65530; /* Linux's default */
    FILE *f = fopen("/proc/sys/vm/max_map_count", "re");
    if (f) {
        if (fscanf(f, "%ld", &max) != 1) max = 65530;
        fclose(f);
    }
    long room = max / 8 > 1024 ? max / 8 : 1024;
    long budget = max - proc_lines("/proc/self/maps") - room;
    return budget > 64 ? (size_t)budget : 64;
}

int gs_init(struct guest_space *gs, uint64_t size) {
    memset(gs, 0, sizeof *gs);
    void *p = mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) return -errno;
    gs->base = p;
    gs->size = size;
    gs->gaps = 1; /* the whole space is the reserve */
    gs->map_budget = host_map_budget();
    gs->mmap_min = GS_MMAP_MIN < size ? GS_MMAP_MIN : 0;
    gs->mmap_base = size;
    pthread_rwlock_init(&gs->lock, NULL);
    pthread_mutex_init(&gs->force_lock, NULL);
    return 0;
}

void gs_fini(struct guest_space *gs) {
    if (!gs->base) return;
    sf_fini(gs);
    munmap(gs->base, gs->size);
    pthread_rwlock_destroy(&gs->lock);
    vl_clear(&gs->vmas);
    free(gs->eof);
    memset(gs, 0, sizeof *gs);
}

void gs_reserve(struct guest_space *gs, uint64_t lo, uint64_t len) {
    if (!gs_range_in_space(gs, lo, len) || !len) return;
    gs->resv_lo = lo;
    gs->resv_hi = lo + len;
}

/* ---- the sorted mapping list (lock held) ---- */

/* Index of the first mapping that ends after addr. */
size_t gs_first_after(const struct guest_space *gs, uint64_t addr) {
    return vl_first_after(&gs->vmas, addr);
}

struct guest_vma *gs_vma_containing(const struct guest_space *gs, uint64_t addr) {
    size_t i = gs_first_after(gs, addr);
    if (i == gs_vma_count(gs)) return NULL;
    struct guest_vma *v = gs_vma(gs, i);
    return v->start <= addr ? v : NULL;
}

/* Reserve lies between the mapping before index i and mapping i (the
 * space's ends stand in for a missing neighbour). */
static bool gap_before(const struct guest_space *gs, size_t i) {
    uint64_t lo = i > 0 ? gs_vma(gs, i - 1)->end : 0;
    uint64_t hi = i < gs_vma_count(gs) ? gs_vma(gs, i)->start : gs->size;
    return lo != hi;
}

bool gs_map_room(const struct guest_space *gs, unsigned more) {
    size_t threads = gs->host_threads ? (size_t)atomic_load(gs->host_threads) : 0;
    return gs_vma_count(gs) + gs->gaps + more + threads * GS_THREAD_MAPS <= gs->map_budget;
}

bool gs_thread_room(struct guest_space *gs) {
    pthread_rwlock_rdlock(&gs->lock);
    bool room = gs_map_room(gs, GS_THREAD_MAPS);
    pthread_rwlock_unlock(&gs->lock);
    return room;
}

unsigned gs_splits(const struct guest_space *gs, uint64_t start, uint64_t end) {
    const struct guest_vma *a = gs_vma_containing(gs, start), *b = gs_vma_containing(gs, end);
    return (a && a->start < start) + (b && b->start < end);
}

size_t gs_host_mappings(struct guest_space *gs) {
    pthread_rwlock_rdlock(&gs->lock);
    size_t n = gs_vma_count(gs) + gs->gaps;
    pthread_rwlock_unlock(&gs->lock);
    return n;
}

/* Makes addr a mapping boundary (splits the mapping containing it; the
 * reserve between mappings stays as it was). */
static void split_at(struct guest_space *gs, uint64_t addr) {
    size_t i = gs_first_after(gs, addr);
    if (i == gs_vma_count(gs)) return;
    struct guest_vma *v = gs_vma(gs, i);
    if (v->start < addr) {
        struct guest_vma tail = *v;
        tail.start = addr;
        v->end = addr;
        vl_insert(&gs->vmas, i + 1, tail);
    }
}

/* Index range [*lo, *hi) of the mappings inside [start, end), after
 * splitting at both ends. */
void gs_carve(struct guest_space *gs, uint64_t start, uint64_t end, size_t *lo, size_t *hi) {
    split_at(gs, start);
    split_at(gs, end);
    *lo = gs_first_after(gs, start);
    size_t j = *lo;
    while (j < gs_vma_count(gs) && gs_vma(gs, j)->start < end)
        j++;
    *hi = j;
}

static bool same_kind(const struct guest_vma *a, const struct guest_vma *b) {
    return a->end == b->start && a->prot == b->prot && a->kind == b->kind;
}

/* Merges equal neighbours around [lo, hi). */
void gs_coalesce(struct guest_space *gs, size_t lo, size_t hi) {
    if (lo > 0) lo--;
    if (hi > gs_vma_count(gs)) hi = gs_vma_count(gs);
    for (size_t i = lo; i + 1 < gs_vma_count(gs) && i <= hi;) {
        if (same_kind(gs_vma(gs, i), gs_vma(gs, i + 1))) {
            gs_vma(gs, i)->end = gs_vma(gs, i + 1)->end;
            vl_remove(&gs->vmas, i + 1, 1);
            if (hi > 0) hi--;
        } else {
            i++;
        }
    }
}

/* Removes the records of [start, end); true if any of it was executable. */
bool gs_forget_range(struct guest_space *gs, uint64_t start, uint64_t end) {
    size_t lo, hi;
    gs_carve(gs, start, end, &lo, &hi);
    bool exec = false;
    size_t gaps = 0;
    for (size_t i = lo; i < hi; i++) {
        exec |= (gs_vma(gs, i)->prot & PROT_EXEC) != 0;
        gaps += gap_before(gs, i);
    }
    if (hi > lo) gs->gaps += 1 - gaps - gap_before(gs, hi); /* one reserve where they were */
    vl_remove(&gs->vmas, lo, hi - lo);
    eof_forget(gs, start, end);
    if (hi > lo && end > gs->free_top) gs->free_top = 0; /* a gap above it may have grown */
    return exec;
}

void gs_record(struct guest_space *gs, uint64_t start, uint64_t end, int prot,
               enum gvma_kind kind) {
    size_t i = gs_first_after(gs, start);
    gs->gaps -= gap_before(gs, i); /* free: reserve was there */
    vl_insert(&gs->vmas, i, (struct guest_vma){start, end, prot, kind});
    gs->gaps += gap_before(gs, i) + gap_before(gs, i + 1);
    gs_coalesce(gs, i, i + 1); /* merges only neighbours with no reserve between */
}

/* Free for a guest mapping: nothing mapped, none of the reserve. */
bool gs_range_free(const struct guest_space *gs, uint64_t start, uint64_t end) {
    if (gs_reserved(gs, start, end - start)) return false;
    size_t i = gs_first_after(gs, start);
    return i == gs_vma_count(gs) || gs_vma(gs, i)->start >= end;
}

bool gs_range_ok(const struct guest_space *gs, uint64_t addr, uint64_t len, int prot) {
    if (len == 0) return addr <= gs->size;
    if (!gs_range_in_space(gs, addr, len) || gs_reserved(gs, addr, len)) return false;
    /* a page past the end of its file: the access would be a SIGBUS */
    if (prot && gs->neof && eof_overlaps(gs, addr, addr + len)) return false;
    uint64_t cur = addr, end = addr + len;
    for (size_t i = gs_first_after(gs, addr); cur < end; i++) {
        if (i >= gs_vma_count(gs)) return false;
        const struct guest_vma *v = gs_vma(gs, i);
        if (v->start > cur || (v->prot & prot) != prot) return false;
        cur = v->end;
    }
    return true;
}

/* The highest len bytes of the gap [floor, top) outside the reserve; 0
 * if none. */
static uint64_t fit(const struct guest_space *gs, uint64_t floor, uint64_t top, uint64_t len) {
    if (top > floor && gs_reserved(gs, floor, top - floor)) {
        if (top > gs->resv_hi && top - gs->resv_hi >= len) return top - len;
        top = gs->resv_lo; /* below it, if the gap starts there */
    }
    return top >= floor && top - floor >= len ? top - len : 0;
}

/* Highest free gap of len bytes below mmap_base; 0 if none. Top-down
 * placement packs mappings below each other, so the search starts
 * where the last one ended (free_top) unless a gap above it may be
 * large enough (free_hole), as Linux's free-area cache did: otherwise
 * each mmap walked every mapping (62 µs each among 60,000). */
uint64_t gs_find_free(struct guest_space *gs, uint64_t len) {
    size_t i = gs->free_top ? gs_first_after(gs, gs->free_top) : 0;
    /* the cache holds while a mapping covers free_top (a caller whose
     * mapping then failed left none there) */
    if (!gs->free_top || gs->free_top > gs->mmap_base || len <= gs->free_hole ||
        i == gs_vma_count(gs) || gs_vma(gs, i)->start > gs->free_top) {
        gs->free_top = gs->mmap_base;
        gs->free_hole = 0;
        i = gs_first_after(gs, gs->free_top);
    }
    uint64_t top = gs->free_top;
    /* i: first mapping ending after top; walk down from the one before. */
    if (i < gs_vma_count(gs) && gs_vma(gs, i)->start < top) top = gs_vma(gs, i)->start;
    while (true) {
        uint64_t floor = i > 0 ? gs_vma(gs, i - 1)->end : gs->mmap_min;
        if (floor < gs->mmap_min) floor = gs->mmap_min;
        uint64_t at = fit(gs, floor, top, len);
        uint64_t hole = top > floor ? top - (at ? at + len : floor) : 0;
        if (hole > gs->free_hole) gs->free_hole = hole; /* passed over, too small */
        if (at) {
            gs->free_top = at; /* the caller maps [at, at + len) now */
            return at;
        }
        if (i == 0) return 0;
        i--;
        /* passes over whole chunks with no gap of len below an entry,
         * entered at their last (the chunk's gaps reach to 0, not
         * mmap_min, and through the reserve: at least what fit() finds) */
        size_t first, last;
        uint64_t gap;
        for (size_t c = vl_chunk_of(&gs->vmas, i);
             (gap = vl_chunk_gap(&gs->vmas, c, &first, &last)) < len && last == i; c--) {
            if (gap > gs->free_hole) gs->free_hole = gap; /* passed over */
            if (first == 0) return 0;
            i = first - 1;
        }
        top = gs_vma(gs, i)->start;
    }
}

void gs_host_reserve(struct guest_space *gs, uint64_t start, uint64_t len) {
    void *p = mmap(gs->base + start, len, PROT_NONE,
                   MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    SHOAL_ASSERT(p != MAP_FAILED);
}

bool gs_unmap_failed(struct guest_space *gs, uint64_t start, uint64_t len) {
    gs_host_reserve(gs, start, len);
    bool exec = gs_forget_range(gs, start, start + len);
    gs_notify_layout(gs, GS_UNMAPPED, start, len, 0, GVMA_ANON);
    return exec;
}

void gs_notify_code_gone(struct guest_space *gs, bool exec, uint64_t start, uint64_t len) {
    if (exec && gs->code_gone) gs->code_gone(gs->code_gone_opaque, start, len);
}

void gs_notify_change(struct guest_space *gs, enum gs_change what, uint64_t start, uint64_t len,
                      int prot, enum gvma_kind kind, bool adds) {
    atomic_fetch_add(&gs->changes, 1);
    if (gs->layout && len) gs->layout(gs->layout_opaque, what, start, len, prot, kind, adds);
}

void gs_notify_layout(struct guest_space *gs, enum gs_change what, uint64_t start, uint64_t len,
                      int prot, enum gvma_kind kind) {
    gs_notify_change(gs, what, start, len, prot, kind, false);
}

/* ---- brk ---- */

void gs_set_brk(struct guest_space *gs, uint64_t start) {
    pthread_rwlock_wrlock(&gs->lock);
    gs->brk_start = gs->brk_cur = gs_page_up(start);
    pthread_rwlock_unlock(&gs->lock);
}

uint64_t gs_brk(struct guest_space *gs, uint64_t new_brk) {
    pthread_rwlock_wrlock(&gs->lock);
    uint64_t cur = gs->brk_cur;
    if (new_brk < gs->brk_start || new_brk > gs->size) goto out;
    uint64_t old_top = gs_page_up(cur), new_top = gs_page_up(new_brk);
    if (new_top > old_top) {
        if (!gs_range_free(gs, old_top, new_top) || !gs_map_room(gs, 2)) goto out;
        void *p =
            mmap(gs->base + old_top, new_top - old_top, gs_new_prot(gs, PROT_READ | PROT_WRITE),
                 MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) goto out;
        gs_record(gs, old_top, new_top, PROT_READ | PROT_WRITE, GVMA_BRK);
        gs_notify_change(gs, GS_MAPPED, old_top, new_top - old_top, PROT_READ | PROT_WRITE,
                         GVMA_BRK, true);
    } else if (new_top < old_top) {
        unsigned splits = gs_splits(gs, new_top, old_top);
        if (splits && !gs_map_room(gs, splits)) goto out;
        gs_notify_layout(gs, GS_UNMAPPING, new_top, old_top - new_top, 0, GVMA_BRK);
        gs_host_reserve(gs, new_top, old_top - new_top);
        gs_forget_range(gs, new_top, old_top);
        gs_notify_layout(gs, GS_UNMAPPED, new_top, old_top - new_top, 0, GVMA_BRK);
    }
    gs->brk_cur = cur = new_brk;
out:
    pthread_rwlock_unlock(&gs->lock);
    return cur;
}
