/* mremap on the guest space: shrinking, growing in place, and moving a
 * mapping with its shared-file records, its pages past the end of their
 * file and its alias, one host VMA at a time where a fault capture has
 * split it. */
#define _GNU_SOURCE
#include "syscall/guest_mem.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "common/log.h"
#include "syscall/file_eof.h"
#include "syscall/guest_mem_internal.h"
#include "syscall/shared_file.h"

#define MREMAP_MAYMOVE_ 1
#define MREMAP_FIXED_   2

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
    gs_notify_layout(gs, GS_MOVING, old, old_len, v->prot, v->kind);
    uint64_t kept = old_len < new_len ? old_len : new_len;
    sf_remove(gs, to, to + new_len);
    sf_remove(gs, old + kept, old + old_len);
    gs_notify_layout(gs, GS_UNMAPPING, to, new_len, 0, GVMA_ANON);
    gs_notify_layout(gs, GS_UNMAPPING, old, old_len, 0, GVMA_ANON);
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
        int e = -errno;
        free(past);
        if (gs->layout) { /* both ranges' pages are forgotten */
            *exec = gs_unmap_failed(gs, to, new_len);
            *exec |= gs_unmap_failed(gs, old, old_len);
        }
        return e;
    }
    sf_move(gs, old, kept, to);
    gs_host_reserve(gs, old, old_len);
    /* Translations of either range are stale: the caller drops both. */
    *exec = gs_forget_range(gs, old, old + old_len);
    *exec |= gs_forget_range(gs, to, to + new_len);
    gs_record(gs, to, to + new_len, v->prot, v->kind);
    gs_notify_layout(gs, GS_UNMAPPED, old, old_len, 0, v->kind);
    /* a moved shared mapping shows the same object's bytes again */
    if (gs->alias) sf_realias(gs, to, to + kept);
    gs_notify_layout(gs, GS_MAPPED, to, new_len, v->prot, v->kind);
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
    old_len = gs_page_up(old_len);
    new_len = gs_page_up(new_len);
    gs_unsplit_pin(gs, old, old_len);
    if (flags & MREMAP_FIXED_) gs_unsplit_pin(gs, new_addr, new_len);

    pthread_rwlock_wrlock(&gs->lock);
    int64_t ret;
    bool exec = false;
    uint64_t gone_start = old, gone_len = old_len, moved_to = 0;
    const struct guest_vma *in = gs_vma_containing(gs, old);
    /* The old range must lie inside one mapping (the reserve is none). */
    if (!gs_range_in_space(gs, old, old_len) || gs_reserved(gs, old, old_len) || !in ||
        in->end < old + old_len) {
        ret = -EFAULT;
        goto out;
    }
    struct guest_vma v = *in;
    /* a move may split a mapping at both ends of both ranges; a
     * shrink, where it cuts; a growth, its neighbour reserve */
    unsigned more = (flags & MREMAP_FIXED_) || new_len > old_len
                        ? 4
                        : gs_splits(gs, old + new_len, old + old_len);
    if (more && !gs_map_room(gs, more)) {
        ret = -ENOMEM;
        goto out;
    }
    if (flags & MREMAP_FIXED_) {
        if ((new_addr & (PAGE - 1)) || !gs_range_in_space(gs, new_addr, new_len) ||
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
            gs_notify_layout(gs, GS_UNMAPPING, old + new_len, old_len - new_len, 0, v.kind);
            gs_host_reserve(gs, old + new_len, old_len - new_len);
            exec = gs_forget_range(gs, old + new_len, old + old_len);
            gs_notify_layout(gs, GS_UNMAPPED, old + new_len, old_len - new_len, 0, v.kind);
            gone_start = old + new_len;
            gone_len = old_len - new_len;
        }
        ret = (int64_t)old;
        goto out;
    }
    uint64_t tail = old + old_len, grow = new_len - old_len;
    if (v.kind == GVMA_ANON && gs_range_in_space(gs, tail, grow) &&
        gs_range_free(gs, tail, tail + grow)) {
        void *p = mmap(gs->base + tail, grow, gs_new_prot(gs, v.prot),
                       MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            ret = -errno;
            goto out;
        }
        gs_record(gs, tail, tail + grow, v.prot, v.kind);
        gs_notify_layout(gs, GS_MAPPED, tail, grow, v.prot, v.kind);
        ret = (int64_t)old;
        goto out;
    }
    if (!(flags & MREMAP_MAYMOVE_)) {
        ret = -ENOMEM;
        goto out;
    }
    uint64_t to = gs_find_free(gs, new_len);
    ret = to ? move_mapping(gs, old, old_len, new_len, to, &v, &exec) : -ENOMEM;
    if (ret > 0) moved_to = to;
out:
    pthread_rwlock_unlock(&gs->lock);
    gs_notify_code_gone(gs, exec, gone_start, gone_len);
    if (ret > 0 && moved_to) gs_notify_code_gone(gs, exec, moved_to, new_len);
    return ret;
}
