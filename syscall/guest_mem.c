/* Guest mappings inside the reserved region. Host memory outside a guest
 * mapping is always the PROT_NONE reservation (never a hole), so host
 * allocations can never land inside the guest address space. The host
 * protection is the guest's without PROT_EXEC (code is read, not
 * executed, by the DBT), plus PROT_READ for execute-only memory. */
#define _GNU_SOURCE
#include "syscall/guest_mem.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/array.h"
#include "common/log.h"
#include "syscall/file_eof.h"
#include "syscall/linux_abi.h"
#include "syscall/shared_file.h"

#define PAGE GUEST_PAGE_SIZE

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#define GUEST_PROT_BTI  0x10 /* AArch64 PROT_BTI: accepted, no effect here */
#define MREMAP_MAYMOVE_ 1
#define MREMAP_FIXED_   2

static inline uint64_t page_up(uint64_t v) {
    return (v + PAGE - 1) & GUEST_PAGE_MASK;
}

static int host_prot(int prot) {
    return gs_host_prot(prot);
}

/* The host protection of a new mapping: the guest's, or none where a
 * fault capture keeps page states in the protection (host_protect): its
 * layout hook opens the pages it holds, so no thread reaches a new page
 * before the DSM knows it. */
static int new_prot(const struct guest_space *gs, int prot) {
    return gs->host_protect ? PROT_NONE : host_prot(prot);
}

int gs_set_host_prot(struct guest_space *gs, uint64_t start, uint64_t len, int hprot) {
    if (gs->host_protect) return gs->host_protect(gs->host_protect_opaque, start, len, hprot);
    return mprotect(gs->base + start, len, hprot) ? -errno : 0;
}

static bool range_in_space(const struct guest_space *gs, uint64_t addr, uint64_t len) {
    return addr < gs->size && len <= gs->size - addr;
}

int gs_init(struct guest_space *gs, uint64_t size) {
    memset(gs, 0, sizeof *gs);
    void *p = mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) return -errno;
    gs->base = p;
    gs->size = size;
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
    free(gs->vmas);
    free(gs->eof);
    memset(gs, 0, sizeof *gs);
}

/* ---- the sorted mapping list (lock held) ---- */

