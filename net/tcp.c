/* The TCP backend: one socket per connection; a libevent bufferevent
 * only dials it, rev reads it (one recv of up to RBUF_SIZE per wake-up,
 * no FIONREAD: a page frame arrives whole), and it is written directly.
 *
 * Threads: the bufferevent, rev, the decoder, the handshake and the
 * timers belong to the node's loop thread. Any thread may send:
 * it appends the encoded frame to outq under mu, and the socket is written
 * from outq under mu too, so a whole frame (header, envelope, payload)
 * enters the stream in one piece and frames keep the order they entered
 * outq in. A thread other than the loop thread writes its frame to the
 * socket itself, at once (a page request then costs no wake-up of the
 * loop thread); the loop thread only activates flush_ev, so the answers
 * its handlers queue while reading go out together, in one write at the
 * end of the same loop iteration (no extra trip through epoll). When the
 * kernel's buffer is full, wev (EV_WRITE) resumes writing on the loop
 * thread. mu is never held while calling out of this file, so there is no
 * lock order to get wrong.
 *
 * Emulated network (net/emul.h): each frame enters emq instead, and the
 * connection's emulated link under mu, which gives it a due time;
 * flush_cb then moves only the bytes of frames that are due into outq and
 * arms emul_timer for the next one. emq holds the frames in order, so
 * order is kept.
 *
 * In NET_EMUL_TOTAL mode each link calibrates what the real transport
 * itself costs (net/emul.h) with probes: a Heartbeat with probe set,
 * answered at once by the peer, both through the emulated links like any
 * frame (so they take the path data takes, timer and all). The answer
 * says how much the peer's link added to it; what remains of the round
 * trip after both links' emulated delays is the real transport's, and
 * goes to net_emul_link_sample. Only the side that dialed probes (one
 * probe in flight per link: two sides probing at once, each spinning for
 * its own frames, measured round trips twice the real one on 2 loaded
 * vCPUs); its next probe carries the round trip, which the other side
 * samples too. A burst of PROBE_BURST when the link comes up and one
 * every PROBE_INTERVAL_MS after. */
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
    int timeout_held;          /* net_hold_timeout: the peer stopped on purpose (loop thread) */
    int stopped_said;          /* "is stopped" logged for this silence (loop thread) */
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
    int reading; /* loop thread: on_readable is delivering (tcp_poll waits) */
    int report;  /* when CLOSING: tell on_peer_lost */
    uint64_t hb_seq;
    char addr[96];
    char reason[NET_ERROR_MAX + 1]; /* why it is closing */
};

static const struct net_transport_ops tcp_ops;

#define RBUF_SIZE     (64 * 1024)
#define EMUL_EARLY_NS 20000
/* The same for a frame that found its link idle (a fault's request or
 * page, not a stream's next page): on a loaded machine a loop thread
 * that sleeps until 20 us before the due time often gets its CPU back
 * much later (the emulated 1 GbE fault, one page and a 27 us hop, 50 us
 * after it is queued, measured 101-158 us; spinning from 100 us before,
 * 99-132). A stream's frames keep 20 us: a late one delays only itself,
 * and spinning before each one cost the forwarded walk a fifth of its
 * rate (CPU the walk and the installs need). */
#define EMUL_EARLY_IDLE_NS 100000
/* Calibration probes come in bursts, one probe after the other's answer:
 * back to back, a round trip costs what a stream of requests costs
 * (20-25 us here); one probe after 20 ms of quiet cost 80-140 us (the
 * threads woken from a deep sleep), which would make the link too
 * quick. A burst every PROBE_INTERVAL_MS follows the machine's load and
 * gives an unlucky first burst a successor: 32 small frames per link
 * every 100 ms. */
#define PROBE_BURST       16
#define PROBE_INTERVAL_MS 100

