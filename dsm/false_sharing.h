/* False-sharing detection, the first half of page splitting (issue 5;
 * dsm/DESIGN.md, "Page splitting"). Pure: no I/O, no locks (the master
 * calls it under its directory lock).
 *
 * Input: the writebacks the directory receives when it takes M away from
 * a node, each with the home copy it replaces. The home copy is what the
 * owner started from when it got M (the directory sends or grants M only
 * from a valid home copy, and nothing else changes it meanwhile), so the
 * bytes that differ are bytes that node wrote. They are recorded as a mask
 * of grains (`grain` bytes each). A page is falsely shared when, within
 * its last FS_WINDOW writebacks, writes by different nodes fall on
 * disjoint grains: each writeback that adds such a disjoint write by a
 * node other than an earlier writer of the window is a conflict; a write
 * that overlaps another node's grains is true sharing and resets the
 * count. At `threshold` conflicts the page is reported, once.
 *
 * Memory follows pages that ping-pong: a page gets a record only when its
 * directory entry has seen M at two nodes or more, and loses it when the
 * address space forgets the page. */
#ifndef SHOAL_DSM_FALSE_SHARING_H
#define SHOAL_DSM_FALSE_SHARING_H

#include <stdbool.h>
#include <stdint.h>

#include "dsm/directory.h"
#include "dsm/u64map.h"

#define FS_WINDOW     8  /* writebacks remembered per page */
#define FS_MIN_GRAIN  8  /* bytes: the smallest grain (one word) */
#define FS_REPORT_MAX 16 /* detected pages listed in --stats */
#define FS_ROUNDS_MAX 10 /* a page made whole for its pattern needs at most 2^10 x threshold */
#define FS_MAX_GRAINS (DSM_PAGE_SIZE / FS_MIN_GRAIN)

struct fs_config {
    unsigned threshold; /* conflicts before a page is reported, >= 1 */
    unsigned grain;     /* bytes, a power of two in FS_MIN_GRAIN .. DSM_PAGE_SIZE / 2 */
};

/* A set of grains of one page (bit i: bytes [i * grain, (i + 1) * grain)). */
struct fs_mask {
    uint64_t w[FS_MAX_GRAINS / 64];
};

struct fs_stats {
    uint64_t writebacks;  /* diffed against a known home copy */
    uint64_t conflicts;   /* disjoint writes by a second node */
    uint64_t true_shared; /* writes overlapping another node's grains */
    uint64_t detected;    /* reports of a falsely shared page (again after a rearm) */
};

/* One remembered writeback. */
struct fs_write {
    dsm_node_t node;
    struct fs_mask grains;
};

struct fs_page {
    uint32_t conflicts; /* since the last true-sharing write */
    bool detected, listed;
    uint8_t rounds;    /* reported again later this often (fs_rearm_later): threshold << rounds */
    uint8_t head, len; /* ring of the last FS_WINDOW writebacks */
    struct fs_write hist[FS_WINDOW];
};

struct fs_detector {
    struct fs_config cfg;
    struct u64map pages; /* page -> struct fs_page *, pages that ping-pong */
    struct fs_stats stats;
    /* the first FS_REPORT_MAX pages detected, in order (where a program's
     * false sharing is: shown in --stats) */
    uint64_t report[FS_REPORT_MAX];
    unsigned nreport; /* each page once */
};

enum fs_verdict {
    FS_NONE = 0,        /* nothing learned (one writer so far, nothing written, ...) */
    FS_CONFLICT = 1,    /* a disjoint write by a second node, below the threshold */
    FS_TRUE_SHARED = 2, /* overlapping writes by two nodes */
    FS_DETECTED = 3,    /* this writeback made the page falsely shared */
};

/* -EINVAL for a grain or threshold out of range. */
int fs_init(struct fs_detector *d, const struct fs_config *cfg);
void fs_fini(struct fs_detector *d);

/* The grains in which old and new differ; returns how many. */
unsigned fs_grains_written(const void *old, const void *new, unsigned grain, struct fs_mask *out);

/* Node `node` wrote back `page` as `data`; `home` is the home copy it
 * replaces, NULL when the master has none (the page was adopted or never
 * written back: the base is unknown and nothing is learned). `writers` is
 * how many nodes have ever held the page in M (the directory's count).
 * Returns the verdict, or -ENOMEM (the record is dropped: the page is only
 * detected later). */
int fs_on_writeback(struct fs_detector *d, uint64_t page, dsm_node_t node, unsigned writers,
                    const void *home, const void *data);

/* The node whose writeback within the page's window wrote grain i last
 * (the newest writeback holding it), or -1: no record, or nobody wrote it
 * within the window. The splitter gives shadow page i to that node. */
int fs_last_writer(const struct fs_detector *d, uint64_t page, unsigned i);

/* A page reported but not split (no shadow slot free): reported again at
 * its next conflict. */
void fs_rearm(struct fs_detector *d, uint64_t page);

/* A split page made whole again because its writes turned truly shared:
 * reported again if false sharing comes back, after twice the conflicts
 * it took last time (up to 2^FS_ROUNDS_MAX times the threshold), so
 * alternating phases re-split it while a page that flips often stays
 * whole. */
void fs_rearm_later(struct fs_detector *d, uint64_t page);

/* The address space forgot pages [first, first + n). */
void fs_forget(struct fs_detector *d, uint64_t first, uint64_t n);

/* The page's record, or NULL. */
const struct fs_page *fs_find(const struct fs_detector *d, uint64_t page);
static inline size_t fs_tracked(const struct fs_detector *d) {
    return d->pages.n;
}

#endif
