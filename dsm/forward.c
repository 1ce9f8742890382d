#include "dsm/forward.h"

#include <stdlib.h>
#include <string.h>

/* Guest page numbers stay below 2^52 (64-bit addresses / 4 KiB): a
 * stream is never extended past either end. */
#define FWD_PAGE_LIMIT (1ull << 52)
/* The window a new stream starts with (then doubles on hits). */
#define FWD_WINDOW0 4u

void fwd_init(struct fwd *f, const struct fwd_config *cfg) {
    memset(f, 0, sizeof *f);
    f->cfg = *cfg;
    if (f->cfg.trigger < 2) f->cfg.trigger = 2;
    if (f->cfg.window < 1) f->cfg.window = 1;
}

void fwd_fini(struct fwd *f) {
    for (size_t i = 0; i < f->nnodes; i++)
        free(f->nodes[i]);
    free(f->nodes);
    memset(f, 0, sizeof *f);
}

static struct fwd_node *node_get(struct fwd *f, dsm_node_t node) {
    if (node >= f->nnodes) {
        size_t n = f->nnodes ? f->nnodes : 4;
        while (n <= node)
            n *= 2;
        struct fwd_node **v = realloc(f->nodes, n * sizeof *v);
        if (!v) return NULL;
        memset(v + f->nnodes, 0, (n - f->nnodes) * sizeof *v);
        f->nodes = v;
        f->nnodes = n;
    }
    if (!f->nodes[node]) {
        f->nodes[node] = calloc(1, sizeof *f->nodes[node]);
        if (f->nodes[node]) f->nodes[node]->batch = -1;
    }
    return f->nodes[node];
}

/* How many strides page lies beyond s->last (0 if not on the stream or
 * not ahead of it). */
static uint64_t steps(const struct fwd_stream *s, uint64_t page) {
    int64_t d = (int64_t)(page - s->last);
    if (d % s->stride) return 0;
    int64_t k = d / s->stride;
    return k > 0 ? (uint64_t)k : 0;
}

static uint32_t grow(const struct fwd *f, uint32_t w) {
    return w * 2 > f->cfg.window ? f->cfg.window : w * 2;
}

/* Pages to push for stream s now: up to its window ahead of last. */
static size_t propose(struct fwd *f, struct fwd_node *fn, int idx, uint64_t *out, size_t max) {
    struct fwd_stream *s = &fn->s[idx];
    fn->batch = idx;
    size_t n = 0;
    for (uint32_t k = s->ahead + 1; k <= s->window && n < max; k++) {
        uint64_t p = s->last + (uint64_t)((int64_t)k * s->stride);
        /* wrapped below 0 or beyond the address space: the stream ends */
        if (p >= FWD_PAGE_LIMIT || (s->stride < 0 && p > s->last) || (s->stride > 0 && p < s->last))
            break;
        out[n++] = p;
    }
    (void)f;
    return n;
}

static void remember(struct fwd_node *fn, uint64_t page) {
    fn->hist[fn->hhead] = page;
    fn->hhead = (fn->hhead + 1) % FWD_HISTORY;
    if (fn->nhist < FWD_HISTORY) fn->nhist++;
}

/* Whether slot i should make way before slot v: one with no pages
 * pushed ahead (a candidate not yet past the trigger, or a stream the
 * node has caught up with) before one whose pushed pages would be
 * abandoned, then the least recently used. */
static bool evict_first(const struct fwd_node *fn, int i, int v) {
    bool idle_i = !fn->s[i].ahead, idle_v = !fn->s[v].ahead;
    return idle_i != idle_v ? idle_i : fn->s[i].used < fn->s[v].used;
}

/* A new stream of stride d ending at page, in a free slot, else that of
 * the least recently used stream with nothing pushed ahead, else of the
 * least recently used one (whose pushed pages are abandoned): requests
 * near earlier ones make candidates all the time (a loop jumping about),
 * and they must not push out the streams being forwarded. A stream of
 * the same stride elsewhere is another one (a loop over several arrays),
 * not this one jumping: a stream that did jump leaves its slot by age. */
