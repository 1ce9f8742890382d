#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "dsm/directory.h"
#include "dsm/fault_impl.h"

/* Set by the handler thread around each callback (a thread-local: the
 * callback signature stays the mechanism-neutral one). */
static _Thread_local int fault_tid;

int dsm_fault_tid(void) {
    return fault_tid;
}

void dsm_fault_set_tid(int tid) {
    fault_tid = tid;
}

static int region_new(enum dsm_fault_mech mech, void *addr, size_t size, dsm_fault_fn fn,
                      void *opaque, bool adopt, bool polled, struct dsm_fault_region **out) {
    if (!size || size % DSM_PAGE_SIZE || ((uintptr_t)addr % DSM_PAGE_SIZE)) return -EINVAL;
    struct dsm_fault_region *r = calloc(1, sizeof *r);
    if (!r) return -ENOMEM;
    r->adopted = adopt;
    r->polled = polled;
    r->mech = mech;
    r->ops = mech == DSM_FAULT_UFFD ? &dsm_fault_uffd_ops : &dsm_fault_mprotect_ops;
    r->size = size;
    r->fn = fn;
    r->opaque = opaque;
    r->uffd = r->stop_fd = r->memfd = r->pipe_rd = r->pipe_wr = r->procmem = -1;
    int err = r->ops->create(r, addr);
    if (err) {
        free(r);
        return err;
    }
    *out = r;
    return 0;
}

int dsm_fault_region_create(enum dsm_fault_mech mech, void *addr, size_t size, dsm_fault_fn fn,
                            void *opaque, struct dsm_fault_region **out) {
    return region_new(mech, addr, size, fn, opaque, false, false, out);
}

int dsm_fault_region_adopt(enum dsm_fault_mech mech, void *addr, size_t size, dsm_fault_fn fn,
                           void *opaque, struct dsm_fault_region **out) {
    if (!addr) return -EOPNOTSUPP;
    return region_new(mech, addr, size, fn, opaque, true, false, out);
}

int dsm_fault_region_adopt_polled(void *addr, size_t size, dsm_fault_fn fn, void *opaque,
                                  struct dsm_fault_region **out) {
    if (!addr) return -EOPNOTSUPP;
    return region_new(DSM_FAULT_UFFD, addr, size, fn, opaque, true, true, out);
}

int dsm_fault_region_fd(const struct dsm_fault_region *r) {
    return r->polled ? r->uffd : -1;
}

int dsm_fault_region_dispatch(struct dsm_fault_region *r) {
    return r->polled ? dsm_uffd_dispatch(r) : -EINVAL;
}

int dsm_fault_rearm(struct dsm_fault_region *r, uint64_t off, uint64_t len) {
    if (off % DSM_PAGE_SIZE || len % DSM_PAGE_SIZE || off > r->size || len > r->size - off)
        return -EINVAL;
    return r->ops->rearm ? r->ops->rearm(r, off, len) : -EOPNOTSUPP;
}

int dsm_fault_wake_range(struct dsm_fault_region *r, uint64_t off, uint64_t len) {
    if (off % DSM_PAGE_SIZE || len % DSM_PAGE_SIZE || off > r->size || len > r->size - off)
        return -EINVAL;
    return r->ops->wake_range ? r->ops->wake_range(r, off, len) : -EOPNOTSUPP;
}

int dsm_fault_guest_protect(struct dsm_fault_region *r, uint64_t off, uint64_t len, int prot) {
    if (off % DSM_PAGE_SIZE || len % DSM_PAGE_SIZE || off > r->size || len > r->size - off)
        return -EINVAL;
    prot &= PROT_READ | PROT_WRITE;
    if (r->mech == DSM_FAULT_MPROTECT) return dsm_fault_mprotect_guest(r, off, len, prot);
    /* userfaultfd keeps the DSM's state in the page tables, apart */
    return mprotect(r->base + off, len, prot) ? -errno : 0;
}

void dsm_fault_region_forsake(struct dsm_fault_region *r) {
    r->dead = true; /* the mprotect signal handler passes it by */
}

void dsm_fault_region_destroy(struct dsm_fault_region *r) {
    if (!r) return;
    r->ops->destroy(r);
    /* mprotect regions stay allocated (marked dead) for the lock-free
     * signal-handler list; their destroy frees nothing */
    if (r->mech == DSM_FAULT_UFFD) free(r);
}

void *dsm_fault_region_base(const struct dsm_fault_region *r) {
    return r->base;
}
enum dsm_fault_mech dsm_fault_region_mech(const struct dsm_fault_region *r) {
    return r->mech;
}

