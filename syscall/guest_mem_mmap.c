/* The mmap family on the guest space: mmap (file mappings as private
 * copies in a cluster), the loader's fixed mappings, munmap, mprotect,
 * madvise, and host objects that attach themselves (SysV shm). mremap is
 * guest_mem_mremap.c. The host protection is the guest's without
 * PROT_EXEC (code is read, not executed, by the DBT), plus PROT_READ for
 * execute-only memory. */
#define _GNU_SOURCE
#include "syscall/guest_mem.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "syscall/file_eof.h"
#include "syscall/guest_mem_internal.h"
#include "syscall/shared_file.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#define GUEST_PROT_BTI 0x10 /* AArch64 PROT_BTI: accepted, no effect here */

static int host_prot(int prot) {
    return gs_host_prot(prot);
}

/* The host protection of a new mapping: the guest's, or none where a
 * fault capture keeps page states in the protection (host_protect) or
 * the layout hook opens new mappings (new_closed), so no thread reaches
 * a new page before the DSM knows it. */
int gs_new_prot(const struct guest_space *gs, int prot) {
    return gs->host_protect || gs->new_closed ? PROT_NONE : host_prot(prot);
}

/* copy_files: the file's bytes in a private anonymous mapping. On a
 * failure after the range was replaced (*replaced set) what was mapped
 * there is gone: the caller makes it the reserve (gs_unmap_failed). */
