/* Framing: how one message travels on a byte stream.
 *
 *   offset 0  u32 magic           NET_FRAME_MAGIC ("SHOL")
 *          4  u32 header length   bytes of protobuf Envelope that follow
 *          8  u32 payload length  raw bytes after the Envelope (page data)
 *         12  u32 flags           NET_FRAME_F_*; unknown bits are an error
 *         16  Envelope (protobuf-c), then the raw payload
 *
 * All integers little-endian. The decoder checks the fixed header against
 * the receiver's limits before it allocates anything, so a peer cannot make
 * a node allocate more than it allows, and it never reads past the bytes it
 * was given: it accumulates across calls (one byte at a time works). */
#ifndef SHOAL_NET_FRAME_H
#define SHOAL_NET_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "net/proto/shoal.pb-c.h"

/* Bumped on every wire change that is not backward compatible; the
 * handshake refuses a peer with another value, naming both. */
#define NET_PROTO_VERSION 12u

#define NET_FRAME_MAGIC    0x4c4f4853u /* "SHOL" as bytes on the wire */
#define NET_FRAME_HDR_SIZE 16u
#define NET_FRAME_F_PAGE   0x1u /* the payload is guest page data */
#define NET_FRAME_F_ALL    NET_FRAME_F_PAGE

#define NET_PAGE_SIZE 4096u
/* Most pages one frame carries (a page_grant of a run of pages). */
#define NET_PAGES_MAX 64u
/* Widest gap between a run's pages (PageGrant.stride: a strided stream's
 * pushes). */
#define NET_RUN_STRIDE_MAX 64u

/* Largest frame a receiver accepts. Before authentication a connection
 * gets the small handshake limits, so an unauthenticated peer can make a
 * node allocate at most a few KiB. */
struct net_frame_limits {
    uint32_t max_header;
    uint32_t max_payload;
};
#define NET_FRAME_LIMITS_HANDSHAKE ((struct net_frame_limits){4096, 0})
#define NET_FRAME_LIMITS_DEFAULT   ((struct net_frame_limits){64u << 20, 16u << 20})

enum net_frame_err {
    NET_FRAME_OK,
    NET_FRAME_E_MAGIC, /* the first 4 bytes are not the magic */
    NET_FRAME_E_FLAGS, /* unknown flag bits */
    NET_FRAME_E_EMPTY, /* header length 0: no Envelope */
    NET_FRAME_E_HEADER_TOO_LARGE,
    NET_FRAME_E_PAYLOAD_TOO_LARGE,
    NET_FRAME_E_PROTOBUF,     /* Envelope bytes do not parse (truncated, malformed) */
    NET_FRAME_E_UNKNOWN_TYPE, /* Envelope parses but carries no message we know */
    NET_FRAME_E_INVALID,      /* a known message with impossible contents */
    NET_FRAME_E_NOMEM,
};

/* One decoded message. The caller owns it; net_frame_fini() frees it. A
 * consumer may take the payload (set payload to NULL) to keep it, unless
 * payload_borrowed: then the payload lies in the bytes given to
 * net_frame_feed (a decoder in borrow mode), valid only until the caller
 * reuses them, and a consumer that keeps it must copy it. */
struct net_frame {
    Shoal__Envelope *env;
    uint8_t *payload; /* NULL when payload_len == 0 */
    uint32_t payload_len;
    uint32_t flags;
    uint32_t payload_borrowed; /* 1: payload is not ours to free (above) */
};

void net_frame_fini(struct net_frame *f);

struct net_frame_decoder {
    struct net_frame_limits lim;
    uint8_t hdr[NET_FRAME_HDR_SIZE];
    uint32_t hdr_got;
    uint32_t pb_len, payload_len, flags;
    uint8_t *pb;      /* Envelope bytes being accumulated */
    uint8_t *payload; /* payload being accumulated (or borrowed) */
    uint64_t got;     /* bytes of pb + payload accumulated so far */
    uint32_t borrow;  /* net_frame_decoder_borrow: may point into fed bytes */
    uint32_t payload_borrowed;
    enum net_frame_err err;
    char why[160]; /* the precise reason of the last error */
};

void net_frame_decoder_init(struct net_frame_decoder *d, struct net_frame_limits lim);
void net_frame_decoder_fini(struct net_frame_decoder *d);
/* Takes effect from the next frame header (the current frame keeps the
 * limits it was checked against). */
void net_frame_decoder_set_limits(struct net_frame_decoder *d, struct net_frame_limits lim);
/* Borrow mode: a payload that arrives whole in one net_frame_feed call is
 * not copied; the frame points into the fed bytes (payload_borrowed). For
 * a caller that delivers each frame, and finishes with it, before it
 * reuses its buffer (the TCP backend's receive buffer): a page frame then
 * costs no malloc and no 4 KiB copy. Off by default. */
void net_frame_decoder_borrow(struct net_frame_decoder *d, int on);

/* Feeds up to len bytes. Returns 1 when a frame is complete (*out filled;
 * *consumed says how many bytes of data it used, the rest belong to the
 * next frame), 0 when all len bytes were consumed and more are needed, or
 * -1 on an error: d->err and d->why say which. After an error the stream
 * cannot be resynchronised and the decoder keeps failing. */
int net_frame_feed(struct net_frame_decoder *d, const uint8_t *data, size_t len, size_t *consumed,
                   struct net_frame *out);

const char *net_frame_err_name(enum net_frame_err e);

/* Encodes the fixed header and the Envelope (not the payload, which the
 * caller sends after it, so page data need not be copied twice) into a
 * fresh malloc'd buffer. Sets the envelope's version. Returns its length
 * or -ENOMEM / -EMSGSIZE. */
long net_frame_encode(Shoal__Envelope *env, uint32_t payload_len, uint32_t flags, uint8_t **out);

#endif
