#include "net/frame.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/msg.h"

static uint32_t get_le32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_le32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

void net_frame_fini(struct net_frame *f) {
    if (f->env) shoal__envelope__free_unpacked(f->env, NULL);
    if (!f->payload_borrowed) free(f->payload);
    memset(f, 0, sizeof *f);
}

void net_frame_decoder_init(struct net_frame_decoder *d, struct net_frame_limits lim) {
    memset(d, 0, sizeof *d);
    d->lim = lim;
}

/* Drops the frame in progress (its buffers), keeping limits and error. */
static void reset_frame(struct net_frame_decoder *d) {
    free(d->pb);
    if (!d->payload_borrowed) free(d->payload);
    d->pb = d->payload = NULL;
    d->payload_borrowed = 0;
    d->hdr_got = 0;
    d->got = 0;
}

void net_frame_decoder_fini(struct net_frame_decoder *d) {
    reset_frame(d);
}

void net_frame_decoder_set_limits(struct net_frame_decoder *d, struct net_frame_limits lim) {
    d->lim = lim;
}

void net_frame_decoder_borrow(struct net_frame_decoder *d, int on) {
    d->borrow = on != 0;
}

const char *net_frame_err_name(enum net_frame_err e) {
    switch (e) {
    case NET_FRAME_OK: return "ok";
    case NET_FRAME_E_MAGIC: return "bad magic";
    case NET_FRAME_E_FLAGS: return "unknown flags";
    case NET_FRAME_E_EMPTY: return "empty header";
    case NET_FRAME_E_HEADER_TOO_LARGE: return "header too large";
    case NET_FRAME_E_PAYLOAD_TOO_LARGE: return "payload too large";
    case NET_FRAME_E_PROTOBUF: return "truncated or malformed protobuf";
    case NET_FRAME_E_UNKNOWN_TYPE: return "unknown message type";
    case NET_FRAME_E_INVALID: return "invalid message";
    case NET_FRAME_E_NOMEM: return "out of memory";
    }
    return "?";
}

__attribute__((format(printf, 3, 4))) static int fail(struct net_frame_decoder *d,
                                                      enum net_frame_err e, const char *fmt, ...) {
    d->err = e;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->why, sizeof d->why, fmt, ap);
    va_end(ap);
    reset_frame(d);
    return -1;
}

/* Checks the 16-byte header and allocates exactly what it announces,
 * once it is known to be within the limits (in borrow mode the payload
 * buffer waits for the payload's first bytes: it may need none). */
static int start_frame(struct net_frame_decoder *d) {
    uint32_t magic = get_le32(d->hdr);
    d->pb_len = get_le32(d->hdr + 4);
    d->payload_len = get_le32(d->hdr + 8);
    d->flags = get_le32(d->hdr + 12);
    if (magic != NET_FRAME_MAGIC)
        return fail(d, NET_FRAME_E_MAGIC, "bad magic 0x%08x (want 0x%08x)", magic, NET_FRAME_MAGIC);
    if (d->flags & ~NET_FRAME_F_ALL)
        return fail(d, NET_FRAME_E_FLAGS, "unknown flags 0x%x", d->flags & ~NET_FRAME_F_ALL);
    if (d->pb_len == 0) return fail(d, NET_FRAME_E_EMPTY, "header length 0");
    if (d->pb_len > d->lim.max_header)
        return fail(d, NET_FRAME_E_HEADER_TOO_LARGE, "header of %u bytes exceeds the limit of %u",
                    d->pb_len, d->lim.max_header);
    if (d->payload_len > d->lim.max_payload)
        return fail(d, NET_FRAME_E_PAYLOAD_TOO_LARGE, "payload of %u bytes exceeds the limit of %u",
                    d->payload_len, d->lim.max_payload);
    d->pb = malloc(d->pb_len);
    d->payload = d->payload_len && !d->borrow ? malloc(d->payload_len) : NULL;
    if (!d->pb || (d->payload_len && !d->borrow && !d->payload))
        return fail(d, NET_FRAME_E_NOMEM, "no memory for a %u+%u byte frame", d->pb_len,
                    d->payload_len);
    d->got = 0;
    return 0;
}

