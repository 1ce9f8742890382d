/* The backend-independent face of a connection: dispatch through its ops,
 * reference counting, accessors. */
#include <errno.h>

#include "net/internal.h"

void net_conn_init(struct net_conn *c, struct net_node *n, const struct net_transport_ops *ops,
                   void (*free_fn)(struct net_conn *), void (*shutdown_fn)(struct net_conn *)) {
    c->shutdown = shutdown_fn;
    c->ops = ops;
    c->free = free_fn;
    c->node = n;
    atomic_init(&c->refs, 1);
    atomic_init(&c->state, NET_CONN_HANDSHAKE);
    c->peer_id = NET_NODE_ANY;
    c->local_id = NET_NODE_ANY;
    atomic_init(&c->base_ns, 0);
    c->next = NULL;
}

int net_send(struct net_conn *c, Shoal__Envelope *msg) {
    return c->ops->send(c, msg);
}

int net_send_page(struct net_conn *c, Shoal__Envelope *msg, const void *page) {
    return c->ops->send_pages(c, msg, &page, 1);
}

int net_send_pages(struct net_conn *c, Shoal__Envelope *msg, const void *const *pages, uint32_t n) {
    if (n < 1 || n > NET_PAGES_MAX) return -EMSGSIZE;
    return c->ops->send_pages(c, msg, pages, n);
}

int net_read_page(struct net_conn *c, uint64_t page, void *dst) {
    if (!c->ops->read_page) return -EOPNOTSUPP;
    return c->ops->read_page(c, page, dst);
}

void net_poll(struct net_conn *c) {
    if (c->ops->poll) c->ops->poll(c);
}

void net_hold_timeout(struct net_conn *c, bool hold) {
    if (c->ops->hold_timeout) c->ops->hold_timeout(c, hold);
}

void net_close(struct net_conn *c) {
    c->ops->close(c);
}

void net_conn_ref(struct net_conn *c) {
    atomic_fetch_add_explicit(&c->refs, 1, memory_order_relaxed);
}

void net_conn_unref(struct net_conn *c) {
    if (atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel) == 1) c->free(c);
}

uint32_t net_conn_peer_id(const struct net_conn *c) {
    return c->peer_id;
}
uint32_t net_conn_local_id(const struct net_conn *c) {
    return c->local_id;
}
struct net_node *net_conn_node(const struct net_conn *c) {
    return c->node;
}
uint64_t net_conn_base_latency_ns(const struct net_conn *c) {
    return atomic_load_explicit(&c->base_ns, memory_order_relaxed);
}
const char *net_conn_name(const struct net_conn *c) {
    return c->name;
}
