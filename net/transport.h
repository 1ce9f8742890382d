/* The transport: nodes, authenticated connections between them, and
 * messages (net/proto/shoal.proto) with optional raw page payloads.
 *
 * A node owns one event loop thread (libevent). Connections are made by
 * net_node_listen / net_node_connect, authenticated (net/auth.h), and only
 * then handed to the embedder (on_peer_up) and allowed to carry messages.
 * Received messages go to one handler per message type, on the loop
 * thread. Sending is allowed from any thread.
 *
 * Everything above this header talks to a struct net_conn through
 * struct net_transport_ops, so another backend (RDMA: one-sided page
 * reads) can replace TCP without changes above it; see net/DESIGN.md. */
#ifndef SHOAL_NET_TRANSPORT_H
#define SHOAL_NET_TRANSPORT_H

#include <stdatomic.h>
#include <stdint.h>

#include "net/auth.h"
#include "net/emul.h"
#include "net/frame.h"
#include "net/key.h"
#include "net/msg.h"

struct net_node;
struct net_conn;

/* ---- backend interface ---------------------------------------------- */

struct net_transport_ops {
    const char *name;
    /* Queues one message; returns 0, -ENOTCONN (not up, closing or lost),
     * -ENOMEM or -EMSGSIZE. Messages on one connection arrive in the order
     * their send calls returned. */
    int (*send)(struct net_conn *c, Shoal__Envelope *msg);
    /* Same, with n (1..NET_PAGES_MAX) NET_PAGE_SIZE pages of data after
     * the message, in this order (a page_grant, whose count says n, or a
     * page_ack, n = 1). The pages are copied before this returns, so the
     * caller may change them right away. */
    int (*send_pages)(struct net_conn *c, Shoal__Envelope *msg, const void *const *pages,
                      uint32_t n);
    /* One-sided read of the peer's copy of a guest page, without the
     * peer's CPU. -EOPNOTSUPP when the backend cannot (TCP): the caller
     * then asks with a page_request. */
    int (*read_page)(struct net_conn *c, uint64_t page, void *dst);
    /* Sends what is queued, then closes. No on_peer_lost for it. */
    void (*close)(struct net_conn *c);
    /* Loop thread only: takes what the connection has received by now and
     * delivers it, without waiting for the loop's next poll; nothing if
     * nothing came (or inside a delivery from this connection). NULL: the
     * backend's loop reads as usual. */
    void (*poll)(struct net_conn *c);
    /* Loop thread only: hold (or restart) the peer's silence timeout: a
     * peer that said it stops on purpose (a stopped run) is not lost for
     * its silence. NULL: the backend has no timeout. */
    void (*hold_timeout)(struct net_conn *c, bool hold);
};

int net_send(struct net_conn *c, Shoal__Envelope *msg);
int net_send_page(struct net_conn *c, Shoal__Envelope *msg, const void *page);
int net_send_pages(struct net_conn *c, Shoal__Envelope *msg, const void *const *pages, uint32_t n);
int net_read_page(struct net_conn *c, uint64_t page, void *dst);
void net_close(struct net_conn *c);
/* Loop thread only (e.g. in a net_node_watch_fd callback): delivers what
 * c has received by now, at once. A node that has just sent a request
 * its peer answers fast (a page request) reads the answer without another
 * trip through the event loop. */
void net_poll(struct net_conn *c);
/* Loop thread only: holds c's silence timeout (hold) or restarts it. */
void net_hold_timeout(struct net_conn *c, bool hold);

/* Connections are reference counted: a pointer handed to a callback is
 * valid during the callback; keep it longer with net_conn_ref. Release
 * every reference before net_node_destroy. */
void net_conn_ref(struct net_conn *c);
void net_conn_unref(struct net_conn *c);
uint32_t net_conn_peer_id(const struct net_conn *c);
/* This node's id as the peer knows it (assigned by the peer when this
 * node asked for NET_NODE_ANY). */
uint32_t net_conn_local_id(const struct net_conn *c);
struct net_node *net_conn_node(const struct net_conn *c);
/* "node 3 (127.0.0.1:40312)", for log messages. */
const char *net_conn_name(const struct net_conn *c);
/* The real transport's one-way latency on this link as the emulated
 * network calibrated it (net/emul.h, NET_EMUL_TOTAL), in ns; 0 when not
 * measured (no emulated latency, or no probe answered yet). */
uint64_t net_conn_base_latency_ns(const struct net_conn *c);

/* ---- nodes ------------------------------------------------------------ */

/* Called on the loop thread; must not block. msg belongs to the caller,
 * who frees it after the handler returns; a handler that keeps the
 * payload or the envelope takes it (sets the pointer to NULL). */
typedef void (*net_msg_fn)(struct net_conn *c, struct net_frame *msg, void *arg);
typedef void (*net_peer_up_fn)(struct net_node *n, struct net_conn *c, uint32_t peer_id, void *arg);
/* A peer that was up is gone: EOF, socket error, heartbeat timeout, a
 * malformed frame, or an Error it sent. reason says which. */
typedef void (*net_peer_lost_fn)(struct net_node *n, uint32_t peer_id, const char *reason,
                                 void *arg);
/* net_node_connect gave up: connect_timeout_ms passed without a TCP
 * connection, or the handshake failed (wrong key, other version). */
typedef void (*net_connect_failed_fn)(struct net_node *n, const char *addr, const char *reason,
                                      void *arg);

