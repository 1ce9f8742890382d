/* One node's side of page splitting (dsm/DESIGN.md, "Page splitting";
 * `[dsm] split = on`). The master splits a falsely shared guest page P
 * into shadow pages: chunk i (`grain` bytes) of P lives at the same offset
 * of shadow page S_i, an ordinary DSM page of the shadow area. On every
 * node P is then absent and sealed (PROT_NONE): a guest instruction that
 * touches it faults, the DBT marks it and re-translates it with a mapped
 * address (dbt/redirect.h, the hooks installed here); every other
 * instruction and every other page is untouched.
 *
 * What cannot be redirected makes P ordinary again (an unsplit, run by the
 * master): a syscall or any emulator access to P (the guest space's
 * unsplit hook, and the host-fault hook for an emulator access that
 * raced with a split), an exclusive or atomic, an access straddling a
 * grain (the DBT's release hook).
 *
 * Translated code redirects inline (a compare and a few adds per access,
 * for the pages split when the instruction was translated, at most
 * REDIRECT_INLINE_MAX of them; beyond, it calls `map`). A translation
 * made while P was split stays valid only while P is: unsplitting drops
 * and seals every node's copies of P's shadow pages, so a stale
 * translation faults on them and is re-translated.
 *
 * The table of split pages is read without a lock (translated code may
 * call `map` on every redirected access): entries are added, never removed
 * (an unsplit page keeps its key with state ORDINARY); it grows with the
 * pages ever split here. */
#ifndef SHOAL_CLUSTER_SPLIT_NODE_H
#define SHOAL_CLUSTER_SPLIT_NODE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "cluster/split_pins.h"
#include "dsm/directory.h"

struct dsm_node;

/* The shadow area: from the middle of the guest space (far from the
 * loader at the bottom, the stack and mmap placement at the top) up to an
 * eighth of the space further, mapped by the master in chunks of
 * SPLIT_CHUNK_SIZE as ordinary anonymous guest mappings: the first at
 * the set-up, the next ones when the free slots run low (slaves get them
 * as any layout change). A slot (one split page) is DSM_PAGE_SIZE / grain
 * pages. Slots are never reused: a late access through a stale mapping
 * finds a dead slot, never another page's data; the area is used up only
 * after size / 8 / slot bytes splits (524288 at the default 512 GiB space
 * and a 128-byte grain). */
#define SPLIT_CHUNK_SIZE (32ull << 20)
/* Pages split at the same time, at most: each sealed page costs a node
 * up to two VMAs (it splits its mapping), and a seal that fails for want
 * of one (vm.max_map_count, 65530 by default) would leave the node's copy
 * of the page in use. */
#define SPLIT_LIVE_MAX 8192
static inline uint64_t split_area_lo(uint64_t space_size) {
    return space_size / 2;
}
static inline uint64_t split_area_size(uint64_t space_size) {
    return space_size / 8;
}
static inline uint64_t split_slot_pages(unsigned grain) {
    return DSM_PAGE_SIZE / grain;
}

enum split_state {
    SPLIT_ORDINARY = 0, /* never split, or unsplit and whole again */
    SPLIT_ON = 1,       /* split: guest accesses redirect to the shadow pages */
    SPLIT_STOPPING = 2, /* being unsplit: sealed, not redirected, not requested */
};

struct split_stats {
    _Atomic uint64_t splits, unsplits; /* pages split / made whole here */
    _Atomic uint64_t
        redirected; /* guest accesses mapped to a shadow page (in batches of 64 per thread) */
    _Atomic uint64_t releases;       /* unsplits this node asked for */
    _Atomic uint64_t emulator_waits; /* emulator accesses that waited for an unsplit */
};

/* The table of pages split here, by page; open addressing, read without a
 * lock. It grows (doubling, under split_node.lock) by replacing the
 * table: a reader may still hold the one it replaced, so replaced tables
 * are kept (`older`; all of them together less than twice the last). */
struct split_tab {
    unsigned cap; /* a power of two */
    struct split_tab *older;
    _Atomic uint64_t *key;    /* page + 1; 0: empty */
    _Atomic uint64_t *shadow; /* page number of S_0 */
    _Atomic uint8_t *state;   /* enum split_state */
};

struct split_node {
    struct dsm_node *dsm;
    /* the shadow area, guest addresses: [lo, hi) holds every slot a split
     * used here (hi only grows) */
    uint64_t lo;
    _Atomic uint64_t hi;
    _Atomic unsigned grain;
    struct split_tab *_Atomic tab;
    unsigned used;        /* keys in tab (lock) */
    struct u64map live;   /* S_0 -> page + 1 of each slot in use (lock) */
    pthread_mutex_t lock; /* table writers; waiters for an unsplit */
    pthread_cond_t cond;
    /* bumped and futex-woken when a page becomes ordinary again (the
     * host-fault hook waits on it in a signal handler) */
    _Atomic uint32_t epoch;
    /* bumped whenever a page starts or stops being redirected here (the
     * DBT's inline redirection, dbt_redirect_inline.gen) */
    _Atomic uint64_t gen;
    /* ask the master to unsplit page (the slave: a message; the master:
     * its own queue). Never waits. */
    void (*release)(void *ctx, uint64_t page);
    void *ctx;
    /* the host-fault hook cannot send: it writes pages here, a thread
     * sends them */
    int pipe_rd, pipe_wr;
    /* The master (pinning): ranges handed to the kernel by syscalls in
     * progress (sn->lock); a page in one is not split (split_node_apply
     * refuses), since the kernel cannot wait for an unsplit. */
    bool pinning;
    struct split_pin_set pins;
    struct split_stats stats;
};

/* Turns splitting on for node n (before any guest code runs): the shadow
 * area's bounds, the DBT's redirect hooks, the guest space's unsplit hook,
 * the host-fault hook. pinning: the master's node, which decides splits
 * and keeps the pages of syscalls in progress from them. 0 or -errno. */
int split_node_enable(struct dsm_node *n, void (*release)(void *ctx, uint64_t page), void *ctx,
                      bool pinning);

/* The master's PageSplit: page is split (shadow: page number of S_0).
 * false (nothing changed): a syscall in progress here holds the page
 * (pinning only). */
bool split_node_apply(struct dsm_node *n, uint64_t page, uint64_t shadow, unsigned grain);
/* Unsplit, first half: stop redirecting page (it stays sealed); the node
 * then answers, and the master gathers the shadow pages. */
void split_node_stop(struct dsm_node *n, uint64_t page);
/* Unsplit, done: page is an ordinary absent page again. */
void split_node_done(struct dsm_node *n, uint64_t page);

/* The fault handler: a fault on a split or stopping page, or on a shadow
 * page of a page no longer split, is not the directory's: the page is
 * sealed and the thread woken (it faults again as a SIGSEGV, which the
 * DBT redirects). true: handled. */
bool split_node_on_fault(struct dsm_node *n, uint64_t page);

/* Is page a shadow page of a slot not in use here (its split stopped or
 * done)? The master asks for node 0 under its directory lock, the lock
 * its splitter stops node 0's splits under. */
bool split_node_shadow_dead(struct dsm_node *n, uint64_t page);

/* --stats */
void split_node_stats_json(struct dsm_node *n, char *buf, unsigned len);

#endif