static int start_stream(struct fwd *f, struct fwd_node *fn, uint64_t page, int64_t d) {
    int victim = 0;
    for (int i = 0; i < FWD_STREAMS; i++) {
        if (!fn->s[i].used) {
            victim = i;
            break;
        }
        if (evict_first(fn, i, victim)) victim = i;
    }
    struct fwd_stream *s = &fn->s[victim];
    if (s->used && s->ahead) f->stats.abandoned += s->ahead;
    *s = (struct fwd_stream){.last = page,
                             .stride = d,
                             .run = 2,
                             .window = FWD_WINDOW0 < f->cfg.window ? FWD_WINDOW0 : f->cfg.window,
                             .used = ++f->clock};
    return victim;
}

size_t fwd_on_read(struct fwd *f, dsm_node_t node, uint64_t page, bool reached, uint64_t *out,
                   size_t max) {
    struct fwd_node *fn = node_get(f, node);
    if (!fn) return 0;
    fn->batch = -1;
    /* a request that continues a stream: the next page after those
     * pushed (all walked over: hits), or one of them (the push came too
     * late for it, or its copy was invalidated); of several streams that
     * it could continue (one stride over neighbouring arrays), the one it
     * follows most closely */
    int best = -1;
    uint64_t best_k = 0;
    for (int i = 0; i < FWD_STREAMS; i++) {
        struct fwd_stream *s = &fn->s[i];
        if (!s->used) continue;
        uint64_t k = steps(s, page);
        if (!k || k > (uint64_t)s->ahead + 1 || (best >= 0 && k >= best_k)) continue;
        best = i;
        best_k = k;
    }
    if (best >= 0) {
        struct fwd_stream *s = &fn->s[best];
        uint64_t k = best_k, walked = k - 1;
        /* a tripwire is a pushed page used, not asked for */
        bool used = reached && k <= s->ahead;
        f->stats.hits += walked + used;
        if (used)
            f->stats.reached++;
        else if (k <= s->ahead)
            f->stats.late++;
        s->ahead = k <= s->ahead ? s->ahead - (uint32_t)k : 0;
        if (walked || used) s->window = grow(f, s->window);
        s->last = page;
        s->used = ++f->clock;
        if (s->run < f->cfg.trigger && ++s->run == f->cfg.trigger) f->stats.streams++;
        remember(fn, page);
        return s->run >= f->cfg.trigger ? propose(f, fn, best, out, max) : 0;
    }
    /* a stride to an earlier request, the most recent first */
    int idx = -1;
    for (uint32_t j = 1; j <= fn->nhist && idx < 0; j++) {
        uint64_t h = fn->hist[(fn->hhead + FWD_HISTORY - j) % FWD_HISTORY];
        int64_t d = (int64_t)(page - h);
        if (d && d <= FWD_MAX_STRIDE && d >= -FWD_MAX_STRIDE) idx = start_stream(f, fn, page, d);
    }
    remember(fn, page);
    if (idx < 0 || fn->s[idx].run < f->cfg.trigger) return 0;
    f->stats.streams++;
    return propose(f, fn, idx, out, max);
}

void fwd_pushed(struct fwd *f, dsm_node_t node, size_t n) {
    struct fwd_node *fn = node < f->nnodes ? f->nodes[node] : NULL;
    if (!fn || fn->batch < 0) return;
    fn->s[fn->batch].ahead += (uint32_t)n;
    f->stats.pushed += n;
    fn->batch = -1;
}

void fwd_on_invalidate(struct fwd *f, dsm_node_t node, uint64_t page) {
    struct fwd_node *fn = node < f->nnodes ? f->nodes[node] : NULL;
    if (!fn) return;
    for (int i = 0; i < FWD_STREAMS; i++) {
        struct fwd_stream *s = &fn->s[i];
        if (!s->used || !s->ahead) continue;
        uint64_t k = steps(s, page);
        if (!k || k > s->ahead) continue;
        /* pushed and taken away before the node got there: the stream
         * is shared with a writer, push less ahead of it */
        f->stats.invalidated++;
        s->window = s->window > 1 ? s->window / 2 : 1;
        return;
    }
}