static void *map_file_copy(struct guest_space *gs, uint64_t at, uint64_t len, int prot, int fd,
                           uint64_t off, bool *replaced) {
    void *p = mmap(gs->base + at, len, PROT_READ | PROT_WRITE,
                   MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return p;
    *replaced = true;
    for (uint64_t done = 0; done < len;) {
        ssize_t n = pread(fd, (uint8_t *)p + done, len - done, (off_t)(off + done));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return MAP_FAILED;
        if (n == 0) break; /* past the end of the file: zeros, as Linux maps */
        done += (uint64_t)n;
    }
    return mprotect(p, len, gs_new_prot(gs, prot)) ? MAP_FAILED : p;
}

/* A cluster: this shared mapping shows the file's bytes from off, as
 * every other mapping of them does (gs->alias). */
static void alias_file(struct guest_space *gs, uint64_t at, uint64_t len, int fd, uint64_t off) {
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
        gs->alias(gs->layout_opaque, at, len, (uint64_t)st.st_dev, (uint64_t)st.st_ino, off);
}

/* copy_files: what the host's mmap of fd refuses before it changes
 * anything, refused here before the layout hook hears of the range
 * (map_file_copy replaces the range first, and only its read fails). */
static int file_unmappable(int fd, int type, int prot) {
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0) return -EBADF;
    struct stat st;
    if (fstat(fd, &st)) return -errno;
    if (S_ISDIR(st.st_mode) || S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)) return -ENODEV;
    int acc = fl & O_ACCMODE;
    if (acc == O_WRONLY || (type != MAP_PRIVATE && (prot & PROT_WRITE) && acc != O_RDWR))
        return -EACCES;
    return 0;
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
    len = gs_page_up(len);
    bool fixed = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE);
    bool anon = flags & MAP_ANONYMOUS;
    int hflags = MAP_FIXED | type |
                 (flags & (MAP_ANONYMOUS | MAP_NORESERVE | MAP_POPULATE | MAP_STACK | MAP_LOCKED));

    /* a cluster shares memory through the DSM, which needs private pages */
    if (gs->copy_files) hflags = (hflags & ~MAP_TYPE) | MAP_PRIVATE;
    if (!anon && gs->copy_files) {
        int e = file_unmappable(fd, type, prot);
        if (e) return e;
    }
    if (fixed) gs_unsplit_pin(gs, addr, len);
    pthread_rwlock_wrlock(&gs->lock);
    int64_t ret;
    uint64_t at = 0;
    bool exec = false; /* executable pages went */
    if (fixed) {
        if (addr & (PAGE - 1)) {
            ret = -EINVAL;
            goto out;
        }
        if (!gs_range_in_space(gs, addr, len)) {
            ret = -ENOMEM;
            goto out;
        }
        if ((flags & MAP_FIXED_NOREPLACE) && !(flags & MAP_FIXED) &&
            !gs_range_free(gs, addr, addr + len)) {
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
        if (hint >= gs->mmap_min && gs_range_in_space(gs, hint, len) &&
            gs_range_free(gs, hint, hint + len))
            at = hint;
        else if (!(at = gs_find_free(gs, len))) {
            ret = -ENOMEM;
            goto out;
        }
    }
    if (!gs_map_room(gs, 2)) { /* a mapping amid one or amid the reserve */
        ret = -ENOMEM;
        goto out;
    }
    /* private anonymous memory where nothing was: the change only adds */
    bool adds = anon && type == MAP_PRIVATE && gs_range_free(gs, at, at + len);
    if (gs->copy_files) {
        /* stores to a shared mapping being replaced reach its file, and a
         * copy of a file sees the stores made through its shared mappings */
        sf_remove(gs, at, at + len);
        if (!anon) sf_flush_locked(gs, fd);
    }
    if (!adds) gs_notify_layout(gs, GS_UNMAPPING, at, len, 0, GVMA_ANON);
    bool replaced = false;
    void *p = !anon && gs->copy_files ? map_file_copy(gs, at, len, prot, fd, off, &replaced)
                                      : mmap(gs->base + at, len, gs_new_prot(gs, prot), hflags,
                                             anon ? -1 : fd, anon ? 0 : (off_t)off);
    if (p == MAP_FAILED) {
        ret = -errno;
        /* the range was replaced already (the file's read failed), or the
         * layout hook has let its pages go: what was there is unmapped,
         * on every node (a MAP_FIXED that fails may leave its range so on
         * Linux too) */
        if (replaced || (!adds && gs->layout)) exec = gs_unmap_failed(gs, at, len);
        goto out;
    }
    exec = gs_forget_range(gs, at, at + len);
    enum gvma_kind kind = (anon && type == MAP_PRIVATE) ? GVMA_ANON : GVMA_SHARED;
    if (gs->copy_files && !anon) sf_add(gs, at, len, fd, off, type != MAP_PRIVATE);
    gs_record(gs, at, at + len, prot, kind);
    /* announced first: the mapping's GS_MAPPED applies it (guest_mem.h) */
    if (gs->alias && !anon && type != MAP_PRIVATE) alias_file(gs, at, len, fd, off);
    gs_notify_change(gs, GS_MAPPED, at, len, prot, kind, adds);
    /* pages wholly past the end of the file fault (SIGBUS) on every node */
    if (gs->copy_files && !anon) sf_eof_sync(gs, at, at + len, fd);
    ret = (int64_t)at;
out:
    pthread_rwlock_unlock(&gs->lock);
    gs_notify_code_gone(gs, exec, at, len);
    return ret;
}

int gs_map_fixed(struct guest_space *gs, uint64_t addr, uint64_t len, int prot,
                 enum gvma_kind kind) {
    if ((addr & (PAGE - 1)) || !gs_range_in_space(gs, addr, len) || len == 0) return -EINVAL;
    len = gs_page_up(len);
    pthread_rwlock_wrlock(&gs->lock);
    if (!gs_map_room(gs, 2)) {
        pthread_rwlock_unlock(&gs->lock);
        return -ENOMEM;
    }
    sf_remove(gs, addr, addr + len);
    gs_notify_layout(gs, GS_UNMAPPING, addr, len, 0, GVMA_ANON);
    void *p = mmap(gs->base + addr, len, gs_new_prot(gs, prot),
                   MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        int e = -errno;
        bool exec = gs_unmap_failed(gs, addr, len);
        pthread_rwlock_unlock(&gs->lock);
        gs_notify_code_gone(gs, exec, addr, len);
        return e;
    }
    bool exec = gs_forget_range(gs, addr, addr + len);
    gs_record(gs, addr, addr + len, prot, kind);
    gs_notify_layout(gs, GS_MAPPED, addr, len, prot, kind);
    pthread_rwlock_unlock(&gs->lock);
    gs_notify_code_gone(gs, exec, addr, len);
    return 0;
}