/* Index of the first mapping that ends after addr. */
static size_t first_after(const struct guest_space *gs, uint64_t addr) {
    size_t lo = 0, hi = gs->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (gs->vmas[mid].end <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void insert_at(struct guest_space *gs, size_t i, struct guest_vma v) {
    if (gs->n == gs->cap) {
        struct guest_vma *nv = array_grow(gs->vmas, &gs->cap, gs->n + 1, sizeof *nv, 16);
        SHOAL_ASSERT(nv);
        gs->vmas = nv;
    }
    memmove(&gs->vmas[i + 1], &gs->vmas[i], (gs->n - i) * sizeof *gs->vmas);
    gs->vmas[i] = v;
    gs->n++;
}

static void remove_at(struct guest_space *gs, size_t i, size_t count) {
    if (count == 0) return; /* vmas may still be NULL */
    memmove(&gs->vmas[i], &gs->vmas[i + count], (gs->n - i - count) * sizeof *gs->vmas);
    gs->n -= count;
}

/* Makes addr a mapping boundary (splits the mapping containing it). */
static void split_at(struct guest_space *gs, uint64_t addr) {
    size_t i = first_after(gs, addr);
    if (i < gs->n && gs->vmas[i].start < addr) {
        struct guest_vma tail = gs->vmas[i];
        tail.start = addr;
        gs->vmas[i].end = addr;
        insert_at(gs, i + 1, tail);
    }
}

/* Index range [*lo, *hi) of the mappings inside [start, end), after
 * splitting at both ends. */
static void carve(struct guest_space *gs, uint64_t start, uint64_t end, size_t *lo, size_t *hi) {
    split_at(gs, start);
    split_at(gs, end);
    *lo = first_after(gs, start);
    size_t j = *lo;
    while (j < gs->n && gs->vmas[j].start < end)
        j++;
    *hi = j;
}

static bool same_kind(const struct guest_vma *a, const struct guest_vma *b) {
    return a->end == b->start && a->prot == b->prot && a->kind == b->kind;
}

/* Merges equal neighbours around [lo, hi). */
static void coalesce(struct guest_space *gs, size_t lo, size_t hi) {
    if (lo > 0) lo--;
    if (hi > gs->n) hi = gs->n;
    for (size_t i = lo; i + 1 < gs->n && i <= hi;) {
        if (same_kind(&gs->vmas[i], &gs->vmas[i + 1])) {
            gs->vmas[i].end = gs->vmas[i + 1].end;
            remove_at(gs, i + 1, 1);
            if (hi > 0) hi--;
        } else {
            i++;
        }
    }
}

/* Removes the records of [start, end); true if any of it was executable. */
static bool forget_range(struct guest_space *gs, uint64_t start, uint64_t end) {
    size_t lo, hi;
    carve(gs, start, end, &lo, &hi);
    bool exec = false;
    for (size_t i = lo; i < hi; i++)
        exec |= (gs->vmas[i].prot & PROT_EXEC) != 0;
    remove_at(gs, lo, hi - lo);
    eof_forget(gs, start, end);
    return exec;
}

static void record(struct guest_space *gs, uint64_t start, uint64_t end, int prot,
                   enum gvma_kind kind) {
    size_t i = first_after(gs, start);
    insert_at(gs, i, (struct guest_vma){start, end, prot, kind});
    coalesce(gs, i, i + 1);
}

/* Free for a guest mapping: nothing mapped, none of the reserve. */
static bool range_free(const struct guest_space *gs, uint64_t start, uint64_t end) {
    if (gs_reserved(gs, start, end - start)) return false;
    size_t i = first_after(gs, start);
    return i == gs->n || gs->vmas[i].start >= end;
}

static bool range_ok(const struct guest_space *gs, uint64_t addr, uint64_t len, int prot) {
    if (len == 0) return addr <= gs->size;
    if (!range_in_space(gs, addr, len) || gs_reserved(gs, addr, len)) return false;
    /* a page past the end of its file: the access would be a SIGBUS */
    if (prot && gs->neof && eof_overlaps(gs, addr, addr + len)) return false;
    uint64_t cur = addr, end = addr + len;
    for (size_t i = first_after(gs, addr); cur < end; i++) {
        if (i >= gs->n || gs->vmas[i].start > cur || (gs->vmas[i].prot & prot) != prot)
            return false;
        cur = gs->vmas[i].end;
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

/* Highest free gap of len bytes below mmap_base; 0 if none. */
static uint64_t find_free(const struct guest_space *gs, uint64_t len) {
    uint64_t top = gs->mmap_base;
    size_t i = first_after(gs, top);
    /* i: first mapping ending after top; walk down from the one before. */
    if (i < gs->n && gs->vmas[i].start < top) top = gs->vmas[i].start;
    while (true) {
        uint64_t floor = i > 0 ? gs->vmas[i - 1].end : gs->mmap_min;
        if (floor < gs->mmap_min) floor = gs->mmap_min;
        uint64_t at = fit(gs, floor, top, len);
        if (at) return at;
        if (i == 0) return 0;
        i--;
        top = gs->vmas[i].start;
    }
}

static void host_reserve(struct guest_space *gs, uint64_t start, uint64_t len) {
    void *p = mmap(gs->base + start, len, PROT_NONE,
                   MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    SHOAL_ASSERT(p != MAP_FAILED);
}

static void notify_code_gone(struct guest_space *gs, bool exec, uint64_t start, uint64_t len) {
    if (exec && gs->code_gone) gs->code_gone(gs->code_gone_opaque, start, len);
}

static void layout(struct guest_space *gs, enum gs_change what, uint64_t start, uint64_t len,
                   int prot, enum gvma_kind kind) {
    if (gs->layout && len) gs->layout(gs->layout_opaque, what, start, len, prot, kind);
}

/* copy_files: the file's bytes in a private anonymous mapping. */
static void *map_file_copy(struct guest_space *gs, uint64_t at, uint64_t len, int prot, int fd,
                           uint64_t off) {
    void *p = mmap(gs->base + at, len, PROT_READ | PROT_WRITE,
                   MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return p;
    for (uint64_t done = 0; done < len;) {
        ssize_t n = pread(fd, (uint8_t *)p + done, len - done, (off_t)(off + done));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            int e = errno;
            host_reserve(gs, at, len);
            errno = e;
            return MAP_FAILED;
        }
        if (n == 0) break; /* past the end of the file: zeros, as Linux maps */
        done += (uint64_t)n;
    }
    if (mprotect(p, len, new_prot(gs, prot))) {
        int e = errno;
        host_reserve(gs, at, len);
        errno = e;
        return MAP_FAILED;
    }
    return p;
}

/* A cluster: this shared mapping shows the file's bytes from off, as
 * every other mapping of them does (gs->alias). */
static void alias_file(struct guest_space *gs, uint64_t at, uint64_t len, int fd, uint64_t off) {
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
        gs->alias(gs->layout_opaque, at, len, (uint64_t)st.st_dev, (uint64_t)st.st_ino, off);
}

static bool prot_valid(int prot) {
    return (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC | GUEST_PROT_BTI)) == 0;
}

/* ---- the mmap family ---- */

int64_t gs_mmap(struct guest_space *gs, uint64_t addr, uint64_t len, int prot, int flags, int fd,
                uint64_t off) {
    if (len == 0 || (off & (PAGE - 1)) || !prot_valid(prot)) return -EINVAL;
    int type = flags & MAP_TYPE;
    if (type != MAP_SHARED && type != MAP_PRIVATE && type != MAP_SHARED_VALIDATE) return -EINVAL;
    if (len > gs->size) return -ENOMEM;
    len = page_up(len);
    bool fixed = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE);
    bool anon = flags & MAP_ANONYMOUS;
    int hflags = MAP_FIXED | type |
                 (flags & (MAP_ANONYMOUS | MAP_NORESERVE | MAP_POPULATE | MAP_STACK | MAP_LOCKED));

    /* a cluster shares memory through the DSM, which needs private pages */
    if (gs->copy_files) hflags = (hflags & ~MAP_TYPE) | MAP_PRIVATE;
    if (fixed) gs_unsplit_pin(gs, addr, len);
    pthread_rwlock_wrlock(&gs->lock);
    int64_t ret;
    uint64_t at = 0;
    if (fixed) {
        if (addr & (PAGE - 1)) {
            ret = -EINVAL;
            goto out;
        }
        if (!range_in_space(gs, addr, len)) {
            ret = -ENOMEM;
            goto out;
        }
        if ((flags & MAP_FIXED_NOREPLACE) && !(flags & MAP_FIXED) &&
            !range_free(gs, addr, addr + len)) {
            ret = -EEXIST;
            goto out;
        }
        if (gs_reserved(gs, addr, len)) { /* as qemu outside its guest space */
            ret = -ENOMEM;
            goto out;
        }
        at = addr;
    } else {
        uint64_t hint = addr & GUEST_PAGE_MASK;
        if (hint >= gs->mmap_min && range_in_space(gs, hint, len) &&
            range_free(gs, hint, hint + len))
            at = hint;
        else if (!(at = find_free(gs, len))) {
            ret = -ENOMEM;
            goto out;
        }
    }
    if (gs->copy_files) {
        /* stores to a shared mapping being replaced reach its file, and a
         * copy of a file sees the stores made through its shared mappings */
        sf_remove(gs, at, at + len);
        if (!anon) sf_flush_locked(gs, fd);
    }
    layout(gs, GS_UNMAPPING, at, len, 0, GVMA_ANON);
    void *p = !anon && gs->copy_files ? map_file_copy(gs, at, len, prot, fd, off)
                                      : mmap(gs->base + at, len, new_prot(gs, prot), hflags,
                                             anon ? -1 : fd, anon ? 0 : (off_t)off);
    if (p == MAP_FAILED) {
        ret = -errno;
        goto out;
    }
    bool exec = forget_range(gs, at, at + len);
    enum gvma_kind kind = (anon && type == MAP_PRIVATE) ? GVMA_ANON : GVMA_SHARED;
    if (gs->copy_files && !anon) sf_add(gs, at, len, fd, off, type != MAP_PRIVATE);
    record(gs, at, at + len, prot, kind);
    /* announced first: the mapping's GS_MAPPED applies it (guest_mem.h) */
    if (gs->alias && !anon && type != MAP_PRIVATE) alias_file(gs, at, len, fd, off);
    layout(gs, GS_MAPPED, at, len, prot, kind);
    /* pages wholly past the end of the file fault (SIGBUS) on every node */
    if (gs->copy_files && !anon) sf_eof_sync(gs, at, at + len, fd);
    pthread_rwlock_unlock(&gs->lock);
    notify_code_gone(gs, exec, at, len);
    return (int64_t)at;
out:
    pthread_rwlock_unlock(&gs->lock);
    return ret;
}

int gs_map_fixed(struct guest_space *gs, uint64_t addr, uint64_t len, int prot,
                 enum gvma_kind kind) {
    if ((addr & (PAGE - 1)) || !range_in_space(gs, addr, len) || len == 0) return -EINVAL;
    len = page_up(len);
    pthread_rwlock_wrlock(&gs->lock);
    sf_remove(gs, addr, addr + len);
    layout(gs, GS_UNMAPPING, addr, len, 0, GVMA_ANON);
    void *p = mmap(gs->base + addr, len, new_prot(gs, prot),
                   MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        pthread_rwlock_unlock(&gs->lock);
        return -errno;
    }
    bool exec = forget_range(gs, addr, addr + len);
    record(gs, addr, addr + len, prot, kind);
    layout(gs, GS_MAPPED, addr, len, prot, kind);
    pthread_rwlock_unlock(&gs->lock);
    notify_code_gone(gs, exec, addr, len);
    return 0;
}

/* ---- host objects attached by their own call (SysV shm) ---- */

int64_t gs_attach(struct guest_space *gs, uint64_t addr, uint64_t len, int prot, bool replace,
                  gs_attach_fn attach, void *opaque) {
    return gs_attach_copy(gs, addr, len, prot, replace, attach, opaque, NULL);
}

int64_t gs_attach_copy(struct guest_space *gs, uint64_t addr, uint64_t len, int prot, bool replace,
                       gs_attach_fn attach, void *opaque, const struct gs_shm_copy *shm) {
    if (len == 0 || (addr & (PAGE - 1))) return -EINVAL;
    len = page_up(len);
    pthread_rwlock_wrlock(&gs->lock);
    int64_t ret;
    uint64_t at = addr;
    if (addr) {
        if (!range_in_space(gs, addr, len) || gs_reserved(gs, addr, len) ||
            (!replace && !range_free(gs, addr, addr + len))) {
            ret = -EINVAL;
            goto out;
        }
    } else if (!(at = find_free(gs, len))) {
        ret = -ENOMEM;
        goto out;
    }
    sf_remove(gs, at, at + len);
    layout(gs, GS_UNMAPPING, at, len, 0, GVMA_ANON);
    int e = attach(gs->base + at, opaque);
    if (e) {
        ret = e;
        goto out;
    }
    bool exec = forget_range(gs, at, at + len);
    record(gs, at, at + len, prot, GVMA_SHARED);
    if (shm) {
        sf_add_shm(gs, at, len, shm->mem, shm->size, shm->shmid, shm->key, shm->writable);
        if (gs->alias) gs->alias(gs->layout_opaque, at, len, GS_ALIAS_SHM, (uint64_t)shm->shmid, 0);
    }
    layout(gs, GS_MAPPED, at, len, prot, GVMA_SHARED);
    pthread_rwlock_unlock(&gs->lock);
    notify_code_gone(gs, exec, at, len);
    return (int64_t)at;
out:
    pthread_rwlock_unlock(&gs->lock);
    return ret;
}

int gs_detach(struct guest_space *gs, uint64_t addr, gs_detach_fn detach, void *opaque) {
    uint64_t r[GS_DETACH_MAX][2];
    pthread_rwlock_wrlock(&gs->lock);
    int n = detach(gs->base + addr, r, opaque);
    bool exec = false;
    for (int i = 0; i < n; i++) {
        uint64_t start = r[i][0] - (uint64_t)(uintptr_t)gs->base, len = r[i][1] - r[i][0];
        if (!range_in_space(gs, start, len)) continue; /* cannot be: detach looks inside */
        host_reserve(gs, start, len);
        exec |= forget_range(gs, start, start + len);
        layout(gs, GS_UNMAPPED, start, len, 0, GVMA_ANON);
    }
    pthread_rwlock_unlock(&gs->lock);
    for (int i = 0; exec && i < n; i++)
        notify_code_gone(gs, true, r[i][0] - (uint64_t)(uintptr_t)gs->base, r[i][1] - r[i][0]);
    return n < 0 ? n : 0;
}

int gs_munmap(struct guest_space *gs, uint64_t addr, uint64_t len) {
    if ((addr & (PAGE - 1)) || len == 0 || !range_in_space(gs, addr, len)) return -EINVAL;
    len = page_up(len);
    if (!range_in_space(gs, addr, len)) return -EINVAL;
    /* the reserve is not the guest's: what lies either side of it goes,
     * it stays (Linux's munmap succeeds over unmapped pages too) */
    struct gs_range r[2] = {{addr, addr + len}};
    int n = 1;
    if (gs_reserved(gs, addr, len)) {
        n = 0;
        if (addr < gs->resv_lo) r[n++] = (struct gs_range){addr, gs->resv_lo};
        if (addr + len > gs->resv_hi) r[n++] = (struct gs_range){gs->resv_hi, addr + len};
    }
    bool exec[2] = {false, false};
    for (int k = 0; k < n; k++)
        gs_unsplit_pin(gs, r[k].start, r[k].end - r[k].start);
    pthread_rwlock_wrlock(&gs->lock);
    for (int k = 0; k < n; k++) {
        uint64_t s = r[k].start, l = r[k].end - r[k].start;
        sf_remove(gs, s, s + l);
        layout(gs, GS_UNMAPPING, s, l, 0, GVMA_ANON);
        host_reserve(gs, s, l);
        exec[k] = forget_range(gs, s, s + l);
        layout(gs, GS_UNMAPPED, s, l, 0, GVMA_ANON);
    }
    pthread_rwlock_unlock(&gs->lock);
    for (int k = 0; k < n; k++)
        notify_code_gone(gs, exec[k], r[k].start, r[k].end - r[k].start);
    return 0;
}

int gs_mprotect(struct guest_space *gs, uint64_t addr, uint64_t len, int prot) {
    prot &= ~(PROT_GROWSDOWN | PROT_GROWSUP);
    if ((addr & (PAGE - 1)) || !prot_valid(prot)) return -EINVAL;
    if (len == 0) return 0;
    if (len > gs->size) return -ENOMEM;
    len = page_up(len);
    gs_unsplit_pin(gs, addr, len);
    pthread_rwlock_wrlock(&gs->lock);
    if (!range_ok(gs, addr, len, 0)) {
        pthread_rwlock_unlock(&gs->lock);
        return -ENOMEM;
    }
    int e = gs_set_host_prot(gs, addr, len, host_prot(prot));
    if (e) {
        pthread_rwlock_unlock(&gs->lock);
        return e;
    }
    eof_reseal(gs, addr, addr + len);
    size_t lo, hi;
    carve(gs, addr, addr + len, &lo, &hi);
    bool exec_gone = false;
    for (size_t i = lo; i < hi; i++) {
        exec_gone |= (gs->vmas[i].prot & PROT_EXEC) && !(prot & PROT_EXEC);
        gs->vmas[i].prot = prot;
    }
    coalesce(gs, lo, hi);
    layout(gs, GS_PROTECTED, addr, len, prot, GVMA_ANON);
    pthread_rwlock_unlock(&gs->lock);
    notify_code_gone(gs, exec_gone, addr, len);
    return 0;
}

/* The host VMAs of [start, end), each as it is, moved to start + delta
 * (MAP_FAILED on failure, errno set). */
static void *move_pieces(uint8_t *start, uint8_t *end, intptr_t delta) {
    FILE *f = fopen("/proc/self/maps", "re");
    if (!f) return MAP_FAILED;
    unsigned long lo, hi;
    void *r = start + delta;
    char line[512];
    while (r != MAP_FAILED && fgets(line, sizeof line, f)) {
        if (sscanf(line, "%lx-%lx", &lo, &hi) != 2) continue;
        uint8_t *a = (uint8_t *)lo > start ? (uint8_t *)lo : start;
        uint8_t *b = (uint8_t *)hi < end ? (uint8_t *)hi : end;
        if (a < b && mremap(a, (size_t)(b - a), (size_t)(b - a), MREMAP_MAYMOVE | MREMAP_FIXED,
                            a + delta) == MAP_FAILED)
            r = MAP_FAILED;
    }
    int e = errno;
    fclose(f);
    errno = e;
    return r;
}

/* The host side of a move. A host mremap moves one VMA; a fault capture
 * that keeps page states in the host protection (host_protect) splits a
 * mapping into one per run of pages, which are moved one by one. */
static void *host_move(struct guest_space *gs, uint64_t old, uint64_t old_len, uint64_t new_len,
                       uint64_t to) {
    void *p =
        mremap(gs->base + old, old_len, new_len, MREMAP_MAYMOVE | MREMAP_FIXED, gs->base + to);
    if (p != MAP_FAILED || errno != EFAULT || !gs->host_protect) return p;
    uint64_t kept = old_len < new_len ? old_len : new_len;
    p = move_pieces(gs->base + old, gs->base + old + kept, (intptr_t)to - (intptr_t)old);
    if (p == MAP_FAILED || new_len <= old_len) return p;
    /* the growth: new pages (the DSM's rearm closes them) */
    return mmap(gs->base + to + old_len, new_len - old_len, PROT_NONE,
                MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED
               ? MAP_FAILED
               : p;
}

/* Moves [old, old+old_len) to [to, to+new_len) (lock held). */
static int64_t move_mapping(struct guest_space *gs, uint64_t old, uint64_t old_len,
                            uint64_t new_len, uint64_t to, const struct guest_vma *v, bool *exec) {
    layout(gs, GS_MOVING, old, old_len, v->prot, v->kind);
    uint64_t kept = old_len < new_len ? old_len : new_len;
    sf_remove(gs, to, to + new_len);
    sf_remove(gs, old + kept, old + old_len);
    layout(gs, GS_UNMAPPING, to, new_len, 0, GVMA_ANON);
    layout(gs, GS_UNMAPPING, old, old_len, 0, GVMA_ANON);
    /* pages past the end of their file stay so where they go */
    struct gs_range *past = NULL;
    size_t npast = 0;
    for (size_t i = 0; i < gs->neof; i++) {
        uint64_t lo = gs->eof[i].start > old ? gs->eof[i].start : old;
        uint64_t hi = gs->eof[i].end < old + kept ? gs->eof[i].end : old + kept;
        if (lo >= hi) continue;
        struct gs_range *v = realloc(past, (npast + 1) * sizeof *past);
        SHOAL_ASSERT(v);
        past = v;
        past[npast++] = (struct gs_range){lo - old + to, hi - old + to};
    }
    void *p = host_move(gs, old, old_len, new_len, to);
    if (p == MAP_FAILED) {
        free(past);
        return -errno;
    }
    sf_move(gs, old, kept, to);
    host_reserve(gs, old, old_len);
    /* Translations of either range are stale: the caller drops both. */
    *exec = forget_range(gs, old, old + old_len);
    *exec |= forget_range(gs, to, to + new_len);
    record(gs, to, to + new_len, v->prot, v->kind);
    layout(gs, GS_UNMAPPED, old, old_len, 0, v->kind);
    /* a moved shared mapping shows the same object's bytes again */
    if (gs->alias) sf_realias(gs, to, to + kept);
    layout(gs, GS_MAPPED, to, new_len, v->prot, v->kind);
    for (size_t i = 0; i < npast; i++)
        eof_set(gs, past[i].start, past[i].end, true);
    free(past);
    return (int64_t)to;
}

int64_t gs_mremap(struct guest_space *gs, uint64_t old, uint64_t old_len, uint64_t new_len,
                  int flags, uint64_t new_addr) {
    if (flags & ~(MREMAP_MAYMOVE_ | MREMAP_FIXED_)) return -EINVAL;
    if ((flags & MREMAP_FIXED_) && !(flags & MREMAP_MAYMOVE_)) return -EINVAL;
    if ((old & (PAGE - 1)) || new_len == 0 || old_len == 0) return -EINVAL;
    if (old_len > gs->size || new_len > gs->size) return -ENOMEM;
    old_len = page_up(old_len);
    new_len = page_up(new_len);
    gs_unsplit_pin(gs, old, old_len);
    if (flags & MREMAP_FIXED_) gs_unsplit_pin(gs, new_addr, new_len);

    pthread_rwlock_wrlock(&gs->lock);
    int64_t ret;
    bool exec = false;
    uint64_t gone_start = old, gone_len = old_len, moved_to = 0;
    size_t i = first_after(gs, old);
    /* The old range must lie inside one mapping (the reserve is none). */
    if (!range_in_space(gs, old, old_len) || gs_reserved(gs, old, old_len) || i >= gs->n ||
        gs->vmas[i].start > old || gs->vmas[i].end < old + old_len) {
        ret = -EFAULT;
        goto out;
    }
    struct guest_vma v = gs->vmas[i];
    if (flags & MREMAP_FIXED_) {
        if ((new_addr & (PAGE - 1)) || !range_in_space(gs, new_addr, new_len) ||
            (new_addr < old + old_len && old < new_addr + new_len)) {
            ret = -EINVAL;
            goto out;
        }
        if (gs_reserved(gs, new_addr, new_len)) { /* as mmap(MAP_FIXED) there */
            ret = -ENOMEM;
            goto out;
        }
        ret = move_mapping(gs, old, old_len, new_len, new_addr, &v, &exec);
        if (ret > 0) moved_to = new_addr;
        goto out;
    }
    if (new_len <= old_len) {
        if (new_len < old_len) {
            sf_remove(gs, old + new_len, old + old_len);
            layout(gs, GS_UNMAPPING, old + new_len, old_len - new_len, 0, v.kind);
            host_reserve(gs, old + new_len, old_len - new_len);
            exec = forget_range(gs, old + new_len, old + old_len);
            layout(gs, GS_UNMAPPED, old + new_len, old_len - new_len, 0, v.kind);
            gone_start = old + new_len;
            gone_len = old_len - new_len;
        }
        ret = (int64_t)old;
        goto out;
    }
    uint64_t tail = old + old_len, grow = new_len - old_len;
    if (v.kind == GVMA_ANON && range_in_space(gs, tail, grow) &&
        range_free(gs, tail, tail + grow)) {
        void *p = mmap(gs->base + tail, grow, new_prot(gs, v.prot),
                       MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            ret = -errno;
            goto out;
        }
        record(gs, tail, tail + grow, v.prot, v.kind);
        layout(gs, GS_MAPPED, tail, grow, v.prot, v.kind);
        ret = (int64_t)old;
        goto out;
    }
    if (!(flags & MREMAP_MAYMOVE_)) {
        ret = -ENOMEM;
        goto out;
    }
    uint64_t to = find_free(gs, new_len);
    ret = to ? move_mapping(gs, old, old_len, new_len, to, &v, &exec) : -ENOMEM;
    if (ret > 0) moved_to = to;
out:
    pthread_rwlock_unlock(&gs->lock);
    notify_code_gone(gs, exec, gone_start, gone_len);
    if (ret > 0 && moved_to) notify_code_gone(gs, exec, moved_to, new_len);
    return ret;
}

/* A cluster's MADV_DONTNEED (lock held for writing): private memory
 * reads as zero again on every node; shared mappings (files, SysV
 * segments: their private copies here) keep their bytes, as Linux keeps
 * the page cache's and shmem's, and the DSM pages behind them stay. The
 * layout hook makes the host's discard: on the master only after the
 * directory has forgotten the pages, which it may otherwise read from
 * this node's copy meanwhile (a page this node holds for others) and
 * wait forever on the fault it takes there (master/DESIGN.md). */
static int discard_private(struct guest_space *gs, uint64_t addr, uint64_t len) {
    uint64_t end = addr + len;
    for (size_t i = first_after(gs, addr); i < gs->n && gs->vmas[i].start < end; i++) {
        if (gs->vmas[i].kind == GVMA_SHARED && gs->copy_files) continue;
        uint64_t lo = gs->vmas[i].start > addr ? gs->vmas[i].start : addr;
        uint64_t hi = gs->vmas[i].end < end ? gs->vmas[i].end : end;
        layout(gs, GS_DISCARDED, lo, hi - lo, 0, GVMA_ANON);
    }
    return 0;
}

int gs_madvise(struct guest_space *gs, uint64_t addr, uint64_t len, int advice) {
    if (addr & (PAGE - 1)) return -EINVAL;
    /* Only advice with no effect outside the range itself (no HWPOISON & co). */
    if (advice < 0 || advice > MADV_PAGEOUT) return -EINVAL;
    if (len == 0) return 0;
    if (len > gs->size) return -ENOMEM;
    len = page_up(len);
    /* DONTNEED zeroes memory: a cluster makes every node forget it, in
     * the order of other layout changes */
    bool discard = advice == MADV_DONTNEED && gs->layout;
    if (discard) gs_unsplit_pin(gs, addr, len);
    if (discard)
        pthread_rwlock_wrlock(&gs->lock);
    else
        pthread_rwlock_rdlock(&gs->lock);
    int ret = 0;
    if (!range_ok(gs, addr, len, 0))
        ret = -ENOMEM;
    else if (discard)
        ret = discard_private(gs, addr, len);
    else if (madvise(gs->base + addr, len, advice) != 0)
        ret = -errno;
    pthread_rwlock_unlock(&gs->lock);
    return ret;
}

void gs_reserve(struct guest_space *gs, uint64_t lo, uint64_t len) {
    if (!range_in_space(gs, lo, len) || !len) return;
    gs->resv_lo = lo;
    gs->resv_hi = lo + len;
}

/* ---- brk ---- */

void gs_set_brk(struct guest_space *gs, uint64_t start) {
    pthread_rwlock_wrlock(&gs->lock);
    gs->brk_start = gs->brk_cur = page_up(start);
    pthread_rwlock_unlock(&gs->lock);
}

uint64_t gs_brk(struct guest_space *gs, uint64_t new_brk) {
    pthread_rwlock_wrlock(&gs->lock);
    uint64_t cur = gs->brk_cur;
    if (new_brk < gs->brk_start || new_brk > gs->size) goto out;
    uint64_t old_top = page_up(cur), new_top = page_up(new_brk);
    if (new_top > old_top) {
        if (!range_free(gs, old_top, new_top)) goto out;
        void *p = mmap(gs->base + old_top, new_top - old_top, new_prot(gs, PROT_READ | PROT_WRITE),
                       MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) goto out;
        record(gs, old_top, new_top, PROT_READ | PROT_WRITE, GVMA_BRK);
        layout(gs, GS_MAPPED, old_top, new_top - old_top, PROT_READ | PROT_WRITE, GVMA_BRK);
    } else if (new_top < old_top) {
        layout(gs, GS_UNMAPPING, new_top, old_top - new_top, 0, GVMA_BRK);
        host_reserve(gs, new_top, old_top - new_top);
        forget_range(gs, new_top, old_top);
        layout(gs, GS_UNMAPPED, new_top, old_top - new_top, 0, GVMA_BRK);
    }
    gs->brk_cur = cur = new_brk;
out:
    pthread_rwlock_unlock(&gs->lock);
    return cur;
}

/* ---- checked access for syscall handlers ---- */

bool gs_check_locked(const struct guest_space *gs, uint64_t addr, uint64_t len, int prot) {
    gs_unsplit_pin(gs, addr, len);
    return range_ok(gs, addr, len, prot);
}

bool gs_check(struct guest_space *gs, uint64_t addr, uint64_t len, int prot) {
    gs_unsplit_pin(gs, addr, len);
    pthread_rwlock_rdlock(&gs->lock);
    bool ok = range_ok(gs, addr, len, prot);
    pthread_rwlock_unlock(&gs->lock);
    return ok;
}

int gs_copy_in(struct guest_space *gs, void *dst, uint64_t src, size_t len) {
    gs_unsplit(gs, src, len);
    pthread_rwlock_rdlock(&gs->lock);
    bool ok = range_ok(gs, src, len, PROT_READ);
    if (ok) memcpy(dst, gs->base + src, len);
    pthread_rwlock_unlock(&gs->lock);
    return ok ? 0 : -EFAULT;
}

int gs_copy_out(struct guest_space *gs, uint64_t dst, const void *src, size_t len) {
    gs_unsplit(gs, dst, len);
    pthread_rwlock_rdlock(&gs->lock);
    bool ok = range_ok(gs, dst, len, PROT_WRITE);
    if (ok) memcpy(gs->base + dst, src, len);
    pthread_rwlock_unlock(&gs->lock);
    return ok ? 0 : -EFAULT;
}

long gs_strcpy_in(struct guest_space *gs, char *dst, uint64_t src, size_t cap) {
    gs_unsplit(gs, src, cap);
    pthread_rwlock_rdlock(&gs->lock);
    long ret = -EFAULT;
    size_t done = 0;
    size_t i = first_after(gs, src);
    uint64_t cur = src;
    while (i < gs->n && gs->vmas[i].start <= cur && (gs->vmas[i].prot & PROT_READ)) {
        size_t avail = gs->vmas[i].end - cur;
        bool capped = false;
        if (gs_reserved(gs, cur, avail)) { /* unmapped to the guest: no further */
            avail = cur < gs->resv_lo ? gs->resv_lo - cur : 0;
            capped = true;
        }
        for (size_t k = 0; k < gs->neof; k++) /* a page past the end of its file: no further */
            if (gs->eof[k].end > cur && gs->eof[k].start < cur + avail) {
                avail = gs->eof[k].start > cur ? gs->eof[k].start - cur : 0;
                capped = true;
            }
        if (!avail) break;
        size_t want = cap - done < avail ? cap - done : avail;
        const char *s = (const char *)gs->base + cur;
        const char *nul = memchr(s, 0, want);
        size_t n = nul ? (size_t)(nul - s) + 1 : want;
        memcpy(dst + done, s, n);
        done += n;
        if (nul) {
            ret = (long)done - 1;
            break;
        }
        if (done == cap) {
            ret = -ENAMETOOLONG;
            break;
        }
        if (capped) break;
        cur = gs->vmas[i].end;
        i++;
    }
    pthread_rwlock_unlock(&gs->lock);
    return ret;
}

bool gs_is_free(struct guest_space *gs, uint64_t addr, uint64_t len) {
    pthread_rwlock_rdlock(&gs->lock);
    bool free_ = range_in_space(gs, addr, len) && range_free(gs, addr, addr + len);
    pthread_rwlock_unlock(&gs->lock);
    return free_;
}

bool gs_find(struct guest_space *gs, uint64_t addr, struct guest_vma *out) {
    pthread_rwlock_rdlock(&gs->lock);
    size_t i = first_after(gs, addr);
    bool found = i < gs->n && gs->vmas[i].start <= addr;
    if (found) *out = gs->vmas[i];
    pthread_rwlock_unlock(&gs->lock);
    return found;
}

int gs_prot_locked(const struct guest_space *gs, uint64_t addr) {
    size_t i = first_after(gs, addr);
    return i < gs->n && gs->vmas[i].start <= addr ? gs->vmas[i].prot : -1;
}

size_t gs_count(struct guest_space *gs) {
    pthread_rwlock_rdlock(&gs->lock);
    size_t n = gs->n;
    pthread_rwlock_unlock(&gs->lock);
    return n;
}
