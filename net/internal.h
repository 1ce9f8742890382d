/* What the node (transport.c), the generic connection (conn.c) and a
 * backend (tcp.c and its parts, tcp_internal.h) share. Not for use
 * outside net/. */
#ifndef SHOAL_NET_INTERNAL_H
#define SHOAL_NET_INTERNAL_H

#include <event2/event.h>
#include <event2/listener.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>

#include "net/transport.h"

enum net_conn_state {
    NET_CONN_HANDSHAKE, /* connected or connecting, not authenticated */
    NET_CONN_UP,        /* authenticated: carries messages */
    NET_CONN_CLOSING,   /* flushing before close; sends refused */
    NET_CONN_CLOSED,    /* socket gone; waits for its last reference */
};

/* Backend-independent part of a connection; a backend embeds it first. */
struct net_conn {
    const struct net_transport_ops *ops;
    void (*free)(struct net_conn *c); /* backend destructor, last reference */
    /* Drops the link without callbacks (node destroy, loop stopped). */
    void (*shutdown)(struct net_conn *c);
    struct net_node *node;
    atomic_int refs;
    atomic_int state; /* enum net_conn_state */
    uint32_t peer_id; /* valid once UP */
    uint32_t local_id;
    /* calibrated one-way latency of the real link, ns (net/emul.h); 0:
     * not measured (no emulation, or no probe answered yet) */
    _Atomic uint64_t base_ns;
    char name[128];
    struct net_conn *next; /* node->conns, under node->mu */
};

/* A pending net_node_connect: retried until its deadline. */
struct net_dial {
    struct net_node *node;
    struct sockaddr_storage addr;
    socklen_t addrlen;
    char text[96];
    uint64_t deadline_ms; /* CLOCK_MONOTONIC */
    char last_error[128];
    struct event *retry_timer;
    struct net_conn *conn; /* the attempt in progress, if any */
    struct net_dial *next; /* node->dials */
};

struct net_listener {
    struct evconnlistener *lev;
    struct net_node *node;
    /* accept failed for want of fds: the listener rests a while (its
     * connection stays queued, and would fail again at once) */
    struct event *rest;
    unsigned long failures;
    struct net_listener *next;
};

struct net_handler {
    net_msg_fn fn;
    void *arg;
    int borrows; /* net_node_on_borrowed: takes a payload in place */
};

struct net_watch {
    struct event *ev;
    struct net_node *node;
    void (*fn)(void *arg);
    void *arg;
    struct net_watch *next;
};

struct net_node {
    struct net_config cfg;
    char build[NET_BUILD_MAX + 1];
    atomic_uint id;
    struct event_base *base;
    pthread_t loop_thread;
    int loop_started;
    pthread_mutex_t mu;     /* conns, dials */
    struct net_conn *conns; /* every connection, any state */
    struct net_dial *dials; /* net_node_connect calls not yet done */
    struct net_listener *listeners;
    struct net_watch *watches; /* net_node_watch_fd, under mu */
    struct net_handler handlers[NET_MSG_TYPES];
    struct net_stats stats;
    /* busy polling (net_config.busy_poll_us), counted by the loop thread
     * alone: frames delivered, and those plus watched fds' events;
     * stop_ev and stopping end the loop */
    uint64_t delivered, activity;
    struct event *stop_ev;
    atomic_bool stopping;
};

uint64_t net_now_ms(void);
struct timeval net_ms_tv(unsigned ms);

/* conn.c */
void net_conn_init(struct net_conn *c, struct net_node *n, const struct net_transport_ops *ops,
                   void (*free_fn)(struct net_conn *), void (*shutdown_fn)(struct net_conn *));

/* transport.c: called by a backend on the loop thread. */
void net_node_attach(struct net_node *n, struct net_conn *c);
int net_node_admit(void *node, uint32_t requested, uint32_t *assigned, char *why, size_t n);
void net_node_conn_up(struct net_node *n, struct net_conn *c);
/* 0, or -ENOMEM: no memory to give a borrowed payload to a handler that
 * may keep it (the frame was not delivered; the connection must close). */
int net_node_deliver(struct net_node *n, struct net_conn *c, struct net_frame *f);
/* Detaches c. report: tell the embedder (on_peer_lost if c was up). */
void net_node_conn_down(struct net_node *n, struct net_conn *c, const char *reason, int report);
/* A dial's attempt ended before authentication; retry says whether the
 * failure is one that a later attempt can fix (no TCP connection). */
void net_dial_failed(struct net_dial *d, const char *reason, int retry);
/* A dial's attempt authenticated: the dial is done. */
void net_dial_done(struct net_dial *d);

/* tcp.c */
/* Both return 0, or -1 after logging (and, for a dial, after reporting
 * the failed attempt with net_dial_failed). */
int net_tcp_accept(struct net_node *n, evutil_socket_t fd, const struct sockaddr *sa, int salen);
int net_tcp_dial(struct net_dial *d);

#endif