static struct tcp_conn *tcp_of(struct net_conn *c) {
    return (struct tcp_conn *)c;
}
static struct net_stats *stats_of(struct tcp_conn *t) {
    return &t->c.node->stats;
}
static const struct net_config *cfg_of(struct tcp_conn *t) {
    return &t->c.node->cfg;
}

static void flush_cb(evutil_socket_t fd, short what, void *arg);
static void on_readable(evutil_socket_t fd, short what, void *arg);

/* The socket is connected: senders may write to it from now on, and the
 * loop thread reads it. 0 or -1 (no memory for the events). Loop thread. */
static int attach_fd(struct tcp_conn *t) {
    evutil_socket_t fd = bufferevent_getfd(t->bev);
    if (fd < 0) return -1;
    /* Page faults wait on these messages: no Nagle delay. */
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    t->wev = event_new(t->c.node->base, fd, EV_WRITE, flush_cb, t);
    t->rev = event_new(t->c.node->base, fd, EV_READ | EV_PERSIST, on_readable, t);
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

/* ---- sending (any thread) ------------------------------------------------ */

static void free_frame_buf(const void *data, size_t len, void *arg) {
    free((void *)data);
}

/* Whether queueing n more bytes would pass the cap. Under mu. */
static bool over_cap(struct tcp_conn *t, size_t n) {
    uint64_t cap = cfg_of(t)->max_queue_bytes;
    if (!cap) return false;
    size_t queued = evbuffer_get_length(t->outq) + (t->emq ? evbuffer_get_length(t->emq) : 0);
    return queued + n > cap;
}

/* Writes outq to the socket until it is empty or the kernel's buffer is
 * full (then wev resumes on the loop thread). MSG_NOSIGNAL: any thread
 * may be here, and a peer that went away must give EPIPE, not SIGPIPE.
 * A failed write is left in werr for the loop thread, which closes. Under
 * mu. */
static void write_locked(struct tcp_conn *t) {
    while (t->fd >= 0 && !t->werr && evbuffer_get_length(t->outq)) {
        struct evbuffer_iovec v[16];
        struct iovec io[16];
        int n = evbuffer_peek(t->outq, -1, NULL, v, 16);
        if (n > 16) n = 16;
        for (int i = 0; i < n; i++)
            io[i] = (struct iovec){v[i].iov_base, v[i].iov_len};
        struct msghdr mh = {.msg_iov = io, .msg_iovlen = (size_t)n};
        ssize_t w = sendmsg(t->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w > 0) {
            evbuffer_drain(t->outq, (size_t)w);
        } else if (w < 0 && errno == EINTR) {
            continue;
        } else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            event_add(t->wev, NULL);
            return;
        } else {
            t->werr = w < 0 ? errno : EPIPE;
        }
    }
}

/* A frame to send: the encoded header and envelope, then the payload:
 * pages from wherever they are (nothing gathers them first). */
struct out_frame {
    const uint8_t *buf;
    size_t len;
    const void *const *pay;
    uint32_t npay; /* pages, NET_PAGE_SIZE bytes each */
};

static size_t frame_total(const struct out_frame *f) {
    return f->len + (size_t)f->npay * NET_PAGE_SIZE;
}

/* Writes one frame to the socket at once, straight from the caller's
 * buffers: no copy into outq. Returns how many bytes the kernel took; a
 * failed write is left in werr (the loop thread closes). Under mu, with
 * outq empty, so the frame keeps its place. */
static size_t write_frame_now(struct tcp_conn *t, const struct out_frame *f) {
    struct iovec io[1 + NET_PAGES_MAX];
    io[0] = (struct iovec){(void *)f->buf, f->len};
    for (uint32_t i = 0; i < f->npay; i++)
        io[1 + i] = (struct iovec){(void *)f->pay[i], NET_PAGE_SIZE};
    struct msghdr mh = {.msg_iov = io, .msg_iovlen = 1 + f->npay};
    for (;;) {
        ssize_t w = sendmsg(t->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w >= 0) return (size_t)w;
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) t->werr = errno;
        return 0;
    }
}

