/* The emulated link model of net/emul.h: a ring of (bytes, due time). */
#include "net/emul.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

uint64_t net_emul_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void net_emul_link_init(struct net_emul_link *l, const struct net_emul_config *cfg) {
    memset(l, 0, sizeof *l);
    l->cfg = *cfg;
    l->win_min[0] = l->win_min[1] = UINT64_MAX;
}

void net_emul_link_fini(struct net_emul_link *l) {
    free(l->ring);
    l->ring = NULL;
    l->cap = l->count = l->head = 0;
}

uint64_t net_emul_wire_ns(const struct net_emul_config *cfg, uint64_t bytes) {
    if (!cfg->bandwidth_mbit) return 0;
    /* bits / (Mbit/s) = us; * 1000 for ns. Rounded up: a link never
     * carries more than its cap. */
    unsigned __int128 bits_ns = (unsigned __int128)bytes * 8 * 1000;
    return (uint64_t)((bits_ns + cfg->bandwidth_mbit - 1) / cfg->bandwidth_mbit);
}

static int grow(struct net_emul_link *l) {
    size_t cap = l->cap ? l->cap * 2 : 64;
    struct net_emul_frame *r = malloc(cap * sizeof *r);
    if (!r) return -ENOMEM;
    for (size_t i = 0; i < l->count; i++)
        r[i] = l->ring[(l->head + i) & (l->cap - 1)];
    free(l->ring);
    l->ring = r;
    l->cap = cap;
    l->head = 0;
    return 0;
}

uint64_t net_emul_added_ns(const struct net_emul_link *l) {
    uint64_t lat = l->cfg.latency_us * 1000;
    if (l->cfg.latency_mode == NET_EMUL_ADDED) return lat;
    return lat > l->base_ns ? lat - l->base_ns : 0;
}

void net_emul_link_sample(struct net_emul_link *l, uint64_t rtt_ns) {
    uint64_t one_way = rtt_ns / 2;
    if (one_way < l->win_min[0]) l->win_min[0] = one_way;
    if (++l->win_n == NET_EMUL_WINDOW) {
        l->win_min[1] = l->win_min[0];
        l->win_min[0] = UINT64_MAX;
        l->win_n = 0;
    }
    if (l->samples < NET_EMUL_FIRST) l->samples++;
    if (l->samples == NET_EMUL_FIRST)
        l->base_ns = l->win_min[0] < l->win_min[1] ? l->win_min[0] : l->win_min[1];
}

int net_emul_push(struct net_emul_link *l, uint64_t now_ns, uint64_t bytes, uint64_t *due_ns) {
    if (l->count == l->cap && grow(l)) return -ENOMEM;
    bool queued = l->free_ns > now_ns;
    uint64_t start = queued ? l->free_ns : now_ns;
    uint64_t depart = start + net_emul_wire_ns(&l->cfg, bytes);
    uint64_t due = depart + net_emul_added_ns(l);
    /* Callers take now_ns under one lock, so it does not go backwards;
     * this keeps FIFO order even if a caller's clock read did. */
    if (due < l->last_due) due = l->last_due;
    l->free_ns = depart;
    l->last_due = due;
    l->ring[(l->head + l->count) & (l->cap - 1)] = (struct net_emul_frame){bytes, due, queued};
    l->count++;
    *due_ns = due;
    return 0;
}

uint64_t net_emul_pop_due(struct net_emul_link *l, uint64_t now_ns, uint64_t *next_due_ns) {
    uint64_t bytes = 0;
    while (l->count && l->ring[l->head].due_ns <= now_ns) {
        bytes += l->ring[l->head].bytes;
        l->head = (l->head + 1) & (l->cap - 1);
        l->count--;
    }
    *next_due_ns = l->count ? l->ring[l->head].due_ns : 0;
    return bytes;
}

void net_emul_clear(struct net_emul_link *l) {
    l->head = l->count = 0;
}
