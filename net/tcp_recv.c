/* Receiving on a TCP connection (tcp.c), on the loop thread: rev reads the
 * socket, the decoder makes frames of the bytes, and each is a step of the
 * handshake (then the connection is up), a heartbeat, or a message for the
 * node to deliver.
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
#include <errno.h>
#include <event2/event.h>
#include <stdio.h>
#include <sys/socket.h>

#include "common/log.h"
#include "net/tcp_internal.h"

/* Calibration probes come in bursts, one probe after the other's answer:
 * back to back, a round trip costs what a stream of requests costs
 * (20-25 us here); one probe after 20 ms of quiet cost 80-140 us (the
 * threads woken from a deep sleep), which would make the link too
 * quick. A burst every PROBE_INTERVAL_MS follows the machine's load and
 * gives an unlucky first burst a successor: 32 small frames per link
 * every 100 ms. */
#define PROBE_BURST       16
#define PROBE_INTERVAL_MS 100

/* Loop thread: the next calibration probe (one at a time, so a round trip
 * is never measured behind another probe). */
void tcp_probe_cb(evutil_socket_t fd, short what, void *arg) {
    struct tcp_conn *t = arg;
    Shoal__Heartbeat hb = SHOAL__HEARTBEAT__INIT;
    Shoal__Envelope env = SHOAL__ENVELOPE__INIT;
    if (atomic_load(&t->c.state) != NET_CONN_UP) return;
    hb.seq = ++t->hb_seq;
    hb.probe = true;
    hb.rtt_ns = t->probe_rtt_ns;
    env.msg_case = SHOAL__ENVELOPE__MSG_HEARTBEAT;
    env.heartbeat = &hb;
    if (tcp_enqueue(t, &env, NULL, 0, 0, 0, &t->probe_due_ns) == 0) t->probe_seq = hb.seq;
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
        tcp_enqueue(t, &env, NULL, 0, 0, 0, NULL);
        if (hb->rtt_ns && t->calibrated) calibrate(t, hb->rtt_ns);
        return;
    }
    if (!hb->answer || !t->probe_timer || !t->probe_seq || hb->seq != t->probe_seq) return;
    t->probe_seq = 0;
    uint64_t emulated = t->probe_due_ns + hb->added_ns + net_emul_wire_ns(&t->emul.cfg, bytes);
    t->probe_rtt_ns = now > emulated ? now - emulated : 1;
    calibrate(t, t->probe_rtt_ns);
    if (++t->probes % PROBE_BURST) {
        tcp_probe_cb(-1, 0, t);
    } else {
        struct timeval tv = net_ms_tv(PROBE_INTERVAL_MS);
        evtimer_add(t->probe_timer, &tv);
    }
}

void tcp_send_auth_out(struct tcp_conn *t) {
    if (t->auth_out.present) tcp_enqueue(t, &t->auth_out.env, NULL, 0, 0, 1, NULL);
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
    if (t->probe_timer && t->auth.role == NET_AUTH_CLIENT) tcp_probe_cb(-1, 0, t);
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
    tcp_send_auth_out(t);
    if (r < 0) {
        atomic_fetch_add_explicit(&stats_of(t)->auth_failures, 1, memory_order_relaxed);
        log_warn("net: handshake with %s failed: %s", t->c.name, t->auth.why);
        tcp_begin_close(t, t->auth.why, 0);
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
        tcp_close_with_error(t, SHOAL__ERROR_CODE__ERROR_UNSPECIFIED, why);
        return;
    }
    atomic_fetch_add_explicit(&stats_of(t)->protocol_errors, 1, memory_order_relaxed);
    log_warn("net: dropping %s: %s", t->c.name, why);
    tcp_close_with_error(t, SHOAL__ERROR_CODE__ERROR_PROTOCOL, why);
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
            tcp_close_with_error(t, SHOAL__ERROR_CODE__ERROR_PROTOCOL, why);
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
void tcp_on_readable(evutil_socket_t fd, short what, void *arg) {
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
        if (t->stopped_said == 1) {
            /* stopped at the last look and running now: continued within
             * this period, it has a whole period to speak, as a node
             * that just started has (its heartbeat is that far off) */
            t->stopped_said = 2;
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
                tcp_loss_reason(why, sizeof why, t->c.name, errno, "");
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
