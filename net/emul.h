/* The emulated network: added one-way latency and a bandwidth cap per
 * link and direction, applied by the TCP backend to every frame a node
 * sends, so a study of "1 GbE, 55 us RTT" or "100 Gb, 3 us" runs on one
 * machine without netem.
 *
 * The model (store and forward, one FIFO link per connection and
 * direction): a frame of B bytes handed to the link at time t starts
 * when the link is free, occupies it for B * 8 / bandwidth (serialization
 * delay; later frames queue behind it), and arrives whole `latency` after
 * its last bit left:
 *     depart = max(t, link_free) + B * 8 / bandwidth;  link_free = depart;
 *     due    = depart + latency.
 * Due times never decrease, so frames arrive in the order they were sent.
 * The backend writes a frame to the socket at its due time (a libevent
 * timer on the sender's loop; no thread sleeps), so the real transport's
 * own latency comes on top of the emulated one.
 *
 * `latency` is what the link has (NET_EMUL_TOTAL, the default): the real
 * transport's own one-way latency, `base`, is calibrated per link from
 * round trips the backend measures (net_emul_link_sample: the smallest
 * half round trip of the last NET_EMUL_WINDOW to 2 * NET_EMUL_WINDOW
 * samples), and only latency - base is added, so a frame arrives
 * `latency` after its last bit left, not latency plus the loopback's own.
 * Before the first sample base is 0: a link is never faster than
 * configured. NET_EMUL_ADDED adds `latency` on top, whatever the real
 * transport costs.
 *
 * This file is the model only: no I/O, no clock unless asked, so it is
 * tested with made-up times. Not thread-safe: the backend holds the
 * connection's lock. */
#ifndef SHOAL_NET_EMUL_H
#define SHOAL_NET_EMUL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum net_emul_latency_mode {
    NET_EMUL_TOTAL = 0, /* latency_us is the link's whole one-way latency */
    NET_EMUL_ADDED = 1, /* latency_us comes on top of the real transport's */
};

struct net_emul_config {
    uint64_t latency_us;     /* one-way, per frame; 0: none */
    uint64_t bandwidth_mbit; /* per link and direction; 0: no cap */
    enum net_emul_latency_mode latency_mode;
};

/* Round-trip samples per calibration window (see net_emul_link_sample). */
#define NET_EMUL_WINDOW 128
/* Samples before the calibration applies (see net_emul_link_sample). */
#define NET_EMUL_FIRST 16

static inline bool net_emul_enabled(const struct net_emul_config *c) {
    return c->latency_us || c->bandwidth_mbit;
}

struct net_emul_frame {
    uint64_t bytes;
    uint64_t due_ns;
    bool queued; /* it waited for the link: an earlier frame was still on it */
};

/* One direction of one link: frames handed to it and not yet due. */
struct net_emul_link {
    struct net_emul_config cfg;
    uint64_t free_ns;    /* the link is busy serializing until then */
    uint64_t last_due;   /* due time of the newest frame (keeps FIFO order) */
    uint64_t base_ns;    /* calibrated one-way latency of the real transport; 0: none yet */
    uint64_t win_min[2]; /* smallest half round trip: this window, the one before */
    unsigned win_n;      /* samples in this window */
    unsigned samples;    /* in all, up to NET_EMUL_FIRST */
    struct net_emul_frame *ring;
    size_t head, count, cap; /* cap: 0 or a power of two */
};

/* CLOCK_MONOTONIC in nanoseconds; the clock libevent's precise timers use. */
uint64_t net_emul_now_ns(void);

void net_emul_link_init(struct net_emul_link *l, const struct net_emul_config *cfg);
void net_emul_link_fini(struct net_emul_link *l);

/* Serialization time of `bytes` on this link, in ns (0 without a cap). */
uint64_t net_emul_wire_ns(const struct net_emul_config *cfg, uint64_t bytes);

/* The delay this link adds to each frame after its serialization: the
 * configured latency, less the calibrated base in NET_EMUL_TOTAL mode
 * (never below 0). */
uint64_t net_emul_added_ns(const struct net_emul_link *l);

/* One measured round trip of the real transport on this link (a probe
 * sent and answered without emulation), in ns. base becomes the
 * smallest half round trip of this window and the previous one: a
 * quicker sample lowers it at once, a slower machine raises it only once
 * the window that saw the quicker ones is gone (two windows later), and
 * a slow sample alone never moves it. base stays 0 (the whole latency is
 * added) until NET_EMUL_FIRST samples were taken: what the real
 * transport costs depends on what the emulation adds (a loop thread that
 * spins until a frame is due answers quicker than one woken from sleep:
 * 20 against 60 us round trips on the loaded VM), so the first samples
 * are taken with the emulation at work, and one slow early sample cannot
 * make base reach the configured latency, add nothing, and keep the link
 * in the slow regime where every sample confirms it. */
void net_emul_link_sample(struct net_emul_link *l, uint64_t rtt_ns);

/* A frame of `bytes` is handed to the link at now_ns. Returns 0 and its
 * due time in *due_ns, or -ENOMEM (the link is unchanged). */
int net_emul_push(struct net_emul_link *l, uint64_t now_ns, uint64_t bytes, uint64_t *due_ns);

/* Removes the frames due at now_ns and returns how many bytes they make
 * (the backend moves that many bytes to the socket). *next_due_ns: the
 * due time of the oldest frame left, 0 when none is. */
uint64_t net_emul_pop_due(struct net_emul_link *l, uint64_t now_ns, uint64_t *next_due_ns);

/* Whether the oldest waiting frame had to wait for the link (it is in the
 * middle of a burst: its due time follows the one before by exactly its
 * serialization). False when none waits. */
static inline bool net_emul_head_queued(const struct net_emul_link *l) {
    return l->count && l->ring[l->head].queued;
}

/* Frames waiting. */
static inline size_t net_emul_pending(const struct net_emul_link *l) {
    return l->count;
}

/* Forgets every waiting frame (the connection is gone). */
void net_emul_clear(struct net_emul_link *l);

#endif