int gs_munmap(struct guest_space *gs, uint64_t addr, uint64_t len) {
    if ((addr & (PAGE - 1)) || len == 0 || !gs_range_in_space(gs, addr, len)) return -EINVAL;
    len = gs_page_up(len);
    if (!gs_range_in_space(gs, addr, len)) return -EINVAL;
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
    unsigned splits = 0;
    for (int k = 0; k < n; k++)
        splits += gs_splits(gs, r[k].start, r[k].end);
    if (splits && !gs_map_room(gs, splits)) { /* unmapping amid a mapping */
        pthread_rwlock_unlock(&gs->lock);
        return -ENOMEM;
    }
    for (int k = 0; k < n; k++) {
        uint64_t s = r[k].start, l = r[k].end - r[k].start;
        sf_remove(gs, s, s + l);
        gs_notify_layout(gs, GS_UNMAPPING, s, l, 0, GVMA_ANON);
        gs_host_reserve(gs, s, l);
        exec[k] = gs_forget_range(gs, s, s + l);
        gs_notify_layout(gs, GS_UNMAPPED, s, l, 0, GVMA_ANON);
    }
    pthread_rwlock_unlock(&gs->lock);
    for (int k = 0; k < n; k++)
        gs_notify_code_gone(gs, exec[k], r[k].start, r[k].end - r[k].start);
    return 0;
}

int gs_mprotect(struct guest_space *gs, uint64_t addr, uint64_t len, int prot) {
    prot &= ~(PROT_GROWSDOWN | PROT_GROWSUP);
    if ((addr & (PAGE - 1)) || !prot_valid(prot)) return -EINVAL;
    if (len == 0) return 0;
    if (len > gs->size) return -ENOMEM;
    len = gs_page_up(len);
    gs_unsplit_pin(gs, addr, len);
    pthread_rwlock_wrlock(&gs->lock);
    unsigned splits = gs_splits(gs, addr, addr + len);
    if (!gs_range_ok(gs, addr, len, 0) || (splits && !gs_map_room(gs, splits))) {
        pthread_rwlock_unlock(&gs->lock);
        return -ENOMEM;
    }
    int e = (prot & PROT_WRITE) && sf_write_denied(gs, addr, addr + len)
                ? -EACCES
                : gs_set_host_prot(gs, addr, len, host_prot(prot));
    if (e) {
        pthread_rwlock_unlock(&gs->lock);
        return e;
    }
    eof_reseal(gs, addr, addr + len);
    size_t lo, hi;
    gs_carve(gs, addr, addr + len, &lo, &hi);
    bool exec_gone = false, adds = true;
    for (size_t i = lo; i < hi; i++) {
        struct guest_vma *v = gs_vma(gs, i);
        exec_gone |= (v->prot & PROT_EXEC) && !(prot & PROT_EXEC);
        adds = adds && !(v->prot & ~prot);
        v->prot = prot;
    }
    gs_coalesce(gs, lo, hi);
    gs_notify_change(gs, GS_PROTECTED, addr, len, prot, GVMA_ANON, adds);
    pthread_rwlock_unlock(&gs->lock);
    gs_notify_code_gone(gs, exec_gone, addr, len);
    return 0;
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
    const struct guest_vma *v;
    for (size_t i = gs_first_after(gs, addr);
         i < gs_vma_count(gs) && (v = gs_vma(gs, i))->start < end; i++) {
        if (v->kind == GVMA_SHARED && gs->copy_files) continue;
        uint64_t lo = v->start > addr ? v->start : addr;
        uint64_t hi = v->end < end ? v->end : end;
        gs_notify_layout(gs, GS_DISCARDED, lo, hi - lo, 0, GVMA_ANON);
    }
    return 0;
}

