/* Fault capture: a region of host memory whose pages can be absent,
 * read-only or read-write, where an access the page does not allow
 * becomes a callback on a handler thread while the faulting thread stays
 * parked until the page changes. Two mechanisms behind one interface:
 *
 *  - DSM_FAULT_UFFD: userfaultfd on private anonymous memory, registered
 *    for MISSING and WP faults. Pages are installed atomically with
 *    UFFDIO_COPY, write permission changes with UFFDIO_WRITEPROTECT,
 *    pages are dropped with MADV_DONTNEED. The region stays one VMA
 *    whatever the page states.
 *  - DSM_FAULT_MPROTECT: the fallback. A region made here is a memfd
 *    mapped twice (the guest view, whose protections change with
 *    mprotect, and a read-write alias used to fill and copy pages without
 *    ever exposing a half-written page); an adopted one is the embedder's
 *    private memory, filled and copied through /proc/self/mem. Faults
 *    arrive as SIGSEGV. Every run of pages with one protection is a VMA,
 *    bounded by vm.max_map_count.
 *
 * Only dsm/ changes host page protection. Offsets are byte offsets of a
 * page inside the region. The callback runs on the handler thread and
 * must not touch absent pages of the region (it would fault on itself). */
#ifndef SHOAL_DSM_FAULT_H
#define SHOAL_DSM_FAULT_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum dsm_fault_mech { DSM_FAULT_UFFD = 0, DSM_FAULT_MPROTECT = 1 };

/* A thread accessed the page at offset (write: a store) and is parked. */
typedef void (*dsm_fault_fn)(void *opaque, uint64_t offset, bool write);
/* Inside a dsm_fault_fn: the host tid of the parked thread (userfaultfd's
 * UFFD_FEATURE_THREAD_ID), 0 where the mechanism does not tell (mprotect). */
int dsm_fault_tid(void);

struct dsm_fault_region;

/* Maps size bytes (a page multiple) at addr (MAP_FIXED, replacing what is
 * there) or anywhere when addr is NULL; every page starts absent. Starts
 * the handler thread. 0 or -errno (-ENOSYS/-EPERM: the mechanism is not
 * available here; see dsm_uffd_probe()). */
int dsm_fault_region_create(enum dsm_fault_mech mech, void *addr, size_t size, dsm_fault_fn fn,
                            void *opaque, struct dsm_fault_region **out);
/* Captures faults on memory the caller already mapped at addr (private
 * anonymous, or PROT_NONE reservations). The caller keeps mapping inside
 * it and calls dsm_fault_rearm for each new mapping.
 *  - userfaultfd: page contents kept, present pages stay present.
 *  - mprotect: every page starts absent with no guest protection; the
 *    caller gives the guest's protection of its mappings with
 *    dsm_fault_guest_protect and makes every later change of it there
 *    (the host protection is the guest's and the DSM's intersection), and
 *    marks pages present with dsm_fault_protect. A SIGSEGV that the
 *    guest's protection explains is not the DSM's (dsm_fault_mprotect_on_signal
 *    returns false). */
int dsm_fault_region_adopt(enum dsm_fault_mech mech, void *addr, size_t size, dsm_fault_fn fn,
                           void *opaque, struct dsm_fault_region **out);
/* As dsm_fault_region_adopt with userfaultfd, but with no handler thread:
 * the embedder watches dsm_fault_region_fd() and calls
 * dsm_fault_region_dispatch() whenever it is readable, and the callback
 * runs on that thread (an event loop that also brings the pages saves a
 * thread hand-off per fault). That thread must never touch an absent
 * page of the region itself: nobody else would read its fault. */
int dsm_fault_region_adopt_polled(void *addr, size_t size, dsm_fault_fn fn, void *opaque,
                                  struct dsm_fault_region **out);
/* A polled region's userfaultfd (non-blocking), -1 for other regions. */
int dsm_fault_region_fd(const struct dsm_fault_region *r);
/* A polled region: reports every queued fault through the callback. 0 or
 * -errno (-EINVAL: not a polled region). */
int dsm_fault_region_dispatch(struct dsm_fault_region *r);
/* After the caller mapped [off, off+len) anew inside an adopted region:
 * capture faults there too, and wake threads parked on what was there
 * (mprotect: every page there is absent now, the guest's protection
 * kept). */
int dsm_fault_rearm(struct dsm_fault_region *r, uint64_t off, uint64_t len);
/* Wakes threads parked on any page of [off, off+len) (userfaultfd; the
 * mprotect fallback's rearm does it): after the range was unmapped,
 * they fault again on what is there now. 0 or -errno (-EOPNOTSUPP). */
