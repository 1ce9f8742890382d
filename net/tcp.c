/* The TCP backend: one socket per connection; a libevent bufferevent
 * only dials it, rev reads it (one recv of up to RBUF_SIZE per wake-up,
 * no FIONREAD: a page frame arrives whole), and it is written directly.
 *
 * Threads: the bufferevent, rev, the decoder, the handshake and the
 * timers belong to the node's loop thread; mu is never held while calling
 * out of the backend's files, so there is no lock order to get wrong.
 *
 * This file: a connection's creation (accepted or dialed), its timers,
 * its teardown, the ops table. tcp_send.c sends (any thread) and writes
 * the socket, tcp_recv.c reads it and acts on the frames (the handshake,
 * heartbeats, calibration probes); tcp_internal.h is what they share. */
#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "net/tcp_internal.h"

static const struct net_transport_ops tcp_ops;

/* The socket is connected: senders may write to it from now on, and the
 * loop thread reads it. 0 or -1 (no memory for the events). Loop thread. */
static int attach_fd(struct tcp_conn *t) {
    evutil_socket_t fd = bufferevent_getfd(t->bev);
    if (fd < 0) return -1;
    /* Page faults wait on these messages: no Nagle delay. */
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    t->wev = event_new(t->c.node->base, fd, EV_WRITE, tcp_flush_cb, t);
    t->rev = event_new(t->c.node->base, fd, EV_READ | EV_PERSIST, tcp_on_readable, t);
    if (!t->wev || !t->rev || event_add(t->rev, NULL)) return -1;
    pthread_mutex_lock(&t->mu);
    t->fd = fd;
    pthread_mutex_unlock(&t->mu);
    return 0;
}

static void addr_text(const struct sockaddr *sa, char *buf, size_t n) {
    char host[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *s = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &s->sin_addr, host, sizeof host);
        port = ntohs(s->sin_port);
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &s->sin6_addr, host, sizeof host);
        port = ntohs(s->sin6_port);
    }
    snprintf(buf, n, sa->sa_family == AF_INET6 ? "[%s]:%u" : "%s:%u", host, port);
}

/* ---- teardown (loop thread) ----------------------------------------------- */

/* Why a connection went down, for the run's error message: a peer that
 * went away reads as closed whether the kernel saw its FIN or, after a
 * write into the dead socket, its RST. */
void tcp_loss_reason(char *why, size_t n, const char *peer, int err, const char *doing) {
    if (err == ECONNRESET || err == EPIPE)
        snprintf(why, n, "connection closed by %s (%s)", peer, strerror(err));
    else
        snprintf(why, n, "%s%s: %s", doing, peer, strerror(err));
}

void tcp_down(struct tcp_conn *t, const char *reason) {
    pthread_mutex_lock(&t->mu);
    int prev = atomic_exchange(&t->c.state, NET_CONN_CLOSED);
    evbuffer_drain(t->outq, evbuffer_get_length(t->outq));
    evbuffer_drain(t->emq, evbuffer_get_length(t->emq));
    net_emul_clear(&t->emul);
    pthread_mutex_unlock(&t->mu);
    if (prev == NET_CONN_CLOSED) return;
    char why[NET_ERROR_MAX + 1];
    snprintf(why, sizeof why, "%s", prev == NET_CONN_CLOSING ? t->reason : reason);
    int report = prev == NET_CONN_UP || (prev == NET_CONN_CLOSING && t->report);
    if (t->wev) event_del(t->wev);
    if (t->rev) event_del(t->rev);
    if (t->bev) bufferevent_free(t->bev);
    t->bev = NULL;
    event_del(t->timer);
    event_del(t->hb_timer);
    event_del(t->flush_ev);
    if (t->emul_timer) event_del(t->emul_timer);
    if (t->probe_timer) event_del(t->probe_timer);
    if (t->dial) {
        struct net_dial *d = t->dial;
        t->dial = NULL;
        d->conn = NULL;
        net_dial_failed(d, why, t->dial_retry);
    }
    net_node_conn_down(t->c.node, &t->c, why, report);
}

/* Stops reading and closes once what is queued has been written, or
 * after linger_ms, whichever is first. */
void tcp_begin_close(struct tcp_conn *t, const char *reason, int report) {
    pthread_mutex_lock(&t->mu);
    int st = atomic_load(&t->c.state);
    if (st == NET_CONN_HANDSHAKE || st == NET_CONN_UP) {
        atomic_store(&t->c.state, NET_CONN_CLOSING);
        snprintf(t->reason, sizeof t->reason, "%s", reason);
        t->report = report && st == NET_CONN_UP;
    }
    pthread_mutex_unlock(&t->mu);
    event_active(t->flush_ev, EV_WRITE, 0);
}

/* Tells the peer why (best effort), then closes. */
void tcp_close_with_error(struct tcp_conn *t, Shoal__ErrorCode code, const char *reason) {
    Shoal__Error e = SHOAL__ERROR__INIT;
    Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
    char text[NET_ERROR_MAX + 1];
    snprintf(text, sizeof text, "%s", reason);
    e.code = code;
    e.message = text;
    env.msg_case = SHOAL__ENVELOPE__MSG_ERROR;
    env.error = &e;
    tcp_enqueue(t, &env, NULL, 0, 0, 1, NULL);
    tcp_begin_close(t, reason, 1);
}

