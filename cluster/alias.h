/* One node's table of aliased guest pages: in a cluster, every MAP_SHARED
 * mapping of a file is one set of DSM pages keyed by (object, page of the
 * object) rather than by guest address, so two mappings of the same file
 * bytes, at any addresses, in any order, share coherence.
 *
 * A key is a page number with ALIAS_KEY_BIT set (guest page numbers never
 * have it): the directory, the home copies and each node's page states
 * treat it as any other page. The master gives each object an id (fresh
 * whenever the object goes from unmapped to mapped, so a key of an
 * object that was unmapped everywhere is never met again) and sends every
 * node the guest ranges that show it (LayoutChange LAYOUT_ALIAS); each
 * node keeps them here.
 *
 * A node holds a key's bytes at one place at most: the key's *active*
 * guest page (its private anonymous memory stays private anonymous, as
 * the fault capture needs). An access through another page of the same
 * key faults as a miss; the node then moves the bytes there (protect,
 * copy, drop, install: cluster/dsm_node.c), with no message, since the
 * key's state on this node does not change. So two threads of one node
 * that alternate between two mappings of one page pay a local fault per
 * switch; threads of different nodes pay what they would for one page.
 *
 * Pure bookkeeping: a mutex, no host memory, no page states. */
#ifndef SHOAL_CLUSTER_ALIAS_H
#define SHOAL_CLUSTER_ALIAS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dsm/u64map.h"

#define ALIAS_KEY_BIT   (1ull << 63)
#define ALIAS_OBJ_SHIFT 36 /* object pages below: 2^36 pages, 256 TiB of file offsets */
#define ALIAS_OBJ_MAX   ((1ull << (63 - ALIAS_OBJ_SHIFT)) - 1)

static inline bool alias_is_key(uint64_t page) {
    return (page & ALIAS_KEY_BIT) != 0;
}
/* The key of page pg of object obj (obj in 1..ALIAS_OBJ_MAX). */
static inline uint64_t alias_key_of(uint64_t obj, uint64_t pg) {
    return ALIAS_KEY_BIT | obj << ALIAS_OBJ_SHIFT | pg;
}
static inline uint64_t alias_obj_of(uint64_t key) {
    return (key & ~ALIAS_KEY_BIT) >> ALIAS_OBJ_SHIFT;
}

struct alias_range {
    uint64_t first, n; /* guest pages [first, first+n) */
    uint64_t key;      /* the key of page first; page first+i is key+i */
};

struct alias_table {
    pthread_mutex_t lock;
    struct alias_range *v; /* unordered, non-overlapping */
    size_t n, cap;
    _Atomic size_t live;  /* n, for a look without the lock (0: no cost on any fault) */
    struct u64map active; /* key -> guest page + 1 holding (or about to hold) its bytes here */
};

void alias_init(struct alias_table *t);
void alias_fini(struct alias_table *t);

/* Guest pages [first, first+n) show key..key+n-1 (nothing of that range
 * may be in the table: the caller removed it first). */
void alias_add(struct alias_table *t, uint64_t first, uint64_t n, uint64_t key);
/* [first, first+n) stops being aliased. For each page removed that is
 * its key's active page, calls gone(arg, page, key) after the removal
 * (table unlocked; the mark stays until the caller moves it, so a fault
 * through another page of the key meanwhile still finds the bytes);
 * then each key left with no page at all goes to dead(arg, key), its
 * mark already cleared. Either callback may be NULL. */
void alias_remove(struct alias_table *t, uint64_t first, uint64_t n,
                  void (*gone)(void *arg, uint64_t page, uint64_t key),
                  void (*dead)(void *arg, uint64_t key), void *arg);

/* The key guest page shows, or page itself when it is not aliased. */
uint64_t alias_key(struct alias_table *t, uint64_t page);
/* The guest pages that show key, at most max of them into out; returns
 * how many there are. */
size_t alias_pages(struct alias_table *t, uint64_t key, uint64_t *out, size_t max);
/* The key's active page here (0: none). */
uint64_t alias_active(struct alias_table *t, uint64_t key);
/* The active page, or, when there is none, the lowest page showing key,
 * which becomes active (0: the key has no page here). */
uint64_t alias_place(struct alias_table *t, uint64_t key);
void alias_set_active(struct alias_table *t, uint64_t key, uint64_t page);
/* The same, only if page shows key still (a removal may race a fault);
 * false (nothing changed) if not. */
bool alias_activate(struct alias_table *t, uint64_t key, uint64_t page);
/* Whether any range shows a key of object obj. */
bool alias_obj_live(struct alias_table *t, uint64_t obj);

#endif
