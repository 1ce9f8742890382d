/* The per-node side of the DSM: this node's state (I/S/M) of every guest
 * page it has touched, the one outstanding request per page, and the
 * ordered host-side steps that change a page. It knows nothing about the
 * network or the fault mechanism: both plug in through dsm_page_ops.
 *
 * Who calls what:
 *  - the fault path (the uffd handler thread, or a guest thread in a slow
 *    path) calls dsm_pages_fault() / dsm_pages_acquire();
 *  - the communicator thread delivers the master's messages with
 *    dsm_pages_on_data/grant/invalidate/fetch and sends the answers.
 *
 * Thread-safe: one mutex per table; host operations and subscriber
 * callbacks run in the calling thread, callbacks outside the lock. */
#ifndef SHOAL_DSM_PAGE_STATE_H
#define SHOAL_DSM_PAGE_STATE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dsm/directory.h" /* enum dsm_state, enum dsm_req, DSM_PAGE_SIZE */
#include "dsm/u64map.h"

/* Host-side operations on one page (page number, not address) and the
 * request channel. prot is PROT_READ (S) or PROT_READ|PROT_WRITE (M). */
struct dsm_page_ops {
    /* make an absent page present with these bytes and protection,
     * atomically for other threads (uffd: UFFDIO_COPY); -ENOENT: nothing
     * is mapped there (a guest mremap's hole, until the change reserves
     * it again) */
    int (*install)(void *opaque, uint64_t page, const void *data, int prot);
    /* change the protection of a present page (-ENOENT: as install) */
    int (*protect)(void *opaque, uint64_t page, int prot);
    /* copy the bytes of a present page out (DSM_PAGE_SIZE) */
    int (*copy_out)(void *opaque, uint64_t page, void *buf);
    /* make the page absent: the next access faults as a miss */
    int (*drop)(void *opaque, uint64_t page);
    /* optional: wake threads parked on a fault for this page that turned
     * out to need nothing (the page was installed meanwhile) */
    int (*wake)(void *opaque, uint64_t page);
    /* send a request for the page to the directory; layout: the last
     * address-space change this node had applied in full when the
     * request was made (dsm_pages_layout_done) */
    int (*send_request)(void *opaque, uint64_t page, enum dsm_req kind, uint64_t layout);
    /* optional: install n (2..DSM_RUN_MAX) absent pages from page on at
     * once, data holding them one after the other (NULL: zeros); returns
     * how many, from the first, it installed (the rest go one by one) */
    long (*install_run)(void *opaque, uint64_t page, uint32_t n, const void *data, int prot);
    /* optional: a thread reached a tripwire page (called outside the
     * lock): forwarding's progress, for the directory's stream detector */
    void (*reached)(void *opaque, uint64_t page);
    /* optional: change the protection of n present pages at once;
     * 0, or -errno with the run's protection left as it may be */
    int (*protect_run)(void *opaque, uint64_t page, uint32_t n, int prot);
};

/* Most pages one dsm_pages_on_data_run installs (a message's run). */
#define DSM_RUN_MAX 64u

/* What happened to a page, for subscribers. */
enum dsm_page_event {
    /* this node lost its copy or its write right (it left M, or S->I):
     * from now on other nodes may change the contents, so anything
     * derived from them (translated code) is stale */
    DSM_EV_DROPPED = 0,
    /* new contents were installed from the master */
    DSM_EV_INSTALLED = 1,
    /* the copy this node kept became writable (an upgrade was answered):
     * contents unchanged */
    DSM_EV_GRANTED = 2,
};
typedef void (*dsm_page_event_fn)(void *opaque, uint64_t page, enum dsm_page_event ev);

struct dsm_page {
    uint8_t state;  /* enum dsm_state */
    int8_t pending; /* enum dsm_req outstanding at the directory, or -1 */
    uint64_t gen;   /* bumped whenever this node loses a right on the page */
    /* a tripwire (dsm_pages_on_data_run): the page is held in S, its
     * bytes here, not yet on the host; the first access installs them
     * and tells the embedder (ops->reached) */
    void *stash;
};

struct dsm_page_sub {
    dsm_page_event_fn fn;
    void *opaque;
};

struct dsm_node_stats {
    uint64_t read_miss, write_miss, upgrades; /* requests sent, by kind */
    uint64_t dedup;                           /* faults that waited for another's request */
    uint64_t spurious;                        /* faults the state already covered */
    uint64_t installs, grants, invalidations, fetches;
    uint64_t tripped; /* tripwires reached (dsm_pages_on_data_run) */
    /* stale answers (dsm_pages_on_stale): taken for the old mapping, or not */
    uint64_t stale_installs, stale_refused;
};