/* Queues the frame's payload from byte skip of it on. 0 or -1. */
static int add_payload(struct evbuffer *q, const struct out_frame *f, size_t skip) {
    for (uint32_t i = 0; i < f->npay; i++) {
        if (skip >= NET_PAGE_SIZE) {
            skip -= NET_PAGE_SIZE;
            continue;
        }
        if (evbuffer_add(q, (const uint8_t *)f->pay[i] + skip, NET_PAGE_SIZE - skip)) return -1;
        skip = 0;
    }
    return 0;
}

/* Queues one frame. internal: a handshake or Error frame, allowed before
 * the connection is up. due_ns (may be NULL): where the emulated link's
 * due time for the frame goes (0: not emulated).
 *
 * A frame that finds nothing queued before it is written at once from the
 * caller's buffers (pages are not copied into outq first), by any
 * thread; on the loop thread only the first frame of an iteration
 * (flush_armed clear), so the answers its handlers send after it still go
 * out together at the end of the iteration. What the kernel does not
 * take is queued as before. */
static int enqueue(struct tcp_conn *t, Shoal__Envelope *env, const void *const *pages,
                   uint32_t npages, uint32_t flags, int internal, uint64_t *due_ns) {
    uint8_t *buf;
    uint32_t payload_len = npages * NET_PAGE_SIZE;
    long len = net_frame_encode(env, payload_len, flags, &buf);
    if (len < 0) return (int)len;
    struct out_frame f = {buf, (size_t)len, pages, npages};
    bool on_loop = pthread_equal(pthread_self(), t->c.node->loop_thread);
    pthread_mutex_lock(&t->mu);
    struct evbuffer *q = t->emul_timer ? t->emq : t->outq;
    int st = atomic_load(&t->c.state);
    int ok = st == NET_CONN_UP || (internal && st == NET_CONN_HANDSHAKE);
    int r = 0;
    bool wake = false;
    size_t total = frame_total(&f), sent = 0;
    if (ok && !t->emul_timer && st == NET_CONN_UP && t->fd >= 0 && !t->werr &&
        !(on_loop && t->flush_armed) && !evbuffer_get_length(t->outq)) {
        sent = write_frame_now(t, &f);
        wake = t->werr != 0;
    }
    if (!ok) {
        r = -ENOTCONN;
    } else if (sent == total || t->werr) {
        /* all written, or the connection is failing (the loop closes it) */
    } else if (over_cap(t, total - sent)) {
        /* the peer stopped reading: drop it rather than grow without bound */
        atomic_store(&t->c.state, NET_CONN_CLOSING);
        snprintf(t->reason, sizeof t->reason,
                 "peer not reading: over %llu MiB queued for it (network.max_queue_mb)",
                 (unsigned long long)(cfg_of(t)->max_queue_bytes >> 20));
        t->report = 1;
        r = -ENOBUFS;
    } else if (sent) {
        /* the kernel took part of it: the rest waits for wev */
        bool fail = sent < (size_t)len
                        ? evbuffer_add(q, buf + sent, (size_t)len - sent) || add_payload(q, &f, 0)
                        : add_payload(q, &f, sent - (size_t)len);
        if (fail) {
            /* part of the frame is in the stream and the rest is not */
            atomic_store(&t->c.state, NET_CONN_CLOSING);
            snprintf(t->reason, sizeof t->reason, "out of memory queueing a frame");
            t->report = 1;
            r = -ENOMEM;
        } else {
            event_add(t->wev, NULL);
        }
    } else if (evbuffer_add_reference(q, buf, (size_t)len, free_frame_buf, NULL)) {
        r = -ENOMEM;
    } else {
        buf = NULL; /* the queue owns it now */
        uint64_t due = 0;
        if (add_payload(q, &f, 0) ||
            (t->emul_timer && net_emul_push(&t->emul, net_emul_now_ns(), total, &due))) {
            /* The header is queued and promises a payload that is not
             * there (or, emulated, bytes no frame accounts for): the
             * stream is broken. Close rather than lie. */
            atomic_store(&t->c.state, NET_CONN_CLOSING);
            snprintf(t->reason, sizeof t->reason, "out of memory queueing a frame");
            t->report = 1;
            r = -ENOMEM;
        } else if (due_ns) {
            *due_ns = due;
        }
        if (r == 0 && !on_loop && !t->emul_timer && st == NET_CONN_UP) {
            /* written here and now; what does not fit waits for wev */
            write_locked(t);
            wake = t->werr != 0;
        }
    }
    pthread_mutex_unlock(&t->mu);
    free(buf);
    if (r == 0) {
        atomic_fetch_add_explicit(&stats_of(t)->bytes_tx, total, memory_order_relaxed);
        if (env->msg_case < NET_MSG_TYPES)
            atomic_fetch_add_explicit(&stats_of(t)->msgs_tx[env->msg_case], 1,
                                      memory_order_relaxed);
    }
    if (r != 0 ? r != -ENOTCONN : on_loop || t->emul_timer || wake) {
        if (on_loop) t->flush_armed = 1;
        event_active(t->flush_ev, EV_WRITE, 0);
    }
    return r;
}

