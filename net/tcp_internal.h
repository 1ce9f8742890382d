/* What the TCP backend's files share, and no other part of net/: the
 * connection (struct tcp_conn) and the functions one file names in
 * another. tcp.c: a connection's creation, timers and teardown, the ops
 * table; tcp_send.c: sending (any thread) and writing the socket;
 * tcp_recv.c: reading the socket and what the frames read do (loop
 * thread). */
#ifndef SHOAL_NET_TCP_INTERNAL_H
#define SHOAL_NET_TCP_INTERNAL_H

#include <event2/bufferevent.h>
#include <stdbool.h>
#include <stdint.h>

#include "net/internal.h"

struct tcp_conn {
    struct net_conn c;
    struct bufferevent *bev; /* loop thread; NULL once closed */
    pthread_mutex_t mu;      /* outq, emq, fd, werr, and state changes made off the loop */
    struct evbuffer *outq;   /* bytes to write to the socket, in order */
    struct evbuffer *emq;    /* emulated: frames waiting for their due time */
    evutil_socket_t fd;      /* written under mu while UP or CLOSING; -1 before connected */
    int werr;                /* errno of a failed socket write, for the loop thread */
    struct event *wev;       /* EV_WRITE on fd: the kernel's buffer has room again */
    struct event *rev;       /* EV_READ on fd, with the peer timeout once up */
    uint8_t *rbuf;           /* RBUF_SIZE bytes: what one recv takes */
    struct event *flush_ev;  /* activated by the loop thread's senders: write outq */
    int flush_armed;         /* loop thread: flush_ev is active, frames wait for it */
    struct event *timer;     /* handshake deadline, then linger deadline */
    struct event *hb_timer;
    int timeout_held; /* net_hold_timeout: the peer stopped on purpose (loop thread) */
    /* this silence (loop thread): 1, the peer was stopped at the last
     * look ("is stopped" logged); 2, it has run since, for one period */
    int stopped_said;
    struct event *emul_timer;  /* next emulated frame due; NULL: no emulation */
    struct net_emul_link emul; /* under mu */
    struct event *probe_timer; /* next calibration probe (the dialing side sends them) */
    bool calibrated;           /* NET_EMUL_TOTAL with a latency: the link learns its base */
    uint64_t probe_seq;        /* loop thread: the probe awaiting its answer, 0: none */
    uint64_t probe_due_ns;     /* when the emulated link let it go */
    uint64_t probe_rtt_ns;     /* the last round trip measured, for the peer */
    unsigned probes;           /* answers received */
    struct net_frame_decoder dec;
    struct net_auth auth;
    struct net_auth_out auth_out;
    struct net_dial *dial; /* the net_node_connect this attempt serves */
    int connected;         /* TCP connection established */
    int dial_retry;        /* a failure of this attempt is worth retrying */
    int close_armed;
    int reading; /* loop thread: tcp_on_readable is delivering (tcp_poll waits) */
    int report;  /* when CLOSING: tell on_peer_lost */
    uint64_t hb_seq;
    char addr[96];
    char reason[NET_ERROR_MAX + 1]; /* why it is closing */
};

#define RBUF_SIZE (64 * 1024)

static inline struct tcp_conn *tcp_of(struct net_conn *c) {
    return (struct tcp_conn *)c;
}
static inline struct net_stats *stats_of(struct tcp_conn *t) {
    return &t->c.node->stats;
}
static inline const struct net_config *cfg_of(struct tcp_conn *t) {
    return &t->c.node->cfg;
}

/* tcp.c */
/* Why a connection went down, for the run's error message (doing: what
 * failed, e.g. "writing to "). */
void tcp_loss_reason(char *why, size_t n, const char *peer, int err, const char *doing);
/* Loop thread: the connection is gone: events released, the dial or the
 * node told. */
void tcp_down(struct tcp_conn *t, const char *reason);
/* Loop thread: stops reading and closes once what is queued is written. */
void tcp_begin_close(struct tcp_conn *t, const char *reason, int report);
/* Loop thread: sends the peer an Error saying why, then closes. */
void tcp_close_with_error(struct tcp_conn *t, Shoal__ErrorCode code, const char *reason);

/* tcp_send.c */
/* Queues one frame (internal: allowed before the connection is up);
 * due_ns: NULL, or where the emulated link's due time goes. */
int tcp_enqueue(struct tcp_conn *t, Shoal__Envelope *env, const void *const *pages, uint32_t npages,
                uint32_t flags, int internal, uint64_t *due_ns);
/* Loop thread: flush_ev, wev and emul_timer: writes what is queued. */
void tcp_flush_cb(evutil_socket_t fd, short what, void *arg);
/* The ops table's sending half (tcp.c holds the table). */
int tcp_send(struct net_conn *c, Shoal__Envelope *msg);
int tcp_send_pages(struct net_conn *c, Shoal__Envelope *msg, const void *const *pages, uint32_t n);
int tcp_read_page(struct net_conn *c, uint64_t page, void *dst);
void tcp_close(struct net_conn *c);

/* tcp_recv.c */
/* Loop thread: probe_timer: the next calibration probe. */
void tcp_probe_cb(evutil_socket_t fd, short what, void *arg);
/* Loop thread: sends the handshake's next frame, if it has one. */
void tcp_send_auth_out(struct tcp_conn *t);
/* Loop thread: rev: the socket is readable, or silent too long. */
void tcp_on_readable(evutil_socket_t fd, short what, void *arg);

#endif