static void tcp_shutdown(struct net_conn *c) {
    struct tcp_conn *t = tcp_of(c);
    pthread_mutex_lock(&t->mu); /* no sender writes to fd after this */
    atomic_store(&t->c.state, NET_CONN_CLOSED);
    pthread_mutex_unlock(&t->mu);
    if (t->wev) event_del(t->wev);
    if (t->rev) event_del(t->rev);
    if (t->bev) bufferevent_free(t->bev);
    t->bev = NULL;
    event_del(t->timer);
    event_del(t->hb_timer);
    event_del(t->flush_ev);
    if (t->emul_timer) event_del(t->emul_timer);
    if (t->probe_timer) event_del(t->probe_timer);
    t->dial = NULL; /* the node frees its dials itself */
}

static void tcp_free(struct net_conn *c) {
    struct tcp_conn *t = tcp_of(c);
    if (t->wev) event_free(t->wev);
    if (t->rev) event_free(t->rev);
    free(t->rbuf);
    if (t->bev) bufferevent_free(t->bev);
    if (t->flush_ev) event_free(t->flush_ev);
    if (t->timer) event_free(t->timer);
    if (t->hb_timer) event_free(t->hb_timer);
    if (t->emul_timer) event_free(t->emul_timer);
    if (t->probe_timer) event_free(t->probe_timer);
    net_emul_link_fini(&t->emul);
    if (t->outq) evbuffer_free(t->outq);
    if (t->emq) evbuffer_free(t->emq);
    net_frame_decoder_fini(&t->dec);
    pthread_mutex_destroy(&t->mu);
    free(t);
}

/* ---- loop-thread callbacks ---------------------------------------------- */

static void timer_cb(evutil_socket_t fd, short what, void *arg) {
    struct tcp_conn *t = arg;
    char why[128];
    switch (atomic_load(&t->c.state)) {
    case NET_CONN_HANDSHAKE:
        if (!t->connected) {
            snprintf(why, sizeof why, "no TCP connection within %u ms",
                     cfg_of(t)->handshake_timeout_ms);
            t->dial_retry = 1;
        } else {
            snprintf(why, sizeof why, "not authenticated within %u ms",
                     cfg_of(t)->handshake_timeout_ms);
            atomic_fetch_add_explicit(&stats_of(t)->auth_failures, 1, memory_order_relaxed);
            log_warn("net: dropping %s: %s", t->c.name, why);
        }
        tcp_down(t, why);
        break;
    case NET_CONN_CLOSING: tcp_down(t, t->reason); break;
    default: break;
    }
}

static void hb_cb(evutil_socket_t fd, short what, void *arg) {
    struct tcp_conn *t = arg;
    Shoal__Heartbeat hb = SHOAL__HEARTBEAT__INIT;
    Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
    hb.seq = ++t->hb_seq;
    env.msg_case = SHOAL__ENVELOPE__MSG_HEARTBEAT;
    env.heartbeat = &hb;
    tcp_enqueue(t, &env, NULL, 0, 0, 0, NULL);
}

static void event_cb(struct bufferevent *bev, short what, void *arg) {
    struct tcp_conn *t = arg;
    char why[sizeof t->c.name + 96];
    if (what & BEV_EVENT_CONNECTED) {
        t->connected = 1;
        if (attach_fd(t)) {
            tcp_down(t, "out of memory for a connection");
            return;
        }
        if (net_auth_start(&t->auth, &t->auth_out)) {
            tcp_down(t, t->auth.why);
            return;
        }
        tcp_send_auth_out(t);
        return;
    }
    if (what & BEV_EVENT_EOF) {
        snprintf(why, sizeof why, "connection closed by %s", t->c.name);
    } else {
        tcp_loss_reason(why, sizeof why, t->c.name, EVUTIL_SOCKET_ERROR(), "");
        if (!t->connected) t->dial_retry = 1;
    }
    tcp_down(t, why);
}

/* ---- creation ---------------------------------------------------------------- */

