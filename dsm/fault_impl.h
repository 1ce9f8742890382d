/* Private to the fault-capture mechanisms: the region and the table of
 * operations each mechanism provides. */
#ifndef SHOAL_DSM_FAULT_IMPL_H
#define SHOAL_DSM_FAULT_IMPL_H

#include <pthread.h>
#include <stdatomic.h>

#include "dsm/fault.h"

struct fault_mech_ops {
    int (*create)(struct dsm_fault_region *r, void *addr);
    void (*destroy)(struct dsm_fault_region *r);
    int (*install)(struct dsm_fault_region *r, uint64_t off, const void *data, int prot);
    /* optional: n pages at once; how many from the first it installed */
    long (*install_run)(struct dsm_fault_region *r, uint64_t off, uint32_t n, const void *data,
                        int prot);
    int (*protect)(struct dsm_fault_region *r, uint64_t off, int prot);
    /* optional: [off, off + len) at once */
    int (*protect_range)(struct dsm_fault_region *r, uint64_t off, uint64_t len, int prot);
    int (*copy_out)(struct dsm_fault_region *r, uint64_t off, void *buf);
    int (*drop)(struct dsm_fault_region *r, uint64_t off);
    int (*wake)(struct dsm_fault_region *r, uint64_t off);
    /* optional: every page of [off, off + len) */
    int (*wake_range)(struct dsm_fault_region *r, uint64_t off, uint64_t len);
    /* optional: register [off, off+len) again after the embedder
     * replaced the mappings there (adopted regions) */
    int (*rearm)(struct dsm_fault_region *r, uint64_t off, uint64_t len);
};

/* Parked mprotect faulters wait on one of these words, chosen by page, so
 * a change to one page wakes few unrelated threads. A hash, not a table
 * of pages: any number of pages share the buckets. */
#define FAULT_WAKE_BUCKETS 64

/* The handler thread: the thread whose fault the next callback reports
 * (host tid, 0: unknown). */
void dsm_fault_set_tid(int tid);

/* userfaultfd: reads and reports the queued faults (uffd.c). */
int dsm_uffd_dispatch(struct dsm_fault_region *r);

struct dsm_fault_region {
    const struct fault_mech_ops *ops;
    enum dsm_fault_mech mech;
    uint8_t *base;
    size_t size;
    dsm_fault_fn fn;
    void *opaque;
    pthread_t thread;
    bool thread_started;
    bool adopted; /* the embedder's memory: registered, never mapped or unmapped here */
    bool polled;  /* no handler thread: the embedder calls dsm_fault_region_dispatch */
    /* userfaultfd */
    int uffd, stop_fd;
    /* mprotect */
    int memfd, pipe_rd, pipe_wr;
    uint8_t *alias;
    /* adopted mprotect regions (the embedder's private memory, no alias):
     * /proc/self/mem to fill and copy pages through their protection, and
     * one byte per page: the DSM's permission (MP_STATE_*) and the
     * guest's (MP_GUEST_*), the host protection being their
     * intersection; prot_lock orders each change with its mprotect */
    int procmem;
    _Atomic uint8_t *prot_map;
    pthread_mutex_t prot_lock;
    _Atomic uint32_t wake_seq[FAULT_WAKE_BUCKETS];
    struct dsm_fault_region *_Atomic next_registered; /* signal handler's list */
    _Atomic bool dead;
};

/* mprotect, adopted regions: the guest's protection of a range. */
int dsm_fault_mprotect_guest(struct dsm_fault_region *r, uint64_t off, uint64_t len, int prot);

extern const struct fault_mech_ops dsm_fault_uffd_ops;
extern const struct fault_mech_ops dsm_fault_mprotect_ops;

#endif