struct dsm_pages {
    const struct dsm_page_ops *ops;
    void *opaque;
    pthread_mutex_t lock;
    pthread_cond_t changed; /* broadcast when a page's state or request changes */
    struct u64map pages;    /* page -> struct dsm_page *, grows with pages touched */
    struct dsm_page_sub *subs;
    size_t nsubs;
    struct dsm_node_stats stats;
    /* Store-exclusives hold it shared from their check to the end of their
     * compare-and-swap; taking an M page away (dsm_pages_on_fetch) holds
     * it exclusive. So a store-exclusive that found the page in M with
     * its load's generation completes before the page can leave. */
    pthread_rwlock_t excl_lock;
    /* Generations of new entries start here, above that of every entry
     * forgotten (dsm_pages_forget: munmap, a page split or unsplit), so a
     * load-exclusive's generation never matches a later entry of the same
     * page (no ABA across a forget). */
    uint64_t gen_floor;
    /* Address-space changes (ids the embedder gives, increasing): the
     * last one begun here and the last one applied in full. A request
     * carries the second; a stale answer (dsm_pages_on_stale) is taken
     * only before the change it names has begun. */
    uint64_t layout_begun, layout_done;
};

int dsm_pages_init(struct dsm_pages *ps, const struct dsm_page_ops *ops, void *opaque);
void dsm_pages_fini(struct dsm_pages *ps);

/* Registers a page-change subscriber (the DBT drops stale translations).
 * Callbacks run outside the table lock, before the message handler
 * returns (so before the master hears the answer), and must not wait for
 * guest memory. 0 or -ENOMEM. */
int dsm_pages_subscribe(struct dsm_pages *ps, dsm_page_event_fn fn, void *opaque);

enum dsm_fault_outcome {
    DSM_FAULT_READY = 0, /* the state already allows the access: retry it */
    DSM_FAULT_SENT = 1,  /* a request went to the directory */
    DSM_FAULT_WAIT = 2,  /* another request for the page is outstanding */
};

/* A fault on page (write or read). Never blocks: the caller parks the
 * faulting thread (uffd keeps it in the kernel until the page changes).
 * Returns an outcome, or -errno from send_request. */
int dsm_pages_fault(struct dsm_pages *ps, uint64_t page, bool write);
/* Blocks until this node holds page in S (read) or M (write), sending a
 * request if nobody has. 0 or -errno. */
int dsm_pages_acquire(struct dsm_pages *ps, uint64_t page, bool write);

/* Messages from the directory; each returns 0 or -errno (-EPROTO when
 * the page's state does not allow the message). */
/* DIR_ACT_SEND: install data in st (S or M). */
int dsm_pages_on_data(struct dsm_pages *ps, uint64_t page, enum dsm_state st, const void *data);
/* n DIR_ACT_SENDs in st of the pages from first on (a run of pages sent
 * ahead of any request in one message), data holding them one after the
 * other (NULL: zero pages): the pages this node does not hold are
 * installed together (install_run), the others as dsm_pages_on_data
 * would. trip (S only):
 * the first page, when this node lacks it, is a tripwire: held in S but
 * kept off the host (stash), so the first access to it, when a thread
 * walks into the run, installs it locally and calls ops->reached. 0, or
 * the first error met (the pages without one are installed all the
 * same). */
int dsm_pages_on_data_run(struct dsm_pages *ps, uint64_t first, uint32_t n, enum dsm_state st,
                          const void *data, bool trip);
/* The same for a run whose pages lie stride (1..) pages apart: page i is
 * first + i * stride (a strided stream's pushes); stride 1 is
 * dsm_pages_on_data_run. Pages apart are installed one by one. */
int dsm_pages_on_data_strided(struct dsm_pages *ps, uint64_t first, uint32_t n, uint32_t stride,
                              enum dsm_state st, const void *data, bool trip);
/* DIR_ACT_GRANT: keep the copy, now in st (M). */
int dsm_pages_on_grant(struct dsm_pages *ps, uint64_t page, enum dsm_state st);
/* DIR_ACT_INVALIDATE: drop an S copy; the caller then sends the ack. */
int dsm_pages_on_invalidate(struct dsm_pages *ps, uint64_t page);
/* DIR_ACT_FETCH: write-protect, copy into buf, then drop if keep is I.
 * The caller sends buf as the writeback. buf may be NULL when keep is S
 * (the caller reads the kept copy itself, dsm_pages_copy). */
int dsm_pages_on_fetch(struct dsm_pages *ps, uint64_t page, enum dsm_state keep, void *buf);
/* n (1..DSM_RUN_MAX) DIR_ACT_FETCHes keeping S, without a copy, of the
 * pages from first on, all held here in M: write-protected with one
 * protect_run (userfaultfd: one UFFDIO_WRITEPROTECT, one TLB flush for
 * the run instead of one per page). -EAGAIN, changing nothing, when a
 * page is not in M or the run cannot be protected at once: the caller
 * fetches them one by one. */