int gs_madvise(struct guest_space *gs, uint64_t addr, uint64_t len, int advice) {
    if (addr & (PAGE - 1)) return -EINVAL;
    /* Only advice with no effect outside the range itself (no HWPOISON & co). */
    if (advice < 0 || advice > MADV_PAGEOUT) return -EINVAL;
    if (len == 0) return 0;
    if (len > gs->size) return -ENOMEM;
    len = gs_page_up(len);
    /* DONTNEED zeroes memory: a cluster makes every node forget it, in
     * the order of other layout changes */
    bool discard = advice == MADV_DONTNEED && gs->layout;
    if (discard) gs_unsplit_pin(gs, addr, len);
    if (discard)
        pthread_rwlock_wrlock(&gs->lock);
    else
        pthread_rwlock_rdlock(&gs->lock);
    int ret = 0;
    if (!gs_range_ok(gs, addr, len, 0))
        ret = -ENOMEM;
    else if (discard)
        ret = discard_private(gs, addr, len);
    else if (madvise(gs->base + addr, len, advice) != 0)
        ret = -errno;
    pthread_rwlock_unlock(&gs->lock);
    return ret;
}

/* ---- host objects attached by their own call (SysV shm) ---- */

int64_t gs_attach(struct guest_space *gs, uint64_t addr, uint64_t len, int prot, bool replace,
                  gs_attach_fn attach, void *opaque) {
    return gs_attach_copy(gs, addr, len, prot, replace, attach, opaque, NULL);
}

int64_t gs_attach_copy(struct guest_space *gs, uint64_t addr, uint64_t len, int prot, bool replace,
                       gs_attach_fn attach, void *opaque, const struct gs_shm_copy *shm) {
    if (len == 0 || (addr & (PAGE - 1))) return -EINVAL;
    len = gs_page_up(len);
    pthread_rwlock_wrlock(&gs->lock);
    int64_t ret;
    uint64_t at = addr;
    if (addr) {
        if (!gs_range_in_space(gs, addr, len) || gs_reserved(gs, addr, len) ||
            (!replace && !gs_range_free(gs, addr, addr + len))) {
            ret = -EINVAL;
            goto out;
        }
    } else if (!(at = gs_find_free(gs, len))) {
        ret = -ENOMEM;
        goto out;
    }
    if (!gs_map_room(gs, 2)) {
        ret = -ENOMEM;
        goto out;
    }
    sf_remove(gs, at, at + len);
    gs_notify_layout(gs, GS_UNMAPPING, at, len, 0, GVMA_ANON);
    int e = attach(gs->base + at, opaque);
    if (e) {
        ret = e;
        bool exec = gs->layout ? gs_unmap_failed(gs, at, len) : false;
        pthread_rwlock_unlock(&gs->lock);
        gs_notify_code_gone(gs, exec, at, len);
        return ret;
    }
    bool exec = gs_forget_range(gs, at, at + len);
    gs_record(gs, at, at + len, prot, GVMA_SHARED);
    if (shm) {
        sf_add_shm(gs, at, len, shm->mem, shm->size, shm->shmid, shm->key, shm->writable);
        if (gs->alias) gs->alias(gs->layout_opaque, at, len, GS_ALIAS_SHM, (uint64_t)shm->shmid, 0);
    }
    gs_notify_layout(gs, GS_MAPPED, at, len, prot, GVMA_SHARED);
    pthread_rwlock_unlock(&gs->lock);
    gs_notify_code_gone(gs, exec, at, len);
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
        if (!gs_range_in_space(gs, start, len)) continue; /* cannot be: detach looks inside */
        gs_host_reserve(gs, start, len);
        exec |= gs_forget_range(gs, start, start + len);
        gs_notify_layout(gs, GS_UNMAPPED, start, len, 0, GVMA_ANON);
    }
    pthread_rwlock_unlock(&gs->lock);
    for (int i = 0; exec && i < n; i++)
        gs_notify_code_gone(gs, true, r[i][0] - (uint64_t)(uintptr_t)gs->base, r[i][1] - r[i][0]);
    return n < 0 ? n : 0;
}
