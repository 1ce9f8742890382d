/* Sending on a TCP connection (tcp.c): frames queued by any thread, and
 * the socket written from the queue, by the sender or the loop thread.
 *
 * Any thread may send: it appends the encoded frame to outq under mu, and
 * the socket is written from outq under mu too, so a whole frame (header,
 * envelope, payload) enters the stream in one piece and frames keep the
 * order they entered outq in. A thread other than the loop thread writes
 * its frame to the socket itself, at once (a page request then costs no
 * wake-up of the loop thread); the loop thread only activates flush_ev,
 * so the answers its handlers queue while reading go out together, in one
 * write at the end of the same loop iteration (no extra trip through
 * epoll). When the kernel's buffer is full, wev (EV_WRITE) resumes
 * writing on the loop thread.
 *
 * Emulated network (net/emul.h): each frame enters emq instead, and the
 * connection's emulated link under mu, which gives it a due time;
 * tcp_flush_cb then moves only the bytes of frames that are due into outq
 * and arms emul_timer for the next one. emq holds the frames in order, so
 * order is kept. */
#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "net/tcp_internal.h"

/* How long before a frame's due time emul_flush wakes up (why: there). */
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
int tcp_enqueue(struct tcp_conn *t, Shoal__Envelope *env, const void *const *pages, uint32_t npages,
                uint32_t flags, int internal, uint64_t *due_ns) {
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

int tcp_send(struct net_conn *c, Shoal__Envelope *msg) {
    return tcp_enqueue(tcp_of(c), msg, NULL, 0, 0, 0, NULL);
}

int tcp_send_pages(struct net_conn *c, Shoal__Envelope *msg, const void *const *pages, uint32_t n) {
    return tcp_enqueue(tcp_of(c), msg, pages, n, NET_FRAME_F_PAGE, 0, NULL);
}

int tcp_read_page(struct net_conn *c, uint64_t page, void *dst) {
    return -EOPNOTSUPP;
}

void tcp_close(struct net_conn *c) {
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

/* ---- writing on the loop thread ---------------------------------------- */

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
void tcp_flush_cb(evutil_socket_t fd, short what, void *arg) {
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
        tcp_loss_reason(why, sizeof why, t->c.name, werr, "writing to ");
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