static int check(const struct dsm_fault_region *r, uint64_t off) {
    return off % DSM_PAGE_SIZE || off >= r->size ? -EINVAL : 0;
}

int dsm_fault_install(struct dsm_fault_region *r, uint64_t off, const void *data, int prot) {
    int e = check(r, off);
    return e ? e : r->ops->install(r, off, data, prot);
}
long dsm_fault_install_run(struct dsm_fault_region *r, uint64_t off, uint32_t n, const void *data,
                           int prot) {
    if (check(r, off) || n == 0 || (uint64_t)n * DSM_PAGE_SIZE > r->size - off) return 0;
    if (r->ops->install_run) return r->ops->install_run(r, off, n, data, prot);
    static const uint8_t zeros[DSM_PAGE_SIZE];
    uint32_t k = 0;
    while (k < n &&
           !r->ops->install(r, off + (uint64_t)k * DSM_PAGE_SIZE,
                            data ? (const uint8_t *)data + (size_t)k * DSM_PAGE_SIZE : zeros, prot))
        k++;
    return k;
}
int dsm_fault_protect_range(struct dsm_fault_region *r, uint64_t off, uint64_t len, int prot) {
    if (check(r, off) || len == 0 || len % DSM_PAGE_SIZE || len > r->size - off) return -EINVAL;
    if (r->ops->protect_range) return r->ops->protect_range(r, off, len, prot);
    for (uint64_t o = 0; o < len; o += DSM_PAGE_SIZE) {
        int e = r->ops->protect(r, off + o, prot);
        if (e) return e;
    }
    return 0;
}
int dsm_fault_protect(struct dsm_fault_region *r, uint64_t off, int prot) {
    int e = check(r, off);
    return e ? e : r->ops->protect(r, off, prot);
}
int dsm_fault_copy_out(struct dsm_fault_region *r, uint64_t off, void *buf) {
    int e = check(r, off);
    return e ? e : r->ops->copy_out(r, off, buf);
}
int dsm_fault_drop(struct dsm_fault_region *r, uint64_t off) {
    int e = check(r, off);
    return e ? e : r->ops->drop(r, off);
}
int dsm_fault_wake(struct dsm_fault_region *r, uint64_t off) {
    int e = check(r, off);
    return e ? e : r->ops->wake(r, off);
}

/* Page splitting: a sealed page is PROT_NONE, so a guest access to it is
 * a SIGSEGV (the DBT's to redirect), never a miss the handler would
 * serve. The page must be absent (dropped). One VMA per sealed page: the
 * master bounds the number of split pages. */
int dsm_fault_seal(struct dsm_fault_region *r, uint64_t off, bool sealed) {
    int e = check(r, off);
    if (e) return e;
    if (r->mech != DSM_FAULT_UFFD) return -EOPNOTSUPP;
    if (mprotect(r->base + off, DSM_PAGE_SIZE, sealed ? PROT_NONE : PROT_READ | PROT_WRITE))
        return -errno;
    return r->ops->wake(r, off);
}

static uint64_t page_off(const struct dsm_fault_pages *fp, uint64_t page) {
    return (page - fp->first_page) * DSM_PAGE_SIZE;
}
int dsm_fault_pages_install(void *fp, uint64_t page, const void *data, int prot) {
    struct dsm_fault_pages *p = fp;
    return dsm_fault_install(p->region, page_off(p, page), data, prot);
}
long dsm_fault_pages_install_run(void *fp, uint64_t page, uint32_t n, const void *data, int prot) {
    struct dsm_fault_pages *p = fp;
    return dsm_fault_install_run(p->region, page_off(p, page), n, data, prot);
}
int dsm_fault_pages_protect_run(void *fp, uint64_t page, uint32_t n, int prot) {
    struct dsm_fault_pages *p = fp;
    return dsm_fault_protect_range(p->region, page_off(p, page), (uint64_t)n * DSM_PAGE_SIZE, prot);
}
int dsm_fault_pages_protect(void *fp, uint64_t page, int prot) {
    struct dsm_fault_pages *p = fp;
    return dsm_fault_protect(p->region, page_off(p, page), prot);
}
int dsm_fault_pages_copy_out(void *fp, uint64_t page, void *buf) {
    struct dsm_fault_pages *p = fp;
    return dsm_fault_copy_out(p->region, page_off(p, page), buf);
}
int dsm_fault_pages_drop(void *fp, uint64_t page) {
    struct dsm_fault_pages *p = fp;
    return dsm_fault_drop(p->region, page_off(p, page));
}
int dsm_fault_pages_wake(void *fp, uint64_t page) {
    struct dsm_fault_pages *p = fp;
    return dsm_fault_wake(p->region, page_off(p, page));
}
