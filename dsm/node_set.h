/* A set of node ids of any size: a bitmap that grows with the largest
 * member. The first 64 nodes live inline, so the common small cluster
 * needs no allocation per directory entry. */
#ifndef SHOAL_DSM_NODE_SET_H
#define SHOAL_DSM_NODE_SET_H

#include <stdbool.h>
#include <stdint.h>

typedef uint32_t dsm_node_t;

struct node_set {
    uint64_t small; /* nodes 0..63 */
    uint64_t *big;  /* nodes 64.. (word i holds 64*(i+1) ..), or NULL */
    uint32_t nbig;  /* words in big */
    uint32_t count; /* members */
};

void node_set_init(struct node_set *s);
void node_set_fini(struct node_set *s);
bool node_set_has(const struct node_set *s, dsm_node_t n);
/* Adds n; 0 or -ENOMEM. */
int node_set_add(struct node_set *s, dsm_node_t n);
void node_set_del(struct node_set *s, dsm_node_t n);
void node_set_clear(struct node_set *s);
static inline uint32_t node_set_count(const struct node_set *s) {
    return s->count;
}
/* The smallest member >= from, or -1 when none: `for (int64_t n =
 * node_set_next(s, 0); n >= 0; n = node_set_next(s, n + 1))`. */
int64_t node_set_next(const struct node_set *s, uint64_t from);

#endif
