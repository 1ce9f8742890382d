/* The master's MSI directory for 4 KiB guest pages, as a state machine
 * with no I/O. Each input (a request from a node, an invalidate-ack, a
 * writeback, a node's loss) updates the directory and appends the
 * messages the caller must send as action records; the network layer
 * executes them and the tests check them.
 *
 * Model. The master keeps a "home copy" of every page (caller storage);
 * it is valid in I and S and stale in M, where the owner has the only
 * valid copy. Node 0 is an ordinary node here: whether it shares memory
 * with the home copy is the caller's business. Links are assumed FIFO per
 * node (one ordered connection), so a grant completes when it is sent: a
 * later invalidate or fetch to the same node arrives after it.
 *
 * Not thread-safe: one directory is driven by one thread or under one
 * lock. Pages are independent, so several directories may split the page
 * space between them. */
#ifndef SHOAL_DSM_DIRECTORY_H
#define SHOAL_DSM_DIRECTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dsm/node_set.h"
#include "dsm/u64map.h"

#define DSM_PAGE_SHIFT 12
#define DSM_PAGE_SIZE  (1u << DSM_PAGE_SHIFT)

enum dsm_state { DSM_I = 0, DSM_S = 1, DSM_M = 2 };

enum dsm_req {
    DSM_REQ_READ = 0,    /* node has no copy and wants to read */
    DSM_REQ_WRITE = 1,   /* node has no copy and wants to write */
    DSM_REQ_UPGRADE = 2, /* node holds S and wants to write (no data needed) */
};

enum dir_act {
    /* send the home copy of `page` to `node`, to install in `state` (S/M) */
    DIR_ACT_SEND = 0,
    /* `node` keeps its copy and now holds it in `state` (S->M upgrade; or
     * a duplicate request from a node that already holds M) */
    DIR_ACT_GRANT = 1,
    /* `node` must drop its S copy and answer with dir_inv_ack() */
    DIR_ACT_INVALIDATE = 2,
    /* owner `node` must write-protect, copy out and send the page back
     * (dir_writeback()), keeping it in `state`: S (downgrade) or I (drop).
     * With `to` set (direct transfer), the owner first sends the copy to
     * node `to` itself, to install in S (owner keeps S) or M (owner keeps
     * I), and `to` answers dir_install_ack() once it is installed. */
    DIR_ACT_FETCH = 3,
    /* `node` died holding the only valid copy: the home copy, older than
     * what the guest wrote, takes its place. The run cannot be trusted. */
    DIR_ACT_LOST = 4,
};

#define DIR_NODE_NONE ((dsm_node_t)UINT32_MAX)

struct dir_action {
    uint64_t page;
    dsm_node_t node;
    uint8_t kind;  /* enum dir_act */
    uint8_t state; /* enum dsm_state, for SEND/GRANT/FETCH */
    dsm_node_t to; /* FETCH: the reader the owner sends to directly, or DIR_NODE_NONE */
    /* the caller's mark, 0 as the directory emits it (the master marks
     * what it sends ahead of any request: forwarding, first-touch claims) */
    uint8_t ahead;
};

/* A growable list of actions; the caller clears it (n = 0) between uses. */
struct dir_actions {
    struct dir_action *v;
    size_t n, cap;
};

void dir_actions_fini(struct dir_actions *a);

/* Counters kept per page and summed per directory. Page splitting needs
 * who writes a page and how often M moves; forwarding needs requests by
 * kind (issue 5); --stats needs all of them. */
struct dir_stats {
    uint64_t reads, writes, upgrades; /* requests by kind, as they arrive */
    uint64_t invalidations;           /* DIR_ACT_INVALIDATE sent */
    uint64_t fetches;                 /* DIR_ACT_FETCH sent */
    uint64_t transfers;               /* M granted to a node other than the last writer */
    uint64_t queued;                  /* requests that waited behind a transaction */
    uint64_t coalesced;               /* duplicates merged or dropped */
    uint64_t lost;                    /* DIR_ACT_LOST */
    uint64_t pushes;                  /* copies pushed unasked (forwarding, dir_push) */
    uint64_t direct;                  /* fetches whose owner sent the page to the requester */
};

/* A request waiting behind the page's transaction. */
struct dir_req {
    dsm_node_t node;
    uint8_t kind; /* enum dsm_req */
};

/* DIRECT: the owner sends the page to the requester on their own link,
 * which the directory does not order; the transaction waits for both the
 * owner's writeback and the requester's install ack (an INVALIDATE sent
 * earlier could overtake the page and leave a stale copy behind). */
enum dir_wait { DIR_WAIT_NONE = 0, DIR_WAIT_ACKS, DIR_WAIT_WRITEBACK, DIR_WAIT_DIRECT };