static int tcp_send(struct net_conn *c, Shoal__Envelope *msg) {
    return enqueue(tcp_of(c), msg, NULL, 0, 0, 0, NULL);
}

static int tcp_send_pages(struct net_conn *c, Shoal__Envelope *msg, const void *const *pages,
                          uint32_t n) {
    return enqueue(tcp_of(c), msg, pages, n, NET_FRAME_F_PAGE, 0, NULL);
}

static int tcp_read_page(struct net_conn *c, uint64_t page, void *dst) {
    return -EOPNOTSUPP;
}

static void tcp_close(struct net_conn *c) {
    struct tcp_conn *t = tcp_of(c);
    pthread_mutex_lock(&t->mu);
    int st = atomic_load(&t->c.state);
    if (st == NET_CONN_HANDSHAKE || st == NET_CONN_UP) {
        atomic_store(&t->c.state, NET_CONN_CLOSING);
        snprintf(t->reason, sizeof t->reason, "closed by this node");
        t->report = 0;
    }
    pthread_mutex_unlock(&t->mu);
    event_active(t->flush_ev, EV_WRITE, 0);
}

/* ---- teardown (loop thread) ----------------------------------------------- */

/* Why a connection went down, for the run's error message: a peer that
 * went away reads as closed whether the kernel saw its FIN or, after a
 * write into the dead socket, its RST. */
static void loss_reason(char *why, size_t n, const char *peer, int err, const char *doing) {
    if (err == ECONNRESET || err == EPIPE)
        snprintf(why, n, "connection closed by %s (%s)", peer, strerror(err));
    else
        snprintf(why, n, "%s%s: %s", doing, peer, strerror(err));
}