struct net_config {
    uint32_t node_id;               /* NET_NODE_ANY: take the id a peer assigns */
    struct net_key key;             /* copied into the node */
    const char *build;              /* copied; default "shoal <version>" */
    struct net_frame_limits limits; /* after authentication */
    unsigned handshake_timeout_ms;  /* accept/connect to authenticated */
    unsigned heartbeat_interval_ms; /* 0: send none */
    unsigned peer_timeout_ms;       /* silence that means lost; 0: never */
    unsigned connect_timeout_ms;    /* net_node_connect keeps retrying this long */
    unsigned connect_retry_ms;      /* pause between attempts */
    unsigned linger_ms;             /* a closing conn waits this long to flush */
    /* Bytes queued for one peer (not yet taken by its socket) at most: a
     * peer that stops reading is dropped with a reason instead of growing
     * this node's memory without bound. 0: no cap. */
    uint64_t max_queue_bytes;
    /* After a frame arrives, the loop thread polls this long (us) before
     * it sleeps (net/transport.c, poll_loop). 0: it always sleeps. */
    unsigned busy_poll_us;
    /* Whether the machine has a CPU to spare for busy polling now; NULL:
     * its runnable threads (/proc/loadavg) are no more than the CPUs the
     * loop thread may use. Called on the loop thread with arg. */
    bool (*cpu_spare)(void *arg);
    /* Emulated network on every link this node sends on (net/emul.h);
     * all zero (the default): none. */
    struct net_emul_config emul;
    net_peer_up_fn on_peer_up;
    net_peer_lost_fn on_peer_lost;
    net_connect_failed_fn on_connect_failed;
    /* A peer silent for peer_timeout_ms is lost unless this says it is
     * stopped (a stop signal, a debugger): then it gets another period,
     * as often as it takes. NULL: silence is always a loss. Loop thread. */
    bool (*peer_stopped)(struct net_node *n, uint32_t peer_id, void *arg);
    /* Server side: assigns or checks the id of a connecting node after it
     * proved the key; NULL accepts any id not in use (and refuses ANY). */
    net_auth_admit_fn admit;
    void *arg; /* passed to every callback above */
};

/* max_queue_bytes unless told otherwise: 1 GiB, far above what a run's
 * synchronous requests and forwarding windows queue (network.max_queue_mb). */
#define NET_MAX_QUEUE_DEFAULT (1ull << 30)

void net_config_defaults(struct net_config *cfg);
/* max_queue_bytes from a setting where 0 is the default and UINT64_MAX
 * no cap. */
static inline uint64_t net_queue_cap(uint64_t setting) {
    return !setting ? NET_MAX_QUEUE_DEFAULT : setting == UINT64_MAX ? 0 : setting;
}

struct net_stats {
    _Atomic uint64_t msgs_tx[NET_MSG_TYPES], msgs_rx[NET_MSG_TYPES];
    _Atomic uint64_t bytes_tx, bytes_rx;
    _Atomic uint64_t auth_failures;   /* handshakes that failed, either side */
    _Atomic uint64_t protocol_errors; /* malformed or out-of-order frames */
    _Atomic uint64_t peers_lost;
    _Atomic uint64_t unhandled; /* messages with no handler, dropped */
    /* frames delivered while the loop thread was busy polling
     * (net_config.busy_poll_us): none of them needed a wake-up */
    _Atomic uint64_t busy_polled;
};

/* NULL on failure (logged). Handlers are registered before start. */
struct net_node *net_node_create(const struct net_config *cfg);
int net_node_on(struct net_node *n, unsigned type, net_msg_fn fn, void *arg);
/* The same, for a handler that is done with the frame's payload when it
 * returns (it never keeps the frame): it may get the page in place, in
 * the receive buffer (payload_borrowed), with no copy. Any other handler
 * gets a payload of its own. */
int net_node_on_borrowed(struct net_node *n, unsigned type, net_msg_fn fn, void *arg);
/* Starts the loop thread. Returns 0 or negative errno. */
int net_node_start(struct net_node *n);
/* Stops the loop, drops every connection (no callbacks), frees n and its
 * fd watches. */
void net_node_destroy(struct net_node *n);
/* Calls fn(arg) on the loop thread whenever fd is readable, until
 * net_node_destroy (fn must not block; the caller keeps fd open that
 * long). For a source of work whose answers come through this node, so
 * the same thread sends the request and reads the reply (the DSM's
 * userfaultfd). 0 or -ENOMEM. Any thread. */
int net_node_watch_fd(struct net_node *n, int fd, void (*fn)(void *arg), void *arg);

/* Listens on host:port (port 0: an ephemeral port, returned in *bound).
 * Returns 0 or negative errno (logged). */
int net_node_listen(struct net_node *n, const char *host, uint16_t port, uint16_t *bound);
/* Connects to host:port in the background, retrying every
 * connect_retry_ms until connect_timeout_ms (the peer may start later).
 * Success is on_peer_up, failure on_connect_failed. Returns 0 or negative
 * errno if the address does not resolve (logged). */
int net_node_connect(struct net_node *n, const char *host, uint16_t port);

/* The authenticated connection to peer id, with a reference taken, or
 * NULL. */
struct net_conn *net_node_peer(struct net_node *n, uint32_t id);
uint32_t net_node_id(const struct net_node *n);
const struct net_stats *net_node_stats(const struct net_node *n);

#endif