int dsm_pages_on_fetch_run(struct dsm_pages *ps, uint64_t first, uint32_t n);

/* The directory's answer to a request made on this node's address space
 * before `change`, which replaced the page (dsm/DESIGN.md, "Requests
 * across a layout change"): the directory has no record of it. When a
 * request for the page is waiting here and change has not begun, the
 * waiting thread gets the page in M for the old mapping, which change
 * then removes: its own S copy made writable, else zeros. Otherwise
 * nothing is installed and threads parked on the page are woken (to
 * fault again once the change is made). 0 when installed, else
 * -ESTALE (or the install's -errno). */
int dsm_pages_on_stale(struct dsm_pages *ps, uint64_t page, uint64_t change);

/* The host holds page present though this table holds it in I (a store
 * reached a new mapping before fault capture covered it): it is dropped
 * (nothing happens to a page the table holds). 0 or -errno. */
int dsm_pages_drop_stray(struct dsm_pages *ps, uint64_t page);

/* The embedder's address-space changes, by increasing id: one has begun
 * (called with every thread that could wait for a page while holding
 * what the change needs kept out, e.g. under the embedder's address
 * space write lock), or is applied in full. */
void dsm_pages_layout_begin(struct dsm_pages *ps, uint64_t id);
void dsm_pages_layout_done(struct dsm_pages *ps, uint64_t id);

/* The address space changed under the table (dsm/DESIGN.md): */
/* This node already holds the page's only valid copy, present in host
 * memory with the protection st implies: record st with no host step. */
int dsm_pages_adopt(struct dsm_pages *ps, uint64_t page, enum dsm_state st);
/* Pages [first, first+n) are gone or zero: their entries are dropped (as
 * never touched) and waiters woken. The caller changed host memory. */
void dsm_pages_forget(struct dsm_pages *ps, uint64_t first, uint64_t n);
/* The same, with the host change made by change(arg) under the table's
 * lock: no install can come between them, which would leave a page in
 * host memory with no entry (no fault, so no request: its bytes go
 * stale) or an entry for a page the change removed. */
void dsm_pages_forget_with(struct dsm_pages *ps, uint64_t first, uint64_t n,
                           void (*change)(void *arg), void *arg);

/* A node that keeps one page at several host places (cluster/alias.h)
 * moves its bytes between them: fn(arg, state) runs with the page's
 * state held still (the table lock and the exclusive lock taken, so no
 * message and no store-exclusive changes it meanwhile) and does the host
 * steps itself. It returns DSM_RELOC_KEEP, or DSM_RELOC_LOST when this
 * node no longer holds the bytes anywhere (only ever for S: the page
 * becomes I here, silently, as a sharer that forgot its copy; its next
 * request asks for data, never for an upgrade). fn must not call back
 * into the table. Returns fn's result. */
enum { DSM_RELOC_KEEP = 0, DSM_RELOC_LOST = 1 };
int dsm_pages_relocate(struct dsm_pages *ps, uint64_t page, int (*fn)(void *arg, enum dsm_state st),
                       void *arg);
/* Returns once every relocation under way when it was called has ended
 * (each holds the table's locks throughout): a layout change that no
 * longer finds a key's bytes in its range may still have a move copying
 * them out of it, and must not take the range's host pages before. */
void dsm_pages_relocations_drain(struct dsm_pages *ps);

/* Queries. */
enum dsm_state dsm_pages_state(struct dsm_pages *ps, uint64_t page);
/* Copies the bytes of a page this node holds (S or M) into buf; -EPROTO
 * when it holds none. */
int dsm_pages_copy(struct dsm_pages *ps, uint64_t page, void *buf);
/* Exclusive monitor: LDXR records the generation; STXR may succeed only
 * if the page is in M and the generation is unchanged, i.e. this node
 * never lost the page in between (no ABA across nodes). */
uint64_t dsm_pages_generation(struct dsm_pages *ps, uint64_t page);
bool dsm_pages_excl_valid(struct dsm_pages *ps, uint64_t page, uint64_t gen);
/* A store-exclusive on page, whose load-exclusive saw generation gen:
 * true when the page is in M with that generation, and then the page
 * stays in M until dsm_pages_excl_end (the caller does its store in
 * between, which must not fault: the host page is writable in M). False
 * (nothing held) when the store must fail. The caller first makes the
 * page M with an ordinary write access, so a page that merely was in S
 * at the load succeeds when nobody wrote it meanwhile. */
bool dsm_pages_excl_begin(struct dsm_pages *ps, uint64_t page, uint64_t gen);
void dsm_pages_excl_end(struct dsm_pages *ps);

#endif