static void tcp_down(struct tcp_conn *t, const char *reason) {
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
static void begin_close(struct tcp_conn *t, const char *reason, int report) {
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
static void close_with_error(struct tcp_conn *t, Shoal__ErrorCode code, const char *reason) {
    Shoal__Error e = SHOAL__ERROR__INIT;
    Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
    char text[NET_ERROR_MAX + 1];
    snprintf(text, sizeof text, "%s", reason);
    e.code = code;
    e.message = text;
    env.msg_case = SHOAL__ENVELOPE__MSG_ERROR;
    env.error = &e;
    enqueue(t, &env, NULL, 0, 0, 1, NULL);
    begin_close(t, reason, 1);
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

/* Emulated: moves the frames that are due into outq and arms emul_timer
 * for the next one. Returns how many frames still wait. Under mu. */
static size_t emul_flush(struct tcp_conn *t) {
    uint64_t now = net_emul_now_ns(), next;
    uint64_t bytes = net_emul_pop_due(&t->emul, now, &next);
    if (bytes) evbuffer_remove_buffer(t->emq, t->outq, (size_t)bytes);
    if (next) {
        /* a timer wakes the loop thread some 15 us late here (a VM's
         * timer interrupt and wake-up), which would add that much to
         * every emulated hop: wake up EMUL_EARLY_NS before the due time,
         * then go round the loop (epoll without waiting, so I/O is
         * served meanwhile) until it comes */
        uint64_t left = next - now;
        uint64_t early = net_emul_head_queued(&t->emul) ? EMUL_EARLY_NS : EMUL_EARLY_IDLE_NS;
        uint64_t us = left > early ? (left - early + 999) / 1000 : 0;
        struct timeval tv = {.tv_sec = (time_t)(us / 1000000),
                             .tv_usec = (suseconds_t)(us % 1000000)};
        evtimer_add(t->emul_timer, &tv);
    }
    return net_emul_pending(&t->emul);
}

/* Loop thread: writes what is queued (and, emulated, due); closes after
 * a failed write, or once a closing connection has written everything. */
static void flush_cb(evutil_socket_t fd, short what, void *arg) {
    struct tcp_conn *t = arg;
    t->flush_armed = 0;
    if (!t->bev) return;
    size_t waiting = 0;
    pthread_mutex_lock(&t->mu);
    if (t->emul_timer) waiting = emul_flush(t);
    write_locked(t);
    int st = atomic_load(&t->c.state), werr = t->werr;
    size_t unwritten = evbuffer_get_length(t->outq);
    pthread_mutex_unlock(&t->mu);
    if (werr && (st == NET_CONN_UP || st == NET_CONN_HANDSHAKE || st == NET_CONN_CLOSING)) {
        char why[sizeof t->c.name + 96];
        loss_reason(why, sizeof why, t->c.name, werr, "writing to ");
        tcp_down(t, why);
        return;
    }
    if (st != NET_CONN_CLOSING) return;
    if (!t->close_armed) {
        t->close_armed = 1;
        if (t->rev) event_del(t->rev);
        event_del(t->hb_timer);
        struct timeval tv = net_ms_tv(cfg_of(t)->linger_ms);
        evtimer_add(t->timer, &tv);
    }
    if (!unwritten && !waiting) tcp_down(t, t->reason);
}

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
    enqueue(t, &env, NULL, 0, 0, 0, NULL);
}

/* Loop thread: the next calibration probe (one at a time, so a round trip
 * is never measured behind another probe). */
static void probe_cb(evutil_socket_t fd, short what, void *arg) {
    struct tcp_conn *t = arg;
    Shoal__Heartbeat hb = SHOAL__HEARTBEAT__INIT;
    Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
    if (atomic_load(&t->c.state) != NET_CONN_UP) return;
    hb.seq = ++t->hb_seq;
    hb.probe = true;
    hb.rtt_ns = t->probe_rtt_ns;
    env.msg_case = SHOAL__ENVELOPE__MSG_HEARTBEAT;
    env.heartbeat = &hb;
    if (enqueue(t, &env, NULL, 0, 0, 0, &t->probe_due_ns) == 0) t->probe_seq = hb.seq;
}

/* Under mu: one real round trip measured on this link, by either side. */
static void calibrate(struct tcp_conn *t, uint64_t rtt_ns) {
    pthread_mutex_lock(&t->mu);
    net_emul_link_sample(&t->emul, rtt_ns);
    uint64_t base = t->emul.base_ns;
    pthread_mutex_unlock(&t->mu);
    atomic_store_explicit(&t->c.base_ns, base, memory_order_relaxed);
}

/* Loop thread: a Heartbeat of `bytes` (whole frame) arrived. A probe is
 * answered at once, saying what this link adds to the answer besides its
 * serialization, and its rtt_ns calibrates this side; the answer to this link's own probe gives one
 * sample of the real transport's round trip: from the probe's due time to the answer's arrival,
 * less the peer's emulated delay and the answer's serialization. Queuing behind other frames only
 * makes a sample larger, which the calibration's minimum ignores. */
static void on_heartbeat(struct tcp_conn *t, const Shoal__Heartbeat *hb, uint64_t bytes) {
    uint64_t now = net_emul_now_ns();
    if (hb->probe) {
        Shoal__Heartbeat a = SHOAL__HEARTBEAT__INIT;
        Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
        a.seq = hb->seq;
        a.answer = true;
        pthread_mutex_lock(&t->mu);
        a.added_ns = net_emul_added_ns(&t->emul);
        pthread_mutex_unlock(&t->mu);
        env.msg_case = SHOAL__ENVELOPE__MSG_HEARTBEAT;
        env.heartbeat = &a;
        enqueue(t, &env, NULL, 0, 0, 0, NULL);
        if (hb->rtt_ns && t->calibrated) calibrate(t, hb->rtt_ns);
        return;
    }
    if (!hb->answer || !t->probe_timer || !t->probe_seq || hb->seq != t->probe_seq) return;
    t->probe_seq = 0;
    uint64_t emulated = t->probe_due_ns + hb->added_ns + net_emul_wire_ns(&t->emul.cfg, bytes);
    t->probe_rtt_ns = now > emulated ? now - emulated : 1;
    calibrate(t, t->probe_rtt_ns);
    if (++t->probes % PROBE_BURST) {
        probe_cb(-1, 0, t);
    } else {
        struct timeval tv = net_ms_tv(PROBE_INTERVAL_MS);
        evtimer_add(t->probe_timer, &tv);
    }
}

static void send_auth_out(struct tcp_conn *t) {
    if (t->auth_out.present) enqueue(t, &t->auth_out.env, NULL, 0, 0, 1, NULL);
}

static void became_up(struct tcp_conn *t) {
    const struct net_config *cfg = cfg_of(t);
    pthread_mutex_lock(&t->mu);
    atomic_store(&t->c.state, NET_CONN_UP);
    pthread_mutex_unlock(&t->mu);
    t->c.peer_id = t->auth.peer_id;
    t->c.local_id = t->auth.role == NET_AUTH_CLIENT ? t->auth.local_id : net_node_id(t->c.node);
    snprintf(t->c.name, sizeof t->c.name, "node %u (%s)", t->c.peer_id, t->addr);
    net_frame_decoder_set_limits(&t->dec, cfg->limits);
    event_del(t->timer);
    if (cfg->peer_timeout_ms) {
        struct timeval rt = net_ms_tv(cfg->peer_timeout_ms);
        event_add(t->rev, &rt); /* persistent: restarts whenever data comes */
    }
    if (cfg->heartbeat_interval_ms) {
        struct timeval hb = net_ms_tv(cfg->heartbeat_interval_ms);
        event_add(t->hb_timer, &hb);
    }
    /* on the emulated link, behind the handshake's last frame */
    if (t->probe_timer && t->auth.role == NET_AUTH_CLIENT) probe_cb(-1, 0, t);
    if (t->dial) {
        struct net_dial *d = t->dial;
        t->dial = NULL;
        d->conn = NULL;
        net_dial_done(d);
    }
    net_node_conn_up(t->c.node, &t->c);
}

static void on_handshake_frame(struct tcp_conn *t, struct net_frame *f) {
    int r = net_auth_step(&t->auth, f->env, &t->auth_out);
    send_auth_out(t);
    if (r < 0) {
        atomic_fetch_add_explicit(&stats_of(t)->auth_failures, 1, memory_order_relaxed);
        log_warn("net: handshake with %s failed: %s", t->c.name, t->auth.why);
        begin_close(t, t->auth.why, 0);
    } else if (r == 1) {
        became_up(t);
    }
}

static void on_up_frame(struct tcp_conn *t, struct net_frame *f) {
    char why[NET_ERROR_MAX + 64];
    unsigned type = f->env->msg_case;
    if (f->env->version != NET_PROTO_VERSION) {
        snprintf(why, sizeof why, "frame of protocol v%u on a v%u connection", f->env->version,
                 NET_PROTO_VERSION);
    } else if (net_msg_is_handshake(type)) {
        snprintf(why, sizeof why, "%s after authentication", net_msg_name(type));
    } else if (type == SHOAL__ENVELOPE__MSG_ERROR) {
        snprintf(why, sizeof why, "peer reported an error: %s", f->env->error->message);
        log_warn("net: %s: %s", t->c.name, why);
        tcp_down(t, why);
        return;
    } else {
        if (type == SHOAL__ENVELOPE__MSG_HEARTBEAT) {
            on_heartbeat(t, f->env->heartbeat,
                         NET_FRAME_HDR_SIZE + shoal__envelope__get_packed_size(f->env));
            return;
        }
        if (!net_node_deliver(t->c.node, &t->c, f)) return;
        /* a frame lost to memory: the stream's meaning is broken */
        snprintf(why, sizeof why, "out of memory for a %u-byte payload", f->payload_len);
        log_error("net: dropping %s: %s", t->c.name, why);
        close_with_error(t, SHOAL__ERROR_CODE__ERROR_UNSPECIFIED, why);
        return;
    }
    atomic_fetch_add_explicit(&stats_of(t)->protocol_errors, 1, memory_order_relaxed);
    log_warn("net: dropping %s: %s", t->c.name, why);
    close_with_error(t, SHOAL__ERROR_CODE__ERROR_PROTOCOL, why);
}

/* Feeds n received bytes to the decoder and delivers the frames they
 * complete. Stops early when a frame closes the connection. */
static void feed(struct tcp_conn *t, const uint8_t *data, size_t n) {
    size_t off = 0;
    while (off < n) {
        int st = atomic_load(&t->c.state);
        if ((st != NET_CONN_HANDSHAKE && st != NET_CONN_UP) || !t->bev) return;
        struct net_frame f = {0};
        size_t used = 0;
        int r = net_frame_feed(&t->dec, data + off, n - off, &used, &f);
        off += used;
        atomic_fetch_add_explicit(&stats_of(t)->bytes_rx, used, memory_order_relaxed);
        if (r < 0) {
            char why[sizeof t->dec.why + 64];
            snprintf(why, sizeof why, "%s: %s", net_frame_err_name(t->dec.err), t->dec.why);
            atomic_fetch_add_explicit(&stats_of(t)->protocol_errors, 1, memory_order_relaxed);
            log_warn("net: dropping %s: %s", t->c.name, why);
            close_with_error(t, SHOAL__ERROR_CODE__ERROR_PROTOCOL, why);
            return;
        }
        if (r == 0) continue;
        if (f.env->msg_case < NET_MSG_TYPES)
            atomic_fetch_add_explicit(&stats_of(t)->msgs_rx[f.env->msg_case], 1,
                                      memory_order_relaxed);
        if (st == NET_CONN_HANDSHAKE)
            on_handshake_frame(t, &f);
        else
            on_up_frame(t, &f);
        net_frame_fini(&f);
    }
}

/* The socket is readable (or silent for peer_timeout_ms). One recv takes
 * whatever is there, up to RBUF_SIZE: a page frame (4 KiB and a header)
 * arrives whole, with no FIONREAD and no second trip through epoll (a
 * bufferevent reads at most 4 KiB per wake-up). */
static void on_readable(evutil_socket_t fd, short what, void *arg) {
    struct tcp_conn *t = arg;
    char why[sizeof t->c.name + 96];
    char probe;
    /* A timeout with bytes waiting is this node's own stall (stopped,
     * descheduled): the peer spoke while nobody listened. */
    if ((what & EV_TIMEOUT) && recv(fd, &probe, 1, MSG_PEEK | MSG_DONTWAIT) <= 0) {
        const struct net_config *cfg = cfg_of(t);
        if (cfg->peer_stopped && atomic_load(&t->c.state) == NET_CONN_UP &&
            cfg->peer_stopped(t->c.node, net_conn_peer_id(&t->c), cfg->arg)) {
            /* rev is persistent: another period of silence, then ask again */
            if (!t->stopped_said)
                log_warn("net: %s is stopped (a stop signal or a debugger): waiting for it",
                         t->c.name);
            t->stopped_said = 1;
            return;
        }
        snprintf(why, sizeof why, "nothing received from %s for %u ms (heartbeat timeout)",
                 t->c.name, cfg_of(t)->peer_timeout_ms);
        tcp_down(t, why);
        return;
    }
    net_conn_ref(&t->c); /* a handler may drop the node's reference */
    t->reading = 1;
    /* a bounded number of rounds, so one busy peer cannot starve the others */
    for (int round = 0; round < 16; round++) {
        int st = atomic_load(&t->c.state);
        if ((st != NET_CONN_HANDSHAKE && st != NET_CONN_UP) || !t->bev) break;
        ssize_t n = recv(fd, t->rbuf, RBUF_SIZE, MSG_DONTWAIT);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        if (n <= 0) {
            if (n == 0)
                snprintf(why, sizeof why, "connection closed by %s", t->c.name);
            else
                loss_reason(why, sizeof why, t->c.name, errno, "");
            tcp_down(t, why);
            break;
        }
        t->stopped_said = 0; /* heard from again */
        feed(t, t->rbuf, (size_t)n);
        if ((size_t)n < RBUF_SIZE) break; /* drained */
    }
    t->reading = 0;
    net_conn_unref(&t->c);
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
        send_auth_out(t);
        return;
    }
    if (what & BEV_EVENT_EOF) {
        snprintf(why, sizeof why, "connection closed by %s", t->c.name);
    } else {
        loss_reason(why, sizeof why, t->c.name, EVUTIL_SOCKET_ERROR(), "");
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
    /* feed() delivers and finishes each frame before the next recv reuses
     * rbuf: a page's payload is read in place, with no copy */
    net_frame_decoder_borrow(&t->dec, 1);
    net_auth_init(&t->auth, role, &n->cfg.key, net_node_id(n), n->build);
    if (role == NET_AUTH_SERVER) net_auth_set_admit(&t->auth, net_node_admit, n);
    t->fd = -1;
    t->outq = evbuffer_new();
    t->emq = evbuffer_new();
    t->rbuf = malloc(RBUF_SIZE);
    t->flush_ev = event_new(n->base, -1, 0, flush_cb, t);
    t->timer = evtimer_new(n->base, timer_cb, t);
    t->hb_timer = event_new(n->base, -1, EV_PERSIST, hb_cb, t);
    net_emul_link_init(&t->emul, &n->cfg.emul);
    bool emulated = net_emul_enabled(&n->cfg.emul);
    /* only a link whose latency is a total needs to know its own */
    bool calibrated =
        emulated && n->cfg.emul.latency_us && n->cfg.emul.latency_mode == NET_EMUL_TOTAL;
    if (emulated) t->emul_timer = evtimer_new(n->base, flush_cb, t);
    t->calibrated = calibrated;
    if (calibrated) t->probe_timer = evtimer_new(n->base, probe_cb, t);
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

/* Loop thread: what on_readable would do on the next poll, now (the socket
 * is non-blocking: nothing there costs one recv). Reading outside the
 * event does not restart rev's peer timeout, so it is restarted here: a
 * connection read only this way is still heard from. Not inside a
 * delivery from this connection, whose frames lie in rbuf. */
static void tcp_poll(struct net_conn *c) {
    struct tcp_conn *t = tcp_of(c);
    if (t->reading || !t->bev || !t->rev || atomic_load(&t->c.state) != NET_CONN_UP) return;
    on_readable(bufferevent_getfd(t->bev), EV_READ, t);
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