/* The one transaction in flight on a page. */
struct dir_txn {
    uint8_t wait;         /* enum dir_wait; NONE = no transaction */
    uint8_t kind;         /* enum dsm_req of the requester */
    bool requester_lost;  /* the requester died: complete, send nothing */
    bool wb_in;           /* DIRECT: the owner's writeback has arrived */
    bool installed;       /* DIRECT: the requester's install ack has arrived */
    dsm_node_t node;      /* requester */
    struct node_set acks; /* sharers whose invalidate-ack is awaited */
};

struct dir_entry {
    uint64_t page;
    uint8_t state;           /* enum dsm_state */
    dsm_node_t owner;        /* valid in M */
    struct node_set sharers; /* valid in S */
    struct dir_txn txn;
    struct dir_req *q; /* FIFO ring of waiting requests, grown on demand */
    uint32_t qhead, qlen, qcap;
    struct dir_stats stats;
    dsm_node_t last_writer;  /* valid when `writers` is not empty */
    struct node_set writers; /* every node ever granted M */
    /* nodes pushed a copy (dir_push) that have made no request for the
     * page since: a read from such a sharer was sent before the pushed
     * copy reached it, which answers it */
    struct node_set pushed;
};

/* Optional observer, called on every request as it arrives (before it is
 * processed), e.g. for the forwarding history. */
struct dir_hooks {
    void (*on_request)(void *opaque, const struct dir_entry *e, dsm_node_t node, enum dsm_req kind);
    /* May owner send the page straight to reader (a link joins them)?
     * NULL: never; every fetched page then goes through the home copy. */
    bool (*direct)(void *opaque, dsm_node_t owner, dsm_node_t reader);
    void *opaque;
};

struct directory {
    struct u64map pages;  /* page number -> struct dir_entry *, grows with pages touched */
    struct node_set lost; /* nodes declared lost; their requests are refused */
    struct dir_stats total;
    struct dir_hooks hooks;
};

void dir_init(struct directory *d);
void dir_fini(struct directory *d);

/* Inputs. Each appends to *out the actions to perform, in order, and
 * returns 0; -EPROTO for a message the protocol does not expect (an ack
 * nobody awaits, a writeback from a non-owner), -ENOTCONN for a request
 * from a lost node, -EINVAL for a bad kind, -ENOMEM. On an error the
 * directory is unchanged, except after -ENOMEM (the run must end). */
int dir_request(struct directory *d, uint64_t page, dsm_node_t node, enum dsm_req kind,
                struct dir_actions *out);
/* Forwarding: give node a read copy it did not ask for, as if it had
 * asked (SEND S, or FETCH from the owner then SEND S), but only when that
 * cannot delay anyone: -ENOENT for a page never touched (it may not be
 * mapped on node), -EBUSY while a transaction is in flight or requests
 * wait, -EEXIST when node already holds a copy; the request hook is not
 * called. */
int dir_push(struct directory *d, uint64_t page, dsm_node_t node, struct dir_actions *out);
int dir_inv_ack(struct directory *d, uint64_t page, dsm_node_t node, struct dir_actions *out);
/* Direct transfer: the requester installed the page the owner sent it. */
int dir_install_ack(struct directory *d, uint64_t page, dsm_node_t node, struct dir_actions *out);
/* The owner's data has arrived; the caller has already stored it as the
 * home copy (valid at once in a direct transfer too: the owner sent the
 * same bytes to the requester). */
int dir_writeback(struct directory *d, uint64_t page, dsm_node_t node, struct dir_actions *out);
/* The node is gone: it is removed from every page, transactions waiting
 * on it complete, and pages it owned are reported DIR_ACT_LOST. */
int dir_node_lost(struct directory *d, dsm_node_t node, struct dir_actions *out);

/* The address space changed (the master decides mmap/munmap/...): */
/* A page whose only valid copy node already holds (the loader wrote it,
 * or mremap moved it there) becomes M(node) with no message. -EBUSY if
 * the page is known and not idle in I. */
int dir_adopt(struct directory *d, uint64_t page, dsm_node_t node);
/* The page's contents are gone (munmap, a fresh mapping over it, madvise
 * DONTNEED): the entry is dropped, as if never touched; the caller drops
 * every node's copy and the home copy. Returns true if a transaction or
 * queued requests were dropped with it (their answers will find no
 * entry: -EPROTO, which the caller ignores for forgotten pages). */
bool dir_forget(struct directory *d, uint64_t page);
/* Adds to askers the nodes whose requests for page are in flight or
 * queued (before a dir_forget that drops them: the caller answers them
 * itself). 0 or -ENOMEM. */
int dir_askers(const struct directory *d, uint64_t page, struct node_set *askers);

/* Queries. */
const struct dir_entry *dir_find(const struct directory *d, uint64_t page);
static inline size_t dir_page_count(const struct directory *d) {
    return d->pages.n;
}

const char *dsm_state_name(enum dsm_state s);
const char *dsm_req_name(enum dsm_req k);
const char *dir_act_name(enum dir_act k);

#endif