static int finish_frame(struct net_frame_decoder *d, struct net_frame *out) {
    Shoal__Envelope *env = shoal__envelope__unpack(NULL, d->pb_len, d->pb);
    if (!env)
        return fail(d, NET_FRAME_E_PROTOBUF, "%u envelope bytes do not parse as a protobuf",
                    d->pb_len);
    if (env->msg_case == SHOAL__ENVELOPE__MSG__NOT_SET || !net_msg_name(env->msg_case)) {
        shoal__envelope__free_unpacked(env, NULL);
        return fail(d, NET_FRAME_E_UNKNOWN_TYPE, "envelope carries no known message");
    }
    char why[sizeof d->why];
    if (net_msg_validate(env, d->payload_len, d->flags, why, sizeof why)) {
        shoal__envelope__free_unpacked(env, NULL);
        return fail(d, NET_FRAME_E_INVALID, "%s", why);
    }
    out->env = env;
    out->payload = d->payload;
    out->payload_len = d->payload_len;
    out->flags = d->flags;
    out->payload_borrowed = d->payload_borrowed;
    d->payload = NULL;
    d->payload_borrowed = 0;
    reset_frame(d);
    return 1;
}

int net_frame_feed(struct net_frame_decoder *d, const uint8_t *data, size_t len, size_t *consumed,
                   struct net_frame *out) {
    size_t used = 0;
    *consumed = 0;
    if (d->err != NET_FRAME_OK) return -1;
    while (used < len) {
        if (d->hdr_got < NET_FRAME_HDR_SIZE) {
            size_t n = NET_FRAME_HDR_SIZE - d->hdr_got;
            if (n > len - used) n = len - used;
            memcpy(d->hdr + d->hdr_got, data + used, n);
            d->hdr_got += (uint32_t)n;
            used += n;
            /* The magic alone is checked as soon as it is in, so garbage
             * is refused without waiting for 16 bytes. */
            if (d->hdr_got >= 4 && d->hdr_got - n < 4 && get_le32(d->hdr) != NET_FRAME_MAGIC) {
                *consumed = used;
                return fail(d, NET_FRAME_E_MAGIC, "bad magic 0x%08x (want 0x%08x)",
                            get_le32(d->hdr), NET_FRAME_MAGIC);
            }
            if (d->hdr_got < NET_FRAME_HDR_SIZE) break;
            if (start_frame(d)) {
                *consumed = used;
                return -1;
            }
        }
        uint64_t total = (uint64_t)d->pb_len + d->payload_len;
        while (used < len && d->got < total) {
            size_t n = (size_t)(total - d->got);
            if (n > len - used) n = len - used;
            if (d->got < d->pb_len) {
                if (n > d->pb_len - d->got) n = (size_t)(d->pb_len - d->got);
                memcpy(d->pb + d->got, data + used, n);
            } else if (!d->payload && n == d->payload_len) {
                /* borrow mode, the whole payload is here: no copy */
                d->payload = (uint8_t *)(uintptr_t)(data + used);
                d->payload_borrowed = 1;
            } else {
                if (!d->payload && !(d->payload = malloc(d->payload_len))) {
                    *consumed = used;
                    return fail(d, NET_FRAME_E_NOMEM, "no memory for a %u byte payload",
                                d->payload_len);
                }
                memcpy(d->payload + (d->got - d->pb_len), data + used, n);
            }
            d->got += n;
            used += n;
        }
        if (d->got == total) {
            *consumed = used;
            return finish_frame(d, out);
        }
    }
    *consumed = used;
    return 0;
}

long net_frame_encode(Shoal__Envelope *env, uint32_t payload_len, uint32_t flags, uint8_t **out) {
    env->version = NET_PROTO_VERSION;
    size_t pb_len = shoal__envelope__get_packed_size(env);
    if (pb_len == 0 || pb_len > UINT32_MAX) return -EMSGSIZE;
    uint8_t *buf = malloc(NET_FRAME_HDR_SIZE + pb_len);
    if (!buf) return -ENOMEM;
    put_le32(buf, NET_FRAME_MAGIC);
    put_le32(buf + 4, (uint32_t)pb_len);
    put_le32(buf + 8, payload_len);
    put_le32(buf + 12, flags);
    shoal__envelope__pack(env, buf + NET_FRAME_HDR_SIZE);
    *out = buf;
    return (long)(NET_FRAME_HDR_SIZE + pb_len);
}