int dsm_fault_wake_range(struct dsm_fault_region *r, uint64_t off, uint64_t len);
/* The guest's protection of [off, off+len) (PROT_READ/PROT_WRITE) in an
 * adopted region: userfaultfd, a plain mprotect; mprotect, recorded per
 * page and applied with the DSM's states, so a change never opens a page
 * the DSM holds absent or read-only. 0 or -errno. */
int dsm_fault_guest_protect(struct dsm_fault_region *r, uint64_t off, uint64_t len, int prot);
/* In a forked child, which has neither the handler thread nor (with
 * userfaultfd) the registration: the region captures nothing from now
 * on; its memory is the child's plain memory, protected as it is. */
void dsm_fault_region_forsake(struct dsm_fault_region *r);
/* Stops the handler thread and unmaps the region (not an adopted one). No thread may be
 * parked on it. */
void dsm_fault_region_destroy(struct dsm_fault_region *r);
void *dsm_fault_region_base(const struct dsm_fault_region *r);
enum dsm_fault_mech dsm_fault_region_mech(const struct dsm_fault_region *r);

/* Page operations; prot is PROT_READ or PROT_READ|PROT_WRITE. Each wakes
 * the threads parked on the page. 0 or -errno. */
/* Absent -> present with these bytes, atomically (-EEXIST if present). */
int dsm_fault_install(struct dsm_fault_region *r, uint64_t off, const void *data, int prot);
/* n absent pages from off on, data holding them one after the other
 * (NULL: zeros), in one step where the mechanism can (userfaultfd: one
 * UFFDIO_COPY, or for writable zeros one UFFDIO_ZEROPAGE).
 * Returns how many pages, from the first, it installed. */
long dsm_fault_install_run(struct dsm_fault_region *r, uint64_t off, uint32_t n, const void *data,
                           int prot);
/* Present page: change write permission. */
int dsm_fault_protect(struct dsm_fault_region *r, uint64_t off, int prot);
/* Present pages [off, off + len): the same, in one step where the
 * mechanism can (userfaultfd: one UFFDIO_WRITEPROTECT, one TLB flush). */
int dsm_fault_protect_range(struct dsm_fault_region *r, uint64_t off, uint64_t len, int prot);
/* Present page: copy its bytes out (after write-protecting it, for a
 * consistent copy). */
int dsm_fault_copy_out(struct dsm_fault_region *r, uint64_t off, void *buf);
/* Present -> absent: the next access faults as a miss. */
int dsm_fault_drop(struct dsm_fault_region *r, uint64_t off);
/* Wakes threads parked on the page without changing it. */
int dsm_fault_wake(struct dsm_fault_region *r, uint64_t off);

/* Page splitting (userfaultfd only, -EOPNOTSUPP otherwise): sealed, the
 * page (absent) is PROT_NONE and an access to it is a SIGSEGV for the
 * accessing thread; unsealed, it is read-write again and faults as a miss.
 * Wakes the threads parked on it either way. */
int dsm_fault_seal(struct dsm_fault_region *r, uint64_t off, bool sealed);

/* Whether userfaultfd with write-protect on anonymous memory works here;
 * on failure writes the reason into why. 0 or -errno. */
int dsm_uffd_probe(char *why, size_t n);

/* For a process whose SIGSEGV handler belongs to someone else (the DBT):
 * call this first from that handler; true if the fault was in an mprotect
 * region and has been handled (return from the signal handler to retry
 * the access). dsm_fault_region_create() installs a handler that does
 * this and chains to the previous one. Async-signal-safe. */
bool dsm_fault_mprotect_on_signal(const siginfo_t *si, void *ucontext);

/* Adapters for struct dsm_page_ops (dsm/page_state.h): opaque is a
 * struct dsm_fault_pages, page numbers are relative to first_page. The
 * caller adds its own send_request. */
struct dsm_fault_pages {
    struct dsm_fault_region *region;
    uint64_t first_page; /* page number of the region's first page */
};
int dsm_fault_pages_install(void *fp, uint64_t page, const void *data, int prot);
long dsm_fault_pages_install_run(void *fp, uint64_t page, uint32_t n, const void *data, int prot);
int dsm_fault_pages_protect(void *fp, uint64_t page, int prot);
int dsm_fault_pages_protect_run(void *fp, uint64_t page, uint32_t n, int prot);
int dsm_fault_pages_copy_out(void *fp, uint64_t page, void *buf);
int dsm_fault_pages_drop(void *fp, uint64_t page);
int dsm_fault_pages_wake(void *fp, uint64_t page);

#endif
