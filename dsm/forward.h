/* Forwarding: the master's stream detector (issue 5). It sees every read
 * request a node sends to the directory, finds streams in them (pages
 * at a constant stride, forward or backward, several interleaved per
 * node), and proposes the next pages of a stream to push to that node in
 * S before it asks. Pure: no directory, no I/O; the caller pushes what it
 * can and reports invalidations of pushed pages.
 *
 * Hits cannot be seen directly (a node that uses a pushed page sends
 * nothing), so they are inferred: a stream's next request beyond the
 * pages pushed ahead of it means the node walked over them. Misses are
 * pushed pages invalidated before the stream reached them, and pushed
 * pages left ahead of a stream that was abandoned (its slot reused). The
 * window (pages kept pushed ahead) doubles on a confirmed hit and halves
 * on a miss, between 1 and the configured ceiling. */
#ifndef SHOAL_DSM_FORWARD_H
#define SHOAL_DSM_FORWARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dsm/directory.h" /* dsm_node_t */

/* Streams tracked per node: a cache, the least recently used stream
 * with nothing pushed ahead (else the least recently used of all) makes
 * room for a new one (nothing overflows; an evicted stream is found
 * again after `trigger` requests). */
#define FWD_STREAMS 16
/* Recent requests per node searched for a stride (a ring). */
#define FWD_HISTORY 32
/* Largest stride, in pages, that makes a stream. */
#define FWD_MAX_STRIDE 64

struct fwd_config {
    unsigned trigger; /* requests at one stride that make a stream (>= 2) */
    unsigned window;  /* ceiling of pages pushed ahead of a stream (>= 1) */
};

struct fwd_stats {
    uint64_t streams;     /* streams detected */
    uint64_t pushed;      /* pages proposed and pushed (fwd_pushed) */
    uint64_t hits;        /* pushed pages walked over without a request */
    uint64_t late;        /* pushed pages requested anyway (the push was late) */
    uint64_t reached;     /* tripwires reached: a run of pushed pages entered (no request) */
    uint64_t invalidated; /* pushed pages invalidated before use: mispredicted */
    uint64_t abandoned;   /* pushed pages ahead of an abandoned stream: mispredicted */
};

struct fwd_stream {
    uint64_t last;   /* last page the node asked for in this stream */
    int64_t stride;  /* pages; never 0 */
    uint32_t run;    /* requests seen at this stride */
    uint32_t window; /* current window */
    uint32_t ahead;  /* pages pushed beyond last: last+stride .. last+ahead*stride */
    uint64_t used;   /* LRU stamp; 0: free slot */
};

struct fwd_node {
    struct fwd_stream s[FWD_STREAMS];
    uint64_t hist[FWD_HISTORY];
    uint32_t nhist, hhead;
    int batch; /* the stream of the last fwd_on_read batch, or -1 */
};

struct fwd {
    struct fwd_config cfg;
    struct fwd_node **nodes; /* by node id, grown on demand */
    size_t nnodes;
    uint64_t clock;
    struct fwd_stats stats;
};

void fwd_init(struct fwd *f, const struct fwd_config *cfg);
void fwd_fini(struct fwd *f);

/* A read request of node for page arrived (reached: not a request, node
 * got to page, a pushed page it holds: a tripwire). Writes to out (up to
 * max) the pages to push to node now, nearest first, and returns how
 * many. The caller pushes them in order and reports with fwd_pushed how
 * many it actually pushed (a page it could not push ends the batch). */
size_t fwd_on_read(struct fwd *f, dsm_node_t node, uint64_t page, bool reached, uint64_t *out,
                   size_t max);
/* The caller pushed the first n pages of node's last fwd_on_read batch. */
void fwd_pushed(struct fwd *f, dsm_node_t node, size_t n);
/* Node's copy of page is being invalidated: a pushed page not yet
 * reached is a misprediction. */
void fwd_on_invalidate(struct fwd *f, dsm_node_t node, uint64_t page);

#endif