static struct tcp_conn *tcp_new(struct net_node *n, evutil_socket_t fd, enum net_auth_role role) {
    struct tcp_conn *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    net_conn_init(&t->c, n, &tcp_ops, tcp_free, tcp_shutdown);
    pthread_mutex_init(&t->mu, NULL);
    net_frame_decoder_init(&t->dec, NET_FRAME_LIMITS_HANDSHAKE);
    /* feed() (tcp_recv.c) delivers and finishes each frame before the
     * next recv reuses rbuf: a page's payload is read in place, with no
     * copy */
    net_frame_decoder_borrow(&t->dec, 1);
    net_auth_init(&t->auth, role, &n->cfg.key, net_node_id(n), n->build);
    if (role == NET_AUTH_SERVER) net_auth_set_admit(&t->auth, net_node_admit, n);
    t->fd = -1;
    t->outq = evbuffer_new();
    t->emq = evbuffer_new();
    t->rbuf = malloc(RBUF_SIZE);
    t->flush_ev = event_new(n->base, -1, 0, tcp_flush_cb, t);
    t->timer = evtimer_new(n->base, timer_cb, t);
    t->hb_timer = event_new(n->base, -1, EV_PERSIST, hb_cb, t);
    net_emul_link_init(&t->emul, &n->cfg.emul);
    bool emulated = net_emul_enabled(&n->cfg.emul);
    /* only a link whose latency is a total needs to know its own */
    bool calibrated =
        emulated && n->cfg.emul.latency_us && n->cfg.emul.latency_mode == NET_EMUL_TOTAL;
    if (emulated) t->emul_timer = evtimer_new(n->base, tcp_flush_cb, t);
    t->calibrated = calibrated;
    if (calibrated) t->probe_timer = evtimer_new(n->base, tcp_probe_cb, t);
    t->bev = bufferevent_socket_new(n->base, fd, BEV_OPT_CLOSE_ON_FREE);
    if (!t->outq || !t->emq || !t->rbuf || !t->flush_ev || !t->timer || !t->hb_timer ||
        (emulated && !t->emul_timer) || (calibrated && !t->probe_timer) || !t->bev) {
        if (fd >= 0 && !t->bev) evutil_closesocket(fd);
        tcp_free(&t->c);
        return NULL;
    }
    bufferevent_setcb(t->bev, NULL, NULL, event_cb, t);
    struct timeval hs = net_ms_tv(n->cfg.handshake_timeout_ms);
    evtimer_add(t->timer, &hs);
    return t;
}

int net_tcp_accept(struct net_node *n, evutil_socket_t fd, const struct sockaddr *sa, int salen) {
    struct tcp_conn *t = tcp_new(n, fd, NET_AUTH_SERVER);
    if (!t) {
        log_error("net: no memory for an incoming connection");
        return -1;
    }
    addr_text(sa, t->addr, sizeof t->addr);
    snprintf(t->c.name, sizeof t->c.name, "unauthenticated peer %s", t->addr);
    t->connected = 1;
    if (attach_fd(t)) {
        log_error("net: no memory for an incoming connection");
        tcp_free(&t->c);
        return -1;
    }
    net_auth_start(&t->auth, &t->auth_out); /* server: waits for Hello */
    net_node_attach(n, &t->c);
    return 0;
}

int net_tcp_dial(struct net_dial *d) {
    struct tcp_conn *t = tcp_new(d->node, -1, NET_AUTH_CLIENT);
    if (!t) {
        net_dial_failed(d, "out of memory", 1);
        return -1;
    }
    snprintf(t->addr, sizeof t->addr, "%s", d->text);
    snprintf(t->c.name, sizeof t->c.name, "%s", d->text);
    t->dial = d;
    d->conn = &t->c;
    net_node_attach(d->node, &t->c);
    if (bufferevent_socket_connect(t->bev, (struct sockaddr *)&d->addr, (int)d->addrlen)) {
        char why[160];
        snprintf(why, sizeof why, "connect to %s: %s", d->text,
                 evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
        t->dial_retry = 1;
        tcp_down(t, why);
        return -1;
    }
    return 0;
}

/* Loop thread: what tcp_on_readable would do on the next poll, now (the socket
 * is non-blocking: nothing there costs one recv). Reading outside the
 * event does not restart rev's peer timeout, so it is restarted here: a
 * connection read only this way is still heard from. Not inside a
 * delivery from this connection, whose frames lie in rbuf. */
static void tcp_poll(struct net_conn *c) {
    struct tcp_conn *t = tcp_of(c);
    if (t->reading || !t->bev || !t->rev || atomic_load(&t->c.state) != NET_CONN_UP) return;
    tcp_on_readable(bufferevent_getfd(t->bev), EV_READ, t);
    if (t->bev && atomic_load(&t->c.state) == NET_CONN_UP && cfg_of(t)->peer_timeout_ms &&
        !t->timeout_held) {
        struct timeval rt = net_ms_tv(cfg_of(t)->peer_timeout_ms);
        event_add(t->rev, &rt);
    }
}

static void tcp_hold_timeout(struct net_conn *c, bool hold) {
    struct tcp_conn *t = tcp_of(c);
    if (!t->bev || !t->rev || atomic_load(&t->c.state) != NET_CONN_UP) return;
    unsigned ms = cfg_of(t)->peer_timeout_ms;
    if (!ms) return;
    /* a timeout far away rather than none: event_add(NULL) keeps a
     * pending timeout, and a persistent event re-arms its last one */
    struct timeval rt = hold ? (struct timeval){.tv_sec = 100L * 365 * 24 * 3600} : net_ms_tv(ms);
    t->timeout_held = hold;
    event_add(t->rev, &rt);
}

static const struct net_transport_ops tcp_ops = {
    .name = "tcp",
    .send = tcp_send,
    .send_pages = tcp_send_pages,
    .read_page = tcp_read_page,
    .close = tcp_close,
    .poll = tcp_poll,
    .hold_timeout = tcp_hold_timeout,
};
