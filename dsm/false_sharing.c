/* False-sharing detection from writebacks (false_sharing.h). */
#include "dsm/false_sharing.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int fs_init(struct fs_detector *d, const struct fs_config *cfg) {
    unsigned g = cfg->grain;
    if (cfg->threshold < 1 || g < FS_MIN_GRAIN || g > DSM_PAGE_SIZE / 2 || (g & (g - 1)))
        return -EINVAL;
    memset(d, 0, sizeof *d);
    d->cfg = *cfg;
    u64map_init(&d->pages);
    return 0;
}

void fs_fini(struct fs_detector *d) {
    uint64_t key;
    void *val;
    for (size_t it = 0; u64map_next(&d->pages, &it, &key, &val);)
        free(val);
    u64map_fini(&d->pages);
}

unsigned fs_grains_written(const void *old, const void *new, unsigned grain, struct fs_mask *out) {
    /* word by word (pages are 8-byte aligned in the master's copies and
     * the DSM's buffers; memcpy keeps it defined either way) */
    memset(out, 0, sizeof *out);
    const unsigned char *a = old, *b = new;
    unsigned n = 0, shift = (unsigned)__builtin_ctz(grain);
    for (unsigned off = 0; off < DSM_PAGE_SIZE; off += 8) {
        uint64_t x, y;
        memcpy(&x, a + off, 8);
        memcpy(&y, b + off, 8);
        if (x == y) continue;
        unsigned g = off >> shift;
        uint64_t bit = 1ull << (g & 63);
        if (!(out->w[g >> 6] & bit)) {
            out->w[g >> 6] |= bit;
            n++;
        }
        off = ((g + 1) << shift) - 8; /* the rest of this grain tells nothing new */
    }
    return n;
}

static bool masks_meet(const struct fs_mask *a, const struct fs_mask *b) {
    for (unsigned i = 0; i < FS_MAX_GRAINS / 64; i++)
        if (a->w[i] & b->w[i]) return true;
    return false;
}

static void mask_or(struct fs_mask *a, const struct fs_mask *b) {
    for (unsigned i = 0; i < FS_MAX_GRAINS / 64; i++)
        a->w[i] |= b->w[i];
}

static void remember(struct fs_page *p, dsm_node_t node, const struct fs_mask *m) {
    unsigned slot = (p->head + p->len) % FS_WINDOW;
    if (p->len == FS_WINDOW)
        p->head = (uint8_t)((p->head + 1) % FS_WINDOW);
    else
        p->len++;
    p->hist[slot].node = node;
    p->hist[slot].grains = *m;
}

int fs_on_writeback(struct fs_detector *d, uint64_t page, dsm_node_t node, unsigned writers,
                    const void *home, const void *data) {
    struct fs_page *p = u64map_get(&d->pages, page);
    if (!p && writers < 2) return FS_NONE; /* never moved between writers: no record */
    if (!home) return FS_NONE;
    struct fs_mask m;
    d->stats.writebacks++;
    if (!fs_grains_written(home, data, d->cfg.grain, &m)) return FS_NONE;
    if (!p) {
        p = calloc(1, sizeof *p);
        if (!p) return -ENOMEM;
        if (u64map_put(&d->pages, page, p)) {
            free(p);
            return -ENOMEM;
        }
    }
    /* what the other nodes wrote within the window */
    struct fs_mask others = {0};
    bool any = false;
    for (unsigned i = 0; i < p->len; i++) {
        const struct fs_write *w = &p->hist[(p->head + i) % FS_WINDOW];
        if (w->node == node) continue;
        mask_or(&others, &w->grains);
        any = true;
    }
    remember(p, node, &m);
    if (!any) return FS_NONE;
    if (masks_meet(&m, &others)) {
        p->conflicts = 0;
        d->stats.true_shared++;
        return FS_TRUE_SHARED;
    }
    p->conflicts++;
    d->stats.conflicts++;
    if (p->detected || p->conflicts < (uint64_t)d->cfg.threshold << p->rounds) return FS_CONFLICT;
    p->detected = true;
    d->stats.detected++;
    if (!p->listed && d->nreport < FS_REPORT_MAX) d->report[d->nreport++] = page;
    p->listed = true; /* once, however often it is reported */
    return FS_DETECTED;
}

void fs_forget(struct fs_detector *d, uint64_t first, uint64_t n) {
    if (!d->pages.n) return;
    if (n <= d->pages.n) {
        for (uint64_t p = first; p < first + n; p++)
            free(u64map_del(&d->pages, p));
        return;
    }
    /* a range larger than the records: walk the records instead */
    uint64_t key;
    void *val;
    for (size_t it = 0; u64map_next(&d->pages, &it, &key, &val);) {
        if (key < first || key - first >= n) continue;
        free(u64map_del(&d->pages, key));
        it = 0; /* the map changed: walk again from the start */
    }
}

int fs_last_writer(const struct fs_detector *d, uint64_t page, unsigned i) {
    const struct fs_page *p = u64map_get(&d->pages, page);
    if (!p || i >= FS_MAX_GRAINS) return -1;
    for (unsigned k = p->len; k-- > 0;) {
        const struct fs_write *w = &p->hist[(p->head + k) % FS_WINDOW];
        if (w->grains.w[i / 64] & (1ull << (i % 64))) return (int)w->node;
    }
    return -1;
}

void fs_rearm(struct fs_detector *d, uint64_t page) {
    struct fs_page *p = u64map_get(&d->pages, page);
    if (!p) return;
    p->detected = false;
    p->conflicts = 0;
}

void fs_rearm_later(struct fs_detector *d, uint64_t page) {
    struct fs_page *p = u64map_get(&d->pages, page);
    fs_rearm(d, page);
    if (p && p->rounds < FS_ROUNDS_MAX) p->rounds++;
}

const struct fs_page *fs_find(const struct fs_detector *d, uint64_t page) {
    return u64map_get(&d->pages, page);
}
